//! The complaints file: the one reader of `comeback complaints FILE` and of the server's
//! import (`POST /api/v1/uploads/complaints`), so that both accept and refuse the same rows.
//!
//! A delimited file with a header (read by [`comeback_ingest::read_table`]: `,` `;` tab or
//! blanks, RFC 4180 quotes, physical line numbers) with the columns [`REQUIRED_COLUMNS`]
//! and, when present, [`OPTIONAL_COLUMNS`]; header names match as
//! [`comeback_ingest::Table::column`] matches them (case, accents, `_` and blanks ignored).
//!
//! The rules of a row, each problem named by file, line and column:
//! - `complaint_id`, `customer_id`, `category`: required; unique `complaint_id`.
//! - `received_at` required; `first_response_at`, `resolved_at`, `reopened_at` optional
//!   (blank = not yet): ISO 8601 ([`parse_timestamp`]; naive ones are wall times in
//!   [`ReadOptions::timezone`]), none before the receipt, and a reopening only after a
//!   resolution.
//! - `compensation`: blank (not decided) or a plain non-negative decimal
//!   ([`parse_compensation`]).
//! - `severity`: blank or one of the four levels of [`Severity`] — `low`, `medium`, `high`,
//!   `critical`, in any case (`High` is `high`); the row carries the level and its
//!   lowercase name.
//! - `satisfied`: blank or yes/no ([`parse_yes_no`]).
//! - `paused`: blank or the waits for the customer ([`parse_pauses`]) in the order
//!   [`pause_problem`] checks.
//! - Every text (ids, category, location, employee, channel, compensation type) at most
//!   [`MAX_TEXT_BYTES`] bytes without control characters.
//! - With [`ReadOptions::clock`], a timestamp (receipt, first response, resolution,
//!   reopening) more than a day after it is refused (the server passes its clock; the CLI,
//!   which reads files of any time, does not).
//!
//! Every problem of every row is collected (the first [`MAX_PROBLEMS`] are kept, all are
//! counted); a file with any problem gives no rows.

use crate::measures::{ComplaintRow, pause_problem};
use crate::parse::{FieldError, parse_compensation, parse_pauses, parse_timestamp, parse_yes_no};
use crate::recovery::{Imported, Severity};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use comeback_ingest::{Delimiter, IngestError, RowProblem, Table, TableOptions, TableRow};
use std::collections::HashMap;
use std::fmt;
use std::io::Read;

/// The required columns, in the order of the file format.
pub const REQUIRED_COLUMNS: [&str; 7] = [
    "complaint_id",
    "customer_id",
    "received_at",
    "first_response_at",
    "resolved_at",
    "category",
    "compensation",
];

/// The optional columns (a file may leave any of them out).
pub const OPTIONAL_COLUMNS: [&str; 8] = [
    "location",
    "employee",
    "severity",
    "channel",
    "reopened_at",
    "satisfied",
    "compensation_type",
    "paused",
];

/// Longest id, code, category, channel or compensation type, in bytes.
pub const MAX_TEXT_BYTES: usize = 200;

/// Most problems a [`ReadError::Rows`] lists (all are counted).
pub const MAX_PROBLEMS: usize = 100;

/// How to read a complaints file.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadOptions {
    /// Field separator ([`Delimiter::Auto`] detects `,` `;` tab or blanks).
    pub delimiter: Delimiter,
    /// Time zone of timestamps without an offset.
    pub timezone: Tz,
    /// The reader's clock: when set, a timestamp more than a day after it is refused.
    pub clock: Option<DateTime<Utc>>,
}

impl Default for ReadOptions {
    /// Detected delimiter, UTC, no clock.
    fn default() -> Self {
        ReadOptions {
            delimiter: Delimiter::Auto,
            timezone: chrono_tz::UTC,
            clock: None,
        }
    }
}

/// One row of a complaints file, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRow {
    /// The 1-based physical line where the row starts.
    pub line: u64,
    /// The severity level (`None`: blank); `complaint.severity` holds its name.
    pub severity: Option<Severity>,
    /// The complaint as the measures take it.
    pub complaint: ComplaintRow,
}

impl FileRow {
    /// The row as the server's `import` step records it (everything but the customer, the
    /// receipt and the pauses, which the complaint record holds).
    pub fn imported(&self) -> Imported {
        let c = &self.complaint;
        Imported {
            external_id: c.complaint_id.clone(),
            first_response_at: c.first_response_at,
            resolved_at: c.resolved_at,
            reopened_at: c.reopened_at,
            category: c.category.clone(),
            compensation: c.compensation,
            compensation_type: c.compensation_type.clone(),
            location: c.location.clone(),
            employee: c.employee.clone(),
            severity: c.severity.clone(),
            channel: c.channel.clone(),
            satisfied: c.satisfied,
        }
    }
}

/// One problem of a row: `complaints.csv:4: column "severity": cannot parse "urgent" as a
/// severity (...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file's display name.
    pub file: String,
    /// The 1-based physical line of the row.
    pub line: u64,
    /// The column's header as written in the file.
    pub column: String,
    /// What is wrong, naming the value.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: column {:?}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Why a complaints file gives no rows.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file as a whole: unreadable, empty, a line with another number of fields than
    /// the header, bytes that are not UTF-8, a required column missing or a column name
    /// matching two headers.
    #[error(transparent)]
    File(#[from] IngestError),
    /// Rows with problems: the first [`MAX_PROBLEMS`] in file order, and how many there are.
    #[error("{}", rows_message(problems, *total))]
    Rows {
        /// The problems kept, in file order.
        problems: Vec<Problem>,
        /// All problems found (at least `problems.len()`).
        total: usize,
    },
}

fn rows_message(problems: &[Problem], total: usize) -> String {
    let mut s = problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    if total > problems.len() {
        s.push_str(&format!(
            "\n... and {} more problem(s)",
            total - problems.len()
        ));
    }
    s
}

/// Reads a complaints file whole (see the module documentation for its rules).
///
/// ```
/// use comeback_complaints::file::{ReadError, ReadOptions, read_complaints};
/// let csv = "complaint_id,customer_id,received_at,first_response_at,resolved_at,category,compensation,severity\n\
///            C1,A,2026-03-02 09:00,2026-03-02 10:00,,quality,,High\n\
///            C2,B,2026-03-02 09:00,,,price,,urgent\n";
/// let e = read_complaints(csv.as_bytes(), "c.csv", &ReadOptions::default()).unwrap_err();
/// assert!(e.to_string().starts_with("c.csv:3: column \"severity\": cannot parse \"urgent\""));
/// let ok = csv.replace("urgent", "LOW");
/// let rows = read_complaints(ok.as_bytes(), "c.csv", &ReadOptions::default()).unwrap();
/// assert_eq!(rows[0].complaint.severity.as_deref(), Some("high"));
/// assert_eq!(rows[1].line, 3);
/// ```
///
/// # Errors
/// [`ReadError::File`] for the file as a whole, [`ReadError::Rows`] with every row
/// problem.
pub fn read_complaints<R: Read>(
    input: R,
    name: &str,
    options: &ReadOptions,
) -> Result<Vec<FileRow>, ReadError> {
    let table = comeback_ingest::read_table(
        input,
        name,
        &TableOptions {
            delimiter: options.delimiter,
            ..TableOptions::default()
        },
    )?;
    let mut req = [0; 7];
    for (slot, column) in req.iter_mut().zip(REQUIRED_COLUMNS) {
        *slot = table.column(column)?;
    }
    let mut opt = [None; 8];
    for (slot, column) in opt.iter_mut().zip(OPTIONAL_COLUMNS) {
        *slot = table.optional_column(column)?;
    }
    let columns = Columns { req, opt };
    let mut problems = Problems::default();
    let mut seen: HashMap<&str, u64> = HashMap::new();
    let mut rows = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let before = problems.total;
        let mut reader = RowReader {
            t: &table,
            row,
            tz: options.timezone,
            problems: &mut problems,
        };
        if let Some(r) = reader.read(&columns, &mut seen, options.clock)
            && problems.total == before
        {
            rows.push(r);
        }
    }
    if problems.total > 0 {
        return Err(ReadError::Rows {
            problems: problems.kept,
            total: problems.total,
        });
    }
    Ok(rows)
}

/// Column indices: [`REQUIRED_COLUMNS`] then [`OPTIONAL_COLUMNS`].
struct Columns {
    req: [usize; 7],
    opt: [Option<usize>; 8],
}

#[derive(Default)]
struct Problems {
    kept: Vec<Problem>,
    total: usize,
}

/// A problem was recorded for this field.
struct Reported;

struct RowReader<'a, 'p> {
    t: &'a Table,
    row: &'a TableRow,
    tz: Tz,
    problems: &'p mut Problems,
}

/// A value for a message: control characters dropped, at most 60 characters.
fn shown(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(60).collect()
}

impl<'a> RowReader<'a, '_> {
    fn problem(&mut self, col: usize, message: String) {
        self.problems.total += 1;
        if self.problems.kept.len() < MAX_PROBLEMS {
            self.problems.kept.push(Problem {
                file: self.t.name.clone(),
                line: self.row.line,
                column: self.t.headers.get(col).cloned().unwrap_or_default(),
                message,
            });
        }
    }

    fn unparseable(&mut self, col: usize, what: &'static str, expected: String) -> Reported {
        let value = shown(self.row.get(col));
        self.problem(
            col,
            RowProblem::Unparseable {
                value,
                what,
                expected,
            }
            .to_string(),
        );
        Reported
    }

    fn missing(&mut self, col: usize, what: &'static str, expected: &str) -> Reported {
        self.problem(
            col,
            RowProblem::Missing {
                what,
                expected: expected.to_owned(),
            }
            .to_string(),
        );
        Reported
    }

    /// An optional text: `None` when blank.
    fn text(&mut self, col: usize, what: &'static str) -> Result<Option<String>, Reported> {
        let row: &'a TableRow = self.row;
        let s = row.get(col);
        if s.is_empty() {
            return Ok(None);
        }
        if s.len() > MAX_TEXT_BYTES {
            let why = format!("is {} bytes, at most {MAX_TEXT_BYTES} allowed", s.len());
            return Err(self.unparseable(col, what, why));
        }
        if s.chars().any(char::is_control) {
            return Err(self.unparseable(col, what, "contains a control character".into()));
        }
        Ok(Some(s.to_owned()))
    }

    fn optional_text(
        &mut self,
        col: Option<usize>,
        what: &'static str,
    ) -> Result<Option<String>, Reported> {
        col.map_or(Ok(None), |c| self.text(c, what))
    }

    fn required(
        &mut self,
        col: usize,
        what: &'static str,
        expected: &str,
    ) -> Result<String, Reported> {
        self.text(col, what)?
            .ok_or_else(|| self.missing(col, what, expected))
    }

    /// An optional field through `parse`: `None` when the column is absent or blank.
    fn field<T>(
        &mut self,
        col: Option<usize>,
        what: &'static str,
        parse: impl FnOnce(&str) -> Result<T, FieldError>,
    ) -> Result<Option<T>, Reported> {
        let Some(col) = col else { return Ok(None) };
        let row: &'a TableRow = self.row;
        let s = row.get(col);
        if s.is_empty() {
            return Ok(None);
        }
        parse(s)
            .map(Some)
            .map_err(|e| self.unparseable(col, what, e.expected))
    }

    fn timestamp(&mut self, col: Option<usize>) -> Result<Option<DateTime<Utc>>, Reported> {
        let tz = self.tz;
        self.field(col, "a timestamp", |s| parse_timestamp(s, tz))
    }

    fn read(
        &mut self,
        c: &Columns,
        seen: &mut HashMap<&'a str, u64>,
        clock: Option<DateTime<Utc>>,
    ) -> Option<FileRow> {
        let [id_c, cust_c, rec_c, fr_c, res_c, cat_c, comp_c] = c.req;
        let [loc_c, emp_c, sev_c, chan_c, reo_c, sat_c, type_c, pause_c] = c.opt;
        let mut ok = true;
        let row: &'a TableRow = self.row;
        let id = self.required(id_c, "a complaint id", "every complaint has a unique id");
        if id.is_ok() {
            let key = row.get(id_c);
            if let Some(&first) = seen.get(key) {
                let expected = format!("a unique id; line {first} has the same");
                let _ = self.unparseable(id_c, "a complaint id", expected);
                ok = false;
            } else {
                seen.insert(key, self.row.line);
            }
        }
        let customer = self.required(cust_c, "a customer id", "the customer who complained");
        let category = self.required(
            cat_c,
            "a category",
            "e.g. price, quality, inadequate response",
        );
        let received = match self.timestamp(Some(rec_c)) {
            Ok(Some(t)) => Ok(t),
            Ok(None) => Err(self.missing(rec_c, "a timestamp", "when the complaint was received")),
            Err(r) => Err(r),
        };
        let first_response = self.timestamp(Some(fr_c));
        let resolved = self.timestamp(Some(res_c));
        let reopened = self.timestamp(reo_c);
        let compensation = self.field(Some(comp_c), "an amount", parse_compensation);
        let satisfied = self.field(sat_c, "an answer", parse_yes_no);
        let location = self.optional_text(loc_c, "a location");
        let employee = self.optional_text(emp_c, "an employee");
        let channel = self.optional_text(chan_c, "a channel");
        let compensation_type = self.optional_text(type_c, "a compensation type");
        let severity = self
            .optional_text(sev_c, "a severity")
            .and_then(|s| match s {
                None => Ok(None),
                Some(s) => match Severity::parse(&s) {
                    Some(v) => Ok(Some(v)),
                    None => Err(self.unparseable(
                        sev_c.unwrap_or_default(),
                        "a severity",
                        "expected low, medium, high or critical, in any case".into(),
                    )),
                },
            });
        let tz = self.tz;
        let paused = self
            .field(pause_c, "pause intervals", |s| parse_pauses(s, tz))
            .map(Option::unwrap_or_default);
        // No timestamp more than a day ahead of the clock (a resolution in 2099 would move
        // the measures' default moment there and make every open complaint breach).
        if let Some(clock) = clock {
            for (col, at, what) in [
                (Some(rec_c), received.as_ref().ok().copied(), "a receipt"),
                (
                    Some(fr_c),
                    first_response.as_ref().ok().copied().flatten(),
                    "a first response",
                ),
                (
                    Some(res_c),
                    resolved.as_ref().ok().copied().flatten(),
                    "a resolution",
                ),
                (
                    reo_c,
                    reopened.as_ref().ok().copied().flatten(),
                    "a reopening",
                ),
            ] {
                if let (Some(col), Some(at)) = (col, at)
                    && at > clock + TimeDelta::days(1)
                {
                    let _ = self.unparseable(
                        col,
                        "a timestamp",
                        format!("{what} no more than a day ahead of the clock"),
                    );
                    ok = false;
                }
            }
        }
        // Order rules, where the receipt is known.
        if let Ok(received) = received {
            for (col, at, what) in [
                (Some(fr_c), &first_response, "first response"),
                (Some(res_c), &resolved, "resolution"),
                (reo_c, &reopened, "reopening"),
            ] {
                if let (Some(col), Ok(Some(at))) = (col, at)
                    && *at < received
                {
                    let message = format!(
                        "{what} {} is before receipt {} (column {:?})",
                        at.to_rfc3339(),
                        received.to_rfc3339(),
                        self.t.headers.get(rec_c).map_or("", String::as_str),
                    );
                    self.problem(col, message);
                    ok = false;
                }
            }
            if let (Some(col), Ok(pauses)) = (pause_c, &paused)
                && let Some((k, reason)) = pause_problem(received, pauses)
            {
                let (a, b) = pauses[k];
                let end = b.map(|b| b.to_rfc3339()).unwrap_or_default();
                self.problem(col, format!("pause {}/{end}: {reason}", a.to_rfc3339()));
                ok = false;
            }
        }
        if let (Some(col), Ok(Some(_)), Ok(None)) = (reo_c, &reopened, &resolved) {
            let message = format!(
                "reopened but {:?} is empty (a complaint is reopened after its resolution)",
                self.t.headers.get(res_c).map_or("", String::as_str),
            );
            self.problem(col, message);
            ok = false;
        }
        let severity = severity.ok()?;
        let complaint = ComplaintRow {
            complaint_id: id.ok()?,
            customer_id: customer.ok()?,
            received_at: received.ok()?,
            first_response_at: first_response.ok()?,
            resolved_at: resolved.ok()?,
            category: category.ok()?,
            compensation: compensation.ok()?,
            location: location.ok()?,
            employee: employee.ok()?,
            severity: severity.map(|s| s.as_str().to_owned()),
            channel: channel.ok()?,
            reopened_at: reopened.ok()?,
            satisfied: satisfied.ok()?,
            compensation_type: compensation_type.ok()?,
            paused: paused.ok()?,
        };
        ok.then_some(FileRow {
            line: self.row.line,
            severity,
            complaint,
        })
    }
}
