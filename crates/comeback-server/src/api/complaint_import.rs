//! `POST /api/v1/uploads/complaints`: a complaints file (the columns of `comeback
//! complaints`) into the store, all rows or none, every problem with its line and column;
//! idempotent by the file's complaint id (`Store::import_complaints`). The dashboard's
//! upload page posts the same file through `parse_complaints` and `store_complaints`.
//!
//! The file is read by `comeback complaints`' own reader
//! ([`comeback_complaints::file::read_complaints`]), so both accept and refuse the same
//! rows; the one rule of the server alone is its clock (a receipt more than a day ahead is
//! refused). The `paused` column is checked as the CLI checks it but not stored: waits for
//! the customer are recorded in Comeback (`wait_for_customer`, `resume`).
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

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use chrono::{DateTime, TimeDelta, Utc};
use comeback_complaints::file::{FileRow, ReadError, ReadOptions, read_complaints};
use comeback_complaints::recovery::{Category, Channel, Deadlines, Reference, Severity};
use comeback_complaints::sla::{BusinessCalendar, Pauses};
use comeback_ingest::{Delimiter, Tz};
use comeback_store::{ComplaintImport, ComplaintScope, ImportOutcome};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::cohorts::at_lines;
use crate::api::ingest::check_size;
use crate::auth::{AuthUser, RequireManager};
use crate::error::{ApiError, ErrorBody, Json, Query, RowProblem};

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

/// A parsed complaints file: the rows in file order, each with its line.
#[derive(Debug)]
pub(crate) struct ParsedComplaints {
    pub(crate) rows: Vec<FileRow>,
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

/// The reader's error as the API's: every row problem (up to 100) with its line and
/// column, or the file's one problem (with its line and column when it has them).
fn read_error(e: ReadError) -> ApiError {
    match e {
        ReadError::Rows { problems, .. } => ApiError::Rejected(
            problems
                .into_iter()
                .map(|p| RowProblem {
                    row: usize::try_from(p.line).unwrap_or(usize::MAX),
                    message: p.to_string(),
                    field: p.column,
                })
                .collect(),
        ),
        ReadError::File(e) => ApiError::file_rejected(&e),
    }
}

/// Reads a complaints file with `comeback complaints`' reader
/// ([`comeback_complaints::file::read_complaints`]): every row problem (up to 100) with its
/// line and column, or the rows in file order. `now` bounds receipts (at most a day ahead).
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
    let options = ReadOptions {
        delimiter,
        timezone: tz,
        clock: Some(now),
    };
    let rows = read_complaints(body, "upload", &options).map_err(read_error)?;
    let lines = rows.iter().map(|r| r.line).collect();
    Ok(ParsedComplaints { rows, lines })
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
    for r in &parsed.rows {
        let c = &r.complaint;
        let severity = r.severity.unwrap_or(Severity::Medium);
        let calendar = c
            .location
            .as_ref()
            .and_then(|l| calendars.get(l))
            .unwrap_or(&always);
        let (fr, res) = crate::api::complaints::targets(severity);
        let deadlines = if c
            .received_at
            .checked_add_signed(TimeDelta::days(21 * 366))
            .is_some()
        {
            Deadlines {
                first_response: calendar.deadline(c.received_at, fr, &none),
                resolution: calendar.deadline(c.received_at, res, &none),
            }
        } else {
            Deadlines::default()
        };
        let reference = match Reference::parse(&c.complaint_id) {
            Ok(_) => c.complaint_id.clone(),
            Err(_) => crate::public_complaints::new_reference(),
        };
        out.push(ComplaintImport {
            reference,
            fallback_reference: crate::public_complaints::new_reference(),
            customer: c.customer_id.clone(),
            received_at: c.received_at,
            channel: c
                .channel
                .as_deref()
                .and_then(|c| Channel::parse(c).ok())
                .unwrap_or_else(|| Channel::Other("import".to_owned())),
            category: Category::parse(&c.category)
                .unwrap_or_else(|_| Category::Other(c.category.clone())),
            severity,
            deadlines,
            description: format!(
                "Imported from a complaints file (line {}, complaint id {}).",
                r.line, c.complaint_id
            ),
            imported: r.imported(),
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
/// resolved_at, category, compensation`, optional `location, employee, severity` (low,
/// medium, high or critical, any case), `channel, reopened_at, satisfied,
/// compensation_type, paused` (checked, not stored)) and stores all its rows, or none: the answer
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
