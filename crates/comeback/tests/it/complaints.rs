//! `comeback complaints` through the real CLI, on the hand-computed fixture
//! `tests/data/complaints/complaints.csv` (six complaints; arithmetic in the comments).
//! The Wilson interval of 2 satisfied of 3 answers was computed with Python's standard
//! library (`statistics.NormalDist`): 0.20765960080204782–0.9385080552796038.

use crate::{assert_fails, comeback, stderr};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/complaints")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

fn run_json(dir: &Path, extra: &[&str]) -> Value {
    let file = fixture("complaints.csv");
    let mut args = vec!["complaints", file.as_str(), "--json"];
    args.extend_from_slice(extra);
    let o = comeback(dir, &args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("JSON")
}

fn close(v: &Value, want: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!((got - want).abs() < 1e-9, "got {got}, want {want}");
}

/// Every key of the default run (24/7 clock, targets 4 h and 72 h, as-of = the latest
/// timestamp, 2026-02-12T06:00 = C6's receipt).
#[test]
fn every_key_of_the_default_run() {
    let dir = tempfile::tempdir().unwrap();
    let v = run_json(dir.path(), &[]);
    let obj = v.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "as_of",
            "by_category",
            "by_channel",
            "by_employee",
            "by_location",
            "by_month",
            "by_severity",
            "clock",
            "compensated",
            "compensation_by_type",
            "compensation_total",
            "first_response_hours",
            "first_response_missing",
            "first_response_sla",
            "first_response_sla_met",
            "iceberg",
            "n",
            "open",
            "reopen_rate",
            "reopened",
            "resolution_hours",
            "resolution_sla",
            "resolution_sla_met",
            "satisfaction"
        ]
    );
    assert_eq!(v["n"], 6);
    // Open: C3, C4, C6 have no resolved_at.
    assert_eq!(v["open"], 3);
    assert_eq!(v["as_of"], "2026-02-12T06:00:00+00:00");
    // Keys as written, trimmed: C4's " Quality " is "Quality", apart from "quality".
    assert_eq!(
        v["by_category"],
        json!({"Quality": 1, "price": 1, "quality": 2, "service": 2})
    );
    // First response: C1 1 h, C2 6 h, C3 2.5 h, C5 3 h → sorted [1, 2.5, 3, 6];
    // median h = 3 × 0.5 = 1.5 → 2.5 + 0.5 × 0.5 = 2.75; p90 h = 2.7 → 3 + 0.7 × 3 = 5.1.
    close(&v["first_response_hours"]["median"], 2.75);
    close(&v["first_response_hours"]["p90"], 5.1);
    assert_eq!(v["first_response_hours"]["n"], 4);
    // Resolution: C1 24 h, C2 96 h, C5 24 h → [24, 24, 96]; median 24;
    // p90 h = 1.8 → 24 + 0.8 × 72 = 81.6.
    close(&v["resolution_hours"]["median"], 24.0);
    close(&v["resolution_hours"]["p90"], 81.6);
    // First-response SLA (4 h): met C1, C3, C5; missed C2; C4 waited 213 h (breached),
    // C6 0 h (within) → 3 ÷ (4 + 1) = 0.6.
    close(&v["first_response_sla_met"], 0.6);
    assert_eq!(
        v["first_response_sla"],
        json!({"target_hours": 4.0, "met": 3, "missed": 1, "waiting_breached": 1,
               "waiting_within": 1, "share": 0.6})
    );
    // Resolution SLA (72 h): met C1, C5; missed C2; C3 waited 238 h and C4 213 h
    // (breached), C6 0 h → 2 ÷ (3 + 2) = 0.4.
    close(&v["resolution_sla_met"], 0.4);
    assert_eq!(v["resolution_sla"]["waiting_breached"], 2);
    assert_eq!(v["resolution_sla"]["waiting_within"], 1);
    // 10.00 + 0 + 25.50.
    close(&v["compensation_total"], 35.5);
    assert_eq!(v["compensated"], 3);
    assert_eq!(
        v["compensation_by_type"],
        json!({"discount": {"count": 1, "total": 25.5}, "none": {"count": 1, "total": 0.0},
               "refund": {"count": 1, "total": 10.0}})
    );
    assert_eq!(v["first_response_missing"], 0);
    assert_eq!(v["by_location"], json!({"North": 3, "South": 2}));
    assert_eq!(v["by_employee"], json!({"ann": 2, "bob": 1, "carl": 1}));
    assert_eq!(v["by_severity"], json!({"high": 3, "low": 2}));
    assert_eq!(v["by_channel"], json!({"email": 2, "phone": 2, "web": 2}));
    assert_eq!(v["by_month"], json!({"2026-01": 2, "2026-02": 4}));
    // Reopened: C2, of 3 resolved.
    assert_eq!(v["reopened"], 1);
    close(&v["reopen_rate"], 1.0 / 3.0);
    // Satisfied: C1, C5 yes; C2 no.
    let s = &v["satisfaction"];
    assert_eq!(
        (s["answered"].clone(), s["satisfied"].clone()),
        (json!(3), json!(2))
    );
    close(&s["share"], 2.0 / 3.0);
    close(&s["ci_low"], 0.20765960080204782);
    close(&s["ci_high"], 0.9385080552796038);
    // Iceberg: 6 × 10 = 60; TARP 6 × 26 = 156.
    assert_eq!(
        v["iceberg"],
        json!({"ratio": 10.0, "silent_dissatisfied": 60.0, "tarp_ratio": 26.0,
               "tarp_silent_dissatisfied": 156.0})
    );
    assert_eq!(
        v["clock"],
        json!({"business_hours": null, "timezone": "UTC", "holidays": 0, "locations": {}})
    );
}

#[test]
fn as_of_and_targets() {
    let dir = tempfile::tempdir().unwrap();
    // As of 12:00: C6 has waited 6 h > 4 h → first response 3 ÷ 6 = 0.5; resolution
    // unchanged (6 h < 72 h).
    let v = run_json(dir.path(), &["--as-of", "2026-02-12T12:00"]);
    close(&v["first_response_sla_met"], 0.5);
    close(&v["resolution_sla_met"], 0.4);
    // Targets of 2h30m and 100h: first response met C1 (1), C3 (2.5, equal = met);
    // missed C2, C5; C4 breached → 2 ÷ 5; resolution met C1, C2 (96), C5; C3 238 and
    // C4 213 breached → 3 ÷ 5.
    let v = run_json(
        dir.path(),
        &[
            "--first-response-target",
            "2h30m",
            "--resolution-target",
            "100h",
        ],
    );
    close(&v["first_response_sla_met"], 0.4);
    close(&v["resolution_sla_met"], 0.6);
    close(&v["first_response_sla"]["target_hours"], 2.5);
    // Iceberg ratio.
    let v = run_json(dir.path(), &["--iceberg-ratio", "26"]);
    close(&v["iceberg"]["silent_dissatisfied"], 156.0);
}

/// Mon–Fri 09:00–17:00 in Helsinki (naive timestamps are Helsinki wall times; 2026-01-05
/// and 2026-02-02 are Mondays).
#[test]
fn business_hours_and_holidays() {
    let dir = tempfile::tempdir().unwrap();
    let hours = [
        "--business-hours",
        "Mon-Fri 09:00-17:00",
        "--timezone",
        "Europe/Helsinki",
    ];
    let v = run_json(dir.path(), &hours);
    // First response: C1 09→10 = 1; C2 Mon 12→18 = 5 (12–17); C3 08:00→10:30 = 1.5
    // (from 09:00); C5 3 → [1, 1.5, 3, 5]: median 1.5 + 0.5 × 1.5 = 2.25,
    // p90 3 + 0.7 × 2 = 4.4.
    close(&v["first_response_hours"]["median"], 2.25);
    close(&v["first_response_hours"]["p90"], 4.4);
    // Resolution: C1 Mon 09 → Tue 09 = 8; C2 Mon 12 → Fri 12 = 5 + 8 + 8 + 8 + 3 = 32;
    // C5 Tue 09 → Wed 09 = 8 → [8, 8, 32]: median 8, p90 8 + 0.8 × 24 = 27.2.
    close(&v["resolution_hours"]["median"], 8.0);
    close(&v["resolution_hours"]["p90"], 27.2);
    // Still open at Thu 2026-02-12 06:00: C3 (from Mon Feb 2 08:00) has 5 × 8 + 3 × 8 =
    // 64 business hours ≤ 72, C4 (Tue Feb 3) 56, C6 0: none breached → 3 ÷ 3 = 1.
    close(&v["resolution_sla_met"], 1.0);
    assert_eq!(v["resolution_sla"]["waiting_within"], 3);
    // First response: C4 56 h > 4 breached → 3 ÷ 5.
    close(&v["first_response_sla_met"], 0.6);
    assert_eq!(v["as_of"], "2026-02-12T04:00:00+00:00");
    assert_eq!(v["clock"]["business_hours"], "Mon-Fri 09:00-17:00");
    // As of Thu 17:00: C6 has 8 h > 4 (breached) → 3 ÷ 6 = 0.5; C3 reaches exactly
    // 64 + 8 = 72 h, which is not past the target → resolution still 1.
    let mut args = hours.to_vec();
    args.extend(["--as-of", "2026-02-12T17:00"]);
    let v = run_json(dir.path(), &args);
    close(&v["first_response_sla_met"], 0.5);
    close(&v["resolution_sla_met"], 1.0);
    // With Tue 2026-01-06 a holiday: C2 = 5 + 0 + 8 + 8 + 3 = 24; C1 still 8 (Monday) →
    // [8, 8, 24]: p90 8 + 0.8 × 16 = 20.8.
    let holidays = fixture("holidays.csv");
    let mut args = hours.to_vec();
    args.extend(["--holidays", holidays.as_str()]);
    let v = run_json(dir.path(), &args);
    close(&v["resolution_hours"]["p90"], 20.8);
    assert_eq!(v["clock"]["holidays"], 1);
}

/// The `paused` column: waits for the customer stop the clock (Mon–Fri 09:00–17:00 in
/// Helsinki, EET = UTC+2 in March 2026). P1 is received Fri 6 March 14:00, answered at
/// 15:00, waits Fri 16:00 → Tue 10 March 11:00 (1 + 8 + 2 = 11 business hours) and is
/// resolved Wed 11 March 12:00: 3 + 8 + 8 + 3 = 22 open hours − 11 = 11 h. P2 is received
/// Mon 9 March 09:00 and waits from 10:00 on (an open wait): at as-of (P1's resolution) it
/// has 1 business hour, within its 4 h first-response target. A bad interval names the line.
#[test]
fn paused_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paused.csv");
    std::fs::write(
        &file,
        "complaint_id,customer_id,received_at,first_response_at,resolved_at,category,compensation,paused\n\
         P1,a,2026-03-06T14:00,2026-03-06T15:00,2026-03-11T12:00,quality,,2026-03-06T16:00/2026-03-10T11:00\n\
         P2,b,2026-03-09T09:00,,,quality,,2026-03-09T10:00/\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let args = [
        "complaints",
        path,
        "--json",
        "--business-hours",
        "Mon-Fri 09:00-17:00",
        "--timezone",
        "Europe/Helsinki",
    ];
    let o = comeback(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    close(&v["resolution_hours"]["median"], 11.0);
    close(&v["first_response_hours"]["median"], 1.0);
    assert_eq!(v["first_response_sla"]["waiting_within"], 1);
    assert_eq!(v["first_response_sla"]["waiting_breached"], 0);
    std::fs::write(
        &file,
        "complaint_id,customer_id,received_at,first_response_at,resolved_at,category,compensation,paused\n\
         P1,a,2026-03-06T14:00,,,quality,,2026-03-06T16:00-2026-03-10T11:00\n\
         P2,b,2026-03-09T09:00,,,quality,,2026-03-09T08:00/\n",
    )
    .unwrap();
    let o = comeback(dir.path(), &args);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains(":2:") && e.contains("paused"), "{e}");
    std::fs::write(
        &file,
        "complaint_id,customer_id,received_at,first_response_at,resolved_at,category,compensation,paused\n\
         P2,b,2026-03-09T09:00,,,quality,,2026-03-09T08:00/\n",
    )
    .unwrap();
    let o = comeback(dir.path(), &args);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains(":2:") && e.contains("starts before received_at"),
        "{e}"
    );
}

#[test]
fn text_output() {
    let dir = tempfile::tempdir().unwrap();
    let o = comeback(dir.path(), &["complaints", &fixture("complaints.csv")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    for want in [
        "Complaints: 6 (3 open) as of 2026-02-12 06:00 UTC",
        "Clock: 24/7",
        "first response       4     2.75     5.10      4h     3       1         1   60.0 %",
        "resolution           3    24.00    81.60     72h     2       1         2   40.0 %",
        "Compensation total: 35.50 over 3 complaint(s)",
        "Reopened: 1 of 3 resolved (33.3 %)",
        "Satisfied with the handling: 2 of 3 answers (66.7 %; 95 % Wilson interval 20.8–93.9 %)",
        "Iceberg: about 60 silent dissatisfied customers (10 per complaint; TARP's 26: 156)",
        "Quality                       1  16.7 %",
        "2026-02                       4  66.7 %",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
}

fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.to_str().unwrap().to_string()
}

const HEADER: &str =
    "complaint_id,customer_id,received_at,first_response_at,resolved_at,category,compensation\n";

#[test]
fn errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let before = write(
        d,
        "before.csv",
        &format!(
            "{HEADER}C1,A,2026-01-05T09:00,2026-01-05T10:00,,quality,\nC2,B,2026-01-05T09:00,2026-01-05T08:59,,price,\n"
        ),
    );
    assert_fails(
        d,
        &["complaints", &before],
        "before.csv:3: column \"first_response_at\": first response 2026-01-05T08:59:00+00:00 is before receipt 2026-01-05T09:00:00+00:00",
    );
    let bad_ts = write(
        d,
        "ts.csv",
        &format!("{HEADER}C1,A,2026-02-30T09:00,,,quality,\n"),
    );
    assert_fails(
        d,
        &["complaints", &bad_ts],
        "ts.csv:2: column \"received_at\": cannot parse \"2026-02-30T09:00\" as a timestamp (expected an ISO 8601 timestamp",
    );
    let gap = write(
        d,
        "gap.csv",
        &format!("{HEADER}C1,A,2026-03-29T03:30,,,quality,\n"),
    );
    assert_fails(
        d,
        &["complaints", &gap, "--timezone", "Europe/Helsinki"],
        "gap.csv:2: column \"received_at\": cannot parse \"2026-03-29T03:30\" as a timestamp (the wall time does not exist in Europe/Helsinki",
    );
    let comp = write(
        d,
        "comp.csv",
        &format!("{HEADER}C1,A,2026-01-05T09:00,,,quality,€5\n"),
    );
    assert_fails(
        d,
        &["complaints", &comp],
        "comp.csv:2: column \"compensation\": cannot parse \"€5\" as an amount",
    );
    let dup = write(
        d,
        "dup.csv",
        &format!("{HEADER}C1,A,2026-01-05T09:00,,,quality,\nC1,B,2026-01-05T10:00,,,quality,\n"),
    );
    assert_fails(
        d,
        &["complaints", &dup],
        "dup.csv:3: column \"complaint_id\": cannot parse \"C1\" as a complaint id (a unique id; line 2 has the same)",
    );
    let missing = write(
        d,
        "missing.csv",
        "complaint_id,customer_id,received_at\nC1,A,2026-01-05T09:00\n",
    );
    assert_fails(d, &["complaints", &missing], "first_response_at");
    let reopened = write(
        d,
        "reopened.csv",
        "complaint_id,customer_id,received_at,first_response_at,resolved_at,category,compensation,reopened_at\nC1,A,2026-01-05T09:00,,,quality,,2026-01-06T09:00\n",
    );
    assert_fails(
        d,
        &["complaints", &reopened],
        "reopened.csv:2: column \"reopened_at\": reopened but \"resolved_at\" is empty",
    );
    let file = fixture("complaints.csv");
    assert_fails(
        d,
        &["complaints", &file, "--as-of", "2026-02-01T00:00"],
        "--as-of 2026-02-01T00:00 is before",
    );
    assert_fails(
        d,
        &[
            "complaints",
            &file,
            "--business-hours",
            "Mon-Fry 09:00-17:00",
        ],
        "unknown day \"Fry\"",
    );
    let hol = write(d, "hol.csv", "2026-01-01\n2026-13-01\n");
    assert_fails(
        d,
        &[
            "complaints",
            &file,
            "--business-hours",
            "Mon-Fri 09:00-17:00",
            "--holidays",
            &hol,
        ],
        "hol.csv:2: column 1: cannot parse \"2026-13-01\" as a date (expected YYYY-MM-DD)",
    );
    // A bad target is a usage error (exit 2) from the flag parser.
    let o = comeback(d, &["complaints", &file, "--first-response-target", "4"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("expected a duration in hours and minutes"));
}

/// `simulate --complaints` writes a complaints file beside the log, and `complaints
/// --transactions` reads both: the groups hold every customer, the unresolved group is the
/// file's rows without `resolved_at` (one complaint per customer), and the ratio of 90-day
/// repeat shares unresolved ÷ quick has an interval around the stated truth
/// (1 − 0.5) / (1 − 0.05) = 0.526 (the 100-seed coverage check is in
/// `comeback-analysis/tests/it/recovery_effect.rs`).
#[test]
fn recovery_effect_of_a_simulated_complaint_process() {
    let dir = tempfile::tempdir().unwrap();
    let o = comeback(
        dir.path(),
        &[
            "simulate",
            "--model",
            "pareto-nbd",
            "--params",
            "r=1,alpha=10,s=1,beta=100",
            "--spend-params",
            "none",
            "--customers",
            "3000",
            "--acquisition-days",
            "365",
            "--observation-days",
            "730",
            "--start",
            "2020-01-01",
            "--seed",
            "5",
            "--complaints",
            "probability=0.1,quick=0.5,slow=0.3,quick_hours=24,slow_hours=240,leave_quick=0.05,leave_slow=0.2,leave_unresolved=0.5",
            "--complaints-output",
            "complaints.csv",
            "-o",
            "tx.csv",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("complaints.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "complaint_id,customer_id,received_at,first_response_at,resolved_at,category,compensation"
    );
    let complaints = lines.len() - 1;
    let unresolved = lines[1..]
        .iter()
        .filter(|l| l.split(',').nth(4) == Some(""))
        .count();
    assert!(complaints > 500, "{complaints}");
    let o = comeback(
        dir.path(),
        &[
            "complaints",
            "complaints.csv",
            "--transactions",
            "tx.csv",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let e = &v["recovery_effect"];
    assert_eq!(e["quick_within_hours"], json!(72.0));
    assert_eq!(e["complainers_without_purchases"], json!(0));
    assert_eq!(e["p_alive_note"], Value::Null);
    let g = &e["groups"];
    let customers = |k: &str| g[k]["customers"].as_u64().unwrap() as usize;
    assert_eq!(
        customers("never_complained")
            + customers("resolved_quickly")
            + customers("resolved_slowly")
            + customers("not_resolved"),
        3000
    );
    assert_eq!(customers("not_resolved"), unresolved);
    assert_eq!(
        customers("resolved_quickly") + customers("resolved_slowly") + unresolved,
        complaints
    );
    for k in ["never_complained", "resolved_quickly", "not_resolved"] {
        let p = &g[k]["p_alive"];
        let (lo, mean, hi) = (
            p["ci_low"].as_f64().unwrap(),
            p["mean"].as_f64().unwrap(),
            p["ci_high"].as_f64().unwrap(),
        );
        assert!(
            0.0 <= lo && lo <= mean && mean <= hi && hi <= 1.0,
            "{k}: {p}"
        );
        let r = &g[k]["repeat"]["90"];
        assert_eq!(
            r["eligible"].as_u64().unwrap() + r["censored"].as_u64().unwrap(),
            customers(k) as u64 - g[k]["without_reference"].as_u64().unwrap()
        );
    }
    // Those who stay after an unresolved complaint come back less often: fewer of them are
    // alive now than after a quick resolution.
    assert!(
        g["not_resolved"]["p_alive"]["mean"].as_f64().unwrap()
            < g["resolved_quickly"]["p_alive"]["mean"].as_f64().unwrap()
    );
    let ratio = e["ratios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["group"] == "not_resolved"
                && r["reference"] == "resolved_quickly"
                && r["window_days"] == 90
        })
        .unwrap();
    let truth = 0.5 / 0.95;
    assert!(
        ratio["ci_low"].as_f64().unwrap() <= truth && truth <= ratio["ci_high"].as_f64().unwrap(),
        "{ratio}"
    );
    // The text form shows the same table.
    let o = comeback(
        dir.path(),
        &["complaints", "complaints.csv", "--transactions", "tx.csv"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("Recovery effect (tx.csv;"), "{out}");
    assert!(
        out.contains("not resolved      ÷ resolved quickly    90 days: "),
        "{out}"
    );
}

#[test]
fn recovery_effect_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture("complaints.csv");
    // --quick-within needs --transactions (a usage error).
    let o = comeback(dir.path(), &["complaints", &file, "--quick-within", "24h"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_fails(
        dir.path(),
        &["complaints", &file, "--transactions", "missing.csv"],
        "cannot open missing.csv",
    );
    assert_fails(
        dir.path(),
        &[
            "complaints",
            &file,
            "--transactions",
            "missing.csv",
            "--repeat-windows",
            "90,0",
        ],
        "--repeat-windows: each window must be at least 1 day, got [90, 0]",
    );
}

/// The server's complaint measures and this command agree: complaints stored through the
/// server's store (walked through the recovery at set times: closed, reopened after a
/// closure, compensated with money and without, satisfied or not, open, unidentified) give
/// the same `--json` from `GET /api/v1/complaint-measures`' computation as from
/// `comeback complaints` on the server's export of the same rows, key for key, with the
/// default targets and with others.
#[test]
fn server_measures_equal_the_cli_on_the_servers_export() {
    use chrono::{DateTime, Utc};
    use comeback_complaints::recovery::{
        Action, Category, Channel, Compensation, CompensationKind, Deadlines, Severity,
    };
    use comeback_store::{ComplaintActor, ComplaintContact, ComplaintInput, Employee, Location};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    let results = rt.block_on(async {
        let app = comeback_server::Application::build(comeback_server::Settings::for_database(url))
            .await
            .unwrap();
        let state = app.state().clone();
        let store = &state.store;
        store
            .ingest_transactions(&[
                comeback_store::TransactionInput::new(
                    "t1",
                    "A",
                    at("2025-12-01T10:00:00Z"),
                    comeback_core::Amount::from_micros(1),
                    "EUR",
                ),
                comeback_store::TransactionInput::new(
                    "t2",
                    "B",
                    at("2025-12-01T10:00:00Z"),
                    comeback_core::Amount::from_micros(1),
                    "EUR",
                ),
            ])
            .await
            .unwrap();
        for code in ["North", "South"] {
            store
                .upsert_location(&Location {
                    code: code.into(),
                    name: None,
                    time_zone: "UTC".into(),
                })
                .await
                .unwrap();
        }
        for code in ["ann", "bob"] {
            store
                .upsert_employee(&Employee {
                    code: code.into(),
                    name: None,
                    location: None,
                })
                .await
                .unwrap();
        }
        let intake = |r: &str,
                      received: &str,
                      customer: &str,
                      location: Option<&str>,
                      employee: Option<&str>,
                      severity: Severity,
                      channel: Channel,
                      category: &str| ComplaintInput {
            reference: r.into(),
            received_at: at(received),
            channel,
            customer: customer.into(),
            location: location.map(Into::into),
            employee: employee.map(Into::into),
            product: None,
            description: "d".into(),
            category: Category::parse(category).unwrap(),
            severity,
            remedy_requested: None,
            owner: None,
            deadlines: Deadlines {
                first_response: None,
                resolution: None,
            },
        };
        let comp = |kind, value: Option<i64>| Action::Compensate {
            compensation: Compensation::new(
                kind,
                value.map(comeback_core::Amount::from_micros),
                String::new(),
            )
            .unwrap(),
        };
        let full = |c: Action, satisfied: bool, times: [&'static str; 6]| {
            vec![
                (
                    times[0],
                    Action::Acknowledge {
                        apology: "sorry".into(),
                    },
                ),
                (
                    times[1],
                    Action::TakeAction {
                        description: "done".into(),
                    },
                ),
                (
                    times[2],
                    Action::ShowEmpathy {
                        note: "talked".into(),
                    },
                ),
                (times[3], c),
                (
                    times[4],
                    Action::FollowUp {
                        satisfied,
                        comment: String::new(),
                    },
                ),
                (
                    times[5],
                    Action::Close {
                        note: String::new(),
                    },
                ),
            ]
        };
        let cases: Vec<(ComplaintInput, Vec<(&str, Action)>)> = vec![
            (
                intake(
                    "C-01",
                    "2026-01-05T09:00:00Z",
                    "A",
                    Some("North"),
                    Some("ann"),
                    Severity::High,
                    Channel::Email,
                    "quality",
                ),
                full(
                    comp(CompensationKind::Refund, Some(10_000_000)),
                    true,
                    [
                        "2026-01-05T10:00:00Z",
                        "2026-01-05T11:00:00Z",
                        "2026-01-05T12:00:00Z",
                        "2026-01-05T13:00:00Z",
                        "2026-01-05T14:00:00Z",
                        "2026-01-06T09:00:00Z",
                    ],
                ),
            ),
            (
                intake(
                    "C-02",
                    "2026-01-05T12:00:00Z",
                    "B",
                    Some("South"),
                    Some("bob"),
                    Severity::Low,
                    Channel::Phone,
                    "price",
                ),
                {
                    let mut v = full(
                        comp(CompensationKind::None, None),
                        false,
                        [
                            "2026-01-05T18:00:00Z",
                            "2026-01-06T10:00:00Z",
                            "2026-01-06T11:00:00Z",
                            "2026-01-07T09:00:00Z",
                            "2026-01-08T09:00:00Z",
                            "2026-01-09T12:00:00Z",
                        ],
                    );
                    v.push((
                        "2026-01-10T08:00:00Z",
                        Action::Reopen {
                            reason: "again".into(),
                        },
                    ));
                    v
                },
            ),
            (
                intake(
                    "C-03",
                    "2026-02-02T08:00:00Z",
                    "A",
                    Some("North"),
                    Some("ann"),
                    Severity::High,
                    Channel::Web,
                    "quality",
                ),
                vec![(
                    "2026-02-02T10:30:00Z",
                    Action::Acknowledge {
                        apology: "sorry".into(),
                    },
                )],
            ),
            (
                intake(
                    "C-04",
                    "2026-02-03T09:00:00Z",
                    "A",
                    Some("North"),
                    None,
                    Severity::Low,
                    Channel::Email,
                    "service",
                ),
                vec![],
            ),
            (
                intake(
                    "C-05",
                    "2026-02-10T09:00:00Z",
                    "B",
                    Some("South"),
                    Some("bob"),
                    Severity::Critical,
                    Channel::Phone,
                    "service",
                ),
                full(
                    comp(CompensationKind::Discount, Some(25_500_000)),
                    true,
                    [
                        "2026-02-10T12:00:00Z",
                        "2026-02-10T13:00:00Z",
                        "2026-02-10T14:00:00Z",
                        "2026-02-10T15:00:00Z",
                        "2026-02-10T16:00:00Z",
                        "2026-02-11T09:00:00Z",
                    ],
                ),
            ),
        ];
        for (input, steps) in cases {
            store.create_complaint(&input, None).await.unwrap();
            for (t, a) in steps {
                store
                    .transition_complaint(&input.reference, at(t), ComplaintActor::System, a)
                    .await
                    .unwrap();
            }
        }
        // Filed on the public page by someone unidentified.
        store
            .create_unidentified_complaint(
                &intake(
                    "C-06",
                    "2026-02-12T06:00:00Z",
                    "",
                    None,
                    None,
                    Severity::Medium,
                    Channel::Web,
                    "service",
                ),
                &ComplaintContact {
                    name: Some("Eve".into()),
                    email: None,
                    language: None,
                },
                None,
            )
            .await
            .unwrap();
        let mut out = Vec::new();
        for (frt, rt_) in [(None, None), (Some(2.0), Some(48.0))] {
            let q = comeback_server::api::complaints::MeasuresParams {
                first_response_target_hours: frt,
                resolution_target_hours: rt_,
                ..Default::default()
            };
            let (o, m, clock, rows) =
                comeback_server::api::complaints::compute_measures(&state, &q)
                    .await
                    .unwrap();
            out.push((
                comeback_server::complaint_measures::measures_json(&m, &o, &clock).unwrap(),
                comeback_server::complaint_measures::export_csv(&rows),
            ));
        }
        store.close().await;
        out
    });
    for ((server, csv), flags) in results.into_iter().zip([
        vec![],
        vec![
            "--first-response-target",
            "2h",
            "--resolution-target",
            "48h",
        ],
    ]) {
        let file = dir.path().join("export.csv");
        std::fs::write(&file, &csv).unwrap();
        let mut args = vec!["complaints", file.to_str().unwrap(), "--json"];
        args.extend(flags.iter().copied());
        let o = comeback(dir.path(), &args);
        assert!(o.status.success(), "{args:?}: {}\n{csv}", stderr(&o));
        let cli: Value = serde_json::from_slice(&o.stdout).unwrap();
        // Same keys, same strings and integers; real numbers within 1e-12 relative (the
        // same code compiled into two binaries may round the last bit differently: the
        // Wilson bound came out 1 ulp apart).
        let mut problems = Vec::new();
        same_json("", &server, &cli, &mut problems);
        assert!(problems.is_empty(), "{flags:?}: {problems:#?}\n{csv}");
        // Not a vacuous equality: the rows carry what was stored.
        assert_eq!(cli["n"], 6);
        assert_eq!(
            cli["open"], 3,
            "C-03, C-04, C-06; C-02 was resolved, then reopened"
        );
        assert_eq!(cli["reopened"], 1);
        assert_eq!(cli["compensation_total"], json!(35.5));
        assert_eq!(cli["by_location"], json!({"North": 3, "South": 2}));
        assert_eq!(cli["satisfaction"]["answered"], 3);
    }
    // The unidentified complainant's row: no customer id, no steps.
    assert!(
        std::fs::read_to_string(dir.path().join("export.csv"))
            .unwrap()
            .contains("C-06,unidentified:C-06,2026-02-12T06:00:00Z,,,service,,,,medium,web,,,")
    );
}

/// Records where `a` and `b` differ: structure, strings, booleans and integers exactly;
/// other numbers within 1e-12 relative.
fn same_json(path: &str, a: &Value, b: &Value, problems: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => same_json(&format!("{path}.{k}"), p, q, problems),
                    _ => problems.push(format!("{path}.{k}: only on one side")),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                same_json(&format!("{path}[{i}]"), p, q, problems);
            }
        }
        (Value::Number(x), Value::Number(y)) if !(x.is_f64() || y.is_f64()) => {
            if x != y {
                problems.push(format!("{path}: {x} ≠ {y}"));
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let (p, q) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if (p - q).abs() > 1e-12 * p.abs().max(q.abs()) {
                problems.push(format!("{path}: {p} ≠ {q}"));
            }
        }
        _ if a == b => {}
        _ => problems.push(format!("{path}: {a} ≠ {b}")),
    }
}

/// A complaints file imported into the server (`POST /api/v1/uploads/complaints`' code)
/// gives the same `GET /api/v1/complaint-measures` JSON as `comeback complaints --json` on
/// the same file, key for key, with the default targets and with others; on SQLite and,
/// with `COMEBACK_TEST_POSTGRES_URL`, on PostgreSQL. Importing it again changes nothing.
#[test]
fn server_import_equals_the_cli_on_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture("import.csv");
    let csv = std::fs::read(&file).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut backends = vec![(
        format!("sqlite://{}", dir.path().join("i.db").display()),
        None,
    )];
    match std::env::var("COMEBACK_TEST_POSTGRES_URL") {
        Ok(url) => backends.push((
            url,
            Some(format!(
                "t_import_{}_{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_micros()
            )),
        )),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("COMEBACK_TEST_POSTGRES_URL not set but CI is")
        }
        Err(_) => eprintln!("SKIPPED server_import_equals_the_cli_on_the_same_file::postgres"),
    }
    let targets: [(Option<f64>, Option<f64>, Vec<&str>); 2] = [
        (None, None, vec![]),
        (
            Some(2.0),
            Some(48.0),
            vec![
                "--first-response-target",
                "2h",
                "--resolution-target",
                "48h",
            ],
        ),
    ];
    for (url, schema) in backends {
        let results = rt.block_on(async {
            let mut config = comeback_store::StoreConfig::new(url.clone());
            if let Some(s) = &schema {
                config = config.pg_schema(s.clone());
            }
            let store = config.connect().await.unwrap();
            let app = comeback_server::Application::build_with_store(
                comeback_server::Settings::for_database(url.clone()),
                store.clone(),
            )
            .await
            .unwrap();
            let state = app.state().clone();
            store
                .set_business_time_zone("Europe/Helsinki")
                .await
                .unwrap();
            store
                .upsert_customers(&["A", "B", "C"].map(|id| comeback_store::CustomerInput {
                    external_id: id.into(),
                    ..Default::default()
                }))
                .await
                .unwrap();
            let params = comeback_server::api::complaint_import::ComplaintUploadParams::default();
            let first = comeback_server::api::complaint_import::import_file(
                &state,
                csv.clone().into(),
                &params,
            )
            .await
            .unwrap();
            let again = comeback_server::api::complaint_import::import_file(
                &state,
                csv.clone().into(),
                &params,
            )
            .await
            .unwrap();
            let mut out = Vec::new();
            for (frt, rt_, _) in &targets {
                let q = comeback_server::api::complaints::MeasuresParams {
                    first_response_target_hours: *frt,
                    resolution_target_hours: *rt_,
                    ..Default::default()
                };
                let (o, m, clock, _) =
                    comeback_server::api::complaints::compute_measures(&state, &q)
                        .await
                        .unwrap();
                out.push(
                    comeback_server::complaint_measures::measures_json(&m, &o, &clock).unwrap(),
                );
            }
            store.close().await;
            if let Some(s) = &schema {
                use sqlx::Connection;
                let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
                let sql = format!("DROP SCHEMA IF EXISTS {s} CASCADE");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut c)
                    .await
                    .unwrap();
                let _ = c.close().await;
            }
            ((first.inserted, again.inserted, again.unchanged), out)
        });
        assert_eq!(results.0, (4, 0, 4), "{url}");
        for (server, (_, _, flags)) in results.1.into_iter().zip(&targets) {
            let mut args = vec![
                "complaints",
                file.as_str(),
                "--json",
                "--timezone",
                "Europe/Helsinki",
            ];
            args.extend(flags.iter().copied());
            let o = comeback(dir.path(), &args);
            assert!(o.status.success(), "{args:?}: {}", stderr(&o));
            let cli: Value = serde_json::from_slice(&o.stdout).unwrap();
            let mut problems = Vec::new();
            same_json("", &server, &cli, &mut problems);
            assert!(problems.is_empty(), "{url} {flags:?}: {problems:#?}");
            // Not a vacuous equality: the file's values.
            assert_eq!(cli["n"], 4);
            assert_eq!(cli["open"], 2);
            assert_eq!(cli["reopened"], 1);
            assert_eq!(cli["compensation_total"], json!(12.5));
            assert_eq!(
                cli["by_category"],
                json!({"Quality": 1, "price": 1, "quality": 1, "service": 1})
            );
            assert_eq!(cli["by_employee"], json!({"E1": 1}));
            assert_eq!(cli["clock"]["timezone"], "Europe/Helsinki");
        }
    }
}

/// `comeback complaints` and the server's import (`POST /api/v1/uploads/complaints`' code)
/// read a file with one reader (`comeback_complaints::file`): each of these rows is
/// accepted by both or refused by both with the same problems (line, column, message), and
/// a file of them all is refused by both with every problem of every row. Rows that only
/// the store or the server's clock can judge (an unknown customer, a receipt more than a
/// day ahead) are the server's alone and not among them.
#[test]
fn cli_and_server_accept_and_refuse_the_same_rows() {
    const FULL: &str = "complaint_id,customer_id,received_at,first_response_at,resolved_at,category,compensation,location,employee,severity,channel,reopened_at,satisfied,compensation_type,paused\n";
    let long = "x".repeat(201);
    let cases: Vec<(String, bool)> = [
        ("Q-01,A,2026-03-02 09:00,2026-03-02 10:00,2026-03-03 09:00,quality,12.50,HEL,E1,High,phone,,yes,refund,", true),
        ("Q-02,B,2026-03-02 09:00,,,price,,,,,,,,,", true),
        ("Q-03,A,2026-03-02T09:00+02:00,,,price,0,,,CRITICAL,web,,,none,", true),
        ("Q-04,B,2026-03-02 09:00,2026-03-02 09:30,2026-03-04 09:00,service,,,,low,email,2026-03-05 09:00,no,,2026-03-02T10:00Z/2026-03-02T11:00Z", true),
        ("Q-05,A,2026-03-02 09:00,,,price,,,,urgent,,,,,", false),
        ("Q-06,A,2026-03-02 09:00,,,price,,,,sev1,,,,,", false),
        ("Q-07,A,,,,price,,,,,,,,,", false),
        ("Q-08,A,2026-13-02 09:00,,,price,,,,,,,,,", false),
        ("Q-09,A,2026-03-02 09:00,2026-03-02 08:00,,price,,,,,,,,,", false),
        ("Q-10,A,2026-03-02 09:00,,,price,,,,,,2026-03-03 09:00,,,", false),
        ("Q-11,A,2026-03-02 09:00,,,price,-3,,,,,,,,", false),
        ("Q-12,A,2026-03-02 09:00,,,price,€5,,,,,,,,", false),
        ("Q-13,A,2026-03-02 09:00,,,price,,,,,,,maybe,,", false),
        ("Q-14,A,2026-03-02 09:00,,,,,,,,,,,,", false),
        ("Q-15,,2026-03-02 09:00,,,price,,,,,,,,,", false),
        ("Q-16,A,2026-03-02 09:00,,,price,,HEL\u{1},,,,,,,", false),
        ("Q-17,A,2026-03-02 09:00,,,price,,,,,,,,,2026-03-02T10:00Z", false),
        ("Q-18,A,2026-03-02 09:00,,,price,,,,,,,,,2026-03-02T08:00Z/", false),
        ("Q-19,A,2026-03-02 09:00,,,price,,,,Medium,,,,,2026-03-02T10:00Z/;2026-03-02T12:00Z/", false),
        ("Q-20,A,2026-03-02 09:00,2026-03-02 10:00,2026-03-02 09:59,price,2.5,,,critical,,2026-03-02 08:00,,,", false),
    ]
    .into_iter()
    .map(|(r, ok)| (r.to_owned(), ok))
    .chain([(format!("{long},A,2026-03-02 09:00,,,price,,,,,,,,,"), false)])
    .collect();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("same.db").display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(async {
        let app = comeback_server::Application::build(comeback_server::Settings::for_database(url))
            .await
            .unwrap();
        app.state()
            .store
            .upsert_customers(&["A", "B"].map(|id| comeback_store::CustomerInput {
                external_id: id.into(),
                ..Default::default()
            }))
            .await
            .unwrap();
        app
    });
    let state = app.state().clone();
    let params = comeback_server::api::complaint_import::ComplaintUploadParams {
        timezone: Some("UTC".into()),
        delimiter: None,
    };
    // The server's problems, each message with `upload` as the file's name.
    let server = |body: String| -> Result<u64, Vec<comeback_server::error::RowProblem>> {
        rt.block_on(comeback_server::api::complaint_import::import_file(
            &state,
            body.into_bytes().into(),
            &params,
        ))
        .map(|r| r.rows)
        .map_err(|e| match e {
            comeback_server::error::ApiError::Rejected(p) => p,
            other => panic!("not a rejection: {other:?}"),
        })
    };
    // The CLI's answer: success, or stderr naming the file as `upload`.
    let cli = |name: &str, body: &str| -> Result<(), String> {
        let path = write(dir.path(), name, body);
        let o = comeback(dir.path(), &["complaints", &path, "--json"]);
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{err}");
        if o.status.success() {
            Ok(())
        } else {
            assert_eq!(o.status.code(), Some(1), "{err}");
            Err(err.replace(&path, "upload"))
        }
    };
    let mut refused = 0;
    for (i, (row, ok)) in cases.iter().enumerate() {
        let body = format!("{FULL}{row}\n");
        let c = cli(&format!("case{i}.csv"), &body);
        let s = server(body);
        match (c, s) {
            (Ok(()), Ok(rows)) => {
                assert!(ok, "{row}: accepted by both, expected refused");
                assert_eq!(rows, 1);
            }
            (Err(e), Err(problems)) => {
                assert!(!ok, "{row}: refused by both, expected accepted: {e}");
                refused += 1;
                assert!(!problems.is_empty());
                for p in &problems {
                    assert_eq!(p.row, 2, "{row}");
                    assert!(
                        p.message
                            .starts_with(&format!("upload:2: column {:?}: ", p.field)),
                        "{p:?}"
                    );
                    assert!(e.contains(&p.message), "{row}: CLI {e:?} lacks {p:?}");
                }
                assert_eq!(
                    e.matches("upload:").count(),
                    problems.len(),
                    "{row}: CLI {e:?} vs server {problems:?}"
                );
            }
            (c, s) => panic!("{row}: CLI {c:?} but server {s:?}"),
        }
    }
    assert_eq!(refused, cases.iter().filter(|(_, ok)| !ok).count());
    // All rows in one file, with a duplicate id: both refuse it with every problem, in the
    // same order.
    let mut body = FULL.to_owned();
    for (row, _) in &cases {
        body.push_str(row);
        body.push('\n');
    }
    body.push_str("Q-02,B,2026-03-02 09:00,,,price,,,,,,,,,\n");
    let e = cli("all.csv", &body).unwrap_err();
    let problems = server(body).unwrap_err();
    let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    let cli_lines: Vec<&str> = e
        .lines()
        .map(|l| l.strip_prefix("error: ").unwrap_or(l))
        .filter(|l| l.starts_with("upload:"))
        .collect();
    assert_eq!(cli_lines, messages);
    assert!(messages.len() >= refused, "{messages:#?}");
    assert!(
        messages
            .last()
            .unwrap()
            .contains("(a unique id; line 3 has the same)"),
        "{messages:#?}"
    );
    // The rejected file stored nothing: only the accepted single-row files are there.
    let stored = rt.block_on(state.store.all_complaints()).unwrap();
    let accepted = cases.iter().filter(|(_, ok)| *ok).count();
    assert_eq!(stored.len(), accepted);
}
