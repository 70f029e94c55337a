//! The JSON API: one module per resource, each handler documented with
//! `#[utoipa::path]` and registered through [`router`], so the route table and the
//! OpenAPI document come from the same registration.

use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub mod analytics;
pub mod cohorts;
pub mod complaint_import;
pub mod complaints;
pub mod customers;
pub mod flags;
pub mod health;
pub mod ingest;
pub mod objectives;
pub mod report_cards;
pub mod status;
pub mod survey_metrics;
pub mod survey_triggers;
pub mod surveys;
pub mod survival;
pub mod webhooks;

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
        .routes(routes!(cohorts::subscriptions_batch))
        .routes(routes!(cohorts::upload_subscriptions))
        .routes(routes!(cohorts::enrolments_batch))
        .routes(routes!(cohorts::cohorts))
        .routes(routes!(customers::list))
        .routes(routes!(customers::detail))
        .routes(routes!(customers::export))
        .routes(routes!(customers::erase))
        .routes(routes!(analytics::actions))
        .routes(routes!(analytics::metrics))
        .routes(routes!(analytics::economics))
        .routes(routes!(survival::survival))
        .routes(routes!(survival::survival_cox))
        .routes(routes!(analytics::model))
        .routes(routes!(analytics::refit))
        .routes(routes!(status::get))
        .routes(routes!(webhooks::create, webhooks::list))
        .routes(routes!(webhooks::delete))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(objectives::list, objectives::create))
        .routes(routes!(
            objectives::get,
            objectives::replace,
            objectives::delete
        ))
        .routes(routes!(complaints::create, complaints::list))
        .routes(routes!(complaints::get))
        .routes(routes!(complaints::transition))
        .routes(routes!(surveys::create, surveys::list))
        .routes(routes!(surveys::invite, surveys::invitations))
        .routes(routes!(surveys::links_csv))
        .routes(routes!(surveys::import))
        .routes(routes!(surveys::consent))
        .routes(routes!(surveys::trigger))
        .routes(routes!(survey_triggers::get, survey_triggers::put))
        .routes(routes!(survey_triggers::log))
        .routes(routes!(surveys::followups))
        .routes(routes!(surveys::close_followup))
        .routes(routes!(survey_metrics::metrics))
        .routes(routes!(survey_metrics::predictors))
        .routes(routes!(survey_metrics::export))
        .routes(routes!(complaints::from_followup))
        .routes(routes!(complaints::create_link))
        .routes(routes!(complaints::get_calendar, complaints::put_calendar))
        .routes(routes!(complaints::measures))
        .routes(routes!(complaints::measure_rows))
        .routes(routes!(flags::create))
        .routes(routes!(flags::list))
        .routes(routes!(report_cards::list))
        .routes(routes!(complaint_import::upload_complaints))
        .merge(crate::auth::api_routes())
}

/// Documents the client errors that extractors answer before a handler runs, on every
/// operation that can meet them (the status codes stay as a handler documented them when
/// it did): with a request body 400 (not JSON, or a path segment that cannot be decoded),
/// 415 (no JSON content type) and 422 (a body that does not match); with path or query
/// parameters 400 (a segment that is not UTF-8 once decoded, an id beyond i64, an unknown
/// list name) and 422 (a query parameter out of range). Every one has an
/// [`ErrorBody`](crate::error::ErrorBody).
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientErrors;

impl ClientErrors {
    fn add(op: &mut Operation) {
        let has_body = op.request_body.is_some();
        let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
        let mut codes: Vec<(&str, &str)> = Vec::new();
        if has_body || has_params {
            codes.push(("400", "malformed request (body, path segment or query)"));
            codes.push(("422", "invalid field"));
        }
        if has_body {
            codes.push(("415", "content type is not application/json"));
        }
        for (code, description) in codes {
            op.responses
                .responses
                .entry(code.to_owned())
                .or_insert_with(|| {
                    RefOr::T(
                        ResponseBuilder::new()
                            .description(description)
                            .content(
                                "application/json",
                                ContentBuilder::new()
                                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                                    .build(),
                            )
                            .build(),
                    )
                });
        }
    }
}

impl Modify for ClientErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ]
            .into_iter()
            .flatten()
            {
                Self::add(op);
            }
        }
    }
}
