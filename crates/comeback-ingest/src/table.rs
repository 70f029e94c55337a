//! Survey-like tables: a delimited file with a header row, read whole into memory, with
//! field parsers whose errors name the file, line, column and value.
//!
//! The transaction reader streams because purchase logs are large; survey responses,
//! ratings and similar files are small (a response per customer and occasion), so
//! [`read_table`] reads the input whole and keeps every row as owned strings: memory peaks
//! at about twice the file's size plus 24 bytes per field and 32 per row. Delimiter
//! detection, quoting and physical line numbers are those of the transaction reader.

use crate::amount::DecimalMark;
use crate::date::{DateFormat, DateParser};
use crate::error::{ColumnLabel, IngestError, MappingError, RowError, RowProblem};
use crate::options::Delimiter;
use crate::source::Source;
use crate::synonyms::normalize;
use chrono_tz::Tz;
use comeback_core::Day;
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;

/// Options of [`read_table`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TableOptions {
    /// Field separator ([`Delimiter::Auto`] detects `,` `;` tab or whitespace).
    pub delimiter: Delimiter,
    /// Format of the date columns read with [`Table::parse_day`]. In automatic mode each
    /// date column's format (`%Y-%m-%d`, `%Y%m%d` or an ISO 8601 timestamp) is fixed by its
    /// first non-blank value, as in the transaction reader.
    pub date_format: DateFormat,
    /// Time zone for timestamps with an offset (as in
    /// [`IngestOptions::timezone`](crate::IngestOptions::timezone)).
    pub timezone: Option<Tz>,
    /// Decimal mark of [`Table::parse_number`] and [`Table::parse_score`]: with
    /// [`DecimalMark::Comma`], `7,5` is seven and a half.
    pub decimal: DecimalMark,
}

/// One data row: the trimmed fields, as many as the header has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    /// 1-based physical line where the row starts.
    pub line: u64,
    /// The fields, trimmed of ASCII blanks, in header order.
    pub fields: Vec<String>,
}

impl TableRow {
    /// The field in column `col` (0-based), or `""` beyond the row.
    pub fn get(&self, col: usize) -> &str {
        self.fields.get(col).map_or("", String::as_str)
    }
}

/// A delimited file with a header row, held in memory.
#[derive(Debug)]
pub struct Table {
    /// The input's display name (used in every error message).
    pub name: String,
    /// The header names, trimmed, in file order.
    pub headers: Vec<String>,
    /// The data rows, in file order (empty lines skipped).
    pub rows: Vec<TableRow>,
    /// The delimiter used (resolved when the option was [`Delimiter::Auto`]).
    pub delimiter: Delimiter,
    options: TableOptions,
    /// One date parser per column, created on first use (the automatic format is fixed per
    /// column by its first value).
    dates: Mutex<Vec<Option<DateParser>>>,
}

/// Reads a delimited file with a header row into memory.
///
/// ```
/// use comeback_ingest::{TableOptions, read_table};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let csv = "customer;Score;date\na;9;2025-03-01\nb;;2025-03-02\n";
/// let t = read_table(csv.as_bytes(), "responses.csv", &TableOptions::default())?;
/// let score = t.column("score")?;
/// assert_eq!(t.parse_score(&t.rows[0], score, 0.0, 10.0, true)?, Some(9.0));
/// assert_eq!(t.parse_score(&t.rows[1], score, 0.0, 10.0, true)?, None); // a non-response
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`IngestError::Io`] when reading fails, [`IngestError::Empty`] for an input without a
/// line, [`IngestError::Options`] for an invalid date format, and [`IngestError::Row`] for a
/// row with another number of fields than the header or with a field that is not UTF-8.
pub fn read_table<R: Read>(
    input: R,
    name: &str,
    options: &TableOptions,
) -> Result<Table, IngestError> {
    // Validate the date format before reading anything.
    DateParser::new(&options.date_format, options.timezone).map_err(IngestError::Options)?;
    let io_err = |source| IngestError::Io {
        file: name.to_string(),
        source,
    };
    let mut input = input;
    let mut data = Vec::new();
    input.read_to_end(&mut data).map_err(io_err)?;
    let delimiter = match options.delimiter {
        Delimiter::Auto => detect(&data).map_err(io_err)?,
        d => d,
    };
    let (mut src, delimiter) = Source::open(&data[..], delimiter).map_err(io_err)?;
    let mut headers = Vec::new();
    {
        let first = src
            .next()
            .map_err(io_err)?
            .ok_or_else(|| IngestError::Empty {
                file: name.to_string(),
            })?;
        for i in 0..first.len() {
            let f = first.get(i).unwrap_or_default().trim_ascii();
            let s = std::str::from_utf8(f).map_err(|_| RowError {
                file: name.to_string(),
                line: first.line,
                column: Some(ColumnLabel::Position(i + 1)),
                problem: RowProblem::InvalidUtf8 {
                    value: f.escape_ascii().to_string(),
                },
            })?;
            headers.push(s.trim_start_matches('\u{feff}').to_string());
        }
    }
    let mut rows = Vec::new();
    while let Some(rec) = src.next().map_err(io_err)? {
        if rec.len() != headers.len() {
            return Err(RowError {
                file: name.to_string(),
                line: rec.line,
                column: None,
                problem: RowProblem::FieldCount {
                    delimiter,
                    expected: headers.len(),
                    found: rec.len(),
                },
            }
            .into());
        }
        let mut fields = Vec::with_capacity(headers.len());
        for (i, h) in headers.iter().enumerate() {
            let f = rec.get(i).unwrap_or_default().trim_ascii();
            let s = std::str::from_utf8(f).map_err(|_| RowError {
                file: name.to_string(),
                line: rec.line,
                column: Some(ColumnLabel::Name(h.clone())),
                problem: RowProblem::InvalidUtf8 {
                    value: f.escape_ascii().to_string(),
                },
            })?;
            fields.push(s.to_string());
        }
        rows.push(TableRow {
            line: rec.line,
            fields,
        });
    }
    let ncols = headers.len();
    Ok(Table {
        name: name.to_string(),
        headers,
        rows,
        delimiter,
        options: options.clone(),
        dates: Mutex::new(vec![None; ncols]),
    })
}

/// The crate's detection on the first lines; when that finds no delimiter that splits every
/// line alike (a short or long row among them) but the header holds `,` `;` or tabs, the
/// one the header holds most often, so that the bad row is reported by line. A header
/// without `,` `;` tab or space is one column, read with CSV rules (tab-delimited) so that
/// `"9"` reads as `9` however the lines were detected.
fn detect(data: &[u8]) -> std::io::Result<Delimiter> {
    let (_, found) = Source::open(data, Delimiter::Auto)?;
    if found != Delimiter::Whitespace {
        return Ok(found);
    }
    let header = data
        .split(|&b| b == b'\n')
        .find(|l| !l.trim_ascii().is_empty());
    let header = header.unwrap_or_default();
    if !header
        .iter()
        .any(|&b| matches!(b, b',' | b';' | b'\t' | b' '))
    {
        // One column: read it with CSV rules (a byte no field of it holds) so that RFC 4180
        // quotes are stripped, as they would be with a comma.
        return Ok(Delimiter::Byte(b'\t'));
    }
    let best = [b',', b';', b'\t']
        .into_iter()
        .map(|d| (header.iter().filter(|&&b| b == d).count(), d))
        .max_by_key(|&(n, _)| n)
        .filter(|&(n, _)| n > 0);
    Ok(best.map_or(Delimiter::Whitespace, |(_, d)| Delimiter::Byte(d)))
}

/// Opens and reads the file at `path` with [`read_table`]; its display name is the path as
/// given.
///
/// # Errors
/// As [`read_table`]; [`IngestError::Io`] when the file cannot be opened.
pub fn read_table_path(path: &Path, options: &TableOptions) -> Result<Table, IngestError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| IngestError::Io {
        file: name.clone(),
        source,
    })?;
    read_table(file, &name, options)
}

impl Table {
    /// The 0-based index of the column named `name`: an exact match first, then a match
    /// ignoring case, accents, spaces, `_`, `-`, `.`, `/` and `#` (see
    /// [`normalize`](crate::normalize)).
    ///
    /// # Errors
    /// [`IngestError::Mapping`] with [`MappingError::UnknownColumn`] (listing the headers)
    /// when no column matches, or [`MappingError::AmbiguousColumn`] when several do.
    pub fn column(&self, name: &str) -> Result<usize, IngestError> {
        self.optional_column(name)?
            .ok_or_else(|| IngestError::Mapping {
                file: self.name.clone(),
                source: MappingError::UnknownColumn {
                    name: name.to_string(),
                    header: self.headers.clone(),
                },
            })
    }

    /// As [`Table::column`], but `Ok(None)` when no column matches.
    ///
    /// # Errors
    /// [`MappingError::AmbiguousColumn`] when several columns match.
    pub fn optional_column(&self, name: &str) -> Result<Option<usize>, IngestError> {
        let ambiguous = |found: Vec<usize>| IngestError::Mapping {
            file: self.name.clone(),
            source: MappingError::AmbiguousColumn {
                name: name.to_string(),
                candidates: found.iter().map(|&i| self.headers[i].clone()).collect(),
            },
        };
        let want = name.trim();
        let exact: Vec<usize> = (0..self.headers.len())
            .filter(|&i| self.headers[i] == want)
            .collect();
        match exact.len() {
            1 => return Ok(Some(exact[0])),
            0 => {}
            _ => return Err(ambiguous(exact)),
        }
        let norm = normalize(want);
        let loose: Vec<usize> = (0..self.headers.len())
            .filter(|&i| normalize(&self.headers[i]) == norm)
            .collect();
        match loose.len() {
            0 => Ok(None),
            1 => Ok(Some(loose[0])),
            _ => Err(ambiguous(loose)),
        }
    }

    /// The label of column `col` for error messages: its header name.
    pub fn label(&self, col: usize) -> ColumnLabel {
        match self.headers.get(col) {
            Some(h) => ColumnLabel::Name(h.clone()),
            None => ColumnLabel::Position(col + 1),
        }
    }

    /// A row error at `row`, column `col`.
    pub fn row_error(&self, row: &TableRow, col: usize, problem: RowProblem) -> IngestError {
        RowError {
            file: self.name.clone(),
            line: row.line,
            column: Some(self.label(col)),
            problem,
        }
        .into()
    }

    fn number(&self, s: &str) -> Option<f64> {
        let owned;
        let s = match self.options.decimal {
            DecimalMark::Point => s,
            DecimalMark::Comma => {
                if s.contains('.') {
                    return None;
                }
                owned = s.replace(',', ".");
                &owned
            }
        };
        // Only plain decimal notation: an optional leading `-`, digits and at most one
        // decimal mark; no "+", "inf", "nan", hex or exponent ("1e1") surprises.
        let digits = s.strip_prefix('-').unwrap_or(s);
        let ok = digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && digits.bytes().filter(|&b| b == b'.').count() <= 1
            && digits.bytes().any(|b| b.is_ascii_digit());
        if !ok {
            return None;
        }
        s.parse::<f64>().ok().filter(|v| v.is_finite())
    }

    /// `"not a plain decimal number; "` when `s` looks like a number in another notation
    /// (exponent `1e1`, leading `+`), else `""`: the prefix of an error's expectation.
    fn notation_hint(s: &str) -> &'static str {
        let numeric = s
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b'-' | b'+' | b'e' | b'E'))
            && s.bytes().any(|b| b.is_ascii_digit());
        if numeric && s.bytes().any(|b| matches!(b, b'e' | b'E' | b'+')) {
            "not a plain decimal number; "
        } else {
            ""
        }
    }

    /// A number in column `col` of `row`: `None` when the field is blank.
    ///
    /// # Errors
    /// A row error `file:line: column "name": cannot parse "x" as a number (...)`.
    pub fn parse_number(&self, row: &TableRow, col: usize) -> Result<Option<f64>, IngestError> {
        let s = row.get(col);
        if s.is_empty() {
            return Ok(None);
        }
        self.number(s).map(Some).ok_or_else(|| {
            self.row_error(
                row,
                col,
                RowProblem::Unparseable {
                    value: s.to_string(),
                    what: "a number",
                    expected: format!(
                        "{}decimal mark {:?}",
                        Self::notation_hint(s),
                        self.decimal_char()
                    ),
                },
            )
        })
    }

    fn decimal_char(&self) -> char {
        match self.options.decimal {
            DecimalMark::Point => '.',
            DecimalMark::Comma => ',',
        }
    }

    /// A rating-scale score in column `col` of `row`, within `[min, max]` and, when
    /// `integer`, a whole number. A blank field is `None`: a non-response, not a zero.
    ///
    /// # Errors
    /// A row error naming the file, line, column and value:
    /// `responses.csv:7: column "score": cannot parse "7.5" as a score (not an integer
    /// score; expected a whole number from 0 to 10)`, `... "11" as a score (out of range;
    /// ...)`, or `... "good" as a score (expected ...)`.
    pub fn parse_score(
        &self,
        row: &TableRow,
        col: usize,
        min: f64,
        max: f64,
        integer: bool,
    ) -> Result<Option<f64>, IngestError> {
        let s = row.get(col);
        if s.is_empty() {
            return Ok(None);
        }
        let range = if integer {
            format!("a whole number from {min} to {max}")
        } else {
            format!("a number from {min} to {max}")
        };
        let bad = |why: &str| {
            self.row_error(
                row,
                col,
                RowProblem::Unparseable {
                    value: s.to_string(),
                    what: "a score",
                    expected: format!("{why}expected {range}"),
                },
            )
        };
        let v = self.number(s).ok_or_else(|| bad(Self::notation_hint(s)))?;
        if integer && v.fract() != 0.0 {
            return Err(bad("not an integer score; "));
        }
        if v < min || v > max {
            return Err(bad("out of range; "));
        }
        Ok(Some(v))
    }

    /// A calendar day in column `col` of `row`, in the table's date format (see
    /// [`TableOptions::date_format`]); `None` when blank.
    ///
    /// # Errors
    /// A row error `file:line: column "date": cannot parse "x" as a date (format ...)`.
    pub fn parse_day(&self, row: &TableRow, col: usize) -> Result<Option<Day>, IngestError> {
        let s = row.get(col);
        if s.is_empty() {
            return Ok(None);
        }
        let mut dates = self.dates.lock().unwrap_or_else(|p| p.into_inner());
        if dates.len() <= col {
            dates.resize(col + 1, None);
        }
        let parser = match &mut dates[col] {
            Some(p) => p,
            slot => slot.insert(
                DateParser::new(&self.options.date_format, self.options.timezone)
                    .map_err(IngestError::Options)?,
            ),
        };
        match parser.parse(s) {
            Some(d) => Ok(Some(d)),
            None => {
                let expected = parser.expected();
                drop(dates);
                Err(self.row_error(
                    row,
                    col,
                    RowProblem::Unparseable {
                        value: s.to_string(),
                        what: "a date",
                        expected,
                    },
                ))
            }
        }
    }
}
