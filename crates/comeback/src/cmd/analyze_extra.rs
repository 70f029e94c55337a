//! The sections `comeback analyze` adds beside the model results (issue 10): retention
//! economics, Kaplan–Meier survival of time to "lost" by first-purchase value tercile with
//! the log-rank test, and loyalty members vs non-members when `--members` is given. Each
//! is computed once here and written both to summary.json and to the report, so the two
//! show the same numbers.
//!
//! **Survival segments.** Customers are split by the value of their first purchase day
//! (its net amount) into terciles by mid-rank: with the n values sorted, a value's mid-rank
//! is the mean of its 1-based positions (tied values share it); `low` is a mid-rank ≤ n/3,
//! `middle` ≤ 2n/3, `high` the rest. Ties stay together, so the groups can differ in size. Time to lost is `comeback_survival::time_to_lost`
//! with its default rule (k = 3); curves are Kaplan–Meier (Kaplan & Meier 1958) read at
//! each whole month (30.4375 days), and the groups are compared by the log-rank test
//! (Mantel 1966).

use super::loyalty::{MembersFile, to_json as loyalty_json};
use anyhow::Result;
use comeback_analysis::Analysis;
use comeback_analysis::economics::{Economics, economics};
use comeback_analysis::loyalty::{
    Estimate, Extras, LoyaltyComparison, LoyaltyOptions, Member, compare_members,
};
use comeback_core::TransactionLog;
use comeback_survival::{KmOptions, LostRule, kaplan_meier, logrank, time_to_lost};
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
    let first_value = |id: &str| -> f64 {
        log.ids()
            .binary_search_by(|x| (**x).cmp(id))
            .ok()
            .and_then(|i| log.customers()[i].days.iter().find(|d| d.has_purchase))
            .map_or(0.0, |d| d.amount.to_f64())
    };
    let values: Vec<f64> = lost
        .records
        .iter()
        .map(|r| first_value(&r.customer_id))
        .collect();
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n < 3 {
        return Err(format!("{n} customers: too few for three groups"));
    }
    // Mid-rank of a value among the sorted values (1-based; ties share it).
    let mid_rank = |v: f64| {
        let first = sorted.partition_point(|x| *x < v);
        let last = sorted.partition_point(|x| *x <= v);
        (first + last + 1) as f64 / 2.0
    };
    let third = n as f64 / 3.0;
    let groups: Vec<&'static str> = values
        .iter()
        .map(|&v| {
            let r = mid_rank(v);
            if r <= third {
                "low"
            } else if r <= 2.0 * third {
                "middle"
            } else {
                "high"
            }
        })
        .collect();
    let durations: Vec<f64> = lost.records.iter().map(|r| r.duration_days).collect();
    let events: Vec<bool> = lost.records.iter().map(|r| r.lost).collect();
    let test = logrank(&durations, &events, &groups).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for key in comeback_report::SURVIVAL_GROUP_KEYS {
        let idx: Vec<usize> = (0..n).filter(|&i| groups[i] == key).collect();
        if idx.is_empty() {
            continue;
        }
        let d: Vec<f64> = idx.iter().map(|&i| durations[i]).collect();
        let e: Vec<bool> = idx.iter().map(|&i| events[i]).collect();
        let km = kaplan_meier(&d, &e, &KmOptions::default()).map_err(|e| e.to_string())?;
        let last = d.iter().copied().fold(0.0, f64::max);
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
            key: key.to_string(),
            customers: km.n,
            lost: km.events,
            median_months: km.median.map_or(f64::NAN, |m| m / MONTH_DAYS),
            curve,
        });
    }
    Ok(comeback_report::Survival {
        lost_rule_k: rule.k,
        groups: out,
        logrank_statistic: test.statistic,
        logrank_df: test.df as u64,
        logrank_p: test.p_value,
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

/// Members vs non-members of `log` (365-day windows, 95 % intervals).
pub(super) fn loyalty(log: &TransactionLog, m: &MembersFile) -> Result<LoyaltyComparison> {
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
        &Extras::default(),
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
