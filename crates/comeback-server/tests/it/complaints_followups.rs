//! Survey follow-ups become recovery cases (issue 8 item 3): a detractor's follow-up turns
//! into a complaint through the API and through the follow-up list's button on `/surveys`,
//! carrying the customer, location, employee and the answer, linked both ways, and a second
//! request returns the same case. Managers of other locations cannot see it; staff cannot.
//! Both backends.

use chrono::{DateTime, Utc};
use comeback_store::{
    Employee, FollowUpReason, ImportedResponse, NewSurvey, ResponseInput, Role, SurveyKind,
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, no_redirect_client};

async fn followups(app: &TestApp) {
    app.purchase_of_c1().await;
    app.locations(&["HEL", "TKU"]).await;
    app.store
        .upsert_employee(&Employee {
            code: "E7".into(),
            name: Some("Aino".into()),
            location: Some("HEL".into()),
        })
        .await
        .unwrap();
    let survey = app
        .store
        .create_survey(&NewSurvey {
            name: "After the visit".into(),
            kind: SurveyKind::Nps,
            anonymous: false,
            definition: None,
        })
        .await
        .unwrap();
    let at: DateTime<Utc> = "2026-03-05T12:30:00Z".parse().unwrap();
    let answer = |customer: Option<&str>, score: i64, comment: &str| ImportedResponse {
        customer: customer.map(str::to_owned),
        location: Some("HEL".into()),
        employee: Some("E7".into()),
        input: ResponseInput {
            score: Some(score),
            answers: json!({"recommend": score}).to_string(),
            comment: Some(comment.into()),
            language: Some("en".into()),
            anonymous: customer.is_none(),
            follow_up: Some(FollowUpReason::Detractor),
        },
        submitted_at: at,
    };
    let ids = app
        .store
        .import_responses(
            survey.id,
            &[
                answer(Some("c1"), 2, "<b>cold</b> coffee, rude staff"),
                answer(None, 4, "too slow"),
            ],
            "import",
        )
        .await
        .unwrap();
    let (named, anonymous) = (ids[0].unwrap(), ids[1].unwrap());

    let manager = app.token_at(Role::Manager, &["HEL"]).await;
    let elsewhere = app.token_at(Role::Manager, &["TKU"]).await;
    let staff = app.token_at(Role::Staff, &["HEL"]).await;
    let path = format!("/api/v1/survey-followups/{named}/complaint");
    let (s, e) = app.post_json(&path, &json!({}), Some(&staff)).await;
    assert_eq!(s, 403, "{e}");
    let (s, e) = app.post_json(&path, &json!({}), Some(&elsewhere)).await;
    assert_eq!(s, 404, "{e}");
    let (s, e) = app
        .post_json(
            "/api/v1/survey-followups/999999/complaint",
            &json!({}),
            Some(&manager),
        )
        .await;
    assert_eq!(s, 404, "{e}");

    let (s, c) = app.post_json(&path, &json!({}), Some(&manager)).await;
    assert_eq!(s, 201, "{c}");
    let reference = c["reference"].as_str().unwrap().to_owned();
    assert_eq!(c["customer"], "c1");
    assert_eq!(c["location"], "HEL");
    assert_eq!(c["employee"], "E7");
    assert_eq!(c["channel"], "survey");
    assert_eq!(c["category"], "general_dissatisfaction");
    assert_eq!(c["severity"], "medium");
    assert_eq!(c["status"], "received");
    assert_eq!(c["survey_followup"], json!(named));
    assert_eq!(
        c["description"],
        "Survey \u{201c}After the visit\u{201d} (nps), detractor answer, score 2, answered \
         2026-03-05 12:30 UTC: <b>cold</b> coffee, rude staff"
    );
    // Medium: 8 h / 72 h on a 24/7 clock (HEL has no calendar) from the moment it opened.
    let received: DateTime<Utc> = c["received_at"].as_str().unwrap().parse().unwrap();
    let due: DateTime<Utc> = c["first_response_due"].as_str().unwrap().parse().unwrap();
    assert_eq!(due - received, chrono::TimeDelta::hours(8));
    // The manager owns it.
    let (_, me) = app.get("/api/v1/me", Some(&manager)).await;
    assert_eq!(c["owner"], me["id"]);

    // Idempotent: the same case again, 200, nothing new stored.
    let (s, again) = app.post_json(&path, &json!({}), Some(&manager)).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["reference"], reference.as_str());
    assert_eq!(app.store.all_complaints().await.unwrap().len(), 1);
    // The follow-up links to its case.
    let (_, f) = app.get("/api/v1/survey-followups", Some(&manager)).await;
    let links: Vec<(i64, Value)> = f["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].as_i64().unwrap(), i["complaint"].clone()))
        .collect();
    assert_eq!(
        links,
        [(anonymous, Value::Null), (named, json!(reference.as_str()))]
    );

    // The follow-up list's button: the anonymous answer becomes an unidentified case; a
    // second press lands on the same case.
    let admin = app.admin().await;
    let page = app.text(&manager, "/surveys").await;
    assert!(
        page.contains(&format!(
            "action=\"/surveys/followups/{anonymous}/complaint\""
        )),
        "{page}"
    );
    assert!(page.contains(&format!("href=\"/complaints/{reference}\"")));
    assert!(
        page.contains("&lt;b&gt;cold&lt;&#x2f;b&gt; coffee"),
        "markup inert"
    );
    let client = no_redirect_client();
    let mut locations = Vec::new();
    for _ in 0..2 {
        let r = client
            .post(app.url(&format!("/surveys/followups/{anonymous}/complaint")))
            .bearer_auth(&admin)
            .form(&[("x", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        locations.push(r.headers()["location"].to_str().unwrap().to_owned());
    }
    assert_eq!(locations[0], locations[1]);
    let case = locations[0].trim_start_matches("/complaints/").to_owned();
    let c = app.store.complaint(&case).await.unwrap();
    assert_eq!(c.customer, None);
    assert_eq!(c.survey_followup, Some(anonymous));
    assert!(
        c.description
            .ends_with("score 4, answered 2026-03-05 12:30 UTC: too slow")
    );
    // Staff get the 403 page from the button's route.
    let r = client
        .post(app.url(&format!("/surveys/followups/{anonymous}/complaint")))
        .bearer_auth(&staff)
        .form(&[("x", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(app.store.all_complaints().await.unwrap().len(), 2);
}
crate::helpers::server_test!(followups_become_cases, followups);
