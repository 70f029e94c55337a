//! Staff flags (issue 9 item 3, PRODUCT R5): any logged-in employee flags "this customer
//! is unhappy" — `POST /api/v1/customers/{external_id}/flags` — and `GET /api/v1/flags`
//! lists them. A flag is an intake channel of complaint recovery: it opens a complaint of
//! channel `staff_flag` (customer, location, category, the note as description, severity
//! default medium with its deadlines) in the complaints queue, credited to the flagging
//! employee: the account's linked employee (`PATCH /api/v1/users/{id}`); an account
//! without a link is refused (403) except an admin's, who names the employee to credit.
//! Flags are counted per employee on the report cards.
//!
//! Who sees which flags: an admin all; a manager those at their locations and their own;
//! a staff member their own employee's.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use comeback_complaints::recovery::{Category, Channel, Severity};
use comeback_store::{ComplaintInput, FlagFilter, Role, StaffFlag, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::complaints::{SeverityIn, deadlines_for};
use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody, Json, Path, Query};

/// Longest note (bytes).
pub const MAX_NOTE: usize = 5000;

/// Why the customer seems unhappy: the seven reasons customers leave (PRODUCT R6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Price.
    Price,
    /// Quality of the product or service.
    Quality,
    /// A better offer from a competitor.
    CompetitorOffer,
    /// Inadequate response (service, attention).
    InadequateResponse,
    /// Broken promises.
    BrokenPromise,
    /// An earlier complaint left unresolved.
    UnresolvedComplaint,
    /// General dissatisfaction.
    GeneralDissatisfaction,
}

impl Reason {
    /// The seven, in the order of the form.
    pub const ALL: [Reason; 7] = [
        Reason::Quality,
        Reason::InadequateResponse,
        Reason::BrokenPromise,
        Reason::Price,
        Reason::UnresolvedComplaint,
        Reason::CompetitorOffer,
        Reason::GeneralDissatisfaction,
    ];

    /// The complaint category.
    pub fn category(self) -> Category {
        match self {
            Reason::Price => Category::Price,
            Reason::Quality => Category::Quality,
            Reason::CompetitorOffer => Category::CompetitorOffer,
            Reason::InadequateResponse => Category::InadequateResponse,
            Reason::BrokenPromise => Category::BrokenPromise,
            Reason::UnresolvedComplaint => Category::UnresolvedComplaint,
            Reason::GeneralDissatisfaction => Category::GeneralDissatisfaction,
        }
    }

    /// Its key (`price`, `quality`, ...), as in the complaint categories.
    pub fn key(self) -> &'static str {
        match self {
            Reason::Price => "price",
            Reason::Quality => "quality",
            Reason::CompetitorOffer => "competitor_offer",
            Reason::InadequateResponse => "inadequate_response",
            Reason::BrokenPromise => "broken_promise",
            Reason::UnresolvedComplaint => "unresolved_complaint",
            Reason::GeneralDissatisfaction => "general_dissatisfaction",
        }
    }

    /// Reads [`key`](Self::key).
    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.key() == s)
    }
}

/// Body of `POST /api/v1/customers/{external_id}/flags`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagIn {
    /// Why the customer seems unhappy (one of the seven reasons).
    pub reason: Reason,
    /// What the employee noticed.
    #[schema(min_length = 1, max_length = 5000)]
    pub note: String,
    /// Location code (default: the credited employee's location).
    #[schema(min_length = 1, max_length = 200)]
    pub location: Option<String>,
    /// The employee to credit: only an admin may name another employee than the
    /// account's own (and must name one when the account has no employee link).
    #[schema(min_length = 1, max_length = 200)]
    pub employee: Option<String>,
    /// The complaint's severity (default medium), which sets its deadlines.
    pub severity: Option<SeverityIn>,
}

/// A staff flag.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlagOut {
    /// The reference of the complaint the flag opened (`/complaints/{reference}`).
    pub reference: String,
    /// When (UTC).
    pub flagged_at: DateTime<Utc>,
    /// The customer's external id (`null` after erasure).
    pub customer: Option<String>,
    /// Location code.
    pub location: Option<String>,
    /// The credited employee's code.
    pub employee: String,
    /// The reason (complaint category).
    pub reason: String,
    /// The note.
    pub note: String,
    /// The complaint's current status.
    pub status: String,
}

impl From<StaffFlag> for FlagOut {
    fn from(f: StaffFlag) -> Self {
        FlagOut {
            reference: f.reference,
            flagged_at: f.flagged_at,
            customer: f.customer,
            location: f.location,
            employee: f.employee,
            reason: f.category.as_str().to_owned(),
            note: f.note,
            status: f.status.as_str().to_owned(),
        }
    }
}

/// The flags of `GET /api/v1/flags`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlagList {
    /// Newest first.
    pub items: Vec<FlagOut>,
}

/// Filters of `GET /api/v1/flags`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FlagParams {
    /// Only flags credited to this employee code.
    #[param(min_length = 1, max_length = 200)]
    pub employee: Option<String>,
    /// Only flags at this location code.
    #[param(min_length = 1, max_length = 200)]
    pub location: Option<String>,
    /// Only flags from this UTC day on (`YYYY-MM-DD`).
    #[param(example = "2025-03-01")]
    pub from: Option<String>,
    /// Only flags up to this UTC day, inclusive (`YYYY-MM-DD`).
    #[param(example = "2025-03-31")]
    pub to: Option<String>,
    /// At most this many, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// The message for an account without an employee link that tries to flag.
pub const NOT_LINKED: &str = "your account is not linked to an employee, so a flag could not be credited to anyone; an admin links it on the users page";

/// What a flag form or request asks for, before the checks of [`record`].
#[derive(Debug, Clone)]
pub struct FlagRequest {
    /// The customer's external id.
    pub customer: String,
    /// The reason.
    pub reason: Reason,
    /// The note.
    pub note: String,
    /// Location code, if given.
    pub location: Option<String>,
    /// Employee to credit, if given.
    pub employee: Option<String>,
    /// Severity.
    pub severity: Severity,
}

fn short(field: &'static str, v: &str) -> Result<(), ApiError> {
    crate::text::check_text(field, v)?;
    if v.trim().is_empty() || v.len() > 200 {
        return Err(ApiError::invalid_field(field, "must be 1-200 bytes"));
    }
    Ok(())
}

/// Records a flag by `user` (checks, credit, deadlines, a fresh reference): the one path
/// of the API and the dashboard forms.
///
/// # Errors
/// 403 for an account without an employee link (not an admin) or a non-admin naming
/// another employee; 404 for an unknown or out-of-scope customer; 422 naming the field
/// for an empty or oversize note, an unknown location or employee; the store's errors.
pub async fn record(
    state: &AppState,
    user: &AuthUser,
    req: FlagRequest,
) -> Result<StaffFlag, ApiError> {
    crate::api::customers::check_visible(state, user, &req.customer).await?;
    crate::text::check_text("note", &req.note.replace(['\n', '\r', '\t'], " "))?;
    if req.note.trim().is_empty() {
        return Err(ApiError::invalid_field("note", "must not be empty"));
    }
    if req.note.len() > MAX_NOTE {
        return Err(ApiError::invalid_field(
            "note",
            format!("is {} bytes, at most {MAX_NOTE} allowed", req.note.len()),
        ));
    }
    if let Some(l) = &req.location {
        short("location", l)?;
    }
    if let Some(e) = &req.employee {
        short("employee", e)?;
    }
    let own = state
        .store
        .user(user.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?
        .employee;
    let employee = match (&req.employee, &own, user.role) {
        (Some(e), _, Role::Admin) => e.clone(),
        (None, Some(o), _) => o.clone(),
        (None, None, Role::Admin) => {
            return Err(ApiError::invalid_field(
                "employee",
                "your account is not linked to an employee: name the employee to credit",
            ));
        }
        (_, None, _) => return Err(ApiError::Forbidden(NOT_LINKED.to_owned())),
        (Some(e), Some(o), _) if e == o => o.clone(),
        (Some(_), Some(_), _) => {
            return Err(ApiError::Forbidden(
                "only an admin may credit a flag to another employee".to_owned(),
            ));
        }
    };
    let employees = state.store.employees().await?;
    let Some(credited) = employees.iter().find(|e| e.code == employee) else {
        return Err(ApiError::invalid_field(
            "employee",
            format!("unknown employee {employee:?}"),
        ));
    };
    let location = match req.location {
        Some(l) => {
            if !state.store.locations().await?.iter().any(|x| x.code == l) {
                return Err(ApiError::invalid_field(
                    "location",
                    format!("unknown location {l:?}"),
                ));
            }
            Some(l)
        }
        None => credited.location.clone(),
    };
    let at = Utc::now();
    let deadlines = deadlines_for(state, location.as_deref(), at, req.severity).await?;
    let mut input = ComplaintInput {
        reference: String::new(),
        received_at: at,
        channel: Channel::StaffFlag,
        customer: req.customer.clone(),
        location,
        employee: None,
        product: None,
        description: req.note,
        category: req.reason.category(),
        severity: req.severity,
        remedy_requested: None,
        owner: None,
        deadlines,
    };
    // A fresh random reference; another try on the rare collision.
    for _ in 0..5 {
        input.reference = crate::public_complaints::new_reference();
        match state
            .store
            .create_staff_flag(&input, &employee, user.user_id)
            .await
        {
            Ok(f) => return Ok(f),
            Err(StoreError::Duplicate {
                what: "complaint", ..
            }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Internal("no free complaint reference".to_owned()))
}

/// Flags a customer as unhappy: opens a complaint of channel `staff_flag` credited to the
/// caller's employee (an admin may name another).
#[utoipa::path(post, path = "/api/v1/customers/{external_id}/flags", tag = "complaints",
    request_body = FlagIn,
    params(("external_id" = String, Path, description = "the customer's external id", min_length = 1, max_length = 200)),
    responses((status = 201, description = "recorded", body = FlagOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "account not linked to an employee, another employee named by a non-admin, or missing csrf token", body = ErrorBody),
              (status = 404, description = "unknown, erased or out-of-scope customer", body = ErrorBody),
              (status = 422, description = "invalid field (note, location, employee)", body = ErrorBody)))]
pub async fn create(
    user: AuthUser,
    State(state): State<AppState>,
    Path(external_id): Path<String>,
    Json(body): Json<FlagIn>,
) -> Result<(StatusCode, Json<FlagOut>), ApiError> {
    let f = record(
        &state,
        &user,
        FlagRequest {
            customer: external_id,
            reason: body.reason,
            note: body.note,
            location: body.location,
            employee: body.employee,
            severity: body.severity.unwrap_or_default().into(),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(f.into())))
}

fn day(field: &'static str, s: &str) -> Result<NaiveDate, ApiError> {
    crate::text::check_text(field, s)?;
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid_field(field, format!("{s:?} is not YYYY-MM-DD")))
}

fn start_of(d: NaiveDate) -> Option<DateTime<Utc>> {
    Some(d.and_hms_opt(0, 0, 0)?.and_utc())
}

/// Staff flags, newest first: an admin sees all, a manager those at their locations and
/// their own, a staff member their own employee's (403 without an employee link).
#[utoipa::path(get, path = "/api/v1/flags", tag = "complaints", params(FlagParams),
    responses((status = 200, description = "the flags", body = FlagList),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "a staff account not linked to an employee, or asking for another employee's flags", body = ErrorBody),
              (status = 422, description = "invalid filter", body = ErrorBody)))]
pub async fn list(
    user: AuthUser,
    State(state): State<AppState>,
    Query(q): Query<FlagParams>,
) -> Result<Json<FlagList>, ApiError> {
    if let Some(e) = &q.employee {
        short("employee", e)?;
    }
    if let Some(l) = &q.location {
        short("location", l)?;
    }
    let from = q.from.as_deref().map(|s| day("from", s)).transpose()?;
    let to = q.to.as_deref().map(|s| day("to", s)).transpose()?;
    if let (Some(a), Some(b)) = (from, to)
        && b < a
    {
        return Err(ApiError::invalid_field("to", "is before from"));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            "must be between 1 and 1000",
        ));
    }
    let mut filter = FlagFilter {
        employee: q.employee.clone(),
        location: q.location.clone(),
        from: from.and_then(start_of),
        to: to.and_then(|d| d.checked_add_signed(TimeDelta::days(1)).and_then(start_of)),
        visible_to: None,
        limit,
    };
    match user.role {
        Role::Admin => {}
        Role::Manager => filter.visible_to = Some(user.user_id),
        Role::Staff => {
            let own = state
                .store
                .user(user.user_id)
                .await?
                .and_then(|u| u.employee)
                .ok_or_else(|| ApiError::Forbidden(NOT_LINKED.to_owned()))?;
            if q.employee.as_ref().is_some_and(|e| *e != own) {
                return Err(ApiError::Forbidden(
                    "staff see only their own flags".to_owned(),
                ));
            }
            filter.employee = Some(own);
        }
    }
    let items = state.store.staff_flags(&filter).await?;
    Ok(Json(FlagList {
        items: items.into_iter().map(FlagOut::from).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_the_seven_categories() {
        assert_eq!(Reason::ALL.len(), 7);
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.key()), Some(r));
            assert_eq!(r.category().as_str(), r.key());
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::Value::String(r.key().to_owned())
            );
        }
        assert_eq!(Reason::parse("other"), None);
    }
}
