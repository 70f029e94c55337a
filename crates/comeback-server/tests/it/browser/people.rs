//! Staff flags in a real browser on a phone with JavaScript turned off: a staff member
//! linked to an employee logs in, flags a customer from the quick form (found by e-mail)
//! and from the customer's page, sees both on the customer's timeline with the note as
//! text, and sees their own report card with the two flags; an admin links an account on
//! the users page.

use chrono::Utc;
use comeback_core::Amount;
use comeback_store::{CustomerInput, Employee, Location, NewUser, Role, TransactionInput};
use serde_json::json;

use super::cdp::PHONE;
use super::{Visit, browser, login};
use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_flag_phone_no_js() {
    let test = "staff_flag_phone_no_js";
    let Some(chromium) = browser(test) else {
        return;
    };
    let app = TestApp::sqlite().await;
    app.store
        .upsert_location(&Location {
            code: "HEL".into(),
            name: Some("Helsinki centre".into()),
            time_zone: "Europe/Helsinki".into(),
        })
        .await
        .unwrap();
    for code in ["E1", "E2"] {
        app.store
            .upsert_employee(&Employee {
                code: code.into(),
                name: Some(format!("Employee {code}")),
                location: Some("HEL".into()),
            })
            .await
            .unwrap();
    }
    let mut t = TransactionInput::new(
        "t1",
        "c1",
        "2026-03-01T10:00:00Z"
            .parse::<chrono::DateTime<Utc>>()
            .unwrap(),
        Amount::from_micros(10_000_000),
        "EUR",
    );
    t.location = Some("HEL".into());
    app.store.ingest_transactions(&[t]).await.unwrap();
    app.store
        .upsert_customers(&[CustomerInput {
            external_id: "c1".into(),
            email: Some("ann@example.com".into()),
            ..CustomerInput::default()
        }])
        .await
        .unwrap();
    let password = "a long enough pass phrase";
    let hash = comeback_server::auth::AuthState::new(&app.settings.auth)
        .hasher
        .hash(&comeback_server::auth::password::Password::new(password))
        .unwrap();
    let mut ids = Vec::new();
    for (email, role) in [
        ("staff@example.com", Role::Staff),
        ("admin@example.com", Role::Admin),
        ("other@example.com", Role::Staff),
    ] {
        let u = app
            .store
            .create_user(&NewUser {
                email: email.into(),
                role,
                password_hash: Some(hash.clone()),
            })
            .await
            .unwrap();
        ids.push(u.id);
    }
    app.store
        .set_user_locations(ids[0], &["HEL".to_owned()])
        .await
        .unwrap();
    app.store
        .set_user_employee(ids[0], Some("E1"))
        .await
        .unwrap();
    let other = ids[2].0;
    let base = app.base.clone();
    let chromium2 = chromium.clone();
    tokio::task::spawn_blocking(move || {
        let mut v = Visit::new(&chromium, &base, PHONE, test);
        v.c.disable_javascript(true);
        login(&mut v, "staff@example.com", password);
        // The login leads to `/`, a managers' page: its 403 is logged by the browser.
        let _ = v.c.take_problems();
        v.goto("/flag?lang=en");
        assert!(v.c.exists("#flag-form"), "{}", v.c.text());
        v.check("quick-form");
        v.c.type_into("#flag-customer", "ANN@example.com");
        v.c.select("#flag-reason", "inadequate_response");
        v.c.type_into("#flag-note", "<b>Ignored</b> at the till for ten minutes");
        v.c.click_and_wait("#flag-form button[type=submit]");
        assert!(v.c.url().contains("/flag?done=CB-"), "{}", v.c.url());
        assert!(
            v.c.text().contains("Flag recorded: complaint CB-"),
            "{}",
            v.c.text()
        );
        v.check("quick-form-done");
        // From the customer's page.
        v.goto("/customers/c1?lang=en");
        v.check("customer");
        v.c.select("#flag-reason", "price");
        v.c.type_into("#flag-note", "Said the prices went up again");
        v.c.click_and_wait("#flag-form button[type=submit]");
        assert!(v.c.url().contains("/customers/c1?flagged=CB-"), "{}", v.c.url());
        assert!(v.c.exists("#flagged"), "{}", v.c.text());
        assert_eq!(
            v.c.eval("document.querySelectorAll('#timeline tr[data-kind=staff_flag]').length"),
            json!(2)
        );
        assert_eq!(v.c.eval("document.querySelectorAll('main b').length"), json!(0));
        assert!(v.c.text().contains("<b>Ignored</b> at the till"), "{}", v.c.text());
        v.check("customer-flagged");
        // Their own report card, with the two flags.
        v.goto("/report-cards?lang=en");
        assert_eq!(
            v.c.eval("[...document.querySelectorAll('#report-cards tbody tr')].map(r => r.dataset.employee + ':' + r.querySelector('td.flags').textContent)"),
            json!(["E1:2"])
        );
        v.check("report-card");
        // An admin links another account on the users page.
        let mut a = Visit::new(&chromium2, &base, PHONE, &format!("{test}-admin"));
        a.c.disable_javascript(true);
        login(&mut a, "admin@example.com", password);
        a.goto("/users?lang=en");
        a.check("users");
        a.c.select(&format!("#employee-{other}"), "E2");
        a.c.click_and_wait(&format!("tr[data-user='{other}'] button[type=submit]"));
        assert!(
            a.c.text().contains("Saved: other@example.com is linked to E2."),
            "{}",
            a.c.text()
        );
        a.check("users-saved");
    })
    .await
    .unwrap();
    assert_eq!(
        app.store
            .user(comeback_store::UserId(other))
            .await
            .unwrap()
            .unwrap()
            .employee
            .as_deref(),
        Some("E2")
    );
    let flags = app
        .store
        .staff_flags(&comeback_store::FlagFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(flags.len(), 2);
    assert!(
        flags
            .iter()
            .all(|f| f.employee == "E1" && f.customer.as_deref() == Some("c1"))
    );
    app.cleanup().await;
}
