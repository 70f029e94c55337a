//! # comeback-parquet
//!
//! Parquet files for Comeback: transaction files in ([`read_transactions`]) and tables out
//! ([`TableWriter`], for summaries and predictions), through arrow-rs. Kept out of the
//! core and ingest crates so that their test loops never build Arrow; the CLI uses it
//! behind its default-on `parquet` feature.
//!
//! **Reading.** Columns are mapped exactly as for a text file with a header (the column
//! options, else the multilingual synonym table of [`comeback_ingest`]); only the mapped
//! columns are read (projection), one batch of [`BATCH_ROWS`] rows at a time, row group
//! after row group, so memory is one row group's compressed pages of those columns plus
//! one decoded batch, whatever the file's length. Values may be typed or text:
//!
//! | field | Parquet / Arrow types |
//! |---|---|
//! | customer, transaction_id | text (`STRING`), integers |
//! | date | `DATE`; `TIMESTAMP` with or without time zone (any unit); text as in CSV (`--date-format`) |
//! | amount | `DECIMAL` (up to 6 decimal places exactly, more only when the extra digits are 0), `FLOAT`/`DOUBLE` (rounded to the nearest millionth), integers, text as in CSV (decimal mark, currency symbols) |
//! | quantity | integers, text |
//!
//! A `DATE` is the business-local day. A `TIMESTAMP` without time zone is a local wall
//! time: its date. A `TIMESTAMP` with a time zone (`isAdjustedToUTC`) is an instant: with
//! the time zone option it falls on that zone's local day, else on the date in its own
//! zone (UTC for most writers) — the rule of timestamps with an offset in CSV.
//!
//! Every problem is the text reader's [`IngestError`](comeback_ingest::IngestError) (a bad value names the file, the
//! 1-based row in place of the line, the column and the value), or a [`ParquetError`]
//! for a file that is not Parquet, is truncated, or has a column of a type its field
//! cannot take.
//!
//! **Tables back.** [`TextTable`] reads any flat Parquet table (a summary written by
//! [`TableWriter`], or one from pandas, polars, Spark or DuckDB) row by row as text cells,
//! as a CSV reader would give them, so that `fit`, `predict` and `analyze --summary` read a
//! Parquet summary with the same column names, checks and messages as a CSV one.
//!
//! **Writing.** [`TableWriter`] streams rows of text, integer and real columns into a
//! Snappy-compressed Parquet file, one row group per 2²⁰ rows.
#![deny(missing_docs)]

mod read;
mod table;
mod write;

pub use read::{BATCH_ROWS, is_parquet, read_transactions};
pub use table::TextTable;
pub use write::{ColumnKind, TableWriter, Value};

/// What can go wrong with a Parquet file beyond the text reader's errors.
#[derive(Debug, thiserror::Error)]
pub enum ParquetError {
    /// A mapping, option, row or sink error, as for text files.
    #[error(transparent)]
    Ingest(#[from] comeback_ingest::IngestError),
    /// The file cannot be opened or read.
    #[error("{file}: {source}")]
    Io {
        /// The display name of the file.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid Parquet (truncated, corrupt, or another format).
    #[error("{file}: not a readable Parquet file: {message}")]
    Format {
        /// The display name of the file.
        file: String,
        /// What the Parquet reader said.
        message: String,
    },
    /// A mapped column has a type its field cannot take.
    #[error("{file}: column {column:?} (field {field}) has type {found}; expected {expected}")]
    ColumnType {
        /// The display name of the file.
        file: String,
        /// The field (`customer`, `date`, ...).
        field: &'static str,
        /// The column's name.
        column: String,
        /// The column's Arrow type.
        found: String,
        /// The types the field takes.
        expected: &'static str,
    },
    /// Writing a table failed (the message names what).
    #[error("cannot write Parquet: {0}")]
    Write(String),
}
