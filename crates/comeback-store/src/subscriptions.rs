//! Contractual data (migration 0006): subscriptions — the rows `comeback cohorts` reads from
//! a file, stored — and loyalty enrolment days.
//!
//! A subscription is addressed by the business's subscription (contract) id: re-sending it
//! with other content updates the stored row (a cancellation sets its end; a plan or price
//! change updates it), re-sending it unchanged is a no-op, and its customer cannot change.

use std::collections::{BTreeSet, HashMap};

use comeback_core::{Amount, Day};
use sqlx::{QueryBuilder, Row};

use crate::ingest::{CHUNK, check_currency, check_id, push_in_list, retry_on_race};
use crate::store::{BeginWrite, on_pool};
use crate::{RowError, Store, StoreError, UpsertOutcome};

/// Longest plan label, in bytes.
pub const PLAN_MAX_BYTES: usize = 100;

/// One subscription of a batch (or as stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionInput {
    /// The business's id of the subscription or contract, unique.
    pub external_id: String,
    /// The customer's external id (created on first sight).
    pub customer: String,
    /// First day, included (a local calendar day).
    pub start: Day,
    /// End or cancellation day, excluded; `None` while the subscription runs.
    pub end: Option<Day>,
    /// Monthly recurring revenue, exact, ≥ 0.
    pub mrr: Amount,
    /// ISO 4217 code of `mrr`, three upper-case letters.
    pub currency: String,
    /// Plan label, up to [`PLAN_MAX_BYTES`] bytes.
    pub plan: Option<String>,
}

/// A stored subscription as the cohort analysis reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSubscription {
    /// The customer's external id; for an erased customer `"\u{0}erased-N"`, N numbering
    /// the erased customers of one answer (a NUL never occurs in a stored id), so that
    /// their subscriptions still count in the cohorts without naming them.
    pub customer: String,
    /// First day, included.
    pub start: Day,
    /// End day, excluded; `None` while running.
    pub end: Option<Day>,
    /// Monthly recurring revenue.
    pub mrr: Amount,
    /// ISO 4217 code.
    pub currency: String,
}

fn check_row(errors: &mut Vec<RowError>, i: usize, s: &SubscriptionInput) {
    check_id(errors, i, "external_id", &s.external_id);
    check_id(errors, i, "customer", &s.customer);
    check_currency(errors, i, &s.currency);
    if s.start.date().is_none() {
        errors.push(RowError::new(
            i,
            "start",
            format!("day {} is not a date", s.start.0),
        ));
    }
    if let Some(e) = s.end {
        if e.date().is_none() {
            errors.push(RowError::new(
                i,
                "end",
                format!("day {} is not a date", e.0),
            ));
        } else if e <= s.start {
            errors.push(RowError::new(
                i,
                "end",
                format!("the end {e} is not after the start {}", s.start),
            ));
        }
    }
    if s.mrr.is_negative() {
        errors.push(RowError::new(
            i,
            "mrr",
            format!("{} is negative; expected an amount ≥ 0", s.mrr),
        ));
    }
    if let Some(p) = &s.plan
        && (p.len() > PLAN_MAX_BYTES || p.chars().any(char::is_control))
    {
        errors.push(RowError::new(
            i,
            "plan",
            format!("{p:?} is longer than {PLAN_MAX_BYTES} bytes or has control characters"),
        ));
    }
}

/// The content a stored row is compared on (the customer is compared separately).
type Content = (i64, Option<i64>, i64, String, Option<String>);

fn content(s: &SubscriptionInput) -> Content {
    (
        i64::from(s.start.0),
        s.end.map(|e| i64::from(e.0)),
        s.mrr.micros(),
        s.currency.clone(),
        s.plan.clone(),
    )
}

impl Store {
    /// Stores a batch of subscriptions in one database transaction: all rows or none.
    /// A new subscription id is inserted; a stored one with other content is updated
    /// (`updated`), with the same content left alone (`unchanged`). Customers are created
    /// on first sight (without a first-seen instant: that belongs to their transactions).
    /// A subscription id repeated in the batch must carry the same content.
    ///
    /// # Errors
    /// [`StoreError::Rejected`] with every row error — bad ids or currency, an end not
    /// after the start, a negative MRR, a plan longer than [`PLAN_MAX_BYTES`], an erased
    /// customer, a stored subscription id of another customer, an id repeated with other
    /// content — nothing is stored; [`StoreError::Database`] (nothing stored either).
    pub async fn upsert_subscriptions(
        &self,
        batch: &[SubscriptionInput],
    ) -> Result<UpsertOutcome, StoreError> {
        retry_on_race(|| self.upsert_subscriptions_once(batch)).await
    }

    async fn upsert_subscriptions_once(
        &self,
        batch: &[SubscriptionInput],
    ) -> Result<UpsertOutcome, StoreError> {
        let mut errors = Vec::new();
        let mut first: HashMap<&str, usize> = HashMap::with_capacity(batch.len());
        let mut repeat = vec![false; batch.len()];
        for (i, s) in batch.iter().enumerate() {
            check_row(&mut errors, i, s);
            match first.get(s.external_id.as_str()) {
                None => {
                    first.insert(&s.external_id, i);
                }
                Some(&j) => {
                    if batch[j].customer == s.customer && content(&batch[j]) == content(s) {
                        repeat[i] = true;
                    } else {
                        errors.push(RowError::new(
                            i,
                            "external_id",
                            format!("{:?} repeats row {j} with different content", s.external_id),
                        ));
                    }
                }
            }
        }
        // Rows already refused are not looked up; the others are, so that one answer lists
        // every row error.
        let mut refused = vec![false; batch.len()];
        for e in &errors {
            refused[e.index] = true;
        }
        let rows: Vec<usize> = (0..batch.len())
            .filter(|&i| !repeat[i] && !refused[i])
            .collect();
        let mut out = UpsertOutcome {
            unchanged: repeat.iter().filter(|r| **r).count() as u64,
            ..UpsertOutcome::default()
        };
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            // Erased customers are refused.
            let customers: BTreeSet<&str> = rows.iter().map(|&i| batch[i].customer.as_str()).collect();
            let any_erased: Option<String> =
                sqlx::query_scalar("SELECT external_id_hash FROM erasure_suppression LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await?;
            let mut suppressed: BTreeSet<&str> = BTreeSet::new();
            if any_erased.is_some() {
                let hashes: HashMap<String, &str> =
                    customers.iter().map(|c| (self.suppression_hash(c), *c)).collect();
                let list: Vec<&str> = hashes.keys().map(String::as_str).collect();
                for chunk in list.chunks(CHUNK) {
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
            }
            let mut rows = rows;
            rows.retain(|&i| {
                let erased = suppressed.contains(batch[i].customer.as_str());
                if erased {
                    errors.push(RowError::new(
                        i,
                        "customer",
                        format!("customer {:?} was erased; re-ingest is refused", batch[i].customer),
                    ));
                }
                !erased
            });
            let customers: BTreeSet<&str> = rows.iter().map(|&i| batch[i].customer.as_str()).collect();
            // Customers on first sight, in sorted order (no deadlocks between batches).
            let list: Vec<&str> = customers.into_iter().collect();
            let mut ids: HashMap<String, i64> = HashMap::with_capacity(list.len());
            for chunk in list.chunks(CHUNK) {
                let mut qb = QueryBuilder::new("INSERT INTO customers (external_id) ");
                qb.push_values(chunk.iter(), |mut b, c| {
                    b.push_bind(*c);
                });
                qb.push(" ON CONFLICT (external_id) DO NOTHING");
                qb.build().execute(&mut *tx).await?;
                let mut qb =
                    QueryBuilder::new("SELECT external_id, id FROM customers WHERE external_id IN ");
                push_in_list(&mut qb, chunk.iter().copied());
                for r in qb.build().fetch_all(&mut *tx).await? {
                    ids.insert(r.try_get(0)?, r.try_get(1)?);
                }
            }
            // Stored subscriptions with these ids.
            let keys: Vec<&str> = rows.iter().map(|&i| batch[i].external_id.as_str()).collect();
            let mut stored: HashMap<String, (i64, i64, Content)> = HashMap::new();
            for chunk in keys.chunks(CHUNK) {
                let mut qb = QueryBuilder::new(
                    "SELECT external_id, id, customer_id, start_day, end_day, mrr_micros, \
                     currency, plan FROM subscriptions WHERE external_id IN ",
                );
                push_in_list(&mut qb, chunk.iter().copied());
                for r in qb.build().fetch_all(&mut *tx).await? {
                    stored.insert(
                        r.try_get(0)?,
                        (
                            r.try_get(1)?,
                            r.try_get(2)?,
                            (r.try_get(3)?, r.try_get(4)?, r.try_get(5)?, r.try_get(6)?, r.try_get(7)?),
                        ),
                    );
                }
            }
            let mut sorted = rows.clone();
            sorted.sort_unstable_by(|&a, &b| batch[a].external_id.cmp(&batch[b].external_id));
            let mut new: Vec<usize> = Vec::new();
            for &i in &sorted {
                let s = &batch[i];
                let customer = ids[s.customer.as_str()];
                match stored.get(&s.external_id) {
                    None => new.push(i),
                    Some((_, c, _)) if *c != customer => errors.push(RowError::new(
                        i,
                        "customer",
                        format!(
                            "subscription {:?} is stored for another customer",
                            s.external_id
                        ),
                    )),
                    Some((_, _, old)) if *old == content(s) => out.unchanged += 1,
                    Some((id, _, _)) => {
                        sqlx::query(
                            "UPDATE subscriptions SET start_day = $1, end_day = $2, \
                             mrr_micros = $3, currency = $4, plan = $5 WHERE id = $6",
                        )
                        .bind(i64::from(s.start.0))
                        .bind(s.end.map(|e| i64::from(e.0)))
                        .bind(s.mrr.micros())
                        .bind(s.currency.as_str())
                        .bind(s.plan.as_deref())
                        .bind(*id)
                        .execute(&mut *tx)
                        .await?;
                        out.updated += 1;
                    }
                }
            }
            if !errors.is_empty() {
                tx.rollback().await?;
                errors.sort_by_key(|e| e.index);
                return Err(StoreError::Rejected { rows: errors });
            }
            // New rows in batch order, so that the stored order (by id) is the order sent:
            // the cohort sums then add in the order of the file, as `comeback cohorts` does.
            new.sort_unstable();
            for chunk in new.chunks(CHUNK) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO subscriptions (external_id, customer_id, start_day, end_day, \
                     mrr_micros, currency, plan) ",
                );
                qb.push_values(chunk.iter(), |mut b, &i| {
                    let s = &batch[i];
                    b.push_bind(s.external_id.as_str())
                        .push_bind(ids[s.customer.as_str()])
                        .push_bind(i64::from(s.start.0))
                        .push_bind(s.end.map(|e| i64::from(e.0)))
                        .push_bind(s.mrr.micros())
                        .push_bind(s.currency.as_str())
                        .push_bind(s.plan.as_deref());
                });
                out.inserted += qb.build().execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
        });
        Ok(out)
    }

    /// Every stored subscription in `currency` (all currencies when `None`), in the order
    /// stored (by internal id: a batch is stored in its own order), customers by external id
    /// (erased ones as described at [`StoredSubscription::customer`]).
    ///
    /// # Errors
    /// [`StoreError::Database`]; [`StoreError::Corrupt`] for a stored day out of range.
    pub async fn subscriptions(
        &self,
        currency: Option<&str>,
    ) -> Result<Vec<StoredSubscription>, StoreError> {
        let sql = "SELECT c.external_id, c.id, s.start_day, s.end_day, s.mrr_micros, s.currency \
                   FROM subscriptions s JOIN customers c ON c.id = s.customer_id \
                   WHERE $1 IS NULL OR s.currency = $1 ORDER BY s.id";
        let mut erased: HashMap<i64, usize> = HashMap::new();
        let mut out = Vec::new();
        let day = |column: &'static str, v: i64| {
            i32::try_from(v)
                .ok()
                .map(Day)
                .filter(|d| d.date().is_some())
                .ok_or(StoreError::Corrupt {
                    column,
                    value: v.to_string(),
                })
        };
        on_pool!(self, p => {
            let rows = sqlx::query(sql).bind(currency).fetch_all(p).await?;
            for r in rows {
                let ext: Option<String> = r.try_get(0)?;
                let id: i64 = r.try_get(1)?;
                let customer = match ext {
                    Some(e) => e,
                    None => {
                        let n = erased.len();
                        format!("\u{0}erased-{}", erased.entry(id).or_insert(n))
                    }
                };
                let end: Option<i64> = r.try_get(3)?;
                out.push(StoredSubscription {
                    customer,
                    start: day("subscriptions.start_day", r.try_get(2)?)?,
                    end: end.map(|e| day("subscriptions.end_day", e)).transpose()?,
                    mrr: Amount::from_micros(r.try_get(4)?),
                    currency: r.try_get(5)?,
                });
            }
        });
        Ok(out)
    }

    /// The currencies of the stored subscriptions with their counts, by code.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn subscription_currencies(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT currency, COUNT(*) FROM subscriptions GROUP BY currency",
            )
            .fetch_all(p)
            .await?
        });
        let mut out: Vec<(String, u64)> = rows
            .into_iter()
            .map(|(c, n)| (c, u64::try_from(n).unwrap_or(0)))
            .collect();
        out.sort_unstable();
        Ok(out)
    }

    /// Records the day each customer joined the loyalty programme, in one database
    /// transaction (all rows or none): the customer is created on first sight and flagged a
    /// member (`loyalty_member`), and a stored day is replaced by the one sent (`updated`) or
    /// left alone when equal (`unchanged`). A customer repeated in the batch must carry the
    /// same day.
    ///
    /// # Errors
    /// [`StoreError::Rejected`] with every row error (a bad customer id, a day that is not a
    /// date, an erased customer, a repeated customer with another day) — nothing stored;
    /// [`StoreError::Database`].
    pub async fn enrol_loyalty_members(
        &self,
        batch: &[(String, Day)],
    ) -> Result<UpsertOutcome, StoreError> {
        retry_on_race(|| self.enrol_loyalty_members_once(batch)).await
    }

    async fn enrol_loyalty_members_once(
        &self,
        batch: &[(String, Day)],
    ) -> Result<UpsertOutcome, StoreError> {
        let mut errors = Vec::new();
        let mut first: HashMap<&str, usize> = HashMap::new();
        let mut out = UpsertOutcome::default();
        let mut rows: Vec<usize> = Vec::new();
        for (i, (c, d)) in batch.iter().enumerate() {
            check_id(&mut errors, i, "customer", c);
            if d.date().is_none() {
                errors.push(RowError::new(
                    i,
                    "enrolled_on",
                    format!("day {} is not a date", d.0),
                ));
            }
            match first.get(c.as_str()) {
                None => {
                    first.insert(c, i);
                    rows.push(i);
                }
                Some(&j) if batch[j].1 == *d => out.unchanged += 1,
                Some(&j) => errors.push(RowError::new(
                    i,
                    "customer",
                    format!("{c:?} repeats row {j} with another day"),
                )),
            }
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.index);
            return Err(StoreError::Rejected { rows: errors });
        }
        rows.sort_unstable_by(|&a, &b| batch[a].0.cmp(&batch[b].0));
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for &i in &rows {
                let (c, d) = &batch[i];
                let erased: Option<String> = sqlx::query_scalar(
                    "SELECT external_id_hash FROM erasure_suppression WHERE external_id_hash = $1",
                )
                .bind(self.suppression_hash(c))
                .fetch_optional(&mut *tx)
                .await?;
                if erased.is_some() {
                    errors.push(RowError::new(
                        i,
                        "customer",
                        format!("customer {c:?} was erased; re-ingest is refused"),
                    ));
                    continue;
                }
                sqlx::query(
                    "INSERT INTO customers (external_id, loyalty_member) VALUES ($1, TRUE) \
                     ON CONFLICT (external_id) DO UPDATE SET loyalty_member = TRUE",
                )
                .bind(c)
                .execute(&mut *tx)
                .await?;
                let id: i64 = sqlx::query_scalar("SELECT id FROM customers WHERE external_id = $1")
                    .bind(c)
                    .fetch_one(&mut *tx)
                    .await?;
                let old: Option<i64> = sqlx::query_scalar(
                    "SELECT enrolled_on FROM loyalty_enrolments WHERE customer_id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                let day = i64::from(d.0);
                match old {
                    Some(o) if o == day => out.unchanged += 1,
                    Some(_) => {
                        sqlx::query("UPDATE loyalty_enrolments SET enrolled_on = $1 WHERE customer_id = $2")
                            .bind(day)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        out.updated += 1;
                    }
                    None => {
                        sqlx::query("INSERT INTO loyalty_enrolments (customer_id, enrolled_on) VALUES ($1, $2)")
                            .bind(id)
                            .bind(day)
                            .execute(&mut *tx)
                            .await?;
                        out.inserted += 1;
                    }
                }
            }
            if !errors.is_empty() {
                tx.rollback().await?;
                return Err(StoreError::Rejected { rows: errors });
            }
            tx.commit().await?;
        });
        Ok(out)
    }

    /// Every recorded loyalty enrolment as (customer external id, enrolment day), sorted by
    /// external id; erased customers are left out.
    ///
    /// # Errors
    /// [`StoreError::Database`]; [`StoreError::Corrupt`] for a stored day out of range.
    pub async fn loyalty_enrolments(&self) -> Result<Vec<(String, Day)>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT c.external_id, e.enrolled_on FROM loyalty_enrolments e \
                 JOIN customers c ON c.id = e.customer_id WHERE c.external_id IS NOT NULL",
            )
            .fetch_all(p)
            .await?
        });
        let mut out = rows
            .into_iter()
            .map(|(c, d)| {
                i32::try_from(d)
                    .ok()
                    .map(Day)
                    .filter(|x| x.date().is_some())
                    .map(|d| (c, d))
                    .ok_or(StoreError::Corrupt {
                        column: "loyalty_enrolments.enrolled_on",
                        value: d.to_string(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Sorted here, not in SQL: PostgreSQL's collation may differ from byte order.
        out.sort_unstable();
        Ok(out)
    }
}
