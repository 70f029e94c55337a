//! Survey triggers that fire by themselves (issue 8, PRODUCT R6): after a purchase
//! (sampled), on entering the at-risk stage, on becoming lost (the exit interview).
//!
//! The store keeps the state ([`comeback_store::Store::record_lifecycle_stages`],
//! [`comeback_store::Store::queue_recent_purchases`],
//! [`comeback_store::Store::process_survey_triggers`]); this module calls it at the right
//! moments and announces each invitation:
//! - after every successful refit ([`Triggers::after_refit`], hooked into the score cache by
//!   the application): the customers the new analysis puts in the at-risk or lost stage are
//!   recorded, and those who entered a stage since the last look are queued — exactly once
//!   per episode, also across restarts; then [`Triggers::run`];
//! - [`Triggers::run`], also every `--survey-trigger-check-ms` ([`spawn`]): the purchases of
//!   the last days are sampled and queued (each purchase day once), and every queued
//!   occasion whose delay has passed becomes an invitation — or is recorded as skipped with
//!   the reason (throttled, opted out, no consent, erased, left the stage, trigger off);
//! - every invitation made fires the `survey.invited` webhook ([`invited_event`]) for the
//!   business's mailing tool; it is also in the survey's links CSV.
//!
//! Runs are serialised by a lock shared through [`crate::surveys::SurveyState`].

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use comeback_analysis::Analysis;
use comeback_core::LifecycleStage;
use comeback_store::{Invitation, Store, StoreError, TrackedStage};
use serde_json::json;

use crate::Settings;
use crate::surveys::SurveyState;
use crate::webhooks::{EventKind, Webhooks};

/// Occasions processed per database transaction.
const BATCH: u32 = 500;

/// What one run of the triggers did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TriggerRun {
    /// The stage changes recorded (after a refit only).
    pub stages: Option<comeback_store::StageChanges>,
    /// The purchases looked at and sampled.
    pub purchases: comeback_store::PurchaseScan,
    /// Invitations made.
    pub invited: u64,
    /// Occasions skipped (with their reasons in the store's log).
    pub skipped: u64,
}

/// What the triggers need of the application: the store, the link signer, the webhooks,
/// the settings (link lifetime, throttle, public URL). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Triggers {
    store: Store,
    surveys: SurveyState,
    webhooks: Webhooks,
    settings: Arc<Settings>,
}

impl Triggers {
    /// The triggers over these parts of the application.
    pub fn new(
        store: Store,
        surveys: SurveyState,
        webhooks: Webhooks,
        settings: Arc<Settings>,
    ) -> Triggers {
        Triggers {
            store,
            surveys,
            webhooks,
            settings,
        }
    }

    /// The triggers of a running application.
    pub fn of(state: &crate::AppState) -> Triggers {
        Triggers::new(
            state.store.clone(),
            state.surveys.clone(),
            state.webhooks.clone(),
            state.settings.clone(),
        )
    }

    /// After a refit: records which customers `analysis` puts in the at-risk and lost
    /// stages (queuing those who entered one, when its trigger is on), then [`Self::run`].
    ///
    /// # Errors
    /// The store's.
    pub async fn after_refit(
        &self,
        analysis: &Analysis,
        now: DateTime<Utc>,
    ) -> Result<TriggerRun, StoreError> {
        let current: Vec<(String, TrackedStage)> = analysis
            .summary
            .customers
            .iter()
            .zip(&analysis.lifecycle.stages)
            .filter_map(|(c, s)| {
                let stage = match s {
                    LifecycleStage::AtRisk => TrackedStage::AtRisk,
                    LifecycleStage::Lost => TrackedStage::Lost,
                    _ => return None,
                };
                Some((c.customer_id.to_string(), stage))
            })
            .collect();
        let _guard = self.surveys.trigger_lock.lock().await;
        let stages = self.store.record_lifecycle_stages(&current, now).await?;
        let mut run = self.run_locked(now).await?;
        run.stages = Some(stages);
        Ok(run)
    }

    /// Samples and queues the recent purchases, then turns every due occasion into an
    /// invitation (firing `survey.invited`) or records why not.
    ///
    /// # Errors
    /// The store's.
    pub async fn run(&self, now: DateTime<Utc>) -> Result<TriggerRun, StoreError> {
        let _guard = self.surveys.trigger_lock.lock().await;
        self.run_locked(now).await
    }

    async fn run_locked(&self, now: DateTime<Utc>) -> Result<TriggerRun, StoreError> {
        let purchases = self.store.queue_recent_purchases(now).await?;
        let s = &self.settings.surveys;
        let mut run = TriggerRun {
            purchases,
            ..TriggerRun::default()
        };
        loop {
            let done = self
                .store
                .process_survey_triggers(
                    now,
                    chrono::Duration::days(i64::from(s.survey_link_days)),
                    s.survey_min_days,
                    BATCH,
                )
                .await?;
            let n = done.invited.len() + done.skipped.len();
            run.invited += done.invited.len() as u64;
            run.skipped += done.skipped.len() as u64;
            for i in &done.invited {
                self.webhooks
                    .fire(EventKind::SurveyInvited, invited_event(self, i));
            }
            if n < BATCH as usize {
                break;
            }
        }
        if run.invited > 0 || run.skipped > 0 {
            tracing::info!(
                invited = run.invited,
                skipped = run.skipped,
                "survey triggers"
            );
        }
        Ok(run)
    }
}

/// The `survey.invited` webhook data of an invitation: `customer`, `language` (the
/// customer's stored language or `null`), `survey`, `survey_version`, `kind`, `trigger`
/// (`manual`, `purchase`, `at_risk`, `lost`), `path` (`/s/{token}`), `link` and
/// `unsubscribe_link` (absolute under `--public-url`; `null` without it), `created_at`,
/// `expires_at` (RFC 3339 UTC).
pub fn invited_event(t: &Triggers, i: &Invitation) -> serde_json::Value {
    invitation_data(
        &t.surveys,
        t.settings
            .public_url
            .as_deref()
            .map(|u| u.trim_end_matches('/')),
        i,
    )
}

/// As [`invited_event`], with links under `base` (no trailing slash) when given.
pub fn invitation_data(
    surveys: &SurveyState,
    base: Option<&str>,
    i: &Invitation,
) -> serde_json::Value {
    let token = surveys.token(i);
    let path = token.as_ref().map(|t| format!("/s/{t}"));
    let abs = |suffix: &str| {
        base.zip(path.as_deref())
            .map(|(b, p)| format!("{b}{p}{suffix}"))
    };
    let secs = chrono::SecondsFormat::Secs;
    json!({
        "customer": i.customer,
        "language": i.customer_language,
        "survey": i.survey.name,
        "survey_version": i.survey.version,
        "kind": i.survey.kind.as_str(),
        "trigger": i.trigger.as_str(),
        "path": path,
        "link": abs(""),
        "unsubscribe_link": abs("/unsubscribe"),
        "created_at": i.created_at.to_rfc3339_opts(secs, true),
        "expires_at": i.expires_at.to_rfc3339_opts(secs, true),
    })
}

/// Runs the triggers every `every` (the first run at once) until the returned task is
/// aborted (errors are logged).
pub fn spawn(triggers: Triggers, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = triggers.run(Utc::now()).await {
                tracing::warn!(error = %e, "survey triggers not run");
            }
        }
    })
}
