//! Integration tests of comeback-ingest: one binary, one module per concern.

mod customers;
mod data;
mod errors;
mod formats;
mod props;
mod table;

use comeback_core::{Amount, Day};
use comeback_ingest::{IngestError, IngestOptions, IngestReport, read_transactions};

/// An accepted row, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Customer id.
    pub customer: String,
    /// Day as `YYYY-MM-DD`.
    pub day: String,
    /// Amount in micros.
    pub amount: i64,
    /// Quantity.
    pub quantity: Option<i64>,
    /// Line.
    pub line: u64,
}

/// Reads `data` as `sales.csv` with `opts`, collecting the accepted rows.
pub fn read(data: &str, opts: &IngestOptions) -> Result<(Vec<Row>, IngestReport), IngestError> {
    read_bytes(data.as_bytes(), opts)
}

/// As [`read`], from bytes.
pub fn read_bytes(
    data: &[u8],
    opts: &IngestOptions,
) -> Result<(Vec<Row>, IngestReport), IngestError> {
    let mut rows = Vec::new();
    let report = read_transactions(data, "sales.csv", opts, |r| {
        rows.push(Row {
            customer: r.customer.to_string(),
            day: r.day.to_string(),
            amount: r.amount.micros(),
            quantity: r.quantity,
            line: r.line,
        });
        Ok::<_, std::convert::Infallible>(())
    })?;
    Ok((rows, report))
}

/// The message of the error `data` produces.
pub fn error(data: &str, opts: &IngestOptions) -> String {
    match read(data, opts) {
        Ok((rows, _)) => panic!("expected an error, read {rows:?}"),
        Err(e) => e.to_string(),
    }
}

/// A day from `YYYY-MM-DD`.
pub fn day(s: &str) -> Day {
    Day::parse_iso(s).unwrap()
}

/// Micros of units and cents.
pub fn money(units: i64, cents: i64) -> i64 {
    Amount::from_micros(units * 1_000_000 + cents * 10_000).micros()
}
