//! The complaints file reader (`comeback_complaints::file`): every problem by file, line and
//! column, the severity rule, the clock rule, the cap on listed problems.

use chrono::{DateTime, Utc};
use comeback_complaints::file::{MAX_PROBLEMS, Problem, ReadError, ReadOptions, read_complaints};
use comeback_complaints::recovery::Severity;

const HEADER: &str = "complaint_id,customer_id,received_at,first_response_at,resolved_at,category,compensation,severity,reopened_at,satisfied,paused\n";

fn read(body: &str) -> Result<Vec<comeback_complaints::file::FileRow>, ReadError> {
    read_complaints(body.as_bytes(), "c.csv", &ReadOptions::default())
}

fn problems(body: &str) -> (Vec<Problem>, usize) {
    match read(body) {
        Err(ReadError::Rows { problems, total }) => (problems, total),
        other => panic!("expected row problems, got {other:?}"),
    }
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn a_bad_row_names_file_line_and_column() {
    let body = format!(
        "{HEADER}C1,A,2026-03-02 09:00,,,price,,,,,\nC2,B,2026-03-02 09:00,,,price,€5,,,,\n"
    );
    let (p, total) = problems(&body);
    assert_eq!(total, 1);
    assert_eq!(
        p,
        [Problem {
            file: "c.csv".into(),
            line: 3,
            column: "compensation".into(),
            message: "cannot parse \"€5\" as an amount (expected a non-negative amount in the business currency with a decimal point, such as 12.50)".into(),
        }]
    );
    assert_eq!(
        p[0].to_string(),
        "c.csv:3: column \"compensation\": cannot parse \"€5\" as an amount (expected a non-negative amount in the business currency with a decimal point, such as 12.50)"
    );
}

#[test]
fn every_problem_of_every_row_is_collected_in_file_order() {
    let body = format!(
        "{HEADER}\
K-1,A,2026-13-02 09:00,,,price,,,,,\n\
K-2,B,2026-03-02 09:00,,,price,-3,urgent,,maybe,\n\
K-1,A,2026-03-02 09:00,2026-03-01 09:00,,,,,2026-03-03 09:00,,\n\
K-4,,2026-03-02 09:00,,,price,,,,,2026-03-02 08:00/\n"
    );
    let (p, total) = problems(&body);
    let got: Vec<(u64, &str)> = p.iter().map(|p| (p.line, p.column.as_str())).collect();
    assert_eq!(
        got,
        [
            (2, "received_at"),
            (3, "compensation"),
            (3, "satisfied"),
            (3, "severity"),
            (4, "complaint_id"),
            (4, "category"),
            (4, "first_response_at"),
            (4, "reopened_at"),
            (5, "customer_id"),
            (5, "paused"),
        ]
    );
    assert_eq!(total, 10);
    let text = ReadError::Rows {
        problems: p.clone(),
        total,
    }
    .to_string();
    assert_eq!(text.lines().count(), 10, "{text}");
    assert!(
        text.contains("c.csv:4: column \"complaint_id\": cannot parse \"K-1\" as a complaint id (a unique id; line 2 has the same)"),
        "{text}"
    );
    assert!(
        text.contains("c.csv:4: column \"first_response_at\": first response 2026-03-01T09:00:00+00:00 is before receipt 2026-03-02T09:00:00+00:00 (column \"received_at\")"),
        "{text}"
    );
    assert!(
        text.contains("c.csv:4: column \"reopened_at\": reopened but \"resolved_at\" is empty"),
        "{text}"
    );
    assert!(
        text.contains("c.csv:5: column \"paused\": pause 2026-03-02T08:00:00+00:00/: starts before received_at"),
        "{text}"
    );
}

#[test]
fn severity_is_one_of_four_levels_in_any_case() {
    let body = format!(
        "{HEADER}\
S1,A,2026-03-02 09:00,,,price,,HIGH,,,\n\
S2,A,2026-03-02 09:00,,,price,,Medium,,,\n\
S3,A,2026-03-02 09:00,,,price,,  low  ,,,\n\
S4,A,2026-03-02 09:00,,,price,,CriTical,,,\n\
S5,A,2026-03-02 09:00,,,price,,,,,\n"
    );
    let rows = read(&body).unwrap();
    let got: Vec<(Option<Severity>, Option<&str>)> = rows
        .iter()
        .map(|r| (r.severity, r.complaint.severity.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (Some(Severity::High), Some("high")),
            (Some(Severity::Medium), Some("medium")),
            (Some(Severity::Low), Some("low")),
            (Some(Severity::Critical), Some("critical")),
            (None, None),
        ]
    );
    // The import step records the level's name too.
    assert_eq!(rows[0].imported().severity.as_deref(), Some("high"));
    for bad in ["urgent", "P1", "hi", "medium-high", "3"] {
        let body = format!("{HEADER}S1,A,2026-03-02 09:00,,,price,,{bad},,,\n");
        let (p, _) = problems(&body);
        assert_eq!(p.len(), 1, "{bad}: {p:?}");
        assert_eq!(
            p[0].to_string(),
            format!(
                "c.csv:2: column \"severity\": cannot parse \"{bad}\" as a severity (expected low, medium, high or critical, in any case)"
            )
        );
    }
}

#[test]
fn a_good_file_gives_typed_rows_with_their_lines() {
    let body = format!(
        "{HEADER}\
G1,A,2026-03-02T09:00+02:00,2026-03-02 08:00,2026-03-03 08:00,quality,12.50,high,2026-03-04 08:00,yes,2026-03-02T10:00Z/2026-03-02T11:00Z\n\
\n\
G2,B,2026-03-02 09:00,,,price,,,,,\n"
    );
    let rows = read(&body).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].line, 2);
    assert_eq!(rows[1].line, 4, "the blank line is skipped, not renumbered");
    let c = &rows[0].complaint;
    assert_eq!(c.complaint_id, "G1");
    assert_eq!(c.received_at, at("2026-03-02T07:00:00Z"));
    assert_eq!(c.first_response_at, Some(at("2026-03-02T08:00:00Z")));
    assert_eq!(c.compensation.map(|a| a.to_string()), Some("12.50".into()));
    assert_eq!(c.satisfied, Some(true));
    assert_eq!(
        c.paused,
        [(at("2026-03-02T10:00:00Z"), Some(at("2026-03-02T11:00:00Z")))]
    );
    let i = rows[0].imported();
    assert_eq!(i.external_id, "G1");
    assert_eq!(i.reopened_at, Some(at("2026-03-04T08:00:00Z")));
}

#[test]
fn the_clock_bounds_receipts_when_given() {
    let body = format!("{HEADER}F1,A,2026-03-05 09:01,,,price,,,,,\n");
    assert_eq!(read(&body).unwrap().len(), 1, "no clock, no bound");
    let options = ReadOptions {
        clock: Some(at("2026-03-04T09:00:00Z")),
        ..ReadOptions::default()
    };
    match read_complaints(body.as_bytes(), "c.csv", &options) {
        Err(ReadError::Rows { problems, .. }) => {
            assert_eq!(problems.len(), 1);
            assert_eq!(problems[0].column, "received_at");
            assert!(problems[0].message.contains("no more than a day ahead"));
        }
        other => panic!("{other:?}"),
    }
    let on_time = body.replace("09:01", "09:00");
    assert!(read_complaints(on_time.as_bytes(), "c.csv", &options).is_ok());
}

#[test]
fn texts_are_bounded_and_without_control_characters() {
    let long = "x".repeat(201);
    let body = format!("{HEADER}{long},A,2026-03-02 09:00,,,pri\u{1}ce,,,,,\n");
    let (p, _) = problems(&body);
    let got: Vec<(&str, &str)> = p
        .iter()
        .map(|p| (p.column.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, "complaint_id");
    assert!(
        got[0].1.ends_with("(is 201 bytes, at most 200 allowed)"),
        "{got:?}"
    );
    assert_eq!(got[1].0, "category");
    assert!(
        got[1].1.ends_with("(contains a control character)"),
        "{got:?}"
    );
    // 200 bytes is fine.
    let body = format!(
        "{HEADER}{},A,2026-03-02 09:00,,,price,,,,,\n",
        "x".repeat(200)
    );
    assert!(read(&body).is_ok());
}

#[test]
fn listed_problems_are_capped_and_all_counted() {
    let mut body = HEADER.to_owned();
    for i in 0..150 {
        body.push_str(&format!("B{i},A,yesterday,,,price,,,,,\n"));
    }
    let (p, total) = problems(&body);
    assert_eq!(p.len(), MAX_PROBLEMS);
    assert_eq!(total, 150);
    assert_eq!(p[99].line, 101);
    let text = read(&body).unwrap_err().to_string();
    assert!(text.ends_with("\n... and 50 more problem(s)"), "{text}");
}

#[test]
fn file_problems_are_file_errors() {
    // A required column missing: named.
    let e = read("complaint_id,customer_id\nA,B\n").unwrap_err();
    assert!(matches!(e, ReadError::File(_)), "{e:?}");
    assert!(e.to_string().contains("received_at"), "{e}");
    // A short row.
    let e = read(&format!("{HEADER}C1,A\n")).unwrap_err();
    assert!(matches!(e, ReadError::File(_)), "{e:?}");
    assert!(e.to_string().starts_with("c.csv:2:"), "{e}");
    // Empty input.
    assert!(matches!(read(""), Err(ReadError::File(_))));
}
