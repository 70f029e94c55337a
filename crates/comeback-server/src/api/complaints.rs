//! Complaints (issue 9): `POST/GET /api/v1/complaints`, `GET
//! /api/v1/complaints/{reference}` and `POST /api/v1/complaints/{reference}/transitions`.
//! Every logged-in user records complaints; who may see and handle which one is
//! [`crate::complaint_access`]'s policy (403 with the rule's message). A transition the
//! five-step recovery does not allow is a 409 whose message lists the allowed actions.
//!
//! **Waiting for the customer**: the `wait_for_customer` step stops the SLA clock and
//! `resume` starts it again (both in the history with who and when); at `resume` each
//! deadline still ahead when the wait began moves by the business time waited
//! (`comeback_store::moved_deadline`). The queue flags waiting complaints (`waiting_since`)
//! and never as breached for time spent waiting; the breach check skips them.
//!
//! **Follow-ups become recovery cases**: `POST /api/v1/survey-followups/{id}/complaint`
//! opens a complaint from a survey follow-up (idempotent: the same case again).
//!
//! Deadlines are set at intake from the severity's targets (first response / resolution:
//! critical 1 h / 24 h, high 4 h / 48 h, medium 8 h / 72 h, low 24 h / 120 h) counted in
//! business time on the complaint location's calendar (`GET/PUT
//! /api/v1/locations/{code}/calendar`: opening hours, overnight shifts, holidays, in the
//! location's time zone), or on a 24/7 clock for a location without one or no location.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use comeback_complaints::recovery::{
    Action, Category, Channel, Compensation, CompensationKind, Deadlines, Severity,
};
use comeback_store::{
    Complaint, ComplaintActor, ComplaintEvent, ComplaintFilter, ComplaintInput, ComplaintSummary,
    UserId,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody, Json, Path, Query};

/// Longest free text accepted (bytes).
const MAX_TEXT: usize = 5000;
/// Longest short field (codes, ids, product, channel, category; bytes).
const MAX_SHORT: usize = 200;

/// A new complaint.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintIn {
    /// The reference shown to the customer: 4–40 letters, digits or `-`.
    #[schema(pattern = r"^[A-Za-z0-9-]{4,40}$", example = "CB-7Q4K")]
    pub reference: String,
    /// When it was received (RFC 3339); default now.
    pub received_at: Option<DateTime<Utc>>,
    /// How it arrived: in_person, phone, email, web, letter, social, staff_flag, survey, or
    /// another name.
    #[schema(min_length = 1, max_length = 200, example = "phone")]
    pub channel: String,
    /// The customer's external id.
    #[schema(min_length = 1, max_length = 200)]
    pub customer: String,
    /// Location code.
    #[schema(min_length = 1, max_length = 200)]
    pub location: Option<String>,
    /// Employee code (the employee involved).
    #[schema(min_length = 1, max_length = 200)]
    pub employee: Option<String>,
    /// The product or service concerned.
    #[schema(max_length = 200)]
    pub product: Option<String>,
    /// The complaint in the customer's words.
    #[schema(min_length = 1, max_length = 5000)]
    pub description: String,
    /// price, quality, competitor_offer, inadequate_response, broken_promise,
    /// unresolved_complaint, general_dissatisfaction, or another name.
    #[schema(min_length = 1, max_length = 200, example = "quality")]
    pub category: String,
    /// low, medium, high or critical.
    #[schema(example = "medium")]
    pub severity: SeverityIn,
    /// The remedy the customer asks for.
    #[schema(max_length = 5000)]
    pub remedy_requested: Option<String>,
}

/// Severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum SeverityIn {
    /// Low.
    Low,
    /// Medium (default).
    #[default]
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl From<SeverityIn> for Severity {
    fn from(s: SeverityIn) -> Self {
        match s {
            SeverityIn::Low => Severity::Low,
            SeverityIn::Medium => Severity::Medium,
            SeverityIn::High => Severity::High,
            SeverityIn::Critical => Severity::Critical,
        }
    }
}

/// The first-response and resolution targets of a severity (business hours on the
/// location's calendar, see [`deadlines_for`]).
pub fn targets(s: Severity) -> (TimeDelta, TimeDelta) {
    let (f, r) = match s {
        Severity::Critical => (1, 24),
        Severity::High => (4, 48),
        Severity::Medium => (8, 72),
        Severity::Low => (24, 120),
    };
    (TimeDelta::hours(f), TimeDelta::hours(r))
}

/// A step of the recovery.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum TransitionIn {
    /// Step 1: acknowledge and apologise.
    Acknowledge {
        /// The apology.
        #[schema(min_length = 1, max_length = 5000)]
        apology: String,
    },
    /// Step 2: what was done.
    TakeAction {
        /// What was done.
        #[schema(min_length = 1, max_length = 5000)]
        description: String,
    },
    /// Step 3: a note of the conversation.
    ShowEmpathy {
        /// The note.
        #[schema(min_length = 1, max_length = 5000)]
        note: String,
    },
    /// Step 4: compensation.
    Compensate {
        /// refund, discount, gift, free_service or none.
        kind: CompensationKindIn,
        /// Value in the business currency, an exact decimal (`"12.50"`); required for a
        /// refund, absent or zero for none.
        #[schema(pattern = r"^[0-9]{1,12}(\.[0-9]{1,6})?$", example = "12.50")]
        value: Option<String>,
        /// A note.
        #[schema(max_length = 5000)]
        note: Option<String>,
    },
    /// Step 5: the follow-up.
    FollowUp {
        /// Is the customer satisfied?
        satisfied: bool,
        /// Their words.
        #[schema(max_length = 5000)]
        comment: Option<String>,
    },
    /// Close.
    Close {
        /// A closing note.
        #[schema(max_length = 5000)]
        note: Option<String>,
    },
    /// Hand over to another user.
    Escalate {
        /// The new owner's user id.
        #[schema(minimum = 1)]
        to: i64,
        /// Why.
        #[schema(min_length = 1, max_length = 5000)]
        reason: String,
    },
    /// Reopen after a follow-up or closure.
    Reopen {
        /// Why.
        #[schema(min_length = 1, max_length = 5000)]
        reason: String,
    },
    /// Stop the SLA clock while waiting for the customer's answer.
    WaitForCustomer {
        /// What the customer was asked.
        #[schema(max_length = 5000)]
        note: Option<String>,
    },
    /// Start the SLA clock again; the deadlines move by the business time waited.
    Resume {
        /// What the customer answered.
        #[schema(max_length = 5000)]
        note: Option<String>,
    },
}

impl TransitionIn {
    /// The action's name (`take_action`).
    pub fn name(&self) -> &'static str {
        match self {
            TransitionIn::Acknowledge { .. } => "acknowledge",
            TransitionIn::TakeAction { .. } => "take_action",
            TransitionIn::ShowEmpathy { .. } => "show_empathy",
            TransitionIn::Compensate { .. } => "compensate",
            TransitionIn::FollowUp { .. } => "follow_up",
            TransitionIn::Close { .. } => "close",
            TransitionIn::Escalate { .. } => "escalate",
            TransitionIn::Reopen { .. } => "reopen",
            TransitionIn::WaitForCustomer { .. } => "wait_for_customer",
            TransitionIn::Resume { .. } => "resume",
        }
    }
}

/// Compensation kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CompensationKindIn {
    /// Money back.
    Refund,
    /// A discount.
    Discount,
    /// A gift.
    Gift,
    /// A free service.
    FreeService,
    /// Nothing.
    None,
}

/// One step of the history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventOut {
    /// Position, from 1.
    pub seq: i64,
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// staff, customer or system.
    pub actor: String,
    /// The staff user's id.
    pub actor_user: Option<i64>,
    /// The action's name.
    pub action: String,
    /// Status before.
    pub from: String,
    /// Status after.
    pub to: String,
}

/// A complaint with its history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintOut {
    /// Reference.
    pub reference: String,
    /// Received (UTC).
    pub received_at: DateTime<Utc>,
    /// Channel.
    pub channel: String,
    /// The customer's external id (`null` after erasure).
    pub customer: Option<String>,
    /// Location code.
    pub location: Option<String>,
    /// Employee code.
    pub employee: Option<String>,
    /// Product or service.
    pub product: Option<String>,
    /// The complaint.
    pub description: String,
    /// Category.
    pub category: String,
    /// Severity.
    pub severity: String,
    /// Remedy asked for.
    pub remedy_requested: Option<String>,
    /// Owner's user id.
    pub owner: Option<i64>,
    /// First response due (UTC).
    pub first_response_due: Option<DateTime<Utc>>,
    /// Resolution due (UTC).
    pub resolution_due: Option<DateTime<Utc>>,
    /// Current status.
    pub status: String,
    /// Waiting for the customer since (UTC; the SLA clock is stopped); `null` while it
    /// runs.
    pub waiting_since: Option<DateTime<Utc>>,
    /// The survey follow-up the complaint was opened from.
    pub survey_followup: Option<i64>,
    /// Actions the caller may apply now (the recovery's rules and the caller's role).
    pub allowed_actions: Vec<String>,
    /// The history, oldest first.
    pub history: Vec<EventOut>,
}

/// A row of the queue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintRowOut {
    /// Reference.
    pub reference: String,
    /// Received (UTC).
    pub received_at: DateTime<Utc>,
    /// Customer's external id.
    pub customer: Option<String>,
    /// Location code.
    pub location: Option<String>,
    /// Category.
    pub category: String,
    /// Severity.
    pub severity: String,
    /// Owner's user id.
    pub owner: Option<i64>,
    /// First response due.
    pub first_response_due: Option<DateTime<Utc>>,
    /// Resolution due.
    pub resolution_due: Option<DateTime<Utc>>,
    /// Status.
    pub status: String,
    /// Waiting for the customer since (UTC); `null` while the clock runs.
    pub waiting_since: Option<DateTime<Utc>>,
    /// True when a deadline passed: no first response by its due time, or not closed by
    /// the resolution due time (for a complaint waiting for the customer: passed before
    /// the wait began — time spent waiting never breaches).
    pub breached: bool,
}

/// The queue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintList {
    /// Soonest resolution deadline first.
    pub items: Vec<ComplaintRowOut>,
}

/// Filters of the queue.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this owner's (user id).
    #[param(minimum = 1)]
    pub owner: Option<i64>,
    /// Only this location's (code).
    #[param(min_length = 1, max_length = 200)]
    pub location: Option<String>,
    /// Only this severity.
    pub severity: Option<SeverityIn>,
    /// Only open complaints (not closed); default false.
    pub open: Option<bool>,
    /// Only complaints waiting for the customer; default false.
    pub waiting: Option<bool>,
    /// At most this many, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

fn text(field: &'static str, s: &str, max: usize, required: bool) -> Result<(), ApiError> {
    if s.len() > max {
        return Err(ApiError::invalid_field(
            field,
            format!("is {} bytes, at most {max} allowed", s.len()),
        ));
    }
    if required && s.trim().is_empty() {
        return Err(ApiError::invalid_field(field, "must not be empty"));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(ApiError::invalid_field(
            field,
            "contains a control character",
        ));
    }
    Ok(())
}

/// A reference no complaint can have (not 4–40 letters, digits or `-`, e.g. with a NUL
/// byte PostgreSQL refuses) is answered 404 before the database is asked.
fn known_shape(reference: &str) -> Result<(), ApiError> {
    comeback_complaints::recovery::Reference::parse(reference)
        .map(|_| ())
        .map_err(|_| ApiError::NotFound {
            what: "complaint",
            key: reference.to_owned(),
        })
}

fn event_out(e: &ComplaintEvent) -> EventOut {
    let (actor, user) = match e.actor {
        ComplaintActor::Staff(u) => ("staff", Some(u.0)),
        ComplaintActor::Customer => ("customer", None),
        ComplaintActor::System => ("system", None),
    };
    EventOut {
        seq: e.seq,
        at: e.at,
        actor: actor.to_owned(),
        actor_user: user,
        action: e.action.name().to_owned(),
        from: e.from.as_str().to_owned(),
        to: e.to.as_str().to_owned(),
    }
}

/// A complaint as the API shows it to `user` (the actions they may apply now).
pub fn out(c: Complaint, user: &AuthUser) -> ComplaintOut {
    ComplaintOut {
        allowed_actions: crate::complaint_access::allowed_for(user, &c)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        waiting_since: c.waiting_since,
        survey_followup: c.survey_followup,
        history: c.history.iter().map(event_out).collect(),
        reference: c.reference,
        received_at: c.received_at,
        channel: c.channel.as_str().to_owned(),
        customer: c.customer,
        location: c.location,
        employee: c.employee,
        product: c.product,
        description: c.description,
        category: c.category.as_str().to_owned(),
        severity: c.severity.as_str().to_owned(),
        remedy_requested: c.remedy_requested,
        owner: c.owner.map(|u| u.0),
        first_response_due: c.deadlines.first_response,
        resolution_due: c.deadlines.resolution,
        status: c.status.as_str().to_owned(),
    }
}

/// Which deadlines of a complaint passed by `now` (first response, resolution): time
/// spent waiting for the customer never counts, so a waiting complaint is late only for a
/// deadline that passed before the wait began.
pub fn late(
    status: comeback_complaints::recovery::Status,
    deadlines: &Deadlines,
    waiting_since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (bool, bool) {
    use comeback_complaints::recovery::Status;
    let clock = waiting_since.map_or(now, |w| w.min(now));
    let due = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t < clock);
    (
        status == Status::Received && due(deadlines.first_response),
        status != Status::Closed && due(deadlines.resolution),
    )
}

fn row_out(c: ComplaintSummary, now: DateTime<Utc>) -> ComplaintRowOut {
    let (first, resolution) = late(c.status, &c.deadlines, c.waiting_since, now);
    let breached = first || resolution;
    ComplaintRowOut {
        reference: c.reference,
        received_at: c.received_at,
        customer: c.customer,
        location: c.location,
        category: c.category.as_str().to_owned(),
        severity: c.severity.as_str().to_owned(),
        owner: c.owner.map(|u| u.0),
        first_response_due: c.deadlines.first_response,
        resolution_due: c.deadlines.resolution,
        status: c.status.as_str().to_owned(),
        waiting_since: c.waiting_since,
        breached,
    }
}

/// Records a complaint (status `received`, owned by the caller).
#[utoipa::path(post, path = "/api/v1/complaints", tag = "complaints", request_body = ComplaintIn,
    responses((status = 201, description = "recorded", body = ComplaintOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "missing csrf token", body = ErrorBody),
              (status = 404, description = "unknown customer, location or employee", body = ErrorBody),
              (status = 409, description = "reference in use", body = ErrorBody),
              (status = 422, description = "invalid or oversize field", body = ErrorBody)))]
pub async fn create(
    user: AuthUser,
    State(state): State<AppState>,
    Json(body): Json<ComplaintIn>,
) -> Result<(StatusCode, Json<ComplaintOut>), ApiError> {
    comeback_complaints::recovery::Reference::parse(&body.reference)
        .map_err(|e| ApiError::invalid_field("reference", e.to_string()))?;
    for (field, v, max, required) in [
        ("channel", Some(&body.channel), MAX_SHORT, true),
        ("customer", Some(&body.customer), MAX_SHORT, true),
        ("location", body.location.as_ref(), MAX_SHORT, true),
        ("employee", body.employee.as_ref(), MAX_SHORT, true),
        ("product", body.product.as_ref(), MAX_SHORT, false),
        ("description", Some(&body.description), MAX_TEXT, true),
        ("category", Some(&body.category), MAX_SHORT, true),
        (
            "remedy_requested",
            body.remedy_requested.as_ref(),
            MAX_TEXT,
            false,
        ),
    ] {
        if let Some(v) = v {
            text(field, v, max, required)?;
        }
    }
    let received_at = body.received_at.unwrap_or_else(Utc::now);
    if received_at > Utc::now() + TimeDelta::days(1) {
        return Err(ApiError::invalid_field(
            "received_at",
            "is in the future (more than a day ahead of the server's clock)",
        ));
    }
    let severity: Severity = body.severity.into();
    let deadlines = deadlines_for(&state, body.location.as_deref(), received_at, severity).await?;
    let input = ComplaintInput {
        reference: body.reference,
        received_at,
        channel: Channel::parse(&body.channel)
            .map_err(|e| ApiError::invalid_field("channel", e.to_string()))?,
        customer: body.customer,
        location: body.location,
        employee: body.employee,
        product: body.product,
        description: body.description,
        category: Category::parse(&body.category)
            .map_err(|e| ApiError::invalid_field("category", e.to_string()))?,
        severity,
        remedy_requested: body.remedy_requested,
        owner: Some(user.user_id),
        deadlines,
    };
    let c = state
        .store
        .create_complaint(&input, Some(user.user_id))
        .await?;
    Ok((StatusCode::CREATED, Json(out(c, &user))))
}

/// The queue, soonest resolution deadline first, with breach flags: the complaints the
/// caller may see (admins all, managers their locations', staff those they own or recorded).
#[utoipa::path(get, path = "/api/v1/complaints", tag = "complaints", params(ListParams),
    responses((status = 200, description = "the queue", body = ComplaintList),
              (status = 401, description = "not logged in", body = ErrorBody)))]
pub async fn list(
    user: AuthUser,
    State(state): State<AppState>,
    Query(q): Query<ListParams>,
) -> Result<Json<ComplaintList>, ApiError> {
    if let Some(l) = &q.location {
        text("location", l, MAX_SHORT, true)?;
    }
    if q.owner.is_some_and(|o| o < 1) {
        return Err(ApiError::invalid_field("owner", "must be a user id ≥ 1"));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            "must be between 1 and 1000",
        ));
    }
    let filter = ComplaintFilter {
        owner: q.owner.map(UserId),
        location: q.location,
        severity: q.severity.map(Severity::from),
        open_only: q.open.unwrap_or(false),
        waiting_only: q.waiting.unwrap_or(false),
        scope: crate::complaint_access::scope(&user),
        limit,
        ..Default::default()
    };
    let now = Utc::now();
    let items = state.store.list_complaints(&filter).await?;
    Ok(Json(ComplaintList {
        items: items.into_iter().map(|c| row_out(c, now)).collect(),
    }))
}

/// One complaint with its history and the actions allowed now.
#[utoipa::path(get, path = "/api/v1/complaints/{reference}", tag = "complaints",
    params(("reference" = String, Path, description = "the complaint's reference", max_length = 40)),
    responses((status = 200, description = "the complaint", body = ComplaintOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not one the caller may see", body = ErrorBody),
              (status = 404, description = "no such complaint", body = ErrorBody)))]
pub async fn get(
    user: AuthUser,
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Json<ComplaintOut>, ApiError> {
    known_shape(&reference)?;
    let c = state.store.complaint(&reference).await?;
    crate::complaint_access::check_see(&user, &c)?;
    Ok(Json(out(c, &user)))
}

/// Applies a step of the recovery (by the caller, now).
#[utoipa::path(post, path = "/api/v1/complaints/{reference}/transitions", tag = "complaints",
    request_body = TransitionIn,
    params(("reference" = String, Path, description = "the complaint's reference", max_length = 40)),
    responses((status = 200, description = "applied", body = ComplaintOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not allowed to the caller's role (compensate, close and reopen need a manager or admin; staff act on complaints they own), or missing csrf token", body = ErrorBody),
              (status = 404, description = "no such complaint or user", body = ErrorBody),
              (status = 409, description = "a transition the recovery does not allow now (the message lists the allowed ones)", body = ErrorBody),
              (status = 422, description = "invalid or oversize field", body = ErrorBody)))]
pub async fn transition(
    user: AuthUser,
    State(state): State<AppState>,
    Path(reference): Path<String>,
    Json(body): Json<TransitionIn>,
) -> Result<Json<ComplaintOut>, ApiError> {
    known_shape(&reference)?;
    let current = state.store.complaint(&reference).await?;
    crate::complaint_access::check_act(&user, &current, body.name())?;
    let action = action_of(body)?;
    let c = state
        .store
        .transition_complaint(
            &reference,
            Utc::now(),
            ComplaintActor::Staff(user.user_id),
            action,
        )
        .await?;
    Ok(Json(out(c, &user)))
}

/// The recovery action of a request, every field checked (422 naming the field).
///
/// # Errors
/// [`ApiError::Invalid`] for an empty, oversize or malformed field.
pub fn action_of(body: TransitionIn) -> Result<Action, ApiError> {
    let s = |o: Option<String>| o.unwrap_or_default();
    let action = match body {
        TransitionIn::Acknowledge { apology } => {
            text("apology", &apology, MAX_TEXT, true)?;
            Action::Acknowledge { apology }
        }
        TransitionIn::TakeAction { description } => {
            text("description", &description, MAX_TEXT, true)?;
            Action::TakeAction { description }
        }
        TransitionIn::ShowEmpathy { note } => {
            text("note", &note, MAX_TEXT, true)?;
            Action::ShowEmpathy { note }
        }
        TransitionIn::Compensate { kind, value, note } => {
            let note = s(note);
            text("note", &note, MAX_TEXT, false)?;
            let kind = match kind {
                CompensationKindIn::Refund => CompensationKind::Refund,
                CompensationKindIn::Discount => CompensationKind::Discount,
                CompensationKindIn::Gift => CompensationKind::Gift,
                CompensationKindIn::FreeService => CompensationKind::FreeService,
                CompensationKindIn::None => CompensationKind::None,
            };
            let value = value
                .map(|v| {
                    if v.len() > 20 {
                        return Err(ApiError::invalid_field("value", "at most 20 characters"));
                    }
                    comeback_complaints::parse::parse_compensation(&v).map_err(|e| {
                        ApiError::invalid_field("value", format!("{v:?}: {}", e.expected))
                    })
                })
                .transpose()?;
            let compensation = Compensation::new(kind, value, note)
                .map_err(|e| ApiError::invalid_field("value", e.to_string()))?;
            Action::Compensate { compensation }
        }
        TransitionIn::FollowUp { satisfied, comment } => {
            let comment = s(comment);
            text("comment", &comment, MAX_TEXT, false)?;
            Action::FollowUp { satisfied, comment }
        }
        TransitionIn::Close { note } => {
            let note = s(note);
            text("note", &note, MAX_TEXT, false)?;
            Action::Close { note }
        }
        TransitionIn::Escalate { to, reason } => {
            text("reason", &reason, MAX_TEXT, true)?;
            if to < 1 {
                return Err(ApiError::invalid_field("to", "must be a user id ≥ 1"));
            }
            Action::Escalate { to, reason }
        }
        TransitionIn::Reopen { reason } => {
            text("reason", &reason, MAX_TEXT, true)?;
            Action::Reopen { reason }
        }
        TransitionIn::WaitForCustomer { note } => {
            let note = s(note);
            text("note", &note, MAX_TEXT, false)?;
            Action::WaitForCustomer { note }
        }
        TransitionIn::Resume { note } => {
            let note = s(note);
            text("note", &note, MAX_TEXT, false)?;
            Action::Resume { note }
        }
    };
    Ok(action)
}

/// A request for a signed link to the public complaint page for one customer.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkIn {
    /// The customer's external id (must be stored and not erased).
    #[schema(min_length = 1, max_length = 200)]
    pub customer: String,
    /// Days the link stays valid, 1–365 (default 30).
    #[schema(minimum = 1, maximum = 365)]
    pub valid_days: Option<u32>,
}

/// A signed link to the public complaint page: a complaint filed through it is recorded
/// for this customer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkOut {
    /// The customer's external id.
    pub customer: String,
    /// The token (`HEX(customer).EXPIRY.HEX(HMAC-SHA256)`).
    pub token: String,
    /// The page's path with the token: `/complain?t=TOKEN`.
    pub path: String,
    /// The full URL when the server's public URL is configured (`--public-url`).
    pub url: Option<String>,
    /// When the link stops working (UTC).
    pub expires_at: DateTime<Utc>,
}

/// Issues a signed link to the public complaint page for a customer (managers and
/// admins), to put in a receipt or an e-mail.
#[utoipa::path(post, path = "/api/v1/complaint-links", tag = "complaints", request_body = LinkIn,
    responses((status = 201, description = "the link", body = LinkOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager, or missing csrf token", body = ErrorBody),
              (status = 404, description = "unknown or erased customer", body = ErrorBody),
              (status = 422, description = "invalid field", body = ErrorBody)))]
pub async fn create_link(
    _user: crate::auth::RequireManager,
    State(state): State<AppState>,
    Json(body): Json<LinkIn>,
) -> Result<(StatusCode, Json<LinkOut>), ApiError> {
    text("customer", &body.customer, MAX_SHORT, true)?;
    let days = body.valid_days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(ApiError::invalid_field(
            "valid_days",
            "must be between 1 and 365",
        ));
    }
    state.store.customer_detail(&body.customer).await?;
    let expires_at = Utc::now() + TimeDelta::days(i64::from(days));
    let token = state.public_complaints.sign(&body.customer, expires_at);
    let path = format!("/complain?t={token}");
    let url = state
        .settings
        .public_url
        .as_deref()
        .map(|u| format!("{}{path}", u.trim_end_matches('/')));
    Ok((
        StatusCode::CREATED,
        Json(LinkOut {
            customer: body.customer,
            token,
            path,
            url,
            // Whole seconds, as in the token.
            expires_at: DateTime::from_timestamp(expires_at.timestamp(), 0).unwrap_or(expires_at),
        }),
    ))
}

/// The deadlines of a complaint received at `received` at `location` with `severity`: the
/// severity's [`targets`] in business time on the location's stored calendar
/// (`comeback_complaints::sla::BusinessCalendar::deadline`), or on a 24/7 clock when the
/// complaint has no location or its location no calendar.
///
/// # Errors
/// 404 for an unknown location; the store's errors.
pub async fn deadlines_for(
    state: &AppState,
    location: Option<&str>,
    received: DateTime<Utc>,
    severity: Severity,
) -> Result<Deadlines, ApiError> {
    use comeback_complaints::sla::{BusinessCalendar, Pauses};
    // The clock searches up to 20 years ahead; an instant that close to the end of time
    // has no deadline it could compute.
    if received
        .checked_add_signed(TimeDelta::days(21 * 366))
        .is_none()
    {
        return Err(ApiError::invalid_field(
            "received_at",
            "is too far in the future",
        ));
    }
    let calendar = match location {
        Some(code) => match state.store.location_calendar(code).await? {
            Some(c) => c.calendar()?,
            None => BusinessCalendar::always(),
        },
        None => BusinessCalendar::always(),
    };
    let (fr, res) = targets(severity);
    let none = Pauses::none();
    Ok(Deadlines {
        first_response: calendar.deadline(received, fr, &none),
        resolution: calendar.deadline(received, res, &none),
    })
}

/// A location's business calendar.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarIn {
    /// Opening hours: `Mon-Fri 09:00-17:00; Sat 10:00-14:00`; an overnight shift such as
    /// `Fri 22:00-06:00` belongs to the day it opens.
    #[schema(
        min_length = 1,
        max_length = 500,
        example = "Mon-Fri 09:00-17:00; Sat 10:00-14:00"
    )]
    pub hours: String,
    /// Holidays (local dates, `YYYY-MM-DD`), at most 1000.
    #[schema(max_items = 1000)]
    pub holidays: Option<Vec<chrono::NaiveDate>>,
}

/// A location's business calendar as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarOut {
    /// The location's code.
    pub location: String,
    /// Its IANA time zone (the clock's zone).
    pub time_zone: String,
    /// Opening hours in canonical form; `null`: none stored, the clock runs 24/7.
    pub hours: Option<String>,
    /// Holidays, sorted.
    pub holidays: Vec<chrono::NaiveDate>,
}

async fn calendar_out(state: &AppState, code: &str) -> Result<CalendarOut, ApiError> {
    match state.store.location_calendar(code).await? {
        Some(c) => Ok(CalendarOut {
            location: c.location,
            time_zone: c.time_zone,
            hours: Some(c.hours),
            holidays: c.holidays,
        }),
        None => {
            let tz = state
                .store
                .locations()
                .await?
                .into_iter()
                .find(|l| l.code == code)
                .map(|l| l.time_zone)
                .ok_or_else(|| ApiError::NotFound {
                    what: "location",
                    key: code.to_owned(),
                })?;
            Ok(CalendarOut {
                location: code.to_owned(),
                time_zone: tz,
                hours: None,
                holidays: Vec::new(),
            })
        }
    }
}

/// The business calendar of a location (`hours: null` when none is stored: 24/7).
#[utoipa::path(get, path = "/api/v1/locations/{code}/calendar", tag = "complaints",
    params(("code" = String, Path, description = "the location's code", max_length = 200)),
    responses((status = 200, description = "the calendar", body = CalendarOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 404, description = "no such location", body = ErrorBody)))]
pub async fn get_calendar(
    _user: AuthUser,
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<CalendarOut>, ApiError> {
    location_code(&code)?;
    Ok(Json(calendar_out(&state, &code).await?))
}

/// A location code that cannot exist (empty, over 200 bytes, control characters) is a 404
/// before the database is asked.
fn location_code(code: &str) -> Result<(), ApiError> {
    text("code", code, MAX_SHORT, true).map_err(|_| ApiError::NotFound {
        what: "location",
        key: code.to_owned(),
    })
}

/// Sets the opening hours and holidays of a location (managers and admins); deadlines of
/// complaints recorded afterwards at that location count business time on it.
#[utoipa::path(put, path = "/api/v1/locations/{code}/calendar", tag = "complaints",
    request_body = CalendarIn,
    params(("code" = String, Path, description = "the location's code", max_length = 200)),
    responses((status = 200, description = "stored", body = CalendarOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager, or missing csrf token", body = ErrorBody),
              (status = 404, description = "no such location", body = ErrorBody),
              (status = 422, description = "invalid hours or holidays", body = ErrorBody)))]
pub async fn put_calendar(
    _user: crate::auth::RequireManager,
    State(state): State<AppState>,
    Path(code): Path<String>,
    Json(body): Json<CalendarIn>,
) -> Result<Json<CalendarOut>, ApiError> {
    location_code(&code)?;
    text("hours", &body.hours, 500, true)?;
    let hours = comeback_complaints::sla::WeeklyHours::parse(&body.hours)
        .map_err(|e| ApiError::invalid_field("hours", e.to_string()))?;
    if hours.is_empty() {
        return Err(ApiError::invalid_field(
            "hours",
            "opens on no day: a clock that never runs has no deadlines",
        ));
    }
    let holidays = body.holidays.unwrap_or_default();
    if holidays.len() > 1000 {
        return Err(ApiError::invalid_field("holidays", "at most 1000 dates"));
    }
    state
        .store
        .set_location_calendar(&code, &hours, &holidays)
        .await?;
    Ok(Json(calendar_out(&state, &code).await?))
}

/// Options of the complaint measures (the flags of `comeback complaints`).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeasuresParams {
    /// First-response target in hours, > 0 and ≤ 8760 (default 4), business time on each
    /// location's calendar.
    #[param(exclusive_minimum = 0, maximum = 8760)]
    pub first_response_target_hours: Option<f64>,
    /// Resolution target in hours, > 0 and ≤ 8760 (default 72).
    #[param(exclusive_minimum = 0, maximum = 8760)]
    pub resolution_target_hours: Option<f64>,
    /// The moment of the measurement (RFC 3339); default the latest timestamp of the
    /// complaints.
    pub as_of: Option<DateTime<Utc>>,
    /// Silent dissatisfied customers per complaint, 0–1000 (default 10).
    #[param(minimum = 0, maximum = 1000)]
    pub iceberg_ratio: Option<f64>,
}

fn target_param(field: &'static str, v: Option<f64>, default: f64) -> Result<TimeDelta, ApiError> {
    let h = v.unwrap_or(default);
    if !(h.is_finite() && h > 0.0 && h <= 8760.0) {
        return Err(ApiError::invalid_field(
            field,
            "must be > 0 and ≤ 8760 hours",
        ));
    }
    Ok(TimeDelta::milliseconds((h * 3.6e6).round() as i64))
}

/// The complaint measures of the stored complaints as plain data: the options, the
/// measures and the clock.
pub async fn compute_measures(
    state: &AppState,
    q: &MeasuresParams,
) -> Result<
    (
        comeback_complaints::measures::MeasureOptions,
        comeback_complaints::measures::ComplaintMeasures,
        crate::complaint_measures::Clock,
        Vec<comeback_complaints::measures::ComplaintRow>,
    ),
    ApiError,
> {
    use comeback_complaints::measures::{Calendars, MeasureOptions, measure};
    use comeback_complaints::sla::BusinessCalendar;
    let ratio = q
        .iceberg_ratio
        .unwrap_or(comeback_complaints::measures::ICEBERG_RATIO);
    if !(ratio.is_finite() && (0.0..=1000.0).contains(&ratio)) {
        return Err(ApiError::invalid_field(
            "iceberg_ratio",
            "must be between 0 and 1000",
        ));
    }
    let tz = state.store.business_time_zone().await?;
    let options = MeasureOptions {
        first_response_target: target_param(
            "first_response_target_hours",
            q.first_response_target_hours,
            4.0,
        )?,
        resolution_target: target_param(
            "resolution_target_hours",
            q.resolution_target_hours,
            72.0,
        )?,
        as_of: q.as_of,
        iceberg_ratio: ratio,
        month_timezone: tz,
    };
    let stored = state.store.location_calendars().await?;
    let mut calendars = Calendars::single(BusinessCalendar::always());
    let mut locations = Vec::new();
    for (code, c) in &stored {
        calendars.by_location.insert(code.clone(), c.calendar()?);
        locations.push(crate::complaint_measures::LocationClock {
            code: code.clone(),
            hours: c.hours.clone(),
            timezone: c.time_zone.clone(),
            holidays: c.holidays.len(),
        });
    }
    let rows = crate::complaint_measures::rows(&state.store.all_complaints().await?);
    let m = measure(&rows, &calendars, &options)
        .map_err(|e| ApiError::invalid_field("as_of", e.to_string()))?;
    let clock = crate::complaint_measures::Clock {
        hours: None,
        timezone: tz.name().to_owned(),
        holidays: 0,
        locations,
    };
    Ok((options, m, clock, rows))
}

/// Complaint measures of every stored complaint (managers and admins): the JSON of
/// `comeback complaints --json` on the same data (see `comeback_server::complaint_measures`);
/// `clock.business_hours` is the default clock (`null`: 24/7, for complaints whose location
/// has no calendar) and `clock.locations` each location's calendar
/// (`{CODE: {business_hours, timezone, holidays}}`, hours in `--business-hours` syntax).
#[utoipa::path(get, path = "/api/v1/complaint-measures", tag = "complaints", params(MeasuresParams),
    responses((status = 200, description = "the measures", body = Object),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager", body = ErrorBody),
              (status = 422, description = "invalid option, or as_of before the data", body = ErrorBody)))]
pub async fn measures(
    _user: crate::auth::RequireManager,
    State(state): State<AppState>,
    Query(q): Query<MeasuresParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (options, m, clock, _) = compute_measures(&state, &q).await?;
    let v = crate::complaint_measures::measures_json(&m, &options, &clock)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(v))
}

/// Every stored complaint as a row of `comeback complaints`' input file (CSV, the fifteen
/// columns), for the CLI or a spreadsheet (managers and admins).
#[utoipa::path(get, path = "/api/v1/complaint-measures/rows", tag = "complaints",
    responses((status = 200, description = "the complaints file", content_type = "text/csv", body = String),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager", body = ErrorBody)))]
pub async fn measure_rows(
    _user: crate::auth::RequireManager,
    State(state): State<AppState>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let rows = crate::complaint_measures::rows(&state.store.all_complaints().await?);
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        crate::complaint_measures::export_csv(&rows),
    )
        .into_response())
}

/// Opens a recovery case from a survey follow-up (a detractor answer or a low report-card
/// score; managers of its location and admins): a complaint in status `received`, channel
/// `survey`, category `general_dissatisfaction`, severity medium, owned by the caller,
/// with the follow-up's customer (unidentified for an anonymous answer), location and
/// employee, the survey answer as its description and a link back (`survey_followup`).
/// It is received now (the SLA clock starts when the case is opened; the answer's own time
/// is in the description). Idempotent: when the follow-up already has a case, that case is
/// returned with 200.
#[utoipa::path(post, path = "/api/v1/survey-followups/{id}/complaint", tag = "complaints",
    params(("id" = i64, Path, description = "follow-up id")),
    responses((status = 201, description = "the case opened", body = ComplaintOut),
              (status = 200, description = "the case opened earlier from this follow-up", body = ComplaintOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager, or missing csrf token", body = ErrorBody),
              (status = 404, description = "no such follow-up (or not one of the manager's locations)", body = ErrorBody)))]
pub async fn from_followup(
    crate::auth::RequireManager(user): crate::auth::RequireManager,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<ComplaintOut>), ApiError> {
    let (c, created) = open_followup_case(&state, &user, id).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(out(c, &user))))
}

/// The survey answer of a follow-up as a complaint's description.
fn followup_description(f: &comeback_store::FollowUp) -> String {
    let reason = match f.reason.as_str() {
        "detractor" => "detractor answer",
        "low_report_card" => "low report-card score",
        other => other,
    };
    let mut s = format!("Survey \u{201c}{}\u{201d} ({}), {reason}", f.survey, f.kind);
    if let Some(score) = f.score {
        s.push_str(&format!(", score {score}"));
    }
    if let Some(t) = f.submitted_at {
        s.push_str(&format!(", answered {}", t.format("%Y-%m-%d %H:%M UTC")));
    }
    match f
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(c) => {
            s.push_str(": ");
            s.push_str(c);
        }
        None => s.push('.'),
    }
    s
}

/// Opens (or finds) the recovery case of follow-up `id` for `user` (a manager or admin);
/// the flag says whether it was created now. Shared by the API and the survey page.
///
/// # Errors
/// 404 for a follow-up the user cannot see; the store's errors.
pub async fn open_followup_case(
    state: &AppState,
    user: &AuthUser,
    id: i64,
) -> Result<(Complaint, bool), ApiError> {
    use comeback_store::Role;
    let scope = (user.role != Role::Admin).then_some(user.locations.as_slice());
    let f = state
        .store
        .list_followups(scope)
        .await?
        .into_iter()
        .find(|f| f.id == id)
        .ok_or_else(|| ApiError::NotFound {
            what: "follow-up",
            key: id.to_string(),
        })?;
    if let Some(c) = state.store.complaint_of_followup(id).await? {
        return Ok((c, false));
    }
    let received_at = Utc::now();
    let severity = Severity::Medium;
    let deadlines = deadlines_for(state, f.location.as_deref(), received_at, severity).await?;
    let input = ComplaintInput {
        reference: crate::public_complaints::new_reference(),
        received_at,
        channel: Channel::Survey,
        customer: f.customer.clone().unwrap_or_default(),
        location: f.location.clone(),
        employee: f.employee.clone(),
        product: None,
        description: followup_description(&f),
        category: Category::GeneralDissatisfaction,
        severity,
        remedy_requested: None,
        owner: Some(user.user_id),
        deadlines,
    };
    Ok(state
        .store
        .create_complaint_from_followup(id, &input, Some(user.user_id))
        .await?)
}
