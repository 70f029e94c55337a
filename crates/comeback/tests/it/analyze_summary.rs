//! `comeback analyze --summary`: on CDNOW, the analysis of the transactions (`--holdout 0`,
//! so both compare the models on all data by BIC) and of their `comeback summarize` output
//! give the same model, parameters, scores and CLV; a summary in days is converted to the
//! analysis unit; sections that need transactions are listed as omitted.

use crate::{CDNOW_SAMPLE_COLUMNS, comeback, data_path, stderr};
use serde_json::Value;
use std::path::Path;

const MODEL_FLAGS: &[&str] = &[
    "--unit",
    "weeks",
    "--holdout",
    "0",
    "--bootstrap",
    "50",
    "-q",
];

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// customers.csv as (id → row as a map of column → value).
fn customers(
    path: &Path,
) -> std::collections::HashMap<String, std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let m: std::collections::HashMap<String, String> = h
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect();
            (m["customer_id"].clone(), m)
        })
        .collect()
}

fn summarize(dir: &Path, unit: &str) {
    let input = data_path("CDNOW_sample.txt");
    let mut args = vec!["summarize", input.to_str().unwrap()];
    args.extend_from_slice(CDNOW_SAMPLE_COLUMNS);
    args.extend_from_slice(&[
        "--observation-end",
        "1998-06-30",
        "--unit",
        unit,
        "-q",
        "-o",
        "s.csv",
    ]);
    let o = comeback(dir, &args);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn cdnow_transactions_and_summary_agree() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // From transactions.
    let input = data_path("CDNOW_sample.txt");
    let mut args = vec!["analyze", input.to_str().unwrap()];
    args.extend_from_slice(CDNOW_SAMPLE_COLUMNS);
    args.extend_from_slice(&["--observation-end", "1998-06-30"]);
    args.extend_from_slice(MODEL_FLAGS);
    args.extend_from_slice(&["-o", "tx"]);
    let o = comeback(d, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    // From its summary, in days (the sidecar says so): converted to weeks.
    summarize(d, "days");
    let mut args = vec!["analyze", "--summary", "s.csv"];
    args.extend_from_slice(MODEL_FLAGS);
    args.extend_from_slice(&["-o", "sum"]);
    let o = comeback(d, &args);
    assert!(o.status.success(), "{}", stderr(&o));

    let (a, b) = (
        json(&d.join("tx/summary.json")),
        json(&d.join("sum/summary.json")),
    );
    assert_eq!(a["model"]["chosen"], b["model"]["chosen"]);
    // Same rows, same code: the parameters agree to the last bit or nearly (the summary's
    // reals round-trip exactly; weeks from days are divided the same way).
    for (k, v) in a["model"]["fit_all_data"]["params"].as_object().unwrap() {
        let (x, y) = (
            v.as_f64().unwrap(),
            b["model"]["fit_all_data"]["params"][k].as_f64().unwrap(),
        );
        assert!((x - y).abs() <= 1e-12 * x.abs(), "{k}: {x} vs {y}");
    }
    for k in ["customers", "repeat_customers"] {
        assert_eq!(a[k], b[k], "{k}");
    }
    for k in ["expected_alive_now", "clv_total", "value_at_risk_total"] {
        let (x, y) = (a[k].as_f64().unwrap(), b[k].as_f64().unwrap());
        assert!((x - y).abs() <= 1e-10 * x.abs(), "{k}: {x} vs {y}");
    }
    for k in ["expected_purchases", "expected_revenue"] {
        for q in ["estimate", "ci_low", "ci_high"] {
            let (x, y) = (a[k][q].as_f64().unwrap(), b[k][q].as_f64().unwrap());
            assert!((x - y).abs() <= 1e-10 * x.abs(), "{k}.{q}: {x} vs {y}");
        }
    }
    assert_eq!(a["lists"]["advocates"], b["lists"]["advocates"]);
    // Per customer: the same CLV, P(alive) and segments.
    let (ca, cb) = (
        customers(&d.join("tx/customers.csv")),
        customers(&d.join("sum/customers.csv")),
    );
    assert_eq!(ca.len(), 2357);
    assert_eq!(ca.len(), cb.len());
    for (id, r) in &ca {
        let s = &cb[id];
        for k in ["clv", "p_alive", "expected_purchases", "value_at_risk"] {
            let (x, y): (f64, f64) = (r[k].parse().unwrap(), s[k].parse().unwrap());
            assert!(
                (x - y).abs() <= 1e-10 * x.abs().max(1e-12),
                "{id} {k}: {x} vs {y}"
            );
        }
        for k in ["frequency", "rfm_segment", "value_at_risk_rank"] {
            assert_eq!(r[k], s[k], "{id} {k}");
        }
    }
    // Omitted sections, said in summary.json.
    let omitted: Vec<&str> = b["omitted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["section"].as_str().unwrap())
        .collect();
    for k in [
        "holdout_comparison",
        "lifecycle",
        "at_risk",
        "win_back",
        "defection",
        "cohorts",
        "tracking",
    ] {
        assert!(omitted.contains(&k), "{k} not in {omitted:?}");
    }
    assert_eq!(b["source"]["unit"], "days");
    assert!(!d.join("sum/at_risk.csv").exists());
    assert!(d.join("sum/advocates.csv").exists());
}

#[test]
fn summary_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    summarize(d, "weeks");
    let run = |extra: &[&str]| {
        let mut args = vec!["analyze", "--summary", "s.csv", "-q"];
        args.extend_from_slice(extra);
        comeback(d, &args)
    };
    let o = run(&["--holdout", "10"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("--holdout needs transactions"),
        "{}",
        stderr(&o)
    );
    let o = run(&["--acquisition-cost", "10"]);
    assert!(
        stderr(&o).contains("--acquisition-cost needs transactions"),
        "{}",
        stderr(&o)
    );
    // Transactions and a summary at once.
    let o = comeback(d, &["analyze", "x.csv", "--summary", "s.csv"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // Neither.
    let o = comeback(d, &["analyze"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // A bad value names the file, row and column.
    std::fs::write(
        d.join("bad.csv"),
        "customer_id,frequency,recency,T,monetary_value\na,1,2,3,4\nb,1.5,2,3,4\n",
    )
    .unwrap();
    let o = comeback(d, &["analyze", "--summary", "bad.csv", "-q"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("bad.csv: data row 2 (customer b), column frequency"),
        "{}",
        stderr(&o)
    );
    assert!(!d.join("report").exists());
}
