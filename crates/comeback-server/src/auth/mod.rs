//! Accounts and security: passwords, login sessions, CSRF, API tokens, roles, the admin
//! set-up link, login throttling and lockout.
//!
//! The seams the rest of the server uses:
//! - [`AuthUser`], [`RequireAdmin`], [`RequireManager`]: axum extractors over
//!   [`AppState`]. A guest is rejected with 401, a session request that changes state
//!   without its CSRF token with 403, a wrong role with 403 — all before any body is read
//!   (they must come first in a handler's arguments). [`can_see_location`] scopes managers
//!   and staff to their locations.
//! - [`routes()`]: the HTML pages and form posts (`/login`, `/password`, `/logout`,
//!   `/setup`); [`api_routes`]: the JSON routes under `/api/v1` (`me`, `tokens`, `users`),
//!   registered through `OpenApiRouter` so they appear in the OpenAPI document.
//! - [`AuthSettings`]: flags of `comeback serve`; [`AuthState`]: shared state inside
//!   [`AppState`].
//! - [`csrf::csrf_form_field`]: middleware that lets HTML forms send the CSRF token as a
//!   form field (applied to [`routes()`]; add it to other form routes).
//!
//! # Credentials
//! - **Session** (browsers): `POST /login` with e-mail and password sets the cookie
//!   `comeback_session` (a 256-bit random value; only its SHA-256 is stored) with
//!   `HttpOnly`, `SameSite`, `Max-Age` and `Secure` (unless `--insecure-cookie`). A
//!   state-changing request made with it must carry the session's CSRF token
//!   (`X-CSRF-Token` header or `csrf_token` form field, see [`csrf`]), else 403.
//! - **API token** (scripts): `Authorization: Bearer cbt_…`, created by
//!   `POST /api/v1/tokens` and shown once; no CSRF token needed.
//!
//! # Roles
//! admin: everything; manager: their locations' customers and staff, user list of their
//! locations; staff: customer look-up to record flags and their own report card. Route
//! handlers declare the role they need by their first argument.
//!
//! # Secrets never logged
//! Passwords, tokens and session ids are held in types whose `Debug` is redacted
//! ([`password::Password`], the store's `NewApiToken`, `NewSession`, ...); no request body
//! is logged, and audit entries name internal ids only.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use chrono::Utc;
use comeback_store::{Role, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{ApiError, AppState};

mod api;
pub mod cookie;
pub mod csrf;
mod pages;
pub mod password;
mod settings;
pub mod throttle;

pub use api::{
    ChangePassword, CreatedToken, CreatedUser, Me, NewTokenRequest, NewUserRequest,
    PasswordResetResponse, RoleName, TokenInfo, UpdateUserRequest, UserInfo,
};
pub use settings::{AuthSettings, AuthState};

pub(crate) use api::check_employee;

/// Who is calling: a logged-in user or the owner of a valid API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    /// The user (internal id; never sent in a response about customers).
    pub user_id: comeback_store::UserId,
    /// Their role.
    pub role: comeback_store::Role,
    /// The location codes a manager or staff member works at (empty for an admin).
    pub locations: Vec<String>,
}

/// How the caller proved who they are (kept in the request's extensions by the
/// extractor).
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// The session cookie; carries the session's CSRF token for `GET /api/v1/me`.
    Session {
        /// The CSRF token forms and scripts must echo (redacted in `Debug`).
        csrf_token: String,
    },
    /// An API token with this internal id.
    ApiToken {
        /// The token's id.
        token_id: i64,
    },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Session { .. } => f.write_str("Session { csrf_token: <redacted> }"),
            Credential::ApiToken { token_id } => f
                .debug_struct("ApiToken")
                .field("token_id", token_id)
                .finish(),
        }
    }
}

/// True when `user` may see data of `location` (a location code): admins see every
/// location, managers and staff only those they belong to.
pub fn can_see_location(user: &AuthUser, location: &str) -> bool {
    user.role == Role::Admin || user.locations.iter().any(|l| l == location)
}

/// The session cookie's value in the request headers, when well-formed (64 hex).
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    let values = headers
        .get_all(header::COOKIE)
        .into_iter()
        .filter_map(|v| v.to_str().ok());
    cookie::cookie_value(values, cookie::SESSION_COOKIE).filter(|t| cookie::is_session_token(t))
}

fn bearer(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let v = headers.get(header::AUTHORIZATION)?;
    let v = v.to_str().map_err(|_| ());
    Some(v.and_then(|v| {
        let (scheme, rest) = v.split_once(' ').ok_or(())?;
        if scheme.eq_ignore_ascii_case("bearer") {
            Ok(rest.trim())
        } else {
            Err(())
        }
    }))
}

async fn authenticate(parts: &mut Parts, state: &AppState) -> Result<AuthUser, ApiError> {
    if let Some(u) = parts.extensions.get::<AuthUser>() {
        return Ok(u.clone());
    }
    let now = Utc::now();
    let store = &state.store;
    let (user, credential) = match bearer(&parts.headers) {
        Some(Err(())) => return Err(ApiError::Unauthorized),
        Some(Ok(secret)) => {
            let owner = store
                .verify_api_token(secret, now)
                .await?
                .ok_or(ApiError::Unauthorized)?;
            let token_id = owner.token_id;
            (owner.user, Credential::ApiToken { token_id })
        }
        None => {
            let token = session_cookie(&parts.headers).ok_or(ApiError::Unauthorized)?;
            let session = store
                .session(token, now)
                .await?
                .ok_or(ApiError::Unauthorized)?;
            if csrf::is_state_changing(&parts.method) {
                let presented = csrf::header_token(&parts.headers)
                    .map(str::to_owned)
                    .or_else(|| {
                        parts
                            .extensions
                            .get::<csrf::PresentedFormToken>()
                            .map(|t| t.0.clone())
                    });
                if !presented.is_some_and(|p| csrf::tokens_match(&session.csrf_token, &p)) {
                    return Err(ApiError::Forbidden(
                        "missing or wrong csrf token".to_owned(),
                    ));
                }
            }
            let user = store
                .user(session.user)
                .await?
                .ok_or(ApiError::Unauthorized)?;
            (
                user,
                Credential::Session {
                    csrf_token: session.csrf_token,
                },
            )
        }
    };
    if user
        .password_hash
        .as_deref()
        .is_some_and(|h| h.starts_with(password::TEMPORARY_PREFIX))
    {
        // A reset happened after this credential was issued: the owner must choose a
        // new password through /password first.
        return Err(ApiError::Forbidden("password change required".to_owned()));
    }
    let auth = AuthUser {
        user_id: user.id,
        role: user.role,
        locations: if user.role == Role::Admin {
            Vec::new()
        } else {
            user.locations
        },
    };
    parts.extensions.insert(auth.clone());
    parts.extensions.insert(credential);
    Ok(auth)
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(parts, state).await
    }
}

impl FromRequestParts<AppState> for Credential {
    type Rejection = ApiError;

    /// The credential of an authenticated request (run [`AuthUser`] first; alone it
    /// authenticates too).
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(parts, state).await?;
        parts
            .extensions
            .get::<Credential>()
            .cloned()
            .ok_or(ApiError::Unauthorized)
    }
}

/// An admin (401 for a guest, 403 for another role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequireAdmin(pub AuthUser);

impl FromRequestParts<AppState> for RequireAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        match user.role {
            Role::Admin => Ok(RequireAdmin(user)),
            _ => Err(ApiError::Forbidden("admin role required".to_owned())),
        }
    }
}

/// A manager or an admin (401 for a guest, 403 for staff).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequireManager(pub AuthUser);

impl FromRequestParts<AppState> for RequireManager {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        match user.role {
            Role::Admin | Role::Manager => Ok(RequireManager(user)),
            Role::Staff => Err(ApiError::Forbidden("manager role required".to_owned())),
        }
    }
}

/// The tracing span of a request (for `TraceLayer::make_span_with`): method and path
/// only, never the query string (the set-up link carries its token there) nor headers
/// (cookies, bearer tokens).
pub fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    tracing::debug_span!("request", method = %request.method(), path = %request.uri().path())
}

/// Appends an audit entry; a failure is logged, never shown (the request itself
/// succeeded or failed on its own merits).
pub(crate) async fn audit(
    state: &AppState,
    actor: Option<UserId>,
    action: &str,
    subject: Option<comeback_store::Subject>,
) {
    if let Err(e) = state.store.append_audit(actor, action, subject).await {
        tracing::error!(error = %e, action, "audit entry not written");
    }
}

/// The HTML pages and form posts: `GET/POST /login`, `POST /password`,
/// `POST /logout`, `GET/POST /setup`, with [`csrf::csrf_form_field`] applied.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/login", get(pages::login_page).post(pages::login))
        .route("/password", post(pages::change_temporary_password))
        .route("/logout", post(pages::logout))
        .route("/setup", get(pages::setup_page).post(pages::setup))
        .layer(axum::middleware::from_fn(csrf::csrf_form_field))
}

/// The JSON routes under `/api/v1` (`me`, `tokens`, `users`), documented in the OpenAPI
/// document.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::me))
        .routes(routes!(api::change_password))
        .routes(routes!(api::list_tokens, api::create_token))
        .routes(routes!(api::revoke_token))
        .routes(routes!(api::list_users, api::create_user))
        .routes(routes!(api::update_user))
        .routes(routes!(api::reset_password))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, locations: &[&str]) -> AuthUser {
        AuthUser {
            user_id: UserId(1),
            role,
            locations: locations.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn location_scoping() {
        assert!(can_see_location(&user(Role::Admin, &[]), "north"));
        assert!(can_see_location(&user(Role::Manager, &["north"]), "north"));
        assert!(!can_see_location(&user(Role::Manager, &["north"]), "south"));
        assert!(!can_see_location(&user(Role::Staff, &[]), "north"));
        assert!(can_see_location(
            &user(Role::Staff, &["south", "north"]),
            "north"
        ));
    }

    #[test]
    fn bearer_header() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, "Bearer cbt_x".parse().unwrap());
        assert_eq!(bearer(&h), Some(Ok("cbt_x")));
        h.insert(header::AUTHORIZATION, "bearer  cbt_y ".parse().unwrap());
        assert_eq!(bearer(&h), Some(Ok("cbt_y")));
        h.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&h), Some(Err(())));
    }

    #[test]
    fn session_cookie_must_be_well_formed() {
        let mut h = HeaderMap::new();
        let t = "ab".repeat(32);
        h.insert(
            header::COOKIE,
            format!("x=1; comeback_session={t}").parse().unwrap(),
        );
        assert_eq!(session_cookie(&h), Some(t.as_str()));
        h.insert(header::COOKIE, "comeback_session=1; DROP".parse().unwrap());
        assert_eq!(session_cookie(&h), None);
    }

    #[test]
    fn credential_debug_is_redacted() {
        let c = Credential::Session {
            csrf_token: "secretsecret".to_owned(),
        };
        assert!(!format!("{c:?}").contains("secretsecret"));
    }
}
