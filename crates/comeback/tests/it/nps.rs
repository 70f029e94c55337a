//! `comeback nps` through the real CLI: the issue's fixtures, breakdowns, response rates,
//! trends, comparisons, the benchmark test, errors with file:line:column, JSON shape and
//! the HTML page.
//!
//! Reference values: `python3 data/examples/voice/reference_survey.py` (standard library and
//! mpmath, independent of the Rust code); tolerance 1e-6 points unless said otherwise.

use crate::{assert_fails, comeback, data_path, stderr};
use serde_json::Value;
use std::path::Path;

const TOL: f64 = 1e-6;

fn example() -> String {
    data_path("examples/voice/responses.csv")
        .to_str()
        .unwrap()
        .to_string()
}

/// Writes `name` with a `group,score` header: per group, P scores of 10, A of 7, D of 0,
/// and `blank` empty scores.
fn fixture(dir: &Path, name: &str, groups: &[(&str, u64, u64, u64, u64)]) {
    let mut s = String::from("group,score\n");
    for (g, p, a, d, blank) in groups {
        for (count, score) in [(p, "10"), (a, "7"), (d, "0"), (blank, "")] {
            for _ in 0..*count {
                s.push_str(&format!("{g},{score}\n"));
            }
        }
    }
    std::fs::write(dir.join(name), s).unwrap();
}

fn json(dir: &Path, args: &[&str]) -> Vec<Value> {
    let o = comeback(dir, args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    match serde_json::from_slice(&o.stdout).expect("JSON") {
        Value::Array(a) => a,
        v => panic!("not an array: {v}"),
    }
}

fn f(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

fn close(v: &Value, key: &str, want: f64) {
    let got = f(v, key);
    assert!(
        (got - want).abs() < TOL,
        "{key}: got {got}, want {want} in {v}"
    );
}

fn text(dir: &Path, args: &[&str]) -> String {
    let o = comeback(dir, args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn issue_fixture_50_30_20() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path(), "r.csv", &[("x", 50, 30, 20, 3)]);
    let g = &json(dir.path(), &["nps", "r.csv", "--json"])[0];
    assert_eq!(g["group"], Value::Null);
    assert_eq!(g["n"], 100);
    assert_eq!(g["non_responses"], 3);
    assert_eq!(
        (&g["promoters"], &g["passives"], &g["detractors"]),
        (&Value::from(50), &Value::from(30), &Value::from(20))
    );
    close(g, "nps", 30.0);
    close(g, "nps_adjusted", 29.12621359);
    close(g, "se", 7.691510422);
    close(g, "ci_low", 14.05113018);
    close(g, "ci_high", 44.20129701);
    close(g, "z", 1.959963985);
    assert_eq!(g["method"], "adjusted-wald");
    assert_eq!(g["response_rate"], Value::Null);
    let w = &json(dir.path(), &["nps", "r.csv", "--json", "--method", "wald"])[0];
    close(w, "ci_low", 14.69219192);
    close(w, "ci_high", 45.30780808);
    close(w, "nps_adjusted", 30.0);
    assert_eq!(w["method"], "wald");
    let c90 = &json(
        dir.path(),
        &["nps", "r.csv", "--json", "--confidence", "0.9"],
    )[0];
    close(c90, "ci_low", 16.47480478);
    close(c90, "ci_high", 41.77762241);
    close(c90, "confidence", 0.9);
    // The text table rounds the same numbers.
    let t = text(dir.path(), &["nps", "r.csv"]);
    assert!(t.contains("100 responses, 3 blank scores"), "{t}");
    assert!(t.contains("30.0") && t.contains("14.05 to 44.20"), "{t}");
}

/// One promoter: observed NPS 100, adjusted-Wald interval [−48.50, 98.50], which excludes
/// 100 — the note says why.
#[test]
fn one_promoter_interval_excludes_the_observed_value() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path(), "one.csv", &[("x", 1, 0, 0, 0)]);
    let g = &json(dir.path(), &["nps", "one.csv", "--json"])[0];
    close(g, "nps", 100.0);
    close(g, "nps_adjusted", 25.0);
    close(g, "ci_low", -48.49864942);
    close(g, "ci_high", 98.49864942);
    let t = text(dir.path(), &["nps", "one.csv"]);
    assert!(
        t.contains("excludes the observed NPS 100.0 because the adjusted-Wald method adds 3 pseudo-responses that pull its centre 3/4 of the way toward 0"),
        "{t}"
    );
    // One detractor: the mirror image.
    fixture(dir.path(), "det.csv", &[("x", 0, 0, 1, 0)]);
    let g = &json(dir.path(), &["nps", "det.csv", "--json"])[0];
    close(g, "nps", -100.0);
    close(g, "ci_low", -98.49864942);
    close(g, "ci_high", 48.49864942);
}

#[test]
fn all_promoters() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path(), "all.csv", &[("x", 10, 0, 0, 0)]);
    let g = &json(dir.path(), &["nps", "all.csv", "--json"])[0];
    close(g, "nps", 100.0);
    close(g, "ci_low", 47.50355154);
    close(g, "ci_high", 100.0);
    // Wald has zero width here, and the text says what that claims.
    let w = &json(
        dir.path(),
        &["nps", "all.csv", "--json", "--method", "wald"],
    )[0];
    close(w, "ci_low", 100.0);
    close(w, "ci_high", 100.0);
    close(w, "se", 0.0);
    let t = text(dir.path(), &["nps", "all.csv", "--method", "wald"]);
    assert!(t.contains("the Wald interval has zero width"), "{t}");
}

#[test]
fn no_responses_is_an_error_not_zero() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path(), "none.csv", &[("x", 0, 0, 0, 4)]);
    assert_fails(
        dir.path(),
        &["nps", "none.csv"],
        r#"none.csv: no responses in column "score" (4 rows, all blank): NPS is undefined, not 0"#,
    );
    std::fs::write(dir.path().join("empty.csv"), "group,score\n").unwrap();
    assert_fails(
        dir.path(),
        &["nps", "empty.csv", "--json"],
        "NPS is undefined, not 0",
    );
}

#[test]
fn json_shape() {
    let dir = tempfile::tempdir().unwrap();
    let g = &json(dir.path(), &["nps", &example(), "--json"])[0];
    let keys: Vec<&str> = g.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec![
        "group",
        "n",
        "non_responses",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "nps_adjusted",
        "se",
        "ci_low",
        "ci_high",
        "method",
        "z",
        "confidence",
        "invited",
        "response_rate",
    ];
    want.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, want);
    let t = &json(
        dir.path(),
        &[
            "nps",
            &example(),
            "--json",
            "--trend",
            "month",
            "--benchmark",
            "0",
        ],
    )[0];
    assert!(
        t["trend"].is_array() && t["benchmark_test"].is_object(),
        "{t}"
    );
    let m = &t["trend"][0];
    let mut mk: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
    mk.sort();
    assert_eq!(
        mk,
        [
            "change", "change_p", "change_z", "ci_high", "ci_low", "month", "n", "nps"
        ]
    );
    assert_eq!(m["change"], Value::Null, "the first month has no change");
}

/// responses.csv by location, with invitations from its column.
#[test]
fn breakdown_by_location_with_response_rates() {
    let dir = tempfile::tempdir().unwrap();
    let groups = json(
        dir.path(),
        &[
            "nps",
            &example(),
            "--by",
            "Location",
            "--invited-col",
            "invitations",
            "--json",
        ],
    );
    assert_eq!(groups.len(), 2);
    let (air, down) = (&groups[0], &groups[1]);
    assert_eq!(air["group"], "Airport");
    assert_eq!(down["group"], "Downtown");
    assert_eq!(
        [&down["promoters"], &down["passives"], &down["detractors"]],
        [33, 43, 12]
    );
    assert_eq!(
        [&air["promoters"], &air["passives"], &air["detractors"]],
        [8, 20, 20]
    );
    assert_eq!(
        (&down["non_responses"], &air["non_responses"]),
        (&8.into(), &8.into())
    );
    close(down, "ci_low", 9.176300459);
    close(down, "ci_high", 36.97754569);
    close(air, "ci_low", -43.37857028);
    close(air, "ci_high", -3.680253253);
    assert_eq!(
        (&down["invited"], &air["invited"]),
        (&121.0.into(), &76.0.into())
    );
    close(down, "response_rate", 88.0 / 121.0);
    close(air, "response_rate", 48.0 / 76.0);
    let all = &json(
        dir.path(),
        &["nps", &example(), "--invited", "200", "--json"],
    )[0];
    close(all, "response_rate", 136.0 / 200.0);
    close(all, "ci_low", -5.648071932);
    close(all, "ci_high", 18.59771222);
    let t = text(dir.path(), &["nps", &example(), "--invited", "200"]);
    assert!(t.contains("68.0%"), "{t}");
}

#[test]
fn monthly_trend_with_changes() {
    let dir = tempfile::tempdir().unwrap();
    let groups = json(
        dir.path(),
        &[
            "nps",
            &example(),
            "--by",
            "location",
            "--trend",
            "month",
            "--json",
        ],
    );
    let down = &groups[1]["trend"];
    let months: Vec<&str> = down
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2025-01", "2025-02", "2025-03", "2025-04"]);
    let april = &down[3];
    assert_eq!(april["n"], 22);
    // (10, 11, 1) in April against (9, 11, 4) in March: reference_survey.py.
    close(april, "change", 17.48148148);
    close(april, "change_z", 0.9560271769);
    let p = f(april, "change_p");
    assert!((0.33..0.35).contains(&p), "{p}");
    let t = text(dir.path(), &["nps", &example(), "--trend", "month"]);
    assert!(t.contains("trend of all by month:"), "{t}");
    assert!(t.contains("2025-04"), "{t}");
}

/// Hand computation (adjusted Wald, Rocks 2016) for A = (50, 30, 20), B = (30, 30, 40):
/// A: n′ = 103, p′ = 50.75/103, d′ = 20.75/103, NPS′ = 3000/103 = 29.1262;
///    var = [0.49272 + 0.20146 − 0.29126²]/103 = 0.60935/103 → se = 7.6915 points.
/// B: p′ = 30.75/103, d′ = 40.75/103, NPS′ = −1000/103 = −9.7087;
///    var = [0.29854 + 0.39563 − 0.09709²]/103 = 0.68474/103 → se = 8.1535 points.
/// Δ = 38.8350, se = √(7.6915² + 8.1535²) = 11.2089, z = 3.4646, p = 0.000531.
#[test]
fn comparison_z_matches_the_hand_computation() {
    let dir = tempfile::tempdir().unwrap();
    fixture(
        dir.path(),
        "ab.csv",
        &[("A", 50, 30, 20, 0), ("B", 30, 30, 40, 1)],
    );
    let groups = json(
        dir.path(),
        &[
            "nps",
            "ab.csv",
            "--by",
            "group",
            "--compare",
            "A,B",
            "--json",
        ],
    );
    let c = &groups[0]["comparison"];
    assert_eq!(groups[1].get("comparison"), None, "only on A's object");
    assert_eq!((&c["a"], &c["b"]), (&"A".into(), &"B".into()));
    close(c, "difference", 38.83495146);
    close(c, "se", 11.20891602);
    close(c, "z", 3.464648265);
    close(c, "p_value", 0.0005309253862);
    let t = text(
        dir.path(),
        &["nps", "ab.csv", "--by", "group", "--compare", "A,B"],
    );
    assert!(t.contains("z = 3.465"), "{t}");
    assert!(
        t.contains(
            "A is higher than B: the difference is significant at the 95% level (p = 0.0005)"
        ),
        "{t}"
    );
    // Months without --by: April against January on the example.
    let m = &json(
        dir.path(),
        &["nps", &example(), "--compare", "2025-04,2025-01", "--json"],
    )[0]["comparison"];
    assert_eq!(m["a"], "2025-04");
    assert!(f(m, "p_value") > 0.05, "{m}");
    assert_fails(
        dir.path(),
        &["nps", "ab.csv", "--by", "group", "--compare", "A,C"],
        r#"--compare: no group "C" (groups: "A", "B")"#,
    );
}

/// One-sided test against a benchmark of 10 for A = (50, 30, 20): z = (29.1262 − 10)/7.6915.
#[test]
fn benchmark_test_is_one_sided() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path(), "a.csv", &[("A", 50, 30, 20, 0)]);
    let g = &json(dir.path(), &["nps", "a.csv", "--benchmark", "10", "--json"])[0];
    let b = &g["benchmark_test"];
    close(b, "z", 2.486665498);
    close(b, "p_value", 0.0064473289);
    assert_eq!(b["above"], true);
    let g = &json(dir.path(), &["nps", "a.csv", "--benchmark", "20", "--json"])[0];
    assert_eq!(g["benchmark_test"]["above"], false);
    let t = text(dir.path(), &["nps", "a.csv", "--benchmark", "10"]);
    assert!(
        t.contains("the NPS is significantly above the benchmark at the 95% level (one-sided z = 2.487, p = 0.0064)"),
        "{t}"
    );
    assert_fails(
        dir.path(),
        &["nps", "a.csv", "--benchmark", "120"],
        "--benchmark must be an NPS between -100 and 100, got 120",
    );
}

#[test]
fn bad_scores_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("frac.csv"), "customer,score\na,9\nb,7.5\n").unwrap();
    assert_fails(
        d,
        &["nps", "frac.csv"],
        r#"error: frac.csv:3: column "score": cannot parse "7.5" as a score (not an integer score; expected a whole number from 0 to 10)"#,
    );
    std::fs::write(d.join("big.csv"), "customer,score\na,9\n\nb,11\n").unwrap();
    assert_fails(
        d,
        &["nps", "big.csv"],
        r#"error: big.csv:4: column "score": cannot parse "11" as a score (out of range; expected a whole number from 0 to 10)"#,
    );
    std::fs::write(d.join("word.csv"), "customer;nps\na;great\n").unwrap();
    assert_fails(
        d,
        &["nps", "word.csv", "--score-col", "NPS"],
        r#"error: word.csv:2: column "nps": cannot parse "great" as a score (expected a whole number from 0 to 10)"#,
    );
    std::fs::write(d.join("short.csv"), "customer,score\na,9\nb\n").unwrap();
    assert_fails(
        d,
        &["nps", "short.csv"],
        "error: short.csv:3: expected 2 comma-separated fields, found 1",
    );
    assert_fails(
        d,
        &["nps", &example(), "--by", "store"],
        r#"no column "store" in header "customer", "date", "location", "score""#,
    );
    assert_fails(
        d,
        &["nps", &example(), "--score-col", "nps"],
        r#"no column "nps""#,
    );
    assert_fails(
        d,
        &["nps", &example(), "--by", "location", "--invited", "100"],
        "with --by, give the invitations per row with --invited-col",
    );
    assert_fails(
        d,
        &["nps", &example(), "--invited", "10"],
        "136 responses but only 10 invitations",
    );
    assert_fails(
        d,
        &["nps", &example(), "--confidence", "1"],
        "--confidence must be strictly between 0 and 1, got 1",
    );
}

#[test]
fn html_page_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let o = comeback(
        dir.path(),
        &[
            "nps",
            &example(),
            "--by",
            "location",
            "--trend",
            "month",
            "--compare",
            "Downtown,Airport",
            "--html",
            "nps.html",
            "--lang",
            "es",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(dir.path().join("nps.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(r#"<html lang="es">"#));
    // Two groups × four months, one mark each, and a band per chart.
    assert_eq!(html.matches(r#"class="mark" data-series="nps""#).count(), 8);
    assert_eq!(html.matches(r#"class="band""#).count(), 2);
    assert!(html.contains("Downtown") && html.contains("Airport"));
    assert!(
        html.contains("9,2 a 37,0"),
        "Downtown's interval in Spanish"
    );
    assert!(html.contains("Rocks 2016"));
    assert!(!html.contains("NaN"));
    // A failure leaves no partial file behind.
    let o = comeback(
        dir.path(),
        &[
            "nps",
            &example(),
            "--score-col",
            "csat2",
            "--html",
            "x.html",
        ],
    );
    assert!(!o.status.success());
    assert!(!dir.path().join("x.html").exists());
}

/// Dates in another format need --date-format; a bad date names its line and column.
#[test]
fn trend_with_date_format_and_bad_dates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("fi.csv"),
        "pvm;suositus\n31.01.2025;10\n02.02.2025;0\n15.02.2025;9\n;8\n",
    )
    .unwrap();
    let g = &json(
        d,
        &[
            "nps",
            "fi.csv",
            "--score-col",
            "suositus",
            "--date-col",
            "pvm",
            "--date-format",
            "%d.%m.%Y",
            "--trend",
            "month",
            "--json",
        ],
    )[0];
    assert_eq!(g["n"], 4);
    let months: Vec<(&str, u64)> = g["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["month"].as_str().unwrap(), m["n"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        months,
        [("2025-01", 1), ("2025-02", 2)],
        "the undated answer is left out"
    );
    let t = text(
        d,
        &[
            "nps",
            "fi.csv",
            "--score-col",
            "suositus",
            "--date-col",
            "pvm",
            "--date-format",
            "%d.%m.%Y",
            "--trend",
            "month",
        ],
    );
    assert!(
        t.contains("1 responses without a date are not in the trend"),
        "{t}"
    );
    assert_fails(
        d,
        &[
            "nps",
            "fi.csv",
            "--score-col",
            "suositus",
            "--date-col",
            "pvm",
            "--trend",
            "month",
        ],
        r#"fi.csv:2: column "pvm": cannot parse "31.01.2025" as a date"#,
    );
}

#[test]
fn reads_standard_input() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_comeback"))
        .current_dir(dir.path())
        .args(["nps", "-", "--json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"score\n10\n9\n3\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    close(&v[0], "nps", 100.0 / 3.0);
}

#[test]
fn html_output_that_names_the_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("one.csv");
    std::fs::write(&input, "score\n9\n10\n3\n").unwrap();
    assert_fails(
        dir.path(),
        &["nps", "one.csv", "--html", "./one.csv"],
        "./one.csv (--html) is the input; choose another output file",
    );
    assert_eq!(
        std::fs::read_to_string(&input).unwrap(),
        "score\n9\n10\n3\n",
        "the input is untouched"
    );
    assert_fails(
        dir.path(),
        &["nps", "one.csv", "--html", "/nonexistent/x.html"],
        "cannot write /nonexistent/x.html: ",
    );
}

/// A one-sample benchmark test with a Wald standard error of 0 (every answer a promoter)
/// says so without speaking of two samples.
#[test]
fn benchmark_note_for_zero_standard_error_speaks_of_one_sample() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path(), "all.csv", &[("x", 10, 0, 0, 0)]);
    let args = ["nps", "all.csv", "--method", "wald", "--benchmark", "10"];
    let t = text(dir.path(), &args);
    assert!(
        t.contains("no benchmark test: the standard error is 0 (every answer in one class under the Wald method)"),
        "{t}"
    );
    assert!(!t.contains("both samples"), "{t}");
    let g = &json(dir.path(), &[&args[..], &["--json"]].concat())[0];
    let e = g["benchmark_test"]["error"].as_str().unwrap();
    assert!(e.starts_with("the standard error is 0"), "{e}");
}

#[test]
fn compare_a_group_with_itself_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    fixture(
        dir.path(),
        "ab.csv",
        &[("A", 5, 3, 2, 0), ("B", 2, 3, 5, 0)],
    );
    assert_fails(
        dir.path(),
        &["nps", "ab.csv", "--by", "group", "--compare", "A, A"],
        r#"--compare: "A" twice: compare two different groups"#,
    );
}
