//! `/status`: how fresh the scores are (the data of `GET /api/v1/status`), for managers.

use axum::extract::State;
use axum::response::Response;
use comeback_report::format as fmt;
use minijinja::context;

use super::Ctx;
use crate::AppState;
use crate::api::status::status;

/// `GET /status`.
pub(super) async fn page(ctx: Ctx, State(state): State<AppState>) -> Response {
    if let Err(r) = ctx.require_manager() {
        return r;
    }
    let st = status(&state);
    let m = |key: &str| ctx.msg("status", key, &[]);
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let last = st.last_fit.as_ref().map(|f| {
        context! {
            model => f.model.clone(),
            customers => fmt::count(f.customers as u64, ctx.lang),
            started => time(f.started_at),
            finished => time(f.finished_at),
            seconds => fmt::number(f.duration_ms as f64 / 1000.0, 1, ctx.lang),
            end => f.observation_end.clone(),
            read => match f.customers_read {
                Some(n) => ctx.msg("status", "read_touched", &[("n", &fmt::count(n as u64, ctx.lang))]),
                None => m("read_all"),
            },
        }
    });
    let d = context! {
        refit => st.refit.clone(),
        refit_text => m(&format!("refit_{}", st.refit)),
        phase_text => m(&format!("phase_{}", st.phase)),
        fitting => st.fitting_customers.map(|n| fmt::count(n as u64, ctx.lang)).unwrap_or_default(),
        since => st.running_since.map(time).unwrap_or_default(),
        pending => st.pending,
        stale => st.stale,
        debounce => ctx.msg("status", "debounce", &[("seconds", &fmt::number(st.debounce_ms as f64 / 1000.0, 1, ctx.lang))]),
        completed => st.completed_refits,
        error => st.error.clone().unwrap_or_default(),
        last => last,
    };
    let snap = state.scores.current();
    super::pages::page(
        &ctx,
        &state,
        snap.as_deref(),
        "status",
        "status",
        &m("title"),
        d,
    )
}
