//! The public complaint page and the customer's status page over HTTP: the form in the six
//! languages, per-field errors (422) with submitted markup echoed as inert text, oversize
//! bodies (413), filing without and with a signed customer link, the status page showing
//! the steps in the customer's words and nothing internal, reference look-ups, and the rate
//! limits (429 with `Retry-After`). The same run in a phone-sized headless Chromium with
//! JavaScript off is `browser::public_complaint_phone_no_js`.

use comeback_store::{Location, Role};
use serde_json::{Value, json};

use crate::helpers::{TestApp, no_redirect_client};

/// GET `path`: (status, headers, body).
async fn get(app: &TestApp, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let r = no_redirect_client()
        .get(app.url(path))
        .send()
        .await
        .unwrap();
    let (s, h) = (r.status().as_u16(), r.headers().clone());
    (s, h, r.text().await.unwrap())
}

/// POST the form `fields`: (status, headers, body).
async fn post(app: &TestApp, fields: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, String) {
    let r = no_redirect_client()
        .post(app.url("/complain"))
        .form(fields)
        .send()
        .await
        .unwrap();
    let (s, h) = (r.status().as_u16(), r.headers().clone());
    (s, h, r.text().await.unwrap())
}

/// The stored customer `c1` and the location `HEL`.
async fn seed(app: &TestApp) {
    app.purchase_of_c1().await;
    app.store
        .upsert_location(&Location {
            code: "HEL".into(),
            name: Some("Helsinki <Centre>".into()),
            time_zone: "Europe/Helsinki".into(),
        })
        .await
        .unwrap();
}

/// The reference of a 303 to `/complaint-status/REF?new=1`.
fn reference_of(status: u16, headers: &reqwest::header::HeaderMap, body: &str) -> String {
    assert_eq!(status, 303, "{body}");
    let to = headers["location"].to_str().unwrap();
    let r = to
        .strip_prefix("/complaint-status/")
        .and_then(|r| r.strip_suffix("?new=1"))
        .unwrap_or_else(|| panic!("{to}"));
    assert_eq!(r.len(), 11, "{r}");
    assert!(r.starts_with("CB-"), "{r}");
    r.to_owned()
}

async fn api(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    let s = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        s,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn public_pages(app: &TestApp) {
    use reqwest::Method;
    seed(app).await;
    // The form: no login, the page's security headers, six languages, the location list
    // escaped.
    let (s, h, html) = get(app, "/complain").await;
    assert_eq!(s, 200);
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert!(
        html.contains(
            "<form class=\"stacked\" id=\"complain\" method=\"post\" action=\"/complain\""
        )
    );
    assert!(html.contains("Make a complaint"));
    assert!(html.contains("Helsinki &lt;Centre&gt;"), "{html}");
    assert!(!html.contains("<script"), "no script on the public page");
    for (lang, title) in [
        ("es", "Presentar una queja"),
        ("pt", "Fazer uma reclamação"),
        ("fi", "Tee valitus"),
        ("de", "Beschwerde einreichen"),
        ("fr", "Déposer une réclamation"),
    ] {
        let (s, _, html) = get(app, &format!("/complain?lang={lang}")).await;
        assert_eq!(s, 200);
        assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{lang}");
        assert!(html.contains(title), "{lang}: {title}");
    }

    // Invalid fields: 422, one message per field, the values kept and escaped.
    let markup = "<script>alert(1)</script><b>cold</b>";
    let (s, _, html) = post(
        app,
        &[
            ("category", "quality"),
            ("description", " "),
            ("name", markup),
            ("email", "not an address"),
            ("location", "NOPE"),
        ],
    )
    .await;
    assert_eq!(s, 422, "{html}");
    assert!(html.contains("id=\"c-description-error\">Please fill this in."));
    assert!(html.contains("id=\"c-email-error\">This does not look like an e-mail address."));
    assert!(html.contains("id=\"c-location-error\">Please choose one of the options."));
    assert!(!html.contains("c-category-error"));
    assert!(
        html.contains(
            "value=\"&lt;script&gt;alert(1)&lt;&#x2f;script&gt;&lt;b&gt;cold&lt;&#x2f;b&gt;\""
        ),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"));
    let long = "é".repeat(5001);
    let (s, _, html) = post(app, &[("category", "price"), ("description", &long)]).await;
    assert_eq!(s, 422);
    assert!(
        html.contains("This is 5001 characters long; at most 5000 are allowed."),
        "{html}"
    );
    let (s, _, html) = post(app, &[("category", "made_up"), ("description", "x")]).await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"c-category-error\""));
    // A body over 32 KiB: 413, nothing stored.
    let big = format!("category=quality&description={}", "a".repeat(33 * 1024));
    let r = no_redirect_client()
        .post(app.url("/complain"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("too large to send (at most 32 KiB)")
    );
    let admin = app.admin().await;
    let (_, q) = api(app, &admin, Method::GET, "/api/v1/complaints", None).await;
    assert_eq!(q["items"], json!([]), "nothing stored by refused posts");

    // Filed without a link: a 303 to the status page.
    let (s, h, body) = post(
        app,
        &[
            ("category", "quality"),
            ("description", markup),
            ("remedy", "a new one"),
            ("location", "HEL"),
            ("name", "Ann"),
            ("email", "ann@example.com"),
        ],
    )
    .await;
    let r1 = reference_of(s, &h, &body);
    let (_, c) = api(
        app,
        &admin,
        Method::GET,
        &format!("/api/v1/complaints/{r1}"),
        None,
    )
    .await;
    assert_eq!(c["customer"], Value::Null, "{c}");
    assert_eq!(c["channel"], "web");
    assert_eq!(c["severity"], "medium");
    assert_eq!(c["category"], "quality");
    assert_eq!(c["location"], "HEL");
    assert_eq!(c["description"], markup);
    assert_eq!(c["remedy_requested"], "a new one");
    assert_eq!(c["owner"], Value::Null);
    assert_eq!(c["status"], "received");
    // Medium: 8 h to the first response, 72 h to the resolution (24/7).
    let at = |k: &str| {
        c[k].as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    };
    assert_eq!(
        at("first_response_due") - at("received_at"),
        chrono::TimeDelta::hours(8)
    );
    assert_eq!(
        at("resolution_due") - at("received_at"),
        chrono::TimeDelta::hours(72)
    );
    // The unidentified complainant is no customer of the lists.
    let (_, list) = api(app, &admin, Method::GET, "/api/v1/customers", None).await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["c1"], "{list}");

    // The status page: the reference, the thank-you, the received step.
    let (s, h, html) = get(app, &format!("/complaint-status/{r1}?new=1")).await;
    assert_eq!(s, 200);
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(html.contains(&format!("Your reference is {r1}.")), "{html}");
    assert!(html.contains("data-status=\"received\">We have received your complaint."));
    assert!(
        !html.contains("cold"),
        "the complaint text is not shown by reference"
    );
    // A manager of HEL acts (an unassigned public complaint is the location's managers'):
    // the customer sees the steps in words, never the notes or the hand-over.
    let staff = app.token_at(Role::Manager, &["HEL"]).await;
    let clerk = app.token(Role::Staff).await;
    let (_, me) = api(app, &staff, Method::GET, "/api/v1/me", None).await;
    let path = format!("/api/v1/complaints/{r1}/transitions");
    for step in [
        json!({"action": "acknowledge", "apology": "INTERNAL-APOLOGY"}),
        json!({"action": "escalate", "to": me["id"], "reason": "INTERNAL-REASON"}),
        json!({"action": "take_action", "description": "INTERNAL-ACTION"}),
    ] {
        let (s, v) = api(app, &staff, Method::POST, &path, Some(step)).await;
        assert_eq!(s, 200, "{v}");
    }
    let (_, _, html) = get(app, &format!("/complaint-status/{r1}")).await;
    assert!(!html.contains("INTERNAL"), "{html}");
    assert!(!html.contains("id=\"thanks\""));
    assert!(html.contains("data-status=\"action_taken\">We have acted on it."));
    let steps: Vec<&str> = html
        .split("<li><time>")
        .skip(1)
        .map(|li| {
            li.split("</time> ")
                .nth(1)
                .unwrap()
                .split("</li>")
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        steps,
        [
            "We have received your complaint.",
            "We have apologised and are looking into it.",
            "We have acted on it."
        ]
    );
    assert!(html.contains("Times are in the UTC time zone."), "{html}");
    let (_, _, de) = get(app, &format!("/complaint-status/{r1}?lang=de")).await;
    assert!(de.contains("Wir haben gehandelt."));

    // Look-ups: a valid shape redirects; another is a 422 form; unknown ones are 404.
    let r = no_redirect_client()
        .get(app.url(&format!("/complaint-status?reference=%20{r1}%20")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("/complaint-status/{r1}").as_str()
    );
    let (s, _, html) = get(app, "/complaint-status?reference=%3Cb%3E").await;
    assert_eq!(s, 422);
    assert!(html.contains("value=\"&lt;b&gt;\""));
    let (s, _, _) = get(app, "/complaint-status").await;
    assert_eq!(s, 200);
    for missing in [
        "/complaint-status/CB-NOPE0000",
        "/complaint-status/%3Cb%3E",
        "/complaint-status/%00",
    ] {
        let (s, _, html) = get(app, missing).await;
        assert_eq!(s, 404, "{missing}");
        assert!(html.contains("<html lang=\"en\">"));
    }

    // A signed link: managers issue it for a stored customer; the form says so and the
    // complaint is the customer's.
    let manager = app.token(Role::Manager).await;
    let (s, e) = api(
        app,
        &clerk,
        Method::POST,
        "/api/v1/complaint-links",
        Some(json!({"customer": "c1"})),
    )
    .await;
    assert_eq!(s, 403, "{e}");
    let (s, _) = api(
        app,
        &manager,
        Method::POST,
        "/api/v1/complaint-links",
        Some(json!({"customer": "nobody"})),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = api(
        app,
        &manager,
        Method::POST,
        "/api/v1/complaint-links",
        Some(json!({"customer": "c1", "valid_days": 0})),
    )
    .await;
    assert_eq!(s, 422);
    let (s, link) = api(
        app,
        &manager,
        Method::POST,
        "/api/v1/complaint-links",
        Some(json!({"customer": "c1", "valid_days": 7})),
    )
    .await;
    assert_eq!(s, 201, "{link}");
    let token = link["token"].as_str().unwrap();
    assert!(token.starts_with("6331."), "hex of c1: {token}");
    assert_eq!(link["path"], format!("/complain?t={token}").as_str());
    let expires = link["expires_at"]
        .as_str()
        .unwrap()
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap();
    let days = (expires - chrono::Utc::now()).num_seconds() as f64 / 86_400.0;
    assert!((days - 7.0).abs() < 0.01, "{days}");
    let (s, _, html) = get(app, link["path"].as_str().unwrap()).await;
    assert_eq!(s, 200);
    assert!(html.contains("id=\"identified\""));
    assert!(html.contains(&format!("name=\"t\" value=\"{token}\"")));
    assert!(
        !html.contains("id=\"c-email\""),
        "no contact fields for a known customer"
    );
    // The language links keep the token.
    assert!(html.contains(&format!("t={token}&amp;lang=de\"")), "{html}");
    let (s, h, body) = post(
        app,
        &[
            ("t", token),
            ("category", "price"),
            ("description", "too dear"),
        ],
    )
    .await;
    let r2 = reference_of(s, &h, &body);
    let (_, c) = api(
        app,
        &admin,
        Method::GET,
        &format!("/api/v1/complaints/{r2}"),
        None,
    )
    .await;
    assert_eq!(c["customer"], "c1", "{c}");
    // An altered token is refused on the form (a notice) and on the post (filed without
    // the customer).
    let forged = format!("6332{}", &token[4..]);
    let (_, _, html) = get(app, &format!("/complain?t={forged}")).await;
    assert!(html.contains("id=\"link-invalid\""));
    assert!(!html.contains("name=\"t\""));
    let (s, h, body) = post(
        app,
        &[("t", &forged), ("category", "price"), ("description", "x")],
    )
    .await;
    let r3 = reference_of(s, &h, &body);
    let (_, c) = api(
        app,
        &admin,
        Method::GET,
        &format!("/api/v1/complaints/{r3}"),
        None,
    )
    .await;
    assert_eq!(c["customer"], Value::Null);
}
crate::helpers::server_test!(public_complaint_pages, public_pages);

/// Filing and look-ups are rate-limited per client address; refused form posts do not
/// count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_complaint_rate_limits() {
    let app = TestApp::sqlite_with(|mut s| {
        s.complaints.per_hour = 2;
        s.complaints.lookups_per_minute = 3;
        s
    })
    .await;
    let (s, _, _) = post(&app, &[("category", "price")]).await;
    assert_eq!(s, 422);
    let mut refs = Vec::new();
    for _ in 0..2 {
        let (s, h, body) = post(&app, &[("category", "price"), ("description", "x")]).await;
        refs.push(reference_of(s, &h, &body));
    }
    let (s, h, html) = post(&app, &[("category", "price"), ("description", "kept text")]).await;
    assert_eq!(s, 429, "{html}");
    // One token every 30 minutes: wait at most 1800 s.
    let wait: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=1800).contains(&wait), "{wait}");
    assert!(
        html.contains(
            "Too many complaints were sent from your connection. Please try again in 30 minutes."
        ),
        "{html}"
    );
    assert!(html.contains(">kept text</textarea>"));
    for _ in 0..3 {
        let (s, _, _) = get(&app, &format!("/complaint-status/{}", refs[0])).await;
        assert_eq!(s, 200);
    }
    let (s, h, html) = get(&app, &format!("/complaint-status/{}", refs[1])).await;
    assert_eq!(s, 429);
    assert!(h.contains_key("retry-after"));
    assert!(html.contains("Too many look-ups"));
    app.cleanup().await;
}
