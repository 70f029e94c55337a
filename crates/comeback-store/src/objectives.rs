//! Written retention objectives (PRODUCT R10): a metric, a comparator, a target, an owner
//! and a period, e.g. "defection rate at most 15 %/year, owner Ana, 2026".

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::store::on_pool;
use crate::util::{from_micros, id_problem, to_micros};
use crate::{Store, StoreError};

/// What an objective measures, with its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectiveMetric {
    /// Customers active in the previous 12 months and not in the last 12, as a percentage
    /// of the former (percent per year, 0–100).
    DefectionRate,
    /// 100 − the defection rate (percent per year, 0–100).
    RetentionRate,
    /// Net Promoter Score: % promoters − % detractors (points, −100 to 100).
    Nps,
}

impl ObjectiveMetric {
    /// Every metric.
    pub const ALL: [ObjectiveMetric; 3] = [
        ObjectiveMetric::DefectionRate,
        ObjectiveMetric::RetentionRate,
        ObjectiveMetric::Nps,
    ];

    /// `defection_rate`, `retention_rate` or `nps`.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectiveMetric::DefectionRate => "defection_rate",
            ObjectiveMetric::RetentionRate => "retention_rate",
            ObjectiveMetric::Nps => "nps",
        }
    }

    /// The metric named `s`.
    pub fn parse(s: &str) -> Option<ObjectiveMetric> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The range a target must lie in: [0, 100] for rates, [−100, 100] for NPS.
    pub fn range(self) -> (f64, f64) {
        match self {
            ObjectiveMetric::DefectionRate | ObjectiveMetric::RetentionRate => (0.0, 100.0),
            ObjectiveMetric::Nps => (-100.0, 100.0),
        }
    }
}

/// How the actual value must compare with the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    /// actual ≤ target.
    AtMost,
    /// actual ≥ target.
    AtLeast,
}

impl Comparator {
    /// `at_most` or `at_least`.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::AtMost => "at_most",
            Comparator::AtLeast => "at_least",
        }
    }

    /// The comparator named `s`.
    pub fn parse(s: &str) -> Option<Comparator> {
        match s {
            "at_most" => Some(Comparator::AtMost),
            "at_least" => Some(Comparator::AtLeast),
            _ => None,
        }
    }

    /// Whether `actual` meets `target` under this comparator.
    pub fn holds(self, actual: f64, target: f64) -> bool {
        match self {
            Comparator::AtMost => actual <= target,
            Comparator::AtLeast => actual >= target,
        }
    }
}

/// An objective as given (create or replace).
#[derive(Debug, Clone, PartialEq)]
pub struct NewObjective {
    /// What is measured.
    pub metric: ObjectiveMetric,
    /// How the actual must compare with the target.
    pub comparator: Comparator,
    /// The target, in the metric's unit ([`ObjectiveMetric::range`]).
    pub target: f64,
    /// Who is accountable (a name or role), 1–200 bytes.
    pub owner: String,
    /// The calendar period: `YYYY`, `YYYY-H1`/`H2`, `YYYY-Q1`…`Q4` or `YYYY-MM`.
    pub period: String,
}

/// A stored objective.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Objective {
    /// Its id.
    pub id: i64,
    /// The objective.
    #[serde(flatten)]
    pub spec: ObjectiveSpec,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When it was last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

/// The fields of an objective (as [`NewObjective`], serialisable).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ObjectiveSpec {
    /// What is measured.
    pub metric: ObjectiveMetric,
    /// How the actual must compare with the target.
    pub comparator: Comparator,
    /// The target, in the metric's unit.
    pub target: f64,
    /// Who is accountable.
    pub owner: String,
    /// The calendar period.
    pub period: String,
}

/// Whether `p` is `YYYY`, `YYYY-H1`/`H2`, `YYYY-Q1`…`Q4` or `YYYY-MM` (01–12), year
/// 1970–9999.
pub fn valid_period(p: &str) -> bool {
    let b = p.as_bytes();
    if b.len() < 4 || !b[..4].iter().all(u8::is_ascii_digit) || &p[..4] < "1970" {
        return false;
    }
    match &p[4..] {
        "" | "-H1" | "-H2" | "-Q1" | "-Q2" | "-Q3" | "-Q4" => true,
        m if m.len() == 3 && m.starts_with('-') => {
            matches!(m[1..].parse::<u8>(), Ok(1..=12)) && m[1..].bytes().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

fn check(o: &NewObjective) -> Result<(), StoreError> {
    let (lo, hi) = o.metric.range();
    if !o.target.is_finite() || o.target < lo || o.target > hi {
        return Err(StoreError::Invalid {
            field: "target",
            value: o.target.to_string(),
            reason: "outside the metric's range (rates 0 to 100, nps -100 to 100)",
        });
    }
    if id_problem(&o.owner).is_some() {
        return Err(StoreError::Invalid {
            field: "owner",
            value: o.owner.chars().take(100).collect(),
            reason: "must be 1-200 bytes without control characters or surrounding spaces",
        });
    }
    if !valid_period(&o.period) {
        return Err(StoreError::Invalid {
            field: "period",
            value: o.period.chars().take(100).collect(),
            reason: "must be YYYY, YYYY-H1, YYYY-Q1 ... YYYY-Q4 or YYYY-MM",
        });
    }
    Ok(())
}

const COLUMNS: &str = "id, metric, comparator, target, owner, period, created_at, updated_at";

fn objective_from_row<R: Row>(r: &R) -> Result<Objective, StoreError>
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> f64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let metric: String = r.try_get(1)?;
    let comparator: String = r.try_get(2)?;
    Ok(Objective {
        id: r.try_get(0)?,
        spec: ObjectiveSpec {
            metric: ObjectiveMetric::parse(&metric).ok_or(StoreError::Corrupt {
                column: "objectives.metric",
                value: metric.clone(),
            })?,
            comparator: Comparator::parse(&comparator).ok_or(StoreError::Corrupt {
                column: "objectives.comparator",
                value: comparator.clone(),
            })?,
            target: r.try_get(3)?,
            owner: r.try_get(4)?,
            period: r.try_get(5)?,
        },
        created_at: from_micros("objectives.created_at", r.try_get(6)?)?,
        updated_at: from_micros("objectives.updated_at", r.try_get(7)?)?,
    })
}

impl Store {
    /// Stores a new objective.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a target outside the metric's range (or not finite), an
    /// empty, long or control-character owner, a malformed period; [`StoreError::Database`].
    pub async fn create_objective(&self, o: &NewObjective) -> Result<Objective, StoreError> {
        check(o)?;
        let now = to_micros(Utc::now());
        let sql = "INSERT INTO objectives (metric, comparator, target, owner, period, \
                   created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";
        let id: i64 = on_pool!(self, p => sqlx::query_scalar(sql)
            .bind(o.metric.as_str())
            .bind(o.comparator.as_str())
            .bind(o.target)
            .bind(&o.owner)
            .bind(&o.period)
            .bind(now)
            .fetch_one(p)
            .await?);
        self.objective(id).await
    }

    /// Every objective, by id.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn list_objectives(&self) -> Result<Vec<Objective>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM objectives ORDER BY id");
        on_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(p).await?;
            rows.iter().map(objective_from_row).collect()
        })
    }

    /// One objective.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn objective(&self, id: i64) -> Result<Objective, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM objectives WHERE id = $1");
        let found = on_pool!(self, p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await?;
            row.as_ref().map(objective_from_row).transpose()?
        });
        found.ok_or(StoreError::NotFound {
            what: "objective",
            key: id.to_string(),
        })
    }

    /// Replaces an objective's fields.
    ///
    /// # Errors
    /// As [`Store::create_objective`]; [`StoreError::NotFound`].
    pub async fn update_objective(
        &self,
        id: i64,
        o: &NewObjective,
    ) -> Result<Objective, StoreError> {
        check(o)?;
        let sql = "UPDATE objectives SET metric = $1, comparator = $2, target = $3, owner = $4, \
                   period = $5, updated_at = $6 WHERE id = $7";
        let n = on_pool!(self, p => sqlx::query(sql)
            .bind(o.metric.as_str())
            .bind(o.comparator.as_str())
            .bind(o.target)
            .bind(&o.owner)
            .bind(&o.period)
            .bind(to_micros(Utc::now()))
            .bind(id)
            .execute(p)
            .await?
            .rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "objective",
                key: id.to_string(),
            });
        }
        self.objective(id).await
    }

    /// Deletes an objective.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Database`].
    pub async fn delete_objective(&self, id: i64) -> Result<(), StoreError> {
        let sql = "DELETE FROM objectives WHERE id = $1";
        let n = on_pool!(self, p => sqlx::query(sql).bind(id).execute(p).await?.rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "objective",
                key: id.to_string(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        for ok in [
            "2026", "2026-H1", "2026-H2", "2026-Q1", "2026-Q4", "2026-01", "2026-12",
        ] {
            assert!(valid_period(ok), "{ok}");
        }
        for bad in [
            "",
            "26",
            "1969",
            "2026-",
            "2026-H3",
            "2026-Q5",
            "2026-00",
            "2026-13",
            "2026-1",
            "2026-+1",
            "2026 ",
            "2026-01-01",
        ] {
            assert!(!valid_period(bad), "{bad}");
        }
    }

    #[test]
    fn comparators() {
        assert!(Comparator::AtMost.holds(15.0, 15.0));
        assert!(!Comparator::AtMost.holds(15.1, 15.0));
        assert!(Comparator::AtLeast.holds(40.0, 40.0));
        assert!(!Comparator::AtLeast.holds(39.9, 40.0));
    }
}
