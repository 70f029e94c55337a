//! `/retention`: what defection costs and how long customers stay — the retention
//! economics of the latest analysis (`comeback_analysis::economics`, as
//! `GET /api/v1/economics`), Kaplan–Meier survival of time to "lost" by RFM segment with
//! the log-rank test (`GET /api/v1/survival?by=segment`), and loyalty members (the
//! customers' `loyalty_member` flag) vs the other customers with 95 % intervals
//! (`comeback_analysis::loyalty`; CLV from the same analysis), with the raw and the matched
//! (coarsened exact matching on pre-enrolment visits) ratio of visits in the year after
//! joining when enrolment days are stored (`POST /api/v1/loyalty/enrolments:batch`).
//! Managers and admins.

use axum::extract::State;
use axum::response::Response;
use comeback_analysis::loyalty::{Estimate, Extras, LoyaltyOptions, Member, compare_members};
use comeback_report::{chart, format as fmt};
use comeback_store::LogQuery;
use minijinja::{Value, context};

use super::Ctx;
use super::pages::{currency, page, segment_name};
use crate::AppState;
use crate::api::survival::{SurvivalBy, compute};

/// Days in a month (365.25 / 12): the curves' time axis is in months.
const MONTH_DAYS: f64 = 30.4375;

/// One curve: segment key, its name and (months, share not yet lost) points.
type Curve = (String, String, Vec<(f64, f64)>);

/// `GET /retention`.
pub(super) async fn retention(ctx: Ctx, State(state): State<AppState>) -> Response {
    if let Err(r) = ctx.require_manager() {
        return r;
    }
    let m = |k: &str| ctx.msg("retention", k, &[]);
    let title = m("title");
    let snap = state.scores.current();
    let Some(s) = snap.as_deref() else {
        return page(
            &ctx,
            &state,
            None,
            "retention",
            "retention",
            &title,
            context! { ready => false },
        );
    };
    let a = &s.analysis;
    let lang = ctx.lang;
    let cur = currency(s);
    let money = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| fmt::money(v, cur, lang));
    let num =
        |v: Option<f64>, d: usize| v.map_or_else(|| "—".to_owned(), |v| fmt::number(v, d, lang));
    let economics: Vec<Value> = match comeback_analysis::economics::economics(a, None) {
        Ok(e) => vec![
            (
                "defection",
                a.defection
                    .rate
                    .map_or_else(|| "—".to_owned(), |r| fmt::percent(r, 1, lang)),
            ),
            (
                "customers_lost",
                fmt::count(a.defection.customers_lost as u64, lang),
            ),
            (
                "revenue_lost",
                money(Some(a.defection.revenue_lost.to_f64())),
            ),
            ("profit_lost", money(Some(e.profit_lost_12m))),
            (
                "margin_per_customer",
                money(e.annual_margin_per_alive_customer),
            ),
            ("naive_lifetime", num(e.naive_lifetime_years, 1)),
            ("naive_clv", money(e.naive_clv_per_customer)),
            ("customers_kept", num(Some(e.what_if_customers_kept), 0)),
        ]
        .into_iter()
        .map(|(k, v)| context! { key => k, label => m(&format!("econ_{k}")), value => v })
        .collect(),
        Err(_) => Vec::new(),
    };

    // Survival by RFM segment, from the stored transactions.
    let survival = match compute(&state, SurvivalBy::Segment).await {
        Ok(out) => {
            let series: Vec<Curve> = out
                .groups
                .iter()
                .map(|g| {
                    let mut pts = vec![(0.0, 1.0)];
                    pts.extend(
                        g.table
                            .iter()
                            .map(|r| (r.time_days / MONTH_DAYS, r.survival)),
                    );
                    (g.group.clone(), segment_name(&ctx, &g.group), pts)
                })
                .collect();
            let svg = chart::line_chart(
                &chart::ChartText {
                    id: "survival".to_owned(),
                    title: m("chart_survival"),
                    desc: m("chart_survival_desc"),
                    x_title: m("axis_months"),
                    y_title: m("axis_not_lost"),
                },
                &series
                    .iter()
                    .map(|(k, label, pts)| chart::LineSeries {
                        key: k,
                        label: label.clone(),
                        points: pts.clone(),
                        dashed: false,
                    })
                    .collect::<Vec<_>>(),
                None,
                &|x| fmt::number(x, 0, lang),
                &|y| fmt::percent(y, 0, lang),
            );
            let rows: Vec<Value> = out
                .groups
                .iter()
                .map(|g| {
                    context! {
                        key => g.group.clone(),
                        name => segment_name(&ctx, &g.group),
                        customers => fmt::count(g.customers, lang),
                        lost => fmt::count(g.lost, lang),
                        median => g.median_days.map_or_else(|| m("not_reached"), |d| fmt::number(d / MONTH_DAYS, 1, lang)),
                    }
                })
                .collect();
            let lr = &out.logrank;
            context! {
                svg => svg,
                rows => rows,
                test => ctx.msg("retention", "logrank", &[
                    ("chi2", &fmt::number(lr.statistic, 2, lang)),
                    ("df", &lr.df.to_string()),
                    ("p", &if lr.p_value < 0.001 { "< 0.001".to_owned() } else { fmt::number(lr.p_value, 3, lang) }),
                ]),
                verdict => m(if lr.p_value < 0.05 { "differs" } else { "similar" }),
            }
        }
        Err(e) => {
            context! { error => ctx.msg("retention", "no_survival", &[("reason", &e.body().error.message)]) }
        }
    };

    // Loyalty members vs the others.
    let loyalty = loyalty(&ctx, &state, a, cur).await;
    page(
        &ctx,
        &state,
        Some(s),
        "retention",
        "retention",
        &title,
        context! { ready => true, economics => economics, survival => survival, loyalty => loyalty },
    )
}

async fn loyalty(ctx: &Ctx, state: &AppState, a: &comeback_analysis::Analysis, cur: &str) -> Value {
    let m = |k: &str| ctx.msg("retention", k, &[]);
    let members = match state.store.loyalty_members().await {
        Ok(m) => m,
        Err(e) => return context! { error => e.to_string() },
    };
    // Enrolment days (store migration 0006), sorted by external id like `members`.
    let enrolments = match state.store.loyalty_enrolments().await {
        Ok(e) => e,
        Err(e) => return context! { error => e.to_string() },
    };
    if members.is_empty() {
        return context! { error => m("no_members") };
    }
    let log = match state.store.transaction_log(&LogQuery::default()).await {
        Ok(l) => l,
        Err(e) => return context! { error => e.to_string() },
    };
    let flags: Vec<Member> = log
        .ids()
        .iter()
        .map(|id| {
            if members.binary_search_by(|m| m.as_str().cmp(id)).is_ok() {
                Member::Yes {
                    enrolled: enrolments
                        .binary_search_by(|(c, _)| c.as_str().cmp(id))
                        .ok()
                        .map(|i| enrolments[i].1),
                }
            } else {
                Member::No
            }
        })
        .collect();
    let clv: Vec<f64> = log
        .ids()
        .iter()
        .map(|id| a.customer_index(id).map_or(0.0, |i| a.scores.clv[i]))
        .collect();
    let c = match compare_members(
        &log,
        &flags,
        &Extras {
            clv: Some(&clv),
            nps: None,
        },
        &LoyaltyOptions::default(),
    ) {
        Ok(c) => c,
        Err(e) => {
            return context! { error => ctx.msg("retention", "no_loyalty", &[("reason", &e.to_string())]) };
        }
    };
    let lang = ctx.lang;
    let show = |e: &Option<Estimate>, f: &dyn Fn(f64) -> String| match e {
        None => "—".to_owned(),
        Some(e) => match (e.ci_low, e.ci_high) {
            (Some(l), Some(h)) => format!("{} ({} – {})", f(e.estimate), f(l), f(h)),
            _ => f(e.estimate),
        },
    };
    let pct = |v: f64| fmt::percent(v, 1, lang);
    let one = |v: f64| fmt::number(v, 1, lang);
    let money = |v: f64| fmt::money(v, cur, lang);
    let (mm, nn) = (&c.members, &c.non_members);
    let rows = vec![
        context! { label => m("loyalty_customers"), members => fmt::count(mm.customers as u64, lang), others => fmt::count(nn.customers as u64, lang) },
        context! { label => m("loyalty_retention"), members => show(&mm.retention, &pct), others => show(&nn.retention, &pct) },
        context! { label => m("loyalty_visits"), members => show(&mm.visits_per_year, &one), others => show(&nn.visits_per_year, &one) },
        context! { label => m("loyalty_gap"), members => show(&mm.inter_visit_days, &one), others => show(&nn.inter_visit_days, &one) },
        context! { label => m("loyalty_spend"), members => show(&mm.spend_per_visit, &money), others => show(&nn.spend_per_visit, &money) },
        context! { label => m("loyalty_clv"), members => show(&mm.clv, &money), others => show(&nn.clv, &money) },
    ];
    let effect = |r: &Option<comeback_analysis::loyalty::RatioEstimate>| {
        r.as_ref().map_or_else(
            || m("loyalty_no_effect"),
            |r| {
                let signed = |v: f64| {
                    let p = fmt::percent(v, 1, lang);
                    if v > 0.0 { format!("+{p}") } else { p }
                };
                ctx.msg(
                    "retention",
                    "loyalty_effect",
                    &[
                        ("effect", &signed(r.effect)),
                        ("low", &r.ci_low.map_or_else(|| "—".to_owned(), signed)),
                        ("high", &r.ci_high.map_or_else(|| "—".to_owned(), signed)),
                        ("members", &fmt::count(r.members as u64, lang)),
                        ("others", &fmt::count(r.non_members as u64, lang)),
                    ],
                )
            },
        )
    };
    let matched = if c.launch.is_some() {
        context! {
            raw => effect(&c.raw),
            matched => effect(&c.matched),
            launch => c.launch.map(|d| d.to_string()),
        }
    } else {
        context! { missing => m("loyalty_no_dates") }
    };
    context! { rows => rows, matched => matched }
}
