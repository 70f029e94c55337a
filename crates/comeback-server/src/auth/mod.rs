//! Accounts and security: login, sessions, CSRF, API tokens, roles, the admin set-up link,
//! lockout. (Interface stub: every extractor rejects with 401 until implemented.)
//!
//! The seams the rest of the server uses:
//! - [`AuthUser`], [`RequireAdmin`], [`RequireManager`]: axum extractors over
//!   [`AppState`]; a guest is rejected with 401 and a wrong role with 403, before any body
//!   is read (they must come first in a handler's arguments).
//! - [`routes`]: the HTML pages (`/login`, `/logout`, `/setup`); [`api_routes`]: the JSON
//!   routes under `/api/v1` (users, tokens), registered through `OpenApiRouter` so they
//!   appear in the OpenAPI document.
//! - [`AuthSettings`]: flags of `comeback serve` for this module; [`AuthState`]: its
//!   shared state inside [`AppState`].

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use utoipa_axum::router::OpenApiRouter;

use crate::{ApiError, AppState};

/// Who is calling: a logged-in user or the owner of a valid API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    /// The user (internal id; never sent in a response).
    pub user_id: comeback_store::UserId,
    /// Their role.
    pub role: comeback_store::Role,
    /// The location codes a manager or staff member works at (empty for an admin).
    pub locations: Vec<String>,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(_parts: &mut Parts, _state: &AppState) -> Result<Self, ApiError> {
        Err(ApiError::Unauthorized)
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
            comeback_store::Role::Admin => Ok(RequireAdmin(user)),
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
            comeback_store::Role::Admin | comeback_store::Role::Manager => {
                Ok(RequireManager(user))
            }
            _ => Err(ApiError::Forbidden("manager role required".to_owned())),
        }
    }
}

/// Flags of `comeback serve` for accounts and security.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AuthSettings {}

/// Shared state of this module (login throttling, ...), inside [`AppState`].
#[derive(Debug, Clone, Default)]
pub struct AuthState {}

impl AuthState {
    /// The state for these settings.
    pub fn new(_settings: &AuthSettings) -> AuthState {
        AuthState {}
    }
}

/// The HTML pages: `/login`, `/logout`, `/setup`.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
}

/// The JSON routes under `/api/v1` (users, tokens), documented in the OpenAPI document.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
