//! Read-only survey metrics of the stored answers (issue 8; computed by
//! [`crate::voice_metrics`] with the CLI's library functions): CSAT, CES and the service
//! dimensions (the built-in ones and the surveys' own, [`crate::voice_metrics::survey_dimensions`])
//! overall, per location and per employee (`GET /api/v1/survey-metrics`, the
//! numbers of `comeback csat|ces|dimensions --json`), and which survey metric predicts
//! defection on the stored transactions (`GET /api/v1/survey-predictors`, the numbers of
//! `comeback predictors --no-p-alive --json`), and the same answers as the files those
//! commands read (`GET /api/v1/survey-metrics/export?file=...`). Managers and admins.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use comeback_core::TransactionLog;
use comeback_store::LogQuery;
use comeback_voice::predict::PredictorReport;

use crate::AppState;
use crate::auth::RequireManager;
use crate::error::{ApiError, ErrorBody, Json, Query};
use crate::voice_metrics::{
    PredictorsOut, RatingMetrics, compute_predictors, predictor_responses, predictors_csv,
    predictors_out, rating_metrics, ratings_csv, survey_dimensions,
};
use comeback_store::SurveyKind;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// CSAT (top-2-box share of the 1–5 answers, Wilson interval), CES (mean of 1–7, t
/// interval) and the service dimensions (mean of 1–5 each, t interval; the five built-in
/// ones and every dimension a survey definition adds, by its id) of every stored answer,
/// overall, per location and per employee, at 95 %.
#[utoipa::path(get, path = "/api/v1/survey-metrics", tag = "surveys",
    responses((status = 200, description = "the rating metrics", body = RatingMetrics),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager", body = ErrorBody)))]
pub async fn metrics(
    RequireManager(_user): RequireManager,
    State(state): State<AppState>,
) -> Result<Json<RatingMetrics>, ApiError> {
    let responses = state.store.survey_responses(None).await?;
    let dims = survey_dimensions(&state.store.list_surveys().await?);
    let m = rating_metrics(&responses, &dims).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(m))
}

/// The predictors' report of the stored answers (with the dimensions `dims`,
/// [`survey_dimensions`]) and transactions, and the log it read (`None` when no answer of a
/// known customer is stored: the log is not read).
///
/// # Errors
/// The store's (a 409 for transactions in several currencies); an internal error when the
/// computation fails.
pub(crate) async fn report(
    state: &AppState,
    responses: &[comeback_store::ResponseRecord],
    dims: &[String],
) -> Result<(Option<PredictorReport>, Option<TransactionLog>), ApiError> {
    let joined = predictor_responses(responses, dims);
    if joined.rows.is_empty() {
        return Ok((None, None));
    }
    let log = state.store.transaction_log(&LogQuery::default()).await?;
    let (report, log) = tokio::task::spawn_blocking(move || {
        let r = compute_predictors(&joined, &log);
        (r, log)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("predictors: {e}")))?;
    let report = report.map_err(|e| ApiError::Internal(format!("predictors: {e}")))?;
    Ok((report, Some(log)))
}

/// Which survey metric predicts defection: each known customer's latest answer per metric
/// (NPS, CSAT, CES, the dimensions) joined to their stored purchases; retained = a
/// purchase within 365 days after the answer (answers whose window is not over yet are
/// counted as censored). Per metric the AUC with its DeLong 95 % interval and verdict,
/// best first; the retention and spend of promoters, passives and detractors.
/// `enough_data` is false until a metric has 2 retained and 2 defected customers.
#[utoipa::path(get, path = "/api/v1/survey-predictors", tag = "surveys",
    responses((status = 200, description = "the metrics ranked", body = PredictorsOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager", body = ErrorBody),
              (status = 409, description = "the transactions are in several currencies", body = ErrorBody)))]
pub async fn predictors(
    RequireManager(_user): RequireManager,
    State(state): State<AppState>,
) -> Result<Json<PredictorsOut>, ApiError> {
    let responses = state.store.survey_responses(None).await?;
    let dims = survey_dimensions(&state.store.list_surveys().await?);
    let (r, _) = report(&state, &responses, &dims).await?;
    Ok(Json(predictors_out(r.as_ref())))
}

/// Which answers file to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFile {
    /// CSAT answers: `customer,date,location,employee,csat` (`comeback csat FILE`).
    Csat,
    /// CES answers: `customer,date,location,employee,ces` (`comeback ces FILE`).
    Ces,
    /// Service-dimension answers: `customer,date,location,employee` and one column per
    /// dimension the surveys ask, built-in ones first, then the surveys' own by id
    /// (`comeback dimensions FILE --dimensions` those columns).
    Dimensions,
    /// Every known customer's NPS, CSAT, CES and dimension answers: `customer,date` and one
    /// column per answered metric (`comeback predictors FILE --transactions TX.csv`).
    Predictors,
}

/// Query of the export.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// The file: `csat`, `ces`, `dimensions` or `predictors`.
    #[param(inline)]
    pub file: ExportFile,
}

/// `r` with its codes escaped against formula injection (a customer id, location or
/// employee code starting with `=`, `+`, `-`, `@` gets a leading `'`).
fn escaped(mut r: comeback_store::ResponseRecord) -> comeback_store::ResponseRecord {
    let e = |v: Option<String>| v.map(|v| crate::dashboard::csv_text(&v));
    r.customer = e(r.customer);
    r.location = e(r.location);
    r.employee = e(r.employee);
    r
}

/// The stored answers as the file the CLI reads (CSV, UTF-8, a header row; one row per
/// answer, oldest first; the date is the UTC day of the answer), so that the numbers of
/// `/surveys` and of the two JSON routes can be checked with `comeback csat|ces|dimensions
/// --json [--by location|employee]` or `comeback predictors --no-p-alive --json` (with the
/// business's own transaction file).
#[utoipa::path(get, path = "/api/v1/survey-metrics/export", tag = "surveys",
    params(ExportParams),
    responses((status = 200, description = "the answers file", body = String, content_type = "text/csv"),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "not a manager", body = ErrorBody)))]
pub async fn export(
    RequireManager(_user): RequireManager,
    State(state): State<AppState>,
    Query(q): Query<ExportParams>,
) -> Result<Response, ApiError> {
    let responses: Vec<_> = state
        .store
        .survey_responses(None)
        .await?
        .into_iter()
        .map(escaped)
        .collect();
    let dims = survey_dimensions(&state.store.list_surveys().await?);
    let (body, name) = match q.file {
        ExportFile::Csat => (ratings_csv(&responses, SurveyKind::Csat, &dims), "csat"),
        ExportFile::Ces => (ratings_csv(&responses, SurveyKind::Ces, &dims), "ces"),
        ExportFile::Dimensions => (
            ratings_csv(&responses, SurveyKind::Dimensions, &dims),
            "dimensions",
        ),
        ExportFile::Predictors => (
            predictors_csv(&predictor_responses(&responses, &dims)),
            "responses",
        ),
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}
