//! Webhook endpoints (admin only): create (`POST /api/v1/webhooks`, the signing secret in
//! that answer only), list, delete, and the delivery log
//! (`GET /api/v1/webhooks/deliveries`). Delivery itself is [`crate::webhooks`].

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use comeback_store::{
    DeliveryRecord, WEBHOOK_DESCRIPTION_MAX_BYTES, WEBHOOK_URL_MAX_BYTES, Webhook,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{RequireAdmin, audit};
use crate::error::{ApiError, ErrorBody, Json, Path, Query};
use crate::webhooks::EventKind;

/// A new webhook endpoint.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookIn {
    /// Where events are POSTed: an `http://` URL with a host (this build has no TLS
    /// client: put a TLS-terminating proxy in front of an `https://` receiver).
    #[schema(max_length = 2048, example = "http://crm.internal:8000/comeback")]
    pub url: String,
    /// The event kinds to receive (at least one).
    #[schema(min_items = 1, max_items = 4)]
    pub events: Vec<EventKind>,
    /// A note for people (what the endpoint is for), up to 500 bytes.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

/// A webhook endpoint (its secret is shown only when it is created).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookOut {
    /// The endpoint's id.
    pub id: i64,
    /// Where events are POSTed.
    pub url: String,
    /// The event kinds it receives.
    pub events: Vec<String>,
    /// A note for people.
    pub description: Option<String>,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
}

impl From<Webhook> for WebhookOut {
    fn from(w: Webhook) -> Self {
        WebhookOut {
            id: w.id,
            url: w.url,
            events: w.events,
            description: w.description,
            created_at: w.created_at,
        }
    }
}

/// A created endpoint and its signing secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookCreated {
    /// The endpoint.
    pub webhook: WebhookOut,
    /// The HMAC-SHA256 key of its signatures (`whsec_` + 64 hex digits). Shown once: keep
    /// it in the receiver's configuration.
    pub secret: String,
}

/// The configured endpoints.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookList {
    /// By id.
    pub items: Vec<WebhookOut>,
}

/// One logged delivery attempt.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryOut {
    /// The log row's id.
    pub id: i64,
    /// The endpoint's id; absent once the endpoint was deleted.
    pub webhook_id: Option<i64>,
    /// The URL posted to.
    pub url: String,
    /// The event id (`evt_...`), the same on every attempt of one event.
    pub event_id: String,
    /// The event kind.
    pub event: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// When the request was sent (UTC).
    pub attempted_at: DateTime<Utc>,
    /// Time to the answer (or the error), in milliseconds.
    pub duration_ms: f64,
    /// The answer's HTTP status; absent when none came.
    pub status_code: Option<u16>,
    /// What went wrong; absent on success.
    pub error: Option<String>,
    /// `delivered`, `retrying` or `failed`.
    pub outcome: String,
    /// When the next attempt is due (UTC), for `retrying`.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl From<DeliveryRecord> for DeliveryOut {
    fn from(r: DeliveryRecord) -> Self {
        let a = r.attempt;
        DeliveryOut {
            id: r.id,
            webhook_id: a.webhook_id,
            url: a.url,
            event_id: a.event_id,
            event: a.event,
            attempt: a.attempt,
            attempted_at: a.attempted_at,
            duration_ms: a.duration_micros as f64 / 1000.0,
            status_code: a.status_code,
            error: a.error,
            outcome: a.outcome.as_str().to_owned(),
            next_attempt_at: a.next_attempt_at,
        }
    }
}

/// The delivery log, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryList {
    /// Newest first.
    pub items: Vec<DeliveryOut>,
}

/// Query of the delivery log.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// Only this endpoint's attempts.
    #[param(minimum = 1)]
    pub webhook: Option<i64>,
    /// How many, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Checks a webhook URL: `http://` with a host, at most 2048 bytes.
fn check_url(url: &str) -> Result<(), ApiError> {
    if url.len() > WEBHOOK_URL_MAX_BYTES {
        return Err(ApiError::invalid_field("url", "longer than 2048 bytes"));
    }
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| ApiError::invalid_field("url", format!("not a url: {e}")))?;
    match parsed.scheme() {
        "http" => {}
        "https" => {
            return Err(ApiError::invalid_field(
                "url",
                "https:// is not supported by this build (no tls client): use http://, \
                 e.g. to a tls-terminating proxy",
            ));
        }
        other => {
            return Err(ApiError::invalid_field(
                "url",
                format!("scheme {other:?} is not http"),
            ));
        }
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(ApiError::invalid_field("url", "has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ApiError::invalid_field(
            "url",
            "must not hold credentials (the signature authenticates)",
        ));
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ApiError::invalid_field(
            "url",
            "contains white space or a control character",
        ));
    }
    Ok(())
}

/// Creates a webhook endpoint. The answer holds its signing secret, shown this once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookIn,
    responses((status = 201, description = "created; the secret is shown once", body = WebhookCreated),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not an admin, or missing csrf token", body = ErrorBody),
              (status = 422, description = "bad url, events or description", body = ErrorBody)))]
pub async fn create(
    RequireAdmin(admin): RequireAdmin,
    State(state): State<AppState>,
    Json(body): Json<WebhookIn>,
) -> Result<(StatusCode, Json<WebhookCreated>), ApiError> {
    check_url(&body.url)?;
    if body.events.is_empty() {
        return Err(ApiError::invalid_field("events", "at least one event kind"));
    }
    if body.events.len() > EventKind::ALL.len() {
        return Err(ApiError::invalid_field("events", "more than 3 event kinds"));
    }
    if let Some(d) = &body.description
        && d.len() > WEBHOOK_DESCRIPTION_MAX_BYTES
    {
        return Err(ApiError::invalid_field(
            "description",
            "longer than 500 bytes",
        ));
    }
    let events: Vec<&str> = body.events.iter().map(|e| e.as_str()).collect();
    let created = state
        .store
        .create_webhook(&body.url, &events, body.description.as_deref())
        .await?;
    audit(&state, Some(admin.user_id), "webhook.create", None).await;
    Ok((
        StatusCode::CREATED,
        Json(WebhookCreated {
            webhook: created.webhook.into(),
            secret: created.secret,
        }),
    ))
}

/// Lists the webhook endpoints (without secrets).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, description = "the endpoints", body = WebhookList),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not an admin", body = ErrorBody)))]
pub async fn list(
    RequireAdmin(_admin): RequireAdmin,
    State(state): State<AppState>,
) -> Result<Json<WebhookList>, ApiError> {
    let items = state.store.list_webhooks().await?;
    Ok(Json(WebhookList {
        items: items.into_iter().map(WebhookOut::from).collect(),
    }))
}

/// Deletes a webhook endpoint; its delivery log stays.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "endpoint id")),
    responses((status = 204, description = "deleted"),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not an admin, or missing csrf token", body = ErrorBody),
              (status = 404, description = "no such endpoint", body = ErrorBody)))]
pub async fn delete(
    RequireAdmin(admin): RequireAdmin,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.store.delete_webhook(id).await?;
    audit(&state, Some(admin.user_id), "webhook.delete", None).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The delivery log: every attempt, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/deliveries", tag = "webhooks",
    params(DeliveryParams),
    responses((status = 200, description = "the latest attempts", body = DeliveryList),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not an admin", body = ErrorBody),
              (status = 422, description = "limit or webhook out of range", body = ErrorBody)))]
pub async fn deliveries(
    RequireAdmin(_admin): RequireAdmin,
    State(state): State<AppState>,
    Query(p): Query<DeliveryParams>,
) -> Result<Json<DeliveryList>, ApiError> {
    let limit = p.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            format!("{limit} is not in 1-500"),
        ));
    }
    if let Some(w) = p.webhook
        && w < 1
    {
        return Err(ApiError::invalid_field(
            "webhook",
            format!("{w} is not ≥ 1"),
        ));
    }
    let items = state.store.list_deliveries(p.webhook, limit).await?;
    Ok(Json(DeliveryList {
        items: items.into_iter().map(DeliveryOut::from).collect(),
    }))
}
