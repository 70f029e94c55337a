//! Automatic survey triggers (issue 8, PRODUCT R6): after a purchase (sampled), on entering
//! the at-risk stage, on becoming lost (the exit interview). Migration 0014.
//!
//! Every triggered occasion is a row of `survey_trigger_queue` — a sampled purchase day
//! ([`Store::queue_recent_purchases`]) or the start of an at-risk or lost episode
//! ([`Store::record_lifecycle_stages`]) — keyed by (trigger, customer, occasion), so it
//! counts once whatever is re-sent or re-run. Once its delay has passed,
//! [`Store::process_survey_triggers`] turns it into an invitation or records why not (the
//! throttle, the opt-out, missing consent, erasure, a customer who left the stage, a
//! trigger switched off). The stages the triggers saw last are stored
//! (`survey_trigger_stages`), so an episode is seen once across restarts.
//!
//! # Sampling
//! A purchase day of a customer is sampled when [`purchase_sampled`] says so: the first
//! eight bytes of SHA-256(`"{seed}\n{customer external id}\n{YYYY-MM-DD}"`) as a big-endian
//! unsigned integer, modulo 10,000, below the rate in basis points. The seed is a setting
//! of the database ([`Store::survey_trigger_seed`]), so the draw is the same on every run
//! and anyone with the seed can recompute it.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use sqlx::{QueryBuilder, Row};

use crate::ingest::{CHUNK, push_in_list};
use crate::store::{BeginWrite, on_pool};
use crate::surveys::{Invitation, InvitationTrigger, SurveyKind};
use crate::util::{from_micros, id_problem, random_hex, to_micros};
use crate::{RowError, Store, StoreError};

/// The triggers that fire by themselves, in the order they are listed.
pub const AUTOMATIC_TRIGGERS: [InvitationTrigger; 3] = [
    InvitationTrigger::Purchase,
    InvitationTrigger::AtRisk,
    InvitationTrigger::Lost,
];

/// Longest delay between an occasion and its invitation, in hours (90 days).
pub const MAX_TRIGGER_DELAY_HOURS: u32 = 2160;

/// Oldest purchase the after-purchase trigger looks at, in days.
pub const MAX_PURCHASE_AGE_DAYS: u32 = 365;

/// A lifecycle stage the triggers follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrackedStage {
    /// At risk: the at-risk survey.
    AtRisk,
    /// Lost: the exit interview.
    Lost,
}

impl TrackedStage {
    /// `at_risk` or `lost`.
    pub fn as_str(self) -> &'static str {
        match self {
            TrackedStage::AtRisk => "at_risk",
            TrackedStage::Lost => "lost",
        }
    }

    /// The trigger of entering this stage.
    pub fn trigger(self) -> InvitationTrigger {
        match self {
            TrackedStage::AtRisk => InvitationTrigger::AtRisk,
            TrackedStage::Lost => InvitationTrigger::Lost,
        }
    }

    fn parse(s: &str) -> Option<TrackedStage> {
        match s {
            "at_risk" => Some(TrackedStage::AtRisk),
            "lost" => Some(TrackedStage::Lost),
            _ => None,
        }
    }
}

/// The settings of one automatic trigger.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TriggerSettings {
    /// `purchase`, `at_risk` or `lost`.
    pub trigger: InvitationTrigger,
    /// Whether it fires.
    pub enabled: bool,
    /// The survey it sends, by name (its active version at the time of sending).
    pub survey: Option<String>,
    /// The share of purchase days invited, in basis points (0–10,000; 10,000 = all). Only
    /// the after-purchase trigger samples; the others invite every customer.
    pub sample_basis_points: u32,
    /// Hours between the occasion and the invitation (0–[`MAX_TRIGGER_DELAY_HOURS`]).
    pub delay_hours: u32,
    /// After-purchase: purchases older than this many days (by their local day) do not count
    /// (1–[`MAX_PURCHASE_AGE_DAYS`]), so a historical upload surveys nobody.
    pub max_age_days: u32,
    /// Last changed (UTC); `None` while never set.
    pub updated_at: Option<DateTime<Utc>>,
}

impl TriggerSettings {
    /// The settings of a trigger never configured: off, no survey, 10 % of purchases, no
    /// delay, purchases of the last 7 days.
    pub fn default_for(trigger: InvitationTrigger) -> TriggerSettings {
        TriggerSettings {
            trigger,
            enabled: false,
            survey: None,
            sample_basis_points: if trigger == InvitationTrigger::Purchase {
                1000
            } else {
                10_000
            },
            delay_hours: 0,
            max_age_days: 7,
            updated_at: None,
        }
    }
}

/// Why a triggered occasion did not become an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerSkip {
    /// The trigger was switched off before the occasion was due.
    Disabled,
    /// The trigger names no survey, or no active version of it.
    NoSurvey,
    /// A lost customer's survey must be an exit interview.
    NotExitInterview,
    /// The customer was erased.
    Erased,
    /// The customer opted out of surveys.
    OptedOut,
    /// Consent is required and the customer never gave it.
    NoConsent,
    /// The customer left the at-risk or lost stage before the invitation was due.
    LeftStage,
    /// The customer was invited to a survey within the minimum gap.
    Throttled,
}

impl TriggerSkip {
    /// The reason's key (`disabled`, `no_survey`, `not_exit_interview`, `erased`,
    /// `opted_out`, `no_consent`, `left_stage`, `throttled`).
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerSkip::Disabled => "disabled",
            TriggerSkip::NoSurvey => "no_survey",
            TriggerSkip::NotExitInterview => "not_exit_interview",
            TriggerSkip::Erased => "erased",
            TriggerSkip::OptedOut => "opted_out",
            TriggerSkip::NoConsent => "no_consent",
            TriggerSkip::LeftStage => "left_stage",
            TriggerSkip::Throttled => "throttled",
        }
    }
}

/// What [`Store::record_lifecycle_stages`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct StageChanges {
    /// The first look ever: the stages were recorded and nothing was queued.
    pub baseline: bool,
    /// Customers who entered the at-risk stage.
    pub entered_at_risk: u64,
    /// Customers who became lost.
    pub entered_lost: u64,
    /// Customers who left both stages.
    pub left: u64,
    /// Occasions queued (entries of an enabled trigger).
    pub queued: u64,
}

/// What [`Store::queue_recent_purchases`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct PurchaseScan {
    /// Purchase days (customer and local day) within the age limit.
    pub purchase_days: u64,
    /// Of these, the sampled ones.
    pub sampled: u64,
    /// Sampled ones queued now (the others were queued by an earlier scan).
    pub queued: u64,
}

/// What [`Store::process_survey_triggers`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessedTriggers {
    /// The invitations made (their `trigger` says which).
    pub invited: Vec<Invitation>,
    /// The occasions skipped: trigger, customer external id (`None` once erased), reason.
    pub skipped: Vec<(InvitationTrigger, Option<String>, TriggerSkip)>,
}

/// One triggered occasion.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TriggerLogEntry {
    /// Its id.
    pub id: i64,
    /// `purchase`, `at_risk` or `lost`.
    pub trigger: InvitationTrigger,
    /// The customer's external id (`None` once erased).
    pub customer: Option<String>,
    /// After-purchase: the purchase's local day.
    pub purchase_day: Option<NaiveDate>,
    /// Due (UTC).
    pub due_at: DateTime<Utc>,
    /// `pending`, `invited` or `skipped`.
    pub state: String,
    /// Why it was skipped.
    pub reason: Option<String>,
    /// The survey sent (name).
    pub survey: Option<String>,
    /// Its version.
    pub survey_version: Option<i64>,
    /// Queued (UTC).
    pub created_at: DateTime<Utc>,
    /// Invited or skipped at (UTC).
    pub processed_at: Option<DateTime<Utc>>,
}

/// Whether the purchase of `customer` on `day` is sampled at `basis_points` (of 10,000)
/// under `seed` (see the module documentation).
pub fn purchase_sampled(seed: &str, customer: &str, day: NaiveDate, basis_points: u32) -> bool {
    let digest = Sha256::digest(format!("{seed}\n{customer}\n{day}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % 10_000 < u64::from(basis_points)
}

fn invalid(field: &'static str, value: impl ToString, reason: &'static str) -> StoreError {
    StoreError::Invalid {
        field,
        value: value.to_string().chars().take(100).collect(),
        reason,
    }
}

type SettingsRow = (String, bool, Option<String>, i64, i64, i64, i64);

fn settings_from(r: SettingsRow) -> Result<TriggerSettings, StoreError> {
    let num = |column: &'static str, v: i64| {
        u32::try_from(v).map_err(|_| StoreError::Corrupt {
            column,
            value: v.to_string(),
        })
    };
    Ok(TriggerSettings {
        trigger: InvitationTrigger::parse(&r.0).ok_or(StoreError::Corrupt {
            column: "survey_triggers.trigger",
            value: r.0.clone(),
        })?,
        enabled: r.1,
        survey: r.2,
        sample_basis_points: num("survey_triggers.sample_bp", r.3)?,
        delay_hours: num("survey_triggers.delay_hours", r.4)?,
        max_age_days: num("survey_triggers.max_age_days", r.5)?,
        updated_at: Some(from_micros("survey_triggers.updated_at", r.6)?),
    })
}

const SETTINGS_SELECT: &str = "SELECT trigger, enabled, survey_name, sample_bp, delay_hours, \
                               max_age_days, updated_at FROM survey_triggers";

/// The three triggers' settings from stored rows, defaults for the missing ones.
fn complete(rows: Vec<SettingsRow>) -> Result<Vec<TriggerSettings>, StoreError> {
    let stored: Vec<TriggerSettings> = rows
        .into_iter()
        .map(settings_from)
        .collect::<Result<_, _>>()?;
    Ok(AUTOMATIC_TRIGGERS
        .iter()
        .map(|t| {
            stored
                .iter()
                .find(|s| s.trigger == *t)
                .cloned()
                .unwrap_or_else(|| TriggerSettings::default_for(*t))
        })
        .collect())
}

const BASELINE_KEY: &str = "survey_trigger_baseline";
const SEED_KEY: &str = "survey_trigger_seed";
const CONSENT_KEY: &str = "survey_trigger_require_consent";

impl Store {
    /// The settings of the three automatic triggers (`purchase`, `at_risk`, `lost`), the
    /// defaults of [`TriggerSettings::default_for`] for those never set.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn survey_trigger_settings(&self) -> Result<Vec<TriggerSettings>, StoreError> {
        let rows: Vec<SettingsRow> =
            on_pool!(self, p => sqlx::query_as(SETTINGS_SELECT).fetch_all(p).await?);
        complete(rows)
    }

    /// Stores the settings of the triggers given (each `updated_at` is ignored; the others
    /// keep theirs), and optionally the sample's seed and whether consent is required, in
    /// one database transaction: all or nothing. Returns every trigger's settings.
    ///
    /// # Errors
    /// [`StoreError::Rejected`] with an error per bad entry (its index and field): `manual`
    /// or a repeated trigger, a rate over 10,000 basis points, a delay over
    /// [`MAX_TRIGGER_DELAY_HOURS`], an age limit outside 1–[`MAX_PURCHASE_AGE_DAYS`], an
    /// enabled trigger without a survey, a survey name without an active version, a lost
    /// trigger whose survey is not an exit interview; [`StoreError::Invalid`] for a bad
    /// seed; [`StoreError::Database`].
    pub async fn set_survey_triggers(
        &self,
        triggers: &[TriggerSettings],
        seed: Option<&str>,
        require_consent: Option<bool>,
        now: DateTime<Utc>,
    ) -> Result<Vec<TriggerSettings>, StoreError> {
        if let Some(seed) = seed
            && id_problem(seed).is_some()
        {
            return Err(invalid(
                "seed",
                seed,
                "must be 1-200 bytes without control characters or surrounding spaces",
            ));
        }
        let mut errors = Vec::new();
        let mut seen = HashSet::new();
        for (i, s) in triggers.iter().enumerate() {
            if s.trigger == InvitationTrigger::Manual {
                errors.push(RowError::new(
                    i,
                    "trigger",
                    "must be purchase, at_risk or lost",
                ));
            } else if !seen.insert(s.trigger) {
                errors.push(RowError::new(
                    i,
                    "trigger",
                    format!("{} is given twice", s.trigger.as_str()),
                ));
            }
            if s.sample_basis_points > 10_000 {
                errors.push(RowError::new(i, "sample_percent", "must be 0 to 100"));
            }
            if s.delay_hours > MAX_TRIGGER_DELAY_HOURS {
                errors.push(RowError::new(
                    i,
                    "delay_hours",
                    "must be 0 to 2160 (90 days)",
                ));
            }
            if !(1..=MAX_PURCHASE_AGE_DAYS).contains(&s.max_age_days) {
                errors.push(RowError::new(i, "max_age_days", "must be 1 to 365"));
            }
            if s.enabled && s.survey.is_none() {
                errors.push(RowError::new(
                    i,
                    "survey",
                    "an enabled trigger needs a survey",
                ));
            }
        }
        let sql = "INSERT INTO survey_triggers (trigger, enabled, survey_name, sample_bp, \
                   delay_hours, max_age_days, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                   ON CONFLICT (trigger) DO UPDATE SET enabled = excluded.enabled, \
                   survey_name = excluded.survey_name, sample_bp = excluded.sample_bp, \
                   delay_hours = excluded.delay_hours, max_age_days = excluded.max_age_days, \
                   updated_at = excluded.updated_at";
        let put = "INSERT INTO settings (key, value) VALUES ($1, $2) \
                   ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for (i, s) in triggers.iter().enumerate() {
                let Some(name) = &s.survey else { continue };
                let kind: Option<String> = sqlx::query_scalar(
                    "SELECT kind FROM surveys WHERE name = $1 AND active")
                    .bind(name).fetch_optional(&mut *tx).await?;
                match kind {
                    None => errors.push(RowError::new(i, "survey", format!("no survey is named {:?}", name.chars().take(100).collect::<String>()))),
                    Some(k) if s.trigger == InvitationTrigger::Lost && SurveyKind::parse(&k) != Some(SurveyKind::Exit) => errors.push(RowError::new(
                        i, "survey", format!("lost customers get an exit interview; {name:?} is {k}"))),
                    Some(_) => {}
                }
            }
            if !errors.is_empty() {
                tx.rollback().await?;
                errors.sort_by_key(|e| e.index);
                return Err(StoreError::Rejected { rows: errors });
            }
            for s in triggers {
                sqlx::query(sql)
                    .bind(s.trigger.as_str())
                    .bind(s.enabled)
                    .bind(&s.survey)
                    .bind(i64::from(s.sample_basis_points))
                    .bind(i64::from(s.delay_hours))
                    .bind(i64::from(s.max_age_days))
                    .bind(to_micros(now))
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some(seed) = seed {
                sqlx::query(put).bind(SEED_KEY).bind(seed).execute(&mut *tx).await?;
            }
            if let Some(yes) = require_consent {
                sqlx::query(put).bind(CONSENT_KEY).bind(if yes { "true" } else { "false" })
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        self.survey_trigger_settings().await
    }

    /// The seed of the after-purchase sample (32 hex digits, random, created on first use
    /// unless set with [`Store::set_survey_triggers`]).
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Random`].
    pub async fn survey_trigger_seed(&self) -> Result<String, StoreError> {
        self.setting_or_init(SEED_KEY, || random_hex(16)).await
    }

    /// Whether the triggers invite only customers who gave their consent (opted in through
    /// [`Store::set_survey_consent`]); default false (everyone not opted out).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn survey_trigger_requires_consent(&self) -> Result<bool, StoreError> {
        Ok(self.setting(CONSENT_KEY).await?.as_deref() == Some("true"))
    }

    /// Records the customers a refit puts in the at-risk or lost stage (`current`, by
    /// external id; every other customer is in neither) and queues an occasion for each
    /// customer who entered one of them since the last call — at-risk for `at_risk`, the
    /// exit interview for `lost` — when that trigger is enabled, due after its delay. The
    /// first call ever records the stages only (the baseline). One database transaction,
    /// so an episode is queued exactly once, across restarts. Unknown or erased customers
    /// are left out.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn record_lifecycle_stages(
        &self,
        current: &[(String, TrackedStage)],
        now: DateTime<Utc>,
    ) -> Result<StageChanges, StoreError> {
        let now_us = to_micros(now);
        let mut out = StageChanges::default();
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let settings = complete(sqlx::query_as(SETTINGS_SELECT).fetch_all(&mut *tx).await?)?;
            let baseline: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(BASELINE_KEY).fetch_optional(&mut *tx).await?;
            let stored: Vec<(i64, Option<String>, String)> = sqlx::query_as(
                "SELECT s.customer_id, c.external_id, s.stage FROM survey_trigger_stages s \
                 JOIN customers c ON c.id = s.customer_id")
                .fetch_all(&mut *tx).await?;
            let now_map: HashMap<&str, TrackedStage> =
                current.iter().map(|(c, s)| (c.as_str(), *s)).collect();
            let mut known: HashMap<String, (i64, TrackedStage)> = HashMap::with_capacity(stored.len());
            let mut gone: Vec<i64> = Vec::new();
            for (id, ext, stage) in stored {
                let stage = TrackedStage::parse(&stage).ok_or(StoreError::Corrupt {
                    column: "survey_trigger_stages.stage",
                    value: stage.clone(),
                })?;
                match ext {
                    Some(ext) if now_map.contains_key(ext.as_str()) => {
                        known.insert(ext, (id, stage));
                    }
                    _ => gone.push(id),
                }
            }
            // Entered: a stage other than the stored one (or none stored).
            let mut changed: Vec<(i64, TrackedStage)> = Vec::new();
            let mut new: Vec<(&str, TrackedStage)> = Vec::new();
            for (ext, stage) in &now_map {
                match known.get(*ext) {
                    Some((_, s)) if s == stage => {}
                    Some((id, _)) => changed.push((*id, *stage)),
                    None => new.push((*ext, *stage)),
                }
            }
            new.sort_unstable();
            let mut ids: HashMap<String, i64> = HashMap::with_capacity(new.len());
            for chunk in new.chunks(CHUNK) {
                let mut qb = QueryBuilder::new(
                    "SELECT external_id, id FROM customers WHERE erased_at IS NULL AND external_id IN ");
                push_in_list(&mut qb, chunk.iter().map(|(c, _)| *c));
                for r in qb.build().fetch_all(&mut *tx).await? {
                    ids.insert(r.try_get(0)?, r.try_get(1)?);
                }
            }
            let inserted: Vec<(i64, TrackedStage)> = new
                .iter()
                .filter_map(|(c, s)| ids.get(*c).map(|id| (*id, *s)))
                .collect();
            gone.sort_unstable();
            for chunk in gone.chunks(CHUNK) {
                let mut qb = QueryBuilder::new("DELETE FROM survey_trigger_stages WHERE customer_id IN (");
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                qb.push(")");
                qb.build().execute(&mut *tx).await?;
            }
            for (id, stage) in &changed {
                sqlx::query("UPDATE survey_trigger_stages SET stage = $1, since = $2 WHERE customer_id = $3")
                    .bind(stage.as_str()).bind(now_us).bind(*id).execute(&mut *tx).await?;
            }
            for chunk in inserted.chunks(CHUNK) {
                let mut qb = QueryBuilder::new("INSERT INTO survey_trigger_stages (customer_id, stage, since) ");
                qb.push_values(chunk.iter(), |mut b, (id, stage)| {
                    b.push_bind(*id).push_bind(stage.as_str()).push_bind(now_us);
                });
                qb.build().execute(&mut *tx).await?;
            }
            out.left = gone.len() as u64;
            let entered: Vec<(i64, TrackedStage)> = changed.into_iter().chain(inserted).collect();
            out.entered_at_risk = entered.iter().filter(|e| e.1 == TrackedStage::AtRisk).count() as u64;
            out.entered_lost = entered.iter().filter(|e| e.1 == TrackedStage::Lost).count() as u64;
            if baseline.is_none() {
                out.baseline = true;
                sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                    .bind(BASELINE_KEY).bind(now.to_rfc3339()).execute(&mut *tx).await?;
            } else {
                for (id, stage) in &entered {
                    let Some(s) = settings.iter().find(|s| s.trigger == stage.trigger()) else { continue };
                    if !s.enabled {
                        continue;
                    }
                    let due = now_us + i64::from(s.delay_hours) * 3_600_000_000;
                    out.queued += sqlx::query(
                        "INSERT INTO survey_trigger_queue (trigger, customer_id, occasion, due_at, \
                         state, created_at) VALUES ($1, $2, $3, $4, 'pending', $5) \
                         ON CONFLICT (trigger, customer_id, occasion) DO NOTHING")
                        .bind(s.trigger.as_str()).bind(*id).bind(now_us).bind(due).bind(now_us)
                        .execute(&mut *tx).await?.rows_affected();
                }
            }
            tx.commit().await?;
        });
        Ok(out)
    }

    /// The after-purchase trigger: when enabled, looks at every purchase (a positive
    /// amount) whose local day is at most its `max_age_days` before `now`'s UTC date,
    /// once per customer and day, samples them ([`purchase_sampled`] under the seed) and
    /// queues each sampled one not queued before, due after the trigger's delay. Re-running
    /// it (after a re-sent batch, a restart) queues nothing twice.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`], [`StoreError::Random`].
    pub async fn queue_recent_purchases(
        &self,
        now: DateTime<Utc>,
    ) -> Result<PurchaseScan, StoreError> {
        let Some(s) = self
            .survey_trigger_settings()
            .await?
            .into_iter()
            .find(|s| s.trigger == InvitationTrigger::Purchase && s.enabled)
        else {
            return Ok(PurchaseScan::default());
        };
        let seed = self.survey_trigger_seed().await?;
        let today = comeback_core::Day::from_date(now.date_naive());
        let first = i64::from(today.0) - i64::from(s.max_age_days);
        let now_us = to_micros(now);
        let due = now_us + i64::from(s.delay_hours) * 3_600_000_000;
        let mut out = PurchaseScan::default();
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let rows: Vec<(i64, String, i64)> = sqlx::query_as(
                "SELECT DISTINCT t.customer_id, c.external_id, t.local_day FROM transactions t \
                 JOIN customers c ON c.id = t.customer_id \
                 WHERE t.local_day >= $1 AND t.amount_micros > 0 AND c.erased_at IS NULL \
                 AND c.external_id IS NOT NULL ORDER BY t.customer_id, t.local_day")
                .bind(first).fetch_all(&mut *tx).await?;
            out.purchase_days = rows.len() as u64;
            for (id, ext, day) in rows {
                let Some(date) = i32::try_from(day).ok().and_then(|d| comeback_core::Day(d).date()) else {
                    continue;
                };
                if !purchase_sampled(&seed, &ext, date, s.sample_basis_points) {
                    continue;
                }
                out.sampled += 1;
                out.queued += sqlx::query(
                    "INSERT INTO survey_trigger_queue (trigger, customer_id, occasion, due_at, \
                     state, created_at) VALUES ('purchase', $1, $2, $3, 'pending', $4) \
                     ON CONFLICT (trigger, customer_id, occasion) DO NOTHING")
                    .bind(id).bind(day).bind(due).bind(now_us)
                    .execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
        });
        Ok(out)
    }

    /// Turns up to `limit` queued occasions due by `now` (oldest first) into invitations of
    /// their trigger's survey (its active version), valid for `valid_for`, or records why
    /// not ([`TriggerSkip`], checked in this order: trigger off, no survey, not an exit
    /// interview for `lost`, erased, opted out, no consent when required, no longer in the
    /// stage, invited to any survey within `min_days_between` days). One database
    /// transaction; an occasion is processed once even by concurrent callers.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`], [`StoreError::Random`].
    pub async fn process_survey_triggers(
        &self,
        now: DateTime<Utc>,
        valid_for: Duration,
        min_days_between: u32,
        limit: u32,
    ) -> Result<ProcessedTriggers, StoreError> {
        let now_us = to_micros(now);
        let expires = to_micros(now + valid_for);
        let since = to_micros(now - Duration::days(i64::from(min_days_between)));
        let require_consent = self.survey_trigger_requires_consent().await?;
        let mut nonces = Vec::new();
        let mut skipped = Vec::new();
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let settings = complete(sqlx::query_as(SETTINGS_SELECT).fetch_all(&mut *tx).await?)?;
            let due: Vec<(i64, String, i64)> = sqlx::query_as(
                "SELECT id, trigger, customer_id FROM survey_trigger_queue \
                 WHERE state = 'pending' AND due_at <= $1 ORDER BY due_at, id LIMIT $2")
                .bind(now_us).bind(i64::from(limit)).fetch_all(&mut *tx).await?;
            // The active version of each trigger's survey.
            let mut surveys: HashMap<InvitationTrigger, Option<(i64, SurveyKind)>> = HashMap::new();
            for s in &settings {
                let mut found = None;
                if let Some(name) = &s.survey {
                    let r: Option<(i64, String)> = sqlx::query_as(
                        "SELECT id, kind FROM surveys WHERE name = $1 AND active")
                        .bind(name).fetch_optional(&mut *tx).await?;
                    found = r.and_then(|(id, k)| SurveyKind::parse(&k).map(|k| (id, k)));
                }
                surveys.insert(s.trigger, found);
            }
            let mut invited_now: HashSet<i64> = HashSet::new();
            for (qid, trigger, customer_id) in due {
                let trigger = InvitationTrigger::parse(&trigger).ok_or(StoreError::Corrupt {
                    column: "survey_trigger_queue.trigger",
                    value: trigger.clone(),
                })?;
                let ext: Option<(Option<String>, Option<i64>)> = sqlx::query_as(
                    "SELECT external_id, erased_at FROM customers WHERE id = $1")
                    .bind(customer_id).fetch_optional(&mut *tx).await?;
                let ext_id = ext.as_ref().and_then(|e| e.0.clone());
                let enabled = settings.iter().any(|s| s.trigger == trigger && s.enabled);
                let survey = surveys.get(&trigger).copied().flatten();
                let mut reason = None;
                if !enabled {
                    reason = Some(TriggerSkip::Disabled);
                } else if survey.is_none() {
                    reason = Some(TriggerSkip::NoSurvey);
                } else if trigger == InvitationTrigger::Lost && survey.map(|s| s.1) != Some(SurveyKind::Exit) {
                    reason = Some(TriggerSkip::NotExitInterview);
                } else if !matches!(&ext, Some((Some(_), None))) {
                    reason = Some(TriggerSkip::Erased);
                }
                if reason.is_none() {
                    let consent: Option<bool> = sqlx::query_scalar(
                        "SELECT opted_out FROM survey_consent WHERE customer_id = $1")
                        .bind(customer_id).fetch_optional(&mut *tx).await?;
                    if consent == Some(true) {
                        reason = Some(TriggerSkip::OptedOut);
                    } else if require_consent && consent.is_none() {
                        reason = Some(TriggerSkip::NoConsent);
                    }
                }
                if reason.is_none() && trigger != InvitationTrigger::Purchase {
                    let stage: Option<String> = sqlx::query_scalar(
                        "SELECT stage FROM survey_trigger_stages WHERE customer_id = $1")
                        .bind(customer_id).fetch_optional(&mut *tx).await?;
                    if stage.as_deref() != Some(trigger.as_str()) {
                        reason = Some(TriggerSkip::LeftStage);
                    }
                }
                if reason.is_none() {
                    let recent: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM survey_invitations WHERE customer_id = $1 AND created_at > $2")
                        .bind(customer_id).bind(since).fetch_one(&mut *tx).await?;
                    if recent > 0 || invited_now.contains(&customer_id) {
                        reason = Some(TriggerSkip::Throttled);
                    }
                }
                let survey_id = survey.map(|s| s.0);
                match reason {
                    Some(r) => {
                        let n = sqlx::query(
                            "UPDATE survey_trigger_queue SET state = 'skipped', reason = $1, \
                             survey_id = $2, processed_at = $3 WHERE id = $4 AND state = 'pending'")
                            .bind(r.as_str()).bind(survey_id).bind(now_us).bind(qid)
                            .execute(&mut *tx).await?.rows_affected();
                        if n > 0 {
                            skipped.push((trigger, ext_id, r));
                        }
                    }
                    None => {
                        let nonce = random_hex(16)?;
                        let inv: i64 = sqlx::query_scalar(
                            "INSERT INTO survey_invitations (survey_id, customer_id, nonce, trigger, \
                             state, created_at, expires_at) VALUES ($1, $2, $3, $4, 'sent', $5, $6) \
                             RETURNING id")
                            .bind(survey_id).bind(customer_id).bind(&nonce).bind(trigger.as_str())
                            .bind(now_us).bind(expires)
                            .fetch_one(&mut *tx).await?;
                        let n = sqlx::query(
                            "UPDATE survey_trigger_queue SET state = 'invited', survey_id = $1, \
                             invitation_id = $2, processed_at = $3 WHERE id = $4 AND state = 'pending'")
                            .bind(survey_id).bind(inv).bind(now_us).bind(qid)
                            .execute(&mut *tx).await?.rows_affected();
                        if n == 0 {
                            // Another caller processed it first: undo this one.
                            sqlx::query("DELETE FROM survey_invitations WHERE id = $1")
                                .bind(inv).execute(&mut *tx).await?;
                        } else {
                            invited_now.insert(customer_id);
                            nonces.push(nonce);
                        }
                    }
                }
            }
            tx.commit().await?;
        });
        let mut invited = Vec::with_capacity(nonces.len());
        for n in &nonces {
            if let Some(i) = self.invitation(n).await? {
                invited.push(i);
            }
        }
        Ok(ProcessedTriggers { invited, skipped })
    }

    /// The triggered occasions, newest first (at most `limit`), optionally of one trigger
    /// and one state (`pending`, `invited`, `skipped`).
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn survey_trigger_log(
        &self,
        trigger: Option<InvitationTrigger>,
        state: Option<&str>,
        limit: u32,
    ) -> Result<Vec<TriggerLogEntry>, StoreError> {
        type Row = (
            i64,
            String,
            Option<String>,
            i64,
            i64,
            String,
            Option<String>,
            Option<String>,
            Option<i64>,
            i64,
            Option<i64>,
        );
        let sql = "SELECT q.id, q.trigger, c.external_id, q.occasion, q.due_at, q.state, q.reason, \
                   s.name, s.version, q.created_at, q.processed_at FROM survey_trigger_queue q \
                   JOIN customers c ON c.id = q.customer_id \
                   LEFT JOIN surveys s ON s.id = q.survey_id \
                   WHERE ($1 = '' OR q.trigger = $1) AND ($2 = '' OR q.state = $2) \
                   ORDER BY q.id DESC LIMIT $3";
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(sql)
            .bind(trigger.map_or("", InvitationTrigger::as_str))
            .bind(state.unwrap_or(""))
            .bind(i64::from(limit))
            .fetch_all(p).await?);
        rows.into_iter()
            .map(|r| {
                let trigger = InvitationTrigger::parse(&r.1).ok_or(StoreError::Corrupt {
                    column: "survey_trigger_queue.trigger",
                    value: r.1.clone(),
                })?;
                Ok(TriggerLogEntry {
                    id: r.0,
                    trigger,
                    customer: r.2,
                    purchase_day: (trigger == InvitationTrigger::Purchase)
                        .then(|| {
                            i32::try_from(r.3)
                                .ok()
                                .and_then(|d| comeback_core::Day(d).date())
                        })
                        .flatten(),
                    due_at: from_micros("survey_trigger_queue.due_at", r.4)?,
                    state: r.5,
                    reason: r.6,
                    survey: r.7,
                    survey_version: r.8,
                    created_at: from_micros("survey_trigger_queue.created_at", r.9)?,
                    processed_at: r
                        .10
                        .map(|t| from_micros("survey_trigger_queue.processed_at", t))
                        .transpose()?,
                })
            })
            .collect()
    }

    /// How many occasions each trigger has in each state: (trigger, state, count).
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn survey_trigger_counts(
        &self,
    ) -> Result<Vec<(InvitationTrigger, String, u64)>, StoreError> {
        let sql = "SELECT trigger, state, COUNT(*) FROM survey_trigger_queue \
                   GROUP BY trigger, state ORDER BY trigger, state";
        let rows: Vec<(String, String, i64)> =
            on_pool!(self, p => sqlx::query_as(sql).fetch_all(p).await?);
        rows.into_iter()
            .map(|(t, s, n)| {
                let t = InvitationTrigger::parse(&t).ok_or(StoreError::Corrupt {
                    column: "survey_trigger_queue.trigger",
                    value: t.clone(),
                })?;
                Ok((t, s, u64::try_from(n).unwrap_or(0)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_is_the_documented_hash() {
        // SHA-256("s\nc-1\n2026-11-30") starts 0x…; the draw is its first 8 bytes mod 10⁴.
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let digest = Sha256::digest(b"s\nc-1\n2026-11-30");
        let x = u64::from_be_bytes(digest[..8].try_into().unwrap()) % 10_000;
        assert!(purchase_sampled(
            "s",
            "c-1",
            day,
            u32::try_from(x).unwrap() + 1
        ));
        assert!(!purchase_sampled(
            "s",
            "c-1",
            day,
            u32::try_from(x).unwrap()
        ));
        assert!(!purchase_sampled("s", "c-1", day, 0));
        assert!(purchase_sampled("s", "c-1", day, 10_000));
        // About the rate over many customers.
        let n = (0..10_000)
            .filter(|i| purchase_sampled("seed", &format!("c-{i}"), day, 2_500))
            .count();
        assert!((2_300..2_700).contains(&n), "{n}");
    }
}
