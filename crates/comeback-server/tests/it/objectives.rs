//! Retention objectives over HTTP: CRUD, validation, the actual from the latest analysis
//! (the defection rate of `comeback_analysis`, NPS without survey data) and the page.

use std::time::Duration;

use comeback_store::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
    token: &str,
) -> (u16, Value) {
    let mut r = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(b);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn objectives(app: &TestApp) {
    let manager = app.token(Role::Manager).await;
    let staff = app.token(Role::Staff).await;
    use reqwest::Method;

    // Before any analysis: no actual.
    let defection = json!({"metric": "defection_rate", "comparator": "at_most", "target": 15,
                           "owner": "Ana (store manager)", "period": "2026"});
    let (s, a) = send(
        app,
        Method::POST,
        "/api/v1/objectives",
        Some(&defection),
        &manager,
    )
    .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["status"], "no_data");
    assert_eq!(a["note"], "no_scores");
    assert_eq!(a["unit"], "percent_per_year");
    let id = a["id"].as_i64().unwrap();

    // Staff read, do not write.
    let (s, v) = send(app, Method::GET, "/api/v1/objectives", None, &staff).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let (s, _) = send(
        app,
        Method::POST,
        "/api/v1/objectives",
        Some(&defection),
        &staff,
    )
    .await;
    assert_eq!(s, 403);

    for (bad, field) in [
        (
            json!({"metric": "defection_rate", "comparator": "at_most", "target": 101, "owner": "a", "period": "2026"}),
            "target",
        ),
        (
            json!({"metric": "nps", "comparator": "at_least", "target": -100.5, "owner": "a", "period": "2026"}),
            "target",
        ),
        (
            json!({"metric": "defection_rate", "comparator": "at_most", "target": 10, "owner": " ", "period": "2026"}),
            "owner",
        ),
        (
            json!({"metric": "defection_rate", "comparator": "at_most", "target": 10, "owner": "a", "period": "soon"}),
            "period",
        ),
        (
            json!({"metric": "churn", "comparator": "at_most", "target": 10, "owner": "a", "period": "2026"}),
            "metric",
        ),
        (
            json!({"metric": "nps", "comparator": "equal", "target": 10, "owner": "a", "period": "2026"}),
            "comparator",
        ),
        (
            json!({"metric": "nps", "comparator": "at_least", "target": 10, "owner": "a", "period": "2026", "x": 1}),
            "x",
        ),
    ] {
        let (s, v) = send(
            app,
            Method::POST,
            "/api/v1/objectives",
            Some(&bad),
            &manager,
        )
        .await;
        assert_eq!(s, 422, "{bad} → {v}");
        assert!(v.to_string().contains(field), "{bad} → {v}");
    }

    // Load the CDNOW sample and refit.
    let query =
        "header=false&customer_col=2&date_col=3&amount_col=5&date_format=%25Y%25m%25d&currency=USD";
    let (s, v) = app
        .post_raw(
            &format!("/api/v1/uploads/transactions?{query}"),
            "text/plain",
            comeback_server::demo::CDNOW_SAMPLE.to_vec(),
            Some(&manager),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = send(app, Method::POST, "/api/v1/model/refit", None, &manager).await;
    assert_eq!(s, 202);
    let snap = loop {
        if let Some(s) = app.state.scores.current() {
            break s;
        }
        if let comeback_server::scores::RefitState::Failed { message, .. } =
            app.state.scores.state()
        {
            panic!("{message}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let d = &snap.analysis.defection;
    let rate = 100.0 * d.rate.unwrap();
    // CDNOW sample: 65.5 % (the README's demo figure; comeback analyze's summary.json).
    assert!((rate - 65.5).abs() < 0.05, "{rate}");

    let nps = json!({"metric": "nps", "comparator": "at_least", "target": 40, "owner": "CX team", "period": "2026-Q3"});
    let (s, n) = send(
        app,
        Method::POST,
        "/api/v1/objectives",
        Some(&nps),
        &manager,
    )
    .await;
    assert_eq!(s, 201, "{n}");
    assert_eq!(n["status"], "no_data");
    assert_eq!(n["note"], "no_survey_data");
    assert_eq!(n["unit"], "points");

    let (s, a) = send(
        app,
        Method::GET,
        &format!("/api/v1/objectives/{id}"),
        None,
        &staff,
    )
    .await;
    assert_eq!(s, 200, "{a}");
    assert!((a["actual"].as_f64().unwrap() - rate).abs() < 1e-9, "{a}");
    assert_eq!(a["status"], "not_met");
    assert_eq!(
        a["measured_through"],
        snap.analysis.observation_end.to_string()
    );

    // Retention at least 30 % is met (100 − 65.5 = 34.5).
    let retention = json!({"metric": "retention_rate", "comparator": "at_least", "target": 30,
                           "owner": "Ana (store manager)", "period": "2026-H1"});
    let (s, r) = send(
        app,
        Method::PUT,
        &format!("/api/v1/objectives/{id}"),
        Some(&retention),
        &manager,
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert!(
        (r["actual"].as_f64().unwrap() - (100.0 - rate)).abs() < 1e-9,
        "{r}"
    );
    assert_eq!(r["status"], "met");
    assert_eq!(r["period"], "2026-H1");

    // The page, in English and Finnish.
    let resp = app
        .client
        .get(app.url("/objectives?lang=en"))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("no survey data yet"), "{html}");
    assert!(html.contains("≥ 30.0 % a year"), "{html}");
    assert!(
        html.contains(&format!("{:.1} % a year", 100.0 - rate)),
        "{html}"
    );
    assert_eq!(html.matches("objective-met").count(), 1);
    assert_eq!(html.matches("objective-no_data").count(), 1);
    let resp = app
        .client
        .get(app.url("/objectives?lang=fi"))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    let html = resp.text().await.unwrap();
    assert!(html.contains("kyselytietoja ei vielä ole"), "{html}");

    let (s, _) = send(
        app,
        Method::DELETE,
        &format!("/api/v1/objectives/{id}"),
        None,
        &manager,
    )
    .await;
    assert_eq!(s, 204);
    let (s, _) = send(
        app,
        Method::GET,
        &format!("/api/v1/objectives/{id}"),
        None,
        &manager,
    )
    .await;
    assert_eq!(s, 404);
}
crate::helpers::server_test!(objectives_crud_and_actuals, objectives);
