//! `/retention`: what defection costs and how long customers stay — the retention
//! economics of the latest analysis (`comeback_analysis::economics`, as
//! `GET /api/v1/economics`), Kaplan–Meier survival of time to "lost" by RFM segment with
//! the log-rank test (`GET /api/v1/survival?by=segment`), and loyalty members (the
//! customers' `loyalty_member` flag) vs the other customers with 95 % intervals
//! (`comeback_analysis::loyalty`; CLV from the same analysis), with the raw and the matched
//! (coarsened exact matching on pre-enrolment visits) ratio of visits in the year after
//! joining when enrolment days are stored (`POST /api/v1/loyalty/enrolments:batch`), and
//! their NPS when survey answers are stored. Then the advocates
//! (`comeback_analysis::advocates::advocate_share`, as `comeback analyze --responses`): the
//! share of customers with a stored NPS answer (their latest) who are promoters (9–10) of
//! high value (CLV in the top 20 % of the latest analysis); and a Cox proportional-hazards
//! model (Efron ties, `comeback_survival::fit_cox`) of time to lost under the same rule as
//! the survival curves, with the covariates the store has (see [`cox`]).
//! Managers and admins.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::response::Response;
use comeback_analysis::advocates::{AdvocateError, advocate_share};
use comeback_analysis::loyalty::{Estimate, Extras, LoyaltyOptions, Member, compare_members};
use comeback_core::TransactionLog;
use comeback_report::{chart, format as fmt};
use comeback_store::LogQuery;
use comeback_survival::{
    CoxModel, CoxOptions, Design, LostRule, SurvivalError, fit_cox, time_to_lost,
};
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
                    ("p", &if lr.p_value < 0.001 { "< 0.001".to_owned() } else { format!("= {}", fmt::number(lr.p_value, 3, lang)) }),
                ]),
                verdict => m(if lr.p_value < 0.05 { "differs" } else { "similar" }),
            }
        }
        Err(e) => {
            context! { error => ctx.msg("retention", "no_survival", &[("reason", &e.body().error.message)]) }
        }
    };

    // The latest NPS answer per customer, for the loyalty table, the advocates and Cox.
    let nps = match latest_nps(&state).await {
        Ok(n) => n,
        Err(e) => return super::error_page(ctx.lang, &crate::error::ApiError::from(e)),
    };
    // The stored transactions, read once for the loyalty comparison and the Cox model.
    let log = match state.store.transaction_log(&LogQuery::default()).await {
        Ok(l) => l,
        Err(e) => return super::error_page(ctx.lang, &crate::error::ApiError::from(e)),
    };
    // Loyalty members vs the others.
    let loyalty = loyalty(&ctx, &state, a, cur, &nps, &log).await;
    let advocates = advocates(&ctx, a, cur, &nps);
    let cox = cox(&ctx, &state, cur, &nps, log).await;
    page(
        &ctx,
        &state,
        Some(s),
        "retention",
        "retention",
        &title,
        context! {
            ready => true, economics => economics, survival => survival, loyalty => loyalty,
            advocates => advocates, cox => cox,
        },
    )
}

/// Top share of customers by CLV counted as high value for the advocates (as the CLI's
/// `analyze --responses`).
const ADVOCATE_TOP_SHARE: f64 = 0.2;

/// The latest submitted NPS answer (0–10) of each customer, by external id: answers of
/// NPS surveys with a customer (not anonymous, not erased), the last submitted wins.
///
/// # Errors
/// The store's.
pub(crate) async fn latest_nps(
    state: &AppState,
) -> Result<BTreeMap<String, u8>, comeback_store::StoreError> {
    let mut out = BTreeMap::new();
    // Oldest first, so a later answer replaces an earlier one.
    for r in state
        .store
        .survey_responses(Some(comeback_store::SurveyKind::Nps))
        .await?
    {
        if let (Some(c), Some(s)) = (r.customer, r.score.and_then(|s| u8::try_from(s).ok()))
            && s <= 10
        {
            out.insert(c, s);
        }
    }
    Ok(out)
}

async fn loyalty(
    ctx: &Ctx,
    state: &AppState,
    a: &comeback_analysis::Analysis,
    cur: &str,
    nps: &BTreeMap<String, u8>,
    log: &TransactionLog,
) -> Value {
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
    let answers: Vec<Option<u8>> = log.ids().iter().map(|id| nps.get(&**id).copied()).collect();
    let c = match compare_members(
        log,
        &flags,
        &Extras {
            clv: Some(&clv),
            nps: (!nps.is_empty()).then_some(&answers[..]),
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
    let show_nps = |e: &Option<comeback_voice::nps::NpsEstimate>| match e {
        None => "—".to_owned(),
        Some(e) => format!(
            "{} ({} – {}; n = {})",
            one(e.nps),
            one(e.ci_low),
            one(e.ci_high),
            fmt::count(e.counts.n(), lang)
        ),
    };
    let (mm, nn) = (&c.members, &c.non_members);
    let rows = vec![
        context! { label => m("loyalty_customers"), members => fmt::count(mm.customers as u64, lang), others => fmt::count(nn.customers as u64, lang) },
        context! { label => m("loyalty_retention"), members => show(&mm.retention, &pct), others => show(&nn.retention, &pct) },
        context! { label => m("loyalty_visits"), members => show(&mm.visits_per_year, &one), others => show(&nn.visits_per_year, &one) },
        context! { label => m("loyalty_gap"), members => show(&mm.inter_visit_days, &one), others => show(&nn.inter_visit_days, &one) },
        context! { label => m("loyalty_spend"), members => show(&mm.spend_per_visit, &money), others => show(&nn.spend_per_visit, &money) },
        context! { label => m("loyalty_clv"), members => show(&mm.clv, &money), others => show(&nn.clv, &money) },
        context! { label => m("loyalty_nps"), members => show_nps(&mm.nps), others => show_nps(&nn.nps) },
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

/// The advocates section: `comeback_analysis::advocates::advocate_share` on the latest
/// analysis' CLV and the customers' latest stored NPS answers (`nps`), the top 20 % by CLV
/// counted as high value, 95 % Wilson intervals.
fn advocates(
    ctx: &Ctx,
    a: &comeback_analysis::Analysis,
    cur: &str,
    nps: &BTreeMap<String, u8>,
) -> Value {
    let m = |k: &str| ctx.msg("retention", k, &[]);
    if nps.is_empty() {
        return context! { missing => m("no_survey_data") };
    }
    let answers: Vec<Option<u8>> = a
        .summary
        .customers
        .iter()
        .map(|c| nps.get(&*c.customer_id).copied())
        .collect();
    let s = match advocate_share(&a.scores.clv, &answers, ADVOCATE_TOP_SHARE, 0.95) {
        Ok(s) => s,
        Err(AdvocateError::NoRespondents) => return context! { missing => m("no_respondents") },
        Err(e) => {
            return context! { missing => ctx.msg("retention", "no_advocates", &[("reason", &e.to_string())]) };
        }
    };
    let lang = ctx.lang;
    let pct = |v: f64| fmt::percent(v, 1, lang);
    let with_ci = |e: &Estimate| match (e.ci_low, e.ci_high) {
        (Some(l), Some(h)) => ctx.msg(
            "retention",
            "with_interval",
            &[
                ("value", &pct(e.estimate)),
                ("low", &pct(l)),
                ("high", &pct(h)),
            ],
        ),
        _ => pct(e.estimate),
    };
    let count = |n: usize| fmt::count(n as u64, lang);
    let facts = vec![
        ("share", with_ci(&s.share)),
        ("respondents", count(s.respondents)),
        ("promoters", count(s.promoters)),
        ("high_value", count(s.high_value)),
        ("advocates", count(s.advocates)),
        ("threshold", fmt::money(s.clv_threshold, cur, lang)),
        (
            "promoters_among_high_value",
            s.promoters_among_high_value
                .as_ref()
                .map_or_else(|| "—".to_owned(), with_ci),
        ),
        (
            "clv_share",
            s.advocate_clv_share.map_or_else(|| "—".to_owned(), pct),
        ),
    ];
    let facts: Vec<Value> = facts
        .into_iter()
        .map(|(k, v)| context! { key => k, label => m(&format!("adv_{k}")), value => v })
        .collect();
    context! { facts => facts }
}

/// The Cox proportional-hazards model of time to lost (Efron ties, 95 % intervals, the
/// survival curves' rule `LostRule::default()`), one subject per customer with purchases.
/// Covariates, each only when it takes two or more values:
/// - `first_value`: net amount of the first purchase day, per 100 currency units;
/// - `location`: the first location (`Store::first_locations`; `unknown` without one),
///   categorical, the first code in text order the reference;
/// - `member`: 1 for a loyalty member, 0 otherwise;
/// - `nps`: class of the latest NPS answer (`detractor`, `none`, `passive`, `promoter`),
///   categorical, `detractor` the reference when present;
/// - `complained`: 1 when a complaint of the customer is on file.
///
/// A failed fit (no customer lost, collinear covariates, Newton–Raphson not converging)
/// is shown as its message.
async fn cox(
    ctx: &Ctx,
    state: &AppState,
    cur: &str,
    nps: &BTreeMap<String, u8>,
    log: TransactionLog,
) -> Value {
    let fail =
        |reason: &str| context! { error => ctx.msg("retention", "no_cox", &[("reason", reason)]) };
    let (members, locations, complained) = match cox_inputs(state).await {
        Ok(v) => v,
        Err(e) => return fail(&e.to_string()),
    };
    let nps = nps.clone();
    let fitted = tokio::task::spawn_blocking(move || {
        fit_cox_model(&log, &members, &locations, &complained, &nps)
    })
    .await;
    let (model, design) = match fitted {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return fail(&e.to_string()),
        Err(e) => return fail(&e.to_string()),
    };
    let lang = ctx.lang;
    let m = |k: &str| ctx.msg("retention", k, &[]);
    let reference = |cov: &str| {
        design
            .reference_levels()
            .iter()
            .find(|(c, _)| c == cov)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    };
    let nps_class = |l: &str| m(&format!("nps_{l}"));
    let label = |name: &str| -> String {
        match name.split_once('=') {
            Some(("location", level)) => ctx.msg(
                "retention",
                "cox_location",
                &[("level", level), ("reference", &reference("location"))],
            ),
            Some(("nps", level)) => ctx.msg(
                "retention",
                "cox_nps",
                &[
                    ("level", &nps_class(level)),
                    ("reference", &nps_class(&reference("nps"))),
                ],
            ),
            _ if name == "first_value" => {
                ctx.msg("retention", "cox_first_value", &[("currency", cur)])
            }
            _ => m(&format!("cox_{name}")),
        }
    };
    let p_text = |p: f64| {
        if p < 0.001 {
            "< 0.001".to_owned()
        } else {
            fmt::number(p, 3, lang)
        }
    };
    // "= 0.327" or "< 0.001", after a "p" in the messages.
    let p_rel = |p: f64| {
        let t = p_text(p);
        if t.starts_with('<') {
            t
        } else {
            format!("= {t}")
        }
    };
    let rows: Vec<Value> = (0..model.names.len())
        .map(|j| {
            context! {
                key => model.names[j].clone(),
                label => label(&model.names[j]),
                coefficient => fmt::number(model.coefficients[j], 3, lang),
                hr => fmt::number(model.hazard_ratios[j], 3, lang),
                ci => format!("{} – {}", fmt::number(model.ci_low[j], 3, lang), fmt::number(model.ci_high[j], 3, lang)),
                p => p_text(model.p_values[j]),
            }
        })
        .collect();
    let facts = vec![
        ("customers", fmt::count(model.n as u64, lang)),
        ("lost", fmt::count(model.events as u64, lang)),
        (
            "concordance",
            model
                .concordance
                .map_or_else(|| "—".to_owned(), |c| fmt::number(c, 3, lang)),
        ),
        (
            "lr_test",
            ctx.msg(
                "retention",
                "cox_lr_value",
                &[
                    ("chi2", &fmt::number(model.lr_statistic, 2, lang)),
                    ("df", &model.lr_df.to_string()),
                    ("p", &p_rel(model.lr_p_value)),
                ],
            ),
        ),
    ];
    let facts: Vec<Value> = facts
        .into_iter()
        .map(|(k, v)| context! { key => k, label => m(&format!("cox_{k}")), value => v })
        .collect();
    let ph = &model.ph_test;
    let failing: Vec<String> = ph
        .covariates
        .iter()
        .filter(|r| r.p_value < model.options.ph_alpha)
        .map(|r| label(&r.name))
        .collect();
    let ph_text = if ph.warning.is_some() {
        let who = if failing.is_empty() {
            m("cox_ph_together")
        } else {
            failing.join("; ")
        };
        ctx.msg(
            "retention",
            "cox_ph_warning",
            &[("who", &who), ("p", &p_rel(ph.global_p_value))],
        )
    } else {
        ctx.msg(
            "retention",
            "cox_ph_ok",
            &[("p", &p_rel(ph.global_p_value))],
        )
    };
    context! { rows => rows, facts => facts, ph => ph_text, ph_warning => ph.warning.is_some() }
}

/// The stored covariate data of the Cox model besides the NPS answers: the loyalty members,
/// each customer's first location and the customers with a complaint on file (external
/// ids, sorted as the store returns them).
///
/// # Errors
/// The store's.
pub(crate) async fn cox_inputs(state: &AppState) -> Result<CoxInputs, comeback_store::StoreError> {
    let store = &state.store;
    let complained: BTreeSet<String> = store
        .all_complaints()
        .await?
        .into_iter()
        .filter_map(|c| c.customer)
        .collect();
    Ok((
        store.loyalty_members().await?,
        store.first_locations().await?,
        complained,
    ))
}

/// Loyalty members, first locations by customer, customers who complained.
pub(crate) type CoxInputs = (Vec<String>, Vec<(String, Option<String>)>, BTreeSet<String>);

/// The design and fit of [`cox`] (blocking work), shared with `GET
/// /api/v1/survival/cox`: one subject per customer with purchases, the covariates listed
/// at [`cox`].
///
/// # Errors
/// `SurvivalError` when no customer is lost, covariates are collinear or the fit does not
/// converge.
pub(crate) fn fit_cox_model(
    log: &TransactionLog,
    members: &[String],
    locations: &[(String, Option<String>)],
    complained: &BTreeSet<String>,
    nps: &BTreeMap<String, u8>,
) -> Result<(CoxModel, Design), SurvivalError> {
    let lost = time_to_lost(log, &LostRule::default())?;
    let records = &lost.records;
    let first_value = |id: &str| -> f64 {
        log.ids()
            .binary_search_by(|x| (**x).cmp(id))
            .ok()
            .and_then(|i| log.customers()[i].days.iter().find(|d| d.has_purchase))
            .map_or(0.0, |d| d.amount.to_f64())
    };
    let mut x = Design::new(records.len());
    let values: Vec<f64> = records
        .iter()
        .map(|r| first_value(&r.customer_id) / 100.0)
        .collect();
    if values.iter().any(|v| *v != values[0]) {
        x.numeric("first_value", values)?;
    }
    let location: Vec<&str> = records
        .iter()
        .map(|r| {
            locations
                .binary_search_by(|(id, _)| id.as_str().cmp(&r.customer_id))
                .ok()
                .and_then(|i| locations[i].1.as_deref())
                .unwrap_or("unknown")
        })
        .collect();
    if location.iter().any(|l| *l != location[0]) {
        x.categorical("location", &location)?;
    }
    let flag = |yes: &dyn Fn(&str) -> bool| -> Vec<f64> {
        records
            .iter()
            .map(|r| if yes(&r.customer_id) { 1.0 } else { 0.0 })
            .collect()
    };
    let member = flag(&|id| members.binary_search_by(|m| m.as_str().cmp(id)).is_ok());
    if member.iter().any(|v| *v != member[0]) {
        x.numeric("member", member)?;
    }
    let class: Vec<&str> = records
        .iter()
        .map(|r| match nps.get(&*r.customer_id) {
            None => "none",
            Some(9..=10) => "promoter",
            Some(7..=8) => "passive",
            Some(_) => "detractor",
        })
        .collect();
    if class.iter().any(|c| *c != class[0]) {
        x.categorical("nps", &class)?;
    }
    let complaint = flag(&|id| complained.contains(id));
    if complaint.iter().any(|v| *v != complaint[0]) {
        x.numeric("complained", complaint)?;
    }
    let durations: Vec<f64> = records.iter().map(|r| r.duration_days).collect();
    let events: Vec<bool> = records.iter().map(|r| r.lost).collect();
    let model = fit_cox(&durations, &events, &x, &CoxOptions::default())?;
    Ok((model, x))
}
