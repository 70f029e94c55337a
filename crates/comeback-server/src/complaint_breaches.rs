//! Breach detection (issue 9): every `--complaint-breach-check-ms` the server asks the
//! store for deadlines passed since the last look ([`comeback_store::Store::record_breaches`],
//! which records each breach once) and fires the `complaint.breached` webhook for each.
//!
//! Delivery is at most once per breach: the breach is recorded before the event is handed
//! to the webhook dispatcher (which retries failed deliveries), so a server stopped between
//! the two loses that event rather than sending it twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use comeback_store::{Breach, StoreError};
use serde_json::json;

use crate::AppState;
use crate::webhooks::EventKind;

/// The webhook data of a breach: `reference`, `deadline` (`first_response` or
/// `resolution`), `due` and `detected_at` (RFC 3339 UTC), `severity`, `status`, `location`,
/// `owner` (user id), `customer` (external id; `null` when unidentified or erased).
pub fn event_data(b: &Breach) -> serde_json::Value {
    json!({
        "reference": b.reference,
        "deadline": b.kind.as_str(),
        "due": b.due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "detected_at": b.detected_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "severity": b.severity.as_str(),
        "status": b.status,
        "location": b.location,
        "owner": b.owner.map(|u| u.0),
        "customer": b.customer,
    })
}

/// Records the breaches passed by `now` and fires one `complaint.breached` event for each;
/// returns them.
///
/// # Errors
/// The store's.
pub async fn check(state: &AppState, now: DateTime<Utc>) -> Result<Vec<Breach>, StoreError> {
    let breaches = state.store.record_breaches(now).await?;
    for b in &breaches {
        state
            .webhooks
            .fire(EventKind::ComplaintBreached, event_data(b));
    }
    Ok(breaches)
}

/// Checks for breaches every `every` (the first check at once) until the returned task is
/// aborted (errors are logged).
pub fn spawn(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match check(&state, Utc::now()).await {
                Ok(b) if !b.is_empty() => {
                    tracing::info!(breaches = b.len(), "complaint deadlines passed")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot check complaint deadlines"),
            }
        }
    })
}
