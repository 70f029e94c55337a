//! PostgreSQL's plans of the queries the server runs per request at size: the customer page,
//! the customer search and the filtered lists (segment, stage — the action lists' customers
//! — and a manager's locations), and the summary query of a refit. The texts are the very
//! ones the operations run (shared constants and builders), so a test on a large
//! generated log (`tests/it/plans.rs`) checks what production runs.

use crate::customers::{CUSTOMER_BY_ID_SQL, CustomerQuery, HISTORY_SQL, VISITED_SQL, search_query};
use crate::store::Pool;
use crate::summary::{SUMMARY_VIEW_SQL, summary_query};
use crate::{Store, StoreError};
use comeback_core::Day;
use sqlx::Row;

/// One query's plan (`EXPLAIN`, text format: one line per node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryPlan {
    /// Which query: `customer_by_external_id`, `customer_history`, `customer_visited`,
    /// `customer_search`, `customers_among`, `customers_at_locations`, `summary`.
    pub name: &'static str,
    /// The plan's lines.
    pub plan: Vec<String>,
}

impl QueryPlan {
    /// True when a line of the plan is a sequential scan of `table` (`Seq Scan on table`,
    /// also `Parallel Seq Scan`).
    pub fn seq_scans(&self, table: &str) -> bool {
        let needle = format!("Seq Scan on {table} ");
        self.plan.iter().any(|l| l.contains(&needle))
    }
}

impl Store {
    /// The plans of the per-request queries for the customer `customer` (an external id that
    /// exists), a search text `search`, the ids `among` (as the segment and stage filters
    /// pass them) and the location codes `locations` (a manager's view), and of the refit's
    /// summary query ([`crate::summary_query`]) at the observation end `end`.
    ///
    /// # Errors
    /// [`StoreError::Unsupported`] on SQLite; [`StoreError::NotFound`] for an unknown
    /// customer; [`StoreError::Database`].
    pub async fn explain_hot_queries(
        &self,
        customer: &str,
        search: &str,
        among: &[String],
        locations: &[String],
        end: Day,
    ) -> Result<Vec<QueryPlan>, StoreError> {
        let Pool::Postgres(pool) = &self.pool else {
            return Err(StoreError::Unsupported {
                operation: "query plans",
                backend: "sqlite",
            });
        };
        let mut tx = pool.begin().await?;
        let lines = |rows: Vec<sqlx::postgres::PgRow>| -> Result<Vec<String>, StoreError> {
            rows.iter()
                .map(|r| r.try_get::<String, _>(0).map_err(StoreError::from))
                .collect()
        };
        let mut out = Vec::new();
        let explain = |sql: &str| sqlx::AssertSqlSafe(format!("EXPLAIN {sql}"));
        let rows = sqlx::query(explain(CUSTOMER_BY_ID_SQL))
            .bind(customer)
            .fetch_all(&mut *tx)
            .await?;
        out.push(QueryPlan {
            name: "customer_by_external_id",
            plan: lines(rows)?,
        });
        let id: i64 = sqlx::query_scalar("SELECT id FROM customers WHERE external_id = $1")
            .bind(customer)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "customer",
                key: customer.to_owned(),
            })?;
        let rows = sqlx::query(explain(HISTORY_SQL))
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        out.push(QueryPlan {
            name: "customer_history",
            plan: lines(rows)?,
        });
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(format!("EXPLAIN {VISITED_SQL}"));
        qb.push_bind(id).push(" AND l.code IN (");
        let mut sep = qb.separated(", ");
        for c in locations {
            sep.push_bind(c.as_str());
        }
        qb.push(") LIMIT 1");
        let rows = qb.build().fetch_all(&mut *tx).await?;
        out.push(QueryPlan {
            name: "customer_visited",
            plan: lines(rows)?,
        });
        let pattern = format!("%{}%", crate::util::like_escape(&search.to_lowercase()));
        for (name, query) in [
            (
                "customer_search",
                CustomerQuery {
                    search: Some(search.to_owned()),
                    ..CustomerQuery::default()
                },
            ),
            (
                "customers_among",
                CustomerQuery {
                    among: Some(among.to_vec()),
                    ..CustomerQuery::default()
                },
            ),
            (
                "customers_at_locations",
                CustomerQuery {
                    scope: Some(locations.to_vec()),
                    ..CustomerQuery::default()
                },
            ),
        ] {
            let pattern = query.search.as_ref().map(|_| pattern.as_str());
            let mut qb = search_query::<sqlx::Postgres>("EXPLAIN ", &query, None, pattern, 50);
            let rows = qb.build().fetch_all(&mut *tx).await?;
            out.push(QueryPlan {
                name,
                plan: lines(rows)?,
            });
        }
        sqlx::query(SUMMARY_VIEW_SQL).execute(&mut *tx).await?;
        let rows = sqlx::query(explain(&summary_query(end, None)))
            .fetch_all(&mut *tx)
            .await?;
        out.push(QueryPlan {
            name: "summary",
            plan: lines(rows)?,
        });
        tx.rollback().await?;
        Ok(out)
    }
}
