//! E-mail (issue 9; ISO 10002 §7.3, keep the complainant informed): status e-mails to
//! complainants and the daily digest to owners, sent through a configured SMTP server
//! (`--smtp-host` ..., [`MailSettings`]) with `lettre` over plain SMTP (no TLS: a local
//! relay or a server on a trusted network; see the README).
//!
//! Every check ([`Mail::run_once`], every `--mail-check-ms`) does three things with an
//! explicit clock, so that tests can move time:
//! 1. [`Mail::queue_complaint_mail`]: a complainant with an e-mail address (customer not
//!    erased) gets an e-mail for each change of their complaint's status (at most one per
//!    check, naming every change since the last e-mail) and, while the complaint is open,
//!    at least every `--complaint-mail-interval-days` days. Changes made before e-mails
//!    were first enabled on the database, and what an imported file says, are not
//!    announced; a complaint whose whole history comes from imported files gets no
//!    reminder either (a step taken here makes it an ordinary complaint). Staff flags are
//!    internal notes, not complaints the customer made: their customer gets no e-mail
//!    about them. Complaints opened from a survey follow-up are e-mailed like any other
//!    (they record what the customer said in a survey answer). The e-mail is in the
//!    customer's stored language (English when none or unknown) and says only what the
//!    public status page says: the reference, the status sentences with their times, and
//!    the status page's link (`--public-url`).
//! 2. [`Mail::queue_digest`]: once a day, at the first check at or after
//!    `--digest-hour` (business time zone), each admin and manager gets the digest of
//!    the complaints they may see (`complaint_access`: an admin every one, a manager
//!    those of their locations, without a location, or that they own or recorded): open
//!    complaints, those past a deadline (the queue's rule: time waiting for the customer
//!    never counts), those due today (waiting ones are not), and those received in the
//!    last 24 hours; the counts are the database's, each list shows at most 50 (nothing
//!    is sent to someone with no open and no new complaint).
//! 3. [`Mail::send_due`]: the outbox's due messages go to the SMTP server; a failed attempt
//!    is retried with exponential back-off (`--mail-retry-base-secs`, doubling, at most
//!    `--mail-max-attempts` attempts; a permanent SMTP refusal gives up at once).
//!
//! Reliability: a message is queued in the outbox (store migration 12) in the same
//! transaction as the complaint's e-mail state, under a key naming what it is about, so a
//! restart neither loses nor repeats it; a message is marked sent once the SMTP server
//! accepted it (a crash between the two is the only way to send one twice). Erasing a
//! customer deletes their queued messages.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Timelike, Utc};
use comeback_complaints::recovery::{Action, Status};
use comeback_report::Lang;
use comeback_store::{
    ComplaintFilter, ComplaintMailCandidate, ComplaintScope, ComplaintSummary, NewEmail, Role,
    StoreError,
};
use lettre::Transport;
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;

use crate::AppState;
use crate::dashboard::catalog::message;

/// Default of `--smtp-port`.
const DEFAULT_SMTP_PORT: u16 = 25;
/// Default of `--smtp-timeout-secs`.
const DEFAULT_SMTP_TIMEOUT_SECS: u64 = 30;
/// Default of `--complaint-mail-interval-days`.
const DEFAULT_INTERVAL_DAYS: u32 = 7;
/// Default of `--digest-hour`.
const DEFAULT_DIGEST_HOUR: u32 = 8;
/// Default of `--digest-language`.
const DEFAULT_DIGEST_LANGUAGE: &str = "en";
/// Default of `--mail-check-ms`.
const DEFAULT_CHECK_MS: u64 = 30_000;
/// Default of `--mail-max-attempts`.
const DEFAULT_MAX_ATTEMPTS: u32 = 8;
/// Default of `--mail-retry-base-secs`.
const DEFAULT_RETRY_BASE_SECS: u64 = 60;

/// The e-mail settings of `comeback serve`. Without `--smtp-host` no e-mail is sent.
#[derive(Clone, PartialEq, Eq, clap::Args)]
pub struct MailSettings {
    /// SMTP server for e-mails (status e-mails to complainants, the daily digest to
    /// owners); plain SMTP without TLS (a local relay). Without it no e-mail is sent.
    #[arg(long = "smtp-host", env = "COMEBACK_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// The SMTP server's port.
    #[arg(long = "smtp-port", env = "COMEBACK_SMTP_PORT", default_value_t = DEFAULT_SMTP_PORT)]
    pub smtp_port: u16,
    /// The sender address, e.g. `Shop <care@example.com>` (required with --smtp-host).
    #[arg(long = "smtp-from", env = "COMEBACK_SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// User name for SMTP authentication (with --smtp-password).
    #[arg(long = "smtp-username", env = "COMEBACK_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// Password for SMTP authentication (prefer the environment variable).
    #[arg(
        long = "smtp-password",
        env = "COMEBACK_SMTP_PASSWORD",
        hide_env_values = true
    )]
    pub smtp_password: Option<String>,
    /// Seconds to wait for the SMTP server.
    #[arg(
        long = "smtp-timeout-secs",
        env = "COMEBACK_SMTP_TIMEOUT_SECS",
        default_value_t = DEFAULT_SMTP_TIMEOUT_SECS
    )]
    pub smtp_timeout_secs: u64,
    /// While a complaint is open, its complainant gets an e-mail at least every this many
    /// days (1–365).
    #[arg(
        long = "complaint-mail-interval-days",
        env = "COMEBACK_COMPLAINT_MAIL_INTERVAL_DAYS",
        default_value_t = DEFAULT_INTERVAL_DAYS
    )]
    pub interval_days: u32,
    /// Local hour (0–23, business time zone) of the daily digest to admins and managers.
    #[arg(
        long = "digest-hour",
        env = "COMEBACK_DIGEST_HOUR",
        default_value_t = DEFAULT_DIGEST_HOUR
    )]
    pub digest_hour: u32,
    /// Language of the digest: en, es, pt, fi, de or fr.
    #[arg(
        long = "digest-language",
        env = "COMEBACK_DIGEST_LANGUAGE",
        default_value = DEFAULT_DIGEST_LANGUAGE
    )]
    pub digest_language: String,
    /// Milliseconds between two checks for e-mails to queue and send.
    #[arg(
        long = "mail-check-ms",
        env = "COMEBACK_MAIL_CHECK_MS",
        default_value_t = DEFAULT_CHECK_MS
    )]
    pub check_ms: u64,
    /// Attempts per message before it is given up.
    #[arg(
        id = "mail_max_attempts",
        long = "mail-max-attempts",
        env = "COMEBACK_MAIL_MAX_ATTEMPTS",
        default_value_t = DEFAULT_MAX_ATTEMPTS
    )]
    pub max_attempts: u32,
    /// Seconds before the first retry; each further retry waits twice as long (at most a
    /// day).
    #[arg(
        long = "mail-retry-base-secs",
        env = "COMEBACK_MAIL_RETRY_BASE_SECS",
        default_value_t = DEFAULT_RETRY_BASE_SECS
    )]
    pub retry_base_secs: u64,
}

impl Default for MailSettings {
    /// The flags' defaults (no SMTP server: no e-mail is sent).
    fn default() -> Self {
        MailSettings {
            smtp_host: None,
            smtp_port: DEFAULT_SMTP_PORT,
            smtp_from: None,
            smtp_username: None,
            smtp_password: None,
            smtp_timeout_secs: DEFAULT_SMTP_TIMEOUT_SECS,
            interval_days: DEFAULT_INTERVAL_DAYS,
            digest_hour: DEFAULT_DIGEST_HOUR,
            digest_language: DEFAULT_DIGEST_LANGUAGE.to_owned(),
            check_ms: DEFAULT_CHECK_MS,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            retry_base_secs: DEFAULT_RETRY_BASE_SECS,
        }
    }
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_from", &self.smtp_from)
            .field("smtp_username", &self.smtp_username)
            .field(
                "smtp_password",
                &self.smtp_password.as_ref().map(|_| "<redacted>"),
            )
            .field("smtp_timeout_secs", &self.smtp_timeout_secs)
            .field("interval_days", &self.interval_days)
            .field("digest_hour", &self.digest_hour)
            .field("digest_language", &self.digest_language)
            .field("check_ms", &self.check_ms)
            .field("max_attempts", &self.max_attempts)
            .field("retry_base_secs", &self.retry_base_secs)
            .finish()
    }
}

/// What one check did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CheckReport {
    /// Status e-mails queued.
    pub status: usize,
    /// Interval reminders queued.
    pub reminders: usize,
    /// Digests queued.
    pub digests: usize,
    /// Messages the SMTP server accepted.
    pub sent: usize,
    /// Failed attempts (to be retried).
    pub retried: usize,
    /// Messages given up.
    pub given_up: usize,
}

/// The configured mailer: the SMTP transport and the rules.
#[derive(Clone)]
pub struct Mail {
    transport: lettre::SmtpTransport,
    from: Mailbox,
    settings: MailSettings,
    digest_lang: Lang,
    public_url: String,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The language of a stored code (`fi`, `pt-BR`, `de_DE`), English when unknown.
pub fn language_of(code: Option<&str>) -> Lang {
    code.and_then(|c| c.split(['-', '_']).next())
        .and_then(|c| c.parse::<Lang>().ok())
        .unwrap_or(Lang::En)
}

impl Mail {
    /// The mailer of `settings` (`None` without `--smtp-host`); `public_url` starts the
    /// status pages' links.
    ///
    /// # Errors
    /// A message naming the flag: no or an invalid sender, a user name without a password
    /// (or the reverse), an hour, interval or language out of range.
    pub fn new(settings: &MailSettings, public_url: &str) -> Result<Option<Mail>, String> {
        let Some(host) = settings.smtp_host.as_deref().map(str::trim) else {
            return Ok(None);
        };
        if host.is_empty() {
            return Err("--smtp-host: empty".to_owned());
        }
        let from: Mailbox = settings
            .smtp_from
            .as_deref()
            .ok_or("--smtp-from is required with --smtp-host")?
            .parse()
            .map_err(|e| format!("--smtp-from: not an e-mail address ({e})"))?;
        if !(1..=365).contains(&settings.interval_days) {
            return Err("--complaint-mail-interval-days: between 1 and 365".to_owned());
        }
        if settings.digest_hour > 23 {
            return Err("--digest-hour: between 0 and 23".to_owned());
        }
        if settings.max_attempts == 0 {
            return Err("--mail-max-attempts: at least 1".to_owned());
        }
        let digest_lang = settings
            .digest_language
            .parse::<Lang>()
            .map_err(|_| "--digest-language: one of en, es, pt, fi, de, fr".to_owned())?;
        let mut builder = lettre::SmtpTransport::builder_dangerous(host)
            .port(settings.smtp_port)
            .timeout(Some(Duration::from_secs(settings.smtp_timeout_secs.max(1))));
        match (&settings.smtp_username, &settings.smtp_password) {
            (Some(u), Some(p)) => {
                builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
            }
            (None, None) => {}
            _ => {
                return Err("--smtp-username and --smtp-password: give both or neither".to_owned());
            }
        }
        Ok(Some(Mail {
            transport: builder.build(),
            from,
            settings: settings.clone(),
            digest_lang,
            public_url: public_url.trim_end_matches('/').to_owned(),
        }))
    }

    /// The settings.
    pub fn settings(&self) -> &MailSettings {
        &self.settings
    }

    /// One check at `now`: queue the complaint e-mails and the digest, send what is due.
    ///
    /// # Errors
    /// The store's.
    pub async fn run_once(
        &self,
        state: &AppState,
        now: DateTime<Utc>,
    ) -> Result<CheckReport, StoreError> {
        let mut r = self.queue_complaint_mail(state, now).await?;
        r.digests = self.queue_digest(state, now).await?;
        let s = self.send_due(state, now).await?;
        r.sent = s.sent;
        r.retried = s.retried;
        r.given_up = s.given_up;
        Ok(r)
    }

    /// Queues the status e-mails and interval reminders due at `now` (see the module
    /// documentation).
    ///
    /// # Errors
    /// The store's.
    pub async fn queue_complaint_mail(
        &self,
        state: &AppState,
        now: DateTime<Utc>,
    ) -> Result<CheckReport, StoreError> {
        let mut report = CheckReport::default();
        let since = state.store.complaint_mail_since(now).await?;
        let interval = TimeDelta::days(i64::from(self.settings.interval_days));
        let tz = state.store.business_time_zone().await?;
        for c in state.store.complaint_mail_candidates().await? {
            let kind = match c.announced_seq {
                None if c.last_change_at < since => {
                    // Before e-mails were enabled: remember, announce nothing.
                    state
                        .store
                        .record_complaint_notice(&c.reference, c.last_change_seq, since, None)
                        .await?;
                    continue;
                }
                None => Kind::Status { after: None },
                Some(a) if a < c.last_change_seq => Kind::Status { after: Some(a) },
                Some(_) => {
                    let last = c.last_notice_at.unwrap_or(since);
                    // What a file says is not announced: a complaint whose whole history
                    // was imported gets no reminder either (a step taken here starts them).
                    if c.status == Status::Closed || c.imported_only || now - last < interval {
                        continue;
                    }
                    Kind::Reminder { last }
                }
            };
            let complaint = match state.store.complaint(&c.reference).await {
                Ok(x) => x,
                Err(StoreError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            let email = self.complaint_email(&c, &complaint, kind, tz);
            let queued = state
                .store
                .record_complaint_notice(&c.reference, c.last_change_seq, now, Some(&email))
                .await?;
            if queued {
                match kind {
                    Kind::Status { .. } => report.status += 1,
                    Kind::Reminder { .. } => report.reminders += 1,
                }
            }
        }
        Ok(report)
    }

    fn complaint_email(
        &self,
        c: &ComplaintMailCandidate,
        complaint: &comeback_store::Complaint,
        kind: Kind,
        tz: comeback_ingest::Tz,
    ) -> NewEmail {
        let lang = language_of(c.language.as_deref());
        let reference = c.reference.as_str();
        let m = |key: &str, args: &[(&str, &str)]| message(lang, "mail", key, args);
        let status =
            |s: Status| message(lang, "complaint_status", &format!("st_{}", s.as_str()), &[]);
        let when = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
        let r = [("reference", reference)];
        let (subject, intro, key) = match kind {
            Kind::Status { after } => {
                let subject = if after.is_none() && c.status == Status::Received {
                    "subject_received"
                } else if c.status == Status::Closed {
                    "subject_closed"
                } else {
                    "subject_update"
                };
                let intro = if after.is_none() {
                    "intro_received"
                } else {
                    "intro_update"
                };
                (
                    m(subject, &r),
                    m(intro, &r),
                    format!("complaint:{reference}:status:{}", c.last_change_seq),
                )
            }
            Kind::Reminder { last } => (
                m("subject_reminder", &r),
                m("intro_reminder", &r),
                format!("complaint:{reference}:reminder:{}", last.timestamp_micros()),
            ),
        };
        // The status page's history: the receipt and every change of status, escalations
        // (internal) and imports' details left out.
        let mut lines = vec![format!(
            "{} — {}",
            when(complaint.received_at),
            status(Status::Received)
        )];
        for e in &complaint.history {
            if e.from != e.to && !matches!(e.action, Action::Escalate { .. }) {
                lines.push(format!("{} — {}", when(e.at), status(e.to)));
            }
        }
        let link = format!("{}/complaint-status/{reference}", self.public_url);
        let days = self.settings.interval_days.to_string();
        let mut body = String::new();
        for part in [
            m("greeting", &[]),
            String::new(),
            intro,
            String::new(),
            m("status_now", &[("status", &status(c.status))]),
            String::new(),
            m("history", &[("zone", tz.name())]),
        ] {
            body.push_str(&part);
            body.push('\n');
        }
        for l in lines {
            body.push_str("  ");
            body.push_str(&l);
            body.push('\n');
        }
        body.push('\n');
        if c.status != Status::Closed {
            body.push_str(&m("next_update", &[("days", &days)]));
            body.push_str("\n\n");
        }
        body.push_str(&m("link", &[("link", &link)]));
        body.push_str("\n\n-- \n");
        body.push_str(&m("footer", &r));
        body.push('\n');
        NewEmail {
            dedupe_key: key,
            kind: match kind {
                Kind::Status { .. } => "complaint_status",
                Kind::Reminder { .. } => "complaint_reminder",
            }
            .to_owned(),
            recipient: c.email.clone(),
            subject,
            body,
        }
    }

    /// Queues today's digest for every admin and manager when the local hour (business
    /// time zone) has reached `--digest-hour` and one is not queued yet; returns how many
    /// were queued.
    ///
    /// # Errors
    /// The store's.
    pub async fn queue_digest(
        &self,
        state: &AppState,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let tz = state.store.business_time_zone().await?;
        let local = now.with_timezone(&tz);
        if local.hour() < self.settings.digest_hour {
            return Ok(0);
        }
        let date = local.date_naive();
        let owners: Vec<_> = state
            .store
            .users()
            .await?
            .into_iter()
            .filter(|u| matches!(u.role, Role::Admin | Role::Manager))
            .collect();
        let owners: Vec<_> = {
            let mut out = Vec::new();
            for u in owners {
                if !state
                    .store
                    .email_queued(&format!("digest:{date}:{}", u.id.0))
                    .await?
                {
                    out.push(u);
                }
            }
            out
        };
        let mut queued = 0;
        for u in owners {
            // Each recipient sees what the complaint pages show them (complaint_access):
            // admins every complaint, managers their locations', those without a
            // location and those they own or recorded.
            let scope = match u.role {
                Role::Admin => ComplaintScope::All,
                _ => ComplaintScope::Manager(u.id),
            };
            let Some((subject, body)) = self.digest(state, scope, now, tz).await? else {
                continue;
            };
            let email = NewEmail {
                dedupe_key: format!("digest:{date}:{}", u.id.0),
                kind: "digest".to_owned(),
                recipient: u.email.clone(),
                subject,
                body,
            };
            if state.store.queue_user_email(u.id, &email, now).await? {
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// The digest at `now` of the complaints in `scope`: (subject, body), `None` when
    /// there is no open and no new complaint. The counts are the database's; each list
    /// shows at most 50 complaints.
    async fn digest(
        &self,
        state: &AppState,
        scope: ComplaintScope,
        now: DateTime<Utc>,
        tz: comeback_ingest::Tz,
    ) -> Result<Option<(String, String)>, StoreError> {
        const SHOWN: u32 = 50;
        let date = now.with_timezone(&tz).date_naive();
        // The end of today (local): the next local midnight (a day later when the zone
        // skips it).
        let end_of_day = date
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|t| tz.from_local_datetime(&t).earliest())
            .map_or(now + TimeDelta::days(1), |t| t.with_timezone(&Utc));
        let open_filter = ComplaintFilter {
            open_only: true,
            scope,
            limit: SHOWN,
            ..Default::default()
        };
        // Late by the queue's rule (api::complaints::late: waiting time never counts).
        let late_filter = ComplaintFilter {
            late_at: Some(now),
            ..open_filter.clone()
        };
        // Due today: running (not waiting for the customer), not late, the next deadline
        // before the end of the local day.
        let today_filter = ComplaintFilter {
            due_between: Some((now, end_of_day)),
            ..open_filter.clone()
        };
        let new_filter = ComplaintFilter {
            received_after: Some(now - TimeDelta::days(1)),
            scope,
            limit: SHOWN,
            ..Default::default()
        };
        let store = &state.store;
        let open = store.count_complaints(&open_filter).await?;
        let new = store.count_complaints(&new_filter).await?;
        if open == 0 && new == 0 {
            return Ok(None);
        }
        let late = store.count_complaints(&late_filter).await?;
        let today = store.count_complaints(&today_filter).await?;
        let lates = store.list_complaints(&late_filter).await?;
        let todays = store.list_complaints(&today_filter).await?;
        // Newest first.
        let mut news = store.list_complaints(&new_filter).await?;
        news.sort_by(|a, b| {
            b.received_at
                .cmp(&a.received_at)
                .then_with(|| a.reference.cmp(&b.reference))
        });
        let lang = self.digest_lang;
        let m = |key: &str, args: &[(&str, &str)]| message(lang, "digest", key, args);
        let when = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
        let next_due = |c: &ComplaintSummary| {
            if c.status == Status::Received {
                c.deadlines.first_response.or(c.deadlines.resolution)
            } else {
                c.deadlines.resolution
            }
        };
        let line = |c: &ComplaintSummary| {
            let mut s = format!(
                "  {} · {} · {} · {}",
                c.reference,
                message(
                    lang,
                    "complaints",
                    &format!("sev_{}", c.severity.as_str()),
                    &[]
                ),
                message(lang, "complaint", &format!("st_{}", c.status.as_str()), &[]),
                c.category.as_str(),
            );
            if let Some(d) = next_due(c).filter(|_| c.status != Status::Closed) {
                s.push_str(" · ");
                s.push_str(&m("due", &[("time", &when(d))]));
            }
            s
        };
        let count = |n: u64| comeback_report::format::count(n, lang);
        let list = |body: &mut String, items: &[ComplaintSummary], total: u64| {
            if items.is_empty() {
                body.push_str("  ");
                body.push_str(&m("none", &[]));
                body.push('\n');
            }
            for c in items {
                body.push_str(&line(c));
                body.push('\n');
            }
            let shown = items.len() as u64;
            if total > shown {
                body.push_str("  ");
                body.push_str(&m("more", &[("count", &count(total - shown))]));
                body.push('\n');
            }
        };
        let mut body = String::new();
        body.push_str(&m("intro", &[("time", &when(now)), ("zone", tz.name())]));
        body.push_str("\n\n");
        body.push_str(&m("open", &[("count", &count(open))]));
        body.push_str("\n\n");
        body.push_str(&m("late", &[("count", &count(late))]));
        body.push('\n');
        list(&mut body, &lates, late);
        body.push('\n');
        body.push_str(&m("due_today", &[("count", &count(today))]));
        body.push('\n');
        list(&mut body, &todays, today);
        body.push('\n');
        body.push_str(&m("new", &[("count", &count(new))]));
        body.push('\n');
        list(&mut body, &news, new);
        body.push('\n');
        body.push_str(&m(
            "queue",
            &[("link", &format!("{}/complaints", self.public_url))],
        ));
        body.push('\n');
        let subject = m(
            "subject",
            &[
                ("date", &date.to_string()),
                ("open", &count(open)),
                ("late", &count(late)),
                ("new", &count(new)),
            ],
        );
        Ok(Some((subject, body)))
    }

    /// Sends the messages due at `now` (up to 100 per call), each taken for five minutes
    /// first so that no other sender takes it meanwhile.
    ///
    /// # Errors
    /// The store's.
    pub async fn send_due(
        &self,
        state: &AppState,
        now: DateTime<Utc>,
    ) -> Result<CheckReport, StoreError> {
        let mut report = CheckReport::default();
        for e in state.store.due_emails(now, 100).await? {
            if !state
                .store
                .claim_email(e.id, e.due_at, now + TimeDelta::minutes(5))
                .await?
            {
                continue;
            }
            let outcome = match self.message(&e) {
                Ok(msg) => {
                    let transport = self.transport.clone();
                    match tokio::task::spawn_blocking(move || transport.send(&msg)).await {
                        Ok(Ok(_)) => Ok(()),
                        Ok(Err(err)) => Err((err.to_string(), err.is_permanent())),
                        Err(join) => Err((format!("sender task: {join}"), false)),
                    }
                }
                Err(why) => Err((why, true)),
            };
            match outcome {
                Ok(()) => {
                    state.store.email_sent(e.id, now).await?;
                    report.sent += 1;
                }
                Err((why, permanent)) if permanent || e.attempt >= self.settings.max_attempts => {
                    tracing::warn!(key = %e.dedupe_key, attempt = e.attempt, error = %why, "e-mail given up");
                    state.store.email_failed(e.id, now, &why).await?;
                    report.given_up += 1;
                }
                Err((why, _)) => {
                    let wait = self.backoff(e.attempt);
                    tracing::info!(key = %e.dedupe_key, attempt = e.attempt, error = %why, "e-mail not sent; retrying");
                    state
                        .store
                        .email_retry(e.id, e.attempt + 1, now + wait, &why)
                        .await?;
                    report.retried += 1;
                }
            }
        }
        Ok(report)
    }

    /// The wait after failed attempt `attempt` (1-based): the base, doubled per attempt,
    /// at most a day.
    pub fn backoff(&self, attempt: u32) -> TimeDelta {
        let secs = self
            .settings
            .retry_base_secs
            .max(1)
            .saturating_mul(1u64 << attempt.saturating_sub(1).min(20))
            .min(86_400);
        TimeDelta::seconds(i64::try_from(secs).unwrap_or(86_400))
    }

    fn message(&self, e: &comeback_store::PendingEmail) -> Result<lettre::Message, String> {
        let to: Mailbox = e
            .recipient
            .parse()
            .map_err(|err| format!("recipient {:?}: {err}", e.recipient))?;
        let domain = self.from.email.domain().to_owned();
        let id: String = e
            .dedupe_key
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '.' })
            .collect();
        lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(e.subject.clone())
            .message_id(Some(format!("<{id}.{}@{domain}>", e.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(e.body.clone())
            .map_err(|err| err.to_string())
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A change of status (`after`: the last history position announced before).
    Status { after: Option<i64> },
    /// The interval reminder (`last`: when the last e-mail was queued).
    Reminder { last: DateTime<Utc> },
}

/// Runs [`Mail::run_once`] every `--mail-check-ms` (the first check after one period)
/// until the returned task is aborted (errors are logged).
pub fn spawn(mail: Mail, state: AppState) -> tokio::task::JoinHandle<()> {
    let every = Duration::from_millis(mail.settings.check_ms.max(100));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match mail.run_once(&state, Utc::now()).await {
                Ok(r) if r != CheckReport::default() => tracing::info!(?r, "e-mail check"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "e-mail check failed"),
            }
        }
    })
}

/// The messages' keys, for tests and logs: what a status e-mail of `reference` after
/// history position `seq` is queued under.
pub fn status_key(reference: &str, seq: i64) -> String {
    format!("complaint:{reference}:status:{seq}")
}
