//! The e-mail outbox and the complaint e-mail state (migration 12). The server queues a
//! message here (rendered: recipient, subject, body) in the same transaction as what it is
//! about, and a sender takes due messages out, marking each sent, or due again later with
//! its error, or given up. Queued mail survives a restart; a message's `dedupe_key` makes
//! queueing it twice a no-op, and a sent message is never due again.

use chrono::{DateTime, Utc};
use comeback_complaints::recovery::Status;
use sqlx::Row;

use crate::accounts::UserId;
use crate::store::{BeginWrite, on_pool};
use crate::util::{from_micros, to_micros};
use crate::{Store, StoreError};

/// The setting holding when complaint e-mails were first enabled on this database.
const MAIL_SINCE_KEY: &str = "complaint_mail_since";

/// A message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEmail {
    /// What the message is about (`complaint:REF:status:SEQ`, `digest:DATE:USER`, ...);
    /// queueing the same key again does nothing.
    pub dedupe_key: String,
    /// `complaint_status`, `complaint_reminder` or `digest`.
    pub kind: String,
    /// The address.
    pub recipient: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
}

/// A queued message due for an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEmail {
    /// The outbox row.
    pub id: i64,
    /// The address.
    pub recipient: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
    /// The number of this attempt (1 for the first).
    pub attempt: u32,
    /// When it was due.
    pub due_at: DateTime<Utc>,
    /// What it is about.
    pub dedupe_key: String,
}

/// A message of the outbox as recorded (for the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailRecord {
    /// What it is about.
    pub dedupe_key: String,
    /// The kind.
    pub kind: String,
    /// The address.
    pub recipient: String,
    /// The subject line.
    pub subject: String,
    /// The number of the next attempt (attempts made + 1 while not sent).
    pub attempt: u32,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When the SMTP server accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    /// When it was given up.
    pub failed_at: Option<DateTime<Utc>>,
    /// The last attempt's error.
    pub last_error: Option<String>,
}

/// A complaint whose complainant can be e-mailed and may need an e-mail: one with an
/// address (customer not erased) that is open, never looked at, or changed since the last
/// e-mail. Staff flags (channel `staff_flag`) never are: they are internal notes about a
/// customer who made no complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintMailCandidate {
    /// The reference.
    pub reference: String,
    /// The current status.
    pub status: Status,
    /// The complainant's address.
    pub email: String,
    /// The complainant's language as stored (`fi`, `pt-BR`, ...), if any.
    pub language: Option<String>,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// The history position of the last status change announced (0: the receipt);
    /// `None`: nothing announced yet.
    pub announced_seq: Option<i64>,
    /// When the last e-mail about it was queued.
    pub last_notice_at: Option<DateTime<Utc>>,
    /// The history position of the last status change (0: none since the receipt).
    pub last_change_seq: i64,
    /// When the last status change happened (the receipt when none).
    pub last_change_at: DateTime<Utc>,
    /// Whether its whole history comes from imported files (`import` events only): what
    /// a file says is not announced, so such a complaint gets no interval reminder either.
    pub imported_only: bool,
}

fn attempt_of(v: i64) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt {
        column: "email_outbox.attempt",
        value: v.to_string(),
    })
}

fn status_of(s: &str) -> Result<Status, StoreError> {
    Status::parse(s).ok_or_else(|| StoreError::Corrupt {
        column: "complaints.status",
        value: s.to_owned(),
    })
}

impl Store {
    /// When complaint e-mails were first enabled on this database: `now` on the first
    /// call, the stored instant afterwards. Changes made before it are not announced.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn complaint_mail_since(
        &self,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, StoreError> {
        let v = self
            .setting_or_init(MAIL_SINCE_KEY, || Ok(to_micros(now).to_string()))
            .await?;
        let us: i64 = v.parse().map_err(|_| StoreError::Corrupt {
            column: "settings.value",
            value: v.clone(),
        })?;
        from_micros("settings.value", us)
    }

    /// The complaints whose complainant may need an e-mail (see
    /// [`ComplaintMailCandidate`]), in the order they were stored.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn complaint_mail_candidates(
        &self,
    ) -> Result<Vec<ComplaintMailCandidate>, StoreError> {
        let sql = "SELECT c.reference, c.status, cu.email, cu.language, c.received_at, \
                   m.announced_seq, m.last_notice_at, \
                   COALESCE((SELECT MAX(e.seq) FROM complaint_events e WHERE e.complaint_id = c.id \
                     AND e.from_status <> e.to_status), 0) AS change_seq, \
                   (SELECT MAX(e.at) FROM complaint_events e WHERE e.complaint_id = c.id \
                     AND e.from_status <> e.to_status) AS change_at, \
                   CASE WHEN EXISTS (SELECT 1 FROM complaint_events e WHERE e.complaint_id = c.id \
                     AND e.action = 'import') AND NOT EXISTS (SELECT 1 FROM complaint_events e \
                     WHERE e.complaint_id = c.id AND e.action <> 'import') THEN 1 ELSE 0 END \
                     AS imported_only \
                   FROM complaints c JOIN customers cu ON cu.id = c.customer_id \
                   LEFT JOIN complaint_mail m ON m.complaint_id = c.id \
                   WHERE cu.email IS NOT NULL AND cu.email <> '' AND cu.erased_at IS NULL \
                   AND c.channel <> 'staff_flag' \
                   AND (m.complaint_id IS NULL OR c.status <> 'closed' OR m.announced_seq < \
                     COALESCE((SELECT MAX(e.seq) FROM complaint_events e WHERE e.complaint_id = c.id \
                     AND e.from_status <> e.to_status), 0)) \
                   ORDER BY c.id";
        on_pool!(self, p => {
            let rows = sqlx::query(sql).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let received_at = from_micros("complaints.received_at", r.try_get(4)?)?;
                let change_at: Option<i64> = r.try_get(8)?;
                out.push(ComplaintMailCandidate {
                    reference: r.try_get(0)?,
                    status: status_of(&r.try_get::<String, _>(1)?)?,
                    email: r.try_get(2)?,
                    language: r.try_get(3)?,
                    received_at,
                    announced_seq: r.try_get(5)?,
                    last_notice_at: r
                        .try_get::<Option<i64>, _>(6)?
                        .map(|us| from_micros("complaint_mail.last_notice_at", us))
                        .transpose()?,
                    last_change_seq: r.try_get(7)?,
                    last_change_at: match change_at {
                        Some(us) => from_micros("complaint_events.at", us)?,
                        None => received_at,
                    },
                    imported_only: r.try_get::<i32, _>(9)? != 0,
                });
            }
            Ok(out)
        })
    }

    /// Records that the complainant of `reference` was told about the history up to
    /// `announced_seq` at `at` (the next interval reminder counts from `at`) and, in the
    /// same transaction, queues `email` to them (due at `at`) unless its key is queued
    /// already. Returns whether a message was queued. `email: None` only moves the state
    /// (changes made before e-mails were enabled).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown reference; [`StoreError::Database`].
    pub async fn record_complaint_notice(
        &self,
        reference: &str,
        announced_seq: i64,
        at: DateTime<Utc>,
        email: Option<&NewEmail>,
    ) -> Result<bool, StoreError> {
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query(
                "SELECT c.id, c.customer_id, cu.erased_at FROM complaints c \
                 JOIN customers cu ON cu.id = c.customer_id WHERE c.reference = $1",
            )
            .bind(reference)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "complaint", key: reference.to_owned() })?;
            let id: i64 = row.try_get(0)?;
            let customer: i64 = row.try_get(1)?;
            let erased: Option<i64> = row.try_get(2)?;
            sqlx::query(
                "INSERT INTO complaint_mail (complaint_id, announced_seq, last_notice_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (complaint_id) DO UPDATE SET \
                 announced_seq = excluded.announced_seq, last_notice_at = excluded.last_notice_at",
            )
            .bind(id)
            .bind(announced_seq)
            .bind(to_micros(at))
            .execute(&mut *tx)
            .await?;
            let mut queued = false;
            if let (Some(e), None) = (email, erased) {
                queued = sqlx::query(
                    "INSERT INTO email_outbox (dedupe_key, kind, recipient, subject, body, \
                     customer_id, user_id, attempt, due_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, NULL, 1, $7, $7) \
                     ON CONFLICT (dedupe_key) DO NOTHING",
                )
                .bind(&e.dedupe_key)
                .bind(&e.kind)
                .bind(&e.recipient)
                .bind(&e.subject)
                .bind(&e.body)
                .bind(customer)
                .bind(to_micros(at))
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    > 0;
            }
            tx.commit().await?;
            Ok(queued)
        })
    }

    /// Queues `email` to a user (the digest), due at `at`, unless its key is queued
    /// already; returns whether it was queued.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn queue_user_email(
        &self,
        user: UserId,
        email: &NewEmail,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO email_outbox (dedupe_key, kind, recipient, subject, body, \
                   customer_id, user_id, attempt, due_at, created_at) \
                   VALUES ($1, $2, $3, $4, $5, NULL, $6, 1, $7, $7) \
                   ON CONFLICT (dedupe_key) DO NOTHING";
        let n = on_pool!(self, p => sqlx::query(sql)
            .bind(&email.dedupe_key)
            .bind(&email.kind)
            .bind(&email.recipient)
            .bind(&email.subject)
            .bind(&email.body)
            .bind(user.0)
            .bind(to_micros(at))
            .execute(p)
            .await?
            .rows_affected());
        Ok(n > 0)
    }

    /// True when a message with this key was ever queued (sent, waiting or given up).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn email_queued(&self, dedupe_key: &str) -> Result<bool, StoreError> {
        let sql = "SELECT id FROM email_outbox WHERE dedupe_key = $1";
        let found: Option<i64> = on_pool!(self, p => sqlx::query_scalar(sql)
            .bind(dedupe_key)
            .fetch_optional(p)
            .await?);
        Ok(found.is_some())
    }

    /// Up to `limit` messages due by `now` (neither sent nor given up), the earliest
    /// first; never one to an erased customer.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn due_emails(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PendingEmail>, StoreError> {
        let sql = "SELECT o.id, o.recipient, o.subject, o.body, o.attempt, o.due_at, o.dedupe_key \
                   FROM email_outbox o LEFT JOIN customers cu ON cu.id = o.customer_id \
                   WHERE o.sent_at IS NULL AND o.failed_at IS NULL AND o.due_at <= $1 \
                   AND cu.erased_at IS NULL ORDER BY o.due_at, o.id LIMIT $2";
        on_pool!(self, p => {
            let rows = sqlx::query(sql)
                .bind(to_micros(now))
                .bind(i64::from(limit))
                .fetch_all(p)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(PendingEmail {
                    id: r.try_get(0)?,
                    recipient: r.try_get(1)?,
                    subject: r.try_get(2)?,
                    body: r.try_get(3)?,
                    attempt: attempt_of(r.try_get(4)?)?,
                    due_at: from_micros("email_outbox.due_at", r.try_get(5)?)?,
                    dedupe_key: r.try_get(6)?,
                });
            }
            Ok(out)
        })
    }

    /// Takes message `id` for an attempt: moves its due time from `due_at` to
    /// `lease_until`, so that no other sender takes it meanwhile (a sender that dies
    /// leaves it due again then). Returns `false` when it was taken, sent or given up.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn claim_email(
        &self,
        id: i64,
        due_at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE email_outbox SET due_at = $3 WHERE id = $1 AND due_at = $2 \
                   AND sent_at IS NULL AND failed_at IS NULL";
        let n = on_pool!(self, p => sqlx::query(sql)
            .bind(id)
            .bind(to_micros(due_at))
            .bind(to_micros(lease_until))
            .execute(p)
            .await?
            .rows_affected());
        Ok(n > 0)
    }

    /// Marks message `id` sent at `at` (the SMTP server accepted it).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn email_sent(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        let sql = "UPDATE email_outbox SET sent_at = $2, last_error = NULL WHERE id = $1";
        on_pool!(self, p => sqlx::query(sql).bind(id).bind(to_micros(at)).execute(p).await?.rows_affected());
        Ok(())
    }

    /// After a failed attempt: attempt number `attempt` is due at `due_at`; `error` is
    /// kept.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn email_retry(
        &self,
        id: i64,
        attempt: u32,
        due_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE email_outbox SET attempt = $2, due_at = $3, last_error = $4 \
                   WHERE id = $1 AND sent_at IS NULL";
        on_pool!(self, p => sqlx::query(sql)
            .bind(id)
            .bind(i64::from(attempt))
            .bind(to_micros(due_at))
            .bind(error)
            .execute(p)
            .await?
            .rows_affected());
        Ok(())
    }

    /// After the last allowed attempt failed: gives message `id` up at `at` with `error`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn email_failed(
        &self,
        id: i64,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE email_outbox SET failed_at = $2, last_error = $3 \
                   WHERE id = $1 AND sent_at IS NULL";
        on_pool!(self, p => sqlx::query(sql)
            .bind(id)
            .bind(to_micros(at))
            .bind(error)
            .execute(p)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The latest `limit` messages of the outbox, newest first.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn emails(&self, limit: u32) -> Result<Vec<EmailRecord>, StoreError> {
        let sql = "SELECT dedupe_key, kind, recipient, subject, attempt, created_at, sent_at, \
                   failed_at, last_error FROM email_outbox ORDER BY id DESC LIMIT $1";
        on_pool!(self, p => {
            let rows = sqlx::query(sql).bind(i64::from(limit)).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let t = |v: Option<i64>| v.map(|us| from_micros("email_outbox", us)).transpose();
                out.push(EmailRecord {
                    dedupe_key: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    recipient: r.try_get(2)?,
                    subject: r.try_get(3)?,
                    attempt: attempt_of(r.try_get(4)?)?,
                    created_at: from_micros("email_outbox.created_at", r.try_get(5)?)?,
                    sent_at: t(r.try_get(6)?)?,
                    failed_at: t(r.try_get(7)?)?,
                    last_error: r.try_get(8)?,
                });
            }
            Ok(out)
        })
    }
}
