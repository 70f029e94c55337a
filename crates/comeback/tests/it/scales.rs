//! `comeback csat`, `ces` and `dimensions` through the real CLI on
//! data/examples/voice/responses.csv.
//!
//! Reference values: `python3 data/examples/voice/reference_survey.py` (Wilson interval,
//! t interval with an mpmath t quantile, pooled two-proportion z, Welch t, paired SERVQUAL
//! gap); tolerance 1e-6.

use crate::{assert_fails, comeback, data_path, stderr};
use serde_json::{Value, json};
use std::path::Path;

const TOL: f64 = 1e-6;

fn example() -> String {
    data_path("examples/voice/responses.csv")
        .to_str()
        .unwrap()
        .to_string()
}

fn json(dir: &Path, args: &[&str]) -> Vec<Value> {
    let o = comeback(dir, args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    match serde_json::from_slice(&o.stdout).expect("JSON") {
        Value::Array(a) => a,
        v => panic!("not an array: {v}"),
    }
}

fn close(v: &Value, key: &str, want: f64) {
    let got = v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"));
    assert!(
        (got - want).abs() < TOL,
        "{key}: got {got}, want {want} in {v}"
    );
}

#[test]
fn csat_top2_box_with_wilson_interval() {
    let dir = tempfile::tempdir().unwrap();
    let all = &json(dir.path(), &["csat", &example(), "--json"])[0];
    assert_eq!((&all["n"], &all["successes"]), (&142.into(), &102.into()));
    assert_eq!(all["non_responses"], 10);
    assert_eq!(all["method"], "wilson");
    close(all, "share", 0.7183098592);
    close(all, "ci_low", 0.639329023);
    close(all, "ci_high", 0.7857901475);
    let by = json(
        dir.path(),
        &[
            "csat",
            &example(),
            "--by",
            "location",
            "--compare",
            "Downtown,Airport",
            "--json",
        ],
    );
    close(&by[1], "ci_low", 0.7181637648);
    close(&by[1], "ci_high", 0.8785874016);
    close(&by[0], "ci_low", 0.4233976179);
    let c = &by[1]["comparison"];
    close(c, "z", 3.234266878);
    close(c, "p_value", 0.001219554372);
    close(c, "difference", 73.0 / 90.0 - 29.0 / 52.0);
    let o = comeback(
        dir.path(),
        &[
            "csat",
            &example(),
            "--by",
            "location",
            "--compare",
            "Downtown,Airport",
        ],
    );
    let t = String::from_utf8(o.stdout).unwrap();
    assert!(t.contains("81.1%") && t.contains("71.8% to 87.9%"), "{t}");
    assert!(t.contains("difference +25.3 pp"), "{t}");
}

#[test]
fn ces_mean_with_t_interval_and_welch_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let all = &json(dir.path(), &["ces", &example(), "--json"])[0];
    assert_eq!(all["n"], 142);
    close(all, "mean", 5.176056338);
    close(all, "ci_low", 5.02649218);
    close(all, "ci_high", 5.325620496);
    let by = json(
        dir.path(),
        &[
            "ces",
            &example(),
            "--by",
            "location",
            "--compare",
            "Downtown,Airport",
            "--trend",
            "month",
            "--json",
        ],
    );
    close(&by[0], "ci_low", 4.508499622);
    close(&by[0], "ci_high", 4.972981859);
    close(&by[1], "mean", 5.443181818);
    let c = &by[1]["comparison"];
    close(c, "t", 4.823620503);
    close(c, "df", 109.9391437);
    assert_eq!(c.get("z"), None, "a Welch test reports t and df");
    assert_eq!(by[1]["trend"].as_array().unwrap().len(), 4);
    assert!(by[1]["trend"][1]["change_t"].is_f64(), "{}", by[1]["trend"]);
}

#[test]
fn ces_one_answer_has_no_interval_and_scale_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("one.csv"), "who,ces\na,6\nb,\n").unwrap();
    let g = &json(d, &["ces", "one.csv", "--json"])[0];
    close(g, "mean", 6.0);
    assert_eq!((&g["ci_low"], &g["ci_high"]), (&Value::Null, &Value::Null));
    assert_eq!(g["non_responses"], 1);
    std::fs::write(d.join("bad.csv"), "who,ces\na,6\nb,8\n").unwrap();
    assert_fails(
        d,
        &["ces", "bad.csv"],
        r#"bad.csv:3: column "ces": cannot parse "8" as a score (out of range; expected a whole number from 1 to 7)"#,
    );
    // On a 1-5 scale the same file's 6 is out of range too.
    assert_fails(
        d,
        &["ces", "bad.csv", "--scale", "5"],
        r#"bad.csv:2: column "ces": cannot parse "6""#,
    );
    std::fs::write(d.join("c.csv"), "who,csat\na,6\n").unwrap();
    assert_fails(
        d,
        &["csat", "c.csv"],
        r#"c.csv:2: column "csat": cannot parse "6" as a score (out of range; expected a whole number from 1 to 5)"#,
    );
    let g = &json(d, &["csat", "c.csv", "--scale", "7", "--json"])[0];
    close(g, "share", 1.0);
    std::fs::write(d.join("blank.csv"), "who,csat\na,\n").unwrap();
    assert_fails(d, &["csat", "blank.csv"], "CSAT is undefined, not 0");
}

#[test]
fn dimensions_means_and_servqual_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let rows = json(
        dir.path(),
        &["dimensions", &example(), "--by", "location", "--json"],
    );
    assert_eq!(rows.len(), 10, "2 locations × 5 dimensions");
    let rel = rows
        .iter()
        .find(|r| r["group"] == "Downtown" && r["dimension"] == "reliability")
        .unwrap();
    assert_eq!(rel["n"], 89);
    close(rel, "mean", 4.02247191);
    close(rel, "ci_low", 3.880529965);
    close(rel, "ci_high", 4.164413855);
    assert_eq!(rel["expectation_col"], "reliability_expected");
    assert_eq!(rel["gap_n"], 75);
    close(rel, "gap", -1.0 / 3.0);
    close(rel, "gap_ci_low", -0.5080384708);
    close(rel, "gap_ci_high", -0.1586281959);
    let emp = rows
        .iter()
        .find(|r| r["group"] == "Airport" && r["dimension"] == "empathy")
        .unwrap();
    assert_eq!(
        (&emp["gap"], &emp["expectation_col"]),
        (&Value::Null, &Value::Null)
    );
    let one = json(
        dir.path(),
        &[
            "dimensions",
            &example(),
            "--dimensions",
            "delight,reliability",
            "--expectation-suffix",
            "_none",
            "--json",
        ],
    );
    let names: Vec<&str> = one
        .iter()
        .map(|r| r["dimension"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["delight", "reliability"], "in the order asked for");
    assert!(one.iter().all(|r| r["gap"].is_null()));
    let o = comeback(dir.path(), &["dimensions", &example()]);
    let t = String::from_utf8(o.stdout).unwrap();
    assert!(t.contains("SERVQUAL"), "{t}");
    // A name that is not built in is the column of a survey's own dimension.
    assert_fails(
        dir.path(),
        &["dimensions", &example(), "--dimensions", "tangibles"],
        r#"no column "tangibles" in header"#,
    );
    assert_fails(
        dir.path(),
        &["dimensions", &example(), "--dimensions", "reliability,"],
        "--dimensions: an empty name",
    );
    std::fs::write(dir.path().join("d.csv"), "reliability\n3\n6\n").unwrap();
    assert_fails(
        dir.path(),
        &["dimensions", "d.csv", "--dimensions", "reliability"],
        r#"d.csv:3: column "reliability": cannot parse "6" as a score (out of range; expected a whole number from 1 to 5)"#,
    );
    assert_fails(
        dir.path(),
        &["dimensions", "d.csv"],
        r#"no column "assurance" in header "reliability""#,
    );
}

#[test]
fn dimensions_of_a_surveys_own() {
    // cleanliness 5, 4, 4, 3 → mean 4, sd √(2/3), t interval 4 ± 3.182446 · 0.408248;
    // speed 2 and 4 (one blank) with expectations 3 and 5: gap −1 for both.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("own.csv"),
        "location,cleanliness,speed,speed_expected\nA,5,2,3\nA,4,,\nB,4,4,5\nB,3,,\n",
    )
    .unwrap();
    let rows = json(
        dir.path(),
        &[
            "dimensions",
            "own.csv",
            "--dimensions",
            "speed,Cleanliness",
            "--json",
        ],
    );
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["dimension"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["speed", "cleanliness"], "named as the columns are");
    let clean = &rows[1];
    assert_eq!(clean["n"], 4);
    close(clean, "mean", 4.0);
    close(clean, "sd", (2.0f64 / 3.0).sqrt());
    close(
        clean,
        "ci_low",
        4.0 - 3.182446305 * (2.0f64 / 3.0).sqrt() / 2.0,
    );
    assert_eq!(clean["expectation_col"], Value::Null);
    let speed = &rows[0];
    assert_eq!(
        (&speed["n"], &speed["non_responses"]),
        (&json!(2), &json!(2))
    );
    close(speed, "mean", 3.0);
    assert_eq!(speed["expectation_col"], "speed_expected");
    assert_eq!(speed["gap_n"], 2);
    close(speed, "gap", -1.0);
    let by = json(
        dir.path(),
        &[
            "dimensions",
            "own.csv",
            "--dimensions",
            "cleanliness",
            "--by",
            "location",
            "--json",
        ],
    );
    assert_eq!(by.len(), 2);
    assert_eq!((&by[0]["group"], &by[0]["n"]), (&json!("A"), &json!(2)));
    close(&by[0], "mean", 4.5);
    close(&by[1], "mean", 3.5);
    assert_fails(
        dir.path(),
        &["dimensions", "own.csv", "--dimensions", "speed,speed"],
        r#"--dimensions: "speed" is given twice"#,
    );
    assert_fails(
        dir.path(),
        &["dimensions", "own.csv", "--dimensions", "speed,Speed"],
        r#"--dimensions: "Speed" and "speed" name the same column"#,
    );
}
