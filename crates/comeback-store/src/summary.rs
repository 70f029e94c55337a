//! The per-customer BTYD summaries of a refit computed inside PostgreSQL by
//! [`comeback_sql`]'s summary query (issue 11, "the server on PostgreSQL at size"), so that
//! the heavy GROUP BY over every stored transaction runs where the rows are.
//!
//! [`Store::database_summaries`] opens one `REPEATABLE READ` transaction (one snapshot, so
//! the summaries and the day totals agree even while batches are stored), defines the
//! temporary view [`SUMMARY_VIEW`] over `transactions` and `customers` (erased customers
//! left out, amounts in millionths), and runs:
//! 1. the observation end: the last local day with a purchase row (amount ≥ 0), as
//!    [`comeback_core::TransactionLog::observation_end`];
//! 2. [`comeback_sql::summary_sql`] for PostgreSQL with refunds netted
//!    ([`comeback_sql::Refunds::Net`], the store's day-total semantics) in days, converted
//!    to the unit here with [`TimeUnit::from_days`] exactly as the in-process summary does;
//! 3. the same query with the calibration end the caller derives from that summary;
//! 4. the day totals the analysis still needs for lifecycle stages, defection, cohorts
//!    and the tracking curve, collapsed per customer, day and sign inside PostgreSQL.
//!
//! The transaction is rolled back at the end (it wrote only the temporary view).
//! SQLite keeps the in-process path ([`Store::transaction_log`] and
//! `TransactionLog::summarize`).

use comeback_core::{
    Amount, CalibrationHoldout, CalibrationHoldoutSummary, CustomerSummary, Day, Summary, TimeUnit,
    TransactionLog, TransactionLogBuilder,
};
use futures_util::TryStreamExt;
use sqlx::Row;

use crate::store::Pool;
use crate::{Store, StoreError};

/// The temporary view the summary query reads (in PostgreSQL's `pg_temp` schema of the
/// refit's own transaction): `customer_id` (external id, text), `day` (local day, `DATE`),
/// `amount` (millionths of the currency unit, `BIGINT`), `currency`.
pub const SUMMARY_VIEW: &str = "comeback_summary_rows";

/// The definition of the temporary view [`SUMMARY_VIEW`] (created in the refit's
/// transaction and dropped with its rollback).
pub const SUMMARY_VIEW_SQL: &str = "CREATE OR REPLACE TEMPORARY VIEW comeback_summary_rows AS \
     SELECT c.external_id AS customer_id, \
            DATE '1970-01-01' + CAST(t.local_day AS INTEGER) AS day, \
            t.amount_micros AS amount, t.currency \
     FROM transactions t JOIN customers c ON c.id = t.customer_id \
     WHERE c.external_id IS NOT NULL";

/// The day totals of the refit: per customer, day and sign (so that the builder sees a day
/// with a purchase row as one, even when its refunds outweigh it), in customer and day order.
const DAY_TOTALS_SQL: &str = "SELECT c.external_id, t.local_day, \
     CAST(SUM(t.amount_micros) AS BIGINT) \
     FROM transactions t JOIN customers c ON c.id = t.customer_id \
     WHERE c.external_id IS NOT NULL \
     GROUP BY t.customer_id, c.external_id, t.local_day, t.amount_micros >= 0 \
     ORDER BY t.customer_id, t.local_day";

/// The observation end of the stored log: the last local day with a purchase row.
const END_SQL: &str = "SELECT MAX(t.local_day) FROM transactions t \
     JOIN customers c ON c.id = t.customer_id \
     WHERE c.external_id IS NOT NULL AND t.amount_micros >= 0";

/// The currencies of the stored log (lowest and highest code).
const CURRENCY_SQL: &str = "SELECT MIN(currency), MAX(currency) FROM pg_temp.comeback_summary_rows";

/// What a PostgreSQL refit reads, from one snapshot.
#[derive(Debug, Clone)]
pub struct DatabaseSummaries {
    /// The summary of all stored purchases (one row per customer, sorted by external id in
    /// byte order), computed inside PostgreSQL; empty when nothing is stored.
    pub summary: Summary,
    /// The calibration/holdout summary at the calibration end the caller asked for, computed
    /// inside PostgreSQL; `None` when it asked for none.
    pub calibration: Option<CalibrationHoldoutSummary>,
    /// The day totals (collapsed inside PostgreSQL) for the sections that need purchase
    /// days: memory about 16 bytes per customer-day.
    pub log: TransactionLog,
}

/// The summary query of `comeback sql --dialect postgres` over [`SUMMARY_VIEW`], in days,
/// refunds netted, with the given observation end and calibration end.
///
/// # Panics
/// Never: the table and column names are constants that [`comeback_sql::summary_sql`]
/// accepts, and a calibration end after the observation end is not asked for by
/// [`Store::database_summaries`] (it returns no rows instead, see there).
pub fn summary_query(observation_end: Day, calibration_end: Option<Day>) -> String {
    comeback_sql::summary_sql(&comeback_sql::SummaryQuery {
        dialect: comeback_sql::Dialect::Postgres,
        table: format!("pg_temp.{SUMMARY_VIEW}"),
        customer_col: "customer_id".into(),
        date_col: "day".into(),
        amount_col: "amount".into(),
        timezone: None,
        calibration_end: calibration_end.map(|c| c.min(observation_end)),
        observation_end: Some(observation_end),
        unit: TimeUnit::Days,
        refunds: comeback_sql::Refunds::Net,
    })
    .expect("constant identifiers and a calibration end clamped to the observation end")
}

/// A whole number of days read back from the query's `DOUBLE PRECISION` column.
fn whole_days(column: &'static str, v: f64) -> Result<i64, StoreError> {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e9 {
        Ok(v as i64)
    } else {
        Err(StoreError::Corrupt {
            column,
            value: v.to_string(),
        })
    }
}

/// A count read back from the query's `BIGINT` column.
fn count(column: &'static str, v: i64) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt {
        column,
        value: v.to_string(),
    })
}

/// `Day(d)` for a stored local day.
fn day_of(d: i64) -> Result<Day, StoreError> {
    i32::try_from(d).map(Day).map_err(|_| StoreError::Corrupt {
        column: "transactions.local_day",
        value: d.to_string(),
    })
}

impl Store {
    /// The summaries of a refit computed inside PostgreSQL, and the day totals, from one
    /// snapshot (see the module docs). `calibration_end` receives the summary on all data
    /// and returns the calibration end of the model comparison (or `None`); a day on or
    /// after the observation end gives an empty calibration summary.
    ///
    /// Times are in `unit`; monetary values are the query's mean of millionths (exact sums
    /// below 2⁵³ millionths) divided by 10⁶, within two rounding steps of the in-process
    /// summary's exact mean.
    ///
    /// # Errors
    /// [`StoreError::Unsupported`] on SQLite (use [`Store::transaction_log`]);
    /// [`StoreError::MixedCurrencies`] when the stored transactions have several
    /// currencies; [`StoreError::Corrupt`] for a result no summary can have;
    /// [`StoreError::Summary`] when a day total leaves the exact range;
    /// [`StoreError::Database`].
    pub async fn database_summaries(
        &self,
        unit: TimeUnit,
        calibration_end: impl FnOnce(&Summary) -> Option<Day> + Send,
    ) -> Result<DatabaseSummaries, StoreError> {
        let Pool::Postgres(pool) = &self.pool else {
            return Err(StoreError::Unsupported {
                operation: "summaries computed in the database",
                backend: "sqlite",
            });
        };
        let mut tx = pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ")
            .await?;
        sqlx::query(SUMMARY_VIEW_SQL).execute(&mut *tx).await?;
        let (low, high): (Option<String>, Option<String>) =
            sqlx::query_as(CURRENCY_SQL).fetch_one(&mut *tx).await?;
        if let (Some(first), Some(second)) = (&low, &high)
            && first != second
        {
            return Err(StoreError::MixedCurrencies {
                first: first.clone(),
                second: second.clone(),
            });
        }
        let end: Option<i64> = sqlx::query_scalar(END_SQL).fetch_one(&mut *tx).await?;
        let Some(end) = end else {
            tx.rollback().await?;
            return Ok(DatabaseSummaries {
                summary: Summary {
                    unit,
                    observation_end: Day::default(),
                    customers: Vec::new(),
                },
                calibration: None,
                log: TransactionLogBuilder::new(None).finish(),
            });
        };
        let end = day_of(end)?;
        let mut customers = Vec::new();
        {
            let sql = summary_query(end, None);
            let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).fetch(&mut *tx);
            while let Some(r) = rows.try_next().await? {
                let id: String = r.try_get(0)?;
                let frequency = count("summary frequency", r.try_get(1)?)?;
                let recency = whole_days("summary recency", r.try_get(2)?)?;
                let t = whole_days("summary T", r.try_get(3)?)?;
                let monetary_micros: f64 = r.try_get(4)?;
                let first = Day(end.0 - t as i32);
                customers.push(CustomerSummary {
                    customer_id: id.into_boxed_str(),
                    first_purchase: first,
                    last_purchase: Day(first.0 + recency as i32),
                    frequency,
                    recency: unit.from_days(recency),
                    t: unit.from_days(t),
                    monetary_value: monetary_micros / Amount::SCALE as f64,
                });
            }
        }
        let summary = Summary {
            unit,
            observation_end: end,
            customers,
        };
        let calibration = match calibration_end(&summary) {
            None => None,
            Some(cal) => {
                let sql = summary_query(end, Some(cal));
                let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).fetch(&mut *tx);
                let mut customers = Vec::new();
                while let Some(r) = rows.try_next().await? {
                    let id: String = r.try_get(0)?;
                    let recency = whole_days("summary recency_cal", r.try_get(2)?)?;
                    let t = whole_days("summary T_cal", r.try_get(3)?)?;
                    let mv_cal: f64 = r.try_get(4)?;
                    let mv_hold: f64 = r.try_get(6)?;
                    let hold = whole_days("summary duration_holdout", r.try_get(7)?)?;
                    customers.push(CalibrationHoldout {
                        customer_id: id.into_boxed_str(),
                        first_purchase: Day(cal.0 - t as i32),
                        frequency_cal: count("summary frequency_cal", r.try_get(1)?)?,
                        recency_cal: unit.from_days(recency),
                        t_cal: unit.from_days(t),
                        monetary_value_cal: mv_cal / Amount::SCALE as f64,
                        frequency_holdout: count("summary frequency_holdout", r.try_get(5)?)?,
                        monetary_value_holdout: mv_hold / Amount::SCALE as f64,
                        duration_holdout: unit.from_days(hold),
                    });
                }
                Some(CalibrationHoldoutSummary {
                    unit,
                    calibration_end: cal,
                    observation_end: end,
                    duration_holdout: unit.from_days((end.0 - cal.0.min(end.0)) as i64),
                    excluded_after_calibration: summary
                        .customers
                        .len()
                        .saturating_sub(customers.len()),
                    customers,
                })
            }
        };
        let mut builder = TransactionLogBuilder::new(None);
        {
            let mut rows = sqlx::query(DAY_TOTALS_SQL).fetch(&mut *tx);
            while let Some(r) = rows.try_next().await? {
                let customer: String = r.try_get(0)?;
                let day = day_of(r.try_get(1)?)?;
                builder.add(&customer, day, Amount::from_micros(r.try_get(2)?))?;
            }
        }
        tx.rollback().await?;
        Ok(DatabaseSummaries {
            summary,
            calibration,
            log: builder.finish(),
        })
    }
}
