//! The webhook outbox (migration 0009): deliveries not finished yet — the first attempt not
//! made, or a retry waiting — with the body as first sent, so that they survive a restart of
//! the server. The server enqueues one row per event and endpoint before the first attempt,
//! moves it on after each failed attempt and deletes it when the delivery succeeded or its
//! last attempt failed; every attempt is logged apart ([`Store::record_delivery`]).

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::store::on_pool;
use crate::util::{from_micros, to_micros};
use crate::webhooks::webhook_from_row;
use crate::{Store, StoreError, WebhookTarget};

/// A delivery waiting in the outbox, with the endpoint it goes to. `Debug` redacts the
/// secret (through [`WebhookTarget`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDelivery {
    /// The outbox row's id.
    pub id: i64,
    /// The endpoint (URL, secret, events).
    pub target: WebhookTarget,
    /// The event id (`evt_...`), the same on every attempt.
    pub event_id: String,
    /// The event kind (`customer.at_risk`, ...).
    pub event: String,
    /// The JSON body, as first sent.
    pub body: String,
    /// The number of the next attempt (1 for the first).
    pub attempt: u32,
    /// When the next attempt is due (UTC).
    pub due_at: DateTime<Utc>,
}

impl Store {
    /// Puts a delivery of `event_id` to endpoint `webhook_id` in the outbox, its first
    /// attempt due at `due_at`; returns the row id. Enqueueing the same event for the same
    /// endpoint again returns the existing row's id and changes nothing.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the endpoint no longer exists;
    /// [`StoreError::Database`].
    pub async fn enqueue_delivery(
        &self,
        webhook_id: i64,
        event_id: &str,
        event: &str,
        body: &str,
        due_at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let insert = "INSERT INTO webhook_outbox (webhook_id, event_id, event, body, attempt, \
                      due_at, created_at) \
                      SELECT id, $2, $3, $4, 1, $5, $6 FROM webhooks WHERE id = $1 \
                      ON CONFLICT (event_id, webhook_id) DO NOTHING";
        let select = "SELECT id FROM webhook_outbox WHERE event_id = $1 AND webhook_id = $2";
        let id: Option<i64> = on_pool!(self, p => {
            sqlx::query(insert)
                .bind(webhook_id)
                .bind(event_id)
                .bind(event)
                .bind(body)
                .bind(to_micros(due_at))
                .bind(to_micros(Utc::now()))
                .execute(p)
                .await?;
            sqlx::query_scalar(select)
                .bind(event_id)
                .bind(webhook_id)
                .fetch_optional(p)
                .await?
        });
        id.ok_or_else(|| StoreError::NotFound {
            what: "webhook",
            key: webhook_id.to_string(),
        })
    }

    /// After a failed attempt: the next one is number `attempt`, due at `due_at`. Returns
    /// `false` when the row is gone (its endpoint was deleted): stop delivering.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn reschedule_delivery(
        &self,
        id: i64,
        attempt: u32,
        due_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE webhook_outbox SET attempt = $2, due_at = $3 WHERE id = $1";
        let n = on_pool!(self, p => sqlx::query(sql)
            .bind(id)
            .bind(i64::from(attempt))
            .bind(to_micros(due_at))
            .execute(p)
            .await?
            .rows_affected());
        Ok(n > 0)
    }

    /// True while the delivery is in the outbox (`false` once finished, or when its
    /// endpoint was deleted).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn delivery_pending(&self, id: i64) -> Result<bool, StoreError> {
        let sql = "SELECT id FROM webhook_outbox WHERE id = $1";
        let found: Option<i64> =
            on_pool!(self, p => sqlx::query_scalar(sql).bind(id).fetch_optional(p).await?);
        Ok(found.is_some())
    }

    /// Removes a delivery from the outbox (delivered, or its last attempt failed).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn finish_delivery(&self, id: i64) -> Result<(), StoreError> {
        let sql = "DELETE FROM webhook_outbox WHERE id = $1";
        on_pool!(self, p => sqlx::query(sql).bind(id).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Every delivery in the outbox with its endpoint, the earliest due first (ties by
    /// id): what a starting server resumes.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn pending_deliveries(&self) -> Result<Vec<PendingDelivery>, StoreError> {
        let sql = "SELECT o.id AS outbox_id, o.event_id, o.event, o.body, o.attempt, o.due_at, \
                   w.id, w.url, w.events, w.description, w.created_at, w.secret \
                   FROM webhook_outbox o JOIN webhooks w ON w.id = o.webhook_id \
                   ORDER BY o.due_at, o.id";
        on_pool!(self, p => {
            let rows = sqlx::query(sql).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let attempt: i64 = r.try_get("attempt")?;
                out.push(PendingDelivery {
                    id: r.try_get("outbox_id")?,
                    target: WebhookTarget {
                        webhook: webhook_from_row(r)?,
                        secret: r.try_get("secret")?,
                    },
                    event_id: r.try_get("event_id")?,
                    event: r.try_get("event")?,
                    body: r.try_get("body")?,
                    attempt: u32::try_from(attempt).map_err(|_| StoreError::Corrupt {
                        column: "webhook_outbox.attempt",
                        value: attempt.to_string(),
                    })?,
                    due_at: from_micros("webhook_outbox.due_at", r.try_get("due_at")?)?,
                });
            }
            Ok(out)
        })
    }
}
