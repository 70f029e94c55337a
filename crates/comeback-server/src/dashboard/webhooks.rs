//! `/webhooks`: the configured webhook endpoints and the delivery log (every attempt,
//! newest first), for admins. Endpoints are created through `POST /api/v1/webhooks`.

use axum::extract::State;
use axum::response::Response;
use minijinja::{Value, context};

use super::{Ctx, error_page};
use crate::AppState;

/// Attempts the page shows (the API pages through more).
pub const DELIVERY_ROWS: u32 = 200;

/// `GET /webhooks`. Admins only.
pub(super) async fn page(ctx: Ctx, State(state): State<AppState>) -> Response {
    if let Err(r) = ctx.require_admin() {
        return r;
    }
    let hooks = match state.store.list_webhooks().await {
        Ok(h) => h,
        Err(e) => return error_page(ctx.lang, &e.into()),
    };
    let log = match state.store.list_deliveries(None, DELIVERY_ROWS).await {
        Ok(l) => l,
        Err(e) => return error_page(ctx.lang, &e.into()),
    };
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let endpoints: Vec<Value> = hooks
        .into_iter()
        .map(|w| {
            context! {
                id => w.id,
                url => w.url,
                events => w.events.join(", "),
                description => w.description.unwrap_or_default(),
                created => time(w.created_at),
            }
        })
        .collect();
    let deliveries: Vec<Value> = log
        .into_iter()
        .map(|r| {
            let a = r.attempt;
            context! {
                time => time(a.attempted_at),
                event => a.event,
                event_id => a.event_id,
                attempt => a.attempt,
                url => a.url,
                status => a.status_code.map(|s| s.to_string()).unwrap_or_else(|| "–".to_owned()),
                outcome => a.outcome.as_str(),
                outcome_text => ctx.msg("webhooks", &format!("outcome_{}", a.outcome.as_str()), &[]),
                duration => format!("{:.1}", a.duration_micros as f64 / 1000.0),
                error => a.error.unwrap_or_default(),
                next => a.next_attempt_at.map(time).unwrap_or_default(),
            }
        })
        .collect();
    let title = ctx.msg("webhooks", "title", &[]);
    ctx.render(
        "webhooks",
        "webhooks",
        &title,
        context! { endpoints => endpoints, deliveries => deliveries },
    )
}
