//! Batch ingest of transactions and customers: all-or-nothing, idempotent by external id.

use std::collections::{HashMap, HashSet};
use std::sync::PoisonError;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use comeback_core::{Amount, Day};
use sqlx::{QueryBuilder, Row};

use crate::places::parse_tz;
use crate::store::{BeginWrite, on_pool};
use crate::util::{id_problem, to_micros};
use crate::{RowError, Store, StoreError};

/// Rows per multi-row `INSERT` / `IN (...)` statement: 1000 rows × 9 parameters stay under
/// SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
pub(crate) const CHUNK: usize = 1000;

/// Most customers the ingest cache of one [`Store`] holds (about 100 MB).
const CUSTOMER_CACHE_MAX: usize = 1_000_000;

/// One transaction of an ingest batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionInput {
    /// The business's id of the transaction, unique; re-sending it is a no-op.
    pub external_id: String,
    /// The customer's external id (the customer is created on first sight).
    pub customer: String,
    /// When it happened: a UTC instant, or only the business-local day (what the CLI's
    /// file parser yields for date-only columns).
    pub time: TransactionTime,
    /// Exact amount; negative for refunds.
    pub amount: Amount,
    /// ISO 4217 code, three upper-case letters.
    pub currency: String,
    /// Location code (must exist); `None` uses the business time zone.
    pub location: Option<String>,
    /// Employee code (created on first sight).
    pub employee: Option<String>,
    /// Sales channel, free label up to 100 bytes (`"store"`, `"web"`, ...).
    pub channel: Option<String>,
}

impl TransactionInput {
    /// A transaction without location, employee or channel; `time` is a
    /// `DateTime<Utc>` or a local [`Day`].
    pub fn new(
        external_id: impl Into<String>,
        customer: impl Into<String>,
        time: impl Into<TransactionTime>,
        amount: Amount,
        currency: impl Into<String>,
    ) -> Self {
        TransactionInput {
            external_id: external_id.into(),
            customer: customer.into(),
            time: time.into(),
            amount,
            currency: currency.into(),
            location: None,
            employee: None,
            channel: None,
        }
    }
}

/// When a transaction happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionTime {
    /// A UTC instant; its local day follows from the location's time zone.
    Instant(DateTime<Utc>),
    /// Only the business-local calendar day is known (stored with no instant).
    LocalDay(Day),
}

impl From<DateTime<Utc>> for TransactionTime {
    fn from(t: DateTime<Utc>) -> Self {
        TransactionTime::Instant(t)
    }
}

impl From<Day> for TransactionTime {
    fn from(d: Day) -> Self {
        TransactionTime::LocalDay(d)
    }
}

impl TransactionTime {
    /// (instant in µs, local day) as stored for a transaction in `tz`.
    fn stored(self, tz: Tz) -> (Option<i64>, i64) {
        match self {
            TransactionTime::Instant(t) => (Some(to_micros(t)), i64::from(local_day(t, tz).0)),
            TransactionTime::LocalDay(d) => (None, i64::from(d.0)),
        }
    }

    /// The instant that counts as first sight: the instant itself, or the start of the
    /// local day in `tz` (the first existing local time of that day, so a day that starts
    /// in a DST gap still has one).
    fn first_sight(self, tz: Tz) -> i64 {
        match self {
            TransactionTime::Instant(t) => to_micros(t),
            TransactionTime::LocalDay(d) => {
                // Checked in step 1: a stored day is a date.
                let date = d.date().unwrap_or_default();
                (0..24)
                    .find_map(|h| {
                        date.and_hms_opt(h, 0, 0)
                            .and_then(|l| tz.from_local_datetime(&l).earliest())
                    })
                    .map_or_else(
                        || to_micros(date.and_time(NaiveTime::MIN).and_utc()),
                        |t| to_micros(t.with_timezone(&Utc)),
                    )
            }
        }
    }

    /// The identity of this time: (instant, None) or (None, day).
    fn identity(self) -> (Option<i64>, Option<i64>) {
        match self {
            TransactionTime::Instant(t) => (Some(to_micros(t)), None),
            TransactionTime::LocalDay(d) => (None, Some(i64::from(d.0))),
        }
    }
}

/// What a transaction batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct IngestOutcome {
    /// Rows stored now.
    pub inserted: u64,
    /// Rows whose external id was already stored (or repeated in the batch) with the same
    /// content: skipped, not errors.
    pub duplicates: u64,
}

/// One customer of a customer batch. `None` fields leave the stored value unchanged.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerInput {
    /// The business's id of the customer.
    pub external_id: String,
    /// Full name.
    pub name: Option<String>,
    /// E-mail address (must contain `@`).
    pub email: Option<String>,
    /// Preferred language, a BCP 47 tag such as `"fi"` or `"pt-BR"`.
    pub language: Option<String>,
    /// First seen; the stored value becomes the earlier of the stored and this one.
    pub first_seen: Option<DateTime<Utc>>,
    /// Member of the loyalty programme.
    pub loyalty_member: Option<bool>,
    /// Free attributes (replace the stored ones when given).
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

/// What a customer batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct UpsertOutcome {
    /// New customers.
    pub inserted: u64,
    /// Customers whose stored fields changed.
    pub updated: u64,
    /// Customers already stored exactly so.
    pub unchanged: u64,
}

pub(crate) fn check_id(errors: &mut Vec<RowError>, index: usize, field: &'static str, value: &str) {
    if let Some(problem) = id_problem(value) {
        errors.push(RowError::new(index, field, problem));
    }
}

pub(crate) fn check_currency(errors: &mut Vec<RowError>, index: usize, currency: &str) {
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        errors.push(RowError::new(
            index,
            "currency",
            format!("{currency:?} is not an iso 4217 code (three upper-case letters)"),
        ));
    }
}

/// The local day of `at` in `tz`.
pub(crate) fn local_day(at: DateTime<Utc>, tz: Tz) -> Day {
    Day::from_date(at.with_timezone(&tz).date_naive())
}

/// A stored or batch transaction reduced to what identity compares.
#[derive(Debug, PartialEq, Eq)]
struct Content<'a> {
    customer: Option<&'a str>,
    time: (Option<i64>, Option<i64>),
    amount: i64,
    currency: &'a str,
    location: Option<&'a str>,
    employee: Option<&'a str>,
    channel: Option<&'a str>,
}

impl<'a> From<&'a TransactionInput> for Content<'a> {
    fn from(t: &'a TransactionInput) -> Self {
        Content {
            customer: Some(&t.customer),
            time: t.time.identity(),
            amount: t.amount.micros(),
            currency: &t.currency,
            location: t.location.as_deref(),
            employee: t.employee.as_deref(),
            channel: t.channel.as_deref(),
        }
    }
}

/// Runs `op` again (up to 8 times) when it lost a race to a concurrent batch: a
/// PostgreSQL unique violation (two batches creating the same new customer) or a deadlock
/// (SQLSTATE 40P01, made unlikely by inserting keys in sorted order). The next attempt
/// finds the winner's rows. SQLite write transactions start with `BEGIN IMMEDIATE` and
/// cannot race.
pub(crate) async fn retry_on_race<T, F, Fut>(op: F) -> Result<T, StoreError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut attempts = 0;
    loop {
        match op().await {
            Err(StoreError::Database(sqlx::Error::Database(e)))
                if attempts < 8
                    && (e.is_unique_violation() || e.code().as_deref() == Some("40P01")) =>
            {
                attempts += 1;
            }
            other => return other,
        }
    }
}

/// Appends `(?, ?, ...)` with one bound value per item of `keys`.
pub(crate) fn push_in_list<'a, DB, I>(qb: &mut QueryBuilder<DB>, keys: I)
where
    DB: sqlx::Database,
    I: IntoIterator<Item = &'a str>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    qb.push("(");
    let mut sep = qb.separated(", ");
    for k in keys {
        sep.push_bind(k);
    }
    qb.push(")");
}

/// The `settings` key of the store's currency: the ISO 4217 code of the transactions,
/// written by the first batch that stores any and never changed. A store holds one
/// currency because the refit (and every page built on it) sums amounts.
pub const STORE_CURRENCY_KEY: &str = "transaction_currency";

/// Why a row's currency is refused: `held` are the store's currencies, `set_by_row` the
/// batch row that sets it in an empty store.
fn currency_refusal(currency: &str, held: &[String], set_by_row: Option<usize>) -> String {
    match (held, set_by_row) {
        ([one], Some(j)) => format!(
            "{currency:?} differs from {one:?} of row {j}: a store holds one currency, and the \
             store is empty, so this batch would set it; send one currency"
        ),
        ([one], None) => format!(
            "{currency:?} is not the store's currency {one}: a store holds one currency; \
             send amounts in {one}, or keep {currency} data in a store of its own"
        ),
        _ => format!(
            "{currency:?} is not one of the currencies already stored ({}): a store holds \
             one currency",
            held.join(", ")
        ),
    }
}

impl Store {
    /// The salted suppression hash of an external id: SHA-256(salt ‖ 0x00 ‖ id), hex.
    pub(crate) fn suppression_hash(&self, external_id: &str) -> String {
        crate::util::sha256_hex(&[self.salt.as_bytes(), b"\0", external_id.as_bytes()])
    }

    /// Caches external id → (internal id, first seen) of customers whose rows were
    /// committed; dropped whole beyond [`CUSTOMER_CACHE_MAX`] entries.
    fn remember_customers<'a>(&self, rows: impl Iterator<Item = (&'a str, i64, i64)>) {
        let mut cache = self
            .customer_ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if cache.len() > CUSTOMER_CACHE_MAX {
            cache.clear();
        }
        for (c, id, first) in rows {
            cache.insert(c.to_owned(), (id, first));
        }
    }

    /// Forgets a cached customer (after erasure).
    pub(crate) fn forget_customer(&self, external_id: &str) {
        self.customer_ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(external_id);
    }

    /// Stores a batch of transactions in one database transaction: all rows or none.
    ///
    /// A row whose external id is already stored with the same content (customer, instant,
    /// amount, currency, location, employee, channel) is counted as a duplicate and
    /// skipped, so re-sending a batch is harmless; the same id with different content is a
    /// row error. Customers are created on first sight with `first_seen` = their earliest
    /// transaction (and moved earlier by earlier ones); employees likewise. Each row's local
    /// day is computed from its location's time zone (or the business time zone).
    ///
    /// # Errors
    /// [`StoreError::Rejected`] with every row error (bad ids, currency, channel or day, an
    /// unknown location, an erased customer, a conflicting external id) — nothing is
    /// stored; [`StoreError::Database`] for database failures (also nothing stored).
    /// Concurrent batches sharing new external ids are safe: the loser of the race is
    /// retried and finds the winner's rows as duplicates.
    pub async fn ingest_transactions(
        &self,
        batch: &[TransactionInput],
    ) -> Result<IngestOutcome, StoreError> {
        retry_on_race(|| self.ingest_transactions_once(batch)).await
    }

    async fn ingest_transactions_once(
        &self,
        batch: &[TransactionInput],
    ) -> Result<IngestOutcome, StoreError> {
        // 1. Row checks that need no database.
        let mut errors = Vec::new();
        let mut first_in_batch: HashMap<&str, usize> = HashMap::with_capacity(batch.len());
        let mut batch_dups = vec![false; batch.len()];
        for (i, t) in batch.iter().enumerate() {
            check_id(&mut errors, i, "external_id", &t.external_id);
            check_id(&mut errors, i, "customer", &t.customer);
            check_currency(&mut errors, i, &t.currency);
            if let TransactionTime::LocalDay(d) = t.time
                && d.date().is_none()
            {
                errors.push(RowError::new(
                    i,
                    "time",
                    format!("day {} is not a date", d.0),
                ));
            }
            if let Some(l) = &t.location {
                check_id(&mut errors, i, "location", l);
            }
            if let Some(e) = &t.employee {
                check_id(&mut errors, i, "employee", e);
            }
            if let Some(c) = &t.channel
                && (c.len() > 100 || c.chars().any(char::is_control))
            {
                errors.push(RowError::new(
                    i,
                    "channel",
                    format!("{c:?} is longer than 100 bytes or has control characters"),
                ));
            }
            match first_in_batch.get(t.external_id.as_str()) {
                None => {
                    first_in_batch.insert(&t.external_id, i);
                }
                Some(&j) => {
                    if Content::from(&batch[j]) == Content::from(t) {
                        batch_dups[i] = true;
                    } else {
                        errors.push(RowError::new(
                            i,
                            "external_id",
                            format!("{:?} repeats row {j} with different content", t.external_id),
                        ));
                    }
                }
            }
        }
        // Rows already refused are not looked up; the others are, so that one answer
        // lists every row error.
        let mut refused = vec![false; batch.len()];
        for e in &errors {
            refused[e.index] = true;
        }
        let business_tz = self.business_time_zone().await?;

        let outcome = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;

            // 2. Locations must exist; their time zones give the local days.
            let codes: HashSet<&str> = batch.iter().filter_map(|t| t.location.as_deref()).collect();
            let mut locations: HashMap<String, (i64, Tz)> = HashMap::new();
            let codes: Vec<&str> = codes.into_iter().collect();
            for chunk in codes.chunks(CHUNK) {
                let mut qb = QueryBuilder::new("SELECT code, id, time_zone FROM locations WHERE code IN ");
                push_in_list(&mut qb, chunk.iter().copied());
                for r in qb.build().fetch_all(&mut *tx).await? {
                    let tz_name: String = r.try_get(2)?;
                    let tz = parse_tz(&tz_name).map_err(|_| StoreError::Corrupt {
                        column: "locations.time_zone",
                        value: tz_name.clone(),
                    })?;
                    locations.insert(r.try_get(0)?, (r.try_get(1)?, tz));
                }
            }

            // 3. Erased customers are refused (no hashing while nobody was erased).
            let any_erased: Option<String> =
                sqlx::query_scalar("SELECT external_id_hash FROM erasure_suppression LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await?;
            let mut hashes: HashMap<String, &str> = HashMap::new();
            if any_erased.is_some() {
                let distinct: HashSet<&str> = batch.iter().map(|t| t.customer.as_str()).collect();
                for c in distinct {
                    hashes.insert(self.suppression_hash(c), c);
                }
            }
            let mut suppressed: HashSet<&str> = HashSet::new();
            let hash_list: Vec<&str> = hashes.keys().map(String::as_str).collect();
            for chunk in hash_list.chunks(CHUNK) {
                let mut qb = QueryBuilder::new(
                    "SELECT external_id_hash FROM erasure_suppression WHERE external_id_hash IN ",
                );
                push_in_list(&mut qb, chunk.iter().copied());
                for r in qb.build().fetch_all(&mut *tx).await? {
                    let h: String = r.try_get(0)?;
                    if let Some(c) = hashes.get(&h) {
                        suppressed.insert(c);
                    }
                }
            }

            // 4. Rows refused by what the database knows: erased customers, unknown
            // locations. Stored external ids are recognised at the insert (step 7/8).
            let mut duplicates = batch_dups.iter().filter(|d| **d).count() as u64;
            let mut fresh: Vec<usize> = Vec::with_capacity(batch.len());
            for (i, t) in batch.iter().enumerate() {
                if refused[i] || batch_dups[i] {
                    continue;
                }
                if suppressed.contains(t.customer.as_str()) {
                    errors.push(RowError::new(
                        i,
                        "customer",
                        format!("customer {:?} was erased; re-ingest is refused", t.customer),
                    ));
                    continue;
                }
                if let Some(l) = &t.location
                    && !locations.contains_key(l)
                {
                    errors.push(RowError::new(i, "location", format!("unknown location {l:?}")));
                    continue;
                }
                fresh.push(i);
            }

            // 4b. One currency per store, the one the refit computes in (see
            // `STORE_CURRENCY_KEY`). Written here, before any row, so that a concurrent
            // batch in another currency waits for this transaction and then reads it.
            //
            // The setting when present; else (a store from before the setting, or an empty
            // one) the currency of the stored transactions of customers not erased (those
            // the refit reads) or, when there are none, that of the first row to store.
            // That currency is written with `ON CONFLICT DO NOTHING` and read back: on
            // PostgreSQL a concurrent batch inserting the key waits for this one to commit
            // and then reads its value; SQLite's write transactions are serial. A store
            // that already holds several currencies (written before this check) gets no
            // setting and accepts only those it holds.
            let read = "SELECT value FROM settings WHERE key = $1";
            let setting: Option<String> = sqlx::query_scalar(read)
                .bind(STORE_CURRENCY_KEY)
                .fetch_optional(&mut *tx)
                .await?;
            let (held, set_by_row): (Vec<String>, Option<usize>) = match setting {
                Some(c) => (vec![c], None),
                None => {
                    let stored: Vec<String> = sqlx::query_scalar(
                        "SELECT DISTINCT t.currency FROM transactions t \
                         JOIN customers c ON c.id = t.customer_id \
                         WHERE c.external_id IS NOT NULL ORDER BY t.currency",
                    )
                    .fetch_all(&mut *tx)
                    .await?;
                    let proposal = match stored.as_slice() {
                        [one] => Some((one.clone(), None)),
                        [] => fresh.first().map(|&i| (batch[i].currency.clone(), Some(i))),
                        _ => None,
                    };
                    match proposal {
                        None => (stored, None),
                        Some((proposal, row)) => {
                            sqlx::query(
                                "INSERT INTO settings (key, value) VALUES ($1, $2) \
                                 ON CONFLICT (key) DO NOTHING",
                            )
                            .bind(STORE_CURRENCY_KEY)
                            .bind(proposal.as_str())
                            .execute(&mut *tx)
                            .await?;
                            let held: String = sqlx::query_scalar(read)
                                .bind(STORE_CURRENCY_KEY)
                                .fetch_one(&mut *tx)
                                .await?;
                            let row = row.filter(|_| held == proposal);
                            (vec![held], row)
                        }
                    }
                }
            };
            if !held.is_empty() {
                fresh.retain(|&i| {
                    let c = &batch[i].currency;
                    if held.contains(c) {
                        return true;
                    }
                    errors.push(RowError::new(i, "currency", currency_refusal(c, &held, set_by_row)));
                    false
                });
            }
            if !errors.is_empty() {
                tx.rollback().await?;
                errors.sort_by_key(|e| e.index);
                return Err(StoreError::Rejected { rows: errors });
            }

            // 5. Employees on first sight.
            let mut employees: HashMap<String, i64> = HashMap::new();
            // Keys are inserted in sorted order so that concurrent batches take their
            // index locks in the same order (no deadlocks).
            let codes: Vec<&str> = fresh
                .iter()
                .filter_map(|&i| batch[i].employee.as_deref())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            for chunk in codes.chunks(CHUNK) {
                let mut qb = QueryBuilder::new("INSERT INTO employees (code) ");
                qb.push_values(chunk.iter(), |mut b, c| {
                    b.push_bind(*c);
                });
                qb.push(" ON CONFLICT (code) DO NOTHING");
                qb.build().execute(&mut *tx).await?;
                let mut qb = QueryBuilder::new("SELECT code, id FROM employees WHERE code IN ");
                push_in_list(&mut qb, chunk.iter().copied());
                for r in qb.build().fetch_all(&mut *tx).await? {
                    employees.insert(r.try_get(0)?, r.try_get(1)?);
                }
            }

            // 6. Customers on first sight; first_seen moves to the earliest transaction.
            let tz_of = |t: &TransactionInput| match &t.location {
                Some(l) => locations[l].1,
                None => business_tz,
            };
            let mut first_seen: HashMap<&str, i64> = HashMap::new();
            for &i in &fresh {
                let t = &batch[i];
                let at = t.time.first_sight(tz_of(t));
                first_seen
                    .entry(t.customer.as_str())
                    .and_modify(|v| *v = (*v).min(at))
                    .or_insert(at);
            }
            // Existing customers are read, not rewritten; only an earlier first sight
            // updates one.
            let mut customers: HashMap<String, i64> = HashMap::with_capacity(first_seen.len());
            let mut list: Vec<(&str, i64)> = first_seen.into_iter().collect();
            list.sort_unstable();
            // Customers this process has seen with an earlier or equal first sight need no
            // look-up: ids never change and first_seen only moves earlier.
            let mut to_check: Vec<(&str, i64)> = Vec::with_capacity(list.len());
            {
                let cache = self.customer_ids.lock().unwrap_or_else(PoisonError::into_inner);
                for &(c, at) in &list {
                    match cache.get(c) {
                        Some(&(id, first)) if first <= at => {
                            customers.insert(c.to_owned(), id);
                        }
                        _ => to_check.push((c, at)),
                    }
                }
            }
            let mut learned: Vec<(&str, i64)> = Vec::with_capacity(to_check.len());
            let mut earlier: Vec<(i64, i64)> = Vec::new();
            for chunk in to_check.chunks(CHUNK) {
                let mut qb = QueryBuilder::new(
                    "SELECT external_id, id, first_seen FROM customers WHERE external_id IN ",
                );
                push_in_list(&mut qb, chunk.iter().map(|(c, _)| *c));
                let mut stored_first: HashMap<String, Option<i64>> = HashMap::new();
                for r in qb.build().fetch_all(&mut *tx).await? {
                    let ext: String = r.try_get(0)?;
                    customers.insert(ext.clone(), r.try_get(1)?);
                    stored_first.insert(ext, r.try_get(2)?);
                }
                let new: Vec<&(&str, i64)> =
                    chunk.iter().filter(|(c, _)| !customers.contains_key(*c)).collect();
                for &(c, at) in chunk {
                    match stored_first.get(c) {
                        Some(Some(old)) if *old <= at => learned.push((c, *old)),
                        Some(_) => {
                            earlier.push((customers[c], at));
                            learned.push((c, at));
                        }
                        None => learned.push((c, at)),
                    }
                }
                if new.is_empty() {
                    continue;
                }
                let mut qb = QueryBuilder::new("INSERT INTO customers (external_id, first_seen) ");
                qb.push_values(new, |mut b, (c, at)| {
                    b.push_bind(*c).push_bind(*at);
                });
                qb.push(" RETURNING external_id, id");
                for r in qb.build().fetch_all(&mut *tx).await? {
                    customers.insert(r.try_get(0)?, r.try_get(1)?);
                }
            }
            for (id, at) in earlier {
                sqlx::query("UPDATE customers SET first_seen = $1 WHERE id = $2")
                    .bind(at)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }

            // 7. The transactions themselves, by external id; ids already stored are
            // skipped by the unique index (and by a concurrent batch's: PostgreSQL waits for
            // it to commit).
            fresh.sort_unstable_by(|&a, &b| batch[a].external_id.cmp(&batch[b].external_id));
            let mut inserted = 0u64;
            for chunk in fresh.chunks(CHUNK) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO transactions (external_id, customer_id, occurred_at, local_day, \
                     amount_micros, currency, location_id, employee_id, channel) ",
                );
                qb.push_values(chunk.iter(), |mut b, &i| {
                    let t = &batch[i];
                    let location_id = t.location.as_ref().map(|l| locations[l].0);
                    let (occurred_at, day) = t.time.stored(tz_of(t));
                    b.push_bind(t.external_id.as_str())
                        .push_bind(customers[t.customer.as_str()])
                        .push_bind(occurred_at)
                        .push_bind(day)
                        .push_bind(t.amount.micros())
                        .push_bind(t.currency.as_str())
                        .push_bind(location_id)
                        .push_bind(t.employee.as_deref().map(|e| employees[e]))
                        .push_bind(t.channel.as_deref());
                });
                qb.push(" ON CONFLICT (external_id) DO NOTHING");
                inserted += qb.build().execute(&mut *tx).await?.rows_affected();
            }
            duplicates += fresh.len() as u64 - inserted;

            // 8. A skipped row must equal the stored one; the database compares, so only
            // conflicts come back (none in the usual case).
            if inserted < fresh.len() as u64 {
                for chunk in fresh.chunks(CHUNK) {
                    let mut qb = QueryBuilder::new(
                        "WITH b (external_id, customer, occurred_at, local_day, amount_micros, \
                         currency, location, employee, channel) AS (",
                    );
                    qb.push_values(chunk.iter(), |mut b, &i| {
                        let t = &batch[i];
                        let (occurred_at, day) = t.time.stored(tz_of(t));
                        b.push_bind(t.external_id.as_str())
                            .push_bind(t.customer.as_str())
                            .push_bind(occurred_at)
                            .push_bind(day)
                            .push_bind(t.amount.micros())
                            .push_bind(t.currency.as_str())
                            .push_bind(t.location.as_deref())
                            .push_bind(t.employee.as_deref())
                            .push_bind(t.channel.as_deref());
                    });
                    qb.push(
                        ") SELECT b.external_id FROM b \
                         JOIN transactions t ON t.external_id = b.external_id \
                         JOIN customers c ON c.id = t.customer_id \
                         LEFT JOIN locations l ON l.id = t.location_id \
                         LEFT JOIN employees e ON e.id = t.employee_id \
                         WHERE NOT (c.external_id IS NOT DISTINCT FROM b.customer \
                         AND t.occurred_at IS NOT DISTINCT FROM b.occurred_at \
                         AND t.local_day = b.local_day AND t.amount_micros = b.amount_micros \
                         AND t.currency = b.currency AND l.code IS NOT DISTINCT FROM b.location \
                         AND e.code IS NOT DISTINCT FROM b.employee \
                         AND t.channel IS NOT DISTINCT FROM b.channel)",
                    );
                    for r in qb.build().fetch_all(&mut *tx).await? {
                        let id: String = r.try_get(0)?;
                        errors.push(RowError::new(
                            first_in_batch[id.as_str()],
                            "external_id",
                            format!("{id:?} is already stored with different content"),
                        ));
                    }
                }
                if !errors.is_empty() {
                    tx.rollback().await?;
                    errors.sort_by_key(|e| e.index);
                    return Err(StoreError::Rejected { rows: errors });
                }
            }
            tx.commit().await?;
            self.remember_customers(learned.iter().map(|&(c, first)| (c, customers[c], first)));
            IngestOutcome {
                inserted,
                duplicates,
            }
        });
        Ok(outcome)
    }

    /// Creates or updates a batch of customers in one database transaction: all rows or
    /// none. Given fields replace the stored ones (`first_seen` only moves earlier); `None`
    /// fields keep them. A customer repeated in the batch is applied in order.
    ///
    /// # Errors
    /// [`StoreError::Rejected`] with every row error (bad external id, e-mail without `@`,
    /// a language that is not a BCP 47-like tag, an erased customer) — nothing is stored;
    /// [`StoreError::Database`].
    pub async fn upsert_customers(
        &self,
        batch: &[CustomerInput],
    ) -> Result<UpsertOutcome, StoreError> {
        retry_on_race(|| self.upsert_customers_once(batch)).await
    }

    async fn upsert_customers_once(
        &self,
        batch: &[CustomerInput],
    ) -> Result<UpsertOutcome, StoreError> {
        let mut errors = Vec::new();
        for (i, c) in batch.iter().enumerate() {
            check_id(&mut errors, i, "external_id", &c.external_id);
            if let Some(e) = &c.email
                && (!e.contains('@') || e.len() > 254 || e.chars().any(char::is_whitespace))
            {
                errors.push(RowError::new(
                    i,
                    "email",
                    format!("{e:?} is not an e-mail address"),
                ));
            }
            if let Some(l) = &c.language {
                let ok = !l.is_empty()
                    && l.len() <= 35
                    && l.split('-').all(|p| {
                        (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric())
                    });
                if !ok {
                    errors.push(RowError::new(
                        i,
                        "language",
                        format!("{l:?} is not a language tag such as \"fi\" or \"pt-BR\""),
                    ));
                }
            }
            if let Some(n) = &c.name
                && n.len() > 500
            {
                errors.push(RowError::new(i, "name", "longer than 500 bytes"));
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::Rejected { rows: errors });
        }
        let outcome = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut out = UpsertOutcome::default();
            for (i, c) in batch.iter().enumerate() {
                let hash = self.suppression_hash(&c.external_id);
                let erased: Option<String> = sqlx::query_scalar(
                    "SELECT external_id_hash FROM erasure_suppression WHERE external_id_hash = $1",
                )
                .bind(&hash)
                .fetch_optional(&mut *tx)
                .await?;
                if erased.is_some() {
                    errors.push(RowError::new(
                        i,
                        "external_id",
                        format!("customer {:?} was erased; re-ingest is refused", c.external_id),
                    ));
                    continue;
                }
                let row = sqlx::query(
                    "SELECT id, name, email, language, first_seen, loyalty_member, attributes \
                     FROM customers WHERE external_id = $1",
                )
                .bind(&c.external_id)
                .fetch_optional(&mut *tx)
                .await?;
                let attributes = c
                    .attributes
                    .as_ref()
                    .map(|a| serde_json::Value::Object(a.clone()).to_string());
                let first_seen = c.first_seen.map(to_micros);
                match row {
                    None => {
                        sqlx::query(
                            "INSERT INTO customers (external_id, name, email, language, \
                             first_seen, loyalty_member, attributes) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        )
                        .bind(&c.external_id)
                        .bind(&c.name)
                        .bind(&c.email)
                        .bind(&c.language)
                        .bind(first_seen)
                        .bind(c.loyalty_member.unwrap_or(false))
                        .bind(attributes.unwrap_or_else(|| "{}".to_owned()))
                        .execute(&mut *tx)
                        .await?;
                        out.inserted += 1;
                    }
                    Some(r) => {
                        let id: i64 = r.try_get(0)?;
                        let old_name: Option<String> = r.try_get(1)?;
                        let old_email: Option<String> = r.try_get(2)?;
                        let old_language: Option<String> = r.try_get(3)?;
                        let old_first: Option<i64> = r.try_get(4)?;
                        let old_member: bool = r.try_get(5)?;
                        let old_attributes: String = r.try_get(6)?;
                        let name = c.name.clone().or(old_name.clone());
                        let email = c.email.clone().or(old_email.clone());
                        let language = c.language.clone().or(old_language.clone());
                        let first = match (old_first, first_seen) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        };
                        let member = c.loyalty_member.unwrap_or(old_member);
                        let attrs = attributes.unwrap_or_else(|| old_attributes.clone());
                        if name == old_name
                            && email == old_email
                            && language == old_language
                            && first == old_first
                            && member == old_member
                            && attrs == old_attributes
                        {
                            out.unchanged += 1;
                            continue;
                        }
                        sqlx::query(
                            "UPDATE customers SET name = $1, email = $2, language = $3, \
                             first_seen = $4, loyalty_member = $5, attributes = $6 WHERE id = $7",
                        )
                        .bind(name)
                        .bind(email)
                        .bind(language)
                        .bind(first)
                        .bind(member)
                        .bind(attrs)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                        out.updated += 1;
                    }
                }
            }
            if !errors.is_empty() {
                tx.rollback().await?;
                return Err(StoreError::Rejected { rows: errors });
            }
            tx.commit().await?;
            out
        });
        Ok(outcome)
    }
}
