//! `/users` (admins): the accounts with their role, locations and employee link, and per
//! account a form (`POST /users/{id}/employee`, no JavaScript) that links it to an
//! employee or unlinks it — the same checks as `PATCH /api/v1/users/{id}` (an unknown
//! employee is refused naming the field, an employee linked to another account is a
//! conflict). A linked staff member sees their own report card and is credited for the
//! customers they flag.

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use comeback_store::{Subject, SubjectKind, UserId};
use minijinja::{Value, context};
use serde::Deserialize;

use super::{Ctx, error_page};
use crate::{ApiError, AppState};

#[derive(Debug, Default, Deserialize)]
struct LinkForm {
    employee: Option<String>,
}

/// `GET /users`.
pub(super) async fn page(
    ctx: Ctx,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(r) = ctx.require_admin() {
        return r;
    }
    let saved = form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "saved")
        .and_then(|(_, v)| v.parse::<i64>().ok());
    let saved = match saved {
        None => None,
        Some(id) => match state.store.user(UserId(id)).await {
            Ok(Some(u)) => Some(match &u.employee {
                Some(e) => ctx.msg("users", "saved", &[("email", &u.email), ("employee", e)]),
                None => ctx.msg("users", "unlinked_saved", &[("email", &u.email)]),
            }),
            Ok(None) => None,
            Err(e) => return error_page(ctx.lang, &e.into()),
        },
    };
    match render(&ctx, &state, StatusCode::OK, saved, None).await {
        Ok(r) => r,
        Err(e) => error_page(ctx.lang, &e),
    }
}

async fn render(
    ctx: &Ctx,
    state: &AppState,
    status: StatusCode,
    saved: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let users: Vec<Value> = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| {
            context! {
                id => u.id.0,
                email => u.email.clone(),
                role => ctx.msg("users", &format!("role_{}", u.role.as_str()), &[]),
                locations => u.locations.join(", "),
                employee => u.employee.clone().unwrap_or_default(),
            }
        })
        .collect();
    let employees: Vec<Value> = state
        .store
        .employees()
        .await?
        .into_iter()
        .map(|e| context! {
            code => e.code.clone(),
            name => e.name.clone().map_or_else(|| e.code.clone(), |n| format!("{n} ({})", e.code)),
        })
        .collect();
    let mut r = ctx.render(
        "users",
        "users",
        &ctx.msg("users", "title", &[]),
        context! { users => users, employees => employees, saved => saved, error => error },
    );
    *r.status_mut() = status;
    Ok(r)
}

/// `POST /users/{id}/employee`.
pub(super) async fn link(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = ctx.require_admin() {
        return r;
    }
    match link_inner(&ctx, &state, id, &body).await {
        Ok(()) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/users?saved={id}"))],
        )
            .into_response(),
        Err(e) if e.status().is_client_error() && e.status() != StatusCode::NOT_FOUND => {
            let text = ctx.msg(
                "users",
                "error",
                &[("message", e.body().error.message.as_str())],
            );
            match render(&ctx, &state, e.status(), None, Some(text)).await {
                Ok(r) => r,
                Err(e) => error_page(ctx.lang, &e),
            }
        }
        Err(e) => error_page(ctx.lang, &e),
    }
}

async fn link_inner(ctx: &Ctx, state: &AppState, id: i64, body: &[u8]) -> Result<(), ApiError> {
    let form: LinkForm = serde_urlencoded::from_bytes(body)
        .map_err(|e| ApiError::invalid_field("form", e.to_string()))?;
    let target = state
        .store
        .user(UserId(id))
        .await?
        .ok_or(ApiError::NotFound {
            what: "user",
            key: id.to_string(),
        })?;
    let employee = form
        .employee
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty());
    if let Some(code) = &employee {
        crate::auth::check_employee(state, code, Some(target.id)).await?;
    }
    if employee != target.employee {
        state
            .store
            .set_user_employee(target.id, employee.as_deref())
            .await?;
        crate::auth::audit(
            state,
            Some(ctx.user.user_id),
            "user.employee_change",
            Some(Subject {
                kind: SubjectKind::User,
                id: target.id.0,
            }),
        )
        .await;
    }
    Ok(())
}
