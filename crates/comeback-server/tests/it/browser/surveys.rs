//! A survey answered on a phone with JavaScript disabled in the browser, in Finnish, and the
//! answer counted on the NPS page (issue 8).

use serde_json::json;

use super::cdp::PHONE;
use super::{Visit, admin_with_password, browser, login};
use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survey_on_a_phone_without_javascript() {
    let test = "survey_on_a_phone_without_javascript";
    let Some(chromium) = browser(test) else {
        return;
    };
    let app = TestApp::sqlite_with(crate::auth::cheap).await;
    let (email, password) = admin_with_password(&app).await;
    let admin = app.admin().await;
    let (s, v) = app
        .post_json(
            "/api/v1/customers:batch",
            &json!({"customers": [{"external_id": "c-1", "language": "fi"}]}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post_json(
            "/api/v1/surveys",
            &json!({"name": "Myymälä NPS", "kind": "nps"}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (s, v) = app
        .post_json(
            &format!("/api/v1/surveys/{id}/invitations"),
            &json!({"customers": ["c-1"]}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let link = v["created"][0]["link"].as_str().unwrap().to_owned();
    let path = link[app.base.len()..].to_owned();
    let base = app.base.clone();
    tokio::task::spawn_blocking(move || {
        let mut v = Visit::new(&chromium, &base, PHONE, test);
        v.c.disable_javascript(true);
        v.goto(&path);
        assert!(
            v.c.text().contains("Kuinka todennäköisesti suosittelisit"),
            "{}",
            v.c.text()
        );
        assert!(!v.c.exists("script"), "the survey page has no script");
        v.check("survey-form");
        v.c.click("input[name=recommend][value='9']");
        v.c.type_into("#f-why", "Ystävällinen palvelu <b>aina</b>");
        v.c.click_and_wait("button[value=submit]");
        assert!(v.c.url().contains("/thanks"), "{}", v.c.url());
        assert!(v.c.text().contains("Kiitos!"), "{}", v.c.text());
        v.check("survey-thanks");
        // The link is used up.
        v.goto(&path);
        assert!(v.c.text().contains("on jo vastattu"), "{}", v.c.text());
        // Its 409 is the one problem the browser logs.
        let problems = v.c.take_problems();
        assert!(
            problems.len() == 1 && problems[0].contains("409"),
            "{problems:#?}"
        );
        // The answer on the NPS page, in Finnish: one promoter → NPS 100.
        login(&mut v, &email, &password);
        v.goto("/surveys?lang=fi");
        let overall =
            v.c.eval("document.querySelector('#nps-overall tbody').innerText");
        let overall = overall.as_str().unwrap();
        assert!(overall.contains("100,0"), "{overall}");
        assert!(overall.contains("Kaikki vastaukset\t1\t"), "{overall}");
        let verbatims = v.c.eval("document.querySelector('#verbatims').innerText");
        assert!(
            verbatims
                .as_str()
                .unwrap()
                .contains("Ystävällinen palvelu <b>aina</b>"),
            "{verbatims}"
        );
        v.check("surveys-page");
    })
    .await
    .unwrap();
    app.cleanup().await;
}
