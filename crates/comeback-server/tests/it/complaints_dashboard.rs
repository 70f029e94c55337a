//! The complaint pages of the dashboard over HTTP: the queue (deadline order, breach
//! warnings, filters by owner, location, severity and state), a complaint's page with one
//! form per allowed step, the five steps walked through those forms, a refused step (409
//! naming the allowed ones, the typed text kept), an invalid field (422), markup shown as
//! text, and the pages in another language.

use comeback_store::Role;
use serde_json::json;

use crate::helpers::TestApp;

/// A step through the complaint page's form: (status, body, `Location` header).
async fn step(
    app: &TestApp,
    token: &str,
    reference: &str,
    fields: &[(&str, &str)],
) -> (u16, String, Option<String>) {
    let (s, loc, body) = app
        .form(token, &format!("/complaints/{reference}"), fields)
        .await;
    (s, body, loc)
}

/// The references of the queue's rows, in order.
fn rows(html: &str) -> Vec<String> {
    html.split("data-reference=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

async fn dashboard(app: &TestApp) {
    app.purchase_of_c1().await;
    app.locations(&["HEL"]).await;
    // The complaints are handled by a manager of HEL (compensating and closing need a
    // manager; `complaints_roles` has the table of who may do what).
    let staff = app.token_at(Role::Manager, &["HEL"]).await;
    let other = app.token(Role::Manager).await;
    let clerk = app.token(Role::Staff).await;
    let now = chrono::Utc::now();
    for (reference, received, severity, location, token) in [
        (
            "CB-0001",
            "2026-01-01T09:00:00Z".to_owned(),
            "high",
            None,
            &staff,
        ),
        ("CB-0002", now.to_rfc3339(), "low", Some("HEL"), &staff),
        ("CB-0003", now.to_rfc3339(), "critical", None, &other),
    ] {
        let (s, v) = app
            .post_json(
                "/api/v1/complaints",
                &json!({"reference": reference, "received_at": received, "channel": "phone",
                        "customer": "c1", "location": location,
                        "description": "<script>alert(1)</script>\ncold soup",
                        "category": "quality", "severity": severity}),
                Some(token),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    // The queue: resolution deadline order (CB-0001 due 2026-01-03; CB-0003 in 24 h;
    // CB-0002 in 120 h), the old one overdue on both deadlines.
    let (s, html) = app.page(&staff, "/complaints").await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(rows(&html), ["CB-0001", "CB-0003", "CB-0002"]);
    assert!(
        html.contains("<tr class=\"breached\" data-reference=\"CB-0001\">"),
        "{html}"
    );
    assert!(html.contains("First response overdue · Resolution overdue"));
    assert!(html.contains("1 shown complaint is past a deadline."));
    assert!(
        html.contains("<td>2026-01-03 09:00</td><td>2026-01-01 13:00</td>"),
        "due times of a high complaint"
    );
    assert!(html.contains("aria-current=\"page\">Complaints</a>"));
    for (query, expect) in [
        ("?location=HEL", vec!["CB-0002"]),
        ("?severity=critical", vec!["CB-0003"]),
        ("?owner=me", vec!["CB-0001", "CB-0002"]),
        (
            "?owner=&location=&severity=&state=all",
            vec!["CB-0001", "CB-0003", "CB-0002"],
        ),
    ] {
        let (s, html) = app.page(&staff, &format!("/complaints{query}")).await;
        assert_eq!(s, 200, "{query}");
        assert_eq!(rows(&html), expect, "{query}");
    }
    for bad in ["?owner=x", "?severity=urgent", "?state=closed", "?owner=0"] {
        let (s, _) = app.page(&staff, &format!("/complaints{bad}")).await;
        assert_eq!(s, 422, "{bad}");
    }
    let (_, fi) = app.page(&staff, "/complaints?lang=fi").await;
    assert!(fi.contains("<html lang=\"fi\">"));
    assert!(fi.contains("Ensivastaus myöhässä · Ratkaisu myöhässä"));

    // One complaint: markup shown as text; the forms of the allowed steps only.
    let (s, html) = app.page(&staff, "/complaints/CB-0002").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;\ncold soup"),
        "{html}"
    );
    assert!(!html.contains("<script>alert"));
    let forms: Vec<&str> = html
        .split("id=\"do-")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    assert_eq!(forms, ["acknowledge", "escalate", "wait_for_customer"]);
    // The five steps through the forms; each answers 303 back to the page.
    let walk: [&[(&str, &str)]; 6] = [
        &[("action", "acknowledge"), ("text", "Sorry <b>truly</b>")],
        &[("action", "take_action"), ("text", "new soup")],
        &[("action", "show_empathy"), ("text", "talked")],
        &[
            ("action", "compensate"),
            ("kind", "refund"),
            ("value", "12.50"),
            ("text", ""),
        ],
        &[
            ("action", "follow_up"),
            ("satisfied", "yes"),
            ("text", "happy"),
        ],
        &[("action", "close"), ("text", "")],
    ];
    for (i, fields) in walk.iter().enumerate() {
        let (s, body, loc) = step(app, &staff, "CB-0002", fields).await;
        assert_eq!(s, 303, "{fields:?}: {body}");
        assert_eq!(loc.as_deref(), Some("/complaints/CB-0002"));
        if i == 0 {
            // A step again on the new status: refused with the allowed ones, text kept.
            let (s, body, _) = step(
                app,
                &staff,
                "CB-0002",
                &[("action", "acknowledge"), ("text", "twice")],
            )
            .await;
            assert_eq!(s, 409, "{body}");
            assert!(body.contains("id=\"step-problem\""));
            assert!(
                body.contains("Allowed now: 2. Take action, Escalate, Wait for the customer"),
                "{body}"
            );
            // An empty required text: 422 naming the field.
            let (s, body, _) = step(
                app,
                &staff,
                "CB-0002",
                &[("action", "take_action"), ("text", " ")],
            )
            .await;
            assert_eq!(s, 422, "{body}");
            assert!(body.contains("description"), "{body}");
            let (s, _, _) = step(app, &staff, "CB-0002", &[("action", "fly")]).await;
            assert_eq!(s, 422);
        }
    }
    let (_, c) = app.get("/api/v1/complaints/CB-0002", Some(&staff)).await;
    assert_eq!(c["status"], "closed", "{c}");
    let actions: Vec<&str> = c["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "acknowledge",
            "take_action",
            "show_empathy",
            "compensate",
            "follow_up",
            "close"
        ]
    );
    let (_, html) = app.page(&staff, "/complaints/CB-0002").await;
    assert!(
        html.contains("Sorry &lt;b&gt;truly&lt;&#x2f;b&gt;"),
        "{html}"
    );
    assert!(html.contains("Refund 12.50"));
    assert!(html.contains("Satisfied — happy"));
    let forms: Vec<&str> = html
        .split("id=\"do-")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    assert_eq!(forms, ["reopen"]);
    // The closed one leaves the open queue.
    let (_, html) = app.page(&staff, "/complaints").await;
    assert_eq!(rows(&html), ["CB-0001", "CB-0003"]);
    // The measures: the page shows the API's numbers (the API's JSON is the CLI's, see
    // the comeback crate's `server_measures_equal_the_cli_on_the_servers_export`).
    let (s, _) = app.page(&clerk, "/complaint-measures").await;
    assert_eq!(s, 403, "managers only");
    let (s, v) = app.get("/api/v1/complaint-measures", Some(&other)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["n"], 3);
    assert_eq!(v["open"], 2);
    assert_eq!(v["compensation_total"], json!(12.5));
    assert_eq!(v["satisfaction"]["satisfied"], 1);
    assert_eq!(
        v["by_severity"],
        json!({"critical": 1, "high": 1, "low": 1})
    );
    assert_eq!(v["clock"]["business_hours"], json!(null));
    let (s, html) = app.page(&other, "/complaint-measures").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("data-m=\"n\">3</dd>"), "{html}");
    assert!(html.contains("data-m=\"open\">2</dd>"));
    assert!(html.contains("data-m=\"compensation_total\">12.50 (1)</dd>"));
    assert!(html.contains("data-m=\"satisfaction\">100.0%"), "{html}");
    let (s, v) = app
        .get(
            "/api/v1/complaint-measures?first_response_target_hours=0",
            Some(&other),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = app
        .get(
            "/api/v1/complaint-measures?as_of=2020-01-01T00:00:00Z",
            Some(&other),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let r = app
        .client
        .get(app.url("/api/v1/complaint-measures/rows"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("complaint_id,customer_id,received_at,first_response_at,resolved_at,category,compensation,location,employee,severity,channel,reopened_at,satisfied,compensation_type,paused\n"), "{csv}");
    assert!(
        csv.contains("CB-0001,c1,2026-01-01T09:00:00Z,,,quality,,,,high,phone,,,,\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 4);
    // Unknown and impossible references: the 404 page.
    for r in ["CB-9999", "%3Cb%3E"] {
        let (s, _) = app.page(&staff, &format!("/complaints/{r}")).await;
        assert_eq!(s, 404, "{r}");
    }
}
crate::helpers::server_test!(complaint_dashboard_pages, dashboard);
