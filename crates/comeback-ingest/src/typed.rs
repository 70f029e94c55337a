//! Typed, columnar sources (Parquet): the same column mapping, value parsers, row policy
//! (rejects, de-duplication, refunds) and report as text files, for a reader that brings
//! its own typed values.
//!
//! A typed source maps its column names with [`TransactionReader::typed`], converts each
//! row's values itself where they are typed (a `DATE` column is a [`Day`] already) or
//! with [`TypedIngest::parse_date`] / [`TypedIngest::parse_amount`] where they are text,
//! and hands the result to [`TypedIngest::push`]. Errors are the text reader's:
//! [`RowError`](crate::RowError) with the file, the row (in [`RowError::line`](crate::RowError::line):
//! the 1-based data row for a typed source, which has no lines), the column and the value.

use crate::amount::AmountParser;
use crate::date::DateParser;
use crate::error::{ColumnLabel, IngestError, RowProblem};
use crate::mapping::{FieldSpec, MappedColumn, resolve};
use crate::options::{Delimiter, IngestOptions};
use crate::synonyms::TRANSACTION_SYNONYMS;
use crate::transactions::{
    IngestReport, Progress, State, TransactionReader, TransactionRow, amount_problem,
};
use chrono_tz::Tz;
use comeback_core::{Amount, Day};
use rustc_hash::FxHashSet;
use std::error::Error as StdError;

/// Why a row of a typed source cannot be used: the column (when one field is at fault)
/// and the problem, as in the text reader.
pub type RowFailure = (Option<ColumnLabel>, RowProblem);

/// One read of a typed source, started by [`TransactionReader::typed`]; rows go in with
/// [`push`](Self::push), the report comes out of [`finish`](Self::finish).
pub struct TypedIngest<'a, 'cb> {
    reader: &'a mut TransactionReader<'cb>,
    st: State<'a>,
    bytes: u64,
}

impl std::fmt::Debug for TypedIngest<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedIngest")
            .field("file", &self.st.file)
            .field("columns", &self.st.report.columns)
            .finish_non_exhaustive()
    }
}

impl<'cb> TransactionReader<'cb> {
    /// Starts reading a typed source named `name` whose columns are called `header` (in
    /// order): maps the fields from the column options or the synonym table exactly as for
    /// a text file with a header.
    ///
    /// # Errors
    /// [`IngestError::Options`] for an invalid date format or currency,
    /// [`IngestError::Mapping`] when the columns cannot be found.
    pub fn typed<'a>(
        &'a mut self,
        name: &'a str,
        header: Vec<String>,
    ) -> Result<TypedIngest<'a, 'cb>, IngestError> {
        let opts = &self.options;
        let date =
            DateParser::new(&opts.date_format, opts.timezone).map_err(IngestError::Options)?;
        IngestOptions::validate_currency(&opts.currency).map_err(IngestError::Options)?;
        let syn = |k: usize| [&TRANSACTION_SYNONYMS[k]];
        let (s0, s1, s2, s3, s4) = (syn(0), syn(1), syn(2), syn(4), syn(3));
        let c = &opts.columns;
        let specs = [
            FieldSpec {
                field: "customer",
                explicit: c.customer.as_ref(),
                synonyms: &s0,
                required: true,
            },
            FieldSpec {
                field: "date",
                explicit: c.date.as_ref(),
                synonyms: &s1,
                required: true,
            },
            FieldSpec {
                field: "amount",
                explicit: c.amount.as_ref(),
                synonyms: &s2,
                required: false,
            },
            FieldSpec {
                field: "transaction_id",
                explicit: c.transaction_id.as_ref(),
                synonyms: &s3,
                required: false,
            },
            FieldSpec {
                field: "quantity",
                explicit: c.quantity.as_ref(),
                synonyms: &s4,
                required: false,
            },
        ];
        let mapping = resolve(&specs, Some(&header[..]), header.len()).map_err(|source| {
            IngestError::Mapping {
                file: name.to_string(),
                source,
            }
        })?;
        let col = |i: usize| mapping[i].as_ref().map(|m| (m.index, m.label()));
        let st = State {
            file: name,
            delimiter: b',',
            nfields: header.len(),
            customer: col(0).unwrap_or((0, ColumnLabel::Position(1))),
            date_col: col(1).unwrap_or((0, ColumnLabel::Position(1))),
            amount_col: col(2),
            tid_col: col(3),
            qty_col: col(4),
            date,
            amount: AmountParser::new(opts.decimal, opts.currency.clone()),
            refunds: opts.refunds,
            skip_invalid: opts.skip_invalid,
            seen: FxHashSet::default(),
            report: IngestReport {
                file: name.to_string(),
                delimiter: Delimiter::Auto,
                header: Some(header),
                columns: mapping.iter().flatten().cloned().collect(),
                date_format: String::new(),
                timezone: opts.timezone,
                decimal: opts.decimal,
                currency: opts.currency.clone(),
                currency_symbol: None,
                refunds: opts.refunds,
                rows_read: 0,
                rows_accepted: 0,
                rows_rejected: 0,
                refund_rows: 0,
                refund_total: Amount::default(),
                duplicate_rows: 0,
                bytes_read: 0,
                day_range: None,
                rejects: Vec::new(),
            },
        };
        Ok(TypedIngest {
            reader: self,
            st,
            bytes: 0,
        })
    }
}

impl TypedIngest<'_, '_> {
    /// The column of a field (`"customer"`, `"date"`, `"amount"`, `"transaction_id"`,
    /// `"quantity"`), as mapped.
    pub fn column(&self, field: &str) -> Option<&MappedColumn> {
        self.st.report.column(field)
    }

    /// The options of the read.
    pub fn options(&self) -> &IngestOptions {
        &self.reader.options
    }

    /// The business time zone option.
    pub fn timezone(&self) -> Option<Tz> {
        self.reader.options.timezone
    }

    /// The problem of a missing (null) date, as the text reader words it.
    pub fn missing_date(&self) -> RowProblem {
        RowProblem::Missing {
            what: "a date",
            expected: self.st.date.expected(),
        }
    }

    /// The problem of a missing (null) amount, as the text reader words it.
    pub fn missing_amount(&self) -> RowProblem {
        RowProblem::Missing {
            what: "an amount",
            expected: self.st.amount.decimal.short_example().to_string(),
        }
    }

    /// Parses a date or timestamp written as text with the date format option (automatic
    /// detection included), as the text reader does.
    ///
    /// # Errors
    /// The text reader's problem for an empty or unparseable value.
    pub fn parse_date(&mut self, s: &str) -> Result<Day, RowProblem> {
        let s = s.trim();
        if s.is_empty() {
            return Err(self.missing_date());
        }
        self.st
            .date
            .parse(s)
            .ok_or_else(|| RowProblem::Unparseable {
                value: s.to_string(),
                what: "a date",
                expected: self.st.date.expected(),
            })
    }

    /// Parses an amount written as text (decimal mark, currency symbols, signs) as the text
    /// reader does; `row` is the 1-based row, remembered for the first currency symbol.
    ///
    /// # Errors
    /// The text reader's problem for an empty or unparseable value.
    pub fn parse_amount(&mut self, s: &str, row: u64) -> Result<Amount, RowProblem> {
        let s = s.trim();
        if s.is_empty() {
            return Err(self.missing_amount());
        }
        self.st
            .amount
            .parse(s, row)
            .map_err(|p| amount_problem(p, s, &self.st.amount))
    }

    /// Records how far the source got, in bytes (for the progress callback and the
    /// report).
    pub fn set_bytes(&mut self, bytes: u64) {
        self.bytes = bytes;
    }

    /// Hands one data row (its 1-based number `row`, and its values or why they cannot be
    /// used) to the row policy: a failure stops the read or, with `skip_invalid`, becomes a
    /// [`Reject`](crate::Reject) whose text is `raw()`; then de-duplication, refunds and
    /// counts as for text files, and accepted rows go to `sink`.
    ///
    /// # Errors
    /// [`IngestError::Row`] for a bad row (without `skip_invalid`), [`IngestError::Sink`]
    /// when the sink or the reject callback fails.
    pub fn push<F, E>(
        &mut self,
        row: u64,
        parsed: Result<TransactionRow<'_>, RowFailure>,
        raw: impl FnOnce() -> String,
        sink: &mut F,
    ) -> Result<(), IngestError>
    where
        F: FnMut(TransactionRow<'_>) -> Result<(), E>,
        E: Into<Box<dyn StdError + Send + Sync>>,
    {
        self.st
            .accept(row, parsed, raw, sink, &mut self.reader.reject)?;
        if self
            .st
            .report
            .rows_read
            .is_multiple_of(self.reader.progress_every)
            && let Some(p) = &mut self.reader.progress
        {
            p(Progress {
                bytes: self.bytes,
                rows: self.st.report.rows_read,
            });
        }
        Ok(())
    }

    /// Ends the read: the report, with `date_format` describing the date column when it
    /// was typed (`None`: the text date format used).
    pub fn finish(self, date_format: Option<String>) -> IngestReport {
        let mut report = self.st.report;
        report.bytes_read = self.bytes;
        report.date_format = date_format.unwrap_or_else(|| self.st.date.describe());
        report.currency_symbol = self.st.amount.symbol.map(|(s, _)| s);
        if let Some(p) = &mut self.reader.progress {
            p(Progress {
                bytes: report.bytes_read,
                rows: report.rows_read,
            });
        }
        report
    }
}
