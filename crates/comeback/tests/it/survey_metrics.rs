//! The server's survey metrics (`/surveys`, `GET /api/v1/survey-metrics`,
//! `GET /api/v1/survey-predictors`) equal this binary's on the same answers: answers stored
//! through the server's store, computed by `comeback_server::voice_metrics`, exported in
//! the CLI's file layout and read back by `comeback csat|ces|dimensions|predictors --json`,
//! key for key (real numbers within 1e-12 relative: the same code compiled into two
//! binaries may round the last bit differently).

use crate::{comeback, stderr};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use comeback_store::{
    Employee, ImportedResponse, Location, NewSurvey, ResponseInput, SurveyKind, TransactionInput,
};
use serde_json::{Value, json};
use std::path::Path;

const CUSTOMERS: usize = 60;

fn noon(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(12, 0, 0).unwrap().and_utc()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Customer `i`'s purchases: a first one in January 2024, a second in the autumn for two
/// customers in three (the others never come back); `zz` buys on 2025-12-31, the
/// observation end. Returns (customer, day, amount in cents).
fn purchases() -> Vec<(String, NaiveDate, i64)> {
    let mut out = Vec::new();
    for i in 0..CUSTOMERS {
        let c = format!("c{i:02}");
        out.push((
            c.clone(),
            day(2024, 1, 5) + Duration::days((i % 20) as i64),
            1000 + 100 * i as i64,
        ));
        if i % 3 != 0 {
            out.push((
                c,
                day(2024, 8, 1) + Duration::days(i as i64),
                550 + 37 * i as i64,
            ));
        }
    }
    out.push(("zz".into(), day(2025, 12, 31), 999));
    out
}

/// One imported answer.
fn answer(
    customer: Option<String>,
    location: Option<&str>,
    employee: Option<&str>,
    score: Option<i64>,
    answers: Value,
    at: NaiveDate,
) -> ImportedResponse {
    ImportedResponse {
        customer: customer.clone(),
        location: location.map(Into::into),
        employee: employee.map(Into::into),
        input: ResponseInput {
            score,
            answers: answers.to_string(),
            comment: None,
            language: None,
            anonymous: customer.is_none(),
            follow_up: None,
        },
        submitted_at: noon(at),
    }
}

/// Every answer: NPS of everyone (the last five in June 2025, too recent for a 365-day
/// window), CSAT of every other customer and two anonymous ones, CES of every third, the
/// five dimensions of three customers in four with some left blank; locations L1, L2 or
/// none and employees e1–e3 or none.
fn answers() -> Vec<(SurveyKind, ImportedResponse)> {
    let mut out = Vec::new();
    let loc = |i: usize| [Some("L1"), Some("L2"), None][i % 3];
    let emp = |i: usize| [Some("e1"), Some("e2"), Some("e3"), None][i % 4];
    for i in 0..CUSTOMERS {
        let c = Some(format!("c{i:02}"));
        let at = if i >= 55 {
            day(2025, 6, 1)
        } else {
            day(2024, 2, 1) + Duration::days((i % 10) as i64)
        };
        let nps = ((i * 7) % 11) as i64;
        out.push((
            SurveyKind::Nps,
            answer(
                c.clone(),
                loc(i),
                emp(i),
                Some(nps),
                json!({"recommend": nps}),
                at,
            ),
        ));
        if i % 2 == 0 {
            let s = 1 + ((i * 3) % 5) as i64;
            out.push((
                SurveyKind::Csat,
                answer(
                    c.clone(),
                    loc(i),
                    emp(i / 2),
                    Some(s),
                    json!({"satisfaction": s}),
                    at,
                ),
            ));
        }
        if i % 3 == 1 {
            let s = 1 + ((i * 5) % 7) as i64;
            out.push((
                SurveyKind::Ces,
                answer(
                    c.clone(),
                    loc(i + 1),
                    emp(i + 1),
                    Some(s),
                    json!({"effort": s}),
                    at,
                ),
            ));
        }
        if i % 4 != 3 {
            let mut a = json!({
                "reliability": 1 + i % 5,
                "assurance": 1 + (i * 2) % 5,
                "empathy": 1 + (i + 1) % 5,
            });
            if i % 5 != 0 {
                a["responsiveness"] = json!(1 + (i * 3) % 5);
            }
            if i % 2 == 1 {
                a["delight"] = json!(1 + (i * 4) % 5);
            }
            out.push((
                SurveyKind::Dimensions,
                answer(c.clone(), loc(i + 2), emp(i), None, a, at),
            ));
        }
    }
    for s in [5, 2] {
        out.push((
            SurveyKind::Csat,
            answer(
                None,
                Some("L1"),
                None,
                Some(s),
                json!({"satisfaction": s}),
                day(2024, 3, 1),
            ),
        ));
    }
    out
}

/// Answers of the survey of its own dimensions: customers c00–c19 on 2024-03-01, each
/// rating cleanliness 1 + i % 5 (mean 3), speed for every i not divisible by 4 (15 answers
/// of 1 + (i·2) % 5, mean 3) and empathy for every third; locations L1, L2 or none,
/// employees e1–e3 or none.
fn own_dimension_answers() -> Vec<ImportedResponse> {
    (0..20usize)
        .map(|i| {
            let mut a = json!({"cleanliness": 1 + i % 5});
            if i % 4 != 0 {
                a["speed"] = json!(1 + (i * 2) % 5);
            }
            if i % 3 == 0 {
                a["empathy"] = json!(1 + (i + 2) % 5);
            }
            answer(
                Some(format!("c{i:02}")),
                [Some("L1"), Some("L2"), None][i % 3],
                [Some("e1"), Some("e2"), Some("e3"), None][(i + 1) % 4],
                None,
                a,
                day(2024, 3, 1),
            )
        })
        .collect()
}

/// Records where the server's `a` and the CLI's `b` differ: every key of `a` must be in
/// `b` with the same value (structure, strings, booleans and integers exactly; other
/// numbers within 1e-12 relative); keys only the CLI prints are not compared.
fn same_subset(path: &str, a: &Value, b: &Value, problems: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, p) in x {
                match y.get(k) {
                    Some(q) => same_subset(&format!("{path}.{k}"), p, q, problems),
                    None => problems.push(format!("{path}.{k}: not in the CLI's output")),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                problems.push(format!("{path}: {} vs {} items", x.len(), y.len()));
            }
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                same_subset(&format!("{path}[{i}]"), p, q, problems);
            }
        }
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (p, q) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if (p - q).abs() > 1e-12 * p.abs().max(q.abs()) {
                problems.push(format!("{path}: {p} ≠ {q}"));
            }
        }
        _ if a == b => {}
        _ => problems.push(format!("{path}: {a} ≠ {b}")),
    }
}

/// The CLI's `--json` rows of `args` run on `file`.
fn cli_rows(dir: &Path, file: &Path, args: &[&str]) -> Value {
    let mut all = vec![args[0], file.to_str().unwrap(), "--json"];
    all.extend(&args[1..]);
    let o = comeback(dir, &all);
    assert!(o.status.success(), "{all:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The server's rows against the CLI's: the same groups (the CLI's blank group, the
/// answers without a location or employee, is not a row of the server's breakdown; nor is
/// a dimension nobody in a group answered), each server key equal.
fn compare_rows(what: &str, server: &Value, cli: &Value, problems: &mut Vec<String>) {
    let cli: Vec<&Value> = cli
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["group"] != "" && r["n"] != 0)
        .collect();
    let server = server.as_array().unwrap();
    if server.len() != cli.len() {
        problems.push(format!(
            "{what}: {} server rows, {} CLI rows",
            server.len(),
            cli.len()
        ));
    }
    for s in server {
        let Some(c) = cli.iter().find(|c| {
            c["group"] == s["group"]
                && c.get("dimension").unwrap_or(&Value::Null) == &s["dimension"]
        }) else {
            problems.push(format!("{what}: no CLI row for {s}"));
            continue;
        };
        // Keys the CLI prints for this metric are compared; the others must be null on
        // the server (a CSAT row has no mean).
        for (k, v) in s.as_object().unwrap() {
            if k == "dimension" {
                continue;
            }
            match c.get(k) {
                Some(cv) => same_subset(&format!("{what}/{}/{k}", s["group"]), v, cv, problems),
                None if v.is_null() => {}
                None => problems.push(format!(
                    "{what}/{}: {k} = {v} not in the CLI's row",
                    s["group"]
                )),
            }
        }
    }
}

#[test]
fn server_survey_metrics_equal_the_cli_on_the_servers_export() {
    use comeback_server::voice_metrics::{
        compute_predictors, predictor_responses, predictors_csv, predictors_out, rating_metrics,
        ratings_csv, survey_dimensions,
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (responses, log, surveys) = rt.block_on(async {
        let app = comeback_server::Application::build(comeback_server::Settings::for_database(url))
            .await
            .unwrap();
        let store = &app.state().store;
        let tx: Vec<TransactionInput> = purchases()
            .into_iter()
            .enumerate()
            .map(|(k, (c, d, cents))| {
                TransactionInput::new(
                    format!("t{k}"),
                    &c,
                    noon(d),
                    comeback_core::Amount::from_micros(cents * 10_000),
                    "EUR",
                )
            })
            .collect();
        store.ingest_transactions(&tx).await.unwrap();
        for code in ["L1", "L2"] {
            store
                .upsert_location(&Location {
                    code: code.into(),
                    name: None,
                    time_zone: "UTC".into(),
                })
                .await
                .unwrap();
        }
        for code in ["e1", "e2", "e3"] {
            store
                .upsert_employee(&Employee {
                    code: code.into(),
                    name: None,
                    location: None,
                })
                .await
                .unwrap();
        }
        let all = answers();
        for kind in [
            SurveyKind::Nps,
            SurveyKind::Csat,
            SurveyKind::Ces,
            SurveyKind::Dimensions,
        ] {
            let s = store
                .create_survey(&NewSurvey {
                    name: kind.as_str().into(),
                    kind,
                    anonymous: false,
                    definition: None,
                })
                .await
                .unwrap();
            let rows: Vec<ImportedResponse> = all
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, r)| r.clone())
                .collect();
            store.import_responses(s.id, &rows, "import").await.unwrap();
        }
        // A dimensions survey of its own (cleanliness and speed, plus the built-in
        // empathy): its answers are stored under those ids.
        let own = store
            .create_survey(&NewSurvey {
                name: "Store visit".into(),
                kind: SurveyKind::Dimensions,
                anonymous: false,
                definition: Some(
                    json!({"questions": [
                        {"id": "cleanliness", "text": {"en": "Cleanliness"}},
                        {"id": "speed", "text": {"en": "Speed"}},
                        {"id": "empathy"}]})
                    .to_string(),
                ),
            })
            .await
            .unwrap();
        store
            .import_responses(own.id, &own_dimension_answers(), "import")
            .await
            .unwrap();
        let responses = store.survey_responses(None).await.unwrap();
        let log = store.transaction_log(&Default::default()).await.unwrap();
        let surveys = store.list_surveys().await.unwrap();
        store.close().await;
        (responses, log, surveys)
    });
    let dims = survey_dimensions(&surveys);
    assert_eq!(
        dims,
        [
            "reliability",
            "assurance",
            "responsiveness",
            "empathy",
            "delight",
            "cleanliness",
            "speed"
        ]
    );
    let metrics = rating_metrics(&responses, &dims).unwrap();
    let m = serde_json::to_value(&metrics).unwrap();
    // Not vacuous: 30 CSAT answers of customers and 2 anonymous ones; 20 CES answers.
    assert_eq!(m["csat"]["overall"][0]["n"], 32);
    assert_eq!(m["ces"]["overall"][0]["n"], 20);
    assert_eq!(m["dimensions"]["overall"].as_array().unwrap().len(), 7);
    // The survey's own: cleanliness of 20 customers, speed of 15 (see
    // own_dimension_answers).
    let own = |d: &str| {
        m["dimensions"]["overall"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["dimension"] == d)
            .unwrap()
            .clone()
    };
    let mean = |d: &str| own(d)["mean"].as_f64().unwrap();
    assert_eq!(
        (own("cleanliness")["n"].clone(), own("speed")["n"].clone()),
        (json!(20), json!(15))
    );
    assert!((mean("cleanliness") - 3.0).abs() < 1e-12, "{m}");
    assert!((mean("speed") - 3.0).abs() < 1e-12, "{m}");
    assert_eq!(m["csat"]["by_location"].as_array().unwrap().len(), 2);
    assert_eq!(m["csat"]["by_employee"].as_array().unwrap().len(), 3);

    let mut problems = Vec::new();
    for (kind, cmd, key) in [
        (SurveyKind::Csat, "csat", "csat"),
        (SurveyKind::Ces, "ces", "ces"),
        (SurveyKind::Dimensions, "dimensions", "dimensions"),
    ] {
        let file = dir.path().join(format!("{cmd}.csv"));
        std::fs::write(&file, ratings_csv(&responses, kind, &dims)).unwrap();
        // The dimensions file's columns are the ids the surveys ask.
        let list = dims.join(",");
        let flags: &[&str] = match kind {
            SurveyKind::Dimensions => &["--dimensions", &list],
            _ => &[],
        };
        let args = |by: &[&'static str]| {
            let mut a = vec![cmd];
            a.extend(by);
            a.extend(flags);
            a
        };
        compare_rows(
            &format!("{cmd} overall"),
            &m[key]["overall"],
            &cli_rows(dir.path(), &file, &args(&[])),
            &mut problems,
        );
        for by in ["location", "employee"] {
            compare_rows(
                &format!("{cmd} by {by}"),
                &m[key][format!("by_{by}")],
                &cli_rows(dir.path(), &file, &args(&["--by", by])),
                &mut problems,
            );
        }
    }

    let joined = predictor_responses(&responses, &dims);
    assert_eq!(
        joined.metrics,
        [
            "nps",
            "csat",
            "ces",
            "reliability",
            "assurance",
            "responsiveness",
            "empathy",
            "delight",
            "cleanliness",
            "speed"
        ]
    );
    let report = compute_predictors(&joined, &log).unwrap();
    let server = serde_json::to_value(predictors_out(report.as_ref())).unwrap();
    let resp = dir.path().join("responses.csv");
    std::fs::write(&resp, predictors_csv(&joined)).unwrap();
    let tx = dir.path().join("transactions.csv");
    let mut text = String::from("customer,date,amount\n");
    for (c, d, cents) in purchases() {
        text.push_str(&format!("{c},{d},{}.{:02}\n", cents / 100, cents % 100));
    }
    std::fs::write(&tx, text).unwrap();
    let o = comeback(
        dir.path(),
        &[
            "predictors",
            resp.to_str().unwrap(),
            "--transactions",
            tx.to_str().unwrap(),
            "--no-p-alive",
            "--json",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let cli: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut s = server.clone();
    s.as_object_mut().unwrap().remove("enough_data");
    same_subset("predictors", &s, &cli, &mut problems);
    assert!(problems.is_empty(), "{problems:#?}");
    // Not vacuous: the outcomes are known, some answers are censored, the metrics ranked.
    assert_eq!(server["enough_data"], true);
    assert_eq!(server["observation_end"], "2025-12-31");
    // c55–c59 answered in June 2025: 5 NPS, 2 CSAT, 2 CES and 3 dimension answers; the
    // own dimensions' answers are all of 2024.
    assert_eq!(cli["counts"]["censored"], 12);
    assert_eq!(cli["counts"]["customers_with_outcome"], 55);
    assert_eq!(server["metrics"].as_array().unwrap().len(), 10);
    let clean = server["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric"] == "cleanliness")
        .unwrap();
    // c00–c19 with an outcome: c00, c03, …, c18 (7) defected, 13 retained.
    assert_eq!((&clean["n"], &clean["defected"]), (&json!(20), &json!(7)));
    assert!(clean["auc"].is_f64(), "{clean}");
    assert!(server["metrics"][0]["auc"].is_f64(), "{server}");
    assert_eq!(server["nps"]["classes"].as_array().unwrap().len(), 3);
}
