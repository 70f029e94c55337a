//! `POST /api/v1/uploads/complaints`: a complaints file (the columns of `comeback
//! complaints`) into the store, all rows or none, every problem with its line and column;
//! idempotent by the file's complaint id (`Store::import_complaints`). The dashboard's
//! upload page posts the same file through `parse_complaints` and `store_complaints`.
//!
//! Each row becomes a complaint whose history holds an `import` event with the row as
//! written, so that `GET /api/v1/complaint-measures` gives what `comeback complaints
//! --json` gives on the same file (`crate::complaint_measures::row`). The status follows
//! the file: reopened, closed (resolved), acknowledged (a first response) or received. The
//! reference is the file's complaint id when it is a valid reference (4–40 letters, digits
//! or `-`) not used by another complaint, else a new one. Deadlines are computed as at
//! intake (`api::complaints::deadlines_for`'s rule) from the row's severity (medium when
//! blank) and the location's calendar; a location or employee code that is stored is
//! linked, any other is kept as written.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::State;
use chrono::{DateTime, TimeDelta, Utc};
use comeback_complaints::parse::{parse_compensation, parse_timestamp, parse_yes_no};
use comeback_complaints::recovery::{Category, Channel, Deadlines, Imported, Reference, Severity};
use comeback_complaints::sla::{BusinessCalendar, Pauses};
use comeback_ingest::{Delimiter, Table, TableOptions, TableRow, Tz};
use comeback_store::{ComplaintImport, ComplaintScope, ImportOutcome};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::cohorts::at_lines;
use crate::api::ingest::check_size;
use crate::auth::{AuthUser, RequireManager};
use crate::error::{ApiError, ErrorBody, Json, Query, RowProblem};

/// Most row problems one answer lists.
const PROBLEMS_MAX: usize = 100;
/// Longest id, code, category, channel or type (bytes).
const MAX_SHORT: usize = 200;

/// The columns, required then optional, in the order of `comeback complaints`.
const REQUIRED: [&str; 7] = [
    "complaint_id",
    "customer_id",
    "received_at",
    "first_response_at",
    "resolved_at",
    "category",
    "compensation",
];
const OPTIONAL: [&str; 7] = [
    "location",
    "employee",
    "severity",
    "channel",
    "reopened_at",
    "satisfied",
    "compensation_type",
];

/// How to read an uploaded complaints file.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplaintUploadParams {
    /// IANA time zone of timestamps without an offset (`comeback complaints
    /// --timezone`); default the business time zone.
    #[param(max_length = 64, example = "Europe/Helsinki")]
    pub timezone: Option<String>,
    /// `auto`, `comma`, `semicolon`, `tab`, `whitespace`, or one character.
    #[param(max_length = 16)]
    pub delimiter: Option<String>,
}

/// What a complaints upload did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintUploadResult {
    /// Data rows read.
    pub rows: u64,
    /// New complaints.
    pub inserted: u64,
    /// Complaints imported before whose row changed.
    pub updated: u64,
    /// Complaints imported before whose row is the same.
    pub unchanged: u64,
}

/// One parsed row.
#[derive(Debug, Clone)]
pub(crate) struct ParsedRow {
    customer: String,
    received_at: DateTime<Utc>,
    imported: Imported,
}

/// A parsed complaints file.
#[derive(Debug)]
pub(crate) struct ParsedComplaints {
    pub(crate) rows: Vec<ParsedRow>,
    /// The file line of each row.
    pub(crate) lines: Vec<u64>,
}

/// The time zone of the upload: the parameter, else the business zone.
pub(crate) async fn upload_zone(state: &AppState, given: Option<&str>) -> Result<Tz, ApiError> {
    match given.map(str::trim).filter(|s| !s.is_empty()) {
        Some(name) => {
            if name.len() > 64 || name.chars().any(char::is_control) {
                return Err(ApiError::invalid_field(
                    "timezone",
                    "is not an IANA time zone name",
                ));
            }
            name.parse::<Tz>().map_err(|_| {
                ApiError::invalid_field(
                    "timezone",
                    format!("{name:?} is not an IANA time zone name such as Europe/Helsinki"),
                )
            })
        }
        None => Ok(state.store.business_time_zone().await?),
    }
}

fn file_error(e: comeback_ingest::IngestError) -> ApiError {
    let (row, field) = match &e {
        comeback_ingest::IngestError::Row(r) => (
            r.line as usize,
            r.column
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        ),
        _ => (0, String::new()),
    };
    ApiError::Rejected(vec![RowProblem {
        row,
        field,
        message: e.to_string(),
    }])
}

/// A short text's problem (too long, a control character), or `None`.
fn short_text_problem(s: &str) -> Option<String> {
    if s.len() > MAX_SHORT {
        Some(format!("is {} bytes, at most {MAX_SHORT} allowed", s.len()))
    } else if s.chars().any(char::is_control) {
        Some("contains a control character".to_owned())
    } else {
        None
    }
}

/// Reads a complaints file: every row problem (up to 100) with its line and column, or
/// the rows in file order. `now` bounds receipts (at most a day ahead).
///
/// # Errors
/// [`ApiError::Rejected`] (the file's or the rows' problems), [`ApiError::Invalid`] for a
/// bad delimiter.
pub(crate) fn parse_complaints(
    body: &[u8],
    delimiter: Option<&str>,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<ParsedComplaints, ApiError> {
    let delimiter = delimiter
        .map(|s| {
            s.parse::<Delimiter>()
                .map_err(|e| ApiError::invalid_field("delimiter", e.to_string()))
        })
        .transpose()?
        .unwrap_or_default();
    let options = TableOptions {
        delimiter,
        ..TableOptions::default()
    };
    let t = comeback_ingest::read_table(body, "upload", &options).map_err(file_error)?;
    let mut req = [0; 7];
    for (slot, name) in req.iter_mut().zip(REQUIRED) {
        *slot = t.column(name).map_err(file_error)?;
    }
    let mut opt = [None; 7];
    for (slot, name) in opt.iter_mut().zip(OPTIONAL) {
        *slot = t.optional_column(name).map_err(file_error)?;
    }
    let mut problems: Vec<RowProblem> = Vec::new();
    let mut rows = Vec::with_capacity(t.rows.len());
    let mut lines = Vec::with_capacity(t.rows.len());
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in &t.rows {
        let before = problems.len();
        if let Some(r) = parse_row(&t, row, &req, &opt, tz, now, &mut seen, &mut problems)
            && problems.len() == before
        {
            rows.push(r);
            lines.push(row.line);
        }
    }
    if !problems.is_empty() {
        problems.truncate(PROBLEMS_MAX);
        return Err(ApiError::Rejected(problems));
    }
    Ok(ParsedComplaints { rows, lines })
}

#[allow(clippy::too_many_arguments)]
fn parse_row(
    t: &Table,
    row: &TableRow,
    req: &[usize; 7],
    opt: &[Option<usize>; 7],
    tz: Tz,
    now: DateTime<Utc>,
    seen: &mut HashMap<String, u64>,
    problems: &mut Vec<RowProblem>,
) -> Option<ParsedRow> {
    use comeback_ingest::RowProblem as P;
    let mut problem = |col: usize, p: P| {
        problems.push(RowProblem {
            row: row.line as usize,
            field: t.headers.get(col).cloned().unwrap_or_default(),
            message: t.row_error(row, col, p).to_string(),
        });
    };
    let [id_c, cust_c, rec_c, fr_c, res_c, cat_c, comp_c] = *req;
    let [loc_c, emp_c, sev_c, chan_c, reo_c, sat_c, type_c] = *opt;
    let mut ok = true;
    // Required texts.
    let mut required = |col: usize, what: &'static str, expected: &str| -> Option<String> {
        let s = row.get(col);
        if s.is_empty() {
            problem(
                col,
                P::Missing {
                    what,
                    expected: expected.to_owned(),
                },
            );
            return None;
        }
        if let Some(why) = short_text_problem(s) {
            problem(
                col,
                P::Unparseable {
                    value: s.chars().filter(|c| !c.is_control()).take(60).collect(),
                    what,
                    expected: why,
                },
            );
            return None;
        }
        Some(s.to_owned())
    };
    let id = required(id_c, "a complaint id", "every complaint has a unique id");
    let customer = required(cust_c, "a customer id", "the customer who complained");
    let category = required(
        cat_c,
        "a category",
        "e.g. price, quality, inadequate response",
    );
    if let Some(id) = &id
        && let Some(first) = seen.insert(id.clone(), row.line)
    {
        seen.insert(id.clone(), first);
        problem(
            id_c,
            P::Unparseable {
                value: id.clone(),
                what: "a complaint id",
                expected: format!("a unique id; line {first} has the same"),
            },
        );
        ok = false;
    }
    let mut ts = |col: Option<usize>| -> Option<Option<DateTime<Utc>>> {
        let Some(col) = col else {
            return Some(None);
        };
        let s = row.get(col);
        if s.is_empty() {
            return Some(None);
        }
        match parse_timestamp(s, tz) {
            Ok(v) => Some(Some(v)),
            Err(e) => {
                problem(
                    col,
                    P::Unparseable {
                        value: s.to_owned(),
                        what: "a timestamp",
                        expected: e.expected,
                    },
                );
                None
            }
        }
    };
    let received = ts(Some(rec_c));
    let first_response = ts(Some(fr_c));
    let resolved = ts(Some(res_c));
    let reopened = ts(reo_c);
    let mut problem = |col: usize, p: P| {
        problems.push(RowProblem {
            row: row.line as usize,
            field: t.headers.get(col).cloned().unwrap_or_default(),
            message: t.row_error(row, col, p).to_string(),
        });
    };
    if received == Some(None) {
        problem(
            rec_c,
            P::Missing {
                what: "a timestamp",
                expected: "when the complaint was received".to_owned(),
            },
        );
    }
    let received = received.flatten();
    // No timestamp of the file may lie ahead of the server's clock by more than a day (a
    // resolution in 2099 would move the measures' default moment there).
    for (col, at, what) in [
        (Some(rec_c), received, "a receipt"),
        (Some(fr_c), first_response.flatten(), "a first response"),
        (Some(res_c), resolved.flatten(), "a resolution"),
        (reo_c, reopened.flatten(), "a reopening"),
    ] {
        if let (Some(col), Some(at)) = (col, at)
            && at > now + TimeDelta::days(1)
        {
            problem(
                col,
                P::Unparseable {
                    value: row.get(col).to_owned(),
                    what: "a timestamp",
                    expected: format!("{what} no more than a day ahead of the server's clock"),
                },
            );
            ok = false;
        }
    }
    if let Some(r) = received {
        for (col, at, what) in [
            (Some(fr_c), first_response.flatten(), "the first response"),
            (Some(res_c), resolved.flatten(), "the resolution"),
            (reo_c, reopened.flatten(), "the reopening"),
        ] {
            if let (Some(col), Some(at)) = (col, at)
                && at < r
            {
                problem(
                    col,
                    P::Unparseable {
                        value: row.get(col).to_owned(),
                        what: "a timestamp",
                        expected: format!(
                            "{what} at or after the receipt {} (column {:?})",
                            r.to_rfc3339(),
                            t.headers[rec_c]
                        ),
                    },
                );
                ok = false;
            }
        }
    }
    if let (Some(col), Some(Some(_)), Some(None)) = (reo_c, reopened, resolved) {
        problem(
            col,
            P::Unparseable {
                value: row.get(col).to_owned(),
                what: "a timestamp",
                expected: format!(
                    "a reopening after a resolution, but {:?} is empty",
                    t.headers[res_c]
                ),
            },
        );
        ok = false;
    }
    let compensation = match row.get(comp_c) {
        "" => Some(None),
        s => match parse_compensation(s) {
            Ok(a) => Some(Some(a)),
            Err(e) => {
                problem(
                    comp_c,
                    P::Unparseable {
                        value: s.to_owned(),
                        what: "an amount",
                        expected: e.expected,
                    },
                );
                None
            }
        },
    };
    let satisfied = match sat_c.map(|c| (c, row.get(c))) {
        None | Some((_, "")) => Some(None),
        Some((c, s)) => match parse_yes_no(s) {
            Ok(v) => Some(Some(v)),
            Err(e) => {
                problem(
                    c,
                    P::Unparseable {
                        value: s.to_owned(),
                        what: "an answer",
                        expected: e.expected,
                    },
                );
                None
            }
        },
    };
    let mut text = |col: Option<usize>, what: &'static str| -> Option<Option<String>> {
        let Some(col) = col else {
            return Some(None);
        };
        let s = row.get(col);
        if s.is_empty() {
            return Some(None);
        }
        if let Some(why) = short_text_problem(s) {
            problem(
                col,
                P::Unparseable {
                    value: s.chars().filter(|c| !c.is_control()).take(60).collect(),
                    what,
                    expected: why,
                },
            );
            return None;
        }
        Some(Some(s.to_owned()))
    };
    let location = text(loc_c, "a location");
    let employee = text(emp_c, "an employee");
    let severity = text(sev_c, "a severity");
    let channel = text(chan_c, "a channel");
    let compensation_type = text(type_c, "a compensation type");
    if let (Some(Some(s)), Some(col)) = (&severity, sev_c)
        && Severity::parse(s).is_none()
    {
        problem(
            col,
            P::Unparseable {
                value: s.clone(),
                what: "a severity",
                expected: "low, medium, high or critical".to_owned(),
            },
        );
        ok = false;
    }
    let (
        Some(external_id),
        Some(customer),
        Some(category),
        Some(received_at),
        Some(first_response_at),
        Some(resolved_at),
        Some(reopened_at),
        Some(compensation),
        Some(satisfied),
        Some(location),
        Some(employee),
        Some(severity),
        Some(channel),
        Some(compensation_type),
    ) = (
        id,
        customer,
        category,
        received,
        first_response,
        resolved,
        reopened,
        compensation,
        satisfied,
        location,
        employee,
        severity,
        channel,
        compensation_type,
    )
    else {
        return None;
    };
    ok.then_some(ParsedRow {
        customer,
        received_at,
        imported: Imported {
            external_id,
            first_response_at,
            resolved_at,
            reopened_at,
            category,
            compensation,
            compensation_type,
            location,
            employee,
            severity,
            channel,
            satisfied,
        },
    })
}

/// The store's rows of a parsed file: references, deadlines on each location's stored
/// calendar (24/7 without one), the description saying where the complaint came from.
///
/// # Errors
/// The store's (reading the calendars), a stored calendar that no longer parses.
pub(crate) async fn import_rows(
    state: &AppState,
    parsed: &ParsedComplaints,
) -> Result<Vec<ComplaintImport>, ApiError> {
    let mut calendars: BTreeMap<String, BusinessCalendar> = BTreeMap::new();
    for (code, c) in state.store.location_calendars().await? {
        calendars.insert(code, c.calendar()?);
    }
    let always = BusinessCalendar::always();
    let none = Pauses::none();
    let mut out = Vec::with_capacity(parsed.rows.len());
    for (r, line) in parsed.rows.iter().zip(&parsed.lines) {
        let i = &r.imported;
        let severity = i
            .severity
            .as_deref()
            .and_then(Severity::parse)
            .unwrap_or(Severity::Medium);
        let calendar = i
            .location
            .as_ref()
            .and_then(|l| calendars.get(l))
            .unwrap_or(&always);
        let (fr, res) = crate::api::complaints::targets(severity);
        let deadlines = if r
            .received_at
            .checked_add_signed(TimeDelta::days(21 * 366))
            .is_some()
        {
            Deadlines {
                first_response: calendar.deadline(r.received_at, fr, &none),
                resolution: calendar.deadline(r.received_at, res, &none),
            }
        } else {
            Deadlines::default()
        };
        let reference = match Reference::parse(&i.external_id) {
            Ok(_) => i.external_id.clone(),
            Err(_) => crate::public_complaints::new_reference(),
        };
        out.push(ComplaintImport {
            reference,
            fallback_reference: crate::public_complaints::new_reference(),
            customer: r.customer.clone(),
            received_at: r.received_at,
            channel: i
                .channel
                .as_deref()
                .and_then(|c| Channel::parse(c).ok())
                .unwrap_or_else(|| Channel::Other("import".to_owned())),
            category: Category::parse(&i.category)
                .unwrap_or_else(|_| Category::Other(i.category.clone())),
            severity,
            deadlines,
            description: format!(
                "Imported from a complaints file (line {line}, complaint id {}).",
                i.external_id
            ),
            imported: i.clone(),
        });
    }
    Ok(out)
}

/// Stores a parsed file (all rows or none; the store's row problems name the file's
/// lines).
///
/// # Errors
/// [`ApiError::Rejected`] with the rows the store refused; the store's other errors.
pub(crate) async fn store_complaints(
    state: &AppState,
    parsed: &ParsedComplaints,
    scope: ComplaintScope,
) -> Result<ImportOutcome, ApiError> {
    check_size(state, parsed.rows.len())?;
    let rows = import_rows(state, parsed).await?;
    state
        .store
        .import_complaints(&rows, Utc::now(), scope)
        .await
        .map_err(|e| at_lines(e, &parsed.lines))
}

/// Reads a complaints file (CSV, TSV, `;`- or blank-separated, with a header; the columns
/// of `comeback complaints`: `complaint_id, customer_id, received_at, first_response_at,
/// resolved_at, category, compensation`, optional `location, employee, severity, channel,
/// reopened_at, satisfied, compensation_type`) and stores all its rows, or none: the answer
/// lists every problem (up to 100) with its line and column. Customers must be stored
/// first. Importing the same file again changes nothing; a changed row updates its
/// complaint unless it was handled in Comeback since (then it is a problem of its row).
/// A manager imports only what they may see: customers with a purchase at one of their
/// locations (any other is reported as unknown), rows at one of their locations or without
/// one, and changes to complaints of their locations, without one, or that they own or
/// recorded; any other row is a problem of its row.
#[utoipa::path(post, path = "/api/v1/uploads/complaints", tag = "complaints",
    params(ComplaintUploadParams),
    request_body(content = String, content_type = "text/csv", description = "the file"),
    responses(
        (status = 200, description = "file stored", body = ComplaintUploadResult),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "role is not manager or admin", body = ErrorBody),
        (status = 422, description = "file rejected, nothing stored", body = ErrorBody)))]
pub async fn upload_complaints(
    RequireManager(user): RequireManager,
    State(state): State<AppState>,
    Query(params): Query<ComplaintUploadParams>,
    body: Bytes,
) -> Result<Json<ComplaintUploadResult>, ApiError> {
    Ok(Json(import_file_as(&state, &user, body, &params).await?))
}

/// Reads and stores a complaints file as an admin's `POST /api/v1/uploads/complaints`
/// does (every customer, location and complaint in scope; the CLI's comparison tests):
/// [`import_file_as`] with [`ComplaintScope::All`].
///
/// # Errors
/// As [`import_file_as`].
pub async fn import_file(
    state: &AppState,
    body: Bytes,
    params: &ComplaintUploadParams,
) -> Result<ComplaintUploadResult, ApiError> {
    import_file_in(state, ComplaintScope::All, body, params).await
}

/// Reads and stores a complaints file as `POST /api/v1/uploads/complaints` does for
/// `user` (the parameters checked, the file parsed on a blocking thread, all rows or none;
/// a manager's rows limited to what they may see, `Store::import_complaints`).
///
/// # Errors
/// [`ApiError::Invalid`] for a bad parameter, [`ApiError::Rejected`] with every problem,
/// the store's errors.
pub async fn import_file_as(
    state: &AppState,
    user: &AuthUser,
    body: Bytes,
    params: &ComplaintUploadParams,
) -> Result<ComplaintUploadResult, ApiError> {
    import_file_in(state, crate::complaint_access::scope(user), body, params).await
}

async fn import_file_in(
    state: &AppState,
    scope: ComplaintScope,
    body: Bytes,
    params: &ComplaintUploadParams,
) -> Result<ComplaintUploadResult, ApiError> {
    let tz = upload_zone(state, params.timezone.as_deref()).await?;
    if let Some(d) = &params.delimiter
        && (d.len() > 16 || d.chars().any(char::is_control))
    {
        return Err(ApiError::invalid_field("delimiter", "is not a delimiter"));
    }
    let delimiter = params.delimiter.clone();
    let now = Utc::now();
    let parsed =
        tokio::task::spawn_blocking(move || parse_complaints(&body, delimiter.as_deref(), tz, now))
            .await
            .map_err(|e| ApiError::Internal(format!("upload parser task: {e}")))??;
    let o = store_complaints(state, &parsed, scope).await?;
    Ok(ComplaintUploadResult {
        rows: parsed.rows.len() as u64,
        inserted: o.inserted,
        updated: o.updated,
        unchanged: o.unchanged,
    })
}
