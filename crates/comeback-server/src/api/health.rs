//! `GET /health`: liveness and database reachability, open to everyone.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, Json};

/// The health answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    /// Always `"ok"` when the database answers.
    pub status: String,
    /// `"sqlite"` or `"postgres"`.
    pub database: String,
}

/// Liveness: answers 200 when the database answers.
#[utoipa::path(get, path = "/health", tag = "system",
    responses((status = 200, description = "healthy", body = Health),
              (status = 500, description = "database unreachable", body = crate::error::ErrorBody)))]
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.store.applied_migrations().await?;
    Ok(Json(Health {
        status: "ok".to_owned(),
        database: state.store.backend().as_str().to_owned(),
    }))
}
