//! `comeback fit` and `comeback predict` end to end: CDNOW through `summarize`, published
//! values, JSON shape, model files, holdout actuals, row errors.

use crate::{CDNOW_SAMPLE_COLUMNS, comeback, data_path, stderr};
use serde_json::Value;
use std::path::Path;

fn summarize_cdnow(dir: &Path, extra: &[&str], out: &str) {
    let sample = data_path("CDNOW_sample.txt");
    let mut args = vec!["summarize", sample.to_str().unwrap()];
    args.extend_from_slice(CDNOW_SAMPLE_COLUMNS);
    args.extend_from_slice(&["--unit", "weeks", "-o", out]);
    args.extend_from_slice(extra);
    let o = comeback(dir, &args);
    assert!(o.status.success(), "{}", stderr(&o));
}

fn json_out(dir: &Path, args: &[&str]) -> Value {
    let o = comeback(dir, args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn gamma_gamma_on_exact_summary_rounds_to_published() {
    // Fader & Hardie (2013) note 025: p = 6.25, q = 3.74, γ = 15.44 on the unrounded means.
    let dir = tempfile::tempdir().unwrap();
    summarize_cdnow(dir.path(), &["--observation-end", "1997-09-30"], "s.csv");
    let j = json_out(
        dir.path(),
        &["fit", "s.csv", "--model", "gamma-gamma", "--json"],
    );
    assert_eq!(j["unit"], "weeks");
    assert_eq!(j["n_customers"], 946.0);
    let r2 = |k: &str| (j["params"][k].as_f64().unwrap() * 100.0).round() / 100.0;
    assert_eq!((r2("p"), r2("q"), r2("gamma")), (6.25, 3.74, 15.44), "{j}");
}

#[test]
fn bgnbd_json_report_has_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let f = data_path("cdnow_customers_summary.csv");
    let j = json_out(
        dir.path(),
        &[
            "fit",
            f.to_str().unwrap(),
            "--model",
            "bgnbd",
            "--json",
            "--save",
            "m.json",
        ],
    );
    for k in [
        "model",
        "unit",
        "params",
        "std_errors",
        "ci_low",
        "ci_high",
        "log_likelihood",
        "aic",
        "bic",
        "n_customers",
        "n_rows_distinct",
        "iterations",
        "converged",
        "message",
    ] {
        assert!(j.get(k).is_some(), "missing {k} in {j}");
    }
    assert_eq!(j["model"], "bgnbd");
    assert!(j["unit"].is_null());
    assert_eq!(j["converged"], true);
    assert!((j["log_likelihood"].as_f64().unwrap() - -9582.4).abs() < 0.05);
    assert!((j["params"]["r"].as_f64().unwrap() - 0.2426).abs() < 1e-3);
    // The saved model drives predict.
    let o = comeback(
        dir.path(),
        &[
            "predict",
            f.to_str().unwrap(),
            "--model",
            "bgnbd",
            "--model-file",
            "m.json",
            "--horizon",
            "39",
            "-o",
            "p.csv",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("p.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "customer_id,frequency,recency,T,p_alive,expected_purchases"
    );
    assert_eq!(lines.count(), 2357);
}

#[test]
fn clv_matches_lifetimes_through_the_cli() {
    // lifetimes 0.11.3: customer 1516, BG/NBD + Gamma-Gamma at its own estimates, 12 months
    // of 4.345 weeks, 1 % per month: 972.1255634234165.
    let dir = tempfile::tempdir().unwrap();
    let f = data_path("cdnow_customers_summary_with_transactions.csv");
    let o = comeback(
        dir.path(),
        &[
            "predict",
            f.to_str().unwrap(),
            "--model",
            "bgnbd",
            "--params",
            "r=0.2425929282798216,alpha=4.4135322652718125,a=0.7928859664406493,b=2.42575238262571",
            "--spend-params",
            "p=6.248802496079201,q=3.74458846092242,gamma=15.447748064915702",
            "--horizon",
            "39",
            "--discount-period",
            "4.345",
            "--discount-rate",
            "0.01",
            "--clv-periods",
            "12",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let clv_i = header.iter().position(|h| *h == "clv").unwrap();
    let row = text.lines().find(|l| l.starts_with("1516,")).unwrap();
    let clv: f64 = row.split(',').nth(clv_i).unwrap().parse().unwrap();
    assert!((clv / 972.1255634234165 - 1.0).abs() < 1e-6, "{clv}");
}

#[test]
fn calibration_holdout_summary_is_fitted_on_cal_and_predict_attaches_actuals() {
    let dir = tempfile::tempdir().unwrap();
    summarize_cdnow(
        dir.path(),
        &[
            "--calibration-end",
            "1997-09-30",
            "--observation-end",
            "1998-06-30",
        ],
        "ch.csv",
    );
    let j = json_out(dir.path(), &["fit", "ch.csv", "--model", "bgnbd", "--json"]);
    assert!(
        (j["log_likelihood"].as_f64().unwrap() - -9582.4).abs() < 0.1,
        "{j}"
    );
    let o = comeback(
        dir.path(),
        &[
            "predict",
            "ch.csv",
            "--model",
            "bgnbd",
            "--horizon",
            "39",
            "-o",
            "p.csv",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("p.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    assert!(
        header.contains(&"clv") && header.contains(&"duration_holdout"),
        "{header:?}"
    );
    let hi = header
        .iter()
        .position(|h| *h == "frequency_holdout")
        .unwrap();
    let ei = header
        .iter()
        .position(|h| *h == "expected_purchases")
        .unwrap();
    let (mut actual, mut expected) = (0.0, 0.0);
    for l in text.lines().skip(1) {
        let v: Vec<&str> = l.split(',').collect();
        actual += v[hi].parse::<f64>().unwrap();
        expected += v[ei].parse::<f64>().unwrap();
    }
    assert_eq!(actual, 1882.0);
    // lifetimes: Σ E[Y(39)] = 1653.42 on the 2-decimal file; the exact summary is close.
    assert!((expected - 1653.42).abs() < 2.0, "{expected}");
}

#[test]
fn invalid_rows_are_named_in_fit_and_predict() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.csv"), "ID,x,t_x,T\n7,2,3,5\n8,1,6,5\n").unwrap();
    for args in [
        vec!["fit", "bad.csv", "--model", "bgnbd"],
        vec![
            "predict",
            "bad.csv",
            "--model",
            "bgnbd",
            "--horizon",
            "3",
            "--params",
            "r=1,alpha=1,a=1,b=1",
        ],
    ] {
        let o = comeback(dir.path(), &args);
        assert!(!o.status.success());
        let e = stderr(&o);
        assert!(
            e.contains("data row 2 (customer 8)") && e.contains("recency 6"),
            "{e}"
        );
    }
    std::fs::write(dir.path().join("nonint.csv"), "ID,x,t_x,T\n1,1.5,3,5\n").unwrap();
    let o = comeback(dir.path(), &["fit", "nonint.csv", "--model", "mbgnbd"]);
    assert!(stderr(&o).contains("data row 1 (customer 1): frequency 1.5 is not a whole number"));
}

#[test]
fn sbg_and_bgbb_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let j = json_out(
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
    assert!((j["params"]["alpha"].as_f64().unwrap() - 0.704).abs() < 1e-3);
    assert!((j["params"]["beta"].as_f64().unwrap() - 1.182).abs() < 1e-3);
    let f = data_path("donations.csv");
    let j = json_out(
        dir.path(),
        &["fit", f.to_str().unwrap(), "--model", "bgbb", "--json"],
    );
    assert!((j["log_likelihood"].as_f64().unwrap() - -33225.6).abs() < 0.05);
    assert_eq!(j["n_customers"], 11104.0);
}

/// The CLV column of `predict` output (`customer_id` → clv).
fn clv_of(csv: &[u8], id: &str) -> f64 {
    let text = std::str::from_utf8(csv).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let i = header.iter().position(|h| *h == "clv").unwrap();
    let row = text
        .lines()
        .find(|l| l.starts_with(&format!("{id},")))
        .unwrap();
    row.split(',').nth(i).unwrap().parse().unwrap()
}

#[test]
fn clv_periods_follow_the_horizon_unless_given() {
    let dir = tempfile::tempdir().unwrap();
    summarize_cdnow(dir.path(), &[], "s.csv");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "predict",
            "s.csv",
            "--model",
            "bgnbd",
            "--params",
            "r=0.2425929282798216,alpha=4.4135322652718125,a=0.7928859664406493,b=2.42575238262571",
            "--spend-params",
            "p=6.248802496079201,q=3.74458846092242,gamma=15.447748064915702",
        ];
        args.extend_from_slice(extra);
        let o = comeback(dir.path(), &args);
        assert!(o.status.success(), "{}", stderr(&o));
        o.stdout
    };
    // 39 weeks = 8.97 months of 365.25/12 days: 9 discount periods, as in `analyze`.
    let default = run(&["--horizon", "39"]);
    assert_eq!(default, run(&["--horizon", "39", "--clv-periods", "9"]));
    let clv = clv_of(&default, "1516");
    assert!((clv - 572.5890057920013).abs() < 1e-6, "{clv}");
    // Less than the undiscounted expected revenue over the same 39 weeks (598.41), no longer
    // the 12-month CLV whatever the horizon.
    let twelve = clv_of(&run(&["--horizon", "39", "--clv-periods", "12"]), "1516");
    assert!((twelve - 719.8671098890012).abs() < 1e-6, "{twelve}");
    // lifetimes' 12 periods of 4.345 weeks (972.1255634234165, as in
    // `clv_matches_lifetimes_through_the_cli`) from a horizon of 12 × 4.345 weeks alone.
    let f = data_path("cdnow_customers_summary_with_transactions.csv");
    let o = comeback(
        dir.path(),
        &[
            "predict",
            f.to_str().unwrap(),
            "--model",
            "bgnbd",
            "--params",
            "r=0.2425929282798216,alpha=4.4135322652718125,a=0.7928859664406493,b=2.42575238262571",
            "--spend-params",
            "p=6.248802496079201,q=3.74458846092242,gamma=15.447748064915702",
            "--horizon",
            "52.14",
            "--discount-period",
            "4.345",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let clv = clv_of(&o.stdout, "1516");
    assert!((clv / 972.1255634234165 - 1.0).abs() < 1e-6, "{clv}");
}

#[test]
fn horizon_and_discount_rate_out_of_range_are_refused_by_clap() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.csv"), "ID,x,t_x,T\n1,1,2,5\n").unwrap();
    let horizon = "error: invalid value '0' for '--horizon <HORIZON>': the horizon must be a \
                   number > 0\n";
    let rate = "error: invalid value '-0.5' for '--discount-rate <DISCOUNT_RATE>': the \
                discount rate must be a number ≥ 0, per discount period (0.01 = 1 % per \
                period; the period is --discount-period, one month by default)\n";
    for (args, want) in [
        (
            vec!["predict", "s.csv", "--model", "bgnbd", "--horizon=0"],
            horizon,
        ),
        (
            vec![
                "predict",
                "s.csv",
                "--model",
                "bgnbd",
                "--horizon",
                "3",
                "--discount-rate=-0.5",
            ],
            rate,
        ),
        (vec!["analyze", "t.csv", "--horizon=0"], horizon),
        (vec!["analyze", "t.csv", "--discount-rate=-0.5"], rate),
        (vec!["economics", "t.csv", "--horizon=0"], horizon),
        (vec!["economics", "t.csv", "--discount-rate=-0.5"], rate),
        (vec!["loyalty", "t.csv", "--discount-rate=-0.5"], rate),
    ] {
        let o = comeback(dir.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert!(err.starts_with(want), "{args:?}: {err}");
    }
    let o = comeback(
        dir.path(),
        &["predict", "s.csv", "--model", "bgnbd", "--horizon", "soon"],
    );
    assert!(
        stderr(&o).starts_with(
            "error: invalid value 'soon' for '--horizon <HORIZON>': not a number (the horizon \
             must be a number > 0)\n"
        ),
        "{}",
        stderr(&o)
    );
    // A discount rate of 0 (no discounting) stays allowed.
    let o = comeback(
        dir.path(),
        &[
            "predict",
            "s.csv",
            "--model",
            "bgnbd",
            "--horizon",
            "3",
            "--params",
            "r=1,alpha=1,a=1,b=1",
            "--discount-rate",
            "0",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn fit_and_predict_take_q_for_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let f = data_path("cdnow_customers_summary.csv");
    let f = f.to_str().unwrap();
    for args in [
        vec!["fit", f, "--model", "bgnbd", "--json"],
        vec![
            "predict",
            f,
            "--model",
            "bgnbd",
            "--horizon",
            "39",
            "--params",
            "r=1,alpha=1,a=1,b=1",
        ],
    ] {
        let plain = comeback(dir.path(), &args);
        assert!(plain.status.success(), "{}", stderr(&plain));
        for q in ["-q", "--quiet"] {
            let mut with_q = args.clone();
            with_q.push(q);
            let o = comeback(dir.path(), &with_q);
            assert!(o.status.success(), "{with_q:?}: {}", stderr(&o));
            assert_eq!(o.stdout, plain.stdout, "{with_q:?}");
            assert_eq!(stderr(&o), "", "{with_q:?}");
        }
    }
}
