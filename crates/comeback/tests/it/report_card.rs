//! `comeback report-card` on `data/examples/voice/ratings.csv` (written by
//! `make_ratings.py` beside it, scores listed there by hand).
//!
//! Hand computation for March 2025 (the month of the cards; February is "last month"):
//!
//! - Ana García, Downtown, reliability: March 5, 4, 5, 4 → n = 4, mean 18/4 = 4.5;
//!   February 4, 4, 5 → 13/3; change 4.5 − 13/3 = 1/6 ≈ 0.17. Interval: s² = (4 · 0.5²)/3
//!   = 1/3, t(0.975; 3) = 3.182446, half-width 3.182446 · √(1/3)/√4 = 0.918693 →
//!   [3.581307, 5.418693], clipped to the scale: [3.58, 5]. Overall: 70 points in 16
//!   ratings = 4.375; February 49/12; change 0.291667.
//! - Downtown reliability means: Chloé 14/3 ≈ 4.667, Ana 4.5, Dan 4.5, Ben 10/3 → ranks
//!   Chloé 1, Ana 2 and Dan 2 (tied), Ben 4, of 4 peers.
//! - Ben Okafor: no ratings in February (only January) → no change.
//! - Chloé Dubois, empathy: a single rating (5) → n = 1, no interval; February 18/4 = 4.5
//!   → change 0.5.
//! - Dan Kim at Harbour Front, reliability: 4, 4 → mean 4, s = 0, interval [4, 4];
//!   February 3 → change +1; Eeva Virtanen also 20/5 = 4 → both rank 1 (tied); Frank
//!   O'Neil 2, 3, 1 → 6/3 = 2, rank 3 of 3.
//! - Gus Lindqvist: no ratings in March → no card. Seven cards in all.
//!
//! Every other value is checked against `ratings_reference.json`, computed independently
//! by `ratings_reference.py` (exact fractions; mpmath t quantiles).

use super::{assert_fails, comeback, data_path, stderr};
use serde_json::Value;
use std::path::Path;

const RATINGS: &str = "examples/voice/ratings.csv";

fn ratings() -> String {
    data_path(RATINGS).display().to_string()
}

fn run_json(dir: &Path, extra: &[&str]) -> Vec<Value> {
    let file = ratings();
    let mut args = vec!["report-card", file.as_str(), "--month", "2025-03", "--json"];
    args.extend_from_slice(extra);
    let o = comeback(dir, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    v.as_array().expect("array").clone()
}

fn card<'a>(cards: &'a [Value], location: &str, employee: &str) -> &'a Value {
    cards
        .iter()
        .find(|c| c["location"] == location && c["employee"] == employee)
        .unwrap_or_else(|| panic!("no card for {employee} at {location}"))
}

fn criterion<'a>(card: &'a Value, name: &str) -> &'a Value {
    if name == "overall" {
        return &card["overall"];
    }
    card["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["criterion"] == name)
        .unwrap_or_else(|| panic!("no criterion {name}"))
}

fn close(a: &Value, b: &Value, tol: f64, what: &str) {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => assert!((x - y).abs() <= tol, "{what}: {x} vs {y}"),
        _ => assert_eq!(a, b, "{what}"),
    }
}

#[test]
fn values_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let cards = run_json(dir.path(), &[]);
    assert_eq!(cards.len(), 7, "seven cards; none for Gus Lindqvist");
    assert!(cards.iter().all(|c| c["employee"] != "Gus Lindqvist"));

    let ana = card(&cards, "Downtown", "Ana García");
    assert_eq!(ana["month"], "2025-03");
    let r = criterion(ana, "reliability");
    assert_eq!(r["n"], 4);
    assert_eq!(r["mean"], 4.5);
    close(&r["previous_mean"], &Value::from(13.0 / 3.0), 1e-12, "prev");
    close(&r["change"], &Value::from(1.0 / 6.0), 1e-12, "change");
    close(&r["ci_low"], &Value::from(3.581307), 1e-6, "ci_low");
    assert_eq!(r["ci_high"], 5.0, "clipped to the scale");
    assert_eq!(
        (&r["rank"], &r["peers"], &r["tied"]),
        (&2.into(), &4.into(), &true.into())
    );
    let o = criterion(ana, "overall");
    assert_eq!(
        (o["n"].as_u64(), o["mean"].as_f64()),
        (Some(16), Some(4.375))
    );
    close(
        &o["change"],
        &Value::from(4.375 - 49.0 / 12.0),
        1e-12,
        "overall change",
    );

    let chloe = card(&cards, "Downtown", "Chloé Dubois");
    assert_eq!(criterion(chloe, "reliability")["rank"], 1);
    let e = criterion(chloe, "empathy");
    assert_eq!((e["n"].as_u64(), e["mean"].as_f64()), (Some(1), Some(5.0)));
    assert!(e["ci_low"].is_null() && e["ci_high"].is_null());
    assert_eq!(e["change"], 0.5);

    let ben = card(&cards, "Downtown", "Ben Okafor");
    assert!(criterion(ben, "reliability")["change"].is_null());
    assert!(criterion(ben, "reliability")["previous_mean"].is_null());
    assert_eq!(criterion(ben, "reliability")["rank"], 4);
    assert_eq!(
        criterion(card(&cards, "Downtown", "Dan Kim"), "reliability")["rank"],
        2
    );

    let dan = criterion(card(&cards, "Harbour Front", "Dan Kim"), "reliability");
    assert_eq!(
        (
            dan["mean"].as_f64(),
            dan["ci_low"].as_f64(),
            dan["ci_high"].as_f64()
        ),
        (Some(4.0), Some(4.0), Some(4.0))
    );
    assert_eq!(
        (&dan["change"], &dan["rank"], &dan["peers"], &dan["tied"]),
        (&1.0.into(), &1.into(), &3.into(), &true.into())
    );
    let eeva = criterion(
        card(&cards, "Harbour Front", "Eeva Virtanen"),
        "reliability",
    );
    assert_eq!((&eeva["rank"], &eeva["tied"]), (&1.into(), &true.into()));
    let frank = criterion(card(&cards, "Harbour Front", "Frank O'Neil"), "reliability");
    assert_eq!(
        (&frank["mean"], &frank["rank"], &frank["tied"]),
        (&2.0.into(), &3.into(), &false.into())
    );
}

#[test]
fn values_match_the_reference_script() {
    let dir = tempfile::tempdir().unwrap();
    let cards = run_json(dir.path(), &[]);
    let text = std::fs::read_to_string(data_path("examples/voice/ratings_reference.json")).unwrap();
    let reference: Value = serde_json::from_str(&text).unwrap();
    let expected = reference["cards"].as_array().unwrap();
    assert_eq!(cards.len(), expected.len());
    for (got, want) in cards.iter().zip(expected) {
        let who = format!("{} at {}", want["employee"], want["location"]);
        assert_eq!(
            (&got["employee"], &got["location"]),
            (&want["employee"], &want["location"]),
            "order"
        );
        let rows = |c: &Value| {
            let mut v = c["criteria"].as_array().unwrap().clone();
            v.push(c["overall"].clone());
            v
        };
        for (g, w) in rows(got).iter().zip(rows(want).iter()) {
            let what = format!("{who}, {}", w["criterion"]);
            assert_eq!(g["criterion"], w["criterion"], "{what}");
            for exact in ["n", "rank", "peers", "tied"] {
                assert_eq!(g[exact], w[exact], "{what}: {exact}");
            }
            // Means and changes are ratios of small integers; the interval bounds come from
            // a t quantile (statrs vs mpmath at 50 digits).
            for (field, tol) in [
                ("mean", 1e-12),
                ("previous_mean", 1e-12),
                ("change", 1e-12),
                ("ci_low", 1e-9),
                ("ci_high", 1e-9),
            ] {
                close(&g[field], &w[field], tol, &format!("{what}: {field}"));
            }
        }
    }
}

#[test]
fn text_output() {
    let dir = tempfile::tempdir().unwrap();
    let file = ratings();
    let o = comeback(
        dir.path(),
        &[
            "report-card",
            &file,
            "--month",
            "2025-03",
            "--location",
            "downtown",
            "--employee",
            "ana garcía",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    let expected = "\
Report cards for 2025-03 (scores 1-5; mean [95% t interval] (n); change vs 2025-02; rank among the staff of the location, 1 = highest mean)

== Downtown ==

Ana García (16 ratings)
  reliability      4.50 [3.58, 5.00]   (  4)  ↑ 0.17   2 of 4 (tie)
  responsiveness   4.00 [2.70, 5.00]   (  4)  ↑ 0.33   3 of 4
  empathy          4.75 [3.95, 5.00]   (  4)  ↑ 0.42   2 of 4
  assurance        4.25 [3.45, 5.00]   (  4)  ↑ 0.25   2 of 4
  overall          4.38 [4.05, 4.70]   ( 16)  ↑ 0.29   2 of 4
";
    assert_eq!(out, expected);
    // Unchanged, falling, no last month and no interval.
    let o = comeback(dir.path(), &["report-card", &file, "--month", "2025-03"]);
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains("  reliability      4.50 [3.58, 5.00]   (  4)  = 0.00   2 of 4 (tie)"),
        "{out}"
    );
    assert!(
        out.contains("  responsiveness   3.75 [2.95, 4.55]   (  4)  ↓ 0.25   4 of 4"),
        "{out}"
    );
    assert!(
        out.contains("  reliability      3.33 [1.90, 4.77]   (  3)  -        4 of 4"),
        "{out}"
    );
    assert!(
        out.contains("  empathy          5.00 -              (  1)  ↑ 0.50   1 of 4"),
        "{out}"
    );
    assert_eq!(out.matches("== ").count(), 2, "two locations");
}

#[test]
fn other_criteria_are_ignored_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let file = ratings();
    let o = comeback(
        dir.path(),
        &[
            "report-card",
            &file,
            "--month",
            "2025-03",
            "--criteria",
            "Reliability,empathy",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).trim(),
        "note: 104 ratings of criteria not in Reliability,empathy ignored: \"assurance\" (52, first on line 5), \"responsiveness\" (52, first on line 3)"
    );
    let cards: Value = serde_json::from_slice(&o.stdout).unwrap();
    let ana = card(cards.as_array().unwrap(), "Downtown", "Ana García");
    let names: Vec<&str> = ana["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["criterion"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Reliability", "empathy"]);
    // Overall now covers the two criteria only: 18 + 19 points in 8 ratings.
    assert_eq!(ana["overall"]["n"], 8);
    assert_eq!(ana["overall"]["mean"], 37.0 / 8.0);
}

#[test]
fn html_cards() {
    let dir = tempfile::tempdir().unwrap();
    let file = ratings();
    let out = dir.path().join("cards");
    let o = comeback(
        dir.path(),
        &[
            "report-card",
            &file,
            "--month",
            "2025-03",
            "--html-dir",
            "cards",
            "--lang",
            "de",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("wrote 7 report cards to cards"),
        "{}",
        stderr(&o)
    );
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "downtown--ana-garcía.html",
            "downtown--ben-okafor.html",
            "downtown--chloé-dubois.html",
            "downtown--dan-kim.html",
            "harbour-front--dan-kim.html",
            "harbour-front--eeva-virtanen.html",
            "harbour-front--frank-o-neil.html",
        ]
    );
    let employees = [
        "Ana García",
        "Ben Okafor",
        "Chloé Dubois",
        "Dan Kim",
        "Eeva Virtanen",
        "Frank O&#x27;Neil",
        "Gus Lindqvist",
    ];
    for name in &names {
        let html = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(
            html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"),
            "{name}"
        );
        assert!(html.contains(r#"<html lang="de">"#));
        assert!(
            html.contains("Zuverlässigkeit") && html.contains("Mär\u{a0}2025"),
            "{name}"
        );
        let body = &html[html.find("</style>").unwrap()..];
        assert!(
            !body.contains("rc_") && !body.contains('{') && !body.contains("template error"),
            "{name}"
        );
        assert!(!html.contains("http://") && !html.contains("https://"));
        let own: Vec<&&str> = employees.iter().filter(|e| html.contains(**e)).collect();
        assert_eq!(
            own.len(),
            1,
            "{name}: exactly one employee's name, found {own:?}"
        );
        // Staff at the location are never named, and the rank says "of N".
        assert!(html.contains(" von "), "{name}");
    }
    let ana = std::fs::read_to_string(out.join("downtown--ana-garcía.html")).unwrap();
    assert!(ana.contains("Ana García"));
    assert!(ana.contains(r#"data-field="mean">4,50<"#));
    assert!(ana.contains(r#"data-field="rank">2 von 4 (geteilt)<"#));
    assert!(ana.contains(r#"data-field="change">↑ 0,17<"#));
    assert!(ana.contains(r#"data-field="interval">3,58–5,00<"#));
    let chloe = std::fs::read_to_string(out.join("downtown--chloé-dubois.html")).unwrap();
    assert!(chloe.contains(r#"data-field="interval">eine Bewertung: kein Bereich<"#));
    let ben = std::fs::read_to_string(out.join("downtown--ben-okafor.html")).unwrap();
    assert!(ben.contains(r#"data-field="change">keine Bewertungen im Vormonat<"#));
}

#[test]
fn html_for_one_employee_into_an_existing_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = ratings();
    let out = dir.path().join("cards");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    std::fs::write(out.join("downtown--dan-kim.html"), "old").unwrap();
    let o = comeback(
        dir.path(),
        &[
            "report-card",
            &file,
            "--month",
            "2025-03",
            "--employee",
            "Dan Kim",
            "--html-dir",
            "cards",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "downtown--dan-kim.html",
            "harbour-front--dan-kim.html",
            "keep.txt"
        ],
        "no staging directory left"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("keep.txt")).unwrap(),
        "mine"
    );
    let html = std::fs::read_to_string(out.join("downtown--dan-kim.html")).unwrap();
    assert!(html.contains("Dan Kim") && html.contains("Downtown") && !html.contains("Harbour"));
    let cards: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(cards.as_array().unwrap().len(), 2);
}

#[test]
fn errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = ratings();
    let header = "employee,location,date,criterion,score\n";
    let write = |name: &str, body: &str| {
        std::fs::write(d.join(name), format!("{header}{body}")).unwrap();
        name.to_string()
    };
    let f = write(
        "six.csv",
        "Ana,Downtown,2025-03-02,empathy,5\nAna,Downtown,2025-03-02,reliability,6\n",
    );
    assert_fails(
        d,
        &["report-card", &f, "--month", "2025-03"],
        "error: six.csv:3: column \"score\": cannot parse \"6\" as a score (out of range; expected a whole number from 1 to 5)",
    );
    let f = write("half.csv", "Ana,Downtown,2025-03-02,empathy,4.5\n");
    assert_fails(
        d,
        &["report-card", &f, "--month", "2025-03"],
        "error: half.csv:2: column \"score\": cannot parse \"4.5\" as a score (not an integer score; expected a whole number from 1 to 5)",
    );
    let f = write("zero.csv", "Ana,Downtown,2025-03-02,empathy,0\n");
    assert_fails(
        d,
        &["report-card", &f, "--month", "2025-03"],
        "zero.csv:2: column \"score\": cannot parse \"0\" as a score (out of range;",
    );
    let f = write("word.csv", "Ana,Downtown,2025-03-02,empathy,good\n");
    assert_fails(
        d,
        &["report-card", &f, "--month", "2025-03"],
        "word.csv:2: column \"score\": cannot parse \"good\" as a score (expected a whole number from 1 to 5)",
    );
    let f = write(
        "noname.csv",
        "Ana,Downtown,2025-03-02,empathy,4\n,Downtown,2025-03-02,empathy,4\n",
    );
    assert_fails(
        d,
        &["report-card", &f, "--month", "2025-03"],
        "error: noname.csv:3: column \"employee\": missing value",
    );
    assert_fails(
        d,
        &["report-card", &file, "--month", "2025-04"],
        "error: no ratings in 2025-04; the file has ratings in 2025-01, 2025-02, 2025-03\n",
    );
    assert_fails(
        d,
        &[
            "report-card",
            &file,
            "--month",
            "2025-03",
            "--criteria",
            "courtesy",
        ],
        "error: no ratings in 2025-03: the file has no ratings of courtesy\n",
    );
    // A month that is not YYYY-MM is a usage error (exit code 2).
    let o = comeback(d, &["report-card", &file, "--month", "2025-13"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("invalid month \"2025-13\": expected YYYY-MM"),
        "{}",
        stderr(&o)
    );
    assert_fails(
        d,
        &[
            "report-card",
            &file,
            "--month",
            "2025-03",
            "--confidence",
            "1.5",
        ],
        "error: --confidence: 1.5 must be strictly between 0 and 1 (e.g. 0.95)\n",
    );
    assert_fails(
        d,
        &[
            "report-card",
            &file,
            "--month",
            "2025-03",
            "--employee",
            "Gus Lindqvist",
        ],
        "error: no card for employee \"Gus Lindqvist\" in 2025-03: rated that month were Ana García (Downtown), Ben Okafor (Downtown), Chloé Dubois (Downtown), Dan Kim (Downtown), Dan Kim (Harbour Front), Eeva Virtanen (Harbour Front), Frank O'Neil (Harbour Front)\n",
    );
    let f = write("nocol.csv", "");
    std::fs::write(
        d.join(&f),
        "employee,location,date,score\nAna,Downtown,2025-03-02,4\n",
    )
    .unwrap();
    assert_fails(d, &["report-card", &f, "--month", "2025-03"], "criterion");
    // An --html-dir that is a file: an error, and the file is untouched.
    std::fs::write(d.join("taken"), "x").unwrap();
    assert_fails(
        d,
        &[
            "report-card",
            &file,
            "--month",
            "2025-03",
            "--html-dir",
            "taken",
        ],
        "error: --html-dir taken: not a directory",
    );
    assert_eq!(std::fs::read_to_string(d.join("taken")).unwrap(), "x");
}

#[test]
fn delimiter_date_format_and_location_filter() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Semicolons, day-first dates, headers in another case; February 28 is last month.
    std::fs::write(
        d.join("de.csv"),
        "Employee;Location;Date;Criterion;Score\n\
         Ana;Mitte;28.02.2025;empathy;3\n\
         Ana;Mitte;01.03.2025;empathy;4\n\
         Ana;Mitte;31.03.2025;empathy;5\n\
         Ben;Mitte;15.03.2025;empathy;\n\
         Ben;Mitte;15.03.2025;empathy;2\n",
    )
    .unwrap();
    let args = [
        "report-card",
        "de.csv",
        "--month",
        "2025-03",
        "--criteria",
        "empathy",
        "--delimiter",
        ";",
        "--date-format",
        "%d.%m.%Y",
        "--json",
    ];
    let o = comeback(d, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).trim(),
        "note: 1 row with a blank score skipped (no rating)"
    );
    let cards: Value = serde_json::from_slice(&o.stdout).unwrap();
    let cards = cards.as_array().unwrap();
    assert_eq!(cards.len(), 2);
    // Ana: 4 and 5 → 4.5, last month 3 → +1.5, rank 1 of 2; Ben: 2, rank 2 of 2.
    let ana = criterion(card(cards, "Mitte", "Ana"), "empathy");
    assert_eq!(
        (&ana["n"], &ana["mean"], &ana["change"]),
        (&2.into(), &4.5.into(), &1.5.into())
    );
    assert_eq!(
        (&ana["rank"], &ana["peers"], &ana["tied"]),
        (&1.into(), &2.into(), &false.into())
    );
    assert_eq!(criterion(card(cards, "Mitte", "Ben"), "empathy")["rank"], 2);
    let mut args = args.to_vec();
    args.extend(["--location", "Nord"]);
    assert_fails(
        d,
        &args,
        "error: no card for location \"Nord\" in 2025-03: rated that month were Ana (Mitte), Ben (Mitte)\n",
    );
}
