//! What the latest analysis says: action lists (`/api/v1/actions/{list}`), the headline
//! metrics (`/api/v1/metrics`), retention economics (`/api/v1/economics`), the model status (`/api/v1/model`) and the background
//! refit (`POST /api/v1/model/refit`). All from one cached
//! [`comeback_analysis::Analysis`], the same values `comeback analyze` writes.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::RequireManager;
use crate::error::{ApiError, ErrorBody, Json, Path, Query};
use crate::scores::{RefitState, Snapshot};

/// The action lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ActionList {
    /// Valuable customers whose P(alive) is falling (lifecycle stage at risk), by value at
    /// risk.
    AtRisk,
    /// Lost customers ranked by value recoverable.
    WinBack,
    /// Active high-value repeat customers for referral programmes.
    Advocates,
}

/// Query of an action list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionParams {
    /// Most rows returned, 1–10000 (default 100).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<usize>,
}

/// One customer on an action list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionRow {
    /// 1-based position on the list.
    pub rank: usize,
    /// The customer's external id.
    pub external_id: String,
    /// P(alive) at the observation end.
    pub p_alive: f64,
    /// Discounted CLV (currency unit).
    pub clv: f64,
    /// CLV if alive × (1 − P(alive)) (currency unit).
    pub value_at_risk: f64,
    /// Expected purchases over the horizon.
    pub expected_purchases: f64,
    /// Repeat occasions.
    pub frequency: u32,
    /// Last purchase day, `YYYY-MM-DD`.
    pub last_purchase: String,
    /// Net historical revenue, exact decimal.
    pub historical_revenue: String,
    /// RFM segment key.
    pub segment: String,
    /// Lifecycle stage key.
    pub stage: String,
}

/// An action list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionListOut {
    /// Which list.
    pub list: ActionList,
    /// Customers on the whole list.
    pub total: usize,
    /// The first `limit` of them, in order.
    pub items: Vec<ActionRow>,
    /// When the analysis finished (UTC).
    pub computed_at: DateTime<Utc>,
}

fn snapshot(state: &AppState) -> Result<Arc<Snapshot>, ApiError> {
    state
        .scores
        .current()
        .ok_or_else(|| ApiError::Unavailable("scores not computed yet".to_owned()))
}

/// A ranked action list from the latest analysis.
#[utoipa::path(get, path = "/api/v1/actions/{list}", tag = "analytics",
    params(("list" = ActionList, Path, description = "at-risk, win-back or advocates"), ActionParams),
    responses(
        (status = 200, description = "the list", body = ActionListOut),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "role is not manager or admin", body = ErrorBody),
        (status = 503, description = "scores not computed yet", body = ErrorBody)))]
pub async fn actions(
    _user: RequireManager,
    State(state): State<AppState>,
    Path(list): Path<ActionList>,
    Query(p): Query<ActionParams>,
) -> Result<Json<ActionListOut>, ApiError> {
    let limit = p.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            format!("{limit} is not in 1-10000"),
        ));
    }
    let s = snapshot(&state)?;
    let a = &s.analysis;
    let ids = match list {
        ActionList::AtRisk => &a.lists.at_risk,
        ActionList::WinBack => &a.lists.win_back,
        ActionList::Advocates => &a.lists.advocates,
    };
    let items = ids
        .iter()
        .take(limit)
        .enumerate()
        .filter_map(|(k, &i)| {
            let c = a.customer(i)?;
            Some(ActionRow {
                rank: k + 1,
                external_id: c.summary.customer_id.to_string(),
                p_alive: c.p_alive,
                clv: c.clv,
                value_at_risk: c.value_at_risk.value_at_risk,
                expected_purchases: c.expected_purchases,
                frequency: c.summary.frequency,
                last_purchase: c.summary.last_purchase.to_string(),
                historical_revenue: c.historical_revenue.to_string(),
                segment: c.rfm.segment.key().to_owned(),
                stage: c.lifecycle_stage.key().to_owned(),
            })
        })
        .collect();
    Ok(Json(ActionListOut {
        list,
        total: ids.len(),
        items,
        computed_at: s.computed_at,
    }))
}

/// An estimate with its bootstrap interval (equal to the estimate without bootstrap).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IntervalOut {
    /// Point estimate.
    pub estimate: f64,
    /// Lower bound; `null` when the interval could not be computed (a non-finite bound).
    pub ci_low: Option<f64>,
    /// Upper bound; `null` when the interval could not be computed (a non-finite bound).
    pub ci_high: Option<f64>,
}

/// Defection over the last 12 months vs the 12 before (PRODUCT R8).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DefectionOut {
    /// Customers active in the previous window.
    pub active_previous: usize,
    /// Customers active in the current window.
    pub active_current: usize,
    /// Active in both.
    pub retained: usize,
    /// Active before, not now.
    pub customers_lost: usize,
    /// customers_lost ÷ active_previous; absent when nobody was active before.
    pub rate: Option<f64>,
    /// Net revenue of the lost customers over the previous window, exact decimal.
    pub revenue_lost: String,
}

/// The analysis headline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MetricsOut {
    /// Last day of the data used, `YYYY-MM-DD`.
    pub observation_end: String,
    /// Earliest first purchase, `YYYY-MM-DD`.
    pub first_day: String,
    /// Unit of the horizon (`days`, `weeks`, `months`).
    pub unit: String,
    /// Horizon of the expectations, in `unit`.
    pub horizon: f64,
    /// Customers with a purchase.
    pub customers: usize,
    /// Customers with a repeat purchase.
    pub repeat_customers: usize,
    /// Σ P(alive): customers expected alive now.
    pub expected_alive_now: f64,
    /// Expected purchases over the horizon.
    pub expected_purchases: IntervalOut,
    /// Expected revenue over the horizon (currency unit).
    pub expected_revenue: IntervalOut,
    /// Σ CLV (currency unit).
    pub clv_total: f64,
    /// Σ value at risk of the at-risk list.
    pub revenue_at_risk: f64,
    /// Σ value at risk of all customers.
    pub value_at_risk_total: f64,
    /// Defection.
    pub defection: DefectionOut,
    /// Customers per lifecycle stage key.
    #[schema(value_type = Object)]
    pub lifecycle: serde_json::Map<String, serde_json::Value>,
    /// The chosen model's name.
    pub model: String,
    /// When the analysis finished (UTC).
    pub computed_at: DateTime<Utc>,
}

/// Query of the retention economics.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EconomicsParams {
    /// Margin as a share of revenue (0 to 1) for the profit figures; default the analysis'
    /// margin (the CLV and what-if gains of the analysis keep the margin of the refit).
    #[param(minimum = 0, maximum = 1)]
    pub margin: Option<f64>,
    /// Cost of acquiring one customer (currency unit, 0 to 10¹²); without it the figures
    /// that need it are null.
    #[param(minimum = 0, maximum = 1e12)]
    pub acquisition_cost: Option<f64>,
}

/// Retention economics of the latest analysis (definitions in
/// `comeback_analysis::economics`; the same numbers as `comeback economics --json`'s
/// `economics` object). Money in the currency unit; `null` where undefined.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EconomicsOut {
    /// Margin used, as a share of revenue.
    pub margin: f64,
    /// Acquisition cost per customer, if given.
    pub acquisition_cost: Option<f64>,
    /// The 12-month defection rate (null when nobody was active in the previous window).
    pub defection_rate_12m: Option<f64>,
    /// Customers lost over the last 12 months.
    pub customers_lost_12m: usize,
    /// Their revenue in the 12 months before, exact decimal.
    pub revenue_lost_12m: String,
    /// margin × revenue lost.
    pub profit_lost_12m: f64,
    /// acquisition cost × customers lost.
    pub replacement_cost_12m: Option<f64>,
    /// Expected revenue of the next 12 months per expected alive customer.
    pub annual_revenue_per_alive_customer: Option<f64>,
    /// margin × annual revenue per alive customer.
    pub annual_margin_per_alive_customer: Option<f64>,
    /// Months of an average alive customer's margin that pay for acquiring one.
    pub payback_months: Option<f64>,
    /// 1 ÷ defection rate, in years (naive constant-churn lifetime).
    pub naive_lifetime_years: Option<f64>,
    /// Annual margin per alive customer ÷ defection rate (naive, undiscounted).
    pub naive_clv_per_customer: Option<f64>,
    /// Naive CLV ÷ acquisition cost.
    pub naive_clv_to_acquisition_cost: Option<f64>,
    /// Percentage points of 12-month survival added by the what-if.
    pub what_if_retention_points: f64,
    /// Model-based CLV gain of the what-if.
    pub what_if_model_clv_gain: f64,
    /// Naive constant-churn CLV gain of the what-if (null when not finite).
    pub what_if_naive_clv_gain: Option<f64>,
    /// Customers kept over a year by the what-if.
    pub what_if_customers_kept: f64,
    /// acquisition cost × customers kept.
    pub what_if_acquisition_cost_saved: Option<f64>,
    /// When the analysis finished (UTC).
    pub computed_at: DateTime<Utc>,
}

/// Retention economics of the latest analysis.
#[utoipa::path(get, path = "/api/v1/economics", tag = "analytics",
    params(EconomicsParams),
    responses(
        (status = 200, description = "the economics", body = EconomicsOut),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "role is not manager or admin", body = ErrorBody),
        (status = 422, description = "margin outside [0, 1] or acquisition_cost outside [0, 10¹²]", body = ErrorBody),
        (status = 503, description = "scores not computed yet", body = ErrorBody)))]
pub async fn economics(
    _user: RequireManager,
    State(state): State<AppState>,
    Query(q): Query<EconomicsParams>,
) -> Result<Json<EconomicsOut>, ApiError> {
    // Bounded so that every figure stays finite (a margin is a share of revenue; 10¹²
    // per customer is far beyond any real acquisition cost).
    for (field, v, max) in [
        ("margin", q.margin, 1.0),
        ("acquisition_cost", q.acquisition_cost, 1e12),
    ] {
        if let Some(v) = v
            && !(v.is_finite() && (0.0..=max).contains(&v))
        {
            return Err(ApiError::invalid_field(
                field,
                format!("must be a number from 0 to {max}, got {v}"),
            ));
        }
    }
    let s = snapshot(&state)?;
    let a = &s.analysis;
    let mut inputs = comeback_analysis::economics::EconomicsInputs::of(a);
    if let Some(m) = q.margin {
        inputs.margin = m;
    }
    let e = comeback_analysis::economics::economics_of(&inputs, q.acquisition_cost)
        .map_err(|e| ApiError::invalid_field("acquisition_cost", e.to_string()))?;
    let w = &a.what_if;
    Ok(Json(EconomicsOut {
        margin: e.margin,
        acquisition_cost: e.acquisition_cost,
        defection_rate_12m: a.defection.rate,
        customers_lost_12m: a.defection.customers_lost,
        revenue_lost_12m: a.defection.revenue_lost.to_string(),
        profit_lost_12m: e.profit_lost_12m,
        replacement_cost_12m: e.replacement_cost_12m,
        annual_revenue_per_alive_customer: e.annual_revenue_per_alive_customer,
        annual_margin_per_alive_customer: e.annual_margin_per_alive_customer,
        payback_months: e.payback_months,
        naive_lifetime_years: e.naive_lifetime_years,
        naive_clv_per_customer: e.naive_clv_per_customer,
        naive_clv_to_acquisition_cost: e.naive_clv_to_acquisition_cost,
        what_if_retention_points: w.retention_points,
        what_if_model_clv_gain: w.model_clv_gain,
        what_if_naive_clv_gain: w.naive_clv_gain.is_finite().then_some(w.naive_clv_gain),
        what_if_customers_kept: e.what_if_customers_kept,
        what_if_acquisition_cost_saved: e.what_if_acquisition_cost_saved,
        computed_at: s.computed_at,
    }))
}

/// The headline metrics of the latest analysis.
#[utoipa::path(get, path = "/api/v1/metrics", tag = "analytics",
    responses(
        (status = 200, description = "the headline", body = MetricsOut),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "role is not manager or admin", body = ErrorBody),
        (status = 503, description = "scores not computed yet", body = ErrorBody)))]
pub async fn metrics(
    _user: RequireManager,
    State(state): State<AppState>,
) -> Result<Json<MetricsOut>, ApiError> {
    let s = snapshot(&state)?;
    let a = &s.analysis;
    let h = &a.headline;
    let iv = |i: &comeback_analysis::Interval| IntervalOut {
        estimate: i.estimate,
        ci_low: i.ci_low.is_finite().then_some(i.ci_low),
        ci_high: i.ci_high.is_finite().then_some(i.ci_high),
    };
    Ok(Json(MetricsOut {
        observation_end: a.observation_end.to_string(),
        first_day: a.first_day.to_string(),
        unit: a.options.unit.as_str().to_owned(),
        horizon: a.options.horizon,
        customers: h.customers,
        repeat_customers: h.repeat_customers,
        expected_alive_now: h.expected_alive_now,
        expected_purchases: iv(&h.expected_purchases),
        expected_revenue: iv(&h.expected_revenue),
        clv_total: h.clv_total,
        revenue_at_risk: h.revenue_at_risk,
        value_at_risk_total: h.value_at_risk_total,
        defection: DefectionOut {
            active_previous: a.defection.active_previous,
            active_current: a.defection.active_current,
            retained: a.defection.retained,
            customers_lost: a.defection.customers_lost,
            rate: a.defection.rate,
            revenue_lost: a.defection.revenue_lost.to_string(),
        },
        lifecycle: s
            .lifecycle_counts
            .iter()
            .map(|(s, n)| (s.key().to_owned(), serde_json::Value::from(*n)))
            .collect(),
        model: a.model.kind().display_name().to_owned(),
        computed_at: s.computed_at,
    }))
}

/// The fitted model of the latest analysis.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FittedModelOut {
    /// Display name (`BG/NBD`, `MBG/NBD`, `Pareto/NBD`).
    pub name: String,
    /// Why it was chosen (`holdout_error`, `bic`, `only_fitted`, `bic_no_holdout`).
    pub reason: String,
    /// Parameter values by name.
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// Log-likelihood at the optimum.
    pub log_likelihood: f64,
    /// Bayesian information criterion.
    pub bic: f64,
    /// Customers in the fit.
    pub customers: usize,
    /// Last day of the data, `YYYY-MM-DD`.
    pub observation_end: String,
    /// When the analysis finished (UTC).
    pub computed_at: DateTime<Utc>,
}

/// The state of the scores and the latest refit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelStatus {
    /// `never`, `running`, `succeeded` or `failed`: the latest refit.
    pub refit: String,
    /// Start of the running refit (UTC).
    pub running_since: Option<DateTime<Utc>>,
    /// End of the latest finished refit (UTC).
    pub finished_at: Option<DateTime<Utc>>,
    /// Why the latest refit failed.
    pub error: Option<String>,
    /// True when transactions were stored since the scores in use were computed.
    pub stale: bool,
    /// The model in use; absent until a refit succeeds.
    pub model: Option<FittedModelOut>,
}

fn model_status(state: &AppState) -> ModelStatus {
    let (refit, running_since, finished_at, error) = match state.scores.state() {
        RefitState::Never => ("never", None, None, None),
        RefitState::Running { since } => ("running", Some(since), None, None),
        RefitState::Succeeded { at } => ("succeeded", None, Some(at), None),
        RefitState::Failed { at, message } => ("failed", None, Some(at), Some(message)),
    };
    let model = state.scores.current().map(|s| {
        let a = &s.analysis;
        FittedModelOut {
            name: a.model.kind().display_name().to_owned(),
            reason: a.comparison.reason.key().to_owned(),
            params: a
                .fit
                .param_names
                .iter()
                .zip(&a.fit.params)
                .map(|(n, v)| ((*n).to_owned(), serde_json::Value::from(*v)))
                .collect(),
            log_likelihood: a.fit.log_likelihood,
            bic: a.fit.bic,
            customers: a.summary.customers.len(),
            observation_end: a.observation_end.to_string(),
            computed_at: s.computed_at,
        }
    });
    ModelStatus {
        refit: refit.to_owned(),
        running_since,
        finished_at,
        error,
        stale: state.scores.is_stale(),
        model,
    }
}

/// The model status: the latest refit, the model in use and whether newer data exist.
#[utoipa::path(get, path = "/api/v1/model", tag = "analytics",
    responses(
        (status = 200, description = "status", body = ModelStatus),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "role is not manager or admin", body = ErrorBody)))]
pub async fn model(
    _user: RequireManager,
    State(state): State<AppState>,
) -> Result<Json<ModelStatus>, ApiError> {
    Ok(Json(model_status(&state)))
}

/// Starts recomputing the scores in the background (202); reads go on with the previous
/// scores until it finishes. A refit already running is not started twice.
#[utoipa::path(post, path = "/api/v1/model/refit", tag = "analytics",
    responses(
        (status = 202, description = "refit running", body = ModelStatus),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "role is not manager or admin", body = ErrorBody)))]
pub async fn refit(
    _user: RequireManager,
    State(state): State<AppState>,
) -> Result<(StatusCode, Json<ModelStatus>), ApiError> {
    state.scores.start_refit(state.store.clone());
    Ok((StatusCode::ACCEPTED, Json(model_status(&state))))
}
