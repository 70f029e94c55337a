//! The transaction reader.

use crate::amount::{AmountParser, AmountProblem, DecimalMark};
use crate::date::DateParser;
use crate::error::{ColumnLabel, IngestError, RowError, RowProblem};
use crate::mapping::{FieldSpec, MappedColumn, map_first_line};
use crate::options::{Delimiter, IngestOptions, RefundPolicy};
use crate::source::{Rec, Source};
use crate::synonyms::TRANSACTION_SYNONYMS;
use chrono_tz::Tz;
use comeback_core::{Amount, AmountError, Day};
use rustc_hash::FxHashSet;
use std::error::Error as StdError;
use std::io::{self, Read};
use std::path::Path;

/// One accepted row, borrowed from the reader's buffer: copy what you keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionRow<'a> {
    /// The customer id, trimmed, never reformatted.
    pub customer: &'a str,
    /// The business-local calendar day.
    pub day: Day,
    /// The amount (0 when the file has no amount column; negative only with
    /// [`RefundPolicy::Net`]).
    pub amount: Amount,
    /// The quantity, when there is a quantity column and the field is not empty.
    pub quantity: Option<i64>,
    /// The transaction id, when there is such a column and the field is not empty.
    pub transaction_id: Option<&'a str>,
    /// 1-based physical line where the row starts.
    pub line: u64,
}

/// How far the reader got; handed to the progress callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Bytes consumed from the input.
    pub bytes: u64,
    /// Data rows read (accepted or not).
    pub rows: u64,
}

/// A rejected row (with `skip_invalid`): what a rejects file needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// 1-based physical line where the row starts.
    pub line: u64,
    /// The row's text: the line as read (whitespace mode) or its fields re-joined with the
    /// delimiter, quoted where needed (CSV modes).
    pub raw: String,
    /// Why it was rejected.
    pub error: RowError,
}

/// What a read did: the choices made and the row counts. Every data row is exactly one of
/// accepted, rejected, duplicate or excluded refund:
/// `rows_read == rows_accepted + rows_rejected + duplicate_rows + excluded refunds`.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestReport {
    /// The input's display name.
    pub file: String,
    /// The delimiter used (never [`Delimiter::Auto`]).
    pub delimiter: Delimiter,
    /// Header names, when line 1 was a header.
    pub header: Option<Vec<String>>,
    /// The column of each field found, in the order customer, date, amount,
    /// transaction_id, quantity (absent optional fields are left out).
    pub columns: Vec<MappedColumn>,
    /// The date format used (detected in automatic mode).
    pub date_format: String,
    /// The time zone option.
    pub timezone: Option<Tz>,
    /// The decimal mark.
    pub decimal: DecimalMark,
    /// The currency option (ISO 4217).
    pub currency: Option<String>,
    /// The currency symbol or code seen in amounts, if any.
    pub currency_symbol: Option<String>,
    /// The refund policy.
    pub refunds: RefundPolicy,
    /// Data rows read (the header excluded).
    pub rows_read: u64,
    /// Rows passed to the sink.
    pub rows_accepted: u64,
    /// Rows rejected (only with `skip_invalid`).
    pub rows_rejected: u64,
    /// Rows with a negative amount (excluded, or passed on with [`RefundPolicy::Net`]).
    pub refund_rows: u64,
    /// Sum of those negative amounts.
    pub refund_total: Amount,
    /// Rows dropped because their transaction id was seen before.
    pub duplicate_rows: u64,
    /// Bytes consumed.
    pub bytes_read: u64,
    /// First and last day of the accepted rows.
    pub day_range: Option<(Day, Day)>,
    /// The rejected rows, when no reject callback was set (grows with bad rows only).
    pub rejects: Vec<Reject>,
}

impl IngestReport {
    /// The column of a field (`"customer"`, `"date"`, `"amount"`, `"transaction_id"`,
    /// `"quantity"`).
    pub fn column(&self, field: &str) -> Option<&MappedColumn> {
        self.columns.iter().find(|c| c.field == field)
    }

    /// Negative-amount rows that were not passed on ([`RefundPolicy::Exclude`]).
    pub fn excluded_refunds(&self) -> u64 {
        match self.refunds {
            RefundPolicy::Exclude => self.refund_rows,
            RefundPolicy::Net => 0,
        }
    }

    /// The amount column; `None` means the file has none and every amount is 0.
    pub fn amount_column(&self) -> Option<&MappedColumn> {
        self.column("amount")
    }

    /// The mapping in one line per field, for the CLI:
    /// `customer ← "customer_id" (column 1, synonym)`; a missing amount column says so.
    pub fn mapping_lines(&self) -> Vec<String> {
        let mut v: Vec<String> = self.columns.iter().map(ToString::to_string).collect();
        if self.amount_column().is_none() {
            v.push("amount ← none: no amount column, every amount is 0".to_string());
        }
        v
    }
}

type ProgressFn<'cb> = Box<dyn FnMut(Progress) + 'cb>;
pub(crate) type RejectFn<'cb> = Box<dyn FnMut(Reject) -> io::Result<()> + 'cb>;

/// The transaction reader: options plus optional progress and reject callbacks.
///
/// ```
/// use comeback_ingest::{IngestOptions, TransactionReader};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let data = "customer,date,amount\nc1,2024-01-02,10.50\n";
/// let mut rows = 0;
/// let report = TransactionReader::new(IngestOptions::default())
///     .on_progress(|p| eprintln!("{} bytes", p.bytes))
///     .read(data.as_bytes(), "mem.csv", |row| {
///         rows += 1;
///         Ok::<_, std::convert::Infallible>(())
///     })?;
/// assert_eq!((rows, report.rows_accepted), (1, 1));
/// # Ok(()) }
/// ```
pub struct TransactionReader<'cb> {
    pub(crate) options: IngestOptions,
    pub(crate) progress: Option<ProgressFn<'cb>>,
    pub(crate) reject: Option<RejectFn<'cb>>,
    pub(crate) progress_every: u64,
}

impl std::fmt::Debug for TransactionReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactionReader")
            .field("options", &self.options)
            .field("progress", &self.progress.is_some())
            .field("reject", &self.reject.is_some())
            .finish()
    }
}

impl<'cb> TransactionReader<'cb> {
    /// A reader with these options and no callbacks.
    pub fn new(options: IngestOptions) -> Self {
        TransactionReader {
            options,
            progress: None,
            reject: None,
            progress_every: 1 << 16,
        }
    }

    /// Calls `f` every 65,536 rows (see [`progress_interval`](Self::progress_interval)) and
    /// once at the end.
    pub fn on_progress(mut self, f: impl FnMut(Progress) + 'cb) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// Calls the progress callback every `rows` rows (default 65,536; at least 1).
    pub fn progress_interval(mut self, rows: u64) -> Self {
        self.progress_every = rows.max(1);
        self
    }

    /// With `skip_invalid`, hands each rejected row to `f` (e.g. a rejects-file writer)
    /// instead of collecting it in [`IngestReport::rejects`]. An error from `f` stops the
    /// read.
    pub fn on_reject(mut self, f: impl FnMut(Reject) -> io::Result<()> + 'cb) -> Self {
        self.reject = Some(Box::new(f));
        self
    }

    /// The options.
    pub fn options(&self) -> &IngestOptions {
        &self.options
    }

    /// Opens and reads a file; its path as given is the display name.
    ///
    /// # Errors
    /// As [`read`](Self::read), plus the error of opening the file.
    pub fn read_path<F, E>(&mut self, path: &Path, sink: F) -> Result<IngestReport, IngestError>
    where
        F: FnMut(TransactionRow<'_>) -> Result<(), E>,
        E: Into<Box<dyn StdError + Send + Sync>>,
    {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| IngestError::Io {
            file: name.clone(),
            source,
        })?;
        self.read(file, &name, sink)
    }

    /// Reads `input` (named `name` in messages) and calls `sink` once per accepted row, in
    /// file order. Memory: the reader's 1 MiB buffer, plus, with a transaction id column,
    /// every distinct id (its length + about 40 bytes), plus the rejects when collected in
    /// the report.
    ///
    /// # Errors
    /// [`IngestError::Row`] for the first bad row (without `skip_invalid`),
    /// [`IngestError::Mapping`] when the columns cannot be found, [`IngestError::Io`],
    /// [`IngestError::Options`], [`IngestError::Empty`], and [`IngestError::Sink`] when the
    /// sink or the reject callback fails.
    pub fn read<R, F, E>(
        &mut self,
        input: R,
        name: &str,
        mut sink: F,
    ) -> Result<IngestReport, IngestError>
    where
        R: Read,
        F: FnMut(TransactionRow<'_>) -> Result<(), E>,
        E: Into<Box<dyn StdError + Send + Sync>>,
    {
        let opts = &self.options;
        let date =
            DateParser::new(&opts.date_format, opts.timezone).map_err(IngestError::Options)?;
        IngestOptions::validate_currency(&opts.currency).map_err(IngestError::Options)?;
        let io_err = |source| IngestError::Io {
            file: name.to_string(),
            source,
        };
        let (mut src, delimiter) = Source::open(input, opts.delimiter).map_err(io_err)?;
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
        let first = src
            .next()
            .map_err(io_err)?
            .ok_or_else(|| IngestError::Empty {
                file: name.to_string(),
            })?;
        let (first_fields, header, mapping) =
            map_first_line(&first, name, opts.header, &specs, Some(1), &|v| {
                date.parses(v)
            })?;
        let col = |i: usize| mapping[i].as_ref().map(|m| (m.index, m.label()));
        let mut st = State {
            file: name,
            delimiter: match delimiter {
                Delimiter::Byte(b) => b,
                _ => b' ',
            },
            nfields: first_fields.len(),
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
                delimiter,
                header: header.then(|| first_fields.clone()),
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
        if !header {
            st.row(&first, &mut sink, &mut self.reject)?;
        }
        let every = self.progress_every;
        loop {
            let Some(rec) = src.next().map_err(io_err)? else {
                break;
            };
            st.row(&rec, &mut sink, &mut self.reject)?;
            if st.report.rows_read.is_multiple_of(every)
                && let Some(p) = &mut self.progress
            {
                p(Progress {
                    bytes: src.bytes(),
                    rows: st.report.rows_read,
                });
            }
        }
        let mut report = st.report;
        report.bytes_read = src.bytes();
        report.date_format = st.date.describe();
        report.currency_symbol = st.amount.symbol.map(|(s, _)| s);
        if let Some(p) = &mut self.progress {
            p(Progress {
                bytes: report.bytes_read,
                rows: report.rows_read,
            });
        }
        Ok(report)
    }
}

/// Reads transactions with `options` and no callbacks; see [`TransactionReader::read`].
///
/// # Errors
/// As [`TransactionReader::read`].
pub fn read_transactions<R, F, E>(
    input: R,
    name: &str,
    options: &IngestOptions,
    sink: F,
) -> Result<IngestReport, IngestError>
where
    R: Read,
    F: FnMut(TransactionRow<'_>) -> Result<(), E>,
    E: Into<Box<dyn StdError + Send + Sync>>,
{
    TransactionReader::new(options.clone()).read(input, name, sink)
}

pub(crate) struct State<'n> {
    pub(crate) file: &'n str,
    pub(crate) delimiter: u8,
    pub(crate) nfields: usize,
    pub(crate) customer: (usize, ColumnLabel),
    pub(crate) date_col: (usize, ColumnLabel),
    pub(crate) amount_col: Option<(usize, ColumnLabel)>,
    pub(crate) tid_col: Option<(usize, ColumnLabel)>,
    pub(crate) qty_col: Option<(usize, ColumnLabel)>,
    pub(crate) date: DateParser,
    pub(crate) amount: AmountParser,
    pub(crate) refunds: RefundPolicy,
    pub(crate) skip_invalid: bool,
    pub(crate) seen: FxHashSet<Box<[u8]>>,
    pub(crate) report: IngestReport,
}

pub(crate) type Bad = (Option<ColumnLabel>, RowProblem);

#[inline]
pub(crate) fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

#[inline]
pub(crate) fn text<'a>(b: &'a [u8], label: &ColumnLabel) -> Result<&'a str, Bad> {
    std::str::from_utf8(b).map_err(|_| {
        (
            Some(label.clone()),
            RowProblem::InvalidUtf8 {
                value: b.escape_ascii().to_string(),
            },
        )
    })
}

impl State<'_> {
    fn row<F, E>(
        &mut self,
        rec: &Rec<'_>,
        sink: &mut F,
        reject: &mut Option<RejectFn<'_>>,
    ) -> Result<(), IngestError>
    where
        F: FnMut(TransactionRow<'_>) -> Result<(), E>,
        E: Into<Box<dyn StdError + Send + Sync>>,
    {
        let parsed = self.parse(rec);
        let delimiter = self.delimiter;
        self.accept(rec.line, parsed, || rec.raw(delimiter), sink, reject)
    }

    /// Counts one data row and applies the row policy to its parse result: an error stops
    /// the read or becomes a reject; de-duplication by transaction id, the refund policy and
    /// the counts follow; accepted rows go to `sink`. Shared by the text reader and the
    /// typed sources ([`crate::typed`]).
    pub(crate) fn accept<F, E>(
        &mut self,
        line: u64,
        parsed: Result<TransactionRow<'_>, Bad>,
        raw: impl FnOnce() -> String,
        sink: &mut F,
        reject: &mut Option<RejectFn<'_>>,
    ) -> Result<(), IngestError>
    where
        F: FnMut(TransactionRow<'_>) -> Result<(), E>,
        E: Into<Box<dyn StdError + Send + Sync>>,
    {
        self.report.rows_read += 1;
        let row = match parsed {
            Ok(r) => r,
            Err((column, problem)) => {
                let error = RowError {
                    file: self.file.to_string(),
                    line,
                    column,
                    problem,
                };
                if !self.skip_invalid {
                    return Err(error.into());
                }
                self.report.rows_rejected += 1;
                let r = Reject {
                    line,
                    raw: raw(),
                    error,
                };
                return match reject {
                    Some(f) => f(r).map_err(|e| IngestError::Sink {
                        file: self.file.to_string(),
                        line,
                        source: Box::new(e),
                    }),
                    None => {
                        self.report.rejects.push(r);
                        Ok(())
                    }
                };
            }
        };
        if let Some(id) = row.transaction_id {
            if self.seen.contains(id.as_bytes()) {
                self.report.duplicate_rows += 1;
                return Ok(());
            }
            self.seen.insert(id.as_bytes().into());
        }
        if row.amount.is_negative() {
            self.report.refund_rows += 1;
            self.report.refund_total = Amount::from_micros(
                self.report
                    .refund_total
                    .micros()
                    .saturating_add(row.amount.micros()),
            );
            if self.refunds == RefundPolicy::Exclude {
                return Ok(());
            }
        }
        self.report.rows_accepted += 1;
        self.report.day_range = Some(match self.report.day_range {
            None => (row.day, row.day),
            Some((a, b)) => (a.min(row.day), b.max(row.day)),
        });
        sink(row).map_err(|e| IngestError::Sink {
            file: self.file.to_string(),
            line,
            source: e.into(),
        })
    }

    #[inline]
    fn parse<'r>(&mut self, rec: &Rec<'r>) -> Result<TransactionRow<'r>, Bad> {
        let line = rec.line;
        if rec.len() != self.nfields {
            return Err((
                None,
                RowProblem::FieldCount {
                    delimiter: self.report.delimiter,
                    expected: self.nfields,
                    found: rec.len(),
                },
            ));
        }
        let field = |i: usize| trim(rec.get(i).unwrap_or_default());
        // Customer.
        let (ci, cl) = &self.customer;
        let c = field(*ci);
        if c.is_empty() {
            return Err((Some(cl.clone()), RowProblem::EmptyCustomer));
        }
        let customer = text(c, cl)?;
        // Date.
        let (di, dl) = &self.date_col;
        let d = field(*di);
        if d.is_empty() {
            return Err((
                Some(dl.clone()),
                RowProblem::Missing {
                    what: "a date",
                    expected: self.date.expected(),
                },
            ));
        }
        let ds = text(d, dl)?;
        let Some(day) = self.date.parse(ds) else {
            return Err((
                Some(dl.clone()),
                RowProblem::Unparseable {
                    value: ds.to_string(),
                    what: "a date",
                    expected: self.date.expected(),
                },
            ));
        };
        // Amount.
        let amount = match &self.amount_col {
            None => Amount::default(),
            Some((ai, al)) => {
                let a = field(*ai);
                if a.is_empty() {
                    return Err((
                        Some(al.clone()),
                        RowProblem::Missing {
                            what: "an amount",
                            expected: self.amount.decimal.short_example().to_string(),
                        },
                    ));
                }
                let s = text(a, al)?;
                self.amount
                    .parse(s, line)
                    .map_err(|p| (Some(al.clone()), amount_problem(p, s, &self.amount)))?
            }
        };
        // Transaction id and quantity.
        let transaction_id = match &self.tid_col {
            None => None,
            Some((ti, tl)) => {
                let t = field(*ti);
                if t.is_empty() {
                    None
                } else {
                    Some(text(t, tl)?)
                }
            }
        };
        let quantity = match &self.qty_col {
            None => None,
            Some((qi, ql)) => {
                let q = field(*qi);
                if q.is_empty() {
                    None
                } else {
                    let s = text(q, ql)?;
                    Some(s.parse::<i64>().map_err(|_| {
                        (
                            Some(ql.clone()),
                            RowProblem::Unparseable {
                                value: s.to_string(),
                                what: "a quantity",
                                expected: "expected a whole number".to_string(),
                            },
                        )
                    })?)
                }
            }
        };
        Ok(TransactionRow {
            customer,
            day,
            amount,
            quantity,
            transaction_id,
            line,
        })
    }
}

pub(crate) fn amount_problem(p: AmountProblem, value: &str, parser: &AmountParser) -> RowProblem {
    let value = value.to_string();
    match p {
        AmountProblem::Syntax => RowProblem::Unparseable {
            value,
            what: "an amount",
            expected: parser.decimal.example().to_string(),
        },
        AmountProblem::Exact(e) => RowProblem::Unparseable {
            value,
            what: "an amount",
            expected: match e {
                AmountError::TooPrecise => "more than 6 decimal places".to_string(),
                AmountError::Overflow => "out of range, more than 9.2e12".to_string(),
            },
        },
        AmountProblem::MixedSymbol { first, first_line } => RowProblem::MixedCurrency {
            value,
            first,
            first_line,
        },
        AmountProblem::WrongCurrency { code } => RowProblem::WrongCurrency {
            value,
            found: code,
            expected: parser.currency.clone().unwrap_or_default(),
        },
    }
}
