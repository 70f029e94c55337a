//! `GET /api/v1/status`: how fresh the scores are — the refit running or waiting (its
//! phase and progress), the debounce window after ingest, and the last fit (time, model,
//! customers).

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::RequireManager;
use crate::error::{ApiError, ErrorBody, Json};
use crate::scores::{LogRead, RefitState};

/// The last successful fit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LastFitOut {
    /// When it started (UTC); transactions stored later are not in it.
    pub started_at: DateTime<Utc>,
    /// When it finished (UTC).
    pub finished_at: DateTime<Utc>,
    /// Wall time from start to finish, in milliseconds.
    pub duration_ms: i64,
    /// The model chosen (`BG/NBD`, `Pareto/NBD`, ...).
    pub model: String,
    /// Customers fitted and scored.
    pub customers: usize,
    /// Last day of the data, `YYYY-MM-DD`.
    pub observation_end: String,
    /// `all`: every stored transaction was read; `touched`: only those of the customers
    /// named by ingest since the previous read, the rest kept from it.
    pub read: String,
    /// With `read` = `touched`, the customers whose transactions were read.
    pub customers_read: Option<usize>,
}

/// The freshness of the scores.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusOut {
    /// `never`, `running`, `succeeded` or `failed`: the latest refit.
    pub refit: String,
    /// `idle`, `reading_log` or `fitting`: where the running refit is.
    pub phase: String,
    /// Customers the running refit is fitting (known once the log is read).
    pub fitting_customers: Option<usize>,
    /// Start of the running refit (UTC).
    pub running_since: Option<DateTime<Utc>>,
    /// A refit is asked for and waits for the debounce window or a running refit.
    pub pending: bool,
    /// Transactions were stored after the start of the scores in use.
    pub stale: bool,
    /// The debounce window after ingest, in milliseconds.
    pub debounce_ms: u64,
    /// Refits finished since the server started.
    pub completed_refits: u64,
    /// Why the latest refit failed.
    pub error: Option<String>,
    /// The scores in use; absent until a refit succeeds.
    pub last_fit: Option<LastFitOut>,
}

/// The status of the scores (also the `/status` page's data).
pub(crate) fn status(state: &AppState) -> StatusOut {
    let (refit, running_since, error) = match state.scores.state() {
        RefitState::Never => ("never", None, None),
        RefitState::Running { since } => ("running", Some(since), None),
        RefitState::Succeeded { .. } => ("succeeded", None, None),
        RefitState::Failed { message, .. } => ("failed", None, Some(message)),
    };
    let (phase, fitting_customers) = state.scores.progress();
    let last_fit = state.scores.current().map(|s| LastFitOut {
        started_at: s.started_at,
        finished_at: s.computed_at,
        duration_ms: (s.computed_at - s.started_at).num_milliseconds(),
        model: s.analysis.model.kind().display_name().to_owned(),
        customers: s.analysis.summary.customers.len(),
        observation_end: s.analysis.observation_end.to_string(),
        read: match s.read {
            LogRead::Full => "all",
            LogRead::Touched { .. } => "touched",
        }
        .to_owned(),
        customers_read: match s.read {
            LogRead::Full => None,
            LogRead::Touched { customers } => Some(customers),
        },
    });
    StatusOut {
        refit: refit.to_owned(),
        phase: phase.as_str().to_owned(),
        fitting_customers,
        running_since,
        pending: state.scores.refit_pending(),
        stale: state.scores.is_stale(),
        debounce_ms: state.settings.refit_debounce_ms,
        completed_refits: state.scores.completed_refits(),
        error,
        last_fit,
    }
}

/// How fresh the scores are: the running or pending refit and the last fit.
#[utoipa::path(get, path = "/api/v1/status", tag = "analytics",
    responses((status = 200, description = "status", body = StatusOut),
              (status = 401, description = "not logged in", body = ErrorBody),
              (status = 403, description = "role is not manager or admin", body = ErrorBody)))]
pub async fn get(
    _user: RequireManager,
    State(state): State<AppState>,
) -> Result<Json<StatusOut>, ApiError> {
    Ok(Json(status(&state)))
}
