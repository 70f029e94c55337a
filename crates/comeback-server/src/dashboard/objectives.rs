//! `/objectives`: the written retention objectives (PRODUCT R10) against their actual
//! values from the latest analysis, for every logged-in user. Managers write them through
//! `/api/v1/objectives`.

use axum::extract::State;
use axum::response::Response;
use comeback_report::format as fmt;
use minijinja::{Value, context};

use super::{Ctx, error_page};
use crate::AppState;
use crate::api::objectives::out;

/// `GET /objectives`.
pub(super) async fn page(ctx: Ctx, State(state): State<AppState>) -> Response {
    let objectives = match state.store.list_objectives().await {
        Ok(o) => o,
        Err(e) => return error_page(ctx.lang, &e.into()),
    };
    let nps = match crate::api::objectives::nps_scores(&state).await {
        Ok(n) => n,
        Err(e) => return error_page(ctx.lang, &e),
    };
    let snap = state.scores.current();
    let m = |key: &str| ctx.msg("objectives", key, &[]);
    let value = |x: f64, unit: &str| match unit {
        "percent_per_year" => {
            m("unit_percent_per_year").replace("{value}", &fmt::number(x, 1, ctx.lang))
        }
        _ => m("unit_points").replace("{value}", &fmt::number(x, 1, ctx.lang)),
    };
    let rows: Vec<Value> = objectives
        .into_iter()
        .map(|o| {
            let o = out(o, snap.as_deref(), &nps);
            let sign = if o.comparator == "at_most" {
                "≤"
            } else {
                "≥"
            };
            let measured = match (&o.measured_from, &o.measured_through) {
                (Some(a), Some(b)) => format!("{a} – {b}"),
                _ => String::new(),
            };
            context! {
                metric => m(&format!("metric_{}", o.metric)),
                target => format!("{sign} {}", value(o.target, &o.unit)),
                owner => o.owner,
                period => o.period,
                actual => match (o.actual, &o.note) {
                    (Some(a), _) => value(a, &o.unit),
                    (None, Some(n)) => m(&format!("note_{n}")),
                    (None, None) => String::new(),
                },
                status => o.status.clone(),
                status_text => m(&format!("status_{}", o.status)),
                measured => measured,
            }
        })
        .collect();
    super::pages::page(
        &ctx,
        &state,
        snap.as_deref(),
        "objectives",
        "objectives",
        &m("title"),
        context! { rows => rows },
    )
}
