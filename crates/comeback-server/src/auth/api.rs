//! JSON routes of accounts: `/api/v1/me`, `/api/v1/me/password`, `/api/v1/tokens`,
//! `/api/v1/users`. Secrets (token secrets, temporary passwords) appear in exactly one
//! response each and are redacted in `Debug`.

use std::fmt;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use comeback_store::{ApiToken, NewUser, Role, Subject, SubjectKind, User, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::pages::password_error;
use super::password::{Password, temporary_password};
use super::{AuthUser, Credential, RequireAdmin, RequireManager, audit};
use crate::error::{ErrorBody, Json, Path};
use crate::{ApiError, AppState};

/// A role as sent over the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    /// Everything.
    Admin,
    /// Their locations' customers and staff.
    Manager,
    /// Customer look-up to record flags, their own report card.
    Staff,
}

impl From<Role> for RoleName {
    fn from(r: Role) -> RoleName {
        match r {
            Role::Admin => RoleName::Admin,
            Role::Manager => RoleName::Manager,
            Role::Staff => RoleName::Staff,
        }
    }
}

impl From<RoleName> for Role {
    fn from(r: RoleName) -> Role {
        match r {
            RoleName::Admin => Role::Admin,
            RoleName::Manager => Role::Manager,
            RoleName::Staff => Role::Staff,
        }
    }
}

/// The caller's own account.
#[derive(Clone, Serialize, ToSchema)]
pub struct Me {
    /// User id.
    pub id: i64,
    /// Login e-mail.
    pub email: String,
    /// Role.
    pub role: RoleName,
    /// Location codes (empty for an admin, who sees all).
    pub locations: Vec<String>,
    /// The code of the employee this account belongs to (whose report card a staff
    /// member sees and whom their flags credit); `null` when not linked.
    pub employee: Option<String>,
    /// The session's CSRF token, to send as `X-CSRF-Token` on state-changing requests
    /// (absent for API-token requests, which need none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
}

impl fmt::Debug for Me {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Me")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("locations", &self.locations)
            .finish_non_exhaustive()
    }
}

/// Body of `POST /api/v1/me/password`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePassword {
    /// The current password.
    #[schema(value_type = String, format = Password)]
    pub current_password: Password,
    /// The new password (at least the configured minimum of characters).
    #[schema(value_type = String, format = Password)]
    pub new_password: Password,
}

/// An API token as listed: never its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenInfo {
    /// Token id (for revoking).
    pub id: i64,
    /// The owner's label.
    pub name: String,
    /// Public prefix (`cbt_` + 12 hex), enough to recognise the token.
    pub prefix: String,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last used (UTC).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Revoked (UTC); a revoked token is refused.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiToken> for TokenInfo {
    fn from(t: ApiToken) -> TokenInfo {
        TokenInfo {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// Body of `POST /api/v1/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTokenRequest {
    /// A label, 1–100 bytes.
    pub name: String,
}

/// A new API token: `token` is shown here once and stored only as its SHA-256.
#[derive(Clone, Serialize, ToSchema)]
pub struct CreatedToken {
    /// The listed description.
    #[serde(flatten)]
    pub info: TokenInfo,
    /// The secret, to send as `Authorization: Bearer <token>`.
    pub token: String,
}

impl fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedToken")
            .field("info", &self.info)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// A user account as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserInfo {
    /// User id.
    pub id: i64,
    /// Login e-mail.
    pub email: String,
    /// Role.
    pub role: RoleName,
    /// Location codes.
    pub locations: Vec<String>,
    /// The code of the employee this account belongs to; `null` when not linked.
    pub employee: Option<String>,
    /// Logins refused until this instant (UTC), after repeated failures.
    pub locked_until: Option<DateTime<Utc>>,
    /// The user still has to replace a temporary password.
    pub must_change_password: bool,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserInfo {
    fn from(u: User) -> UserInfo {
        UserInfo {
            id: u.id.0,
            must_change_password: u
                .password_hash
                .as_deref()
                .is_none_or(|h| h.starts_with(super::password::TEMPORARY_PREFIX)),
            email: u.email,
            role: u.role.into(),
            locations: u.locations,
            employee: u.employee,
            locked_until: u.locked_until,
            created_at: u.created_at,
        }
    }
}

/// Body of `POST /api/v1/users`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUserRequest {
    /// Login e-mail.
    pub email: String,
    /// Role.
    pub role: RoleName,
    /// Location codes (existing locations).
    #[serde(default)]
    pub locations: Vec<String>,
    /// The code of an existing employee to link the account to (at most one account per
    /// employee).
    #[schema(min_length = 1, max_length = 200)]
    pub employee: Option<String>,
}

/// A new user and their temporary password (shown once; to be changed at first login).
#[derive(Clone, Serialize, ToSchema)]
pub struct CreatedUser {
    /// The account.
    pub user: UserInfo,
    /// Temporary password to hand to the user.
    pub temporary_password: String,
}

impl fmt::Debug for CreatedUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedUser")
            .field("user", &self.user)
            .field("temporary_password", &"<redacted>")
            .finish()
    }
}

/// Body of `PATCH /api/v1/users/{id}`: the fields to change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateUserRequest {
    /// New role.
    pub role: Option<RoleName>,
    /// New location codes (replacing the old ones).
    pub locations: Option<Vec<String>>,
    /// Link the account to this employee code (an existing employee not linked to
    /// another account), or unlink it with `null`; absent: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    pub employee: Option<Option<String>>,
}

/// A field that may be absent (`None`), `null` (`Some(None)`) or a value.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A temporary password set by an admin reset (shown once).
#[derive(Clone, Serialize, ToSchema)]
pub struct PasswordResetResponse {
    /// Temporary password to hand to the user; they must change it at their next login.
    pub temporary_password: String,
}

impl fmt::Debug for PasswordResetResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordResetResponse { temporary_password: <redacted> }")
    }
}

fn user_subject(id: UserId) -> Option<Subject> {
    Some(Subject {
        kind: SubjectKind::User,
        id: id.0,
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(format!("password hashing task: {e}")))
}

/// The caller's account (and, for a session, its CSRF token).
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, description = "the caller", body = Me),
              (status = 401, description = "not logged in", body = ErrorBody)))]
pub async fn me(
    user: AuthUser,
    credential: Credential,
    State(state): State<AppState>,
) -> Result<Json<Me>, ApiError> {
    let u = state
        .store
        .user(user.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(Me {
        id: u.id.0,
        email: u.email,
        role: u.role.into(),
        locations: user.locations,
        employee: u.employee,
        csrf_token: match credential {
            Credential::Session { csrf_token } => Some(csrf_token),
            Credential::ApiToken { .. } => None,
        },
    }))
}

/// Changes the caller's password (the current one is required); other sessions end.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts", request_body = ChangePassword,
    responses((status = 204, description = "changed"),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "wrong current password or missing csrf token", body = ErrorBody),
              (status = 422, description = "new password too short or too long", body = ErrorBody)))]
pub async fn change_password(
    user: AuthUser,
    State(state): State<AppState>,
    Json(body): Json<ChangePassword>,
) -> Result<StatusCode, ApiError> {
    let u = state
        .store
        .user(user.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let hasher = state.auth.hasher.clone();
    let stored = u.password_hash.clone();
    let current = body.current_password.clone();
    let ok = blocking(move || hasher.verify(&current, stored.as_deref())).await?;
    if ok == super::password::Verified::Mismatch {
        audit(
            &state,
            Some(user.user_id),
            "auth.password_change_failed",
            user_subject(user.user_id),
        )
        .await;
        return Err(ApiError::Forbidden("wrong current password".to_owned()));
    }
    if body.new_password == body.current_password {
        return Err(ApiError::invalid_field(
            "new_password",
            "the new password must differ from the current one",
        ));
    }
    let hasher = state.auth.hasher.clone();
    let new = body.new_password.clone();
    let hash = blocking(move || hasher.hash(&new))
        .await?
        .map_err(|e| match password_error(e) {
            ApiError::Invalid { fields, .. } if !fields.is_empty() => {
                ApiError::invalid_field("new_password", fields[0].message.clone())
            }
            other => other,
        })?;
    state.store.set_password_hash(user.user_id, &hash).await?;
    state.store.delete_user_sessions(user.user_id).await?;
    audit(
        &state,
        Some(user.user_id),
        "user.password_change",
        user_subject(user.user_id),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's API tokens, newest first (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts",
    responses((status = 200, description = "the caller's tokens", body = [TokenInfo]),
              (status = 401, description = "not logged in", body = ErrorBody)))]
pub async fn list_tokens(
    user: AuthUser,
    State(state): State<AppState>,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    let tokens = state.store.api_tokens(user.user_id).await?;
    Ok(Json(tokens.into_iter().map(TokenInfo::from).collect()))
}

/// Creates an API token with the caller's role; the secret is in this response only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", request_body = NewTokenRequest,
    responses((status = 201, description = "created; the secret is shown once", body = CreatedToken),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "missing csrf token", body = ErrorBody),
              (status = 422, description = "empty or long name", body = ErrorBody)))]
pub async fn create_token(
    user: AuthUser,
    State(state): State<AppState>,
    Json(body): Json<NewTokenRequest>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let t = state
        .store
        .create_api_token(user.user_id, &body.name, Utc::now())
        .await?;
    let subject = Some(Subject {
        kind: SubjectKind::ApiToken,
        id: t.token.id,
    });
    audit(&state, Some(user.user_id), "token.create", subject).await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            info: t.token.into(),
            token: t.secret,
        }),
    ))
}

/// Revokes one of the caller's API tokens (idempotent).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts",
    params(("id" = i64, Path, description = "token id")),
    responses((status = 204, description = "revoked"),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 404, description = "no such token of the caller", body = ErrorBody)))]
pub async fn revoke_token(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .revoke_api_token(user.user_id, id, Utc::now())
        .await?;
    let subject = Some(Subject {
        kind: SubjectKind::ApiToken,
        id,
    });
    audit(&state, Some(user.user_id), "token.revoke", subject).await;
    Ok(StatusCode::NO_CONTENT)
}

/// User accounts: all for an admin; for a manager, those sharing one of their locations.
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts",
    responses((status = 200, description = "users by e-mail", body = [UserInfo]),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "staff", body = ErrorBody)))]
pub async fn list_users(
    RequireManager(user): RequireManager,
    State(state): State<AppState>,
) -> Result<Json<Vec<UserInfo>>, ApiError> {
    let users = state.store.users().await?;
    Ok(Json(
        users
            .into_iter()
            .filter(|u| {
                user.role == Role::Admin
                    || u.id == user.user_id
                    || u.locations
                        .iter()
                        .any(|l| super::can_see_location(&user, l))
            })
            .map(UserInfo::from)
            .collect(),
    ))
}

/// Checks an employee code sent for an account link: 422 on the field `employee` for a
/// malformed or unknown code, 409 when another account than `user` is linked to it.
pub(crate) async fn check_employee(
    state: &AppState,
    code: &str,
    user: Option<UserId>,
) -> Result<(), ApiError> {
    crate::text::check_text("employee", code)?;
    if code.trim().is_empty() || code.len() > 200 {
        return Err(ApiError::invalid_field("employee", "must be 1-200 bytes"));
    }
    let known = state.store.employees().await?;
    if !known.iter().any(|e| e.code == code) {
        return Err(ApiError::invalid_field(
            "employee",
            format!("unknown employee {code:?}"),
        ));
    }
    if let Some(other) = state
        .store
        .users()
        .await?
        .into_iter()
        .find(|u| u.employee.as_deref() == Some(code) && Some(u.id) != user)
    {
        return Err(ApiError::Conflict(format!(
            "employee {code:?} is already linked to the account {}",
            other.email
        )));
    }
    Ok(())
}

async fn check_locations(state: &AppState, codes: &[String]) -> Result<(), ApiError> {
    let known = state.store.locations().await?;
    for c in codes {
        if !known.iter().any(|l| &l.code == c) {
            return Err(ApiError::invalid_field(
                "locations",
                format!("unknown location {c:?}"),
            ));
        }
    }
    Ok(())
}

/// Creates a user with a temporary password (shown once; to be changed at first login).
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = NewUserRequest,
    responses((status = 201, description = "created", body = CreatedUser),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not an admin", body = ErrorBody),
              (status = 409, description = "e-mail taken, or the employee is linked to another account", body = ErrorBody),
              (status = 422, description = "malformed e-mail, unknown location or unknown employee", body = ErrorBody)))]
pub async fn create_user(
    RequireAdmin(admin): RequireAdmin,
    State(state): State<AppState>,
    Json(body): Json<NewUserRequest>,
) -> Result<(StatusCode, Json<CreatedUser>), ApiError> {
    check_locations(&state, &body.locations).await?;
    if let Some(code) = &body.employee {
        check_employee(&state, code, None).await?;
    }
    let temp = temporary_password().map_err(password_error)?;
    let hasher = state.auth.hasher.clone();
    let t = temp.clone();
    let hash = blocking(move || hasher.hash_temporary(&t))
        .await?
        .map_err(password_error)?;
    let created = state
        .store
        .create_user(&NewUser {
            email: body.email,
            role: body.role.into(),
            password_hash: Some(hash),
        })
        .await?;
    state
        .store
        .set_user_locations(created.id, &body.locations)
        .await?;
    if let Some(code) = &body.employee {
        state
            .store
            .set_user_employee(created.id, Some(code.as_str()))
            .await?;
    }
    audit(
        &state,
        Some(admin.user_id),
        "user.create",
        user_subject(created.id),
    )
    .await;
    let user = state
        .store
        .user(created.id)
        .await?
        .ok_or_else(|| ApiError::Internal("created user vanished".to_owned()))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user: user.into(),
            temporary_password: temp.expose().to_owned(),
        }),
    ))
}

async fn target_user(state: &AppState, id: i64) -> Result<User, ApiError> {
    state
        .store
        .user(UserId(id))
        .await?
        .ok_or(ApiError::NotFound {
            what: "user",
            key: id.to_string(),
        })
}

/// Changes a user's role, locations and/or employee link. The last admin cannot be
/// demoted (409); an employee belongs to at most one account (409).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "accounts", request_body = UpdateUserRequest,
    params(("id" = i64, Path, description = "user id")),
    responses((status = 200, description = "the updated user", body = UserInfo),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not an admin", body = ErrorBody),
              (status = 404, description = "no such user", body = ErrorBody),
              (status = 409, description = "would leave no admin, or the employee is linked to another account", body = ErrorBody),
              (status = 422, description = "unknown location or unknown employee", body = ErrorBody)))]
pub async fn update_user(
    RequireAdmin(admin): RequireAdmin,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<UpdateUserRequest>,
) -> Result<Json<UserInfo>, ApiError> {
    let target = target_user(&state, id).await?;
    if let Some(codes) = &body.locations {
        check_locations(&state, codes).await?;
    }
    if let Some(Some(code)) = &body.employee {
        check_employee(&state, code, Some(target.id)).await?;
    }
    if let Some(role) = body.role.map(Role::from)
        && role != target.role
    {
        if target.role == Role::Admin {
            let admins = state
                .store
                .users()
                .await?
                .iter()
                .filter(|u| u.role == Role::Admin)
                .count();
            if admins <= 1 {
                return Err(ApiError::Conflict(format!(
                    "user {id} is the last admin and keeps the role"
                )));
            }
        }
        state.store.set_role(target.id, role).await?;
        audit(
            &state,
            Some(admin.user_id),
            "user.role_change",
            user_subject(target.id),
        )
        .await;
    }
    if let Some(codes) = &body.locations {
        state.store.set_user_locations(target.id, codes).await?;
        audit(
            &state,
            Some(admin.user_id),
            "user.locations_change",
            user_subject(target.id),
        )
        .await;
    }
    if let Some(employee) = &body.employee
        && employee.as_deref() != target.employee.as_deref()
    {
        state
            .store
            .set_user_employee(target.id, employee.as_deref())
            .await?;
        audit(
            &state,
            Some(admin.user_id),
            "user.employee_change",
            user_subject(target.id),
        )
        .await;
    }
    Ok(Json(target_user(&state, id).await?.into()))
}

/// Resets a user's password to a temporary one (shown once): the lock and failure count
/// are cleared, the user's sessions end, and the user must choose a new password at the
/// next login (`POST /password`).
#[utoipa::path(post, path = "/api/v1/users/{id}/password-reset", tag = "accounts",
    params(("id" = i64, Path, description = "user id")),
    responses((status = 200, description = "the temporary password", body = PasswordResetResponse),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not an admin", body = ErrorBody),
              (status = 404, description = "no such user", body = ErrorBody)))]
pub async fn reset_password(
    RequireAdmin(admin): RequireAdmin,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<PasswordResetResponse>, ApiError> {
    let target = target_user(&state, id).await?;
    let temp = temporary_password().map_err(password_error)?;
    let hasher = state.auth.hasher.clone();
    let t = temp.clone();
    let hash = blocking(move || hasher.hash_temporary(&t))
        .await?
        .map_err(password_error)?;
    state.store.set_password_hash(target.id, &hash).await?;
    state.store.delete_user_sessions(target.id).await?;
    audit(
        &state,
        Some(admin.user_id),
        "user.password_reset",
        user_subject(target.id),
    )
    .await;
    Ok(Json(PasswordResetResponse {
        temporary_password: temp.expose().to_owned(),
    }))
}
