//! # comeback-ingest
//!
//! Reads transaction files (CSV, TSV, semicolon- or whitespace-separated text) into
//! [`comeback_core`] values, strictly: a row that cannot be read is an error naming the file,
//! line, column, the raw value and what was expected —
//! `sales.csv:12345: column "date": cannot parse "1997-13-01" as a date (format %Y-%m-%d)` —
//! or, with `skip_invalid`, a [`Reject`] record; never a silent loss.
//!
//! Principal types:
//! - [`IngestOptions`]: delimiter, header, column mapping, date format, time zone, decimal
//!   mark, currency, refund policy, `skip_invalid`.
//! - [`TransactionReader`] / [`read_transactions`]: stream any [`std::io::Read`] (a file, a
//!   pipe, stdin) and call a sink closure with one [`TransactionRow`] per accepted row.
//! - [`IngestReport`]: the choices made (delimiter, header, [`MappedColumn`]s, date format,
//!   currency) and the row counts.
//! - [`IngestError`] / [`RowError`]: typed errors that carry file, line, column and value.
//! - [`read_customers`]: the same machinery for a customers attributes file.
//! - [`typed`]: the same mapping, parsers and row policy for typed sources (Parquet).
//! - [`read_table`] / [`Table`]: a survey-like file with a header, read whole into memory,
//!   with score, number and date parsers whose errors name file, line, column and value.
//!
//! ```
//! use comeback_core::TransactionLogBuilder;
//! use comeback_ingest::{IngestOptions, read_transactions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let csv = "Cliente;Fecha;Importe\n7;2024-01-02;1.234,50 €\n7;2024-01-09;10,00 €\n";
//! let options = IngestOptions {
//!     decimal: comeback_ingest::DecimalMark::Comma,
//!     currency: Some("EUR".into()),
//!     ..IngestOptions::default()
//! };
//! let mut log = TransactionLogBuilder::new(None);
//! let report = read_transactions(csv.as_bytes(), "ventas.csv", &options, |row| {
//!     log.add(row.customer, row.day, row.amount).map(|_| ())
//! })?;
//! assert_eq!(report.rows_accepted, 2);
//! assert_eq!(report.mapping_lines()[0], r#"customer ← "Cliente" (column 1, synonym)"#);
//! assert_eq!(report.currency_symbol.as_deref(), Some("€"));
//! assert_eq!(log.finish().len(), 1);
//! # Ok(()) }
//! ```
//!
//! ## Design
//!
//! **Streaming, no allocation per row.** Input is read through a 1 MiB buffer; each record
//! is borrowed by the [`TransactionRow`] handed to the sink, so memory does not grow with
//! rows. Two things do grow, by choice of the caller: de-duplication by transaction id keeps
//! every distinct id (about 40 bytes plus the id's length each), and rejects are collected
//! in the report unless a reject callback is set.
//!
//! **Formats.** Delimited modes read records as the `csv` crate does (quotes, `""` escapes,
//! quoted fields spanning lines — line numbers stay physical and 1-based) with a
//! hand-written reader that splits a quote-free line in one pass (property-tested against
//! the `csv` crate). Whitespace mode is a
//! hand-written splitter: runs of spaces and tabs separate fields, leading and trailing
//! blanks are ignored, and there is no quoting. A UTF-8 byte-order mark is skipped, CRLF is
//! accepted. Only the fields that are used must be valid UTF-8.
//!
//! **Columns.** By header name or 1-based position ([`ColumnRef`]); otherwise recognised
//! from [`TRANSACTION_SYNONYMS`] (English, Spanish, Portuguese, Finnish, German, French),
//! case-, accent- and separator-insensitively. Two columns matching one field is an error
//! that lists them. No amount column means every amount is 0, and the report says so.
//!
//! **Days, not times.** A date or a naive timestamp is a business-local day as written. A
//! timestamp with an offset (`2024-03-10T23:30:00-05:00`) is its own local date, unless
//! [`IngestOptions::timezone`] is set: then the instant is converted to that zone's local
//! date (`2024-03-11` in Europe/Helsinki). Day and month order is never guessed; automatic
//! mode accepts `%Y-%m-%d`, `%Y%m%d` and ISO 8601 timestamps, fixing the format from the
//! first data row. `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` and `YYYYMMDD` take a hand-written
//! fast path (see [`fast`]), property-tested against chrono.
//!
//! **Amounts** are exact ([`comeback_core::Amount`], micros): `.` or `,` decimals
//! ([`DecimalMark`]), thousands separators `,` `.` space or `'` in groups of three, a
//! currency symbol or ISO code before or after ([`CURRENCY_SYMBOLS`]), a sign before or
//! after, or parentheses for negatives. Rows without a symbol may mix with one symbol; a
//! second symbol is an error, as is a symbol of another currency than
//! [`IngestOptions::currency`].
//!
//! **Refunds** (negative amounts) are excluded and counted by default
//! ([`RefundPolicy::Exclude`]), or passed on to be netted into the same day
//! ([`RefundPolicy::Net`]).
//!
//! ## Synonym table
//!
//! Header names recognised without column options (case, accents, spaces, `_`, `-`, `.`
//! ignored):
//!
//! | field | en | es | pt | fi | de | fr |
//! |---|---|---|---|---|---|---|
//! | customer | customer_id, customer, customer id, customer_no, customer_number, client_id, client, user_id, member_id, account_id, buyer, cust_id, id | cliente, id_cliente, cliente_id, código_cliente, número_cliente, comprador, socio | cliente, id_cliente, código_do_cliente, cod_cliente, número_do_cliente, consumidor, comprador | asiakas, asiakas_id, asiakasnumero, asiakastunnus, asiakasnro, ostaja | kunde, kunden_id, kundennummer, kundennr, kunden_nr, käufer, kundenkennung | client, id_client, client_id, numéro_client, code_client, acheteur, no_client |
//! | date | date, transaction_date, order_date, purchase_date, sale_date, invoice_date, timestamp, datetime, created_at | fecha, fecha_compra, fecha_venta, fecha_pedido, fecha_transacción, fecha_hora, fecha_factura | data, data_compra, data_da_compra, data_venda, data_pedido, data_transação, data_hora | päivämäärä, pvm, ostopäivä, ostopvm, tapahtumapäivä, aikaleima, päiväys | datum, kaufdatum, bestelldatum, rechnungsdatum, buchungsdatum, zeitstempel, zeitpunkt | date_achat, date_commande, date_vente, date_transaction, date_facture, horodatage, date_heure |
//! | amount | amount, dollar_value, value, total, price, revenue, sales, spend, order_value, monetary_value, total_amount, sale_amount | importe, monto, valor, precio, ventas, gasto, importe_total, total_venta | valor, montante, preço, valor_total, quantia, receita, total_compra | summa, hinta, arvo, kokonaissumma, myynti, loppusumma, euroa | betrag, umsatz, wert, preis, summe, gesamtbetrag, rechnungsbetrag | montant, valeur, prix, chiffre_affaires, dépense, montant_total, montant_ttc |
//! | quantity | quantity, qty, number_of_cds, units, items, number_of_items, pieces, quantity_sold | cantidad, unidades, piezas, artículos, num_artículos, cant | quantidade, qtd, qtde, itens, peças, unidades_vendidas | määrä, kpl, kappalemäärä, lukumäärä, kappaleet, tuotemäärä | menge, anzahl, stück, stückzahl, stk, artikelanzahl | quantité, qté, nombre_articles, nb_articles, unités, pièces |
//! | transaction_id | transaction_id, order_id, invoice_id, receipt_id, invoice, order_number, txn_id, order_no, receipt_no, sale_id | id_transacción, id_pedido, factura, número_factura, pedido, número_pedido, ticket, id_venta, recibo | id_transação, id_pedido, pedido, nota_fiscal, número_pedido, fatura, id_venda, recibo, cupom_fiscal | tapahtuma_id, tilausnumero, kuittinumero, laskunumero, tilaus, kuitti, lasku, tapahtumatunnus | transaktions_id, bestellnummer, rechnungsnummer, belegnummer, bestellung, beleg, quittung, bon | id_transaction, numéro_commande, commande, facture, numéro_facture, reçu, id_commande |
//!
//! Headers of the shipped summary files (`frequency`, `recency`, `T`, `x`, `t_x`, `zbar`,
//! `periods`, `weights`) are not transaction fields and are not recognised; `ID` and `id`
//! are customer ids.
//!
//! (A unit test keeps this table equal to [`TRANSACTION_SYNONYMS`]; the customers file's
//! names are in [`CUSTOMER_SYNONYMS`].)
#![deny(missing_docs)]

mod amount;
mod customers;
mod date;
mod error;
mod mapping;
mod options;
mod source;
mod synonyms;
mod table;
mod transactions;
pub mod typed;

pub use amount::{CURRENCY_SYMBOLS, DecimalMark};
pub use chrono_tz::Tz;
pub use customers::{
    CustomerColumns, CustomerOptions, CustomerRecord, CustomerReport, read_customers,
};
pub use date::DateFormat;
pub use error::{ColumnLabel, IngestError, MappingError, RowError, RowProblem};
pub use mapping::{MappedColumn, MatchedBy};
pub use options::{
    ColumnRef, Delimiter, HeaderMode, IngestOptions, RefundPolicy, TransactionColumns,
};
pub use synonyms::{
    CUSTOMER_SYNONYMS, FieldSynonyms, TRANSACTION_SYNONYMS, normalize, synonyms_markdown,
};
pub use table::{Table, TableOptions, TableRow, read_table, read_table_path};
pub use transactions::{
    IngestReport, Progress, Reject, TransactionReader, TransactionRow, read_transactions,
};

/// The hand-written date parsers of the hot path, public for tests and benchmarks. Each
/// returns `None` for anything that is not exactly its shape or not a calendar date.
pub mod fast {
    pub use crate::date::{parse_compact, parse_iso_date, parse_iso_datetime};
}

#[cfg(test)]
mod doc_table {
    #[test]
    fn crate_docs_show_the_synonym_table() {
        let docs = include_str!("lib.rs");
        for f in crate::TRANSACTION_SYNONYMS {
            let cells: Vec<String> = f.names.iter().map(|(_, n)| n.join(", ")).collect();
            let row = format!("//! | {} | {} |", f.field, cells.join(" | "));
            assert!(docs.contains(&row), "missing or stale doc row:\n{row}");
        }
    }
}
