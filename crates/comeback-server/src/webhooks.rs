//! Webhooks for follow-up actions (PRODUCT R11): an event ("customer entered at risk",
//! "complaint breached its target", "detractor answer") is POSTed as JSON to every endpoint
//! subscribed to its kind, signed with HMAC-SHA256, in the background, retried with
//! exponential back-off up to a bounded number of attempts, every attempt logged in the
//! store ([`comeback_store::DeliveryAttempt`]).
//!
//! Other modules fire events through [`Webhooks::fire`] (`state.webhooks.fire(kind, data)`):
//! it returns at once with the event id; delivery happens on the Tokio runtime.
//!
//! # The request
//! `POST {url}` with `Content-Type: application/json`, `User-Agent: comeback-webhooks`,
//! `Comeback-Event: {kind}`, `Comeback-Event-Id: evt_...` (the same on every attempt: use it
//! to drop duplicates) and
//! `Comeback-Signature: t={unix seconds},v1={hex HMAC-SHA256(secret, "{t}.{body}")}` — the
//! scheme of Stripe's webhook signatures: the timestamp is signed with the body, so a
//! receiver that refuses timestamps older than a few minutes ([`verify`]) is safe from
//! replays. Each attempt is signed anew with its own timestamp. HMAC is RFC 2104, SHA-256
//! FIPS 180-4.
//!
//! The body is `{"id": "evt_...", "type": kind, "created_at": RFC 3339 UTC, "data": {...}}`.
//!
//! # Retries
//! An answer other than 2xx, a connection error or a timeout is retried after
//! `base × 2^(attempt − 1)` (capped at one hour), until `max_attempts` attempts were made;
//! the last failed attempt is logged `failed`. Redirects are not followed (a 3xx is a
//! failure).
//!
//! # Surviving a restart
//! Before its first attempt each delivery (event × endpoint) is written to the store's
//! outbox with its body ([`comeback_store::PendingDelivery`], migration 0009); after a
//! failed attempt the row records the next attempt's number and due time, and it is
//! deleted once the delivery succeeded or its last attempt failed. A starting server
//! resumes every row ([`Webhooks::resume`]): each waits until its due time (at once when
//! overdue) and goes on with the next attempt, same event id and body. A stopping server
//! ([`Webhooks::shutdown`]) abandons its in-memory waits, not the rows. Delivery is thus
//! at least once: an attempt cut off by a crash after the endpoint answered is made again,
//! and receivers drop duplicates by `Comeback-Event-Id`. Deleting an endpoint deletes its
//! pending deliveries.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use comeback_store::{DeliveryAttempt, DeliveryOutcome, Store, WebhookTarget};
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

/// The signature header: `t={unix seconds},v1={hex HMAC-SHA256}`.
pub const SIGNATURE_HEADER: &str = "Comeback-Signature";
/// The header naming the event kind.
pub const EVENT_HEADER: &str = "Comeback-Event";
/// The header with the event id (the same on every attempt).
pub const EVENT_ID_HEADER: &str = "Comeback-Event-Id";
/// Events fired for one refit at most ("customer entered at risk"); the customers with the
/// highest CLV go first, the rest are only logged as a count.
pub const MAX_AT_RISK_EVENTS_PER_REFIT: usize = 1000;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The kinds of events a webhook can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum EventKind {
    /// A refit moved a customer into the at-risk lifecycle stage.
    #[serde(rename = "customer.at_risk")]
    CustomerAtRisk,
    /// A complaint breached its first-response or resolution target.
    #[serde(rename = "complaint.breached")]
    ComplaintBreached,
    /// A survey answer scored 0–6 on the recommendation question (an NPS detractor).
    #[serde(rename = "survey.detractor")]
    SurveyDetractor,
    /// A survey invitation was made (by a trigger, the API or the dashboard): its link,
    /// for the mailing tool that sends it.
    #[serde(rename = "survey.invited")]
    SurveyInvited,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 4] = [
        EventKind::CustomerAtRisk,
        EventKind::ComplaintBreached,
        EventKind::SurveyDetractor,
        EventKind::SurveyInvited,
    ];

    /// The wire name (`customer.at_risk`, `complaint.breached`, `survey.detractor`,
    /// `survey.invited`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::CustomerAtRisk => "customer.at_risk",
            EventKind::ComplaintBreached => "complaint.breached",
            EventKind::SurveyDetractor => "survey.detractor",
            EventKind::SurveyInvited => "survey.invited",
        }
    }
}

/// Default of `--webhook-max-attempts`.
const DEFAULT_MAX_ATTEMPTS: u32 = 8;
/// Default of `--webhook-retry-base-ms`.
const DEFAULT_RETRY_BASE_MS: u64 = 10_000;
/// Default of `--webhook-timeout-secs`.
const DEFAULT_TIMEOUT_SECS: u64 = 10;
/// Default of `--webhook-concurrency`.
const DEFAULT_CONCURRENCY: usize = 4;

/// How webhooks are delivered. Every flag also reads its environment variable.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct WebhookSettings {
    /// Attempts per event and endpoint, 1–20 (the first included).
    #[arg(long = "webhook-max-attempts", env = "COMEBACK_WEBHOOK_MAX_ATTEMPTS",
          default_value_t = DEFAULT_MAX_ATTEMPTS, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,
    /// Delay before the second attempt, in milliseconds; it doubles with each further
    /// attempt (capped at one hour).
    #[arg(
        long = "webhook-retry-base-ms",
        env = "COMEBACK_WEBHOOK_RETRY_BASE_MS",
        default_value_t = DEFAULT_RETRY_BASE_MS
    )]
    pub retry_base_ms: u64,
    /// Seconds to wait for an endpoint's answer.
    #[arg(
        long = "webhook-timeout-secs",
        env = "COMEBACK_WEBHOOK_TIMEOUT_SECS",
        default_value_t = DEFAULT_TIMEOUT_SECS
    )]
    pub timeout_secs: u64,
    /// Requests in flight at once, over all endpoints.
    #[arg(
        long = "webhook-concurrency",
        env = "COMEBACK_WEBHOOK_CONCURRENCY",
        default_value_t = DEFAULT_CONCURRENCY
    )]
    pub concurrency: usize,
}

impl Default for WebhookSettings {
    /// The flags' defaults.
    fn default() -> Self {
        WebhookSettings {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            retry_base_ms: DEFAULT_RETRY_BASE_MS,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

impl WebhookSettings {
    /// The wait after failed attempt `attempt` (1-based): `base × 2^(attempt − 1)`, at most
    /// one hour.
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        let factor = 1u64 << attempt.saturating_sub(1).min(32);
        Duration::from_millis(self.retry_base_ms.saturating_mul(factor).min(3_600_000))
    }
}

/// The hex HMAC-SHA256 (RFC 2104) of `"{timestamp}.{body}"` under `secret` (its UTF-8
/// bytes, `whsec_` prefix included).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC takes keys of any length; this arm is never taken.
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex(&mac.finalize().into_bytes())
}

/// The value of [`SIGNATURE_HEADER`]: `t={timestamp},v1={sign(...)}`.
pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", sign(secret, timestamp, body))
}

/// Why a signature was refused by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The header is not `t=...,v1=...`.
    #[error("malformed signature header")]
    Malformed,
    /// The timestamp is further than the tolerance from now.
    #[error("timestamp {timestamp} is outside the tolerance")]
    Expired {
        /// The header's timestamp (unix seconds).
        timestamp: i64,
    },
    /// No `v1` signature matches.
    #[error("signature does not match")]
    Mismatch,
}

/// Checks a [`SIGNATURE_HEADER`] value for `body` as a receiver would: the timestamp
/// within `tolerance_secs` of `now` (unix seconds) and one `v1=` value equal (in constant
/// time) to the HMAC of `"{t}.{body}"`.
///
/// # Errors
/// [`VerifyError`].
pub fn verify(
    secret: &str,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", s)) => signatures.push(s),
            _ => {}
        }
    }
    let Some(t) = timestamp else {
        return Err(VerifyError::Malformed);
    };
    if signatures.is_empty() {
        return Err(VerifyError::Malformed);
    }
    if now.abs_diff(t) > tolerance_secs.unsigned_abs() {
        return Err(VerifyError::Expired { timestamp: t });
    }
    let expected = sign(secret, t, body);
    let ok = signatures
        .iter()
        .any(|s| subtle::ConstantTimeEq::ct_eq(s.as_bytes(), expected.as_bytes()).into());
    if ok {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The webhook dispatcher shared by the handlers. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    client: reqwest::Client,
    settings: WebhookSettings,
    slots: Semaphore,
    /// `true` once [`Webhooks::shutdown`] was called: in-memory waits end.
    stop: tokio::sync::watch::Sender<bool>,
}

/// One delivery (event × endpoint) being made.
struct Delivery {
    target: WebhookTarget,
    event: String,
    event_id: String,
    body: Arc<str>,
    /// The outbox row; `None` when it could not be written (delivered from memory only).
    outbox: Option<i64>,
}

impl Webhooks {
    /// A dispatcher over `store` (where endpoints are read and attempts logged).
    pub fn new(store: Store, settings: &WebhookSettings) -> Webhooks {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_secs.max(1)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("comeback-webhooks")
            .build()
            .unwrap_or_default();
        Webhooks {
            inner: Arc::new(Inner {
                store,
                client,
                settings: settings.clone(),
                slots: Semaphore::new(settings.concurrency.max(1)),
                stop: tokio::sync::watch::Sender::new(false),
            }),
        }
    }

    /// The delivery settings.
    pub fn settings(&self) -> &WebhookSettings {
        &self.inner.settings
    }

    /// Fires an event of `kind` with `data` (a JSON object: what the receiver needs to act,
    /// e.g. the customer's external id) to every endpoint subscribed to `kind`, in the
    /// background, and returns its id (`evt_` + 32 hex digits). Never blocks and never
    /// fails: problems are logged (outside a Tokio runtime nothing is sent and a warning
    /// is logged).
    pub fn fire(&self, kind: EventKind, data: serde_json::Value) -> String {
        let id = event_id();
        let body = serde_json::json!({
            "id": id,
            "type": kind.as_str(),
            "created_at": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "data": data,
        })
        .to_string();
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                let this = self.clone();
                let event_id = id.clone();
                handle.spawn(async move { this.dispatch(kind, event_id, body).await });
            }
            Err(_) => {
                tracing::warn!(
                    event = kind.as_str(),
                    "webhook event fired outside a runtime"
                );
            }
        }
        id
    }

    /// Resumes the deliveries left in the store's outbox by an earlier run (or by this one
    /// before a [`shutdown`](Self::shutdown)): each waits until its next attempt is due and
    /// goes on from there. Returns how many were resumed. Call once, at start.
    ///
    /// # Errors
    /// The store's, when the outbox cannot be read.
    pub async fn resume(&self) -> Result<usize, comeback_store::StoreError> {
        let pending = self.inner.store.pending_deliveries().await?;
        let n = pending.len();
        for p in pending {
            let this = self.clone();
            let wait = (p.due_at - Utc::now()).to_std().unwrap_or_default();
            let delivery = Delivery {
                target: p.target,
                event: p.event,
                event_id: p.event_id,
                body: Arc::from(p.body),
                outbox: Some(p.id),
            };
            tokio::spawn(async move {
                if this.pause(wait).await {
                    this.deliver(delivery, p.attempt).await;
                }
            });
        }
        if n > 0 {
            tracing::info!(deliveries = n, "webhook deliveries resumed from the outbox");
        }
        Ok(n)
    }

    /// Stops waiting: deliveries waiting for a retry are left to the outbox (a later
    /// [`resume`](Self::resume) goes on with them); an attempt in flight finishes.
    pub fn shutdown(&self) {
        self.inner.stop.send_replace(true);
    }

    /// Sleeps `d`; `false` when [`shutdown`](Self::shutdown) came first (or had come).
    async fn pause(&self, d: Duration) -> bool {
        let mut stop = self.inner.stop.subscribe();
        if *stop.borrow_and_update() {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep(d) => !*self.inner.stop.borrow(),
            _ = stop.changed() => false,
        }
    }

    async fn dispatch(&self, kind: EventKind, event_id: String, body: String) {
        let targets = match self.inner.store.webhook_targets(kind.as_str()).await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, event = kind.as_str(), "webhook endpoints not read");
                return;
            }
        };
        let body: Arc<str> = Arc::from(body);
        for target in targets {
            let outbox = match self
                .inner
                .store
                .enqueue_delivery(
                    target.webhook.id,
                    &event_id,
                    kind.as_str(),
                    &body,
                    Utc::now(),
                )
                .await
            {
                Ok(id) => Some(id),
                // Deleted since it was read: nothing to deliver.
                Err(comeback_store::StoreError::NotFound { .. }) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, %event_id, "webhook delivery not put in the outbox; delivering from memory");
                    None
                }
            };
            let this = self.clone();
            let delivery = Delivery {
                target,
                event: kind.as_str().to_owned(),
                event_id: event_id.clone(),
                body: body.clone(),
                outbox,
            };
            tokio::spawn(async move { this.deliver(delivery, 1).await });
        }
    }

    /// Makes attempts `first..=max_attempts` of `d` until one succeeds, logging each and
    /// keeping the outbox row up to date.
    async fn deliver(&self, d: Delivery, first: u32) {
        let settings = &self.inner.settings;
        let store = &self.inner.store;
        let finish = |id: Option<i64>| async move {
            if let Some(id) = id
                && let Err(e) = store.finish_delivery(id).await
            {
                tracing::warn!(error = %e, "webhook outbox row not removed");
            }
        };
        if first > settings.max_attempts {
            // Fewer attempts are configured now than when it was left: it is over.
            finish(d.outbox).await;
            return;
        }
        let (target, event_id, body) = (&d.target, d.event_id.as_str(), &d.body);
        for attempt in first..=settings.max_attempts {
            if *self.inner.stop.borrow() {
                return;
            }
            // A retry (or a resumed delivery) whose endpoint was deleted meanwhile ends.
            if attempt > 1
                && let Some(id) = d.outbox
                && matches!(store.delivery_pending(id).await, Ok(false))
            {
                return;
            }
            let attempted_at = Utc::now();
            let started = Instant::now();
            let (status_code, error) = {
                let _slot = self.inner.slots.acquire().await;
                self.post(&d.event, target, event_id, body, attempted_at)
                    .await
            };
            let duration_micros = i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX);
            let delivered = error.is_none();
            let delay = settings.retry_delay(attempt);
            let outcome = if delivered {
                DeliveryOutcome::Delivered
            } else if attempt == settings.max_attempts {
                DeliveryOutcome::Failed
            } else {
                DeliveryOutcome::Retrying
            };
            let next_attempt_at: Option<DateTime<Utc>> = (outcome == DeliveryOutcome::Retrying)
                .then(|| Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default());
            let record = DeliveryAttempt {
                webhook_id: Some(target.webhook.id),
                url: target.webhook.url.clone(),
                event_id: event_id.to_owned(),
                event: d.event.clone(),
                attempt,
                attempted_at,
                duration_micros,
                status_code,
                error,
                outcome,
                next_attempt_at,
            };
            if let Err(e) = self.inner.store.record_delivery(&record).await {
                tracing::warn!(error = %e, event_id, "webhook delivery not logged");
            }
            if outcome != DeliveryOutcome::Retrying {
                if outcome == DeliveryOutcome::Failed {
                    tracing::warn!(event_id, url = %target.webhook.url, "webhook delivery failed");
                }
                finish(d.outbox).await;
                return;
            }
            if let (Some(id), Some(at)) = (d.outbox, next_attempt_at) {
                match store.reschedule_delivery(id, attempt + 1, at).await {
                    Ok(true) => {}
                    // The endpoint was deleted meanwhile.
                    Ok(false) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, event_id, "webhook outbox row not updated");
                    }
                }
            }
            if !self.pause(delay).await {
                return;
            }
        }
    }

    /// One POST: the answer's status and, unless it is 2xx, what went wrong.
    async fn post(
        &self,
        event: &str,
        target: &WebhookTarget,
        event_id: &str,
        body: &Arc<str>,
        at: DateTime<Utc>,
    ) -> (Option<u16>, Option<String>) {
        let signature = signature_header(&target.secret, at.timestamp(), body.as_bytes());
        let result = self
            .inner
            .client
            .post(&target.webhook.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(EVENT_HEADER, event)
            .header(EVENT_ID_HEADER, event_id)
            .body(body.to_string())
            .send()
            .await;
        match result {
            Ok(response) => {
                let status = response.status();
                let error =
                    (!status.is_success()).then(|| format!("http status {}", status.as_u16()));
                (Some(status.as_u16()), error)
            }
            Err(e) => (None, Some(error_chain(&e))),
        }
    }
}

/// An error and its sources, `: `-joined and lowercase.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s.to_lowercase()
}

/// `evt_` + 128 random bits as hex (a timestamp-based id when the system gives no
/// randomness).
fn event_id() -> String {
    let mut buf = [0u8; 16];
    if getrandom::fill(&mut buf).is_err() {
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        buf[..8].copy_from_slice(&nanos.to_le_bytes());
    }
    format!("evt_{}", hex(&buf))
}

/// The customers of `next` in the at-risk stage who were not at risk in `previous`
/// (absent or in another stage), as positions in `next`, highest CLV first (ties: by id).
pub fn entered_at_risk(
    previous: &comeback_analysis::Analysis,
    next: &comeback_analysis::Analysis,
) -> Vec<usize> {
    use comeback_core::LifecycleStage;
    let mut out: Vec<usize> = (0..next.summary.customers.len())
        .filter(|&i| next.lifecycle.stages[i] == LifecycleStage::AtRisk)
        .filter(|&i| {
            let id: &str = &next.summary.customers[i].customer_id;
            previous
                .customer_index(id)
                .is_none_or(|j| previous.lifecycle.stages[j] != LifecycleStage::AtRisk)
        })
        .collect();
    out.sort_by(|&a, &b| {
        next.scores.clv[b]
            .total_cmp(&next.scores.clv[a])
            .then_with(|| {
                next.summary.customers[a]
                    .customer_id
                    .cmp(&next.summary.customers[b].customer_id)
            })
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values from Python's standard library (`webhooks_reference.py` beside this
    /// file): hmac.new(secret, f"{t}.{body}", sha256).hexdigest().
    #[test]
    fn signature_matches_python_hmac() {
        let body = br#"{"id":"evt_1","type":"customer.at_risk"}"#;
        assert_eq!(
            signature_header("whsec_test", 1_700_000_000, body),
            format!("t=1700000000,v1={}", PYTHON_SIG)
        );
    }

    const PYTHON_SIG: &str = "dd239df573a2a769e49e3429503d56f9bf0dd56e399febf26946576adeb59589";

    /// RFC 4231 test case 2 ("Jefe"), through the same HMAC the signer uses.
    #[test]
    fn hmac_sha256_rfc4231_case_2() {
        let mut mac = HmacSha256::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verify_accepts_own_signature_and_refuses_tampering() {
        let body = b"{\"a\":1}";
        let h = signature_header("s3cret", 1000, body);
        assert_eq!(verify("s3cret", &h, body, 1100, 300), Ok(()));
        assert_eq!(
            verify("other", &h, body, 1100, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify("s3cret", &h, b"{\"a\":2}", 1100, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify("s3cret", &h, body, 1301, 300),
            Err(VerifyError::Expired { timestamp: 1000 })
        );
        assert_eq!(
            verify("s3cret", "v1=abc", body, 1000, 300),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify("s3cret", "t=1000", body, 1000, 300),
            Err(VerifyError::Malformed)
        );
        // A second v1 value (secret rotation) is accepted when one matches.
        let two = format!("t=1000,v1=00,{}", &h["t=1000,".len()..]);
        assert_eq!(verify("s3cret", &two, body, 1000, 300), Ok(()));
    }

    #[test]
    fn retry_delays_double_and_are_capped() {
        let s = WebhookSettings {
            retry_base_ms: 1000,
            ..WebhookSettings::default()
        };
        let d: Vec<u64> = (1..=5)
            .map(|a| s.retry_delay(a).as_millis() as u64)
            .collect();
        assert_eq!(d, [1000, 2000, 4000, 8000, 16000]);
        assert_eq!(s.retry_delay(20), Duration::from_secs(3600));
        assert_eq!(s.retry_delay(u32::MAX), Duration::from_secs(3600));
    }

    #[test]
    fn event_kind_wire_names_round_trip() {
        for k in EventKind::ALL {
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(serde_json::from_str::<EventKind>(&json).unwrap(), k);
        }
    }
}
