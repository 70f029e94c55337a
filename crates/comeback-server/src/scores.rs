//! Per-customer scores (P(alive), CLV, RFM segment, lifecycle stage), the headline metrics
//! and the action lists: [`comeback_analysis::analyze`] — the same pipeline as
//! `comeback analyze` — run on the stored transaction log in the background and cached.
//!
//! A refit reads the log from the store, then runs the analysis on a blocking thread
//! (`tokio::task::spawn_blocking`); readers keep getting the previous [`Snapshot`] until
//! the new one replaces it in one pointer swap, so reads are never blocked by a refit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use chrono::{DateTime, Utc};
use comeback_analysis::{Analysis, AnalysisOptions};
use comeback_store::{LogQuery, Store};

/// One completed analysis and when it was made.
#[derive(Debug)]
pub struct Snapshot {
    /// When the refit finished (UTC).
    pub computed_at: DateTime<Utc>,
    /// When the refit started (UTC); transactions stored after it are not in it.
    pub started_at: DateTime<Utc>,
    /// The analysis.
    pub analysis: Analysis,
    /// The ISO 4217 code of the analysed amounts (all stored transactions share one);
    /// `None` when it could not be read.
    pub currency: Option<String>,
}

/// The state of the latest refit.
#[derive(Debug, Clone, PartialEq)]
pub enum RefitState {
    /// No refit has run.
    Never,
    /// A refit is running since this instant.
    Running {
        /// Start (UTC).
        since: DateTime<Utc>,
    },
    /// The latest refit succeeded.
    Succeeded {
        /// End (UTC).
        at: DateTime<Utc>,
    },
    /// The latest refit failed; the previous snapshot (if any) stays in use.
    Failed {
        /// End (UTC).
        at: DateTime<Utc>,
        /// Why, lowercase.
        message: String,
    },
}

/// What the debounced refit ([`Scores::request_refit`]) is waiting for.
#[derive(Debug, Default)]
struct Debounce {
    /// The refit starts once this instant has passed (each request pushes it back).
    deadline: Option<tokio::time::Instant>,
    /// When the latest request came (a refit started after it covers it).
    last_request: Option<tokio::time::Instant>,
    /// A task is waiting for the deadline.
    waiting: bool,
}

/// Where the running refit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// No refit is running.
    #[default]
    Idle,
    /// Reading the transaction log from the store.
    ReadingLog,
    /// Fitting the models and scoring (the log is read).
    Fitting,
}

impl Phase {
    /// `idle`, `reading_log` or `fitting`.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::ReadingLog => "reading_log",
            Phase::Fitting => "fitting",
        }
    }
}

#[derive(Debug)]
struct Inner {
    snapshot: RwLock<Option<Arc<Snapshot>>>,
    debounce: Mutex<Debounce>,
    last_start: Mutex<Option<tokio::time::Instant>>,
    progress: Mutex<(Phase, Option<usize>)>,
    completed: std::sync::atomic::AtomicU64,
    state: Mutex<RefitState>,
    running: AtomicBool,
    stale: AtomicBool,
    options: AnalysisOptions,
    webhooks: OnceLock<crate::webhooks::Webhooks>,
}

/// The score cache shared by the handlers. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Scores {
    inner: Arc<Inner>,
}

impl Default for Scores {
    fn default() -> Self {
        Scores::new(AnalysisOptions {
            // Point estimates only: the bootstrap intervals of the headline cost many
            // refits and the API shows them only as what the analysis gives.
            bootstrap: 0,
            ..AnalysisOptions::default()
        })
    }
}

impl Scores {
    /// An empty cache whose refits use `options`.
    pub fn new(options: AnalysisOptions) -> Scores {
        Scores {
            inner: Arc::new(Inner {
                snapshot: RwLock::new(None),
                debounce: Mutex::new(Debounce::default()),
                last_start: Mutex::new(None),
                progress: Mutex::new((Phase::Idle, None)),
                completed: std::sync::atomic::AtomicU64::new(0),
                state: Mutex::new(RefitState::Never),
                running: AtomicBool::new(false),
                stale: AtomicBool::new(true),
                options,
                webhooks: OnceLock::new(),
            }),
        }
    }

    /// The latest snapshot, if any refit has succeeded.
    pub fn current(&self) -> Option<Arc<Snapshot>> {
        self.inner
            .snapshot
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The state of the latest refit.
    pub fn state(&self) -> RefitState {
        self.inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// True when transactions were stored after the start of the latest successful refit
    /// (or none has succeeded).
    pub fn is_stale(&self) -> bool {
        self.inner.stale.load(Ordering::SeqCst)
    }

    /// Records that new transactions were stored.
    pub fn mark_stale(&self) {
        self.inner.stale.store(true, Ordering::SeqCst);
    }

    /// Fires "customer entered at risk" ([`crate::webhooks::EventKind::CustomerAtRisk`])
    /// through `webhooks` after each successful refit, for the customers who moved into
    /// the at-risk stage since the previous snapshot (the first snapshot after a start is
    /// the baseline: nothing fires for it). Only the first call has an effect.
    pub fn set_webhooks(&self, webhooks: crate::webhooks::Webhooks) {
        let _ = self.inner.webhooks.set(webhooks);
    }

    /// Asks for a refit after new data were stored, debounced: the refit starts once
    /// `wait` has passed without a further request (each request pushes the start back),
    /// and not while one runs (it starts after that one). A refit that started after the
    /// latest request already includes its data, so none is added for it. Several uploads
    /// in a short window thus give one refit. Marks the scores stale at once.
    pub fn request_refit(&self, store: Store, wait: std::time::Duration) {
        self.mark_stale();
        let now = tokio::time::Instant::now();
        let mut d = lock(&self.inner.debounce);
        d.deadline = Some(now + wait);
        d.last_request = Some(now);
        if d.waiting {
            return;
        }
        d.waiting = true;
        drop(d);
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                let deadline = lock(&this.inner.debounce).deadline;
                if let Some(t) = deadline
                    && tokio::time::Instant::now() < t
                {
                    tokio::time::sleep_until(t).await;
                    continue;
                }
                if this.inner.running.load(Ordering::SeqCst) {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
                let done = {
                    let mut d = lock(&this.inner.debounce);
                    if d.deadline.is_some_and(|t| tokio::time::Instant::now() < t) {
                        continue;
                    }
                    let covered = match (*lock(&this.inner.last_start), d.last_request) {
                        (Some(started), Some(asked)) => started >= asked,
                        _ => false,
                    };
                    let done = covered || this.start_refit(store.clone());
                    if done {
                        d.deadline = None;
                        d.waiting = false;
                    }
                    done
                };
                if done {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        });
    }

    /// True while a requested refit waits for its debounce window or for a running refit.
    pub fn refit_pending(&self) -> bool {
        lock(&self.inner.debounce).waiting
    }

    /// The phase of the running refit and the customers it is fitting (once the log is
    /// read).
    pub fn progress(&self) -> (Phase, Option<usize>) {
        *lock(&self.inner.progress)
    }

    /// Refits finished (successfully or not) since the start.
    pub fn completed_refits(&self) -> u64 {
        self.inner.completed.load(Ordering::SeqCst)
    }

    fn set_state(&self, s: RefitState) {
        *self
            .inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = s;
    }

    /// Starts a refit in the background unless one is running. Returns `false` when one was
    /// already running (nothing new started).
    pub fn start_refit(&self, store: Store) -> bool {
        if self
            .inner
            .running
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return false;
        }
        let since = Utc::now();
        *lock(&self.inner.last_start) = Some(tokio::time::Instant::now());
        *lock(&self.inner.progress) = (Phase::ReadingLog, None);
        self.set_state(RefitState::Running { since });
        let this = self.clone();
        tokio::spawn(async move {
            let result = this.refit(&store, since).await;
            let at = Utc::now();
            match result {
                Ok(snapshot) => {
                    let snapshot = Arc::new(snapshot);
                    let previous = this
                        .inner
                        .snapshot
                        .write()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .replace(snapshot.clone());
                    if let (Some(previous), Some(webhooks)) = (previous, this.inner.webhooks.get())
                    {
                        fire_entered_at_risk(webhooks, &previous, &snapshot);
                    }
                    this.set_state(RefitState::Succeeded { at });
                    tracing::info!("scores refitted");
                }
                Err(message) => {
                    tracing::warn!(%message, "refit failed");
                    this.set_state(RefitState::Failed { at, message });
                }
            }
            *lock(&this.inner.progress) = (Phase::Idle, None);
            this.inner.completed.fetch_add(1, Ordering::SeqCst);
            this.inner.running.store(false, Ordering::SeqCst);
        });
        true
    }

    async fn refit(&self, store: &Store, started_at: DateTime<Utc>) -> Result<Snapshot, String> {
        // Cleared before reading: a batch stored during the read marks it again.
        self.inner.stale.store(false, Ordering::SeqCst);
        let log = match store.transaction_log(&LogQuery::default()).await {
            Ok(l) => l,
            Err(e) => {
                self.mark_stale();
                return Err(e.to_string());
            }
        };
        *lock(&self.inner.progress) = (Phase::Fitting, Some(log.ids().len()));
        let currency = currency_of(store, &log).await;
        let options = self.inner.options.clone();
        let analysis = tokio::task::spawn_blocking(move || {
            comeback_analysis::analyze(&log, &options).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| format!("analysis task: {e}"))?;
        match analysis {
            Ok(analysis) => Ok(Snapshot {
                computed_at: Utc::now(),
                started_at,
                analysis,
                currency,
            }),
            Err(e) => {
                self.mark_stale();
                Err(e)
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Fires [`crate::webhooks::EventKind::CustomerAtRisk`] for each customer of `next` who
/// entered the at-risk stage since `previous`, highest CLV first, at most
/// [`crate::webhooks::MAX_AT_RISK_EVENTS_PER_REFIT`]. The data: `customer` (external id),
/// `previous_stage` (a stage key, `null` for a customer new to the analysis), `stage`
/// (`at_risk`), `p_alive`, `clv` and `value_at_risk` (currency unit), `currency` (ISO 4217
/// or `null`) and `scores_computed_at` (RFC 3339 UTC).
fn fire_entered_at_risk(
    webhooks: &crate::webhooks::Webhooks,
    previous: &Snapshot,
    next: &Snapshot,
) {
    use crate::webhooks::{EventKind, MAX_AT_RISK_EVENTS_PER_REFIT};
    let entered = crate::webhooks::entered_at_risk(&previous.analysis, &next.analysis);
    if entered.len() > MAX_AT_RISK_EVENTS_PER_REFIT {
        tracing::warn!(
            entered = entered.len(),
            fired = MAX_AT_RISK_EVENTS_PER_REFIT,
            "more customers entered at risk than one refit fires events for"
        );
    }
    let a = &next.analysis;
    for &i in entered.iter().take(MAX_AT_RISK_EVENTS_PER_REFIT) {
        let id: &str = &a.summary.customers[i].customer_id;
        let previous_stage = previous
            .analysis
            .customer_index(id)
            .map(|j| previous.analysis.lifecycle.stages[j].key());
        webhooks.fire(
            EventKind::CustomerAtRisk,
            serde_json::json!({
                "customer": id,
                "previous_stage": previous_stage,
                "stage": a.lifecycle.stages[i].key(),
                "p_alive": a.scores.p_alive[i],
                "clv": a.scores.clv[i],
                "value_at_risk": a.value_at_risk[i].value_at_risk,
                "currency": next.currency,
                "scores_computed_at": next.computed_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            }),
        );
    }
}

/// The currency of the log's amounts: that of the first customer's first stored
/// transaction (the log refuses mixed currencies, so one tells all).
async fn currency_of(store: &Store, log: &comeback_core::TransactionLog) -> Option<String> {
    let id = log.ids().first()?.to_string();
    match store.customer_detail(&id).await {
        Ok(d) => d.transactions.into_iter().next().map(|t| t.currency),
        Err(e) => {
            tracing::warn!(error = %e, "currency of the scores not read");
            None
        }
    }
}
