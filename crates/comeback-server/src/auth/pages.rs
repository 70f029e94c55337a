//! The open pages and form posts: `/login`, `/password`, `/logout`, `/setup`.
//!
//! Each POST accepts an HTML form (`application/x-www-form-urlencoded`; answered with a
//! page or a 303 redirect) or JSON (answered with JSON), so browsers without JavaScript
//! and scripts use the same endpoints. Failed logins get one generic message whatever the
//! reason (unknown e-mail, wrong password, locked account), so the answer reveals no
//! account (OWASP Authentication Cheat Sheet, "authentication and error messages").

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use comeback_store::{NewSession, Subject, SubjectKind, User};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::api::RoleName;
use super::password::{Password, PasswordError, Verified};
use super::{AuthUser, audit, session_cookie};
use crate::error::{ErrorBody, ErrorDetail};
use crate::{ApiError, AppState};

/// Largest login or set-up body read (bytes).
const MAX_BODY: usize = 16 * 1024;

/// The one message of every refused login.
pub const LOGIN_FAILED: &str = "wrong e-mail or password";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Form,
    Json,
}

fn format_of(headers: &HeaderMap) -> Format {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if is_form { Format::Form } else { Format::Json }
}

async fn read_body<T: DeserializeOwned>(
    request: Request,
) -> Result<(T, Format, Option<SocketAddr>, HeaderMap), ApiError> {
    let (parts, body) = request.into_parts();
    let format = format_of(&parts.headers);
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let bytes: Bytes =
        axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|_| ApiError::Invalid {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                message: format!("body over {MAX_BODY} bytes"),
                fields: Vec::new(),
            })?;
    let value = match format {
        // serde's messages name fields and types, never the submitted values of
        // string fields.
        Format::Form => serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| ApiError::invalid_field("form", e.to_string()))?,
        Format::Json => serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::invalid_field("body", strip_json_position(&e)))?,
    };
    Ok((value, format, ip, parts.headers))
}

fn strip_json_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.find(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

fn error_json(status: StatusCode, code: &str, message: &str) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_owned(),
            message: message.to_owned(),
            rows: None,
            fields: None,
        },
    };
    (status, axum::Json(body)).into_response()
}

fn no_store(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Comeback</title></head>\n<body><main>\n<h1>{title}</h1>\n{body}\n</main></body></html>\n"
    );
    no_store((status, Html(html)).into_response())
}

fn redirect_with_cookie(to: &'static str, cookie: Option<String>) -> Response {
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
    if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(header::SET_COOKIE, c);
    }
    no_store(r)
}

fn login_form(message: Option<&str>) -> String {
    let msg = message
        .map(|m| format!("<p role=\"alert\">{m}</p>\n"))
        .unwrap_or_default();
    format!(
        "{msg}<form method=\"post\" action=\"/login\">\n\
         <p><label>E-mail <input type=\"email\" name=\"email\" autocomplete=\"username\" required></label></p>\n\
         <p><label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label></p>\n\
         <p><button type=\"submit\">Log in</button></p>\n</form>"
    )
}

fn change_form(message: Option<&str>, min_chars: usize) -> String {
    let msg = message
        .map(|m| format!("<p role=\"alert\">{m}</p>\n"))
        .unwrap_or_default();
    format!(
        "{msg}<p>Your password was set by an administrator. Choose your own (at least \
         {min_chars} characters).</p>\n<form method=\"post\" action=\"/password\">\n\
         <p><label>E-mail <input type=\"email\" name=\"email\" autocomplete=\"username\" required></label></p>\n\
         <p><label>Current password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label></p>\n\
         <p><label>New password <input type=\"password\" name=\"new_password\" autocomplete=\"new-password\" minlength=\"{min_chars}\" required></label></p>\n\
         <p><button type=\"submit\">Change password and log in</button></p>\n</form>"
    )
}

/// `GET /login`: the login form.
pub(super) async fn login_page() -> Response {
    page(StatusCode::OK, "Log in", &login_form(None))
}

/// Body of `POST /login`.
#[derive(Debug, Deserialize)]
pub(super) struct LoginForm {
    email: String,
    password: Password,
}

/// Body of `POST /password`.
#[derive(Debug, Deserialize)]
pub(super) struct ChangeForm {
    email: String,
    password: Password,
    new_password: Password,
}

/// Answer of a successful JSON login.
#[derive(Serialize)]
struct LoginResponse {
    csrf_token: String,
    expires_at: DateTime<Utc>,
    role: RoleName,
}

enum Checked {
    /// Right password (or temporary password: `must_change`).
    Ok { user: User, must_change: bool },
    /// Refused: the generic message.
    Failed,
    /// Too many attempts; try again after this long.
    Throttled(Duration),
}

async fn hash_blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(format!("password hashing task: {e}")))
}

/// Throttles, then checks e-mail and password, counting failures towards the lockout.
async fn check_credentials(
    state: &AppState,
    ip: Option<SocketAddr>,
    email: &str,
    password: &Password,
) -> Result<Checked, ApiError> {
    let auth = &state.auth;
    let now = Instant::now();
    let account_key = format!("account:{}", email.trim().to_lowercase());
    // Without the peer address (a router served without `ConnectInfo`) there is no
    // per-address bucket: one shared bucket would let anyone block every login.
    if let Some(ip) = ip
        && let Err(wait) = auth.ip_throttle.check(&format!("ip:{}", ip.ip()), now)
    {
        tracing::warn!("login throttled for a client address");
        return Ok(Checked::Throttled(wait));
    }
    if let Err(wait) = auth.account_throttle.check(&account_key, now) {
        tracing::warn!("login throttled for an account");
        return Ok(Checked::Throttled(wait));
    }
    let user = state.store.user_by_email(email).await?;
    let utc_now = Utc::now();
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let hasher = auth.hasher.clone();
    let pw = password.clone();
    // Always hash, even for unknown or locked accounts, so timing tells nothing.
    let verified = hash_blocking(move || hasher.verify(&pw, stored.as_deref())).await?;
    let Some(user) = user else {
        audit(state, None, "auth.login_failed", None).await;
        return Ok(Checked::Failed);
    };
    let subject = Some(Subject {
        kind: SubjectKind::User,
        id: user.id.0,
    });
    if user.is_locked(utc_now) {
        audit(state, None, "auth.login_refused_locked", subject).await;
        return Ok(Checked::Failed);
    }
    match verified {
        Verified::Mismatch => {
            let after = state
                .store
                .record_failed_login(user.id, utc_now, auth.lockout)
                .await?;
            audit(state, None, "auth.login_failed", subject).await;
            if after.is_locked(utc_now) {
                tracing::warn!(user = user.id.0, "account locked after failed logins");
                audit(state, None, "auth.lockout", subject).await;
            }
            Ok(Checked::Failed)
        }
        Verified::Ok | Verified::MustChange => Ok(Checked::Ok {
            user,
            must_change: verified == Verified::MustChange,
        }),
    }
}

/// Starts a session: clears the failure counter, stores the session, writes the audit
/// entry, and answers with the cookie (form: 303 to `/`; JSON: 200 with the CSRF token).
async fn start_session(
    state: &AppState,
    user: &User,
    format: Format,
) -> Result<Response, ApiError> {
    state.store.record_successful_login(user.id).await?;
    // Expired sessions are refused anyway; a login is a good moment to drop them.
    if let Err(e) = state.store.delete_expired_sessions(Utc::now()).await {
        tracing::warn!(error = %e, "expired sessions not deleted");
    }
    let session: NewSession = state
        .store
        .create_session(user.id, Utc::now(), state.auth.session_ttl)
        .await?;
    audit(
        state,
        Some(user.id),
        "auth.login",
        Some(Subject {
            kind: SubjectKind::User,
            id: user.id.0,
        }),
    )
    .await;
    let cookie = state
        .auth
        .cookies
        .session_cookie(&session.token, state.auth.session_ttl);
    Ok(match format {
        Format::Form => redirect_with_cookie("/", Some(cookie)),
        Format::Json => {
            let mut r = axum::Json(LoginResponse {
                csrf_token: session.csrf_token,
                expires_at: session.expires_at,
                role: user.role.into(),
            })
            .into_response();
            if let Ok(c) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, c);
            }
            no_store(r)
        }
    })
}

fn throttled(format: Format, wait: Duration) -> Response {
    let secs = wait.as_secs().max(1);
    let msg = format!("too many login attempts, try again in {secs} s");
    let mut r = match format {
        Format::Form => page(
            StatusCode::TOO_MANY_REQUESTS,
            "Log in",
            &login_form(Some(&msg)),
        ),
        Format::Json => error_json(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", &msg),
    };
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    r
}

fn login_failed(format: Format) -> Response {
    match format {
        Format::Form => page(
            StatusCode::UNAUTHORIZED,
            "Log in",
            &login_form(Some(LOGIN_FAILED)),
        ),
        Format::Json => error_json(StatusCode::UNAUTHORIZED, "unauthorized", LOGIN_FAILED),
    }
}

/// `POST /login`: e-mail and password (form or JSON) → session cookie. 401 with one
/// generic message for any failure, 429 when throttled, 403 (`password change required`)
/// for a right temporary password.
pub(super) async fn login(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let (form, format, ip, _): (LoginForm, _, _, _) = read_body(request).await?;
    match check_credentials(&state, ip, &form.email, &form.password).await? {
        Checked::Throttled(wait) => Ok(throttled(format, wait)),
        Checked::Failed => Ok(login_failed(format)),
        Checked::Ok {
            must_change: true, ..
        } => Ok(match format {
            Format::Form => page(
                StatusCode::FORBIDDEN,
                "Choose a new password",
                &change_form(None, state.auth.hasher.min_chars()),
            ),
            Format::Json => error_json(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "password change required: post email, password and new_password to /password",
            ),
        }),
        Checked::Ok { user, .. } => start_session(&state, &user, format).await,
    }
}

/// `POST /password`: e-mail, current (or temporary) password and a new password →
/// the new password is set and a session starts. Counts failures like a login.
pub(super) async fn change_temporary_password(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let (form, format, ip, _): (ChangeForm, _, _, _) = read_body(request).await?;
    let user = match check_credentials(&state, ip, &form.email, &form.password).await? {
        Checked::Throttled(wait) => return Ok(throttled(format, wait)),
        Checked::Failed => return Ok(login_failed(format)),
        Checked::Ok { user, .. } => user,
    };
    let min = state.auth.hasher.min_chars();
    let problem = if form.new_password == form.password {
        Some("the new password must differ from the current one".to_owned())
    } else {
        state
            .auth
            .hasher
            .check_rules(&form.new_password)
            .err()
            .map(|e| e.to_string())
    };
    if let Some(p) = problem {
        return Ok(match format {
            Format::Form => page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Choose a new password",
                &change_form(Some(&p), min),
            ),
            Format::Json => ApiError::invalid_field("new_password", p).into_response(),
        });
    }
    let hasher = state.auth.hasher.clone();
    let new = form.new_password.clone();
    let hash = hash_blocking(move || hasher.hash(&new))
        .await?
        .map_err(password_error)?;
    state.store.set_password_hash(user.id, &hash).await?;
    state.store.delete_user_sessions(user.id).await?;
    audit(
        &state,
        Some(user.id),
        "user.password_change",
        Some(Subject {
            kind: SubjectKind::User,
            id: user.id.0,
        }),
    )
    .await;
    start_session(&state, &user, format).await
}

/// Maps a password error to a 422 on `new_password` (rules) or a 500 (hashing).
pub(super) fn password_error(e: PasswordError) -> ApiError {
    match e {
        PasswordError::Hashing(m) => ApiError::Internal(m),
        other => ApiError::invalid_field("password", other.to_string()),
    }
}

/// `POST /logout`: ends the session (CSRF token required) and deletes the cookie; a form
/// is redirected to `/login`, JSON gets 204.
pub(super) async fn logout(
    user: AuthUser,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = session_cookie(&headers) {
        state.store.delete_session(token).await?;
    }
    audit(
        &state,
        Some(user.user_id),
        "auth.logout",
        Some(Subject {
            kind: SubjectKind::User,
            id: user.user_id.0,
        }),
    )
    .await;
    let removal = state.auth.cookies.removal_cookie();
    Ok(match format_of(&headers) {
        Format::Form => redirect_with_cookie("/login", Some(removal)),
        Format::Json => {
            let mut r = StatusCode::NO_CONTENT.into_response();
            if let Ok(c) = HeaderValue::from_str(&removal) {
                r.headers_mut().insert(header::SET_COOKIE, c);
            }
            r
        }
    })
}

/// Query of `GET /setup`.
#[derive(Debug, Deserialize)]
pub(super) struct SetupQuery {
    token: Option<String>,
}

/// Body of `POST /setup`.
#[derive(Debug, Deserialize)]
pub(super) struct SetupForm {
    token: Password,
    email: String,
    password: Password,
}

const SETUP_DEAD: &str = "this set-up link is invalid or has already been used";

fn is_setup_token(t: &str) -> bool {
    super::cookie::is_session_token(t)
}

fn setup_form(token: &str, message: Option<&str>, min_chars: usize) -> String {
    let msg = message
        .map(|m| format!("<p role=\"alert\">{m}</p>\n"))
        .unwrap_or_default();
    // `token` is 64 hex digits (checked), so it needs no escaping.
    format!(
        "{msg}<p>Create the first administrator account.</p>\n\
         <form method=\"post\" action=\"/setup\">\n<input type=\"hidden\" name=\"token\" value=\"{token}\">\n\
         <p><label>E-mail <input type=\"email\" name=\"email\" autocomplete=\"username\" required></label></p>\n\
         <p><label>Password <input type=\"password\" name=\"password\" autocomplete=\"new-password\" minlength=\"{min_chars}\" required></label></p>\n\
         <p><button type=\"submit\">Create administrator</button></p>\n</form>"
    )
}

/// `GET /setup?token=…`: the form that creates the first admin; 404 once a user exists or
/// for a malformed token.
pub(super) async fn setup_page(
    State(state): State<AppState>,
    Query(q): Query<SetupQuery>,
) -> Result<Response, ApiError> {
    let token = q.token.unwrap_or_default();
    if !is_setup_token(&token) || state.store.count_users().await? > 0 {
        return Ok(page(
            StatusCode::NOT_FOUND,
            "Set-up",
            &format!("<p>{SETUP_DEAD}.</p>"),
        ));
    }
    Ok(page(
        StatusCode::OK,
        "Set-up",
        &setup_form(&token, None, state.auth.hasher.min_chars()),
    ))
}

/// Answer of a JSON set-up.
#[derive(Serialize)]
struct SetupResponse {
    email: String,
    role: RoleName,
}

/// `POST /setup`: token, e-mail and password (form or JSON) → the first admin (201, or
/// 303 to `/login` for a form); 404 for a wrong or used token; 422 for a short password.
pub(super) async fn setup(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let (form, format, _, _): (SetupForm, _, _, _) = read_body(request).await?;
    let token = form.token.expose().to_owned();
    let dead = || match format {
        Format::Form => page(
            StatusCode::NOT_FOUND,
            "Set-up",
            &format!("<p>{SETUP_DEAD}.</p>"),
        ),
        Format::Json => error_json(StatusCode::NOT_FOUND, "not_found", SETUP_DEAD),
    };
    if !is_setup_token(&token) {
        return Ok(dead());
    }
    if let Err(e) = state.auth.hasher.check_rules(&form.password) {
        return Ok(match format {
            Format::Form => page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Set-up",
                &setup_form(&token, Some(&e.to_string()), state.auth.hasher.min_chars()),
            ),
            Format::Json => password_error(e).into_response(),
        });
    }
    let hasher = state.auth.hasher.clone();
    let pw = form.password.clone();
    let hash = hash_blocking(move || hasher.hash(&pw))
        .await?
        .map_err(password_error)?;
    let Some(user) = state
        .store
        .complete_admin_setup(&token, &form.email, &hash)
        .await?
    else {
        return Ok(dead());
    };
    tracing::info!(
        user = user.id.0,
        "first admin created; the set-up link is now dead"
    );
    Ok(match format {
        Format::Form => redirect_with_cookie("/login", None),
        Format::Json => (
            StatusCode::CREATED,
            axum::Json(SetupResponse {
                email: user.email,
                role: user.role.into(),
            }),
        )
            .into_response(),
    })
}
