//! `/report-cards?month=YYYY-MM`: the monthly customer-service report cards (PRODUCT R6,
//! R10) from the answers to `report_card` surveys (invitations or imports that name an
//! employee and a location): per employee and location, each criterion's mean with its
//! Student t interval and n, last month's change, the rank among the location's
//! employees, and the staff flags the employee raised that month
//! ([`crate::api::report_cards::compute`], shared with `GET /api/v1/report-cards`).
//! Admins see every card, managers the cards of their locations, staff only their own
//! employee's (the account's employee link); a staff account without a link is told so.
//! The month defaults to the latest with ratings (else with flags).

use axum::extract::State;
use axum::response::Response;
use comeback_report::format as fmt;
use comeback_voice::report_card::{CriterionResult, DEFAULT_CRITERIA};
use minijinja::{Value, context};

use super::pages::page;
use super::{Ctx, error_page};
use crate::AppState;
use crate::api::report_cards::{Viewer, compute, parse_month};

fn cell(ctx: &Ctx, c: &CriterionResult) -> Value {
    let num = |x: f64| fmt::number(x, 2, ctx.lang);
    context! {
        mean => c.mean.map(num),
        n => c.n,
        interval => match (c.ci_low, c.ci_high) {
            (Some(a), Some(b)) => Some(format!("{} – {}", num(a), num(b))),
            _ => None,
        },
        change => c.change.map(|x| format!("{}{}", if x >= 0.0 { "+" } else { "" }, num(x))),
        rank => c.rank.map(|r| format!("{r}/{}", c.peers)),
    }
}

fn empty_cell() -> Value {
    context! {
        mean => Option::<String>::None,
        n => 0,
        interval => Option::<String>::None,
        change => Option::<String>::None,
        rank => Option::<String>::None,
    }
}

/// `GET /report-cards`.
pub(super) async fn page_handler(
    ctx: Ctx,
    State(state): State<AppState>,
    uri: axum::http::Uri,
) -> Response {
    let m = |key: &str| ctx.msg("report_cards", key, &[]);
    let viewer = match Viewer::of(&state, &ctx.user).await {
        Ok(v) => v,
        Err(e) => return error_page(ctx.lang, &e),
    };
    let asked = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "month")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.trim().is_empty());
    let month = match asked.as_deref().map(parse_month).transpose() {
        Ok(m) => m,
        Err(e) => return error_page(ctx.lang, &e),
    };
    let (month, cards) = if viewer == Viewer::Unlinked {
        (month, Vec::new())
    } else {
        match compute(&state, month).await {
            Ok(x) => x,
            Err(e) => return error_page(ctx.lang, &e),
        }
    };
    let rows: Vec<Value> = cards
        .iter()
        .filter(|c| viewer.sees(&c.employee, c.location.as_deref()))
        .map(|c| {
            let (criteria, overall) = match &c.card {
                Some(card) => (
                    card.criteria
                        .iter()
                        .map(|x| cell(&ctx, x))
                        .collect::<Vec<_>>(),
                    cell(&ctx, &card.overall),
                ),
                None => (
                    DEFAULT_CRITERIA.iter().map(|_| empty_cell()).collect(),
                    empty_cell(),
                ),
            };
            context! {
                employee => c.employee.clone(),
                location => c.location.clone().unwrap_or_default(),
                criteria => criteria,
                overall => overall,
                flags => c.flags,
            }
        })
        .collect();
    page(
        &ctx,
        &state,
        state.scores.current().as_deref(),
        "report_cards",
        "report_cards",
        &m("title"),
        context! {
            month => month.map(|ym| fmt::month(ym.year, ym.month, ctx.lang)),
            month_value => month.map(|ym| format!("{:04}-{:02}", ym.year, ym.month)),
            criteria => DEFAULT_CRITERIA.iter().map(|c| m(&format!("c_{c}"))).collect::<Vec<_>>(),
            rows => rows,
            unlinked => viewer == Viewer::Unlinked,
        },
    )
}
