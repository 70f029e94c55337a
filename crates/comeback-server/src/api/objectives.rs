//! Retention objectives (PRODUCT R10): `GET/POST /api/v1/objectives`,
//! `GET/PUT/DELETE /api/v1/objectives/{id}`. Every logged-in user reads them ("written
//! objectives everyone can see"); managers and admins write them. Each answer carries the
//! actual value from the latest analysis and the status.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use comeback_store::{Comparator, NewObjective, Objective, ObjectiveMetric};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{AuthUser, RequireManager};
use crate::error::{ApiError, ErrorBody, Json, Path};
use crate::scores::Snapshot;

/// What an objective measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MetricIn {
    /// Customers active in the previous 12 months and not in the last 12, in percent of the
    /// former (percent per year, 0–100).
    DefectionRate,
    /// 100 − the defection rate (percent per year, 0–100).
    RetentionRate,
    /// Net Promoter Score, % promoters − % detractors (points, −100 to 100).
    Nps,
}

impl From<MetricIn> for ObjectiveMetric {
    fn from(m: MetricIn) -> Self {
        match m {
            MetricIn::DefectionRate => ObjectiveMetric::DefectionRate,
            MetricIn::RetentionRate => ObjectiveMetric::RetentionRate,
            MetricIn::Nps => ObjectiveMetric::Nps,
        }
    }
}

/// How the actual must compare with the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComparatorIn {
    /// actual ≤ target.
    AtMost,
    /// actual ≥ target.
    AtLeast,
}

impl From<ComparatorIn> for Comparator {
    fn from(c: ComparatorIn) -> Self {
        match c {
            ComparatorIn::AtMost => Comparator::AtMost,
            ComparatorIn::AtLeast => Comparator::AtLeast,
        }
    }
}

/// An objective to create or to replace an existing one with.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveIn {
    /// What is measured.
    pub metric: MetricIn,
    /// How the actual must compare with the target.
    pub comparator: ComparatorIn,
    /// The target in the metric's unit: percent per year (0–100) for the rates, points
    /// (−100 to 100) for NPS.
    #[schema(minimum = -100.0, maximum = 100.0, example = 15.0)]
    pub target: f64,
    /// Who is accountable (a name or a role), 1–200 bytes.
    #[schema(min_length = 1, max_length = 200, example = "Ana (store manager)")]
    pub owner: String,
    /// The calendar period: `YYYY`, `YYYY-H1`/`H2`, `YYYY-Q1`…`Q4` or `YYYY-MM`.
    #[schema(
        pattern = r"^[0-9]{4}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$",
        example = "2026"
    )]
    pub period: String,
}

/// An objective against its actual value.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ObjectiveOut {
    /// Its id.
    pub id: i64,
    /// `defection_rate`, `retention_rate` or `nps`.
    pub metric: String,
    /// `at_most` or `at_least`.
    pub comparator: String,
    /// The target, in `unit`.
    pub target: f64,
    /// `percent_per_year` (the rates) or `points` (NPS).
    pub unit: String,
    /// Who is accountable.
    pub owner: String,
    /// The calendar period.
    pub period: String,
    /// The actual value, in `unit`: the rates from the latest analysis, NPS from the survey
    /// answers given within the period; absent when there is none (see `note`).
    pub actual: Option<f64>,
    /// `met`, `not_met` or `no_data`.
    pub status: String,
    /// Why there is no actual: `no_scores` (no analysis yet), `no_survey_data` (NPS: no
    /// NPS answer given within the period), `no_previous_customers` (nobody was active in the
    /// previous 12 months).
    pub note: Option<String>,
    /// First day of the 24 months the rate compares (`YYYY-MM-DD`), for the rates; the
    /// period's first day for NPS.
    pub measured_from: Option<String>,
    /// Last day of the measurement (`YYYY-MM-DD`): the analysis's observation end for the
    /// rates, the period's last day for NPS.
    pub measured_through: Option<String>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

/// Every objective.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ObjectiveList {
    /// By id.
    pub items: Vec<ObjectiveOut>,
}

/// The actual value of `metric` in `s` (in the metric's unit) or why there is none; NPS
/// from the submitted NPS answers `nps` (time, score 0–10) given within `period`.
pub(crate) fn actual(
    metric: ObjectiveMetric,
    s: Option<&Snapshot>,
    nps: &[(DateTime<Utc>, i64)],
    period: &str,
) -> Result<f64, &'static str> {
    if metric == ObjectiveMetric::Nps {
        return crate::surveys::nps_in_period(nps, period).ok_or("no_survey_data");
    }
    let s = s.ok_or("no_scores")?;
    let d = &s.analysis.defection;
    match metric {
        ObjectiveMetric::DefectionRate => d.rate.map(|r| 100.0 * r).ok_or("no_previous_customers"),
        ObjectiveMetric::RetentionRate => d
            .rate
            .map(|r| 100.0 * (1.0 - r))
            .ok_or("no_previous_customers"),
        ObjectiveMetric::Nps => Err("no_survey_data"),
    }
}

/// The submitted NPS answers (time, score) for [`out`].
///
/// # Errors
/// The store's.
pub(crate) async fn nps_scores(state: &AppState) -> Result<Vec<(DateTime<Utc>, i64)>, ApiError> {
    Ok(state
        .store
        .survey_responses(Some(comeback_store::SurveyKind::Nps))
        .await?
        .into_iter()
        .filter_map(|r| r.score.map(|s| (r.submitted_at, s)))
        .collect())
}

/// An objective with its actual and status against the snapshot `s` and the NPS answers
/// `nps` ([`nps_scores`]).
pub(crate) fn out(
    o: Objective,
    s: Option<&Snapshot>,
    nps: &[(DateTime<Utc>, i64)],
) -> ObjectiveOut {
    let spec = o.spec;
    let (actual, note) = match actual(spec.metric, s, nps, &spec.period) {
        Ok(a) => (Some(a), None),
        Err(n) => (None, Some(n.to_owned())),
    };
    let status = match actual {
        Some(a) if spec.comparator.holds(a, spec.target) => "met",
        Some(_) => "not_met",
        None => "no_data",
    };
    let rate = matches!(
        spec.metric,
        ObjectiveMetric::DefectionRate | ObjectiveMetric::RetentionRate
    );
    let window = if rate {
        s.map(|s| {
            let d = &s.analysis.defection;
            (
                comeback_core::Day(d.previous.after.0 + 1).to_string(),
                d.current.through.to_string(),
            )
        })
    } else {
        // NPS: the answers given within the period.
        crate::surveys::period_bounds(&spec.period)
            .map(|(a, b)| (a.to_string(), b.pred_opt().unwrap_or(b).to_string()))
    };
    ObjectiveOut {
        id: o.id,
        metric: spec.metric.as_str().to_owned(),
        comparator: spec.comparator.as_str().to_owned(),
        target: spec.target,
        unit: if rate { "percent_per_year" } else { "points" }.to_owned(),
        owner: spec.owner,
        period: spec.period,
        actual,
        status: status.to_owned(),
        note,
        measured_from: window.as_ref().map(|w| w.0.clone()),
        measured_through: window.map(|w| w.1),
        created_at: o.created_at,
        updated_at: o.updated_at,
    }
}

fn to_new(body: ObjectiveIn) -> Result<NewObjective, ApiError> {
    let metric: ObjectiveMetric = body.metric.into();
    let (lo, hi) = metric.range();
    if !(lo..=hi).contains(&body.target) {
        return Err(ApiError::invalid_field(
            "target",
            format!(
                "{} is outside {lo} to {hi} for {}",
                body.target,
                metric.as_str()
            ),
        ));
    }
    if body.owner.trim().is_empty() || body.owner.len() > 200 || body.owner.trim() != body.owner {
        return Err(ApiError::invalid_field(
            "owner",
            "must be 1-200 bytes without surrounding spaces",
        ));
    }
    if body.owner.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            "owner",
            "contains a control character",
        ));
    }
    if !comeback_store::valid_period(&body.period) {
        return Err(ApiError::invalid_field(
            "period",
            "must be YYYY, YYYY-H1, YYYY-Q1 ... YYYY-Q4 or YYYY-MM",
        ));
    }
    Ok(NewObjective {
        metric,
        comparator: body.comparator.into(),
        target: body.target,
        owner: body.owner,
        period: body.period,
    })
}

/// Lists the objectives with their actual values.
#[utoipa::path(get, path = "/api/v1/objectives", tag = "objectives",
    responses((status = 200, description = "every objective", body = ObjectiveList),
              (status = 401, description = "not logged in", body = ErrorBody)))]
pub async fn list(
    _user: AuthUser,
    State(state): State<AppState>,
) -> Result<Json<ObjectiveList>, ApiError> {
    let s = state.scores.current();
    let items = state.store.list_objectives().await?;
    Ok(Json(ObjectiveList {
        items: {
            let nps = nps_scores(&state).await?;
            items
                .into_iter()
                .map(|o| out(o, s.as_deref(), &nps))
                .collect()
        },
    }))
}

/// One objective with its actual value.
#[utoipa::path(get, path = "/api/v1/objectives/{id}", tag = "objectives",
    params(("id" = i64, Path, description = "objective id")),
    responses((status = 200, description = "the objective", body = ObjectiveOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 404, description = "no such objective", body = ErrorBody)))]
pub async fn get(
    _user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<ObjectiveOut>, ApiError> {
    let o = state.store.objective(id).await?;
    let nps = nps_scores(&state).await?;
    Ok(Json(out(o, state.scores.current().as_deref(), &nps)))
}

/// Creates an objective.
#[utoipa::path(post, path = "/api/v1/objectives", tag = "objectives", request_body = ObjectiveIn,
    responses((status = 201, description = "created", body = ObjectiveOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager, or missing csrf token", body = ErrorBody),
              (status = 422, description = "target outside the metric's range, bad owner or period", body = ErrorBody)))]
pub async fn create(
    RequireManager(_user): RequireManager,
    State(state): State<AppState>,
    Json(body): Json<ObjectiveIn>,
) -> Result<(StatusCode, Json<ObjectiveOut>), ApiError> {
    let o = state.store.create_objective(&to_new(body)?).await?;
    let nps = nps_scores(&state).await?;
    Ok((
        StatusCode::CREATED,
        Json(out(o, state.scores.current().as_deref(), &nps)),
    ))
}

/// Replaces an objective's fields.
#[utoipa::path(put, path = "/api/v1/objectives/{id}", tag = "objectives", request_body = ObjectiveIn,
    params(("id" = i64, Path, description = "objective id")),
    responses((status = 200, description = "replaced", body = ObjectiveOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager, or missing csrf token", body = ErrorBody),
              (status = 404, description = "no such objective", body = ErrorBody),
              (status = 422, description = "target outside the metric's range, bad owner or period", body = ErrorBody)))]
pub async fn replace(
    RequireManager(_user): RequireManager,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<ObjectiveIn>,
) -> Result<Json<ObjectiveOut>, ApiError> {
    let o = state.store.update_objective(id, &to_new(body)?).await?;
    let nps = nps_scores(&state).await?;
    Ok(Json(out(o, state.scores.current().as_deref(), &nps)))
}

/// Deletes an objective.
#[utoipa::path(delete, path = "/api/v1/objectives/{id}", tag = "objectives",
    params(("id" = i64, Path, description = "objective id")),
    responses((status = 204, description = "deleted"),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager, or missing csrf token", body = ErrorBody),
              (status = 404, description = "no such objective", body = ErrorBody)))]
pub async fn delete(
    RequireManager(_user): RequireManager,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.store.delete_objective(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
