//! The staff's complaint pages in a real browser, on a desktop and on a phone viewport:
//! the queue (breach warning, a complaint waiting for the customer), a complaint page
//! walking a step of the recovery and stopping the clock through its forms, and the
//! measures page. Every page gets the common checks (no console error, no horizontal
//! overflow on the phone, a screenshot).

use serde_json::json;

use super::cdp::{DESKTOP, PHONE, Viewport};
use super::{Visit, admin_with_password, browser, login};
use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complaint_queue_page_and_measures() {
    let test = "complaint_queue_page_and_measures";
    let Some(chromium) = browser(test) else {
        return;
    };
    let app = TestApp::sqlite_with(crate::auth::cheap).await;
    let (email, password) = admin_with_password(&app).await;
    let admin = app.admin().await;
    let (s, v) = app
        .post_json(
            "/api/v1/customers:batch",
            &json!({"customers": [{"external_id": "c1"}]}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let now = chrono::Utc::now();
    for (view, tag) in [(DESKTOP, "D"), (PHONE, "P")] {
        for (reference, received, severity) in [
            // Overdue on both deadlines.
            (
                format!("CB-OLD{tag}"),
                "2026-01-05T08:00:00Z".to_owned(),
                "high",
            ),
            (format!("CB-NEW{tag}"), now.to_rfc3339(), "low"),
        ] {
            let (s, v) = app
                .post_json(
                    "/api/v1/complaints",
                    &json!({"reference": reference, "received_at": received, "channel": "phone",
                            "customer": "c1", "description": "The soup was <b>cold</b>.",
                            "category": "quality", "severity": severity}),
                    Some(&admin),
                )
                .await;
            assert_eq!(s, 201, "{v}");
        }
        let base = app.base.clone();
        let chromium = chromium.clone();
        let (email, password) = (email.clone(), password.clone());
        tokio::task::spawn_blocking(move || walk(&chromium, &base, view, tag, &email, &password))
            .await
            .unwrap();
        // What the browser did is stored: the step and the wait, by the admin.
        let c = app.store.complaint(&format!("CB-NEW{tag}")).await.unwrap();
        let steps: Vec<&str> = c.history.iter().map(|e| e.action.name()).collect();
        assert_eq!(steps, ["acknowledge", "wait_for_customer"], "{tag}");
        assert!(c.waiting_since.is_some());
    }
    app.cleanup().await;
}

fn walk(
    chromium: &std::path::Path,
    base: &str,
    view: Viewport,
    tag: &str,
    email: &str,
    password: &str,
) {
    let test = "complaint_queue_page_and_measures";
    let mut v = Visit::new(chromium, base, view, test);
    login(&mut v, email, password);
    // The queue: soonest deadline first, the overdue one flagged.
    v.goto("/complaints?lang=en");
    let rows =
        v.c.eval("[...document.querySelectorAll('#queue tbody tr')].map(r => r.dataset.reference)");
    let rows: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .filter(|r| r.ends_with(tag))
        .collect();
    assert_eq!(rows, [format!("CB-OLD{tag}"), format!("CB-NEW{tag}")]);
    assert_eq!(
        v.c.eval(&format!(
            "document.querySelector('tr[data-reference=CB-OLD{tag}]').className"
        )),
        json!("breached")
    );
    v.check("queue");
    // A complaint page: markup inert, then the first step through its form.
    if view.mobile {
        // A tap on a link inside the horizontally scrolled table is not followed by the
        // emulated touch screen (no load event); the phone opens the page by its address.
        v.goto(&format!("/complaints/CB-NEW{tag}?lang=en"));
    } else {
        v.c.click_and_wait(&format!("a[href='/complaints/CB-NEW{tag}']"));
    }
    assert!(
        v.c.url().contains(&format!("/complaints/CB-NEW{tag}")),
        "{}",
        v.c.url()
    );
    assert_eq!(
        v.c.eval("document.querySelectorAll('main b').length"),
        json!(0)
    );
    assert_eq!(
        v.c.eval("document.querySelector('#record [data-status]').dataset.status"),
        json!("received")
    );
    v.check("complaint");
    v.c.type_into("#acknowledge-text", "We are sorry about the soup.");
    v.c.click_and_wait("#do-acknowledge button[type=submit]");
    assert_eq!(
        v.c.eval("document.querySelector('#record [data-status]').dataset.status"),
        json!("acknowledged")
    );
    assert!(v.c.text().contains("We are sorry about the soup."));
    v.check("acknowledged");
    // Stop the clock: the page says so and offers resume and escalate only.
    v.c.type_into("#wait_for_customer-text", "Asked for the receipt.");
    v.c.click_and_wait("#do-wait_for_customer button[type=submit]");
    assert!(v.c.exists("#waiting"), "{}", v.c.text());
    let forms =
        v.c.eval("[...document.querySelectorAll('form.step')].map(f => f.id)");
    assert_eq!(forms, json!(["do-resume", "do-escalate"]));
    v.check("waiting");
    // The queue marks it as waiting.
    v.goto("/complaints?state=waiting&lang=en");
    assert!(v.c.exists(&format!(
        "tr[data-reference=CB-NEW{tag}] [data-waiting=yes]"
    )));
    v.check("queue-waiting");
    // The measures page.
    v.goto("/complaint-measures?lang=en");
    assert!(v.c.text().contains("Complaint measures"), "{}", v.c.text());
    v.check("measures");
}
