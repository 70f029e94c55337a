//! `comeback economics`: the PRODUCT R8 fixture by hand, the keys shared with analyze's
//! summary.json compared value for value, and bad flags.

use crate::analyze::r8_fixture;
use crate::{assert_fails, comeback, stderr};
use serde_json::Value;

const FLAGS: &[&str] = &[
    "--margin",
    "0.3",
    "--observation-end",
    "2024-12-31",
    "--holdout",
    "0",
    "--bootstrap",
    "20",
    "--currency",
    "USD",
    "-q",
];

fn close(a: &Value, b: f64) {
    let a = a.as_f64().unwrap_or_else(|| panic!("not a number: {a}"));
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
}

/// 700 customers spend $300 in 2023, 560 buy again in 2024: 140 customers and $42,000 lost
/// (20 %). With a 30 % margin and $50 per new customer: profit lost 0.3 × 42,000 = 12,600,
/// replacement cost 140 × 50 = 7,000, naive lifetime 1 / 0.2 = 5 years. The figures per
/// alive customer follow from the analysis' Σ P(alive) and expected revenue by the
/// definitions of `comeback_analysis::economics`, recomputed here from the JSON.
#[test]
fn r8_fixture_by_hand_and_same_keys_as_analyze() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sales.csv"), r8_fixture()).unwrap();
    let mut args = vec![
        "economics",
        "sales.csv",
        "--acquisition-cost",
        "50",
        "--json",
    ];
    args.extend_from_slice(FLAGS);
    let o = comeback(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["customers"], 700);
    assert_eq!(j["customers_active_previous_12m"], 700);
    assert_eq!(j["customers_lost_12m"], 140);
    assert_eq!(j["revenue_lost_12m"], 42000.0);
    assert_eq!(j["defection_rate_12m"], 0.2);
    assert_eq!(j["currency"], "USD");
    let e = &j["economics"];
    assert_eq!(e["margin"], 0.3);
    assert_eq!(e["acquisition_cost"], 50.0);
    close(&e["profit_lost_12m"], 12_600.0);
    close(&e["replacement_cost_12m"], 7_000.0);
    close(&e["naive_lifetime_years"], 5.0);
    let alive = j["expected_alive_now"].as_f64().unwrap();
    let base = j["what_if"]["annual_revenue_alive_base"].as_f64().unwrap();
    assert!(alive > 100.0 && alive < 700.0, "{alive}");
    let per_alive = base / alive;
    close(&e["annual_revenue_per_alive_customer"], per_alive);
    close(&e["annual_margin_per_alive_customer"], 0.3 * per_alive);
    close(&e["payback_months"], 50.0 / (0.3 * per_alive / 12.0));
    close(&e["naive_clv_per_customer"], 0.3 * per_alive / 0.2);
    close(
        &e["naive_clv_to_acquisition_cost"],
        0.3 * per_alive / 0.2 / 50.0,
    );
    let w = &j["what_if"];
    let kept = alive
        * (w["survival_12m_after"].as_f64().unwrap() - w["survival_12m_before"].as_f64().unwrap());
    assert!(kept > 0.0);
    close(&e["what_if_customers_kept"], kept);
    close(&e["what_if_acquisition_cost_saved"], 50.0 * kept);
    // The margin is analyze's: CLV is margin-adjusted there.
    assert_eq!(j["clv"]["margin"], 0.3);

    // analyze on the same file with the same flags: every key both print has the same value.
    let mut args = vec![
        "analyze",
        "sales.csv",
        "--acquisition-cost",
        "50",
        "-o",
        "rep",
    ];
    args.extend_from_slice(FLAGS);
    let o = comeback(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let s: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("rep/summary.json")).unwrap(),
    )
    .unwrap();
    let (Value::Object(econ), Value::Object(summary)) = (&j, &s) else {
        panic!("not objects")
    };
    let shared: Vec<&String> = econ.keys().filter(|k| summary.contains_key(*k)).collect();
    for key in [
        "customers",
        "repeat_customers",
        "expected_alive_now",
        "defection_rate_12m",
        "customers_lost_12m",
        "revenue_lost_12m",
        "customers_active_previous_12m",
        "expected_revenue",
        "clv_total",
        "revenue_at_risk",
        "value_at_risk_total",
        "what_if",
        "clv",
        "currency",
        "observation_end",
        "input",
        "economics",
    ] {
        assert!(shared.iter().any(|k| *k == key), "{key} not in both");
    }
    for k in shared {
        assert_eq!(econ[k], summary[k], "key {k}");
    }

    // The text output shows the hand-computed figures and the naive ones beside.
    let mut args = vec!["economics", "sales.csv", "--acquisition-cost", "50"];
    args.extend_from_slice(FLAGS);
    let o = comeback(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    for want in [
        "money in USD; margin 30.0 %",
        "defection rate                              20.0 %",
        "revenue lost (their previous 12 months)     42,000.00",
        "profit lost = margin × revenue lost         12,600.00",
        "replacement cost = acq. cost × lost         7,000.00",
        "lifetime = 1 ÷ defection rate (years)       5.00",
        "naive constant-churn CLV gain",
    ] {
        assert!(text.contains(want), "{want:?} not in\n{text}");
    }

    // Without an acquisition cost the cost figures are null, not 0.
    let mut args = vec!["economics", "sales.csv", "--json"];
    args.extend_from_slice(FLAGS);
    let o = comeback(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    for k in [
        "acquisition_cost",
        "replacement_cost_12m",
        "payback_months",
        "naive_clv_to_acquisition_cost",
        "what_if_acquisition_cost_saved",
    ] {
        assert_eq!(j["economics"][k], Value::Null, "{k}");
    }
    close(&j["economics"]["profit_lost_12m"], 12_600.0);
}

#[test]
fn bad_flags_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sales.csv"), r8_fixture()).unwrap();
    assert_fails(
        dir.path(),
        &["economics", "sales.csv", "--acquisition-cost=-5", "-q"],
        "--acquisition-cost must be a number ≥ 0, got -5",
    );
    assert_fails(
        dir.path(),
        &["economics", "sales.csv", "--margin=-0.1", "-q"],
        "--margin must be a number ≥ 0",
    );
    std::fs::write(
        dir.path().join("bad.csv"),
        "customer,date,amount\na,2024-01-01,10\nb,2024-13-01,5\n",
    )
    .unwrap();
    assert_fails(dir.path(), &["economics", "bad.csv", "-q"], "bad.csv:3");
}
