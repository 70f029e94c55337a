//! The JSON API: one module per resource, each handler documented with
//! `#[utoipa::path]` and registered through [`router`], so the route table and the
//! OpenAPI document come from the same registration.

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub mod analytics;
pub mod customers;
pub mod health;
pub mod ingest;

/// The OpenAPI document's header; paths are added by [`router`].
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Comeback API",
        description = "Customer-retention engine: ingest, customers, scores, action lists."
    ),
    components(schemas(crate::error::ErrorBody))
)]
pub struct ApiDoc;

/// Every documented route: the API's and the accounts module's
/// ([`crate::auth::api_routes`]).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(ingest::transactions_batch))
        .routes(routes!(ingest::customers_batch))
        .routes(routes!(ingest::upload_transactions))
        .routes(routes!(customers::list))
        .routes(routes!(customers::detail))
        .routes(routes!(customers::export))
        .routes(routes!(customers::erase))
        .routes(routes!(analytics::actions))
        .routes(routes!(analytics::metrics))
        .routes(routes!(analytics::model))
        .routes(routes!(analytics::refit))
        .merge(crate::auth::api_routes())
}
