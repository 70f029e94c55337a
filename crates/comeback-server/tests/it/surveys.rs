//! Surveys (issue 8) over HTTP: signed links and a table of attacks on them, answers
//! (drafts, submit, decline, anonymous), follow-ups and the `survey.detractor` webhook,
//! throttling and opt-out across survey kinds, the rate limit and size limits of the public
//! pages, inert markup, the links CSV, imports with per-row errors, and the NPS on the
//! dashboard and in objectives.

use std::time::Duration;

use chrono::Utc;
use comeback_store::{InvitationTrigger, NewInvitations};
use serde_json::{Value, json};

use crate::helpers::{TestApp, no_redirect_client, server_test, webhook_receiver};

/// GET of a public page: (status, headers, body with `/` unescaped).
async fn get_page(
    app: &TestApp,
    path: &str,
    accept_language: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut r = no_redirect_client().get(app.url(path));
    if let Some(l) = accept_language {
        r = r.header("accept-language", l);
    }
    let resp = r.send().await.unwrap();
    let s = resp.status().as_u16();
    let h = resp.headers().clone();
    (s, h, resp.text().await.unwrap().replace("&#x2f;", "/"))
}

/// GET of a dashboard page with a bearer token: (status, headers, body).
async fn dash(app: &TestApp, path: &str, token: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let resp = no_redirect_client()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let s = resp.status().as_u16();
    let h = resp.headers().clone();
    (s, h, resp.text().await.unwrap().replace("&#x2f;", "/"))
}

/// POST of a form to a public page: (status, Location header, body).
async fn post_form(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, Option<String>, String) {
    let body = serde_urlencoded::to_string(fields).unwrap();
    post_raw(app, path, body.into_bytes()).await
}

async fn post_raw(app: &TestApp, path: &str, body: Vec<u8>) -> (u16, Option<String>, String) {
    let resp = no_redirect_client()
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let s = resp.status().as_u16();
    let loc = resp
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    (s, loc, resp.text().await.unwrap().replace("&#x2f;", "/"))
}

/// Customers `c-1` (Finnish), `c-2` (no language), `c-3` (German); returns an admin token.
async fn setup(app: &TestApp) -> String {
    let admin = app.admin().await;
    let body = json!({"customers": [
        {"external_id": "c-1", "language": "fi"},
        {"external_id": "c-2"},
        {"external_id": "c-3", "language": "de-AT"}]});
    let (s, v) = app
        .post_json("/api/v1/customers:batch", &body, Some(&admin))
        .await;
    assert_eq!(s, 200, "{v}");
    admin
}

async fn survey(app: &TestApp, admin: &str, name: &str, kind: &str) -> i64 {
    let (s, v) = app
        .post_json(
            "/api/v1/surveys",
            &json!({"name": name, "kind": kind}),
            Some(admin),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_i64().unwrap()
}

/// Invites `customers`; returns the response body.
async fn invite(app: &TestApp, admin: &str, survey: i64, customers: &[&str]) -> Value {
    let (s, v) = app
        .post_json(
            &format!("/api/v1/surveys/{survey}/invitations"),
            &json!({"customers": customers}),
            Some(admin),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v
}

/// The path (`/s/...`) of the created invitation of `customer`.
fn link_path(app: &TestApp, v: &Value, customer: &str) -> String {
    let item = v["created"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["customer"] == customer)
        .unwrap_or_else(|| panic!("no invitation for {customer}: {v}"));
    let link = item["link"].as_str().unwrap();
    assert!(link.starts_with(&app.base), "{link}");
    let u = item["unsubscribe_link"].as_str().unwrap();
    assert_eq!(u, format!("{link}/unsubscribe"));
    link[app.base.len()..].to_owned()
}

/// Splits `/s/{nonce}.{exp}.{mac}`.
fn parts(path: &str) -> (String, String, String) {
    let t = path.strip_prefix("/s/").unwrap();
    let p: Vec<&str> = t.split('.').collect();
    assert_eq!(p.len(), 3, "{t}");
    (p[0].to_owned(), p[1].to_owned(), p[2].to_owned())
}

async fn links_and_attacks(app: &TestApp) {
    let admin = setup(app).await;
    let nps = survey(app, &admin, "Store NPS", "nps").await;
    let v = invite(app, &admin, nps, &["c-1", "c-2", "c-1", "ghost"]).await;
    assert_eq!(v["created"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(
        v["skipped"],
        json!([{"customer": "c-1", "reason": "repeated"},
               {"customer": "ghost", "reason": "unknown_customer"}])
    );
    let one = link_path(app, &v, "c-1");
    let two = link_path(app, &v, "c-2");
    let (n1, e1, m1) = parts(&one);
    let (n2, e2, m2) = parts(&two);
    assert_eq!(n1.len(), 32);
    assert_eq!(m1.len(), 64);

    // The genuine link opens, in the customer's language (Finnish), without login.
    let (s, h, html) = get_page(app, &one, Some("en")).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("Suosittelisitko meitä?"), "{html}");
    assert!(html.contains("<html lang=\"fi\">"));
    assert_eq!(h["referrer-policy"], "no-referrer");
    // c-2 has no language: the browser's.
    let (s, _, html) = get_page(app, &two, Some("fr-CA,fr;q=0.9")).await;
    assert_eq!(s, 200);
    assert!(html.contains("Nous recommanderiez-vous ?"), "{html}");

    // An expired invitation (made through the store with a past expiry).
    let (made, _) = app
        .store
        .create_invitations(&NewInvitations {
            survey_id: nps,
            customers: vec!["c-3".to_owned()],
            trigger: InvitationTrigger::Manual,
            location: None,
            employee: None,
            now: Utc::now() - chrono::Duration::days(10),
            valid_for: chrono::Duration::days(1),
            min_days_between: 90,
        })
        .await
        .unwrap();
    let expired = format!("/s/{}", app.state.surveys.token(&made[0]).unwrap());

    // c-2 answers once; the link is then used up.
    let (s, loc, body) = post_form(app, &two, &[("recommend", "9"), ("action", "submit")]).await;
    assert_eq!(s, 303, "{body}");
    assert_eq!(loc.unwrap(), format!("{two}/thanks?lang=en"));

    let flip = |m: &str| {
        let mut b = m.as_bytes().to_vec();
        b[63] = if b[63] == b'0' { b'1' } else { b'0' };
        String::from_utf8(b).unwrap()
    };
    let exp_plus = (e1.parse::<i64>().unwrap() + 86_400).to_string();
    let attacks: Vec<(&str, String, u16)> = vec![
        (
            "forged",
            format!("/s/{}.{e1}.{}", "ab".repeat(16), "cd".repeat(32)),
            403,
        ),
        (
            "forged mac on a real nonce",
            format!("/s/{n1}.{e1}.{}", "0".repeat(64)),
            403,
        ),
        ("tampered mac", format!("/s/{n1}.{e1}.{}", flip(&m1)), 403),
        ("tampered expiry", format!("/s/{n1}.{exp_plus}.{m1}"), 403),
        (
            "cross-customer: c-1's nonce, c-2's signature",
            format!("/s/{n1}.{e2}.{m2}"),
            403,
        ),
        (
            "cross-customer: c-2's nonce, c-1's signature",
            format!("/s/{n2}.{e1}.{m1}"),
            403,
        ),
        ("truncated mac", one[..one.len() - 5].to_owned(), 400),
        ("truncated to the nonce", format!("/s/{n1}"), 400),
        (
            "upper-case hex",
            format!("/s/{}.{e1}.{m1}", n1.to_uppercase()),
            400,
        ),
        ("extra part", format!("{one}.00"), 400),
        ("expired", expired.clone(), 410),
        ("reused", two.clone(), 409),
    ];
    for (name, path, want) in &attacks {
        let (s, _, html) = get_page(app, path, None).await;
        assert_eq!(s, *want, "GET {name}: {path}\n{html}");
        let (s, _, html) = post_form(app, path, &[("recommend", "0"), ("action", "submit")]).await;
        assert_eq!(s, *want, "POST {name}: {path}\n{html}");
    }
    // Nothing was stored by the attacks: one response, by c-2, a 9.
    let r = app.store.survey_responses(None).await.unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].customer.as_deref(), r[0].score),
        (Some("c-2"), Some(9))
    );
    // The genuine c-1 link still works after all that.
    let (s, _, _) = get_page(app, &one, None).await;
    assert_eq!(s, 200);
    // The thank-you page of c-2.
    let (s, _, html) = get_page(app, &format!("{two}/thanks?lang=en"), None).await;
    assert_eq!(s, 200);
    assert!(html.contains("Thank you!"), "{html}");
}
server_test!(links_refuse_every_attack, links_and_attacks);

async fn answers_and_follow_ups(app: &TestApp) {
    let admin = setup(app).await;
    let (url, got) = webhook_receiver().await;
    let (s, v) = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": url, "events": ["survey.detractor"]}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    app.locations(&["helsinki", "oulu"]).await;
    let nps = survey(app, &admin, "Store NPS", "nps").await;
    let (s, v) = app
        .post_json(
            &format!("/api/v1/surveys/{nps}/invitations"),
            &json!({"customers": ["c-1", "c-2", "c-3"], "trigger": "purchase", "location": "helsinki"}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let one = link_path(app, &v, "c-1");
    let two = link_path(app, &v, "c-2");
    let three = link_path(app, &v, "c-3");

    // A draft with markup in it, shown again escaped and kept.
    let script = "<script>alert(1)</script> too slow";
    let (s, loc, body) = post_form(
        app,
        &one,
        &[("recommend", "3"), ("why", script), ("action", "save")],
    )
    .await;
    assert_eq!(s, 303, "{body}");
    assert_eq!(loc.unwrap(), format!("{one}?lang=fi&saved=1"));
    let (s, _, html) = get_page(app, &format!("{one}?lang=fi&saved=1"), None).await;
    assert_eq!(s, 200);
    assert!(html.contains("Vastauksesi on tallennettu"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;") && !html.contains("<script>"),
        "{html}"
    );
    assert!(html.contains(r#"value="3" checked"#), "{html}");
    assert!(app.store.list_followups(None).await.unwrap().is_empty());

    // Too long an answer: 422 naming the limit; too large a body: 413. Nothing stored.
    let long = "y".repeat(2001);
    let (s, _, html) = post_form(
        app,
        &one,
        &[("recommend", "3"), ("why", &long), ("action", "submit")],
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("enintään 2 000 merkkiä"), "{html}");
    let (s, _, html) = post_raw(
        app,
        &one,
        format!("why={}", "z".repeat(40_000)).into_bytes(),
    )
    .await;
    assert_eq!(s, 413);
    assert!(html.contains("liian pitkä"), "{html}");
    // Submitting without the score: 422.
    let (s, _, _) = post_form(app, &one, &[("why", "x"), ("action", "submit")]).await;
    assert_eq!(s, 422);

    // Submit: a detractor → follow-up for the location's managers and the webhook.
    let (s, loc, _) = post_form(
        app,
        &one,
        &[("recommend", "3"), ("why", script), ("action", "submit")],
    )
    .await;
    assert_eq!(s, 303);
    assert_eq!(loc.unwrap(), format!("{one}/thanks?lang=fi"));
    let (s, _, html) = get_page(app, &format!("{one}/thanks?lang=fi"), None).await;
    assert_eq!(s, 200);
    assert!(html.contains("Kiitos!"));
    let (s, f) = app.get("/api/v1/survey-followups", Some(&admin)).await;
    assert_eq!(s, 200, "{f}");
    let items = f["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{f}");
    assert_eq!(items[0]["reason"], "detractor");
    assert_eq!(items[0]["customer"], "c-1");
    assert_eq!(items[0]["location"], "helsinki");
    assert_eq!(items[0]["score"], 3);
    assert_eq!(items[0]["comment"], script);
    // Managers see their locations' follow-ups only; staff none.
    let here = app
        .token_at(comeback_store::Role::Manager, &["helsinki"])
        .await;
    let elsewhere = app.token_at(comeback_store::Role::Manager, &["oulu"]).await;
    let staff = app.token(comeback_store::Role::Staff).await;
    let (_, f) = app.get("/api/v1/survey-followups", Some(&here)).await;
    assert_eq!(f["items"].as_array().unwrap().len(), 1);
    let (_, f) = app.get("/api/v1/survey-followups", Some(&elsewhere)).await;
    assert_eq!(f["items"].as_array().unwrap().len(), 0);
    let (s, _) = app.get("/api/v1/survey-followups", Some(&staff)).await;
    assert_eq!(s, 403);
    let mut event = None;
    for _ in 0..200 {
        if let Some(e) = got.lock().unwrap().first().cloned() {
            event = Some(e);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let event = event.expect("survey.detractor delivered within 10 s");
    assert_eq!(event["type"], "survey.detractor");
    assert_eq!(event["data"]["customer"], "c-1");
    assert_eq!(event["data"]["score"], 3);
    assert_eq!(event["data"]["location"], "helsinki");
    assert_eq!(event["data"]["follow_up_id"], items[0]["id"]);

    // c-2: a promoter, anonymously: no customer stored, no follow-up.
    let (s, _, _) = post_form(
        app,
        &two,
        &[
            ("recommend", "10"),
            ("anonymous", "on"),
            ("action", "submit"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    // c-3 declines.
    let (s, _, html) = post_form(app, &three, &[("action", "decline")]).await;
    assert_eq!(s, 200);
    assert!(html.contains("Kein Problem"), "{html}");
    let (s, _, _) = get_page(app, &three, None).await;
    assert_eq!(s, 409);

    let r = app.store.survey_responses(None).await.unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(
        (r[1].customer.as_deref(), r[1].anonymous, r[1].score),
        (None, true, Some(10))
    );
    let (s, inv) = app
        .get(&format!("/api/v1/surveys/{nps}/invitations"), Some(&admin))
        .await;
    assert_eq!(s, 200, "{inv}");
    let states: Vec<&str> = inv["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["answered", "answered", "declined"]);

    // The NPS page: 1 promoter, 1 detractor of n = 2 → NPS 0; adjusted Wald (Rocks 2016):
    // p′ = d′ = 1.75/5 = 0.35, se = 100·√(0.7/5) = 37.4166, ±1.959964·se = ±73.34 → the
    // interval clipped to [−73.3, 73.3].
    let (s, _, html) = dash(app, "/surveys?lang=en", &admin).await;
    assert_eq!(s, 200, "{html}");
    let overall = &html[html.find("id=\"nps-overall\"").unwrap()..];
    let overall = &overall[..overall.find("</table>").unwrap()];
    assert!(overall.contains("<strong>0.0</strong>"), "{overall}");
    assert!(
        overall.contains("−73.3 – 73.3") || overall.contains("-73.3 – 73.3"),
        "{overall}"
    );
    assert!(overall.contains(">2<"), "{overall}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; too slow"),
        "verbatim escaped"
    );
    assert!(!html.contains("<script>alert"));
    let loc = &html[html.find("id=\"nps-by-location\"").unwrap()..];
    assert!(loc.contains("helsinki"));

    // The NPS objective of this year shows the NPS of this year's answers.
    let year = chrono::Datelike::year(&Utc::now()).to_string();
    let (s, o) = app
        .post_json(
            "/api/v1/objectives",
            &json!({"metric": "nps", "comparator": "at_least", "target": 30, "owner": "CX", "period": year}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 201, "{o}");
    assert_eq!(o["actual"], 0.0);
    assert_eq!(o["status"], "not_met");
    assert_eq!(o["note"], Value::Null);
    assert_eq!(o["measured_from"], format!("{year}-01-01"));
    assert_eq!(o["measured_through"], format!("{year}-12-31"));
}
server_test!(answers_follow_ups_and_the_nps_page, answers_and_follow_ups);

async fn throttling_and_opt_out(app: &TestApp) {
    let admin = setup(app).await;
    let nps = survey(app, &admin, "NPS", "nps").await;
    let exit = survey(app, &admin, "Exit", "exit").await;
    let v = invite(app, &admin, nps, &["c-1", "c-2"]).await;
    let one = link_path(app, &v, "c-1");
    // Another kind within 90 days: skipped for both.
    let v = invite(app, &admin, exit, &["c-1", "c-2", "c-3"]).await;
    assert_eq!(
        v["skipped"],
        json!([{"customer": "c-1", "reason": "throttled"},
               {"customer": "c-2", "reason": "throttled"}])
    );
    assert_eq!(v["created"].as_array().unwrap().len(), 1);

    // c-1 unsubscribes from the link (in Finnish); stored with its time.
    let (s, _, html) = get_page(app, &format!("{one}/unsubscribe"), None).await;
    assert_eq!(s, 200);
    assert!(html.contains("Peru tilaus"), "{html}");
    let before = Utc::now();
    let (s, _, html) = post_form(app, &format!("{one}/unsubscribe"), &[("confirm", "yes")]).await;
    assert_eq!(s, 200, "{html}");
    let (out, at) = app.store.survey_consent("c-1").await.unwrap().unwrap();
    assert!(out);
    assert!(at >= before - chrono::Duration::seconds(1) && at <= Utc::now());
    // The survey link itself still works until answered (unsubscribing is about future
    // invitations).
    let (s, _, _) = get_page(app, &one, None).await;
    assert_eq!(s, 200);

    // Versioning: a new version of "NPS"; the old one takes no invitations.
    let nps2 = survey(app, &admin, "NPS", "nps").await;
    let (s, v) = app.get("/api/v1/surveys", Some(&admin)).await;
    assert_eq!(s, 200);
    let versions: Vec<(i64, bool)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "NPS")
        .map(|s| {
            (
                s["version"].as_i64().unwrap(),
                s["active"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(versions, [(1, false), (2, true)]);
    let (s, _) = app
        .post_json(
            &format!("/api/v1/surveys/{nps}/invitations"),
            &json!({"customers": ["c-3"]}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 409);
    let (s, _) = app
        .post_json(
            "/api/v1/surveys/999999/invitations",
            &json!({"customers": ["c-3"]}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 404);
    let _ = nps2;
}
server_test!(throttling_and_opt_out_across_kinds, throttling_and_opt_out);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_gap_opt_out_still_holds_and_consent_can_return() {
    let app = TestApp::sqlite_with(|mut s| {
        s.surveys.survey_min_days = 0;
        s
    })
    .await;
    let admin = setup(&app).await;
    let nps = survey(&app, &admin, "NPS", "nps").await;
    invite(&app, &admin, nps, &["c-1"]).await;
    let v = invite(&app, &admin, nps, &["c-1"]).await;
    assert_eq!(v["created"].as_array().unwrap().len(), 1, "no gap: {v}");
    let resp = app
        .client
        .put(app.url("/api/v1/customers/c-1/survey-consent"))
        .bearer_auth(&admin)
        .json(&json!({"opted_out": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let v = invite(&app, &admin, nps, &["c-1"]).await;
    assert_eq!(
        v["skipped"],
        json!([{"customer": "c-1", "reason": "opted_out"}])
    );
    let resp = app
        .client
        .put(app.url("/api/v1/customers/c-1/survey-consent"))
        .bearer_auth(&admin)
        .json(&json!({"opted_out": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["opted_out"], false);
    let v = invite(&app, &admin, nps, &["c-1"]).await;
    assert_eq!(v["created"].as_array().unwrap().len(), 1);
    let resp = app
        .client
        .put(app.url("/api/v1/customers/nobody/survey-consent"))
        .bearer_auth(&admin)
        .json(&json!({"opted_out": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_pages_are_rate_limited_per_address() {
    let app = TestApp::sqlite_with(|mut s| {
        s.surveys.survey_rate_per_ip = 3;
        s
    })
    .await;
    let admin = setup(&app).await;
    let nps = survey(&app, &admin, "NPS", "nps").await;
    let v = invite(&app, &admin, nps, &["c-2"]).await;
    let two = link_path(&app, &v, "c-2");
    for _ in 0..3 {
        let (s, _, _) = get_page(&app, &two, None).await;
        assert_eq!(s, 200);
    }
    let (s, h, html) = get_page(&app, &two, Some("es")).await;
    assert_eq!(s, 429);
    assert!(h.contains_key("retry-after"));
    assert!(html.contains("Demasiadas solicitudes"), "{html}");
    // Forged links count too (no free guessing).
    let (s, _, _) = get_page(&app, "/s/x", None).await;
    assert_eq!(s, 429);
    app.cleanup().await;
}

async fn links_csv_and_import(app: &TestApp) {
    let admin = setup(app).await;
    let nps = survey(app, &admin, "NPS", "nps").await;
    let v = invite(app, &admin, nps, &["c-1", "c-2"]).await;
    let one = link_path(app, &v, "c-1");
    let resp = app
        .client
        .get(app.url(&format!("/api/v1/surveys/{nps}/links.csv")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "customer,language,link,unsubscribe_link,expires_at,trigger"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[1].starts_with(&format!(
            "c-1,fi,{}{one},{}{one}/unsubscribe,",
            app.base, app.base
        )),
        "{csv}"
    );
    // Answered links leave the mailing list.
    post_form(app, &one, &[("recommend", "8"), ("action", "submit")]).await;
    let resp = app
        .client
        .get(app.url(&format!("/api/v1/surveys/{nps}/links.csv")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap().lines().count(), 2);

    // Import: every bad row with its line and column; nothing stored.
    let bad = "customer,recommend,why,submitted_at\n\
               c-2,9,great,2026-03-01\n\
               c-1,11,,2026-03-02\n\
               nobody,5,meh,2026-03-03T10:00:00Z\n\
               c-3,7,,yesterday\n";
    let (s, e) = app
        .post_raw(
            &format!("/api/v1/surveys/{nps}/responses/import"),
            "text/csv",
            bad.as_bytes().to_vec(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    let rows: Vec<(u64, String)> = e["error"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().unwrap(),
                r["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [(3, "recommend".to_owned()), (5, "submitted_at".to_owned())],
        "{e}"
    );
    // A NUL character (which PostgreSQL cannot store) is a row problem, not a 500.
    let (s, e) = app
        .post_raw(
            &format!("/api/v1/surveys/{nps}/responses/import"),
            "text/csv",
            b"customer,recommend,submitted_at\nc\x001,9,2026-03-01\n".to_vec(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["rows"][0]["row"], 2);
    assert_eq!(e["error"]["rows"][0]["field"], "customer");
    // Once the file parses, unknown customers are refused by the store, with the line.
    let unknown = "customer,recommend,submitted_at\nc-2,9,2026-03-01\nnobody,5,2026-03-03\n";
    let (s, e) = app
        .post_raw(
            &format!("/api/v1/surveys/{nps}/responses/import"),
            "text/csv",
            unknown.as_bytes().to_vec(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["rows"][0]["row"], 3);
    assert_eq!(e["error"]["rows"][0]["field"], "customer");
    assert_eq!(app.store.survey_responses(None).await.unwrap().len(), 1);

    let good = "customer;recommend;why;submitted_at;language\n\
                c-2;9;great;2026-03-01;es\n\
                ;2;awful;2026-03-02T08:00:00Z;\n";
    let (s, v) = app
        .post_raw(
            &format!("/api/v1/surveys/{nps}/responses/import"),
            "text/csv",
            good.as_bytes().to_vec(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v, json!({"imported": 2, "follow_ups": 1}));
    let r = app.store.survey_responses(None).await.unwrap();
    assert_eq!(r.len(), 3);
    let imported: Vec<(Option<&str>, Option<i64>, &str)> = r
        .iter()
        .filter(|r| r.source == "import")
        .map(|r| (r.customer.as_deref(), r.score, r.source.as_str()))
        .collect();
    assert_eq!(
        imported,
        [(Some("c-2"), Some(9), "import"), (None, Some(2), "import")]
    );
}
server_test!(links_csv_and_imports, links_csv_and_import);

async fn exit_interviews(app: &TestApp) {
    let admin = setup(app).await;
    let exit = survey(app, &admin, "Exit", "exit").await;
    let (s, v) = app
        .post_json(
            &format!("/api/v1/surveys/{exit}/invitations"),
            &json!({"customers": ["c-1", "c-3"], "trigger": "lost"}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["created"][0]["trigger"], "lost");
    let one = link_path(app, &v, "c-1");
    let three = link_path(app, &v, "c-3");
    let (s, _, html) = get_page(app, &one, None).await;
    assert_eq!(s, 200);
    assert!(html.contains("Kilpailijan parempi tarjous"), "{html}");
    let (s, _, _) = post_form(
        app,
        &one,
        &[
            ("reasons", "price"),
            ("reasons", "competitor_offer"),
            ("bring_back", "a discount"),
            ("action", "submit"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let (s, _, html) =
        post_form(app, &three, &[("reasons", "weather"), ("action", "submit")]).await;
    assert_eq!(s, 422);
    assert!(
        html.contains("Bitte wählen Sie unter den angezeigten Optionen"),
        "{html}"
    );
    let (s, _, _) = post_form(app, &three, &[("reasons", "price"), ("action", "submit")]).await;
    assert_eq!(s, 303);
    let (s, _, html) = dash(app, "/surveys?lang=en", &admin).await;
    assert_eq!(s, 200);
    let t = &html[html.find("id=\"exit-reasons\"").unwrap()..];
    let t = &t[..t.find("</table>").unwrap()];
    // Price: both (100 %); a better offer: one (50 %).
    assert!(
        t.contains("<th scope=\"row\">Price</th><td class=\"num\">2</td><td class=\"num\">100"),
        "{t}"
    );
    assert!(t.contains("<th scope=\"row\">A better offer from a competitor</th><td class=\"num\">1</td><td class=\"num\">50"), "{t}");
}
server_test!(exit_interviews_count_reasons, exit_interviews);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survey_api_needs_a_manager() {
    let app = TestApp::sqlite().await;
    let staff = app.token(comeback_store::Role::Staff).await;
    let (s, _) = app.get("/api/v1/surveys", None).await;
    assert_eq!(s, 401);
    let (s, _) = app.get("/api/v1/surveys", Some(&staff)).await;
    assert_eq!(s, 403);
    let (s, _) = app
        .post_json(
            "/api/v1/surveys",
            &json!({"name": "x", "kind": "nps"}),
            Some(&staff),
        )
        .await;
    assert_eq!(s, 403);
    let admin = app.admin().await;
    for bad in [
        json!({"name": "", "kind": "nps"}),
        json!({"name": "x", "kind": "poll"}),
        json!({"name": "x", "kind": "nps", "extra": 1}),
    ] {
        let (s, v) = app.post_json("/api/v1/surveys", &bad, Some(&admin)).await;
        assert_eq!(s, 422, "{bad}: {v}");
    }
    let (s, _) = app
        .post_json(
            "/api/v1/surveys/1/invitations",
            &json!({"customers": []}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 422);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triggers_choose_customers_from_the_analysis() {
    let app = TestApp::sqlite().await;
    let admin = app.admin().await;
    let nps = survey(&app, &admin, "NPS", "nps").await;
    let exit = survey(&app, &admin, "Exit", "exit").await;
    let path = |id: i64| format!("/api/v1/surveys/{id}/invitations/trigger");
    // No analysis yet: 503.
    let (s, v) = app
        .post_json(&path(exit), &json!({"trigger": "lost"}), Some(&admin))
        .await;
    assert_eq!(s, 503, "{v}");
    crate::dashboard::load_sample(&app, &admin).await;
    let (s, m) = app.get("/api/v1/metrics", Some(&admin)).await;
    assert_eq!(s, 200, "{m}");
    let lost = m["lifecycle"]["lost"].as_u64().unwrap();
    let at_risk = m["lifecycle"]["at_risk"].as_u64().unwrap();
    let customers = m["customers"].as_u64().unwrap();
    assert!(lost > 0 && at_risk > 0, "{m}");

    // Lost customers get the exit interview, not an NPS survey.
    let (s, v) = app
        .post_json(&path(nps), &json!({"trigger": "lost"}), Some(&admin))
        .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = app
        .post_json(&path(exit), &json!({"trigger": "lost"}), Some(&admin))
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["chosen"], lost);
    assert_eq!(v["sampled"], lost);
    assert_eq!(v["created"].as_array().unwrap().len() as u64, lost);
    assert!(
        v["created"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["trigger"] == "lost")
    );
    // The at-risk customers now; none of them was invited (different stages).
    let (s, v) = app
        .post_json(&path(nps), &json!({"trigger": "at_risk"}), Some(&admin))
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["chosen"], at_risk);
    assert_eq!(v["created"].as_array().unwrap().len() as u64, at_risk);
    // Purchases since the start of the data, 10 % sampled: every customer is chosen; the
    // sample is Binomial(n, 0.1), checked within 6 standard deviations; those invited above
    // are skipped by the 90-day throttle.
    let (s, v) = app
        .post_json(
            &path(nps),
            &json!({"trigger": "purchase", "since": "1997-01-01", "sample_percent": 10}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["chosen"], customers);
    let n = customers as f64;
    let sampled = v["sampled"].as_f64().unwrap();
    let sd = (n * 0.1 * 0.9).sqrt();
    assert!((sampled - 0.1 * n).abs() <= 6.0 * sd, "{sampled} of {n}");
    let made = v["created"].as_array().unwrap().len();
    let skipped = v["skipped"].as_array().unwrap();
    assert_eq!((made + skipped.len()) as f64, sampled);
    assert!(skipped.iter().all(|s| s["reason"] == "throttled"), "{v}");
    let (s, v) = app
        .post_json(
            &path(nps),
            &json!({"trigger": "purchase", "sample_percent": 0}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    app.cleanup().await;
}

async fn closing_follow_ups(app: &TestApp) {
    let admin = setup(app).await;
    let nps = survey(app, &admin, "NPS", "nps").await;
    let v = invite(app, &admin, nps, &["c-1"]).await;
    let one = link_path(app, &v, "c-1");
    post_form(app, &one, &[("recommend", "0"), ("action", "submit")]).await;
    let (_, f) = app.get("/api/v1/survey-followups", Some(&admin)).await;
    let id = f["items"][0]["id"].as_i64().unwrap();
    assert_eq!(f["items"][0]["state"], "open");
    // A manager of another location does not see it (no location: everyone's).
    let path = format!("/api/v1/survey-followups/{id}/close");
    let (s, v) = app.post_json(&path, &json!({}), Some(&admin)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "closed");
    let (s, v) = app.post_json(&path, &json!({}), Some(&admin)).await;
    assert_eq!(s, 409, "{v}");
    let (s, _) = app
        .post_json(
            "/api/v1/survey-followups/999999/close",
            &json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 404);
}
server_test!(follow_ups_close_once, closing_follow_ups);

/// POST of a dashboard form with a session cookie (or a bearer token).
async fn post_dash_form(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    bearer: Option<&str>,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let mut r = no_redirect_client()
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).unwrap());
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    if let Some(t) = bearer {
        r = r.bearer_auth(t);
    }
    let resp = r.send().await.unwrap();
    let s = resp.status().as_u16();
    (s, resp.text().await.unwrap().replace("&#x2f;", "/"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn surveys_are_set_up_and_sent_from_the_page() {
    let app = TestApp::sqlite_with(crate::auth::cheap).await;
    let (email, password) = ("cx@example.com", "a long enough pass phrase");
    let hash = comeback_server::auth::AuthState::new(&app.settings.auth)
        .hasher
        .hash(&comeback_server::auth::password::Password::new(password))
        .unwrap();
    app.store
        .create_user(&comeback_store::NewUser {
            email: email.to_owned(),
            role: comeback_store::Role::Manager,
            password_hash: Some(hash),
        })
        .await
        .unwrap();
    let admin = setup(&app).await;
    let b = crate::auth::login(&app, email, password).await;
    let new = [("name", "Kauppa NPS"), ("kind", "nps")];
    // A session needs its CSRF token in the form.
    let (s, _) = post_dash_form(&app, "/surveys/new?lang=fi", Some(&b.cookie), None, &new).await;
    assert_eq!(s, 403);
    let mut with = new.to_vec();
    with.push(("csrf_token", b.csrf.as_str()));
    let (s, html) =
        post_dash_form(&app, "/surveys/new?lang=fi", Some(&b.cookie), None, &with).await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("Kysely Kauppa NPS, versio 1, luotu."),
        "{html}"
    );
    let id = app.store.list_surveys().await.unwrap()[0].id.to_string();
    let send = [
        ("survey", id.as_str()),
        ("who", "list"),
        ("customers", "c-1\nc-2\nghost\n"),
        ("csrf_token", b.csrf.as_str()),
    ];
    let (s, html) =
        post_dash_form(&app, "/surveys/send?lang=en", Some(&b.cookie), None, &send).await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("2 invitations made, 1 customer skipped."),
        "{html}"
    );
    assert!(html.contains("ghost: unknown customer"), "{html}");
    assert!(html.contains(&format!("/api/v1/surveys/{id}/links.csv")));
    // The analysis triggers need scores: a 503 page before the first one.
    let (s, _) = post_dash_form(
        &app,
        "/surveys/send",
        None,
        Some(&admin),
        &[("survey", id.as_str()), ("who", "at_risk")],
    )
    .await;
    assert_eq!(s, 503);
    // Staff may not.
    let staff = app.token(comeback_store::Role::Staff).await;
    let (s, _) = post_dash_form(&app, "/surveys/new", None, Some(&staff), &new).await;
    assert_eq!(s, 403);
    app.cleanup().await;
}

async fn report_card_page(app: &TestApp) {
    let admin = setup(app).await;
    for (code, loc) in [("e-1", "l-1"), ("e-2", "l-1"), ("e-3", "l-2")] {
        for l in ["l-1", "l-2"] {
            app.store
                .upsert_location(&comeback_store::Location {
                    code: l.to_owned(),
                    name: None,
                    time_zone: "UTC".to_owned(),
                })
                .await
                .unwrap();
        }
        app.store
            .upsert_employee(&comeback_store::Employee {
                code: code.to_owned(),
                name: None,
                location: Some(loc.to_owned()),
            })
            .await
            .unwrap();
    }
    let rc = survey(app, &admin, "Service card", "report_card").await;
    // e-1: reliability 4 and 2 in March (mean 3, n 2; t(0.975, 1) = 12.706 makes the
    // interval the whole scale, 1 to 5), 5 in February (change −2); e-2: reliability 5 once
    // (rank 1 of 2 at l-1); e-3 at l-2.
    let csv = "customer,employee,location,reliability,empathy,submitted_at\n\
               c-1,e-1,l-1,4,5,2026-03-02\n\
               c-2,e-1,l-1,2,,2026-03-03\n\
               c-3,e-1,l-1,5,,2026-02-10\n\
               ,e-2,l-1,5,,2026-03-04\n\
               ,e-3,l-2,1,,2026-03-05\n";
    let (s, v) = app
        .post_raw(
            &format!("/api/v1/surveys/{rc}/responses/import"),
            "text/csv",
            csv.as_bytes().to_vec(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // The 2 at e-1 and the 1 at e-3 are low report-card scores.
    assert_eq!(v, json!({"imported": 5, "follow_ups": 2}));
    let (s, _, html) = dash(app, "/report-cards?month=2026-03&lang=en", &admin).await;
    assert_eq!(s, 200, "{html}");
    let t = &html[html.find("id=\"report-cards\"").unwrap()..];
    let t = &t[..t.find("</table>").unwrap()];
    let row = |e: &str| {
        let i = t.find(&format!("<th scope=\"row\">{e}</th>")).unwrap();
        let r = &t[i..];
        r[..r.find("</tr>").unwrap()].to_owned()
    };
    let e1 = row("e-1");
    assert!(e1.contains("<strong>3.00</strong> (n = 2)"), "{e1}");
    assert!(e1.contains("1.00 – 5.00"), "{e1}");
    assert!(e1.contains("-2.00") || e1.contains("−2.00"), "{e1}");
    assert!(e1.contains("rank 2/2"), "{e1}");
    let e2 = row("e-2");
    assert!(
        e2.contains("<strong>5.00</strong> (n = 1)") && e2.contains("rank 1/2"),
        "{e2}"
    );
    // A manager of l-2 sees e-3 only.
    let m2 = app.token_at(comeback_store::Role::Manager, &["l-2"]).await;
    let (s, _, html) = dash(app, "/report-cards?month=2026-03&lang=en", &m2).await;
    assert_eq!(s, 200);
    assert!(html.contains(">e-3<") && !html.contains(">e-1<"), "{html}");
    // No month given: the latest with ratings (March 2026).
    let (_, _, html) = dash(app, "/report-cards?lang=en", &admin).await;
    assert!(
        html.contains(r#"name="month" type="month" value="2026-03""#),
        "{html}"
    );
    let (s, _, _) = dash(app, "/report-cards?month=2026-13", &admin).await;
    assert_eq!(s, 422);
}
server_test!(report_cards_by_employee, report_card_page);
