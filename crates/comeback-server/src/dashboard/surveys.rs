//! `/surveys`: what customers said (PRODUCT R6) — the NPS with its interval and n
//! (`comeback_voice::nps`, adjusted Wald at 95 %), the monthly trend, breakdowns by location,
//! employee and RFM segment, the latest verbatims; the exit reasons with the revenue of the
//! customers who gave them; the surveys set up with their invitations by state. Managers and
//! admins. Sending is done through `/api/v1/surveys/{id}/invitations` and the links CSV.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use comeback_report::format as fmt;
use comeback_store::{ResponseRecord, SurveyKind};
use comeback_voice::YearMonth;
use comeback_voice::nps::{IntervalMethod, NpsCounts, estimate, monthly_trend};
use minijinja::{Value, context};

use super::pages::{currency, page, segment_name};
use super::{Ctx, error_page};
use crate::AppState;
use crate::surveys::{EXIT_REASONS, nps_counts};

/// Verbatims shown.
const VERBATIMS: usize = 20;

/// The NPS line of one group: n, NPS, interval, shares.
fn nps_row(ctx: &Ctx, name: String, c: NpsCounts) -> Option<Value> {
    let e = estimate(c, IntervalMethod::AdjustedWald, 0.95).ok()?;
    let n = c.n() as f64;
    Some(context! {
        name => name,
        n => fmt::count(c.n(), ctx.lang),
        nps => fmt::number(e.nps, 1, ctx.lang),
        interval => format!("{} – {}", fmt::number(e.ci_low, 1, ctx.lang), fmt::number(e.ci_high, 1, ctx.lang)),
        promoters => fmt::percent(c.promoters as f64 / n, 0, ctx.lang),
        passives => fmt::percent(c.passives as f64 / n, 0, ctx.lang),
        detractors => fmt::percent(c.detractors as f64 / n, 0, ctx.lang),
    })
}

fn breakdown(
    ctx: &Ctx,
    rows: &[&ResponseRecord],
    key: impl Fn(&ResponseRecord) -> Option<String>,
) -> Vec<Value> {
    let mut groups: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in rows {
        if let (Some(k), Some(s)) = (key(r), r.score) {
            groups.entry(k).or_default().push(s);
        }
    }
    groups
        .into_iter()
        .filter_map(|(k, s)| nps_row(ctx, k, nps_counts(s)))
        .collect()
}

/// `GET /surveys`.
pub(super) async fn page_handler(ctx: Ctx, State(state): State<AppState>) -> Response {
    if let Err(r) = ctx.require_manager() {
        return r;
    }
    let m = |key: &str| ctx.msg("surveys", key, &[]);
    let responses = match state.store.survey_responses(None).await {
        Ok(r) => r,
        Err(e) => return error_page(ctx.lang, &e.into()),
    };
    let surveys = match state.store.list_surveys().await {
        Ok(s) => s,
        Err(e) => return error_page(ctx.lang, &e.into()),
    };
    let snap = state.scores.current();
    let nps: Vec<&ResponseRecord> = responses
        .iter()
        .filter(|r| r.kind == SurveyKind::Nps && r.score.is_some())
        .collect();

    // Overall, trend, breakdowns.
    let overall = nps_row(
        &ctx,
        m("all_answers"),
        nps_counts(nps.iter().filter_map(|r| r.score)),
    );
    let mut months: BTreeMap<YearMonth, Vec<i64>> = BTreeMap::new();
    for r in &nps {
        let d = r.submitted_at.date_naive();
        if let (Ok(ym), Some(s)) = (
            YearMonth::new(chrono::Datelike::year(&d), chrono::Datelike::month(&d)),
            r.score,
        ) {
            months.entry(ym).or_default().push(s);
        }
    }
    let month_counts: Vec<(YearMonth, NpsCounts)> = months
        .into_iter()
        .map(|(k, v)| (k, nps_counts(v)))
        .collect();
    let trend: Vec<Value> = monthly_trend(&month_counts, IntervalMethod::AdjustedWald, 0.95)
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            context! {
                month => fmt::month(p.month.year, p.month.month, ctx.lang),
                n => fmt::count(p.estimate.counts.n(), ctx.lang),
                nps => fmt::number(p.estimate.nps, 1, ctx.lang),
                interval => format!("{} – {}", fmt::number(p.estimate.ci_low, 1, ctx.lang), fmt::number(p.estimate.ci_high, 1, ctx.lang)),
                change => p.change.map(|c| format!("{} (p = {})", fmt::number(c.difference, 1, ctx.lang), fmt::number(c.p_value, 3, ctx.lang))),
            }
        })
        .collect();
    let by_location = breakdown(&ctx, &nps, |r| r.location.clone());
    let by_employee = breakdown(&ctx, &nps, |r| r.employee.clone());
    let by_segment = breakdown(&ctx, &nps, |r| {
        let s = snap.as_deref()?;
        let i = s.analysis.customer_index(r.customer.as_deref()?)?;
        let c = s.analysis.customer(i)?;
        Some(segment_name(&ctx, c.rfm.segment.key()))
    });
    let verbatims: Vec<Value> = nps
        .iter()
        .rev()
        .filter(|r| r.comment.is_some())
        .take(VERBATIMS)
        .map(|r| {
            context! {
                date => r.submitted_at.date_naive().to_string(),
                score => r.score,
                comment => r.comment.clone(),
                location => r.location.clone().unwrap_or_default(),
            }
        })
        .collect();

    // Exit reasons and the revenue of the customers who gave them.
    let exits: Vec<&ResponseRecord> = responses
        .iter()
        .filter(|r| r.kind == SurveyKind::Exit)
        .collect();
    let mut reasons: Vec<Value> = Vec::new();
    let cur = snap.as_deref().map(currency).unwrap_or("XXX").to_owned();
    for reason in EXIT_REASONS {
        let givers: Vec<&&ResponseRecord> = exits
            .iter()
            .filter(|r| {
                serde_json::from_str::<serde_json::Value>(&r.answers)
                    .ok()
                    .and_then(|v| v.get("reasons").cloned())
                    .and_then(|v| v.as_array().cloned())
                    .is_some_and(|a| a.iter().any(|x| x == reason))
            })
            .collect();
        if givers.is_empty() {
            continue;
        }
        let revenue: Option<f64> = snap.as_deref().map(|s| {
            givers
                .iter()
                .filter_map(|r| {
                    let i = s.analysis.customer_index(r.customer.as_deref()?)?;
                    Some(s.analysis.customer(i)?.historical_revenue.to_f64())
                })
                .sum()
        });
        reasons.push(context! {
            reason => m(&format!("reason_{reason}")),
            n => fmt::count(givers.len() as u64, ctx.lang),
            share => fmt::percent(givers.len() as f64 / exits.len() as f64, 0, ctx.lang),
            revenue => revenue.map(|x| fmt::money(x, &cur, ctx.lang)),
        });
    }

    // Surveys set up, with their invitations by state.
    let mut setup = Vec::new();
    for s in &surveys {
        let inv = state.store.list_invitations(s.id).await.unwrap_or_default();
        let count = |st: comeback_store::InvitationState| {
            inv.iter().filter(|i| i.state == st).count() as u64
        };
        setup.push(context! {
            id => s.id,
            name => s.name.clone(),
            version => s.version,
            kind => m(&format!("kind_{}", s.kind.as_str())),
            active => s.active,
            anonymous => s.anonymous,
            sent => fmt::count(count(comeback_store::InvitationState::Sent), ctx.lang),
            answered => fmt::count(count(comeback_store::InvitationState::Answered), ctx.lang),
            declined => fmt::count(count(comeback_store::InvitationState::Declined), ctx.lang),
            ignored => fmt::count(count(comeback_store::InvitationState::Ignored), ctx.lang),
            responses => fmt::count(responses.iter().filter(|r| r.survey_id == s.id).count() as u64, ctx.lang),
        });
    }

    page(
        &ctx,
        &state,
        snap.as_deref(),
        "surveys",
        "surveys",
        &m("title"),
        context! {
            overall => overall,
            trend => trend,
            by_location => by_location,
            by_employee => by_employee,
            by_segment => by_segment,
            verbatims => verbatims,
            reasons => reasons,
            exits => fmt::count(exits.len() as u64, ctx.lang),
            has_exits => !exits.is_empty(),
            setup => setup,
        },
    )
}
