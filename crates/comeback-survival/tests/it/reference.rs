//! Kaplan–Meier, log-rank and Cox against lifelines / statsmodels on data sets shipped with
//! lifelines (rossi, waltons, larynx, lung). Tolerances are stated per assertion.

use super::{Csv, reference, text_column};
use comeback_survival::{
    ConfidenceType, CoxOptions, Design, KmOptions, Ties, TimeTransform, fit_cox, kaplan_meier,
    logrank,
};
use serde_json::Value;

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn fs(v: &Value) -> Vec<Option<f64>> {
    v.as_array().unwrap().iter().map(Value::as_f64).collect()
}

fn close(a: f64, b: f64, abs: f64, rel: f64, what: &str) {
    assert!(
        (a - b).abs() <= abs + rel * b.abs(),
        "{what}: got {a}, reference {b} (|Δ| = {:e})",
        (a - b).abs()
    );
}

/// (durations, events) of a labelled KM block of reference.json.
fn km_data(label: &str) -> (Vec<f64>, Vec<bool>) {
    let (file, t, e, filter): (&str, &str, &str, Option<(&str, &str)>) = match label {
        "waltons" => ("waltons_dataset.csv", "T", "E", None),
        "waltons group=miR-137" => ("waltons_dataset.csv", "T", "E", Some(("group", "miR-137"))),
        "waltons group=control" => ("waltons_dataset.csv", "T", "E", Some(("group", "control"))),
        "lung" => ("lung.csv", "time", "status", None),
        "lung sex=1" => ("lung.csv", "time", "status", Some(("sex", "1"))),
        "lung sex=2" => ("lung.csv", "time", "status", Some(("sex", "2"))),
        "rossi" => ("rossi.csv", "week", "arrest", None),
        other => panic!("unknown block {other}"),
    };
    let csv = Csv::read(file);
    let keep: Vec<bool> = match filter {
        None => vec![true; csv.rows.len()],
        Some((col, value)) => text_column(file, col)
            .iter()
            .map(|v| {
                v == value
                    || matches!((v.parse::<f64>(), value.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
            })
            .collect(),
    };
    let (ti, ei) = (csv.col(t), csv.col(e));
    let mut d = Vec::new();
    let mut ev = Vec::new();
    for (row, k) in csv.rows.iter().zip(keep) {
        if k {
            d.push(row[ti].unwrap());
            ev.push(row[ei].unwrap() == 1.0);
        }
    }
    (d, ev)
}

#[test]
fn kaplan_meier_matches_lifelines_and_statsmodels() {
    let r = reference();
    for block in r["km"].as_array().unwrap() {
        let label = block["label"].as_str().unwrap();
        let (d, e) = km_data(label);
        assert_eq!(d.len() as u64, block["n"].as_u64().unwrap(), "{label}: n");
        let km = kaplan_meier(&d, &e, &KmOptions::default()).unwrap();
        let log = kaplan_meier(
            &d,
            &e,
            &KmOptions {
                conf_type: ConfidenceType::Log,
                ..KmOptions::default()
            },
        )
        .unwrap();
        assert_eq!(
            km.events,
            block["events"].as_u64().unwrap(),
            "{label}: events"
        );
        let times = fs(&block["times"]);
        let surv = fs(&block["survival"]);
        let (lo, hi) = (fs(&block["loglog_low"]), fs(&block["loglog_high"]));
        let mut matched = 0;
        for (i, t) in times.iter().enumerate() {
            let t = t.unwrap();
            // lifelines adds a row at time 0 when nobody has duration 0.
            let Some(row) = km.rows.iter().find(|r| r.time == t) else {
                assert_eq!(t, 0.0, "{label}: time {t} missing");
                continue;
            };
            matched += 1;
            let at = |k: &str| block[k][i].as_u64().unwrap();
            assert_eq!(row.at_risk, at("at_risk"), "{label} t={t}: at risk");
            assert_eq!(row.events, at("observed"), "{label} t={t}: events");
            assert_eq!(row.censored, at("censored"), "{label} t={t}: censored");
            close(
                row.survival,
                surv[i].unwrap(),
                1e-12,
                0.0,
                &format!("{label} S({t})"),
            );
            close(
                row.ci_low,
                lo[i].unwrap(),
                1e-10,
                0.0,
                &format!("{label} loglog low({t})"),
            );
            close(
                row.ci_high,
                hi[i].unwrap(),
                1e-10,
                0.0,
                &format!("{label} loglog high({t})"),
            );
        }
        assert_eq!(matched, km.rows.len(), "{label}: every row compared");
        let ev_times = fs(&block["event_times"]);
        let se = fs(&block["greenwood_se"]);
        let (llo, lhi) = (fs(&block["log_low"]), fs(&block["log_high"]));
        for (i, t) in ev_times.iter().enumerate() {
            let t = t.unwrap();
            let row = km.rows.iter().find(|r| r.time == t).unwrap();
            let lrow = log.rows.iter().find(|r| r.time == t).unwrap();
            match se[i] {
                Some(s) => {
                    close(
                        row.std_err.unwrap(),
                        s,
                        1e-14,
                        1e-9,
                        &format!("{label} se({t})"),
                    );
                    close(
                        lrow.ci_low,
                        llo[i].unwrap(),
                        1e-10,
                        0.0,
                        &format!("{label} log low({t})"),
                    );
                    close(
                        lrow.ci_high,
                        lhi[i].unwrap(),
                        1e-10,
                        0.0,
                        &format!("{label} log high({t})"),
                    );
                }
                None => {
                    assert_eq!(row.survival, 0.0);
                    assert_eq!(row.std_err, None);
                }
            }
        }
        assert_eq!(km.median, block["median"].as_f64(), "{label}: median");
        assert_eq!(
            km.median_ci_low,
            block["median_ci_low"].as_f64(),
            "{label}: median low"
        );
        assert_eq!(
            km.median_ci_high,
            block["median_ci_high"].as_f64(),
            "{label}: median high"
        );
    }
}

/// (durations, events, group labels) of a log-rank block.
fn logrank_data(label: &str) -> (Vec<f64>, Vec<bool>, Vec<String>) {
    match label {
        "waltons by group" => {
            let (d, e) = km_data("waltons");
            (d, e, text_column("waltons_dataset.csv", "group"))
        }
        "lung by sex" | "lung by ph.ecog" => {
            let g = if label.ends_with("sex") {
                "sex"
            } else {
                "ph.ecog"
            };
            let csv = Csv::read("lung.csv");
            let rows = csv.complete(&["time", "status", g]);
            let (t, s, gi) = (csv.col("time"), csv.col("status"), csv.col(g));
            (
                rows.iter().map(|r| r[t].unwrap()).collect(),
                rows.iter().map(|r| r[s].unwrap() == 1.0).collect(),
                rows.iter()
                    .map(|r| format!("{}", r[gi].unwrap() as i64))
                    .collect(),
            )
        }
        "larynx by stage" => {
            let csv = Csv::read("larynx.csv");
            let col = |n: &str| csv.col(n);
            let stage = |r: &Vec<Option<f64>>| {
                if r[col("Stage_II")] == Some(1.0) {
                    "II"
                } else if r[col("Stage_III")] == Some(1.0) {
                    "III"
                } else if r[col("Stage_IV")] == Some(1.0) {
                    "IV"
                } else {
                    "I"
                }
                .to_string()
            };
            (
                csv.rows.iter().map(|r| r[col("time")].unwrap()).collect(),
                csv.rows
                    .iter()
                    .map(|r| r[col("death")] == Some(1.0))
                    .collect(),
                csv.rows.iter().map(stage).collect(),
            )
        }
        other => panic!("unknown block {other}"),
    }
}

#[test]
fn logrank_matches_lifelines() {
    let r = reference();
    for block in r["logrank"].as_array().unwrap() {
        let label = block["label"].as_str().unwrap();
        let (d, e, g) = logrank_data(label);
        let lr = logrank(&d, &e, &g).unwrap();
        let labels: Vec<&str> = lr.groups.iter().map(|g| g.label.as_str()).collect();
        let want: Vec<&str> = block["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(labels, want, "{label}: groups");
        assert_eq!(lr.df as u64, block["df"].as_u64().unwrap(), "{label}: df");
        close(
            lr.statistic,
            f(&block["statistic"]),
            0.0,
            1e-10,
            &format!("{label}: statistic"),
        );
        close(
            lr.p_value,
            f(&block["p_value"]),
            0.0,
            1e-8,
            &format!("{label}: p"),
        );
    }
}

/// (durations, events, design) of a Cox block (rows with a missing value dropped, as the
/// reference script does).
fn cox_data(label: &str, covariates: &[String]) -> (Vec<f64>, Vec<bool>, Design) {
    let (file, t, e) = match label {
        "rossi" => ("rossi.csv", "week", "arrest"),
        "larynx" => ("larynx.csv", "time", "death"),
        "lung" => ("lung.csv", "time", "status"),
        other => panic!("unknown block {other}"),
    };
    let csv = Csv::read(file);
    let mut cols: Vec<&str> = vec![t, e];
    cols.extend(covariates.iter().map(String::as_str));
    let rows = csv.complete(&cols);
    let mut x = Design::new(rows.len());
    for c in covariates {
        let j = csv.col(c);
        x.numeric(c, rows.iter().map(|r| r[j].unwrap()).collect())
            .unwrap();
    }
    let (ti, ei) = (csv.col(t), csv.col(e));
    (
        rows.iter().map(|r| r[ti].unwrap()).collect(),
        rows.iter().map(|r| r[ei].unwrap() == 1.0).collect(),
        x,
    )
}

#[test]
fn cox_matches_lifelines_efron_and_statsmodels_breslow() {
    let r = reference();
    for block in r["cox"].as_array().unwrap() {
        let label = block["label"].as_str().unwrap();
        let covs: Vec<String> = block["covariates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let (d, e, x) = cox_data(label, &covs);
        for ties in [Ties::Efron, Ties::Breslow] {
            let m = fit_cox(
                &d,
                &e,
                &x,
                &CoxOptions {
                    ties,
                    ..CoxOptions::default()
                },
            )
            .unwrap();
            let refb = &block[ties.as_str()];
            let what = |s: &str| format!("{label} {}: {s}", ties.as_str());
            assert_eq!(m.n as u64, block["n"].as_u64().unwrap(), "{}", what("n"));
            assert_eq!(
                m.events as u64,
                block["events"].as_u64().unwrap(),
                "{}",
                what("events")
            );
            for (j, c) in covs.iter().enumerate() {
                let b = f(&refb["coefficients"][c]);
                // The tolerance: |Δβ| ≤ 1e-6 · max(1, |β|).
                close(
                    m.coefficients[j],
                    b,
                    1e-6 * b.abs().max(1.0),
                    0.0,
                    &what(&format!("β {c}")),
                );
                close(
                    m.std_errors[j],
                    f(&refb["std_errors"][c]),
                    0.0,
                    1e-4,
                    &what(&format!("se {c}")),
                );
            }
            close(
                m.log_likelihood,
                f(&refb["log_likelihood"]),
                1e-8,
                0.0,
                &what("log-likelihood"),
            );
            close(
                m.concordance.unwrap(),
                f(&refb["concordance"]),
                1e-12,
                0.0,
                &what("concordance"),
            );
            if ties == Ties::Efron {
                for (j, c) in covs.iter().enumerate() {
                    // lifelines' hazard ratios come from its β, up to 2e-6 from the maximum.
                    close(
                        m.hazard_ratios[j],
                        f(&refb["hazard_ratios"][c]),
                        0.0,
                        1e-5,
                        &what("HR"),
                    );
                    close(
                        m.ci_low[j],
                        f(&refb["ci_low"][c]),
                        0.0,
                        1e-4,
                        &what("HR low"),
                    );
                    close(
                        m.ci_high[j],
                        f(&refb["ci_high"][c]),
                        0.0,
                        1e-4,
                        &what("HR high"),
                    );
                }
                close(
                    m.lr_statistic,
                    f(&refb["lr_statistic"]),
                    1e-7,
                    0.0,
                    &what("LR"),
                );
                assert_eq!(m.lr_df as u64, refb["lr_df"].as_u64().unwrap());
                close(
                    m.lr_p_value,
                    f(&refb["lr_p_value"]),
                    0.0,
                    1e-5,
                    &what("LR p"),
                );
            } else {
                close(
                    m.null_log_likelihood,
                    f(&refb["null_log_likelihood"]),
                    1e-9,
                    0.0,
                    &what("ℓ(0)"),
                );
            }
        }
    }
}

#[test]
fn schoenfeld_test_matches_lifelines_km_and_identity() {
    let r = reference();
    for block in r["cox"].as_array().unwrap() {
        let label = block["label"].as_str().unwrap();
        let covs: Vec<String> = block["covariates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let (d, e, x) = cox_data(label, &covs);
        for transform in [TimeTransform::Km, TimeTransform::Identity] {
            let opts = CoxOptions {
                ph_transform: transform,
                ..CoxOptions::default()
            };
            let m = fit_cox(&d, &e, &x, &opts).unwrap();
            let z = &block["zph"][transform.as_str()];
            let what = |s: &str| format!("{label} {}: {s}", transform.as_str());
            for (j, c) in covs.iter().enumerate() {
                let row = &m.ph_test.covariates[j];
                assert_eq!(&row.name, c);
                // lifelines evaluates the residuals at its own β̂ (within ~1e-6 of ours).
                close(
                    row.statistic,
                    f(&z["statistic"][c]),
                    1e-8,
                    1e-4,
                    &what(&format!("T {c}")),
                );
                close(
                    row.p_value,
                    f(&z["p_value"][c]),
                    1e-8,
                    1e-4,
                    &what(&format!("p {c}")),
                );
            }
            close(
                m.ph_test.global_statistic,
                f(&z["global_statistic"]),
                1e-8,
                1e-4,
                &what("global"),
            );
        }
    }
}

#[test]
fn categorical_dummies_reproduce_the_larynx_stage_fit() {
    // larynx's Stage_II..IV are the dummies of a stage factor with reference I: coding
    // the factor with Design::categorical must give the same model.
    let (d, e, _) = logrank_data("larynx by stage");
    let (_, _, xs) = cox_data("larynx", &["age".to_string()]);
    let stage = logrank_data("larynx by stage").2;
    let mut x = Design::new(d.len());
    x.numeric("age", xs.column(0).to_vec()).unwrap();
    x.categorical("stage", &stage).unwrap();
    assert_eq!(x.names(), ["age", "stage=II", "stage=III", "stage=IV"]);
    let m = fit_cox(&d, &e, &x, &CoxOptions::default()).unwrap();
    let r = reference();
    let b = &r["cox"][1]["efron"]["coefficients"];
    for (j, c) in ["age", "Stage_II", "Stage_III", "Stage_IV"]
        .iter()
        .enumerate()
    {
        let want = f(&b[*c]);
        close(m.coefficients[j], want, 1e-6 * want.abs().max(1.0), 0.0, c);
    }
}
