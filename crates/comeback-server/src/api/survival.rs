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

use std::collections::BTreeMap;

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

/// The likelihood-ratio test of the Cox model against the model without covariates.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LrTestOut {
    /// 2 × (log L − log L₀).
    pub statistic: f64,
    /// Degrees of freedom (coefficients).
    pub df: u64,
    /// P-value (chi-square).
    pub p_value: f64,
}

/// One covariate's proportional-hazards check.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PhRowOut {
    /// Covariate (a coefficient's name).
    pub covariate: String,
    /// Chi-square statistic on 1 df.
    pub statistic: f64,
    /// P-value.
    pub p_value: f64,
}

/// The proportional-hazards check: scaled Schoenfeld residuals against transformed time
/// (Grambsch & Therneau 1994).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PhTestOut {
    /// Time transform (`km`, `rank`, `identity`, `log`).
    pub transform: String,
    /// Per covariate.
    pub covariates: Vec<PhRowOut>,
    /// Global chi-square statistic.
    pub global_statistic: f64,
    /// Its degrees of freedom.
    pub global_df: u64,
    /// Its p-value.
    pub global_p_value: f64,
    /// Plain-language warning when the check fails (absent when it passes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// The Cox proportional-hazards model of time to lost: the CLI's `comeback survival cox
/// --json` keys (per-coefficient maps by name), with the reference level of each
/// categorical covariate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoxOut {
    /// β by coefficient name (log hazard ratio per unit of the covariate).
    pub coefficients: BTreeMap<String, f64>,
    /// Standard errors of β (inverse observed information).
    pub std_errors: BTreeMap<String, f64>,
    /// Wald p-values.
    pub p_values: BTreeMap<String, f64>,
    /// exp(β).
    pub hazard_ratios: BTreeMap<String, f64>,
    /// Lower bound of the 95 % interval of the hazard ratio.
    pub ci_low: BTreeMap<String, f64>,
    /// Upper bound.
    pub ci_high: BTreeMap<String, f64>,
    /// Partial log-likelihood at β.
    pub log_likelihood: f64,
    /// Partial log-likelihood at β = 0.
    pub null_log_likelihood: f64,
    /// The likelihood-ratio test.
    pub lr_test: LrTestOut,
    /// Harrell's C (ties counted ½); absent when no pair is comparable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concordance: Option<f64>,
    /// Customers (subjects).
    pub n: u64,
    /// Customers lost (events).
    pub events: u64,
    /// Tie handling (`efron`).
    pub ties: String,
    /// The proportional-hazards check.
    pub ph_test: PhTestOut,
    /// Reference level of each categorical covariate (`location`, `nps`).
    pub reference_levels: BTreeMap<String, String>,
    /// The "lost" rule of the durations.
    pub lost_rule: LostRuleOut,
}

/// Cox proportional hazards (Efron ties) of time to lost, the `/retention` page's model:
/// one subject per customer with purchases, days since the first purchase until lost
/// (the survival curves' rule) or censored; covariates, each only when it takes two or
/// more values: `first_value` (net amount of the first purchase day per 100 currency
/// units), `location=CODE` (first location, categorical), `member` (loyalty, 0/1),
/// `nps=CLASS` (latest NPS answer's class, `none` without one), `complained` (0/1).
/// Covariates are fixed at the observation end: the model shows association, not effect.
#[utoipa::path(get, path = "/api/v1/survival/cox", tag = "analytics",
    responses(
        (status = 200, description = "the fitted model", body = CoxOut),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "role is not manager or admin", body = ErrorBody),
        (status = 409, description = "the data give no model: no customer lost, no covariate varies, collinear covariates or no convergence", body = ErrorBody)))]
pub async fn survival_cox(
    _user: RequireManager,
    State(state): State<AppState>,
) -> Result<Json<CoxOut>, ApiError> {
    let nps = crate::dashboard::retention::latest_nps(&state).await?;
    let (members, locations, complained) = crate::dashboard::retention::cox_inputs(&state).await?;
    let log = state.store.transaction_log(&LogQuery::default()).await?;
    let (m, design) = tokio::task::spawn_blocking(move || {
        crate::dashboard::retention::fit_cox_model(&log, &members, &locations, &complained, &nps)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|e| ApiError::Conflict(e.to_string()))?;
    let by_name = |v: &[f64]| -> BTreeMap<String, f64> {
        m.names.iter().cloned().zip(v.iter().copied()).collect()
    };
    let rule = LostRule::default();
    let out = CoxOut {
        coefficients: by_name(&m.coefficients),
        std_errors: by_name(&m.std_errors),
        p_values: by_name(&m.p_values),
        hazard_ratios: by_name(&m.hazard_ratios),
        ci_low: by_name(&m.ci_low),
        ci_high: by_name(&m.ci_high),
        log_likelihood: m.log_likelihood,
        null_log_likelihood: m.null_log_likelihood,
        lr_test: LrTestOut {
            statistic: m.lr_statistic,
            df: m.lr_df as u64,
            p_value: m.lr_p_value,
        },
        concordance: m.concordance.filter(|c| c.is_finite()),
        n: m.n as u64,
        events: m.events as u64,
        ties: m.options.ties.as_str().to_owned(),
        ph_test: PhTestOut {
            transform: m.ph_test.transform.as_str().to_owned(),
            covariates: m
                .ph_test
                .covariates
                .iter()
                .map(|r| PhRowOut {
                    covariate: r.name.clone(),
                    statistic: r.statistic,
                    p_value: r.p_value,
                })
                .collect(),
            global_statistic: m.ph_test.global_statistic,
            global_df: m.ph_test.global_df as u64,
            global_p_value: m.ph_test.global_p_value,
            warning: m.ph_test.warning.clone(),
        },
        reference_levels: design.reference_levels().iter().cloned().collect(),
        lost_rule: LostRuleOut {
            k: rule.k,
            min_gaps: rule.min_gaps as u64,
            min_threshold_days: rule.min_threshold_days,
        },
    };
    // A non-finite number would serialise as null, outside the documented schema.
    let finite = |v: &BTreeMap<String, f64>| v.values().all(|x| x.is_finite());
    let ph = &out.ph_test;
    if !(finite(&out.coefficients)
        && finite(&out.std_errors)
        && finite(&out.p_values)
        && finite(&out.hazard_ratios)
        && finite(&out.ci_low)
        && finite(&out.ci_high)
        && out.log_likelihood.is_finite()
        && out.null_log_likelihood.is_finite()
        && out.lr_test.statistic.is_finite()
        && out.lr_test.p_value.is_finite()
        && ph.global_statistic.is_finite()
        && ph.global_p_value.is_finite()
        && ph
            .covariates
            .iter()
            .all(|r| r.statistic.is_finite() && r.p_value.is_finite()))
    {
        return Err(ApiError::Conflict(
            "the Cox fit gave a non-finite estimate (e.g. an infinite hazard ratio): the covariates separate the lost customers".to_owned(),
        ));
    }
    Ok(Json(out))
}
