//! Complaint responsiveness in the server: per-location business calendars (`GET/PUT
//! /api/v1/locations/{code}/calendar`) feed the SLA clock of the deadlines set at intake
//! (weekday hours with a holiday; an overnight shift), and every passed deadline fires the
//! `complaint.breached` webhook once to a local receiver.
//!
//! Expected deadlines are hand-computed in the comments and checked by the independent
//! minute-by-minute walk in `complaint_deadlines.py` (Python's zoneinfo).

use std::time::Duration;

use comeback_store::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, webhook_receiver};

async fn seed(app: &TestApp) {
    app.purchase_of_c1().await;
    app.locations(&["HEL", "NIGHT", "OPEN"]).await;
}

async fn put(app: &TestApp, token: &str, path: &str, body: &Value) -> (u16, Value) {
    let r = app
        .client
        .put(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn calendars(app: &TestApp) {
    seed(app).await;
    let manager = app.token(Role::Manager).await;
    let staff = app.token(Role::Staff).await;
    let (s, c) = app
        .get("/api/v1/locations/OPEN/calendar", Some(&staff))
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(
        c,
        json!({"location": "OPEN", "time_zone": "Europe/Helsinki", "hours": null, "holidays": []})
    );
    let body = json!({"hours": "mon-fri 09:00-17:00", "holidays": ["2026-03-04", "2026-03-04"]});
    let (s, _) = put(app, &staff, "/api/v1/locations/HEL/calendar", &body).await;
    assert_eq!(s, 403);
    let (s, c) = put(app, &manager, "/api/v1/locations/HEL/calendar", &body).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["hours"], "Mon-Fri 09:00-17:00", "canonical form: {c}");
    assert_eq!(c["holidays"], json!(["2026-03-04"]));
    let (s, c) = put(
        app,
        &manager,
        "/api/v1/locations/NIGHT/calendar",
        &json!({"hours": "Fri 22:00-06:00"}),
    )
    .await;
    assert_eq!(s, 200, "{c}");
    for (path, body, status) in [
        (
            "/api/v1/locations/HEL/calendar",
            json!({"hours": "Mon-Fri 09:00-25:00"}),
            422,
        ),
        ("/api/v1/locations/HEL/calendar", json!({"hours": ""}), 422),
        (
            "/api/v1/locations/HEL/calendar",
            json!({"hours": "Mon 09:00-17:00", "holidays": ["2026-02-30"]}),
            422,
        ),
        (
            "/api/v1/locations/NOPE/calendar",
            json!({"hours": "Mon 09:00-17:00"}),
            404,
        ),
    ] {
        let (s, e) = put(app, &manager, path, &body).await;
        assert_eq!(s, status, "{body}: {e}");
    }
    // The stored hours are unchanged by the refused puts.
    let (_, c) = app
        .get("/api/v1/locations/HEL/calendar", Some(&staff))
        .await;
    assert_eq!(c["hours"], "Mon-Fri 09:00-17:00");

    let intake = |reference: &str, at: &str, severity: &str, location: Option<&str>| {
        json!({"reference": reference, "received_at": at, "channel": "phone", "customer": "c1",
               "location": location, "description": "late", "category": "quality", "severity": severity})
    };
    // Found while reviewing: the clock's 20-year search cannot start near the end of
    // time; such a receipt (or any more than a day ahead) is a 422, not a panic.
    for at in ["+262142-01-01T00:00:00Z", "2999-01-01T00:00:00Z"] {
        let (s, e) = app
            .post_json(
                "/api/v1/complaints",
                &intake("CB-F1", at, "low", None),
                Some(&staff),
            )
            .await;
        assert_eq!(s, 422, "{at}: {e}");
        assert!(e.to_string().contains("received_at"), "{e}");
    }
    for (reference, at, severity, location, first, resolution) in [
        // High (4 h / 48 h) on Monday 2 March 15:00 EET at HEL (Mon–Fri 09–17, Wednesday
        // 4 March a holiday): 2 h on Monday + 2 h on Tuesday → Tue 11:00 EET; 48 h = Mon 2
        // + Tue 8 + Thu 8 + Fri 8 + Mon 8 + Tue 8 + Wed 11 March 6 → 15:00 EET.
        (
            "CB-H1",
            "2026-03-02T13:00:00Z",
            "high",
            Some("HEL"),
            "2026-03-03T09:00:00Z",
            "2026-03-11T13:00:00Z",
        ),
        // Critical (1 h / 24 h) on Friday 6 March 23:30 EET at NIGHT (Fri 22:00–06:00, the
        // shift belongs to Friday): 00:30 Saturday; 24 h = 6.5 h of this shift + 8 + 8 +
        // 1.5 h of the shift of Friday 27 March → 23:30 EET.
        (
            "CB-N1",
            "2026-03-06T21:30:00Z",
            "critical",
            Some("NIGHT"),
            "2026-03-06T22:30:00Z",
            "2026-03-27T21:30:00Z",
        ),
        // A location without a calendar, and no location: 24/7.
        (
            "CB-O1",
            "2026-03-02T13:00:00Z",
            "high",
            Some("OPEN"),
            "2026-03-02T17:00:00Z",
            "2026-03-04T13:00:00Z",
        ),
        (
            "CB-X1",
            "2026-03-02T13:00:00Z",
            "high",
            None,
            "2026-03-02T17:00:00Z",
            "2026-03-04T13:00:00Z",
        ),
    ] {
        let (s, c) = app
            .post_json(
                "/api/v1/complaints",
                &intake(reference, at, severity, location),
                Some(&staff),
            )
            .await;
        assert_eq!(s, 201, "{c}");
        assert_eq!(c["first_response_due"], first, "{reference}");
        assert_eq!(c["resolution_due"], resolution, "{reference}");
    }
}
crate::helpers::server_test!(complaint_business_calendars, calendars);

/// Every passed deadline fires `complaint.breached` once: the server's own check (every
/// 100 ms here) finds the first-response and resolution breaches of an old complaint, the
/// receiver gets one event for each, and later checks find nothing new.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breach_fires_the_webhook_once() {
    let app = TestApp::sqlite_with(|mut s| {
        s.complaints.breach_check_ms = 100;
        s.webhooks.retry_base_ms = 50;
        s
    })
    .await;
    seed(&app).await;
    let admin = app.admin().await;
    let (url, got) = webhook_receiver().await;
    let (s, v) = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": url, "events": ["complaint.breached"]}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let staff = app.token(Role::Staff).await;
    let now = chrono::Utc::now();
    for (reference, at) in [
        // Both deadlines passed long ago.
        ("CB-OLD", "2026-01-05T08:00:00Z".to_owned()),
        // Due in 4 h / 48 h: nothing yet.
        ("CB-NEW", now.to_rfc3339()),
    ] {
        let (s, c) = app
            .post_json(
                "/api/v1/complaints",
                &json!({"reference": reference, "received_at": at, "channel": "phone", "customer": "c1",
                        "location": "HEL", "description": "late", "category": "quality", "severity": "high"}),
                Some(&staff),
            )
            .await;
        assert_eq!(s, 201, "{c}");
    }
    let mut events = Vec::new();
    for _ in 0..200 {
        events = got.lock().unwrap().clone();
        if events.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A second and more checks happen meanwhile; nothing is sent again.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let events_later = got.lock().unwrap().clone();
    assert_eq!(events_later.len(), 2, "{events_later:#?}");
    assert_eq!(events, events_later);
    let mut data: Vec<Value> = events.iter().map(|e| e["data"].clone()).collect();
    data.sort_by_key(|d| d["deadline"].as_str().unwrap().to_owned());
    assert!(events.iter().all(|e| e["type"] == "complaint.breached"));
    let detected = data[0]["detected_at"].clone();
    assert_eq!(
        data,
        [
            json!({"reference": "CB-OLD", "deadline": "first_response", "due": "2026-01-05T12:00:00Z",
                   "detected_at": detected, "severity": "high", "status": "received", "location": "HEL",
                   "owner": data[0]["owner"], "customer": "c1"}),
            json!({"reference": "CB-OLD", "deadline": "resolution", "due": "2026-01-07T08:00:00Z",
                   "detected_at": detected, "severity": "high", "status": "received", "location": "HEL",
                   "owner": data[0]["owner"], "customer": "c1"}),
        ]
    );
    assert!(data[0]["owner"].as_i64().is_some_and(|o| o >= 1));
    // A direct check now finds nothing new; acknowledging does not re-fire.
    assert!(
        comeback_server::complaint_breaches::check(&app.state, chrono::Utc::now())
            .await
            .unwrap()
            .is_empty()
    );
    let (s, _) = app
        .post_json(
            "/api/v1/complaints/CB-OLD/transitions",
            &json!({"action": "acknowledge", "apology": "sorry"}),
            Some(&staff),
        )
        .await;
    assert_eq!(s, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(got.lock().unwrap().len(), 2);
    // In 48 h the new one breaches both deadlines (a check with a later "now").
    let later =
        comeback_server::complaint_breaches::check(&app.state, now + chrono::TimeDelta::hours(49))
            .await
            .unwrap();
    let found: Vec<(String, &str)> = later
        .iter()
        .map(|b| (b.reference.clone(), b.kind.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("CB-NEW".to_owned(), "first_response"),
            ("CB-NEW".to_owned(), "resolution")
        ]
    );
    app.cleanup().await;
}
