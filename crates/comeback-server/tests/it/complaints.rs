//! Complaints over HTTP: intake with deadlines from the severity, the five steps with the
//! actor recorded, a refused transition (409 listing the allowed actions), bounded and
//! validated fields (422), unknown references (404), the queue's order, filters and
//! breach flags, and markup kept as inert text in JSON.

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

async fn complaints(app: &TestApp) {
    use reqwest::Method;
    app.purchase_of_c1().await;
    // A manager: compensation and closing need one (staff escalate to a manager); the
    // complaint has no location, so a manager without locations handles it.
    let staff = app.token(Role::Manager).await;
    let intake = json!({
        "reference": "CB-0001", "received_at": "2026-03-02T09:00:00Z", "channel": "phone",
        "customer": "c1", "description": "<script>alert(1)</script> cold soup",
        "category": "quality", "severity": "high", "remedy_requested": "refund"
    });
    let (s, c) = send(
        app,
        Method::POST,
        "/api/v1/complaints",
        Some(&intake),
        &staff,
    )
    .await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["status"], "received");
    // High: first response within 4 h, resolution within 48 h (24/7).
    assert_eq!(c["first_response_due"], "2026-03-02T13:00:00Z");
    assert_eq!(c["resolution_due"], "2026-03-04T09:00:00Z");
    assert_eq!(c["description"], "<script>alert(1)</script> cold soup");
    assert_eq!(
        c["allowed_actions"],
        json!(["acknowledge", "escalate", "wait_for_customer"])
    );

    // Validation: 422 naming the field, 404, 409 for a reused reference.
    for (patch, field) in [
        (json!({"reference": "<b>"}), "reference"),
        (json!({"description": " "}), "description"),
        (json!({"description": "x".repeat(5001)}), "description"),
        (json!({"category": "a\u{0007}b"}), "category"),
    ] {
        let mut b = intake.clone();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        let (s, e) = send(app, Method::POST, "/api/v1/complaints", Some(&b), &staff).await;
        assert_eq!(s, 422, "{patch}: {e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains(field)
                || e["error"]["fields"].to_string().contains(field),
            "{e}"
        );
    }
    let mut other = intake.clone();
    other["reference"] = json!("CB-0002");
    other["customer"] = json!("nobody");
    let (s, _) = send(
        app,
        Method::POST,
        "/api/v1/complaints",
        Some(&other),
        &staff,
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = send(
        app,
        Method::POST,
        "/api/v1/complaints",
        Some(&intake),
        &staff,
    )
    .await;
    assert_eq!(s, 409);

    // The five steps.
    let path = "/api/v1/complaints/CB-0001/transitions";
    for step in [
        json!({"action": "acknowledge", "apology": "We are sorry."}),
        json!({"action": "take_action", "description": "new soup"}),
        json!({"action": "show_empathy", "note": "talked"}),
        json!({"action": "compensate", "kind": "refund", "value": "12.50", "note": "refunded"}),
        json!({"action": "follow_up", "satisfied": true}),
    ] {
        let (s, c) = send(app, Method::POST, path, Some(&step), &staff).await;
        assert_eq!(s, 200, "{step}: {c}");
    }
    // Invalid transition: 409 with the allowed actions.
    let (s, e) = send(
        app,
        Method::POST,
        path,
        Some(&json!({"action": "show_empathy", "note": "again"})),
        &staff,
    )
    .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(
        e["error"]["message"],
        "cannot show_empathy a complaint that is followed_up (allowed: close, escalate, reopen)"
    );
    // A refund without a value, an unknown action: 422.
    let (s, _) = send(
        app,
        Method::POST,
        path,
        Some(&json!({"action": "compensate", "kind": "refund"})),
        &staff,
    )
    .await;
    assert_eq!(s, 422);
    let (s, _) = send(
        app,
        Method::POST,
        path,
        Some(&json!({"action": "explode"})),
        &staff,
    )
    .await;
    assert_eq!(s, 422);
    let (s, c) = send(
        app,
        Method::POST,
        path,
        Some(&json!({"action": "close"})),
        &staff,
    )
    .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["status"], "closed");
    let h = c["history"].as_array().unwrap();
    assert_eq!(h.len(), 6);
    assert!(
        h.iter()
            .all(|e| e["actor"] == "staff" && e["actor_user"].is_i64())
    );
    assert_eq!(h[3]["action"], "compensate");
    assert_eq!(
        (h[5]["from"].as_str(), h[5]["to"].as_str()),
        (Some("followed_up"), Some("closed"))
    );

    // Unknown reference; one no complaint can have (a NUL byte, found by schemathesis as a
    // PostgreSQL 500) is a 404 too.
    let (s, _) = send(app, Method::GET, "/api/v1/complaints/CB-9999", None, &staff).await;
    assert_eq!(s, 404);
    let (s, _) = send(app, Method::GET, "/api/v1/complaints/CB%00-1", None, &staff).await;
    assert_eq!(s, 404);
    let (s, _) = send(
        app,
        Method::POST,
        "/api/v1/complaints/CB%00-1/transitions",
        Some(&json!({"action": "close"})),
        &staff,
    )
    .await;
    assert_eq!(s, 404);

    // The queue: an overdue critical one first, flagged; filters.
    let mut old = intake.clone();
    old["reference"] = json!("CB-0003");
    old["severity"] = json!("critical");
    old["received_at"] = json!("2026-01-01T09:00:00Z");
    let (s, _) = send(app, Method::POST, "/api/v1/complaints", Some(&old), &staff).await;
    assert_eq!(s, 201);
    let (s, q) = send(app, Method::GET, "/api/v1/complaints", None, &staff).await;
    assert_eq!(s, 200, "{q}");
    let items = q["items"].as_array().unwrap();
    assert_eq!(items[0]["reference"], "CB-0003");
    assert_eq!(items[0]["breached"], true);
    assert_eq!(items[1]["reference"], "CB-0001");
    assert_eq!(
        items[1]["breached"], false,
        "closed complaints are not breached"
    );
    let (_, q) = send(
        app,
        Method::GET,
        "/api/v1/complaints?open=true&severity=critical",
        None,
        &staff,
    )
    .await;
    assert_eq!(q["items"].as_array().unwrap().len(), 1);
    let (s, _) = send(app, Method::GET, "/api/v1/complaints?limit=0", None, &staff).await;
    assert_eq!(s, 422);
    // Found by schemathesis: the schema's minimum 1 holds for owner too.
    let (s, _) = send(app, Method::GET, "/api/v1/complaints?owner=0", None, &staff).await;
    assert_eq!(s, 422);
    let (s, _) = send(
        app,
        Method::GET,
        "/api/v1/complaints?severity=urgent",
        None,
        &staff,
    )
    .await;
    assert!((400..500).contains(&s), "{s}");
}
crate::helpers::server_test!(complaints_intake_steps_queue, complaints);
