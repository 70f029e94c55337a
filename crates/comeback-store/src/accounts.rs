//! Users, API tokens, sessions, the one-time admin set-up token and the audit log.
//!
//! Secrets (API tokens, session ids, the set-up token) are 256-bit random values shown to
//! their owner once and stored only as SHA-256 digests (FIPS 180-4); a database leak
//! therefore reveals no usable credential. Passwords arrive already hashed (argon2 PHC
//! strings made by the server) and are never logged: `Debug` redacts them.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::store::{BeginWrite, on_pool};
use crate::util::{constant_time_eq, from_micros, random_hex, sha256_hex, to_micros};
use crate::{Store, StoreError};

/// Internal id of a user (for sessions and the audit log; never a customer's id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(pub i64);

/// What a user may do (enforced by the server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything.
    Admin,
    /// Their locations' customers and staff.
    Manager,
    /// Customer look-up to record flags, their own report card.
    Staff,
}

impl Role {
    /// `"admin"`, `"manager"` or `"staff"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Staff => "staff",
        }
    }

    /// Parses [`as_str`](Self::as_str)'s names.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for another name.
    pub fn parse(s: &str) -> Result<Role, StoreError> {
        match s {
            "admin" => Ok(Role::Admin),
            "manager" => Ok(Role::Manager),
            "staff" => Ok(Role::Staff),
            _ => Err(StoreError::Invalid {
                field: "role",
                value: s.to_owned(),
                reason: "must be admin, manager or staff",
            }),
        }
    }
}

/// A user account.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// Internal id.
    pub id: UserId,
    /// Login e-mail, lower case.
    pub email: String,
    /// Role.
    pub role: Role,
    /// argon2 PHC string; `None` until a password is set. Redacted in `Debug`.
    pub password_hash: Option<String>,
    /// Consecutive failed logins since the last success.
    pub failed_logins: u32,
    /// Logins are refused until then.
    pub locked_until: Option<DateTime<Utc>>,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// Codes of the locations a manager (or staff member) belongs to.
    pub locations: Vec<String>,
    /// The code of the employee this account belongs to (migration 11): whose report
    /// card a staff member sees and whom their flags credit.
    pub employee: Option<String>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("role", &self.role)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<redacted>"),
            )
            .field("failed_logins", &self.failed_logins)
            .field("locked_until", &self.locked_until)
            .field("created_at", &self.created_at)
            .field("locations", &self.locations)
            .field("employee", &self.employee)
            .finish()
    }
}

impl User {
    /// True while logins are refused.
    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }
}

/// A user to create.
#[derive(Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Login e-mail (stored trimmed and lower case).
    pub email: String,
    /// Role.
    pub role: Role,
    /// argon2 PHC string, or `None` for an account whose password an admin sets later.
    pub password_hash: Option<String>,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field("role", &self.role)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Login throttling: after `max_failures` consecutive failures the account is locked for
/// `lock_for`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures before a lock (at least 1).
    pub max_failures: u32,
    /// Length of the lock.
    pub lock_for: Duration,
}

impl Default for LockoutPolicy {
    /// 5 failures, 15 minutes (OWASP Authentication Cheat Sheet, "account lockout").
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 5,
            lock_for: Duration::from_secs(15 * 60),
        }
    }
}

/// An API token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Internal id.
    pub id: i64,
    /// Owner.
    pub user: UserId,
    /// The owner's label.
    pub name: String,
    /// The public prefix shown in lists (`cbt_<12 hex>`), enough to recognise a token.
    pub prefix: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last successful verification.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Revoked (refused from then on).
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A freshly created API token: `secret` is shown to the user once and stored nowhere.
#[derive(Clone, PartialEq, Eq)]
pub struct NewApiToken {
    /// The stored description.
    pub token: ApiToken,
    /// The full secret `cbt_<12 hex>_<64 hex>` (redacted in `Debug`).
    pub secret: String,
}

impl fmt::Debug for NewApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewApiToken")
            .field("token", &self.token)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Who a verified API token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    /// The token's internal id.
    pub token_id: i64,
    /// Its owner.
    pub user: User,
}

/// A freshly created login session: `token` goes into the cookie and is stored nowhere.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSession {
    /// The session cookie value (64 hex, redacted in `Debug`).
    pub token: String,
    /// The CSRF token of the session's forms (64 hex).
    pub csrf_token: String,
    /// When the session ends.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("token", &"<redacted>")
            .field("csrf_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A live session found by its cookie value.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// Its user.
    pub user: UserId,
    /// The CSRF token forms must echo (redacted in `Debug`).
    pub csrf_token: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Ends.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user)
            .field("csrf_token", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The kind of row an audit entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectKind {
    /// A customer (internal id).
    Customer,
    /// A user.
    User,
    /// An API token.
    ApiToken,
    /// A location.
    Location,
    /// An employee.
    Employee,
}

impl SubjectKind {
    fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Customer => "customer",
            SubjectKind::User => "user",
            SubjectKind::ApiToken => "api_token",
            SubjectKind::Location => "location",
            SubjectKind::Employee => "employee",
        }
    }

    fn parse(s: &str) -> Option<SubjectKind> {
        Some(match s {
            "customer" => SubjectKind::Customer,
            "user" => SubjectKind::User,
            "api_token" => SubjectKind::ApiToken,
            "location" => SubjectKind::Location,
            "employee" => SubjectKind::Employee,
            _ => return None,
        })
    }
}

/// What an audit entry is about: a kind and an internal id (never an external id or any
/// personal data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subject {
    /// Kind of row.
    pub kind: SubjectKind,
    /// Its internal id.
    pub id: i64,
}

/// One entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the log.
    pub id: i64,
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// Who did it (`None`: the system or an API client without a user).
    pub actor: Option<UserId>,
    /// What, a dotted lower-case name such as `"customer.erase"`.
    pub action: String,
    /// To what.
    pub subject: Option<Subject>,
}

/// How stale an API token's `last_used_at` may get, in seconds: a use is written only when
/// the recorded one is at least this old ([`Store::verify_api_token`]).
pub const TOKEN_USE_RESOLUTION_SECS: i64 = 60;

const USER_SQL: &str = "SELECT u.id, u.email, u.role, u.password_hash, u.failed_logins, \
                        u.locked_until, u.created_at, e.code FROM users u \
                        LEFT JOIN employees e ON e.id = u.employee_id";

const SETUP_KEY: &str = "admin_setup_token_hash";

fn normalize_email(email: &str) -> Result<String, StoreError> {
    let e = email.trim().to_lowercase();
    if !e.contains('@') || e.len() > 254 || e.chars().any(char::is_whitespace) {
        return Err(StoreError::Invalid {
            field: "email",
            value: email.to_owned(),
            reason: "not an e-mail address",
        });
    }
    Ok(e)
}

fn micros_opt(column: &'static str, v: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    v.map(|us| from_micros(column, us)).transpose()
}

fn lock_until(now: DateTime<Utc>, d: Duration) -> i64 {
    to_micros(now).saturating_add(i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

impl Store {
    async fn user_where(
        &self,
        clause: &'static str,
        key: Key<'_>,
    ) -> Result<Option<User>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("{USER_SQL} WHERE {clause}"));
        let loc_sql = "SELECT l.code FROM user_locations ul JOIN locations l \
                       ON l.id = ul.location_id WHERE ul.user_id = $1 ORDER BY l.code";
        on_pool!(self, p => {
            let q = sqlx::query(sql);
            let q = match key {
                Key::Id(id) => q.bind(id),
                Key::Text(t) => q.bind(t),
            };
            let Some(r) = q.fetch_optional(p).await? else {
                return Ok(None);
            };
            let id: i64 = r.try_get(0)?;
            let role: String = r.try_get(2)?;
            let failed: i64 = r.try_get(4)?;
            let locations: Vec<String> = sqlx::query_scalar(loc_sql).bind(id).fetch_all(p).await?;
            Ok(Some(User {
                id: UserId(id),
                email: r.try_get(1)?,
                role: Role::parse(&role).map_err(|_| StoreError::Corrupt {
                    column: "users.role",
                    value: role.clone(),
                })?,
                password_hash: r.try_get(3)?,
                failed_logins: u32::try_from(failed).unwrap_or(u32::MAX),
                locked_until: micros_opt("users.locked_until", r.try_get(5)?)?,
                created_at: from_micros("users.created_at", r.try_get(6)?)?,
                locations,
                employee: r.try_get(7)?,
            }))
        })
    }

    /// Creates a user.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a malformed e-mail; [`StoreError::Duplicate`] when the
    /// e-mail is taken; [`StoreError::Database`].
    pub async fn create_user(&self, user: &NewUser) -> Result<User, StoreError> {
        let email = normalize_email(&user.email)?;
        let now = to_micros(Utc::now());
        let sql = "INSERT INTO users (email, role, password_hash, created_at) \
                   VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO NOTHING RETURNING id";
        let id: Option<i64> = on_pool!(self, p => sqlx::query_scalar(sql)
            .bind(&email)
            .bind(user.role.as_str())
            .bind(&user.password_hash)
            .bind(now)
            .fetch_optional(p)
            .await?);
        let Some(id) = id else {
            return Err(StoreError::Duplicate {
                what: "user",
                key: email,
            });
        };
        self.user(UserId(id)).await?.ok_or(StoreError::NotFound {
            what: "user",
            key: id.to_string(),
        })
    }

    /// The user with this id.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.user_where("u.id = $1", Key::Id(id.0)).await
    }

    /// The user with this login e-mail (compared trimmed and lower case).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let e = email.trim().to_lowercase();
        self.user_where("u.email = $1", Key::Text(&e)).await
    }

    /// Every user, by e-mail.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let ids: Vec<i64> = on_pool!(self, p => sqlx::query_scalar("SELECT id FROM users ORDER BY email")
            .fetch_all(p).await?);
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(u) = self.user(UserId(id)).await? {
                out.push(u);
            }
        }
        Ok(out)
    }

    /// The number of users (0 on a fresh database: time for the set-up link).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn count_users(&self) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(p).await?);
        Ok(n.max(0) as u64)
    }

    /// Sets (or resets, by an admin) a user's password hash and clears the failure counter
    /// and any lock.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::Database`].
    pub async fn set_password_hash(
        &self,
        user: UserId,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL \
                   WHERE id = $2";
        let n = on_pool!(self, p => sqlx::query(sql).bind(password_hash).bind(user.0)
            .execute(p).await?.rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "user",
                key: user.0.to_string(),
            });
        }
        Ok(())
    }

    /// Changes a user's role.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::Database`].
    pub async fn set_role(&self, user: UserId, role: Role) -> Result<(), StoreError> {
        let sql = "UPDATE users SET role = $1 WHERE id = $2";
        let n = on_pool!(self, p => sqlx::query(sql).bind(role.as_str()).bind(user.0)
            .execute(p).await?.rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "user",
                key: user.0.to_string(),
            });
        }
        Ok(())
    }

    /// Counts a failed login and, at `policy.max_failures` consecutive failures, locks the
    /// account until `now + policy.lock_for` (the counter then starts again). Returns the
    /// updated user.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::Database`].
    pub async fn record_failed_login(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        policy: LockoutPolicy,
    ) -> Result<User, StoreError> {
        let max = i64::from(policy.max_failures.max(1));
        let until = lock_until(now, policy.lock_for);
        let sql = "UPDATE users SET \
                   locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END, \
                   failed_logins = CASE WHEN failed_logins + 1 >= $1 THEN 0 ELSE failed_logins + 1 END \
                   WHERE id = $3";
        let n = on_pool!(self, p => sqlx::query(sql).bind(max).bind(until).bind(user.0)
            .execute(p).await?.rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "user",
                key: user.0.to_string(),
            });
        }
        self.user(user).await?.ok_or(StoreError::NotFound {
            what: "user",
            key: user.0.to_string(),
        })
    }

    /// Clears the failure counter after a successful login.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn record_successful_login(&self, user: UserId) -> Result<(), StoreError> {
        let sql = "UPDATE users SET failed_logins = 0 WHERE id = $1";
        on_pool!(self, p => { sqlx::query(sql).bind(user.0).execute(p).await?; });
        Ok(())
    }

    /// Links the account `user` to the employee with code `employee`, or unlinks it
    /// (`None`). An employee belongs to at most one account.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown user or employee code;
    /// [`StoreError::Duplicate`] when another account is linked to that employee (the key
    /// names it by e-mail); [`StoreError::Database`].
    pub async fn set_user_employee(
        &self,
        user: UserId,
        employee: Option<&str>,
    ) -> Result<(), StoreError> {
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let employee_id: Option<i64> = match employee {
                None => None,
                Some(code) => Some(
                    sqlx::query_scalar("SELECT id FROM employees WHERE code = $1")
                        .bind(code)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or_else(|| StoreError::NotFound { what: "employee", key: code.to_owned() })?,
                ),
            };
            if let Some(eid) = employee_id {
                let other: Option<String> = sqlx::query_scalar(
                    "SELECT email FROM users WHERE employee_id = $1 AND id <> $2",
                )
                .bind(eid)
                .bind(user.0)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(email) = other {
                    return Err(StoreError::Duplicate {
                        what: "employee link",
                        key: format!("{} is linked to {email}", employee.unwrap_or_default()),
                    });
                }
            }
            let n = sqlx::query("UPDATE users SET employee_id = $1 WHERE id = $2")
                .bind(employee_id)
                .bind(user.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound { what: "user", key: user.0.to_string() });
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Replaces the locations a user belongs to.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown location code; [`StoreError::Database`].
    pub async fn set_user_locations(
        &self,
        user: UserId,
        codes: &[String],
    ) -> Result<(), StoreError> {
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query("DELETE FROM user_locations WHERE user_id = $1")
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            for code in codes {
                let loc: i64 = sqlx::query_scalar("SELECT id FROM locations WHERE code = $1")
                    .bind(code)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound { what: "location", key: code.clone() })?;
                sqlx::query(
                    "INSERT INTO user_locations (user_id, location_id) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(user.0)
                .bind(loc)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Creates an API token for `user`; the returned secret is shown once, only its SHA-256
    /// digest is stored.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an empty name or one over 100 bytes;
    /// [`StoreError::Random`]; [`StoreError::Database`] (e.g. an unknown user).
    pub async fn create_api_token(
        &self,
        user: UserId,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<NewApiToken, StoreError> {
        if name.trim().is_empty() || name.len() > 100 {
            return Err(StoreError::Invalid {
                field: "token name",
                value: name.to_owned(),
                reason: "must be 1-100 bytes",
            });
        }
        let prefix = format!("cbt_{}", random_hex(6)?);
        let secret = format!("{prefix}_{}", random_hex(32)?);
        let hash = sha256_hex(&[secret.as_bytes()]);
        let at = to_micros(now);
        let sql = "INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at) \
                   VALUES ($1, $2, $3, $4, $5) RETURNING id";
        let id: i64 = on_pool!(self, p => sqlx::query_scalar(sql)
            .bind(user.0).bind(name).bind(&prefix).bind(&hash).bind(at)
            .fetch_one(p).await?);
        Ok(NewApiToken {
            token: ApiToken {
                id,
                user,
                name: name.to_owned(),
                prefix,
                created_at: from_micros("api_tokens.created_at", at)?,
                last_used_at: None,
                revoked_at: None,
            },
            secret,
        })
    }

    /// The owner of an API token secret, or `None` for an unknown, malformed or revoked
    /// one; records the use in `last_used_at` when the recorded one is older than
    /// [`TOKEN_USE_RESOLUTION_SECS`] (a minute), so that a token used many times a second
    /// does not write on every request: on SQLite each write takes the database's one
    /// write lock, and a read request would wait for a long ingest batch. The digest
    /// comparison takes constant time.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn verify_api_token(
        &self,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<TokenOwner>, StoreError> {
        // cbt_ + 12 hex = 16 bytes of prefix, then _ and 64 hex.
        if secret.len() != 16 + 1 + 64 || !secret.is_char_boundary(16) {
            return Ok(None);
        }
        let prefix = &secret[..16];
        let hash = sha256_hex(&[secret.as_bytes()]);
        let sql = "SELECT id, user_id, token_hash, last_used_at FROM api_tokens \
                   WHERE prefix = $1 AND revoked_at IS NULL";
        let found: Option<(i64, i64, Option<i64>)> = on_pool!(self, p => {
            match sqlx::query(sql).bind(prefix).fetch_optional(p).await? {
                None => None,
                Some(r) => {
                    let stored: String = r.try_get(2)?;
                    if constant_time_eq(stored.as_bytes(), hash.as_bytes()) {
                        Some((r.try_get(0)?, r.try_get(1)?, r.try_get(3)?))
                    } else {
                        None
                    }
                }
            }
        });
        let Some((token_id, user_id, last_used)) = found else {
            return Ok(None);
        };
        let now_us = to_micros(now);
        if last_used
            .is_none_or(|t| now_us.saturating_sub(t) >= TOKEN_USE_RESOLUTION_SECS * 1_000_000)
        {
            let sql = "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2";
            on_pool!(self, p => { sqlx::query(sql).bind(now_us).bind(token_id).execute(p).await?; });
        }
        Ok(self
            .user(UserId(user_id))
            .await?
            .map(|user| TokenOwner { token_id, user }))
    }

    /// A user's API tokens, newest first.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn api_tokens(&self, user: UserId) -> Result<Vec<ApiToken>, StoreError> {
        let sql = "SELECT id, name, prefix, created_at, last_used_at, revoked_at \
                   FROM api_tokens WHERE user_id = $1 ORDER BY id DESC";
        on_pool!(self, p => {
            let rows = sqlx::query(sql).bind(user.0).fetch_all(p).await?;
            rows.iter()
                .map(|r| {
                    Ok(ApiToken {
                        id: r.try_get(0)?,
                        user,
                        name: r.try_get(1)?,
                        prefix: r.try_get(2)?,
                        created_at: from_micros("api_tokens.created_at", r.try_get(3)?)?,
                        last_used_at: micros_opt("api_tokens.last_used_at", r.try_get(4)?)?,
                        revoked_at: micros_opt("api_tokens.revoked_at", r.try_get(5)?)?,
                    })
                })
                .collect()
        })
    }

    /// Revokes a token of `user` (idempotent).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when `user` has no such token; [`StoreError::Database`].
    pub async fn revoke_api_token(
        &self,
        user: UserId,
        token_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) \
                   WHERE id = $2 AND user_id = $3";
        let n = on_pool!(self, p => sqlx::query(sql).bind(to_micros(now)).bind(token_id)
            .bind(user.0).execute(p).await?.rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "api token",
                key: token_id.to_string(),
            });
        }
        Ok(())
    }

    /// Starts a login session of `user` lasting `ttl`; only the SHA-256 of the cookie value
    /// is stored.
    ///
    /// # Errors
    /// [`StoreError::Random`]; [`StoreError::Database`].
    pub async fn create_session(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<NewSession, StoreError> {
        let token = random_hex(32)?;
        let csrf_token = random_hex(32)?;
        let expires = lock_until(now, ttl);
        let sql = "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) \
                   VALUES ($1, $2, $3, $4, $5)";
        on_pool!(self, p => { sqlx::query(sql)
            .bind(sha256_hex(&[token.as_bytes()]))
            .bind(user.0)
            .bind(&csrf_token)
            .bind(to_micros(now))
            .bind(expires)
            .execute(p)
            .await?; });
        Ok(NewSession {
            token,
            csrf_token,
            expires_at: from_micros("sessions.expires_at", expires)?,
        })
    }

    /// The live session of a cookie value, or `None` (unknown or expired; an expired one
    /// is deleted).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn session(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        let hash = sha256_hex(&[token.as_bytes()]);
        let sql =
            "SELECT user_id, csrf_token, created_at, expires_at FROM sessions WHERE id_hash = $1";
        let row: Option<(i64, String, i64, i64)> = on_pool!(self, p => {
            match sqlx::query(sql).bind(&hash).fetch_optional(p).await? {
                None => None,
                Some(r) => Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)),
            }
        });
        let Some((user, csrf_token, created, expires)) = row else {
            return Ok(None);
        };
        if expires <= to_micros(now) {
            self.delete_session(token).await?;
            return Ok(None);
        }
        Ok(Some(Session {
            user: UserId(user),
            csrf_token,
            created_at: from_micros("sessions.created_at", created)?,
            expires_at: from_micros("sessions.expires_at", expires)?,
        }))
    }

    /// Ends a session (logout); unknown values are ignored.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn delete_session(&self, token: &str) -> Result<(), StoreError> {
        let hash = sha256_hex(&[token.as_bytes()]);
        on_pool!(self, p => { sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(&hash).execute(p).await?; });
        Ok(())
    }

    /// Ends every session of a user (after a password reset or lock); returns how many.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn delete_user_sessions(&self, user: UserId) -> Result<u64, StoreError> {
        Ok(
            on_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.0).execute(p).await?.rows_affected()),
        )
    }

    /// Deletes the sessions expired at `now`; returns how many.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(
            on_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(to_micros(now)).execute(p).await?.rows_affected()),
        )
    }

    /// On a database without users: a fresh one-time admin set-up token (replacing any
    /// earlier one) for the set-up link; `None` once a user exists.
    ///
    /// # Errors
    /// [`StoreError::Random`]; [`StoreError::Database`].
    pub async fn admin_setup_token(&self) -> Result<Option<String>, StoreError> {
        let token = random_hex(32)?;
        let hash = sha256_hex(&[token.as_bytes()]);
        let created = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&mut *tx).await?;
            if n > 0 {
                false
            } else {
                sqlx::query(
                    "INSERT INTO settings (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(SETUP_KEY)
                .bind(&hash)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                true
            }
        });
        Ok(created.then_some(token))
    }

    /// Uses the one-time set-up token: creates the first admin and invalidates the token.
    /// Returns `None` for a wrong or used token or when a user already exists.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a malformed e-mail; [`StoreError::Database`].
    pub async fn complete_admin_setup(
        &self,
        token: &str,
        email: &str,
        password_hash: &str,
    ) -> Result<Option<User>, StoreError> {
        let email = normalize_email(email)?;
        let hash = sha256_hex(&[token.as_bytes()]);
        let now = to_micros(Utc::now());
        let id: Option<i64> = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let stored: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(SETUP_KEY)
                .fetch_optional(&mut *tx)
                .await?;
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&mut *tx).await?;
            let ok = n == 0 && stored.is_some_and(|s| constant_time_eq(s.as_bytes(), hash.as_bytes()));
            if !ok {
                None
            } else {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO users (email, role, password_hash, created_at) \
                     VALUES ($1, 'admin', $2, $3) RETURNING id",
                )
                .bind(&email)
                .bind(password_hash)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM settings WHERE key = $1")
                    .bind(SETUP_KEY)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO audit_log (at, actor_user_id, action, subject_kind, subject_id) \
                     VALUES ($1, $2, 'user.setup_admin', 'user', $2)",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Some(id)
            }
        });
        match id {
            None => Ok(None),
            Some(id) => self.user(UserId(id)).await,
        }
    }

    /// Appends an audit entry. `action` is a dotted lower-case name (`[a-z0-9_.]`, ≤ 64
    /// bytes), so that no personal data can be written into the log; the subject is an
    /// internal id.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for another action text; [`StoreError::Database`].
    pub async fn append_audit(
        &self,
        actor: Option<UserId>,
        action: &str,
        subject: Option<Subject>,
    ) -> Result<(), StoreError> {
        let ok = !action.is_empty()
            && action.len() <= 64
            && action
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
        if !ok {
            return Err(StoreError::Invalid {
                field: "audit action",
                value: action.to_owned(),
                reason: "must be a dotted lower-case name such as customer.erase",
            });
        }
        let sql = "INSERT INTO audit_log (at, actor_user_id, action, subject_kind, subject_id) \
                   VALUES ($1, $2, $3, $4, $5)";
        on_pool!(self, p => { sqlx::query(sql)
            .bind(to_micros(Utc::now()))
            .bind(actor.map(|a| a.0))
            .bind(action)
            .bind(subject.map(|s| s.kind.as_str()))
            .bind(subject.map(|s| s.id))
            .execute(p)
            .await?; });
        Ok(())
    }

    /// The newest `limit` audit entries, newest first.
    ///
    /// # Errors
    /// [`StoreError::Database`]; [`StoreError::Corrupt`] for an unknown subject kind.
    pub async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let sql = "SELECT id, at, actor_user_id, action, subject_kind, subject_id \
                   FROM audit_log ORDER BY id DESC LIMIT $1";
        on_pool!(self, p => {
            let rows = sqlx::query(sql).bind(i64::from(limit)).fetch_all(p).await?;
            rows.iter()
                .map(|r| {
                    let kind: Option<String> = r.try_get(4)?;
                    let sid: Option<i64> = r.try_get(5)?;
                    let subject = match (kind, sid) {
                        (Some(k), Some(id)) => Some(Subject {
                            kind: SubjectKind::parse(&k).ok_or(StoreError::Corrupt {
                                column: "audit_log.subject_kind",
                                value: k.clone(),
                            })?,
                            id,
                        }),
                        _ => None,
                    };
                    Ok(AuditEntry {
                        id: r.try_get(0)?,
                        at: from_micros("audit_log.at", r.try_get(1)?)?,
                        actor: r.try_get::<Option<i64>, _>(2)?.map(UserId),
                        action: r.try_get(3)?,
                        subject,
                    })
                })
                .collect()
        })
    }
}

/// A bound key of a user look-up.
#[derive(Clone, Copy)]
enum Key<'a> {
    Id(i64),
    Text(&'a str),
}
