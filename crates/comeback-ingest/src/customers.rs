//! The customers attributes file: one row per customer with id, first-seen date, loyalty
//! membership, location, language and any other columns as attributes.

use crate::date::{DateFormat, DateParser};
use crate::error::{ColumnLabel, IngestError, RowError, RowProblem};
use crate::mapping::{FieldSpec, MappedColumn, map_first_line};
use crate::options::{ColumnRef, Delimiter, HeaderMode};
use crate::source::{Rec, Source};
use crate::synonyms::{CUSTOMER_SYNONYMS, TRANSACTION_SYNONYMS};
use crate::transactions::{Reject, text, trim};
use chrono_tz::Tz;
use comeback_core::Day;
use rustc_hash::FxHashMap;
use std::error::Error as StdError;
use std::io::Read;

/// Which column holds which customer field; `None` = recognise from the header (the id with
/// the transaction `customer` names, the others with [`CUSTOMER_SYNONYMS`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerColumns {
    /// The customer id (required).
    pub id: Option<ColumnRef>,
    /// The first-seen (sign-up, first purchase) date.
    pub first_seen: Option<ColumnRef>,
    /// Loyalty membership: `yes/no`, `true/false`, `1/0`, `x`/empty and their Spanish,
    /// Portuguese, Finnish, German and French words.
    pub loyalty: Option<ColumnRef>,
    /// Location (store, city, branch).
    pub location: Option<ColumnRef>,
    /// Language.
    pub language: Option<ColumnRef>,
}

/// Options of [`read_customers`]; the same meaning as in
/// [`IngestOptions`](crate::IngestOptions).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerOptions {
    /// Field separator.
    pub delimiter: Delimiter,
    /// Header line (needed to name attributes; without one they are named `column N`).
    pub header: HeaderMode,
    /// Column mapping.
    pub columns: CustomerColumns,
    /// Date format of the first-seen column.
    pub date_format: DateFormat,
    /// Time zone for timestamps with an offset.
    pub timezone: Option<Tz>,
    /// Collect bad rows in the report instead of stopping.
    pub skip_invalid: bool,
}

/// One customer row, borrowed from the reader's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRecord<'a> {
    /// The customer id, trimmed.
    pub id: &'a str,
    /// First-seen day, if the column exists and the field is not empty.
    pub first_seen: Option<Day>,
    /// Loyalty membership, if the column exists and the field is not empty.
    pub loyalty: Option<bool>,
    /// Location, if present and not empty.
    pub location: Option<&'a str>,
    /// Language, if present and not empty.
    pub language: Option<&'a str>,
    /// The other columns as (header name, trimmed value), in file order. (One small vector
    /// per customer row: customer files are read once and are small next to transaction
    /// logs.)
    pub attributes: Vec<(&'a str, &'a str)>,
    /// 1-based line.
    pub line: u64,
}

/// What [`read_customers`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerReport {
    /// The input's display name.
    pub file: String,
    /// The delimiter used.
    pub delimiter: Delimiter,
    /// Header names, when line 1 was a header.
    pub header: Option<Vec<String>>,
    /// The column of each field found.
    pub columns: Vec<MappedColumn>,
    /// Names of the attribute columns.
    pub attribute_columns: Vec<String>,
    /// The first-seen date format used.
    pub date_format: String,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows passed to the sink.
    pub rows_accepted: u64,
    /// Rows rejected (with `skip_invalid`), listed in `rejects`.
    pub rows_rejected: u64,
    /// The rejected rows.
    pub rejects: Vec<Reject>,
}

const LOYALTY_YES: &[&str] = &[
    "yes", "y", "true", "t", "1", "x", "si", "sí", "s", "sim", "kyllä", "kylla", "k", "ja", "j",
    "oui",
];
const LOYALTY_NO: &[&str] = &[
    "no", "n", "false", "f", "0", "não", "nao", "ei", "e", "nein", "non", "-",
];

fn loyalty(s: &str) -> Option<bool> {
    let l = s.to_lowercase();
    if LOYALTY_YES.contains(&l.as_str()) {
        Some(true)
    } else if LOYALTY_NO.contains(&l.as_str()) {
        Some(false)
    } else {
        None
    }
}

/// Reads a customers file and calls `sink` once per customer. A repeated customer id is a
/// row error. Memory: the ids seen (to find repeats) and the rejects.
///
/// ```
/// use comeback_ingest::{CustomerOptions, read_customers};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let data = "asiakas,liittymispäivä,kanta_asiakas,kaupunki,segment\n7,2024-01-02,kyllä,Oulu,b\n";
/// let mut seen = Vec::new();
/// read_customers(data.as_bytes(), "asiakkaat.csv", &CustomerOptions::default(), |c| {
///     seen.push((c.id.to_string(), c.loyalty, c.location.map(str::to_string), c.attributes.len()));
///     Ok::<_, std::convert::Infallible>(())
/// })?;
/// assert_eq!(seen, [("7".to_string(), Some(true), Some("Oulu".to_string()), 1)]);
/// # Ok(()) }
/// ```
///
/// # Errors
/// As [`TransactionReader::read`](crate::TransactionReader::read).
pub fn read_customers<R, F, E>(
    input: R,
    name: &str,
    options: &CustomerOptions,
    mut sink: F,
) -> Result<CustomerReport, IngestError>
where
    R: Read,
    F: FnMut(CustomerRecord<'_>) -> Result<(), E>,
    E: Into<Box<dyn StdError + Send + Sync>>,
{
    let mut date =
        DateParser::new(&options.date_format, options.timezone).map_err(IngestError::Options)?;
    let io_err = |source| IngestError::Io {
        file: name.to_string(),
        source,
    };
    let (mut src, delimiter) = Source::open(input, options.delimiter).map_err(io_err)?;
    let ids = [&TRANSACTION_SYNONYMS[0]];
    let (s1, s2, s3, s4) = (
        [&CUSTOMER_SYNONYMS[0]],
        [&CUSTOMER_SYNONYMS[1]],
        [&CUSTOMER_SYNONYMS[2]],
        [&CUSTOMER_SYNONYMS[3]],
    );
    let c = &options.columns;
    let specs = [
        FieldSpec {
            field: "id",
            explicit: c.id.as_ref(),
            synonyms: &ids,
            required: true,
        },
        FieldSpec {
            field: "first_seen",
            explicit: c.first_seen.as_ref(),
            synonyms: &s1,
            required: false,
        },
        FieldSpec {
            field: "loyalty",
            explicit: c.loyalty.as_ref(),
            synonyms: &s2,
            required: false,
        },
        FieldSpec {
            field: "location",
            explicit: c.location.as_ref(),
            synonyms: &s3,
            required: false,
        },
        FieldSpec {
            field: "language",
            explicit: c.language.as_ref(),
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
        map_first_line(&first, name, options.header, &specs, Some(1), &|v| {
            date.parses(v)
        })?;
    let used: Vec<usize> = mapping.iter().flatten().map(|m| m.index).collect();
    let attr_cols: Vec<(usize, String)> = (0..first_fields.len())
        .filter(|i| !used.contains(i))
        .map(|i| {
            let n = if header {
                first_fields[i].clone()
            } else {
                format!("column {}", i + 1)
            };
            (i, n)
        })
        .collect();
    let cols: Vec<Option<(usize, ColumnLabel)>> = mapping
        .iter()
        .map(|m| m.as_ref().map(|m| (m.index, m.label())))
        .collect();
    let labels: Vec<ColumnLabel> = (0..first_fields.len())
        .map(|i| {
            if header {
                ColumnLabel::Name(first_fields[i].clone())
            } else {
                ColumnLabel::Position(i + 1)
            }
        })
        .collect();
    let mut report = CustomerReport {
        file: name.to_string(),
        delimiter,
        header: header.then(|| first_fields.clone()),
        columns: mapping.iter().flatten().cloned().collect(),
        attribute_columns: attr_cols.iter().map(|(_, n)| n.clone()).collect(),
        date_format: String::new(),
        rows_read: 0,
        rows_accepted: 0,
        rows_rejected: 0,
        rejects: Vec::new(),
    };
    let delim = match delimiter {
        Delimiter::Byte(b) => b,
        _ => b' ',
    };
    let mut seen: FxHashMap<Box<str>, u64> = FxHashMap::default();
    let nfields = first_fields.len();
    let mut handle = |rec: &Rec<'_>,
                      report: &mut CustomerReport,
                      date: &mut DateParser|
     -> Result<(), IngestError> {
        report.rows_read += 1;
        let layout = Layout {
            nfields,
            delimiter,
            cols: &cols,
            labels: &labels,
        };
        let parsed = parse_customer(rec, &layout, &attr_cols, date, &mut seen);
        match parsed {
            Ok(r) => {
                report.rows_accepted += 1;
                let line = r.line;
                sink(r).map_err(|e| IngestError::Sink {
                    file: name.to_string(),
                    line,
                    source: e.into(),
                })
            }
            Err((column, problem)) => {
                let error = RowError {
                    file: name.to_string(),
                    line: rec.line,
                    column,
                    problem,
                };
                if !options.skip_invalid {
                    return Err(error.into());
                }
                report.rows_rejected += 1;
                report.rejects.push(Reject {
                    line: rec.line,
                    raw: rec.raw(delim),
                    error,
                });
                Ok(())
            }
        }
    };
    if !header {
        handle(&first, &mut report, &mut date)?;
    }
    while let Some(rec) = src.next().map_err(io_err)? {
        handle(&rec, &mut report, &mut date)?;
    }
    report.date_format = date.describe();
    Ok(report)
}

type Bad = (Option<ColumnLabel>, RowProblem);

/// The file's shape, fixed by line 1.
struct Layout<'a> {
    nfields: usize,
    delimiter: Delimiter,
    cols: &'a [Option<(usize, ColumnLabel)>],
    labels: &'a [ColumnLabel],
}

fn parse_customer<'r>(
    rec: &Rec<'r>,
    layout: &Layout<'_>,
    attr_cols: &'r [(usize, String)],
    date: &mut DateParser,
    seen: &mut FxHashMap<Box<str>, u64>,
) -> Result<CustomerRecord<'r>, Bad> {
    let Layout {
        nfields,
        delimiter,
        cols,
        labels,
    } = *layout;
    if rec.len() != nfields {
        return Err((
            None,
            RowProblem::FieldCount {
                delimiter,
                expected: nfields,
                found: rec.len(),
            },
        ));
    }
    let get = |k: usize| -> Result<Option<&'r str>, Bad> {
        match &cols[k] {
            None => Ok(None),
            Some((i, l)) => {
                let f = trim(rec.get(*i).unwrap_or_default());
                if f.is_empty() {
                    Ok(None)
                } else {
                    text(f, l).map(Some)
                }
            }
        }
    };
    let label = |k: usize| cols[k].as_ref().map(|(_, l)| l.clone());
    let Some(id) = get(0)? else {
        return Err((label(0), RowProblem::EmptyCustomer));
    };
    if let Some(prev) = seen.get(id) {
        return Err((
            label(0),
            RowProblem::Unparseable {
                value: id.to_string(),
                what: "a new customer id",
                expected: format!("already on line {prev}"),
            },
        ));
    }
    seen.insert(id.into(), rec.line);
    let first_seen = match get(1)? {
        None => None,
        Some(s) => Some(date.parse(s).ok_or_else(|| {
            (
                label(1),
                RowProblem::Unparseable {
                    value: s.to_string(),
                    what: "a date",
                    expected: date.expected(),
                },
            )
        })?),
    };
    let loyalty = match get(2)? {
        None => None,
        Some(s) => Some(loyalty(s).ok_or_else(|| {
            (
                label(2),
                RowProblem::Unparseable {
                    value: s.to_string(),
                    what: "loyalty membership",
                    expected: "expected yes/no, true/false or 1/0".to_string(),
                },
            )
        })?),
    };
    let location = get(3)?;
    let language = get(4)?;
    let mut attributes = Vec::with_capacity(attr_cols.len());
    for (i, n) in attr_cols {
        let f = trim(rec.get(*i).unwrap_or_default());
        attributes.push((n.as_str(), text(f, &labels[*i])?));
    }
    Ok(CustomerRecord {
        id,
        first_seen,
        loyalty,
        location,
        language,
        attributes,
        line: rec.line,
    })
}
