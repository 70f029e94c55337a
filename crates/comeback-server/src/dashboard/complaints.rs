//! The complaint pages of the dashboard (issue 9), for every logged-in user like the API,
//! each seeing and handling what [`crate::complaint_access`] allows (a refused page or step
//! is the HTML 403 page with the rule's message; forms for steps the role may not take are
//! not shown):
//!
//! - `GET /complaints?owner=&location=&severity=&state=`: the queue, soonest resolution
//!   deadline first (the store's order), with the breach warnings of
//!   `GET /api/v1/complaints` (no first response by its due time; not closed by the
//!   resolution due time; time waiting for the customer never counts), complaints waiting
//!   for the customer marked as such, and filters by owner (`me` or a user id), location,
//!   severity and open/waiting/all (default open).
//! - `POST /surveys/followups/{id}/complaint` (managers and admins): opens the recovery
//!   case of a survey follow-up (`crate::api::complaints::open_followup_case`, idempotent)
//!   and answers 303 to its page.
//! - `GET /complaints/{reference}`: the record, the history with every step's text, and
//!   one form per action the recovery allows now. `POST /complaints/{reference}`
//!   (`action` and its fields, with the session's `csrf_token`) applies the step through
//!   [`crate::api::complaints::action_of`] and `Store::transition_complaint` like the API
//!   and answers 303 back to the page; a step the recovery refuses (a stale page) shows
//!   the page again with 409 and the store's message, which lists the allowed actions,
//!   and an invalid field shows it again with 422.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use comeback_complaints::recovery::{Action, Severity};
use comeback_store::{Complaint, ComplaintActor, ComplaintFilter, StoreError, UserId};
use minijinja::{Value, context};
use serde::Deserialize;

use super::{Ctx, error_page};
use crate::api::complaints::{CompensationKindIn, TransitionIn, action_of, late};
use crate::complaint_access::{allowed_for, check_act, check_see};
use crate::{ApiError, AppState};

/// Rows shown in the queue.
pub const QUEUE_ROWS: u32 = 500;

/// The queue's filters as sent by its GET form.
#[derive(Debug, Clone, Default, Deserialize)]
struct QueueFilter {
    owner: Option<String>,
    location: Option<String>,
    severity: Option<String>,
    state: Option<String>,
}

fn blank(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Who a user id is, for the pages: their e-mail, or `#id` for a deleted user.
fn user_names(users: &[comeback_store::User]) -> BTreeMap<i64, String> {
    users.iter().map(|u| (u.id.0, u.email.clone())).collect()
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// `GET /complaints`.
pub(super) async fn queue(
    ctx: Ctx,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Response {
    match queue_inner(&ctx, &state, raw.as_deref()).await {
        Ok(r) => r,
        Err(e) => error_page(ctx.lang, &e),
    }
}

async fn queue_inner(ctx: &Ctx, state: &AppState, raw: Option<&str>) -> Result<Response, ApiError> {
    let f: QueueFilter = match raw {
        None | Some("") => QueueFilter::default(),
        Some(q) => serde_urlencoded::from_str(q)
            .map_err(|e| ApiError::invalid_field("query", e.to_string()))?,
    };
    let owner_text = blank(f.owner);
    let owner = match owner_text.as_deref() {
        None => None,
        Some("me") => Some(ctx.user.user_id),
        Some(o) => Some(UserId(
            o.parse::<i64>()
                .ok()
                .filter(|i| *i >= 1)
                .ok_or_else(|| ApiError::invalid_field("owner", "must be `me` or a user id ≥ 1"))?,
        )),
    };
    let location = blank(f.location);
    if let Some(l) = &location {
        crate::text::check_text("location", l)?;
    }
    let severity_text = blank(f.severity);
    let severity =
        match severity_text.as_deref() {
            None => None,
            Some(s) => Some(Severity::parse(s).ok_or_else(|| {
                ApiError::invalid_field("severity", "low, medium, high or critical")
            })?),
        };
    let state_text = blank(f.state).unwrap_or_else(|| "open".to_owned());
    let (open_only, waiting_only) = match state_text.as_str() {
        "open" => (true, false),
        "waiting" => (true, true),
        "all" => (false, false),
        _ => return Err(ApiError::invalid_field("state", "open, waiting or all")),
    };
    let filter = ComplaintFilter {
        owner,
        location: location.clone(),
        severity,
        open_only,
        waiting_only,
        scope: crate::complaint_access::scope(&ctx.user),
        limit: QUEUE_ROWS,
        ..Default::default()
    };
    let rows = state.store.list_complaints(&filter).await?;
    let users = state.store.users().await?;
    let names = user_names(&users);
    let locations = state.store.locations().await?;
    let now = Utc::now();
    let m = |k: &str| ctx.msg("complaints", k, &[]);
    let items: Vec<Value> = rows
        .into_iter()
        .map(|c| {
            let (first_late, resolution_late) =
                late(c.status, &c.deadlines, c.waiting_since, now);
            let mut warnings = Vec::new();
            if first_late {
                warnings.push(m("breach_first_response"));
            }
            if resolution_late {
                warnings.push(m("breach_resolution"));
            }
            context! {
                reference => c.reference,
                received => time(c.received_at),
                customer => c.customer.unwrap_or_default(),
                location => c.location.unwrap_or_default(),
                category => c.category.as_str().to_owned(),
                severity => c.severity.as_str(),
                severity_text => m(&format!("sev_{}", c.severity.as_str())),
                owner => c.owner.map(|u| names.get(&u.0).cloned().unwrap_or_else(|| format!("#{}", u.0))).unwrap_or_default(),
                first_due => c.deadlines.first_response.map(time).unwrap_or_default(),
                resolution_due => c.deadlines.resolution.map(time).unwrap_or_default(),
                status => c.status.as_str(),
                status_text => ctx.msg("complaint", &format!("st_{}", c.status.as_str()), &[]),
                waiting => c.waiting_since.map(|w| ctx.msg("complaints", "waiting_badge", &[("since", &time(w))])),
                breached => first_late || resolution_late,
                warnings => warnings.join(" · "),
            }
        })
        .collect();
    let breached = items
        .iter()
        .filter(|i| i.get_attr("breached").is_ok_and(|b| b.is_true()))
        .count();
    let owners: Vec<Value> = users
        .iter()
        .map(|u| context! { id => u.id.0.to_string(), name => u.email.clone(), selected => owner_text.as_deref() == Some(u.id.0.to_string().as_str()) })
        .collect();
    let location_options: Vec<Value> = locations
        .iter()
        .map(|l| context! { code => l.code.clone(), name => l.name.clone().unwrap_or_else(|| l.code.clone()), selected => location.as_deref() == Some(l.code.as_str()) })
        .collect();
    let severities: Vec<Value> = Severity::ALL
        .iter()
        .map(|s| context! { value => s.as_str(), name => m(&format!("sev_{}", s.as_str())), selected => severity_text.as_deref() == Some(s.as_str()) })
        .collect();
    let d = context! {
        items => items,
        shown => rows_len_text(ctx, breached),
        owners => owners,
        owner_me => owner_text.as_deref() == Some("me"),
        locations => location_options,
        severities => severities,
        state => state_text,
        now => time(now),
    };
    Ok(ctx.render("complaints", "complaints", &m("title"), d))
}

fn rows_len_text(ctx: &Ctx, breached: usize) -> String {
    ctx.plural(
        "complaints",
        "breached_count",
        breached as u64,
        &[("count", &breached.to_string())],
    )
}

/// The HTML 403 page of a refusal, in the page's language.
fn refusal_page(ctx: &Ctx, r: &crate::complaint_access::Refusal) -> Response {
    let args = r.args();
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    super::forbidden_page(ctx.lang, ctx.msg("complaint", r.key(), &args))
}

/// `GET /complaints/{reference}`.
pub(super) async fn record(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Response {
    match record_page(&ctx, &state, &reference, StatusCode::OK, None).await {
        Ok(r) => r,
        Err(e) => error_page(ctx.lang, &e),
    }
}

fn not_found(reference: &str) -> ApiError {
    ApiError::NotFound {
        what: "complaint",
        key: reference.to_owned(),
    }
}

/// The details of a step for staff.
fn details(ctx: &Ctx, a: &Action, names: &BTreeMap<i64, String>) -> String {
    let m = |k: &str| ctx.msg("complaint", k, &[]);
    match a {
        Action::Acknowledge { apology } => apology.clone(),
        Action::TakeAction { description } => description.clone(),
        Action::ShowEmpathy { note } => note.clone(),
        Action::Compensate { compensation: c } => {
            let mut s = m(&format!("kind_{}", c.kind().as_str()));
            if let Some(v) = c.value() {
                s.push_str(&format!(" {v}"));
            }
            if !c.note().is_empty() {
                s.push_str(" — ");
                s.push_str(c.note());
            }
            s
        }
        Action::FollowUp { satisfied, comment } => {
            let mut s = m(if *satisfied {
                "satisfied_yes"
            } else {
                "satisfied_no"
            });
            if !comment.is_empty() {
                s.push_str(" — ");
                s.push_str(comment);
            }
            s
        }
        Action::Close { note } => note.clone(),
        Action::Escalate { to, reason } => format!(
            "→ {}: {reason}",
            names.get(to).cloned().unwrap_or_else(|| format!("#{to}"))
        ),
        Action::Reopen { reason } => reason.clone(),
        Action::Import { imported } => ctx.msg(
            "complaint",
            "imported_details",
            &[("id", &imported.external_id)],
        ),
        Action::WaitForCustomer { note } | Action::Resume { note } => note.clone(),
    }
}

async fn record_page(
    ctx: &Ctx,
    state: &AppState,
    reference: &str,
    status: StatusCode,
    problem: Option<(String, Option<FormIn>)>,
) -> Result<Response, ApiError> {
    if comeback_complaints::recovery::Reference::parse(reference).is_err() {
        return Err(not_found(reference));
    }
    let c: Complaint = state.store.complaint(reference).await?;
    if let Err(r) = check_see(&ctx.user, &c) {
        return Ok(refusal_page(ctx, &r));
    }
    let users = state.store.users().await?;
    let names = user_names(&users);
    let m = |k: &str| ctx.msg("complaint", k, &[]);
    let m_args = |k: &str, since: &str| ctx.msg("complaint", k, &[("since", since)]);
    let now = Utc::now();
    let who = |a: ComplaintActor| match a {
        ComplaintActor::Staff(u) => names
            .get(&u.0)
            .cloned()
            .unwrap_or_else(|| format!("#{}", u.0)),
        ComplaintActor::Customer => m("actor_customer"),
        ComplaintActor::System => m("actor_system"),
    };
    let history: Vec<Value> = c
        .history
        .iter()
        .map(|e| {
            context! {
                when => time(e.at),
                who => who(e.actor),
                action => m(&format!("action_{}", e.action.name())),
                to => m(&format!("st_{}", e.to.as_str())),
                details => details(ctx, &e.action, &names),
            }
        })
        .collect();
    let allowed = allowed_for(&ctx.user, &c);
    let manager_only = ctx.user.role == comeback_store::Role::Staff
        && comeback_complaints::recovery::allowed_now(c.status, c.waiting_since.is_some())
            .iter()
            .any(|a| crate::complaint_access::MANAGER_ACTIONS.contains(a));
    let (message, kept) = match problem {
        Some((msg, form)) => (Some(msg), form),
        None => (None, None),
    };
    let kept_action = kept
        .as_ref()
        .and_then(|f| f.action.clone())
        .unwrap_or_default();
    let kept_text = kept
        .as_ref()
        .and_then(|f| f.text.clone())
        .unwrap_or_default();
    let actions: Vec<Value> = allowed
        .iter()
        .map(|a| {
            context! {
                name => *a,
                label => m(&format!("do_{a}")),
                text_label => m(&format!("text_{a}")),
                text => if kept_action == *a { kept_text.clone() } else { String::new() },
                required => !matches!(*a, "compensate" | "follow_up" | "close" | "wait_for_customer" | "resume"),
            }
        })
        .collect();
    let escalate_to: Vec<Value> = users
        .iter()
        .filter(|u| Some(u.id) != c.owner)
        .map(|u| context! { id => u.id.0, name => u.email.clone() })
        .collect();
    let kinds: Vec<Value> = ["refund", "discount", "gift", "free_service", "none"]
        .iter()
        .map(|k| context! { value => *k, name => m(&format!("kind_{k}")) })
        .collect();
    let (first_late, resolution_late) = late(c.status, &c.deadlines, c.waiting_since, now);
    let d = context! {
        waiting => c.waiting_since.map(|w| m_args("waiting_notice", &time(w))),
        manager_only => manager_only,
        reference => c.reference.clone(),
        received => time(c.received_at),
        channel => c.channel.as_str().to_owned(),
        customer => c.customer.clone().unwrap_or_default(),
        location => c.location.clone().unwrap_or_default(),
        employee => c.employee.clone().unwrap_or_default(),
        product => c.product.clone().unwrap_or_default(),
        description => c.description.clone(),
        category => c.category.as_str().to_owned(),
        severity => ctx.msg("complaints", &format!("sev_{}", c.severity.as_str()), &[]),
        remedy => c.remedy_requested.clone().unwrap_or_default(),
        owner => c.owner.map(|u| names.get(&u.0).cloned().unwrap_or_else(|| format!("#{}", u.0))).unwrap_or_default(),
        first_due => c.deadlines.first_response.map(time).unwrap_or_default(),
        resolution_due => c.deadlines.resolution.map(time).unwrap_or_default(),
        first_late => first_late,
        resolution_late => resolution_late,
        status => c.status.as_str(),
        status_text => m(&format!("st_{}", c.status.as_str())),
        history => history,
        actions => actions,
        escalate_to => escalate_to,
        kinds => kinds,
        message => message,
        allowed_text => allowed.iter().map(|a| m(&format!("do_{a}"))).collect::<Vec<_>>().join(", "),
    };
    // A staff flag's complaint: the employee credited for flagging (store migration 0011).
    let flagged_by = state.store.staff_flag(&c.reference).await?.map(|f| {
        f.employee_name
            .map_or_else(|| f.employee.clone(), |n| format!("{n} ({})", f.employee))
    });
    let d = context! { flagged_by => flagged_by, ..d };
    let title = ctx.msg("complaint", "title", &[("reference", &c.reference)]);
    let mut r = ctx.render("complaint", "complaints", &title, d);
    *r.status_mut() = status;
    Ok(r)
}

/// The fields of a step's form (`action` and the fields of that action; `text` is the
/// apology, description, note, comment or reason).
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct FormIn {
    action: Option<String>,
    text: Option<String>,
    kind: Option<String>,
    value: Option<String>,
    satisfied: Option<String>,
    to: Option<String>,
    #[allow(dead_code)]
    csrf_token: Option<String>,
}

fn transition_of(f: &FormIn) -> Result<TransitionIn, ApiError> {
    let text = f.text.clone().unwrap_or_default();
    let opt = |s: &str| {
        if s.trim().is_empty() {
            None
        } else {
            Some(s.to_owned())
        }
    };
    Ok(match f.action.as_deref().unwrap_or("") {
        "acknowledge" => TransitionIn::Acknowledge { apology: text },
        "take_action" => TransitionIn::TakeAction { description: text },
        "show_empathy" => TransitionIn::ShowEmpathy { note: text },
        "compensate" => TransitionIn::Compensate {
            kind: match f.kind.as_deref().unwrap_or("") {
                "refund" => CompensationKindIn::Refund,
                "discount" => CompensationKindIn::Discount,
                "gift" => CompensationKindIn::Gift,
                "free_service" => CompensationKindIn::FreeService,
                "none" => CompensationKindIn::None,
                _ => {
                    return Err(ApiError::invalid_field(
                        "kind",
                        "refund, discount, gift, free_service or none",
                    ));
                }
            },
            value: f.value.as_deref().and_then(|v| opt(v.trim())),
            note: opt(&text),
        },
        "follow_up" => TransitionIn::FollowUp {
            satisfied: match f.satisfied.as_deref() {
                Some("yes") => true,
                Some("no") => false,
                _ => return Err(ApiError::invalid_field("satisfied", "yes or no")),
            },
            comment: opt(&text),
        },
        "close" => TransitionIn::Close { note: opt(&text) },
        "escalate" => TransitionIn::Escalate {
            to: f
                .to
                .as_deref()
                .and_then(|t| t.trim().parse().ok())
                .ok_or_else(|| ApiError::invalid_field("to", "a user id"))?,
            reason: text,
        },
        "reopen" => TransitionIn::Reopen { reason: text },
        "wait_for_customer" => TransitionIn::WaitForCustomer { note: opt(&text) },
        "resume" => TransitionIn::Resume { note: opt(&text) },
        other => {
            return Err(ApiError::invalid_field(
                "action",
                format!("unknown action {other:?}"),
            ));
        }
    })
}

/// `POST /complaints/{reference}`.
pub(super) async fn step(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(reference): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    if comeback_complaints::recovery::Reference::parse(&reference).is_err() {
        return error_page(ctx.lang, &not_found(&reference));
    }
    let form: FormIn = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(e) => {
            return error_page(ctx.lang, &ApiError::invalid_field("form", e.to_string()));
        }
    };
    let transition = transition_of(&form);
    if let Ok(t) = &transition {
        match state.store.complaint(&reference).await {
            Ok(c) => {
                if let Err(r) = check_act(&ctx.user, &c, t.name()) {
                    return refusal_page(&ctx, &r);
                }
            }
            Err(e) => return error_page(ctx.lang, &ApiError::from(e)),
        }
    }
    let action = transition.and_then(action_of);
    let result = match action {
        Ok(a) => {
            state
                .store
                .transition_complaint(
                    &reference,
                    Utc::now(),
                    ComplaintActor::Staff(ctx.user.user_id),
                    a,
                )
                .await
        }
        Err(e) => {
            let msg = e.body().error.message;
            return match record_page(
                &ctx,
                &state,
                &reference,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((msg, Some(form))),
            )
            .await
            {
                Ok(r) => r,
                Err(e) => error_page(ctx.lang, &e),
            };
        }
    };
    match result {
        Ok(_) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/complaints/{reference}"))],
        )
            .into_response(),
        Err(StoreError::Complaint(msg)) => {
            match record_page(
                &ctx,
                &state,
                &reference,
                StatusCode::CONFLICT,
                Some((msg, Some(form))),
            )
            .await
            {
                Ok(r) => r,
                Err(e) => error_page(ctx.lang, &e),
            }
        }
        Err(e) => {
            let e = ApiError::from(e);
            if e.status() == StatusCode::NOT_FOUND || e.status() == StatusCode::CONFLICT {
                let msg = e.body().error.message;
                match record_page(
                    &ctx,
                    &state,
                    &reference,
                    e.status(),
                    Some((msg, Some(form))),
                )
                .await
                {
                    Ok(r) => r,
                    Err(e) => error_page(ctx.lang, &e),
                }
            } else {
                error_page(ctx.lang, &e)
            }
        }
    }
}

/// `GET /complaint-measures?first_response_target_hours=&resolution_target_hours=`
/// (managers and admins): the numbers of `GET /api/v1/complaint-measures` — the same
/// computation ([`crate::api::complaints::compute_measures`]) — as tables.
pub(super) async fn measures_page(
    ctx: Ctx,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(r) = ctx.require_manager() {
        return r;
    }
    match measures_inner(&ctx, &state, raw.as_deref()).await {
        Ok(r) => r,
        Err(e) => error_page(ctx.lang, &e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct MeasuresQuery {
    first_response_target_hours: Option<String>,
    resolution_target_hours: Option<String>,
}

async fn measures_inner(
    ctx: &Ctx,
    state: &AppState,
    raw: Option<&str>,
) -> Result<Response, ApiError> {
    use comeback_report::format as fmt;
    let f: MeasuresQuery = match raw {
        None | Some("") => MeasuresQuery::default(),
        Some(q) => serde_urlencoded::from_str(q)
            .map_err(|e| ApiError::invalid_field("query", e.to_string()))?,
    };
    let num = |field: &'static str, v: Option<String>| -> Result<Option<f64>, ApiError> {
        match blank(v) {
            None => Ok(None),
            Some(s) => s
                .replace(',', ".")
                .parse::<f64>()
                .map(Some)
                .map_err(|_| ApiError::invalid_field(field, "a number of hours")),
        }
    };
    let q = crate::api::complaints::MeasuresParams {
        first_response_target_hours: num(
            "first_response_target_hours",
            f.first_response_target_hours,
        )?,
        resolution_target_hours: num("resolution_target_hours", f.resolution_target_hours)?,
        ..Default::default()
    };
    let (o, m, clock, _) = crate::api::complaints::compute_measures(state, &q).await?;
    let clock_text = if clock.locations.is_empty() {
        clock
            .hours
            .clone()
            .unwrap_or_else(|| ctx.msg("complaint_measures", "clock_always", &[]))
    } else {
        let mut parts: Vec<String> = clock
            .locations
            .iter()
            .map(|l| {
                ctx.msg(
                    "complaint_measures",
                    "clock_location",
                    &[
                        ("code", &l.code),
                        ("hours", &l.hours),
                        ("zone", &l.timezone),
                        ("holidays", &l.holidays.to_string()),
                    ],
                )
            })
            .collect();
        parts.push(
            clock
                .hours
                .clone()
                .unwrap_or_else(|| ctx.msg("complaint_measures", "clock_elsewhere", &[])),
        );
        parts.join(" · ")
    };
    let lang = ctx.lang;
    let hours = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |h| fmt::number(h, 1, lang));
    let share = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |s| fmt::percent(s, 1, lang));
    let table = |map: &BTreeMap<String, u64>| -> Vec<Value> {
        map.iter()
            .map(|(k, v)| context! { name => k.clone(), count => fmt::count(*v, lang) })
            .collect()
    };
    let target = |d: chrono::TimeDelta| fmt::number(d.num_milliseconds() as f64 / 3.6e6, 1, lang);
    let m_ = |k: &str| ctx.msg("complaint_measures", k, &[]);
    let d = context! {
        n => fmt::count(m.n, lang),
        open => fmt::count(m.open, lang),
        as_of => time(m.as_of),
        first_median => hours(m.first_response_hours.median),
        first_p90 => hours(m.first_response_hours.p90),
        resolution_median => hours(m.resolution_hours.median),
        resolution_p90 => hours(m.resolution_hours.p90),
        first_target => target(o.first_response_target),
        resolution_target => target(o.resolution_target),
        first_sla => share(m.first_response_sla.share),
        resolution_sla => share(m.resolution_sla.share),
        compensation_total => m.compensation_total.to_string(),
        compensated => fmt::count(m.compensated, lang),
        reopen_rate => share(m.reopen_rate),
        satisfaction => share(m.satisfaction.share),
        answered => fmt::count(m.satisfaction.answered, lang),
        iceberg => fmt::number(m.iceberg.silent_dissatisfied, 0, lang),
        tarp => fmt::number(m.iceberg.tarp_silent_dissatisfied, 0, lang),
        by_category => table(&m.by_category),
        by_location => table(&m.by_location),
        by_employee => table(&m.by_employee),
        by_month => table(&m.by_month),
        clock => clock_text,
    };
    Ok(ctx.render("complaint_measures", "complaints", &m_("title"), d))
}

/// `POST /surveys/followups/{id}/complaint` (managers and admins; the session's
/// `csrf_token` in the form): opens the follow-up's recovery case, or finds the one opened
/// before, and answers 303 to its page.
pub(super) async fn followup_case(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = ctx.require_manager() {
        return r;
    }
    let Some(id) = id.parse::<i64>().ok().filter(|i| *i >= 1) else {
        return error_page(
            ctx.lang,
            &ApiError::NotFound {
                what: "follow-up",
                key: id,
            },
        );
    };
    match crate::api::complaints::open_followup_case(&state, &ctx.user, id).await {
        Ok((c, _)) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/complaints/{}", c.reference))],
        )
            .into_response(),
        Err(e) => error_page(ctx.lang, &e),
    }
}
