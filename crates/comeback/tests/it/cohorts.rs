//! `comeback cohorts`: hand-computed cohort tables, the Fader–Hardie (2007) "regular"
//! cohort rebuilt from subscriptions (α ≈ 0.704, β ≈ 1.182, equal to `fit --model sbg` on
//! the same counts), and errors naming file, line and column.

use crate::{assert_fails, comeback, stderr};
use serde_json::Value;

fn json_out(dir: &std::path::Path, args: &[&str]) -> Value {
    let o = comeback(dir, args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Three customers of January 2024 observed to 2024-04-15 (months 0..=2: the latest start,
/// 2024-01-20, plus 2 months is 2024-03-20 ≤ 2024-04-15):
/// a: 10 a month, plus 30 from 2024-02-10 → 10, 40, 40;
/// b: 20, cancels 2024-02-15, back 2024-03-01 → 20, 0, 20;
/// c: 30, downgrades to 15 on 2024-03-01 → 30, 30, 15.
/// Exclude: active 3, 2, 2; MRR 60, 70, 55; NRR 70/60, 55/60; GRR (10 + 30)/60,
/// (10 + 15)/60. Count: month 2 has 3 active, MRR 75, GRR (10 + 20 + 15)/60.
#[test]
fn hand_computed_tables_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("subs.csv"),
        "customer_id,start,end,mrr\na,2024-01-10,,10\na,2024-02-10,,30\nb,2024-01-15,2024-02-15,20\n\
         b,2024-03-01,,20\nc,2024-01-20,2024-03-01,30\nc,2024-03-01,,15\nz,2024-05-01,,99\n",
    )
    .unwrap();
    let j = json_out(
        dir.path(),
        &[
            "cohorts",
            "subs.csv",
            "--observation-end",
            "2024-04-15",
            "--json",
        ],
    );
    let c = &j["cohorts"][0];
    assert_eq!(j["cohorts"].as_array().unwrap().len(), 1);
    assert_eq!(c["cohort"], "2024-01");
    assert_eq!(c["customers"], 3);
    let m = c["months"].as_array().unwrap();
    let col = |k: &str| m.iter().map(|x| x[k].clone()).collect::<Vec<_>>();
    assert_eq!(col("active"), [3, 2, 2].map(Value::from));
    assert_eq!(col("mrr"), [60.0, 70.0, 55.0].map(Value::from));
    assert_eq!(m[1]["revenue_retention"], 70.0 / 60.0);
    assert_eq!(m[2]["revenue_retention"], 55.0 / 60.0);
    assert_eq!(m[1]["grr"], 40.0 / 60.0);
    assert_eq!(m[2]["grr"], 25.0 / 60.0);
    assert_eq!(m[2]["logo_retention"], 2.0 / 3.0);
    let j = json_out(
        dir.path(),
        &[
            "cohorts",
            "subs.csv",
            "--observation-end",
            "2024-04-15",
            "--reactivation",
            "count",
            "--json",
        ],
    );
    let m = &j["cohorts"][0]["months"][2];
    assert_eq!(m["active"], 3);
    assert_eq!(m["mrr"], 75.0);
    assert_eq!(m["grr"], 45.0 / 60.0);
    // Default observation end: the latest day in the file (2024-05-01, z's start).
    let j = json_out(dir.path(), &["cohorts", "subs.csv", "--json"]);
    assert_eq!(j["observation_end"], "2024-05-01");
    assert_eq!(j["cohorts"].as_array().unwrap().len(), 2);
}

/// Fader & Hardie (2007), "How to Project Customer Retention", the "regular" cohort:
/// survivors 1000, 631, 468, 382, 326, 289, 262, 241 → α = 0.704, β = 1.182. The
/// subscriptions here end so that exactly those customers are active at months 0..=7.
#[test]
fn fader_hardie_regular_cohort() {
    let counts = [1000, 631, 468, 382, 326, 289, 262, 241];
    let mut csv = String::from("customer_id,start,end,mrr\n");
    let mut id = 0;
    for t in 1..=counts.len() {
        let leaving = if t < counts.len() {
            counts[t - 1] - counts[t]
        } else {
            counts[t - 1]
        };
        for _ in 0..leaving {
            let day = 1 + id % 28;
            let end = if t < counts.len() {
                format!("2020-{:02}-{day:02}", 1 + t)
            } else {
                String::new()
            };
            csv += &format!("c{id},2020-01-{day:02},{end},9.90\n");
            id += 1;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("subs.csv"), csv).unwrap();
    let j = json_out(
        dir.path(),
        &[
            "cohorts",
            "subs.csv",
            "--observation-end",
            "2020-08-31",
            "--json",
        ],
    );
    let s = &j["cohorts"][0]["sbg"];
    let f = |v: &Value| v.as_f64().unwrap();
    assert_eq!(
        s["survivors"],
        Value::from(counts.iter().map(|&c| c as f64).collect::<Vec<_>>())
    );
    assert!((f(&s["alpha"]) - 0.704).abs() < 5e-4, "{s}");
    assert!((f(&s["beta"]) - 1.182).abs() < 5e-4, "{s}");
    // Projected retention of month 8: (β + 7)/(α + β + 7) (FH 2007 eq. 8).
    let (a, b) = (f(&s["alpha"]), f(&s["beta"]));
    assert!((f(&s["projected_retention"][0]) - (b + 7.0) / (a + b + 7.0)).abs() < 1e-12);
    assert_eq!(s["expected_lifetime_months"], Value::Null, "α < 1");
    // Residual value: 241 active × 9.90 × DERL.
    assert!((f(&s["residual_value"]) - 241.0 * 9.9 * f(&s["derl_months"])).abs() < 1e-9);
    // The same sBG as `comeback fit --model sbg` on the same counts.
    let fit = json_out(
        dir.path(),
        &[
            "fit",
            "--model",
            "sbg",
            "--survivors",
            "1000,631,468,382,326,289,262,241",
            "--json",
        ],
    );
    for k in ["alpha", "beta"] {
        let (x, y) = (f(&s[k]), f(&fit["params"][k]));
        assert!((x - y).abs() <= 1e-9 * y, "{k}: {x} vs {y}");
    }
    // The text names the figures.
    let o = comeback(
        dir.path(),
        &["cohorts", "subs.csv", "--observation-end", "2020-08-31"],
    );
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("Cohort 2020-01: 1000 customers"), "{text}");
    assert!(text.contains("sBG: alpha 0.704, beta 1.182"), "{text}");
    assert!(text.contains("unbounded (alpha ≤ 1)"), "{text}");
}

#[test]
fn bad_rows_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    for (body, want) in [
        (
            "a,2024-01-10,2024-01-10,10\n",
            "s.csv:2: column \"end\": cannot parse \"2024-01-10\" as an end day",
        ),
        (
            "a,2024-01-10,,-3\n",
            "s.csv:2: column \"mrr\": cannot parse \"-3\" as an MRR",
        ),
        ("a,,,3\n", "s.csv:2: column \"start\": missing value"),
        ("a,2024-01-10,,ten\n", "s.csv:2: column \"mrr\""),
        (",2024-01-10,,10\n", "s.csv:2: column \"customer_id\""),
    ] {
        std::fs::write(
            dir.path().join("s.csv"),
            format!("customer_id,start,end,mrr\n{body}"),
        )
        .unwrap();
        assert_fails(dir.path(), &["cohorts", "s.csv"], want);
    }
    assert_fails(
        dir.path(),
        &["cohorts", "s.csv", "--discount-rate", "0"],
        "--discount-rate must be a number > 0",
    );
}

/// The shipped fixture `data/examples/subscriptions/fh2007.csv` (made by its
/// `make_fh2007.py`): Fader & Hardie's (2007) "regular" and "high-end" counts as two monthly
/// cohorts. Both sBG fits equal `fit --model sbg` on the published counts (1e-9) and the
/// published estimates (3 decimals). The server's store path is tested against the same
/// file (crates/comeback-server/tests/it/cohorts.rs).
#[test]
fn shipped_fixture_two_cohorts() {
    let dir = tempfile::tempdir().unwrap();
    let file = crate::data_path("examples/subscriptions/fh2007.csv");
    let j = json_out(
        dir.path(),
        &[
            "cohorts",
            file.to_str().unwrap(),
            "--observation-end",
            "2020-09-15",
            "--json",
        ],
    );
    let f = |v: &Value| v.as_f64().unwrap();
    let cohorts = j["cohorts"].as_array().unwrap();
    assert_eq!(cohorts.len(), 2);
    for (c, (name, counts, a, b)) in cohorts.iter().zip([
        ("2020-01", "1000,631,468,382,326,289,262,241", 0.704, 1.182),
        ("2020-02", "1000,869,743,653,593,551,517,491", 0.668, 3.806),
    ]) {
        assert_eq!(c["cohort"], name);
        let active: Vec<String> = c["months"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["active"].to_string())
            .collect();
        assert_eq!(active.join(","), counts);
        let s = &c["sbg"];
        assert!((f(&s["alpha"]) - a).abs() < 5e-4, "{s}");
        assert!((f(&s["beta"]) - b).abs() < 5e-4, "{s}");
        let fit = json_out(
            dir.path(),
            &["fit", "--model", "sbg", "--survivors", counts, "--json"],
        );
        for k in ["alpha", "beta"] {
            let (x, y) = (f(&s[k]), f(&fit["params"][k]));
            assert!((x - y).abs() <= 1e-9 * y, "{k}: {x} vs {y}");
        }
    }
    // Revenue: the high-end cohort keeps 491 × 29.90 of 1000 × 29.90 at month 7.
    let m7 = &cohorts[1]["months"][7];
    assert_eq!(f(&m7["mrr"]), (0..491).fold(0.0, |acc, _| acc + 29.9));
    assert!((f(&m7["revenue_retention"]) - 0.491).abs() < 1e-12);
}
