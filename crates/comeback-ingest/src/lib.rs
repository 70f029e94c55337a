//! # comeback-ingest
//!
//! Reads transaction files (CSV, TSV, semicolon- or whitespace-separated text) into
//! [`comeback_core`] rows, strictly: a row that cannot be read is an error naming the file,
//! line, column, the raw value and what was expected — or, with `skip_invalid`, a rejects
//! record — never a silent loss.
//!
//! Principal types:
//! - [`IngestOptions`]: column mapping, delimiter, header, date/amount formats, time zone,
//!   refund policy.
//! - [`TransactionRow`]: one accepted row, handed to the caller's sink.
//! - [`IngestReport`]: what was read: the mapping chosen, counts, rejects.
//! - [`IngestError`]: a typed error carrying file, line, column and value.
//!
//! (Contract written first so that the CLI can be built beside it; see `read_transactions`.)

// PLACEHOLDER: the ingest implementation lands here.
