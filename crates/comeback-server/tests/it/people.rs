//! Accounts linked to employees, who sees which report cards, and staff flags (issues 8
//! and 9), over HTTP on both backends: the link through the API and the users page
//! (unknown employee 422 on the field, an employee linked twice 409), the report cards
//! table-driven per viewer on the page and the API, and flags — recorded through the API
//! and both forms, credited to the account's employee, refused without a link, listed
//! with filters and scopes, counted on the report card, on the customer's timeline with
//! the note escaped, in the complaints queue, kept through the customer's erasure.

use std::collections::BTreeSet;

use chrono::{TimeDelta, Utc};
use comeback_core::Amount;
use comeback_store::{
    ComplaintInput, CustomerInput, Employee, Role, StoreError, TimelineEvent, TransactionInput,
    UserId,
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, server_test};

/// GET of a dashboard page: (status, body with `/` unescaped).
async fn page(app: &TestApp, token: &str, path: &str) -> (u16, String) {
    let (s, body) = app.page(token, path).await;
    (s, body.replace("&#x2f;", "/"))
}

/// POST of a form: (status, Location header, body with `/` unescaped).
async fn form(
    app: &TestApp,
    token: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, Option<String>, String) {
    let (s, loc, body) = app.form(token, path, fields).await;
    (s, loc, body.replace("&#x2f;", "/"))
}

async fn patch(app: &TestApp, token: &str, path: &str, body: &Value) -> (u16, Value) {
    let r = app
        .client
        .patch(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// Locations HEL and TKU, employees E1 and E3 at HEL and E2 at TKU, customers c1 (HEL,
/// e-mail Ann@Example.com) and c2 (TKU).
async fn seed(app: &TestApp) {
    app.locations(&["HEL", "TKU"]).await;
    for (code, loc) in [("E1", "HEL"), ("E2", "TKU"), ("E3", "HEL")] {
        app.store
            .upsert_employee(&Employee {
                code: code.into(),
                name: None,
                location: Some(loc.into()),
            })
            .await
            .unwrap();
    }
    let mut rows = Vec::new();
    for (t, c, loc) in [("t1", "c1", "HEL"), ("t2", "c2", "TKU")] {
        let mut r = TransactionInput::new(
            t,
            c,
            "2026-03-01T10:00:00Z"
                .parse::<chrono::DateTime<Utc>>()
                .unwrap(),
            Amount::from_micros(10_000_000),
            "EUR",
        );
        r.location = Some(loc.into());
        rows.push(r);
    }
    app.store.ingest_transactions(&rows).await.unwrap();
    app.store
        .upsert_customers(&[CustomerInput {
            external_id: "c1".into(),
            email: Some("Ann@Example.com".into()),
            ..CustomerInput::default()
        }])
        .await
        .unwrap();
}

async fn employee_links(app: &TestApp) {
    seed(app).await;
    let admin = app.admin().await;
    // Created with a link.
    let (s, v) = app
        .post_json(
            "/api/v1/users",
            &json!({"email": "ann@shop.example", "role": "staff", "employee": "E1"}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["user"]["employee"], "E1");
    let ann = v["user"]["id"].as_i64().unwrap();
    // An unknown employee is refused naming the field.
    let (s, v) = app
        .post_json(
            "/api/v1/users",
            &json!({"email": "bob@shop.example", "role": "staff", "employee": "NOPE"}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["fields"][0]["field"], "employee");
    assert!(
        app.store
            .user_by_email("bob@shop.example")
            .await
            .unwrap()
            .is_none()
    );
    let (s, v) = app
        .post_json(
            "/api/v1/users",
            &json!({"email": "bob@shop.example", "role": "staff"}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["user"]["employee"], Value::Null);
    let bob = v["user"]["id"].as_i64().unwrap();
    // E1 belongs to Ann: 409 naming her account.
    let (s, v) = patch(
        app,
        &admin,
        &format!("/api/v1/users/{bob}"),
        &json!({"employee": "E1"}),
    )
    .await;
    assert_eq!(s, 409, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ann@shop.example"),
        "{v}"
    );
    for bad in ["NOPE", "E\u{0}1", ""] {
        let (s, v) = patch(
            app,
            &admin,
            &format!("/api/v1/users/{bob}"),
            &json!({"employee": bad}),
        )
        .await;
        assert_eq!(s, 422, "{bad:?}: {v}");
        assert_eq!(v["error"]["fields"][0]["field"], "employee", "{v}");
    }
    let (s, v) = patch(
        app,
        &admin,
        &format!("/api/v1/users/{bob}"),
        &json!({"employee": "E2"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["employee"], "E2");
    // Absent: unchanged; null: unlinked.
    let (s, v) = patch(
        app,
        &admin,
        &format!("/api/v1/users/{bob}"),
        &json!({"role": "staff"}),
    )
    .await;
    assert_eq!((s, v["employee"].clone()), (200, json!("E2")));
    let (s, v) = patch(
        app,
        &admin,
        &format!("/api/v1/users/{ann}"),
        &json!({"employee": null}),
    )
    .await;
    assert_eq!((s, v["employee"].clone()), (200, Value::Null));
    // Only an admin links.
    let manager = app.token_at(Role::Manager, &["HEL"]).await;
    let (s, _) = patch(
        app,
        &manager,
        &format!("/api/v1/users/{ann}"),
        &json!({"employee": "E1"}),
    )
    .await;
    assert_eq!(s, 403);
    // Listed with the link; an account sees its own.
    let (_, users) = app.get("/api/v1/users", Some(&admin)).await;
    let listed = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == bob)
        .unwrap();
    assert_eq!(listed["employee"], "E2", "{users}");
    // The audit log names the change by internal ids.
    let log = app.store.audit_log(20).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "user.employee_change" && e.subject.is_some_and(|s| s.id == bob))
    );

    // The users page: the admin links through a form (no JavaScript).
    let (s, html) = page(app, &admin, "/users?lang=en").await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains(&format!("action=\"/users/{ann}/employee\"")),
        "{html}"
    );
    assert!(
        html.contains("<option value=\"E2\" selected>E2</option>"),
        "{html}"
    );
    let (s, loc, _) = form(
        app,
        &admin,
        &format!("/users/{ann}/employee"),
        &[("employee", "E3")],
    )
    .await;
    assert_eq!(
        (s, loc.as_deref()),
        (303, Some(format!("/users?saved={ann}").as_str()))
    );
    assert_eq!(
        app.store
            .user(UserId(ann))
            .await
            .unwrap()
            .unwrap()
            .employee
            .as_deref(),
        Some("E3")
    );
    let (_, html) = page(app, &admin, &format!("/users?saved={ann}&lang=en")).await;
    assert!(
        html.contains("Saved: ann@shop.example is linked to E3."),
        "{html}"
    );
    let (s, _, html) = form(
        app,
        &admin,
        &format!("/users/{ann}/employee"),
        &[("employee", "E2")],
    )
    .await;
    assert_eq!(s, 409, "{html}");
    assert!(html.contains("id=\"users-error\""), "{html}");
    let (s, _, html) = form(
        app,
        &admin,
        &format!("/users/{ann}/employee"),
        &[("employee", "<b>X</b>")],
    )
    .await;
    assert_eq!(s, 422, "{html}");
    assert!(
        html.contains("&lt;b&gt;X&lt;/b&gt;") && !html.contains("<b>X</b>"),
        "{html}"
    );
    let (s, loc, _) = form(
        app,
        &admin,
        &format!("/users/{ann}/employee"),
        &[("employee", "")],
    )
    .await;
    assert_eq!(s, 303, "{loc:?}");
    assert_eq!(
        app.store.user(UserId(ann)).await.unwrap().unwrap().employee,
        None
    );
    let (_, html) = page(app, &admin, &format!("/users?saved={ann}&lang=fi")).await;
    assert!(
        html.contains("Tallennettu: ann@shop.example ei ole linkitetty työntekijään."),
        "{html}"
    );
    // The account sees its own link (E3 is free again).
    let (_, e3) = app
        .account("e3@shop.example", Role::Staff, &[], Some("E3"))
        .await;
    let (s, me) = app.get("/api/v1/me", Some(&e3)).await;
    assert_eq!((s, me["employee"].clone()), (200, json!("E3")));
    // Not for managers.
    let (s, _) = page(app, &manager, "/users").await;
    assert_eq!(s, 403);
    let (s, _, _) = form(
        app,
        &manager,
        &format!("/users/{ann}/employee"),
        &[("employee", "E1")],
    )
    .await;
    assert_eq!(s, 403);
}
server_test!(accounts_linked_to_employees, employee_links);

/// The employees whose rows `html`'s report-card table shows.
fn page_employees(html: &str) -> BTreeSet<String> {
    html.split("<tr data-employee=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

async fn report_card_visibility(app: &TestApp) {
    seed(app).await;
    let admin = app.admin().await;
    let (s, v) = app
        .post_json(
            "/api/v1/surveys",
            &json!({"name": "Card", "kind": "report_card"}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    let csv = "customer,employee,location,reliability,submitted_at\n\
               ,E1,HEL,4,2026-03-02\n\
               ,E3,HEL,5,2026-03-03\n\
               ,E2,TKU,3,2026-03-04\n";
    let (s, v) = app
        .post_raw(
            &format!("/api/v1/surveys/{id}/responses/import"),
            "text/csv",
            csv.as_bytes().to_vec(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, manager_hel) = app
        .account("m-hel@x.example", Role::Manager, &["HEL"], None)
        .await;
    let (_, manager_tku) = app
        .account("m-tku@x.example", Role::Manager, &["TKU"], None)
        .await;
    let (_, staff_e1) = app
        .account("s-e1@x.example", Role::Staff, &["HEL"], Some("E1"))
        .await;
    // A staff member sees their own card wherever they are listed.
    let (_, staff_e2) = app
        .account("s-e2@x.example", Role::Staff, &[], Some("E2"))
        .await;
    let (_, staff_none) = app
        .account("s-0@x.example", Role::Staff, &["HEL"], None)
        .await;
    let table: [(&str, &str, Option<&[&str]>); 6] = [
        ("admin", &admin, Some(&["E1", "E2", "E3"])),
        ("manager of HEL", &manager_hel, Some(&["E1", "E3"])),
        ("manager of TKU", &manager_tku, Some(&["E2"])),
        ("staff linked to E1", &staff_e1, Some(&["E1"])),
        ("staff linked to E2", &staff_e2, Some(&["E2"])),
        ("staff without a link", &staff_none, None),
    ];
    for (who, token, expected) in table {
        let (s, html) = page(app, token, "/report-cards?month=2026-03&lang=en").await;
        assert_eq!(s, 200, "{who}: {html}");
        let (api_status, api) = app
            .get("/api/v1/report-cards?month=2026-03", Some(token))
            .await;
        match expected {
            Some(list) => {
                let want: BTreeSet<String> = list.iter().map(|s| (*s).to_owned()).collect();
                assert_eq!(page_employees(&html), want, "{who}: page");
                assert_eq!(api_status, 200, "{who}: {api}");
                let got: BTreeSet<String> = api["cards"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["employee"].as_str().unwrap().to_owned())
                    .collect();
                assert_eq!(got, want, "{who}: api");
                assert_eq!(api["month"], "2026-03");
            }
            None => {
                assert!(page_employees(&html).is_empty(), "{who}: {html}");
                assert!(
                    html.contains("id=\"report-cards-unlinked\"")
                        && html.contains("Your account is not linked to an employee"),
                    "{who}: {html}"
                );
                assert_eq!(api_status, 403, "{who}: {api}");
                assert!(
                    api["error"]["message"]
                        .as_str()
                        .unwrap()
                        .contains("not linked")
                );
            }
        }
    }
    // The card's numbers through the API: E1's reliability 4 (n 1), rank 2 of 2 at HEL.
    let (_, api) = app
        .get("/api/v1/report-cards?month=2026-03", Some(&staff_e1))
        .await;
    let card = &api["cards"][0];
    assert_eq!(card["location"], "HEL");
    assert_eq!(card["criteria"][0]["criterion"], "reliability");
    assert_eq!(card["criteria"][0]["mean"], 4.0);
    assert_eq!(card["criteria"][0]["n"], 1);
    assert_eq!(card["criteria"][0]["rank"], 2);
    assert_eq!(card["criteria"][0]["peers"], 2);
    assert_eq!(card["flags"], 0);
    // The month is checked before anything is read.
    let (s, v) = app
        .get("/api/v1/report-cards?month=2026-3%00", Some(&admin))
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["fields"][0]["field"], "month");
    // Staff reach the page from the navigation.
    let (_, html) = page(app, &staff_e1, "/report-cards?lang=en").await;
    assert!(
        html.contains("href=\"/report-cards\" aria-current=\"page\""),
        "{html}"
    );
}
server_test!(report_cards_per_viewer, report_card_visibility);

fn flag_refs(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["reference"].as_str().unwrap().to_owned())
        .collect()
}

async fn staff_flags(app: &TestApp) {
    seed(app).await;
    let admin = app.admin().await;
    let (_, s1) = app
        .account("s1@x.example", Role::Staff, &["HEL"], Some("E1"))
        .await;
    let (_, unlinked) = app
        .account("u@x.example", Role::Staff, &["HEL"], None)
        .await;
    let (_, m_tku) = app
        .account("m@x.example", Role::Manager, &["TKU"], None)
        .await;
    let note = "<script>alert(1)</script> waited 20 min, left angry";
    // A linked staff member flags c1: a complaint credited to E1 at E1's location.
    let (s, f1) = app
        .post_json(
            "/api/v1/customers/c1/flags",
            &json!({"reason": "quality", "note": note}),
            Some(&s1),
        )
        .await;
    assert_eq!(s, 201, "{f1}");
    assert_eq!(f1["employee"], "E1");
    assert_eq!(f1["location"], "HEL");
    assert_eq!(f1["reason"], "quality");
    assert_eq!(f1["customer"], "c1");
    assert_eq!(f1["note"], note);
    assert_eq!(f1["status"], "received");
    let r1 = f1["reference"].as_str().unwrap().to_owned();
    let (s, c) = app
        .get(&format!("/api/v1/complaints/{r1}"), Some(&admin))
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["channel"], "staff_flag");
    assert_eq!(c["customer"], "c1");
    assert_eq!(c["location"], "HEL");
    assert_eq!(c["category"], "quality");
    assert_eq!(c["description"], note);
    assert_eq!(c["severity"], "medium");
    assert!(c["resolution_due"].is_string(), "{c}");
    let (s, html) = page(app, &admin, &format!("/complaints/{r1}?lang=en")).await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("<dt>Flagged as unhappy by</dt><dd id=\"flagged-by\">E1</dd>"),
        "{html}"
    );
    // In the queue.
    let (_, q) = app.get("/api/v1/complaints", Some(&admin)).await;
    assert!(
        q["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["reference"] == r1.as_str())
    );

    // Refusals, and nothing stored for them.
    let (s, v) = app
        .post_json(
            "/api/v1/customers/c1/flags",
            &json!({"reason": "price", "note": "x"}),
            Some(&unlinked),
        )
        .await;
    assert_eq!(s, 403, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not linked to an employee")
    );
    let (s, v) = app
        .post_json(
            "/api/v1/customers/c1/flags",
            &json!({"reason": "price", "note": "x", "employee": "E3"}),
            Some(&s1),
        )
        .await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = app
        .post_json(
            "/api/v1/customers/c1/flags",
            &json!({"reason": "price", "note": "x"}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["fields"][0]["field"], "employee");
    // c2 bought at TKU only: not one of s1's customers.
    let (s, _) = app
        .post_json(
            "/api/v1/customers/c2/flags",
            &json!({"reason": "price", "note": "x"}),
            Some(&s1),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .post_json(
            "/api/v1/customers/nobody/flags",
            &json!({"reason": "price", "note": "x", "employee": "E1"}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 404);
    for (body, field) in [
        (json!({"reason": "price", "note": "  "}), "note"),
        (json!({"reason": "price", "note": "a\u{0}b"}), "note"),
        (json!({"reason": "price", "note": "x".repeat(5001)}), "note"),
        (
            json!({"reason": "price", "note": "x", "location": "NOPE"}),
            "location",
        ),
        (
            json!({"reason": "price", "note": "x", "location": "H\u{0}"}),
            "location",
        ),
    ] {
        let (s, v) = app
            .post_json("/api/v1/customers/c1/flags", &body, Some(&s1))
            .await;
        assert_eq!(s, 422, "{body}: {v}");
        assert_eq!(v["error"]["fields"][0]["field"], field, "{v}");
    }
    let (s, _) = app
        .post_json(
            "/api/v1/customers/c1/flags",
            &json!({"reason": "other", "note": "x"}),
            Some(&s1),
        )
        .await;
    assert_eq!(s, 422);
    // An admin credits another employee at another location.
    let (s, f2) = app
        .post_json(
            "/api/v1/customers/c2/flags",
            &json!({"reason": "broken_promise", "note": "delivery late again", "employee": "E2",
                    "location": "TKU", "severity": "high"}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 201, "{f2}");
    assert_eq!(
        (f2["employee"].as_str(), f2["location"].as_str()),
        (Some("E2"), Some("TKU"))
    );
    let r2 = f2["reference"].as_str().unwrap().to_owned();
    let (_, c2) = app
        .get(&format!("/api/v1/complaints/{r2}"), Some(&admin))
        .await;
    assert_eq!(c2["severity"], "high");
    // The store writes complaint and flag together: an unknown employee leaves neither.
    let input = ComplaintInput {
        reference: "CB-ATOMIC1".into(),
        received_at: Utc::now(),
        channel: comeback_complaints::recovery::Channel::StaffFlag,
        customer: "c1".into(),
        location: None,
        employee: None,
        product: None,
        description: "x".into(),
        category: comeback_complaints::recovery::Category::Price,
        severity: comeback_complaints::recovery::Severity::Low,
        remedy_requested: None,
        owner: None,
        deadlines: Default::default(),
    };
    let e = app
        .store
        .create_staff_flag(&input, "NOPE", UserId(1))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::NotFound {
                what: "employee",
                ..
            }
        ),
        "{e}"
    );
    assert!(matches!(
        app.store.complaint("CB-ATOMIC1").await,
        Err(StoreError::NotFound { .. })
    ));

    // The list: newest first, filters, scopes.
    let (s, all) = app.get("/api/v1/flags", Some(&admin)).await;
    assert_eq!(s, 200, "{all}");
    assert_eq!(flag_refs(&all), [r2.clone(), r1.clone()]);
    let today = Utc::now().date_naive();
    let tomorrow = today + TimeDelta::days(1);
    let yesterday = today - TimeDelta::days(1);
    for (query, want) in [
        ("employee=E1".to_owned(), vec![r1.clone()]),
        ("location=TKU".to_owned(), vec![r2.clone()]),
        (
            format!("from={today}&to={today}"),
            vec![r2.clone(), r1.clone()],
        ),
        (format!("from={tomorrow}"), vec![]),
        (format!("to={yesterday}"), vec![]),
        ("limit=1".to_owned(), vec![r2.clone()]),
    ] {
        let (s, v) = app
            .get(&format!("/api/v1/flags?{query}"), Some(&admin))
            .await;
        assert_eq!(s, 200, "{query}: {v}");
        assert_eq!(flag_refs(&v), want, "{query}");
    }
    for (query, field) in [
        (format!("from={tomorrow}&to={today}"), "to"),
        ("from=2026-02-30".to_owned(), "from"),
        ("to=x%00".to_owned(), "to"),
        ("employee=E%001".to_owned(), "employee"),
        ("limit=0".to_owned(), "limit"),
    ] {
        let (s, v) = app
            .get(&format!("/api/v1/flags?{query}"), Some(&admin))
            .await;
        assert_eq!(s, 422, "{query}: {v}");
        assert_eq!(v["error"]["fields"][0]["field"], field, "{query}: {v}");
    }
    let (_, v) = app.get("/api/v1/flags", Some(&s1)).await;
    assert_eq!(flag_refs(&v), vec![r1.clone()], "staff: their own");
    let (s, _) = app.get("/api/v1/flags?employee=E2", Some(&s1)).await;
    assert_eq!(s, 403);
    let (s, _) = app.get("/api/v1/flags", Some(&unlinked)).await;
    assert_eq!(s, 403);
    let (_, v) = app.get("/api/v1/flags", Some(&m_tku)).await;
    assert_eq!(flag_refs(&v), vec![r2.clone()], "manager: their locations");

    // Counted on this month's report card (rows without ratings).
    let (s, cards) = app.get("/api/v1/report-cards", Some(&admin)).await;
    assert_eq!(s, 200, "{cards}");
    let month = Utc::now().format("%Y-%m").to_string();
    assert_eq!(cards["month"], month.as_str());
    assert_eq!(
        cards["cards"],
        json!([
            {"employee": "E1", "location": "HEL", "criteria": [], "overall": null, "flags": 1},
            {"employee": "E2", "location": "TKU", "criteria": [], "overall": null, "flags": 1},
        ])
    );
    let (_, html) = page(app, &s1, "/report-cards?lang=en").await;
    assert_eq!(page_employees(&html), BTreeSet::from(["E1".to_owned()]));
    assert!(html.contains("<td class=\"num flags\">1</td>"), "{html}");

    // On the customer's timeline, once (not also as a plain complaint), the note inert.
    let tl = app.store.customer_timeline("c1").await.unwrap();
    let flags: Vec<_> = tl
        .entries
        .iter()
        .filter_map(|e| match &e.event {
            TimelineEvent::StaffFlag(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(flags.len(), 1);
    assert_eq!(
        (flags[0].employee.as_str(), flags[0].reference.as_str()),
        ("E1", r1.as_str())
    );
    assert!(
        !tl.entries
            .iter()
            .any(|e| matches!(e.event, TimelineEvent::Complaint(_)))
    );
    let (s, html) = page(app, &admin, "/customers/c1?lang=en").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("data-kind=\"staff_flag\""), "{html}");
    assert!(
        html.contains(&format!(
            "Flagged as unhappy by E1: The quality of a product or service — complaint {r1}"
        )),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)</script>"));
    let (_, html) = page(app, &admin, "/customers/c1?lang=de").await;
    assert!(html.contains("Von E1 als unzufrieden gemeldet"), "{html}");
    // The note is the complaint's description: shown only to whoever may see that
    // complaint (staff see those they own or recorded), like the complaint entries.
    let (_, html) = page(app, &s1, "/customers/c1?lang=en").await;
    assert!(html.contains("waited 20 min, left angry"), "{html}");
    let (s, html) = page(app, &unlinked, "/customers/c1?lang=en").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("data-kind=\"staff_flag\""), "{html}");
    assert!(!html.contains("waited 20 min"), "{html}");

    // The customer page's form and the quick form (no JavaScript).
    let (_, html) = page(app, &s1, "/customers/c1?lang=en").await;
    assert!(html.contains("action=\"/customers/c1/flag\""), "{html}");
    let (s, loc, body) = form(
        app,
        &s1,
        "/customers/c1/flag",
        &[
            ("reason", "price"),
            ("note", "said the price went up"),
            ("location", ""),
        ],
    )
    .await;
    assert_eq!(s, 303, "{body}");
    let loc = loc.unwrap();
    let r3 = loc
        .strip_prefix("/customers/c1?flagged=")
        .expect(&loc)
        .to_owned();
    let (_, html) = page(app, &s1, &format!("{loc}&lang=en")).await;
    assert!(
        html.contains(&format!(
            "Flag recorded: complaint {r3} is in the recovery queue."
        )),
        "{html}"
    );
    // Found by the stored e-mail address, ignoring case.
    let (s, loc, body) = form(
        app,
        &s1,
        "/flag",
        &[
            ("customer", " ann@EXAMPLE.com "),
            ("reason", "inadequate_response"),
            ("note", "ignored at the till"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{body}");
    let loc = loc.unwrap();
    let r4 = loc.strip_prefix("/flag?done=").expect(&loc).to_owned();
    let f4 = app.store.staff_flag(&r4).await.unwrap().unwrap();
    assert_eq!(f4.customer.as_deref(), Some("c1"));
    assert_eq!(f4.employee, "E1");
    assert_eq!(f4.category.as_str(), "inadequate_response");
    let (s, html) = page(app, &s1, &format!("{loc}&lang=fi")).await;
    assert_eq!(s, 200);
    assert!(
        html.contains(&format!(
            "Merkintä tallennettu: valitus {r4} on palautusjonossa."
        )),
        "{html}"
    );
    // Refused on the quick form: shown again, filled in, with the reason.
    let (s, _, html) = form(
        app,
        &s1,
        "/flag",
        &[
            ("customer", "c2"),
            ("reason", "price"),
            ("note", "kept <i>text</i>"),
        ],
    )
    .await;
    assert_eq!(s, 404, "{html}");
    assert!(
        html.contains("No customer with this id or e-mail address"),
        "{html}"
    );
    assert!(html.contains("kept &lt;i&gt;text&lt;/i&gt;"), "{html}");
    let (s, _, html) = form(app, &s1, "/flag", &[("customer", "c1"), ("note", "x")]).await;
    assert_eq!(s, 422, "{html}");
    let (s, html) = page(app, &unlinked, "/flag?lang=en").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("id=\"flag-unlinked\"") && !html.contains("id=\"flag-form\""),
        "{html}"
    );
    let (s, _, html) = form(
        app,
        &unlinked,
        "/flag",
        &[("customer", "c1"), ("reason", "price"), ("note", "x")],
    )
    .await;
    assert_eq!(s, 403, "{html}");
    // An admin picks the employee on the quick form.
    let (_, html) = page(app, &admin, "/flag?lang=en").await;
    assert!(html.contains("name=\"employee\""), "{html}");
    let (s, _, body) = form(
        app,
        &admin,
        "/flag",
        &[
            ("customer", "c1"),
            ("reason", "price"),
            ("note", "x"),
            ("employee", "E3"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{body}");

    // Erasure keeps the flags and their credit (internal ids), without the customer.
    let (s, v) = app
        .post_json("/api/v1/customers/c1/erase", &json!({}), Some(&admin))
        .await;
    assert!(s == 200 || s == 204, "{s} {v}");
    let (_, v) = app.get("/api/v1/flags?employee=E1", Some(&admin)).await;
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{v}");
    assert!(items.iter().all(|f| f["customer"].is_null()), "{v}");
    let (_, cards) = app.get("/api/v1/report-cards", Some(&admin)).await;
    let e1: Vec<&Value> = cards["cards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["employee"] == "E1")
        .collect();
    assert_eq!(e1.len(), 1);
    assert_eq!(e1[0]["flags"], 3);
    let (s, _) = page(app, &admin, "/customers/c1").await;
    assert_eq!(s, 404);
}
server_test!(staff_flags_credited_and_listed, staff_flags);
