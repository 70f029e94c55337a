//! The Comeback HTTP server: a JSON API under `/api/v1` over [`comeback_store::Store`],
//! described by an OpenAPI document generated from the handler types and served at
//! `/api/openapi.json`.
//!
//! Principal types:
//! - [`Application`]: `build(Settings)` binds the listener (port 0 for tests), `port()`,
//!   `run_until_stopped()` serves until SIGINT/SIGTERM with graceful shutdown.
//! - [`AppState`]: what every handler shares (the store, the score cache, the settings).
//! - [`Settings`]: the clap arguments of `comeback serve`, each also read from an
//!   environment variable (`COMEBACK_DATABASE_URL`, `COMEBACK_BIND`, ...).
//! - [`webhooks::Webhooks`]: signed webhook deliveries with retries; other modules fire
//!   events with `state.webhooks.fire(kind, data)`.
//! - [`ApiError`]: the one error type of the handlers, mapped to a status code and the JSON
//!   body `{"error": {"code", "message", "rows"?: [...], "fields"?: [...]}}`.
//!
//! # Design decisions
//! - **One source for routes and document.** API routes are registered through
//!   `utoipa_axum::router::OpenApiRouter` with `routes!`, so a route and its OpenAPI entry
//!   come from the same handler attribute.
//! - **Serialisation at the edge.** Handlers answer with this crate's own response types
//!   (`api::*`), converted from store and core types; internal ids never leave.
//! - **Authentication before validation.** Role extractors ([`auth::AuthUser`],
//!   [`auth::RequireAdmin`], [`auth::RequireManager`]) come first in every handler's
//!   arguments, so a guest gets 401 before the body is parsed.

#![deny(missing_docs)]

pub mod api;
pub mod app;
pub mod auth;
pub mod complaint_access;
pub mod complaint_breaches;
pub mod complaint_measures;
pub mod config;
pub mod dashboard;
pub mod demo;
pub mod error;
pub mod mail;
pub mod public_complaints;
pub mod scores;
pub mod survey_triggers;
pub mod surveys;
pub mod text;
pub mod voice_metrics;
pub mod webhooks;

pub use app::{AppState, Application};
pub use config::Settings;
pub use error::ApiError;

/// Installs the global tracing subscriber (logs to stderr) with `filter` (`info`,
/// `comeback_server=debug,tower_http=info`, ...); an invalid filter falls back to `info`.
/// ANSI colours are written only when stderr is a terminal (a log file or pipe gets plain
/// text). A second call does nothing.
pub fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}
