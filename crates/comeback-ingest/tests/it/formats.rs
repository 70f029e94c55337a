//! Delimiters, headers in six languages, encodings, quoting, amounts, time zones, refunds,
//! de-duplication.

use crate::{money, read, read_bytes};
use comeback_ingest::{
    DateFormat, DecimalMark, Delimiter, HeaderMode, IngestOptions, RefundPolicy, Tz,
};

fn opts() -> IngestOptions {
    IngestOptions::default()
}

#[test]
fn synonyms_in_six_languages() {
    let cases = [
        (
            "en",
            "Customer ID,Order Date,Total Amount,Qty,Order Number\n",
            ',',
        ),
        ("es", "Cliente;Fecha;Importe;Cantidad;Factura\n", ';'),
        (
            "pt",
            "Código do Cliente;Data da Compra;Valor;Quantidade;Nota Fiscal\n",
            ';',
        ),
        (
            "fi",
            "Asiakasnumero\tPäivämäärä\tSumma\tKpl\tKuittinumero\n",
            '\t',
        ),
        ("de", "Kundennummer;Datum;Betrag;Menge;Belegnummer\n", ';'),
        (
            "fr",
            "Numéro client,Date achat,Montant,Quantité,Numéro facture\n",
            ',',
        ),
    ];
    for (lang, header, sep) in cases {
        let row = ["c1", "2024-01-02", "12", "3", "T1"].join(&sep.to_string());
        let data = format!("{header}{row}\n");
        let (rows, report) = read(&data, &opts()).unwrap_or_else(|e| panic!("{lang}: {e}"));
        let names: Vec<&str> = header.trim_end().split(sep).collect();
        let fields: Vec<(&str, &str)> = report
            .columns
            .iter()
            .map(|c| (c.field, c.name.as_deref().unwrap()))
            .collect();
        assert_eq!(
            fields,
            [
                ("customer", names[0]),
                ("date", names[1]),
                ("amount", names[2]),
                ("transaction_id", names[4]),
                ("quantity", names[3]),
            ],
            "{lang}"
        );
        assert_eq!(report.delimiter, Delimiter::Byte(sep as u8), "{lang}");
        assert_eq!(rows[0].amount, money(12, 0), "{lang}");
        assert_eq!(rows[0].quantity, Some(3), "{lang}");
    }
}

#[test]
fn every_shipped_header_is_a_synonym() {
    use comeback_ingest::TRANSACTION_SYNONYMS as T;
    let field = |f: &str| T.iter().find(|s| s.field == f).unwrap();
    for n in ["customer_id", "id", "ID"] {
        assert!(field("customer").matches(n), "{n}");
    }
    assert!(field("date").matches("date"));
    assert!(field("amount").matches("dollar_value"));
    assert!(field("quantity").matches("number_of_cds"));
}

#[test]
fn bom_and_crlf() {
    let data = b"\xEF\xBB\xBFcustomer,date,amount\r\nc1,2024-01-02,1.5\r\nc2,2024-01-03,2\r\n";
    let (rows, report) = read_bytes(data, &opts()).unwrap();
    assert_eq!(report.header.as_deref().unwrap()[0], "customer");
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[1].customer.as_str(), rows[1].amount, rows[1].line),
        ("c2", money(2, 0), 3)
    );
    // Whitespace mode too.
    let data = b"\xEF\xBB\xBF customer_id  date dollar_value\r\n 001 20240102  1.5\r\n";
    let (rows, report) = read_bytes(data, &opts()).unwrap();
    assert_eq!(report.delimiter, Delimiter::Whitespace);
    assert_eq!(rows[0].customer, "001");
    assert_eq!(report.bytes_read, data.len() as u64);
}

#[test]
fn quoted_fields_with_delimiters_quotes_and_newlines() {
    let data = "customer,note,date,amount\n\"Smith, J.\",\"said \"\"hi\"\"\nand left\",2024-01-02,\"1,234.50\"\nc2,x,2024-01-03,2\n";
    let (rows, _) = read(data, &opts()).unwrap();
    assert_eq!(rows[0].customer, "Smith, J.");
    assert_eq!(rows[0].amount, money(1234, 50));
    assert_eq!((rows[0].line, rows[1].line), (2, 4));
    let crlf = data.replace('\n', "\r\n");
    let (rows2, _) = read(&crlf, &opts()).unwrap();
    assert_eq!(rows2[0].amount, money(1234, 50));
    assert_eq!((rows2[0].line, rows2[1].line), (2, 4));
}

#[test]
fn semicolons_with_decimal_comma_and_thousands_dots() {
    let o = IngestOptions {
        decimal: DecimalMark::Comma,
        ..opts()
    };
    let data = "cliente;fecha;importe\n1;2024-01-02;1.234,56\n2;2024-01-02;-0,5\n3;2024-01-02;1 000 000,00 €\n4;2024-01-02;12\n";
    let (rows, report) = read(
        data,
        &IngestOptions {
            refunds: RefundPolicy::Net,
            ..o
        },
    )
    .unwrap();
    let amounts: Vec<i64> = rows.iter().map(|r| r.amount).collect();
    assert_eq!(
        amounts,
        [
            money(1234, 56),
            -money(0, 50),
            money(1_000_000, 0),
            money(12, 0)
        ]
    );
    assert_eq!(report.currency_symbol.as_deref(), Some("€"));
    assert_eq!(report.delimiter, Delimiter::Byte(b';'));
}

#[test]
fn amounts_without_symbol_mix_with_one_symbol() {
    let o = IngestOptions {
        currency: Some("BRL".into()),
        decimal: DecimalMark::Comma,
        ..opts()
    };
    let data = "cliente;data;valor\n1;2024-01-02;R$ 10,00\n1;2024-01-03;5\n1;2024-01-04;R$1.000\n";
    let (rows, report) = read(data, &o).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2].amount, money(1000, 0));
    assert_eq!(
        (
            report.currency.as_deref(),
            report.currency_symbol.as_deref()
        ),
        (Some("BRL"), Some("R$"))
    );
    for (s, v) in [
        ("$1,234.50", money(1234, 50)),
        ("1'234.50 CHF", money(1234, 50)),
        ("(3.00)", -money(3, 0)),
        ("3.00-", -money(3, 0)),
        ("£0.99", money(0, 99)),
        ("USD 7", money(7, 0)),
        ("7 kr", money(7, 0)),
    ] {
        let data = format!("customer,date,amount\nc,2024-01-01,\"{s}\"\n");
        let (rows, _) = read(
            &data,
            &IngestOptions {
                refunds: RefundPolicy::Net,
                ..opts()
            },
        )
        .unwrap();
        assert_eq!(rows[0].amount, v, "{s}");
    }
}

#[test]
fn offsets_and_time_zones_give_local_days() {
    let data = "customer,timestamp\n\
        a,2024-03-10T23:30:00-05:00\n\
        b,2024-03-10 23:30:00.250+0000\n\
        c,2024-03-10T22:59:59Z\n\
        d,2024-03-10 23:30\n\
        e,2024-03-10T00:30:00+02:00\n";
    let days = |tz: Option<Tz>| -> Vec<String> {
        let (rows, _) = read(
            data,
            &IngestOptions {
                timezone: tz,
                ..opts()
            },
        )
        .unwrap();
        rows.into_iter().map(|r| r.day).collect()
    };
    // Without a zone: each timestamp's own local date; naive times as written.
    assert_eq!(days(None), ["2024-03-10"; 5]);
    // Helsinki is UTC+2 in March: 23:30-05:00 is 06:30 next day; 23:30Z is 01:30 next day;
    // 22:59:59Z is 00:59:59 next day; the naive time stays; 00:30+02:00 is 00:30 local.
    let hel: Tz = "Europe/Helsinki".parse().unwrap();
    assert_eq!(
        days(Some(hel)),
        [
            "2024-03-11",
            "2024-03-11",
            "2024-03-11",
            "2024-03-10",
            "2024-03-10"
        ]
    );
    // Los Angeles (UTC-7 after the 10 March DST change): 00:30+02:00 is the evening before.
    let la: Tz = "America/Los_Angeles".parse().unwrap();
    assert_eq!(
        days(Some(la)),
        [
            "2024-03-10",
            "2024-03-10",
            "2024-03-10",
            "2024-03-10",
            "2024-03-09"
        ]
    );
}

#[test]
fn strftime_formats_with_offsets() {
    let o = IngestOptions {
        date_format: DateFormat::new("%d/%m/%Y %H:%M %z"),
        timezone: Some("Asia/Tokyo".parse().unwrap()),
        ..opts()
    };
    let (rows, report) = read("customer,date\nc,31/12/2023 20:00 +0000\n", &o).unwrap();
    assert_eq!(rows[0].day, "2024-01-01");
    assert_eq!(report.date_format, "%d/%m/%Y %H:%M %z");
    let o = IngestOptions {
        date_format: DateFormat::new("%m/%d/%Y"),
        ..opts()
    };
    assert_eq!(
        read("customer,date\nc,12/31/2023\n", &o).unwrap().0[0].day,
        "2023-12-31"
    );
}

#[test]
fn refunds_are_excluded_by_default_and_netted_on_request() {
    let data = "customer,date,amount\nc,2024-01-01,10\nc,2024-01-01,-4\nc,2024-01-02,(1.50)\n";
    let (rows, report) = read(data, &opts()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (report.refund_rows, report.refund_total.micros()),
        (2, -money(5, 50))
    );
    assert_eq!((report.rows_read, report.rows_accepted), (3, 1));
    let (rows, report) = read(
        data,
        &IngestOptions {
            refunds: RefundPolicy::Net,
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(report.refund_rows, 2);
}

#[test]
fn repeated_transaction_ids_are_dropped_and_counted() {
    let data = "order_id,customer,date,amount\n1,c,2024-01-01,10\n2,c,2024-01-01,5\n1,c,2024-01-01,10\n,c,2024-01-03,1\n,c,2024-01-03,1\n";
    let (rows, report) = read(data, &opts()).unwrap();
    assert_eq!(rows.len(), 4, "empty ids are not de-duplicated");
    assert_eq!(report.duplicate_rows, 1);
}

#[test]
fn header_modes() {
    let data = "customer,date\nc,2024-01-01\n";
    let (rows, _) = read(
        data,
        &IngestOptions {
            header: HeaderMode::Present,
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(rows.len(), 1);
    // Auto: a file whose line 1 parses as data.
    let o = IngestOptions {
        columns: comeback_ingest::TransactionColumns {
            customer: Some("1".parse().unwrap()),
            date: Some("2".parse().unwrap()),
            ..Default::default()
        },
        ..opts()
    };
    let (rows, report) = read("c,2024-01-01\nd,2024-01-02\n", &o).unwrap();
    assert_eq!((rows.len(), report.header), (2, None));
    let (rows, report) = read(data, &o).unwrap();
    assert_eq!((rows.len(), report.header.unwrap().len()), (1, 2));
}

#[test]
fn whitespace_mode_with_tabs_and_leading_blanks() {
    let data = "  customer \t date\t\tamount  \n\t c1   2024-01-01\t 3.5 \n";
    let (rows, report) = read(
        data,
        &IngestOptions {
            delimiter: Delimiter::Whitespace,
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(
        (rows[0].customer.as_str(), rows[0].amount),
        ("c1", money(3, 50))
    );
    assert_eq!(report.delimiter, Delimiter::Whitespace);
}

#[test]
fn option_parsing_for_the_cli() {
    assert_eq!("tab".parse::<Delimiter>(), Ok(Delimiter::Byte(b'\t')));
    assert_eq!(";".parse::<Delimiter>(), Ok(Delimiter::Byte(b';')));
    assert_eq!("whitespace".parse::<Delimiter>(), Ok(Delimiter::Whitespace));
    assert!("ab".parse::<Delimiter>().is_err());
    assert_eq!(
        "3".parse::<comeback_ingest::ColumnRef>(),
        Ok(comeback_ingest::ColumnRef::Position(3))
    );
    assert!("0".parse::<comeback_ingest::ColumnRef>().is_err());
    assert_eq!("net".parse::<RefundPolicy>(), Ok(RefundPolicy::Net));
    assert_eq!("comma".parse::<DecimalMark>(), Ok(DecimalMark::Comma));
}

/// A pipe that hands out a few bytes per read, as stdin may.
struct Trickle<'a>(&'a [u8], usize);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn short_reads_give_the_same_rows_and_accounting() {
    let mut csv = String::from("\u{feff}customer,date,amount\r\n");
    let mut ws = String::from(" customer_id  date  dollar_value\r\n");
    for i in 0..3000 {
        csv.push_str(&format!(
            "c{},2024-01-{:02},\"{}.5\"\r\n",
            i % 97,
            i % 28 + 1,
            i
        ));
        ws.push_str(&format!(
            "  {:05} 202401{:02}   {}.5\r\n",
            i % 97,
            i % 28 + 1,
            i
        ));
    }
    for data in [csv, ws] {
        let (want, report) = read(&data, &opts()).unwrap();
        assert_eq!(want.len(), 3000);
        for chunk in [1, 7, 4096] {
            let mut got = Vec::new();
            let mut last = comeback_ingest::Progress::default();
            let r = comeback_ingest::TransactionReader::new(opts())
                .progress_interval(1000)
                .on_progress(|p| last = p)
                .read(Trickle(data.as_bytes(), chunk), "sales.csv", |r| {
                    got.push((
                        r.customer.to_string(),
                        r.day.to_string(),
                        r.amount.micros(),
                        r.line,
                    ));
                    Ok::<_, std::convert::Infallible>(())
                })
                .unwrap();
            let want: Vec<_> = want
                .iter()
                .map(|r| (r.customer.clone(), r.day.clone(), r.amount, r.line))
                .collect();
            assert_eq!(got, want, "chunk {chunk}");
            assert_eq!(
                (r.bytes_read, last.bytes, last.rows),
                (data.len() as u64, data.len() as u64, 3000)
            );
            assert_eq!(r.delimiter, report.delimiter);
        }
    }
}
