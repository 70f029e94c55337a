//! `comeback survival`: the JSON of `cox` and `km` against the lifelines / statsmodels
//! reference values (data/reference/survival/reference.json), `lost` on CDNOW, and errors.

use super::{assert_fails, comeback, data_path, stderr};
use serde_json::Value;

fn reference() -> Value {
    let p = data_path("reference/survival/reference.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn run_json(args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let o = comeback(dir.path(), args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn cox_json_has_the_issue_keys_and_matches_the_reference() {
    let rossi = data_path("reference/survival/rossi.csv");
    for ties in ["efron", "breslow"] {
        let v = run_json(&[
            "survival",
            "cox",
            rossi.to_str().unwrap(),
            "--duration",
            "week",
            "--event",
            "arrest",
            "--covariates",
            "fin,age,race,wexp,mar,paro,prio",
            "--ties",
            ties,
            "--json",
        ]);
        let r = reference();
        let want = &r["cox"][0][ties];
        for key in [
            "coefficients",
            "std_errors",
            "hazard_ratios",
            "ci_low",
            "ci_high",
            "log_likelihood",
            "concordance",
            "n",
            "events",
        ] {
            assert!(v.get(key).is_some(), "{ties}: key {key} missing");
        }
        assert_eq!(v["n"], 432);
        assert_eq!(v["events"], 114);
        for c in ["fin", "age", "race", "wexp", "mar", "paro", "prio"] {
            let (b, rb) = (
                v["coefficients"][c].as_f64().unwrap(),
                want["coefficients"][c].as_f64().unwrap(),
            );
            assert!(
                (b - rb).abs() <= 1e-6 * rb.abs().max(1.0),
                "{ties} β {c}: {b} vs {rb}"
            );
            let (s, rs) = (
                v["std_errors"][c].as_f64().unwrap(),
                want["std_errors"][c].as_f64().unwrap(),
            );
            assert!((s - rs).abs() <= 1e-4 * rs, "{ties} se {c}: {s} vs {rs}");
            let hr = v["hazard_ratios"][c].as_f64().unwrap();
            assert!((hr - b.exp()).abs() < 1e-12);
            assert!(
                v["ci_low"][c].as_f64().unwrap() < hr && hr < v["ci_high"][c].as_f64().unwrap()
            );
        }
        let ll = v["log_likelihood"].as_f64().unwrap();
        assert!((ll - want["log_likelihood"].as_f64().unwrap()).abs() < 1e-8);
        let c = v["concordance"].as_f64().unwrap();
        assert!((c - want["concordance"].as_f64().unwrap()).abs() < 1e-12);
    }
}

#[test]
fn cox_categorical_column_is_dummy_coded_and_ph_warning_is_printed() {
    // larynx with a text stage column: the same fit as the dummies Stage_II..IV.
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(data_path("reference/survival/larynx.csv")).unwrap();
    let mut csv = String::from("time,age,death,stage\n");
    for line in src.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let stage = match (f[3], f[4], f[5]) {
            ("1", _, _) => "II",
            (_, "1", _) => "III",
            (_, _, "1") => "IV",
            _ => "I",
        };
        csv.push_str(&format!("{},{},{},{stage}\n", f[0], f[1], f[2]));
    }
    let p = dir.path().join("larynx_stage.csv");
    std::fs::write(&p, csv).unwrap();
    let o = comeback(
        dir.path(),
        &[
            "survival",
            "cox",
            "larynx_stage.csv",
            "--duration",
            "time",
            "--event",
            "death",
            "--covariates",
            "age,stage",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("stage: categorical, reference level \"I\""),
        "{}",
        stderr(&o)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = reference();
    for (mine, theirs) in [
        ("stage=II", "Stage_II"),
        ("stage=III", "Stage_III"),
        ("stage=IV", "Stage_IV"),
        ("age", "age"),
    ] {
        let b = v["coefficients"][mine].as_f64().unwrap();
        let rb = r["cox"][1]["efron"]["coefficients"][theirs]
            .as_f64()
            .unwrap();
        assert!(
            (b - rb).abs() <= 1e-6 * rb.abs().max(1.0),
            "{mine}: {b} vs {rb}"
        );
    }
    // rossi's age breaks proportional hazards (lifelines: km transform p ≈ 0.0009).
    let rossi = data_path("reference/survival/rossi.csv");
    let o = comeback(
        dir.path(),
        &[
            "survival",
            "cox",
            rossi.to_str().unwrap(),
            "--duration",
            "week",
            "--event",
            "arrest",
            "--covariates",
            "fin,age,prio",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("warning: proportional hazards doubtful: the effect of age"),
        "{err}"
    );
}

#[test]
fn km_by_group_matches_the_reference_and_runs_the_logrank_test() {
    let w = data_path("reference/survival/waltons_dataset.csv");
    let v = run_json(&[
        "survival",
        "km",
        w.to_str().unwrap(),
        "--duration",
        "T",
        "--event",
        "E",
        "--by",
        "group",
        "--json",
    ]);
    let r = reference();
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    for g in groups {
        let label = format!("waltons group={}", g["group"].as_str().unwrap());
        let want = r["km"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["label"] == label.as_str())
            .unwrap();
        assert_eq!(g["median"], want["median"], "{label}");
        assert_eq!(g["median_ci_low"], want["median_ci_low"], "{label}");
        assert_eq!(g["median_ci_high"], want["median_ci_high"], "{label}");
        assert_eq!(g["n"], want["n"]);
    }
    let stat = v["logrank"]["statistic"].as_f64().unwrap();
    let want = r["logrank"][0]["statistic"].as_f64().unwrap();
    assert!((stat - want).abs() < 1e-9 * want);
    assert_eq!(v["logrank"]["df"], 1);
}

#[test]
fn lost_builds_duration_and_event_per_customer_that_km_reads() {
    let dir = tempfile::tempdir().unwrap();
    let tx = data_path("CDNOW_sample.txt");
    let mut args = vec!["survival", "lost", tx.to_str().unwrap()];
    args.extend_from_slice(super::CDNOW_SAMPLE_COLUMNS);
    args.extend_from_slice(&["--quiet", "-o", "lost.csv"]);
    let o = comeback(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("lost.csv")).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    // CDNOW_sample holds 2357 customers.
    assert_eq!(rows.len(), 2357);
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let end = rows.iter().map(|r| day(r[4])).max().unwrap();
    for r in &rows {
        let (dur, lost, first, last, thr) = (
            r[1].parse::<f64>().unwrap(),
            r[2] == "1",
            day(r[3]),
            day(r[4]),
            r[6].parse::<f64>().unwrap(),
        );
        let since = (end - last).num_days() as f64;
        assert_eq!(lost, since > thr, "{r:?}");
        let want = if lost {
            (last - first).num_days() as f64 + thr
        } else {
            (end - first).num_days() as f64
        };
        assert!((dur - want).abs() < 1e-9, "{r:?}");
        // One-time buyers always use the fallback.
        if r[5] == "1" {
            assert_eq!(r[7], "1");
        }
    }
    assert!(rows.iter().any(|r| r[2] == "1") && rows.iter().any(|r| r[2] == "0"));
    let v = run_json(&[
        "survival",
        "km",
        dir.path().join("lost.csv").to_str().unwrap(),
        "--duration",
        "duration_days",
        "--event",
        "lost",
        "--json",
    ]);
    assert_eq!(v["groups"][0]["n"], 2357);
}

#[test]
fn bad_values_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.csv"), "t,e,x\n1,1,0\n2,maybe,1\n").unwrap();
    assert_fails(
        dir.path(),
        &["survival", "km", "d.csv", "--duration", "t", "--event", "e"],
        "d.csv:3: column \"e\": cannot parse \"maybe\" as an event flag",
    );
    std::fs::write(dir.path().join("n.csv"), "t,e,x\n1,1,0\n-2,0,1\n").unwrap();
    assert_fails(
        dir.path(),
        &[
            "survival",
            "cox",
            "n.csv",
            "--duration",
            "t",
            "--event",
            "e",
            "--covariates",
            "x",
        ],
        "n.csv:3: column \"t\": cannot parse \"-2\" as a duration",
    );
    assert_fails(
        dir.path(),
        &[
            "survival",
            "cox",
            "d.csv",
            "--duration",
            "t",
            "--event",
            "e",
            "--covariates",
            "nope",
        ],
        "nope",
    );
}
