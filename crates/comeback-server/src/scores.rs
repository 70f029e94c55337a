//! Per-customer scores (P(alive), CLV, RFM segment, lifecycle stage), the headline metrics
//! and the action lists: [`comeback_analysis::analyze`] — the same pipeline as
//! `comeback analyze` — run on the stored transaction log in the background and cached.
//!
//! A refit reads the log from the store — on PostgreSQL, the summaries on all data and at
//! the comparison's calibration end are computed inside the database by `comeback-sql`'s
//! summary query ([`Store::database_summaries`]) and the day totals come collapsed per
//! customer and day; on SQLite the day totals are read and summarised in process —, then
//! runs the analysis on a blocking thread
//! (`tokio::task::spawn_blocking`); readers keep getting the previous [`Snapshot`] until
//! the new one replaces it in one pointer swap, so reads are never blocked by a refit. The
//! replaced snapshot is freed on a blocking thread once no reader holds it, so no request
//! pays for freeing a large analysis.
//!
//! # Incremental reads
//! The cache keeps the transaction log of the latest read (per customer, the day totals:
//! about 100 bytes per customer plus 16 per customer-day, 1 M customers with 10 M days ≈
//! 260 MB) and the customers whose transactions were stored since
//! ([`Scores::request_refit_for`]). The debounced refit after ingest then reads from the
//! store only those customers' rows (all of them, so refunds net as in a full read) and
//! swaps their entries into the kept log ([`TransactionLog::replace_customers`]); the
//! untouched customers' rows are not read again. The summary, fit and scores are then
//! computed on the updated log as on a full read (the same numbers: tested). A full read
//! happens for the first refit, for [`Scores::start_refit`] (start-up, `POST
//! /api/v1/model/refit`) and after [`Scores::request_refit`] without a customer list.
//! Rows written to the database by anything but this server are seen at the next full read.
//! This is SQLite's path: on PostgreSQL every refit reads a fresh snapshot, the summaries
//! computed in the database and the day totals collapsed there (the kept log is replaced).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use chrono::{DateTime, Utc};
use comeback_analysis::{Analysis, AnalysisOptions};
use comeback_core::TransactionLog;
use comeback_store::{Backend, LogQuery, Store};

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
    /// How the refit read the transactions.
    pub read: LogRead,
    /// Customers per lifecycle stage ([`Analysis::lifecycle_counts`]), counted once here
    /// rather than on every request (a pass over every customer: milliseconds at 10⁶).
    pub lifecycle_counts: Vec<(comeback_core::LifecycleStage, usize)>,
}

/// How a refit read the transactions from the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogRead {
    /// Every stored row.
    Full,
    /// Only the rows of the customers touched since the previous read, swapped into the
    /// kept log.
    Touched {
        /// Customers whose rows were read (named by ingest since the previous read).
        customers: usize,
    },
}

/// The log kept between refits and what changed since it was read.
#[derive(Debug, Default)]
struct LogCache {
    /// The log of the latest read (full or updated); taken out while a refit updates it.
    log: Option<TransactionLog>,
    /// The currency of its amounts.
    currency: Option<String>,
    /// Customers (external ids) with transactions stored since `log` was read.
    touched: std::collections::HashSet<String>,
    /// Data changed in a way the touched customers do not describe: read everything next.
    full: bool,
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
    log: Mutex<LogCache>,
    options: AnalysisOptions,
    webhooks: OnceLock<crate::webhooks::Webhooks>,
    after_refit: OnceLock<AfterRefit>,
}

/// Work awaited after each successful refit, before the refit counts as finished (the
/// survey triggers): called with the new snapshot.
pub type AfterRefitHook =
    Arc<dyn Fn(Arc<Snapshot>) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

struct AfterRefit(AfterRefitHook);

impl std::fmt::Debug for AfterRefit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AfterRefit")
    }
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
                log: Mutex::new(LogCache::default()),
                options,
                webhooks: OnceLock::new(),
                after_refit: OnceLock::new(),
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

    /// Awaits `hook` after each successful refit, with the new snapshot, before the refit
    /// counts as finished (its state, `completed_refits`); a refit never runs during it.
    /// Only the first call has an effect.
    pub fn set_after_refit(&self, hook: AfterRefitHook) {
        let _ = self.inner.after_refit.set(AfterRefit(hook));
    }

    /// As [`Scores::request_refit`], naming the customers (external ids) whose transactions
    /// were just stored (or erased): the refit reads only their rows and keeps the rest of
    /// the log it read before (see the module docs). Every customer whose rows changed must
    /// be named, or the scores miss the change until the next full read.
    pub fn request_refit_for(
        &self,
        store: Store,
        wait: std::time::Duration,
        customers: impl IntoIterator<Item = String>,
    ) {
        self.touch(customers);
        self.request_refit_inner(store, wait);
    }

    /// Records customers whose transactions changed (stored or erased) without asking for
    /// a refit: the next incremental refit reads their rows again.
    pub fn touch(&self, customers: impl IntoIterator<Item = String>) {
        lock(&self.inner.log).touched.extend(customers);
    }

    /// Asks for a refit after new data were stored, debounced: the refit starts once
    /// `wait` has passed without a further request (each request pushes the start back),
    /// and not while one runs (it starts after that one). A refit that started after the
    /// latest request already includes its data, so none is added for it. Several uploads
    /// in a short window thus give one refit. Marks the scores stale at once. Without a list
    /// of the changed customers ([`Scores::request_refit_for`]) the refit reads every row.
    pub fn request_refit(&self, store: Store, wait: std::time::Duration) {
        lock(&self.inner.log).full = true;
        self.request_refit_inner(store, wait);
    }

    fn request_refit_inner(&self, store: Store, wait: std::time::Duration) {
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
                    let done = covered || this.start(store.clone(), false);
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

    /// Starts a refit that reads every stored row, in the background, unless one is running.
    /// Returns `false` when one was already running (nothing new started).
    pub fn start_refit(&self, store: Store) -> bool {
        self.start(store, true)
    }

    fn start(&self, store: Store, full: bool) -> bool {
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
            let result = this.refit(&store, since, full).await;
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
                    if let Some(previous) = previous {
                        if let Some(webhooks) = this.inner.webhooks.get() {
                            fire_entered_at_risk(webhooks, &previous, &snapshot);
                        }
                        free_when_unused(previous);
                    }
                    if let Some(hook) = this.inner.after_refit.get() {
                        (hook.0)(snapshot.clone()).await;
                    }
                    drop(snapshot);
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

    async fn refit(
        &self,
        store: &Store,
        started_at: DateTime<Utc>,
        full: bool,
    ) -> Result<Snapshot, String> {
        // Cleared before reading: a batch stored during the read marks it again.
        self.inner.stale.store(false, Ordering::SeqCst);
        let read = match store.backend() {
            // PostgreSQL: the summaries by comeback-sql's query inside the database, in one
            // snapshot with the day totals the other sections need (always a full read).
            Backend::Postgres => self.read_database_summaries(store).await,
            // SQLite: the day totals (kept between refits, touched customers read again),
            // summarised in process by the analysis.
            Backend::Sqlite => self
                .read_log(store, full)
                .await
                .map(|(log, currency, read)| (log, currency, read, None)),
        };
        let (log, currency, read, summaries) = match read {
            Ok(r) => r,
            Err(e) => {
                self.mark_stale();
                return Err(e);
            }
        };
        *lock(&self.inner.progress) = (Phase::Fitting, Some(log.ids().len()));
        let options = self.inner.options.clone();
        let (log, analysis) = tokio::task::spawn_blocking(move || {
            let analysis = match summaries {
                Some((summary, calibration)) => comeback_analysis::analyze_with_summaries(
                    &log,
                    &options,
                    summary,
                    calibration,
                    &mut |_| {},
                ),
                None => comeback_analysis::analyze(&log, &options),
            }
            .map(|a| {
                let counts = a.lifecycle_counts();
                (a, counts)
            })
            .map_err(|e| e.to_string());
            (log, analysis)
        })
        .await
        .map_err(|e| format!("analysis task: {e}"))?;
        // The log matches the store whatever the analysis gave: the next refit updates it
        // (SQLite; PostgreSQL reads everything each time, so nothing is kept for it).
        if store.backend() == Backend::Sqlite {
            let mut c = lock(&self.inner.log);
            c.log = Some(log);
            c.currency.clone_from(&currency);
        } else {
            free_in_background(log);
        }
        match analysis {
            Ok((analysis, lifecycle_counts)) => Ok(Snapshot {
                computed_at: Utc::now(),
                started_at,
                analysis,
                currency,
                read,
                lifecycle_counts,
            }),
            Err(e) => {
                self.mark_stale();
                Err(e)
            }
        }
    }
}

/// What a refit analyses: the log, its currency, how it was read, and (PostgreSQL) the
/// summaries computed inside the database.
type RefitInput = (
    TransactionLog,
    Option<String>,
    LogRead,
    Option<(
        comeback_core::Summary,
        Option<comeback_core::CalibrationHoldoutSummary>,
    )>,
);

impl Scores {
    /// PostgreSQL: the summaries on all data and at the comparison's calibration end,
    /// computed inside the database by `comeback-sql`'s query, with the day totals of the
    /// same snapshot ([`Store::database_summaries`]); a full read, so the touched customers
    /// are cleared before it (batches stored during it touch them again).
    async fn read_database_summaries(&self, store: &Store) -> Result<RefitInput, String> {
        {
            let mut c = lock(&self.inner.log);
            c.full = false;
            c.touched.clear();
            c.log = None;
        }
        let options = self.inner.options.clone();
        let d = store
            .database_summaries(options.unit, |s| {
                comeback_analysis::comparison_calibration_end(s, &options)
            })
            .await
            .map_err(|e| {
                lock(&self.inner.log).full = true;
                e.to_string()
            })?;
        let currency = currency_of(store, &d.log).await;
        Ok((
            d.log,
            currency,
            LogRead::Full,
            Some((d.summary, d.calibration)),
        ))
    }

    /// The log to analyse: every row (`full`, the first read, or after a change the touched
    /// customers do not describe), else the kept log with the touched customers read again.
    /// The kept log is taken out of the cache meanwhile and put back by the caller; on an
    /// error the cache is left as it was.
    async fn read_log(
        &self,
        store: &Store,
        full: bool,
    ) -> Result<(TransactionLog, Option<String>, LogRead), String> {
        let taken = {
            let mut c = lock(&self.inner.log);
            if full || c.full || c.log.is_none() {
                // Everything committed before this point is in the read below; later
                // batches touch customers again.
                c.full = false;
                c.touched.clear();
                c.log = None;
                None
            } else {
                let touched: Vec<String> = std::mem::take(&mut c.touched).into_iter().collect();
                c.log.take().map(|log| (log, c.currency.clone(), touched))
            }
        };
        let Some((base, currency, touched)) = taken else {
            let log = store
                .transaction_log(&LogQuery::default())
                .await
                .map_err(|e| {
                    lock(&self.inner.log).full = true;
                    e.to_string()
                })?;
            let currency = currency_of(store, &log).await;
            return Ok((log, currency, LogRead::Full));
        };
        match store
            .customers_log(&touched, None, currency.as_deref())
            .await
        {
            Ok((part, part_currency)) => {
                let read = LogRead::Touched {
                    customers: touched.len(),
                };
                let log = tokio::task::spawn_blocking(move || {
                    base.replace_customers(&touched, part, None)
                })
                .await
                .map_err(|e| {
                    lock(&self.inner.log).full = true;
                    format!("log update task: {e}")
                })?;
                Ok((log, currency.or(part_currency), read))
            }
            Err(e) => {
                let mut c = lock(&self.inner.log);
                c.log = Some(base);
                c.touched.extend(touched);
                Err(e.to_string())
            }
        }
    }
}

/// Frees a large value on a blocking thread (a Tokio worker would stall its readers).
fn free_in_background<T: Send + 'static>(value: T) {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            handle.spawn_blocking(move || drop(value));
        }
        Err(_) => drop(value),
    }
}

/// Frees a replaced snapshot on a blocking thread once the readers still holding it are
/// done, so that no request (nor a Tokio worker) pays for freeing a large analysis.
fn free_when_unused(snapshot: Arc<Snapshot>) {
    let free = move || {
        let mut s = snapshot;
        // Readers hold a snapshot for one request; wait at most about a minute.
        for _ in 0..6000 {
            match Arc::try_unwrap(s) {
                Ok(owned) => {
                    drop(owned);
                    return;
                }
                Err(shared) => s = shared,
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    };
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        handle.spawn_blocking(free);
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
