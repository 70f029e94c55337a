//! The sections `comeback analyze` adds beside the model results (issue 10): retention
//! economics, Kaplan–Meier survival of time to "lost" by first-purchase value tercile with
//! the log-rank test, and loyalty members vs non-members when `--members` is given. Each
//! is computed once here and written both to summary.json and to the report, so the two
//! show the same numbers.
//!
//! **Survival segments.** Customers are split by the value of their first purchase day
//! (its net amount) into terciles by mid-rank (`comeback_survival::first_purchase_terciles`,
//! shared with the server's `GET /api/v1/survival?by=tercile`). Time to lost is `comeback_survival::time_to_lost`
//! with its default rule (k = 3); curves are Kaplan–Meier (Kaplan & Meier 1958) read at
//! each whole month (30.4375 days), and the groups are compared by the log-rank test
//! (Mantel 1966).
//!
//! **Advocates** (with `--responses`): `comeback_analysis::advocates` on the analysis' CLV
//! per customer and each customer's latest NPS answer (top 20 % by CLV, 95 % Wilson
//! intervals). With `--members` too, the loyalty section gains CLV and NPS per group.

use super::loyalty::{MembersFile, to_json as loyalty_json};
use anyhow::Result;
use comeback_analysis::Analysis;
use comeback_analysis::advocates::{AdvocateError, AdvocateShare, advocate_share};
use comeback_analysis::economics::{Economics, economics};
use comeback_analysis::loyalty::{
    Estimate, Extras, LoyaltyComparison, LoyaltyOptions, Member, compare_members,
};
use comeback_core::TransactionLog;
use comeback_survival::{KmOptions, LostRule, first_purchase_terciles, km_by_group, time_to_lost};
use serde_json::{Value, json};

/// Days in a month (365.25 / 12).
const MONTH_DAYS: f64 = 30.4375;

/// The economics of the analysis (see `comeback_analysis::economics`).
pub(super) fn economics_of(a: &Analysis, acquisition_cost: Option<f64>) -> Result<Economics> {
    Ok(economics(a, acquisition_cost)?)
}

/// The `economics` object of summary.json and `economics --json` (`null` for a figure the
/// inputs leave undefined).
pub(super) fn economics_json(e: &Economics) -> Value {
    let f = |v: Option<f64>| {
        v.filter(|x| x.is_finite())
            .map_or(Value::Null, |x| json!(x))
    };
    json!({
        "margin": e.margin,
        "acquisition_cost": e.acquisition_cost,
        "profit_lost_12m": e.profit_lost_12m,
        "replacement_cost_12m": f(e.replacement_cost_12m),
        "annual_revenue_per_alive_customer": f(e.annual_revenue_per_alive_customer),
        "annual_margin_per_alive_customer": f(e.annual_margin_per_alive_customer),
        "payback_months": f(e.payback_months),
        "naive_lifetime_years": f(e.naive_lifetime_years),
        "naive_clv_per_customer": f(e.naive_clv_per_customer),
        "naive_clv_to_acquisition_cost": f(e.naive_clv_to_acquisition_cost),
        "what_if_customers_kept": e.what_if_customers_kept,
        "what_if_acquisition_cost_saved": f(e.what_if_acquisition_cost_saved),
    })
}

/// The economics section of the report.
pub(super) fn economics_report(e: &Economics) -> comeback_report::Economics {
    let n = |v: Option<f64>| v.unwrap_or(f64::NAN);
    comeback_report::Economics {
        margin: e.margin,
        acquisition_cost: e.acquisition_cost,
        profit_lost_12m: e.profit_lost_12m,
        replacement_cost_12m: n(e.replacement_cost_12m),
        annual_margin_per_alive_customer: n(e.annual_margin_per_alive_customer),
        payback_months: n(e.payback_months),
        naive_lifetime_years: n(e.naive_lifetime_years),
        naive_clv_per_customer: n(e.naive_clv_per_customer),
        what_if_customers_kept: e.what_if_customers_kept,
        what_if_acquisition_cost_saved: n(e.what_if_acquisition_cost_saved),
    }
}

/// Survival of time to lost by first-purchase value tercile (module docs); `None` with
/// the reason when the rule or the test cannot be applied (e.g. nobody bought twice).
pub(super) fn survival(
    log: &TransactionLog,
) -> std::result::Result<comeback_report::Survival, String> {
    let rule = LostRule::default();
    let lost = time_to_lost(log, &rule).map_err(|e| e.to_string())?;
    let n = lost.records.len();
    if n < 3 {
        return Err(format!("{n} customers: too few for three groups"));
    }
    let groups = first_purchase_terciles(log, &lost.records);
    let durations: Vec<f64> = lost.records.iter().map(|r| r.duration_days).collect();
    let events: Vec<bool> = lost.records.iter().map(|r| r.lost).collect();
    let by = km_by_group(
        &durations,
        &events,
        &groups,
        &comeback_report::SURVIVAL_GROUP_KEYS,
        &KmOptions::default(),
    )
    .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for g in &by.groups {
        let km = &g.km;
        let last = durations
            .iter()
            .zip(&groups)
            .filter(|(_, l)| **l == g.label)
            .map(|(d, _)| *d)
            .fold(0.0, f64::max);
        let months = (last / MONTH_DAYS).floor() as usize;
        let curve = (0..=months)
            .map(|m| {
                let t = m as f64 * MONTH_DAYS;
                let s = km
                    .rows
                    .iter()
                    .take_while(|r| r.time <= t)
                    .last()
                    .map_or(1.0, |r| r.survival);
                (m as f64, s)
            })
            .collect();
        out.push(comeback_report::SurvivalGroup {
            key: g.label.clone(),
            customers: km.n,
            lost: km.events,
            median_months: km.median.map_or(f64::NAN, |m| m / MONTH_DAYS),
            curve,
        });
    }
    Ok(comeback_report::Survival {
        lost_rule_k: rule.k,
        groups: out,
        logrank_statistic: by.logrank.statistic,
        logrank_df: by.logrank.df as u64,
        logrank_p: by.logrank.p_value,
    })
}

/// The `survival` object of summary.json.
pub(super) fn survival_json(s: &std::result::Result<comeback_report::Survival, String>) -> Value {
    match s {
        Ok(s) => json!({
            "segment": "first_purchase_value_tercile",
            "lost_rule_k": s.lost_rule_k,
            "groups": s.groups.iter().map(|g| json!({
                "group": g.key, "customers": g.customers, "lost": g.lost,
                "median_months": if g.median_months.is_finite() { json!(g.median_months) } else { Value::Null },
            })).collect::<Vec<_>>(),
            "logrank": {"statistic": s.logrank_statistic, "df": s.logrank_df, "p_value": s.logrank_p},
        }),
        Err(e) => json!({"error": e}),
    }
}

/// Members vs non-members of `log` (365-day windows, 95 % intervals), with CLV and the
/// latest NPS answers per customer (parallel to `log.customers()`) when given.
pub(super) fn loyalty(
    log: &TransactionLog,
    m: &MembersFile,
    extras: &Extras<'_>,
) -> Result<LoyaltyComparison> {
    let members: Vec<Member> = log
        .ids()
        .iter()
        .map(|id| match m.by_id.get(&**id) {
            Some(d) => Member::Yes { enrolled: *d },
            None => Member::No,
        })
        .collect();
    Ok(compare_members(
        log,
        &members,
        extras,
        &LoyaltyOptions::default(),
    )?)
}

/// The `loyalty` object of summary.json (the keys of `comeback loyalty --json`).
pub(super) fn loyalty_summary(
    c: &LoyaltyComparison,
    m: &MembersFile,
    log: &TransactionLog,
) -> Value {
    loyalty_json(c, None, m.without_purchases(log), &m.file)
}

/// The loyalty section of the report.
pub(super) fn loyalty_report(c: &LoyaltyComparison) -> comeback_report::Loyalty {
    let iv = |e: &Option<Estimate>| match e {
        Some(e) => comeback_report::Interval {
            estimate: e.estimate,
            lower: e.ci_low.unwrap_or(f64::NAN),
            upper: e.ci_high.unwrap_or(f64::NAN),
        },
        None => comeback_report::Interval {
            estimate: f64::NAN,
            lower: f64::NAN,
            upper: f64::NAN,
        },
    };
    let group = |g: &comeback_analysis::loyalty::GroupMetrics| comeback_report::LoyaltyGroup {
        customers: g.customers as u64,
        retention: iv(&g.retention),
        visits_per_year: iv(&g.visits_per_year),
        inter_visit_days: iv(&g.inter_visit_days),
        spend_per_visit: iv(&g.spend_per_visit),
        clv: iv(&g.clv),
        nps: match &g.nps {
            Some(e) => comeback_report::Interval {
                estimate: e.nps,
                lower: e.ci_low,
                upper: e.ci_high,
            },
            None => iv(&None),
        },
    };
    let ratio = |r: &comeback_analysis::loyalty::RatioEstimate| comeback_report::Interval {
        estimate: r.effect,
        lower: r.ci_low.unwrap_or(f64::NAN),
        upper: r.ci_high.unwrap_or(f64::NAN),
    };
    comeback_report::Loyalty {
        members: group(&c.members),
        non_members: group(&c.non_members),
        raw: c.raw.as_ref().map(ratio),
        matched: c.matched.as_ref().map(ratio),
        matched_members: c.matched.map_or(0, |m| m.members as u64),
        matched_non_members: c.matched.map_or(0, |m| m.non_members as u64),
        post_days: c.options.post_days,
    }
}

/// Top share of customers by CLV counted as high value for the advocates.
pub(super) const ADVOCATE_TOP_SHARE: f64 = 0.2;

/// The advocates among the analysis' customers (`nps` parallel to
/// `analysis.summary.customers`): `Ok(None)` when no customer with purchases answered.
///
/// # Errors
/// A CLV that is not finite or an answer above 10 (neither happens for the analysis' CLV
/// and the answers file's checked scores).
pub(super) fn advocates(a: &Analysis, nps: &[Option<u8>]) -> Result<Option<AdvocateShare>> {
    match advocate_share(&a.scores.clv, nps, ADVOCATE_TOP_SHARE, 0.95) {
        Ok(s) => Ok(Some(s)),
        Err(AdvocateError::NoRespondents) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn estimate_json(e: &Estimate) -> Value {
    json!({"n": e.n, "estimate": e.estimate, "ci_low": e.ci_low, "ci_high": e.ci_high})
}

/// The `advocates` object of summary.json (`null` without `--responses`).
pub(super) fn advocates_json(
    s: Option<&AdvocateShare>,
    answers: &super::responses::Answers,
    unknown: usize,
) -> Value {
    let base = json!({
        "responses_file": answers.file,
        "customers_answering": answers.latest.len(),
        "answers_without_purchases": unknown,
        "confidence": 0.95,
    });
    let Value::Object(mut m) = base else {
        unreachable!("a JSON object literal")
    };
    match s {
        Some(s) => {
            let more = json!({
                "top_share": s.top_share,
                "clv_threshold": s.clv_threshold,
                "respondents": s.respondents,
                "promoters": s.promoters,
                "high_value": s.high_value,
                "advocates": s.advocates,
                "share": estimate_json(&s.share),
                "promoters_among_high_value": s.promoters_among_high_value.as_ref().map(estimate_json),
                "advocate_clv_share": s.advocate_clv_share,
            });
            if let Value::Object(x) = more {
                m.extend(x);
            }
        }
        None => {
            m.insert(
                "error".into(),
                json!("no customer with purchases has an NPS answer"),
            );
        }
    }
    Value::Object(m)
}

/// The advocates section of the report.
pub(super) fn advocates_report(
    s: Option<&AdvocateShare>,
    given: bool,
) -> comeback_report::AdvocatesSection {
    let iv = |e: &Estimate| comeback_report::Interval {
        estimate: e.estimate,
        lower: e.ci_low.unwrap_or(f64::NAN),
        upper: e.ci_high.unwrap_or(f64::NAN),
    };
    match (s, given) {
        (_, false) => comeback_report::AdvocatesSection::NeedsAnswers,
        (None, true) => comeback_report::AdvocatesSection::NoRespondents,
        (Some(s), true) => {
            comeback_report::AdvocatesSection::Measured(comeback_report::Advocates {
                top_share: s.top_share,
                clv_threshold: s.clv_threshold,
                respondents: s.respondents as u64,
                high_value: s.high_value as u64,
                advocates: s.advocates as u64,
                share: iv(&s.share),
                promoters_among_high_value: s.promoters_among_high_value.as_ref().map_or(
                    comeback_report::Interval {
                        estimate: f64::NAN,
                        lower: f64::NAN,
                        upper: f64::NAN,
                    },
                    iv,
                ),
                advocate_clv_share: s.advocate_clv_share.unwrap_or(f64::NAN),
            })
        }
    }
}
