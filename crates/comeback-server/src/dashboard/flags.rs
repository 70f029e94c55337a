//! Staff flags in the dashboard (issue 9 item 3), for every logged-in user, without
//! JavaScript:
//!
//! - `GET /flag`: the quick form — the customer by id or stored e-mail address, one of the
//!   seven reasons, a note, the location (default the employee's) and, for an admin, the
//!   employee to credit. `?done=REFERENCE` shows the confirmation with a link to the
//!   complaint.
//! - `POST /flag` and `POST /customers/{id}/flag` (the customer page's form): record the
//!   flag through [`crate::api::flags::record`] like the API and answer 303 (to
//!   `/flag?done=…`, or back to the customer page with `?flagged=…`); a refused flag shows
//!   the quick form again, filled in, with the reason and the API's status (403, 404,
//!   422).
//!
//! An account without an employee link (not an admin) sees why it cannot flag instead of
//! the form.

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use comeback_complaints::recovery::{Reference, Severity};
use comeback_store::Role;
use minijinja::{Value, context};
use serde::Deserialize;

use super::pages::percent;
use super::{Ctx, error_page};
use crate::api::flags::{FlagRequest, MAX_NOTE, Reason, record};
use crate::{ApiError, AppState};

/// The fields of the flag forms.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct FlagForm {
    customer: Option<String>,
    reason: Option<String>,
    note: Option<String>,
    location: Option<String>,
    employee: Option<String>,
}

fn blank(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The form's data for a template (`flag_form.html` reads it as `d.form`): texts of the
/// `flag` catalogue, reasons, locations and (for an admin) employees, with the values of
/// `kept` selected. `action` is where the form posts; `ask_customer` adds the customer
/// field (the quick form).
pub(super) async fn form_data(
    ctx: &Ctx,
    state: &AppState,
    action: &str,
    ask_customer: bool,
    kept: &FlagForm,
) -> Result<Value, ApiError> {
    let me = state
        .store
        .user(ctx.user.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let is_admin = ctx.user.role == Role::Admin;
    let reason = blank(&kept.reason);
    let location = blank(&kept.location);
    let employee = blank(&kept.employee);
    let reasons: Vec<Value> = Reason::ALL
        .iter()
        .map(|r| {
            context! {
                key => r.key(),
                name => ctx.msg("flag", &format!("r_{}", r.key()), &[]),
                selected => reason.as_deref() == Some(r.key()),
            }
        })
        .collect();
    let locations: Vec<Value> = state
        .store
        .locations()
        .await?
        .into_iter()
        .map(|l| context! {
            code => l.code.clone(),
            name => l.name.clone().map_or_else(|| l.code.clone(), |n| format!("{n} ({})", l.code)),
            selected => location.as_deref() == Some(l.code.as_str()),
        })
        .collect();
    let employees: Vec<Value> = if is_admin {
        state
            .store
            .employees()
            .await?
            .into_iter()
            .map(|e| context! {
                code => e.code.clone(),
                name => e.name.clone().map_or_else(|| e.code.clone(), |n| format!("{n} ({})", e.code)),
                selected => employee.as_deref() == Some(e.code.as_str()),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(context! {
        t => Value::from_serialize(super::catalog::table(ctx.lang, "flag")),
        action => action,
        ask_customer => ask_customer,
        customer => kept.customer.clone().unwrap_or_default(),
        note => kept.note.clone().unwrap_or_default(),
        note_help => ctx.msg("flag", "note_help", &[("max", &MAX_NOTE.to_string())]),
        max_note => MAX_NOTE,
        reasons => reasons,
        locations => locations,
        employees => employees,
        is_admin => is_admin,
        own_employee => me.employee.clone(),
        can_flag => is_admin || me.employee.is_some(),
    })
}

fn query_value(raw: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `GET /flag`.
pub(super) async fn form(
    ctx: Ctx,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Response {
    let done = query_value(raw.as_deref(), "done").filter(|r| Reference::parse(r).is_ok());
    let kept = FlagForm {
        customer: query_value(raw.as_deref(), "customer"),
        ..FlagForm::default()
    };
    match page(&ctx, &state, StatusCode::OK, &kept, None, done).await {
        Ok(r) => r,
        Err(e) => error_page(ctx.lang, &e),
    }
}

async fn page(
    ctx: &Ctx,
    state: &AppState,
    status: StatusCode,
    kept: &FlagForm,
    error: Option<String>,
    done: Option<String>,
) -> Result<Response, ApiError> {
    let form = form_data(ctx, state, "/flag", true, kept).await?;
    let mut r = ctx.render(
        "flag",
        "flag",
        &ctx.msg("flag", "title", &[]),
        context! {
            form => form,
            error => error,
            done => done.as_ref().map(|r| ctx.msg("flag", "done", &[("reference", r)])),
            done_href => done.map(|r| format!("/complaints/{r}")),
        },
    );
    *r.status_mut() = status;
    Ok(r)
}

/// The message of a refused flag in the page's language where one is known.
fn problem_text(ctx: &Ctx, e: &ApiError) -> String {
    match e {
        ApiError::NotFound {
            what: "customer", ..
        } => ctx.msg("flag", "not_found", &[]),
        ApiError::Forbidden(m) if m == crate::api::flags::NOT_LINKED => {
            ctx.msg("flag", "unlinked", &[])
        }
        other => ctx.msg(
            "flag",
            "error",
            &[("message", other.body().error.message.as_str())],
        ),
    }
}

/// The customer's external id from the quick form's field: the id itself when such a
/// customer exists, else the one customer whose stored e-mail address it is.
async fn find_customer(ctx: &Ctx, state: &AppState, text: &str) -> Result<String, ApiError> {
    let not_found = || ApiError::NotFound {
        what: "customer",
        key: text.to_owned(),
    };
    crate::text::check_text("customer", text)?;
    if text.len() > 254 {
        return Err(not_found());
    }
    match crate::api::customers::check_visible(state, &ctx.user, text).await {
        Ok(()) => {
            if state.store.customer_detail(text).await.is_ok() {
                return Ok(text.to_owned());
            }
        }
        Err(ApiError::NotFound { .. }) => {}
        Err(e) => return Err(e),
    }
    if !text.contains('@') {
        return Err(not_found());
    }
    let mut visible = Vec::new();
    for id in state.store.customers_by_email(text).await? {
        match crate::api::customers::check_visible(state, &ctx.user, &id).await {
            Ok(()) => visible.push(id),
            Err(ApiError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    match visible.len() {
        0 => Err(not_found()),
        1 => Ok(visible.remove(0)),
        _ => Err(ApiError::invalid_field(
            "customer",
            ctx.msg("flag", "ambiguous", &[]),
        )),
    }
}

fn parse_form(body: &[u8]) -> Result<FlagForm, ApiError> {
    serde_urlencoded::from_bytes(body).map_err(|e| ApiError::invalid_field("form", e.to_string()))
}

async fn submit_inner(
    ctx: &Ctx,
    state: &AppState,
    form: &FlagForm,
    customer: Option<&str>,
) -> Result<String, ApiError> {
    let customer = match customer {
        Some(c) => c.to_owned(),
        None => {
            let text = blank(&form.customer)
                .ok_or_else(|| ApiError::invalid_field("customer", "must not be empty"))?;
            find_customer(ctx, state, &text).await?
        }
    };
    let reason = blank(&form.reason)
        .as_deref()
        .and_then(Reason::parse)
        .ok_or_else(|| ApiError::invalid_field("reason", "choose one of the seven reasons"))?;
    let f = record(
        state,
        &ctx.user,
        FlagRequest {
            customer,
            reason,
            note: form.note.clone().unwrap_or_default(),
            location: blank(&form.location),
            employee: blank(&form.employee),
            severity: Severity::Medium,
        },
    )
    .await?;
    Ok(f.reference)
}

async fn refused(ctx: &Ctx, state: &AppState, form: &FlagForm, e: &ApiError) -> Response {
    if e.status() == StatusCode::INTERNAL_SERVER_ERROR {
        return error_page(ctx.lang, e);
    }
    match page(
        ctx,
        state,
        e.status(),
        form,
        Some(problem_text(ctx, e)),
        None,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => error_page(ctx.lang, &e),
    }
}

/// `POST /flag`.
pub(super) async fn submit(
    ctx: Ctx,
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Response {
    let form = match parse_form(&body) {
        Ok(f) => f,
        Err(e) => return error_page(ctx.lang, &e),
    };
    match submit_inner(&ctx, &state, &form, None).await {
        Ok(reference) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/flag?done={reference}"))],
        )
            .into_response(),
        Err(e) => refused(&ctx, &state, &form, &e).await,
    }
}

/// `POST /customers/{id}/flag`.
pub(super) async fn submit_for_customer(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let mut form = match parse_form(&body) {
        Ok(f) => f,
        Err(e) => return error_page(ctx.lang, &e),
    };
    match submit_inner(&ctx, &state, &form, Some(&id)).await {
        Ok(reference) => (
            StatusCode::SEE_OTHER,
            [(
                header::LOCATION,
                format!("/customers/{}?flagged={reference}", percent(&id)),
            )],
        )
            .into_response(),
        Err(e) => {
            form.customer = Some(id);
            refused(&ctx, &state, &form, &e).await
        }
    }
}
