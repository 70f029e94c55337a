//! Survival of time to "lost" by segment (`GET /api/v1/survival`): Kaplan–Meier curves with
//! their at-risk tables, pointwise 95 % log(−log) intervals and medians, and the log-rank
//! test between the segments — the analyze report's survival section, served.
//!
//! Computed on request from the store's transactions (`Store::transaction_log`; the cached
//! analysis keeps no transaction log) under `comeback_survival::time_to_lost` with its
//! default rule: a customer is lost after k = 3 times their own median gap between purchase
//! days without a purchase (`LostRule`, documented there). Segments (`by`):
//! - `tercile` (default): the value of the first purchase day, in thirds by mid-rank
//!   (`comeback_survival::first_purchase_terciles`, the report's segment);
//! - `location`: the location of the customer's earliest stored transaction
//!   (`Store::first_locations`; `unknown` without one);
//! - `segment`: the customer's RFM segment in the latest analysis (503 before the first
//!   refit; customers stored since are `unscored`).
//!
//! Times are days since the customer's first purchase.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::RequireManager;
use crate::error::{ApiError, ErrorBody, Json, Query};
use comeback_store::LogQuery;
use comeback_survival::{
    KmOptions, LostRule, TERCILE_LABELS, first_purchase_terciles, km_by_group, time_to_lost,
};

/// How customers are split into segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SurvivalBy {
    /// Thirds by the value of the first purchase day (`low`, `middle`, `high`).
    #[default]
    Tercile,
    /// The location of the earliest transaction (its code; `unknown` without one).
    Location,
    /// The RFM segment of the latest analysis.
    Segment,
}

/// Query of the survival curves.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SurvivalParams {
    /// Segments: `tercile` (default), `location` or `segment`.
    #[param(inline)]
    pub by: Option<SurvivalBy>,
}

/// The "lost" rule used.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LostRuleOut {
    /// Lost after k × the customer's own median gap between purchase days without a
    /// purchase.
    pub k: f64,
    /// Gaps a customer needs for their own median (fewer: the population's median gap).
    pub min_gaps: u64,
    /// Floor of the threshold, in days.
    pub min_threshold_days: f64,
}

/// One row of a Kaplan–Meier table: a distinct time with an event or a censoring.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KmRowOut {
    /// Days since the first purchase.
    pub time_days: f64,
    /// Customers at risk just before.
    pub at_risk: u64,
    /// Customers lost at this time.
    pub lost: u64,
    /// Customers censored (still active at the observation end) at this time.
    pub censored: u64,
    /// S(t): the share not yet lost, 0–1.
    pub survival: f64,
    /// Lower bound of the pointwise 95 % log(−log) interval, 0–1.
    pub ci_low: f64,
    /// Upper bound, 0–1.
    pub ci_high: f64,
}

/// One segment's curve.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurvivalGroupOut {
    /// The segment (a tercile, a location code or an RFM segment key).
    pub group: String,
    /// Customers in it.
    pub customers: u64,
    /// Of them lost.
    pub lost: u64,
    /// Median days to lost (absent when S(t) stays above one half).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_days: Option<f64>,
    /// Lower bound of the median's 95 % interval (Brookmeyer–Crowley), absent when not
    /// reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_ci_low_days: Option<f64>,
    /// Upper bound of the median's interval, absent when not reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_ci_high_days: Option<f64>,
    /// The at-risk table.
    pub table: Vec<KmRowOut>,
}

/// The log-rank test of equal survival across the segments (Mantel 1966).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogRankOut {
    /// Chi-square statistic.
    pub statistic: f64,
    /// Degrees of freedom (segments − 1).
    pub df: u64,
    /// P-value.
    pub p_value: f64,
}

/// Survival of time to lost by segment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurvivalOut {
    /// The segmentation.
    pub by: SurvivalBy,
    /// The rule.
    pub lost_rule: LostRuleOut,
    /// Last day of the stored transactions, `YYYY-MM-DD`.
    pub observation_end: String,
    /// Customers with purchases.
    pub customers: u64,
    /// The segments.
    pub groups: Vec<SurvivalGroupOut>,
    /// The test between them.
    pub logrank: LogRankOut,
}

/// Kaplan–Meier survival of time to lost by segment, with the log-rank test.
#[utoipa::path(get, path = "/api/v1/survival", tag = "analytics",
    params(SurvivalParams),
    responses(
        (status = 200, description = "the curves and the test", body = SurvivalOut),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "role is not manager or admin", body = ErrorBody),
        (status = 409, description = "the data cannot give curves: nobody bought on two days, fewer than two segments, no customer lost, or several currencies", body = ErrorBody),
        (status = 503, description = "by=segment before the first analysis", body = ErrorBody)))]
pub async fn survival(
    _user: RequireManager,
    State(state): State<AppState>,
    Query(q): Query<SurvivalParams>,
) -> Result<Json<SurvivalOut>, ApiError> {
    Ok(Json(compute(&state, q.by.unwrap_or_default()).await?))
}

/// The curves and the test for `by` (the handler's work; the dashboard's `/retention`
/// shows the same).
///
/// # Errors
/// 503 for `segment` before the first analysis; 409 when the data give no curves; store
/// errors.
pub(crate) async fn compute(state: &AppState, by: SurvivalBy) -> Result<SurvivalOut, ApiError> {
    let snapshot = match by {
        SurvivalBy::Segment => Some(
            state
                .scores
                .current()
                .ok_or_else(|| ApiError::Unavailable("scores not computed yet".to_owned()))?,
        ),
        _ => None,
    };
    let log = state.store.transaction_log(&LogQuery::default()).await?;
    let locations = match by {
        SurvivalBy::Location => Some(state.store.first_locations().await?),
        _ => None,
    };
    let out = tokio::task::spawn_blocking(move || -> Result<SurvivalOut, String> {
        let rule = LostRule::default();
        let lost = time_to_lost(&log, &rule).map_err(|e| e.to_string())?;
        let records = &lost.records;
        let groups: Vec<String> = match by {
            SurvivalBy::Tercile => first_purchase_terciles(&log, records)
                .into_iter()
                .map(String::from)
                .collect(),
            SurvivalBy::Location => {
                let l = locations.unwrap_or_default();
                records
                    .iter()
                    .map(|r| {
                        l.binary_search_by(|(id, _)| id.as_str().cmp(&r.customer_id))
                            .ok()
                            .and_then(|i| l[i].1.clone())
                            .unwrap_or_else(|| "unknown".to_owned())
                    })
                    .collect()
            }
            SurvivalBy::Segment => {
                let a = &snapshot.as_ref().expect("fetched above").analysis;
                records
                    .iter()
                    .map(|r| {
                        a.customer_index(&r.customer_id)
                            .map_or("unscored", |i| a.rfm[i].segment.key())
                            .to_owned()
                    })
                    .collect()
            }
        };
        let durations: Vec<f64> = records.iter().map(|r| r.duration_days).collect();
        let events: Vec<bool> = records.iter().map(|r| r.lost).collect();
        let order: &[&str] = if by == SurvivalBy::Tercile {
            &TERCILE_LABELS
        } else {
            &[]
        };
        let g = km_by_group(&durations, &events, &groups, order, &KmOptions::default())
            .map_err(|e| e.to_string())?;
        let finite = |v: Option<f64>| v.filter(|x| x.is_finite());
        Ok(SurvivalOut {
            by,
            lost_rule: LostRuleOut {
                k: rule.k,
                min_gaps: rule.min_gaps as u64,
                min_threshold_days: rule.min_threshold_days,
            },
            observation_end: lost.observation_end.to_string(),
            customers: records.len() as u64,
            groups: g
                .groups
                .iter()
                .map(|c| SurvivalGroupOut {
                    group: c.label.clone(),
                    customers: c.km.n,
                    lost: c.km.events,
                    median_days: finite(c.km.median),
                    median_ci_low_days: finite(c.km.median_ci_low),
                    median_ci_high_days: finite(c.km.median_ci_high),
                    table: c
                        .km
                        .rows
                        .iter()
                        .map(|r| KmRowOut {
                            time_days: r.time,
                            at_risk: r.at_risk,
                            lost: r.events,
                            censored: r.censored,
                            survival: r.survival,
                            ci_low: if r.ci_low.is_finite() { r.ci_low } else { 0.0 },
                            ci_high: if r.ci_high.is_finite() {
                                r.ci_high
                            } else {
                                1.0
                            },
                        })
                        .collect(),
                })
                .collect(),
            logrank: LogRankOut {
                statistic: g.logrank.statistic,
                df: g.logrank.df as u64,
                p_value: g.logrank.p_value,
            },
        })
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(ApiError::Conflict)?;
    Ok(out)
}
