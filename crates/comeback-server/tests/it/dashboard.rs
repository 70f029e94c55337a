//! The dashboard pages over HTTP (no browser): access, languages, and that the numbers
//! on the pages are the API's numbers for the CDNOW sample.

use serde_json::json;

use crate::helpers::{TestApp, server_test};

/// GET of a page: (status, headers, body with `&#x2f;` read as `/`).
pub(crate) async fn page(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut r = client.get(app.url(path));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    let h = resp.headers().clone();
    // minijinja's HTML escaping writes `/` as `&#x2f;`; the checks read it back.
    (status, h, resp.text().await.unwrap().replace("&#x2f;", "/"))
}

/// How `data/CDNOW_sample.txt` is read.
const CDNOW_QUERY: &str =
    "header=false&customer_col=2&date_col=3&amount_col=5&date_format=%25Y%25m%25d&currency=USD";

/// Uploads the CDNOW sample, refits and waits for fresh scores.
pub(crate) async fn load_sample(app: &TestApp, admin: &str) {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/CDNOW_sample.txt"
    ))
    .unwrap();
    let path = format!("/api/v1/uploads/transactions?{CDNOW_QUERY}");
    let (s, v) = app.post_raw(&path, "text/plain", bytes, Some(admin)).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post_json("/api/v1/model/refit", &json!({}), Some(admin))
        .await;
    assert!(s < 300, "{s} {v}");
    for _ in 0..1200 {
        let (_, v) = app.get("/api/v1/model", Some(admin)).await;
        if v["refit"] == "succeeded" && v["stale"] == false {
            return;
        }
        assert_ne!(v["refit"], "failed", "{v}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no scores within 120 s");
}

/// The text of the first element with `attr` in `html` (tags stripped).
fn inner_after(html: &str, attr: &str) -> String {
    let start = html
        .find(attr)
        .unwrap_or_else(|| panic!("{attr} not in page"));
    let rest = &html[start..];
    let end = rest.find("</li>").unwrap();
    let mut out = String::new();
    let mut in_tag = false;
    for ch in rest[..end].chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Ids of the customer links of a `/customers` page and the href of its next page.
fn customer_rows(html: &str) -> (Vec<String>, Option<String>) {
    let mut ids = Vec::new();
    for part in html
        .split("<th scope=\"row\" class=\"id\"><a href=\"/customers/")
        .skip(1)
    {
        let end = part.find('"').unwrap();
        ids.push(part[..end].to_owned());
    }
    let next = html.split("rel=\"next\" href=\"").nth(1).map(|p| {
        let end = p.find('"').unwrap();
        p[..end].replace("&amp;", "&")
    });
    (ids, next)
}

async fn pages_need_login_and_role(app: &TestApp) {
    // A guest is sent to the login form.
    for path in [
        "/",
        "/model",
        "/retention",
        "/customers",
        "/customers/x",
        "/lists/at-risk",
        "/lists/at-risk/csv",
    ] {
        let (s, h, _) = page(app, path, None, &[]).await;
        assert_eq!(s, 303, "{path}");
        assert_eq!(h["location"], "/login", "{path}");
    }
    // Staff may look customers up, nothing else: an HTML 403 in their language.
    let staff = app.token(comeback_store::Role::Staff).await;
    for path in [
        "/",
        "/model",
        "/retention",
        "/lists/win-back",
        "/lists/advocates/csv",
    ] {
        let (s, h, body) = page(
            app,
            path,
            Some(&staff),
            &[("accept-language", "de-DE,de;q=0.9")],
        )
        .await;
        assert_eq!(s, 403, "{path}");
        assert!(
            h["content-type"].to_str().unwrap().starts_with("text/html"),
            "{path}"
        );
        assert!(body.contains("<html lang=\"de\">"), "{path}");
        assert!(body.contains("Zugriff verweigert"), "{path}: {body}");
    }
    let (s, _, body) = page(app, "/customers", Some(&staff), &[]).await;
    assert_eq!(s, 200, "{body}");
    // Before any refit the pages say so instead of failing.
    let admin = app.admin().await;
    let (s, h, body) = page(app, "/", Some(&admin), &[]).await;
    assert_eq!(s, 200);
    assert!(body.contains("Scores are not computed yet"), "{body}");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let (s, _, body) = page(app, "/lists/at-risk/csv", Some(&admin), &[]).await;
    assert_eq!(s, 503, "{body}");
    let (s, _, _) = page(app, "/lists/nope", Some(&admin), &[]).await;
    assert_eq!(s, 404);
    let (s, _, _) = page(app, "/customers/unknown-id", Some(&admin), &[]).await;
    assert_eq!(s, 404);
    // Bad filters are named, not a 500.
    let (s, _, body) = page(app, "/customers?segment=nope", Some(&admin), &[]).await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("segment"), "{body}");
    let (s, _, body) = page(app, "/customers?cursor=zz", Some(&admin), &[]).await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("cursor"), "{body}");
    let (s, _, _) = page(app, "/assets/dashboard.css", None, &[]).await;
    assert_eq!(s, 200);
    // The upload form's progressive script: a file of this server, no inline script.
    let (s, h, js) = page(app, "/assets/upload.js", None, &[]).await;
    assert_eq!(s, 200);
    assert!(
        h["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(js.contains("upload-progress"), "{js}");
    let (s, h, body) = page(app, "/upload?lang=en", Some(&admin), &[]).await;
    assert_eq!(s, 200);
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(
        body.contains(r#"<script src="/assets/upload.js" defer></script>"#),
        "{body}"
    );
    assert!(
        body.contains(r#"<p id="upload-progress" role="status" hidden>"#),
        "{body}"
    );
    assert!(body.contains("Sending and checking the file"), "{body}");
}

server_test!(access, pages_need_login_and_role);

async fn pages_show_the_api_numbers(app: &TestApp) {
    let admin = app.admin().await;
    load_sample(app, &admin).await;
    let (_, metrics) = app.get("/api/v1/metrics", Some(&admin)).await;
    assert_eq!(metrics["customers"], 2357, "{metrics}");

    // Overview: the cards are the API's headline, formatted for the language.
    let (s, _, html) = page(app, "/", Some(&admin), &[]).await;
    assert_eq!(s, 200);
    assert!(inner_after(&html, "data-kpi=\"customers\"").contains("2,357"));
    let lc = &metrics["lifecycle"];
    let n = |k: &str| lc[k].as_u64().unwrap();
    let active = n("new") + n("active") + n("won_back");
    let grouped = |x: u64| {
        let s = x.to_string();
        if s.len() > 3 {
            format!("{},{}", &s[..s.len() - 3], &s[s.len() - 3..])
        } else {
            s
        }
    };
    assert!(inner_after(&html, "data-kpi=\"active\"").contains(&grouped(active)));
    assert!(inner_after(&html, "data-kpi=\"lost\"").contains(&grouped(n("lost"))));
    assert!(inner_after(&html, "data-kpi=\"at_risk\"").contains(&grouped(n("at_risk"))));
    let rate = metrics["defection"]["rate"].as_f64().unwrap();
    assert!(
        inner_after(&html, "data-kpi=\"defection\"").contains(&format!("{:.1}%", rate * 100.0)),
        "{}",
        inner_after(&html, "data-kpi=\"defection\"")
    );
    // One bar per lifecycle stage, the line chart with both series.
    assert_eq!(
        html.matches("class=\"mark\" data-series=\"customers\"")
            .count(),
        5
    );
    assert!(html.contains("data-series=\"actual\"") && html.contains("data-series=\"model\""));

    // Model page: the API's model and its parameters.
    let (_, model) = app.get("/api/v1/model", Some(&admin)).await;
    let (s, _, html) = page(app, "/model", Some(&admin), &[]).await;
    assert_eq!(s, 200);
    let name = model["model"]["name"].as_str().unwrap();
    assert!(html.contains(&format!("Model in use: {name}")), "{name}");
    for p in model["model"]["params"].as_object().unwrap().keys() {
        assert!(html.contains(&format!("<th scope=\"row\">{p}</th>")), "{p}");
    }

    // The at-risk CSV is the whole API list, in order.
    let (_, list) = app
        .get("/api/v1/actions/at-risk?limit=10000", Some(&admin))
        .await;
    let total = list["total"].as_u64().unwrap() as usize;
    assert!(total > 0);
    let (s, h, csv) = page(app, "/lists/at-risk/csv", Some(&admin), &[]).await;
    assert_eq!(s, 200);
    assert_eq!(h["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"at-risk-1998-06-30.csv\""
    );
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header[1], "external_id");
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), total);
    for (row, item) in rows.iter().zip(list["items"].as_array().unwrap()) {
        assert_eq!(row[1], *item["external_id"].as_str().unwrap());
        let p: f64 = row[2].parse().unwrap();
        assert!((p - item["p_alive"].as_f64().unwrap()).abs() < 1e-6);
        assert_eq!(row[9], *"USD");
    }
    // The list page shows the first 100 and links the CSV.
    let (_, _, html) = page(app, "/lists/at-risk", Some(&admin), &[]).await;
    assert!(html.contains("href=\"/lists/at-risk/csv\""));
    let first = list["items"][0]["external_id"].as_str().unwrap();
    assert!(html.contains(&format!("<a href=\"/customers/{first}\">{first}</a>")));

    // Filtering by stage and walking every page finds exactly the API's count; the
    // largest stage has more than 1,000 customers, so the store is asked in several
    // chunks of ids.
    let (big, count) = lc
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap() as usize))
        .max_by_key(|(_, n)| *n)
        .unwrap();
    assert!(count > 1000, "{lc}");
    let mut path = format!("/customers?stage={big}");
    let mut seen = Vec::new();
    loop {
        let (s, _, html) = page(app, &path, Some(&admin), &[]).await;
        assert_eq!(s, 200, "{path}");
        let (ids, next) = customer_rows(&html);
        assert!(ids.len() <= 50);
        seen.extend(ids);
        match next {
            Some(n) => path = n,
            None => break,
        }
    }
    assert_eq!(seen.len(), count);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "ids ascending, no repeats");

    // The customer page: scores and one timeline entry per stored transaction.
    let id = seen[0].clone();
    let (_, detail) = app
        .get(&format!("/api/v1/customers/{id}"), Some(&admin))
        .await;
    let (s, _, html) = page(app, &format!("/customers/{id}"), Some(&admin), &[]).await;
    assert_eq!(s, 200);
    assert_eq!(
        html.matches("data-kind=\"purchase\"").count(),
        detail["transactions"].as_array().unwrap().len()
    );
    let key = format!("stage_{big}");
    let stage_name = comeback_report::Lang::En.message(&key);
    assert!(
        html.contains(&format!("Lifecycle stage</dt><dd>{stage_name}</dd>")),
        "{html}"
    );

    // A survey answer and a complaint join the timeline, newest first, the comment inert.
    let (s, v) = app
        .post_json(
            "/api/v1/surveys",
            &json!({"name": "Visit NPS", "kind": "nps"}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let survey = v["id"].as_i64().unwrap();
    let csv = format!(
        "customer,recommend,why,submitted_at\n{id},3,<b>too slow</b>,2026-01-02T10:00:00Z\n"
    );
    let (s, v) = app
        .post_raw(
            &format!("/api/v1/surveys/{survey}/responses/import"),
            "text/csv",
            csv.into_bytes(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let body = json!({
        "reference": "CB-TL000001", "received_at": "2026-01-03T09:00:00Z",
        "channel": "phone", "customer": id, "description": "late delivery",
        "category": "quality", "severity": "low"
    });
    let (s, v) = app
        .post_json("/api/v1/complaints", &body, Some(&admin))
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, _, html) = page(app, &format!("/customers/{id}"), Some(&admin), &[]).await;
    assert_eq!(s, 200);
    let rows: Vec<&str> = html.split("<tr data-kind=\"").skip(1).collect();
    assert_eq!(
        rows.len(),
        detail["transactions"].as_array().unwrap().len() + 2
    );
    assert!(rows[0].starts_with("complaint\""), "{}", rows[0]);
    assert!(
        rows[0].contains(
            "<a href=\"/complaints/CB-TL000001\">Complaint CB-TL000001 (quality): Received</a>"
        ),
        "{}",
        rows[0]
    );
    assert!(rows[1].starts_with("survey_answer\""), "{}", rows[1]);
    assert!(
        rows[1].contains(
            "Survey answer: Visit NPS, score 3<br><q>&lt;b&gt;too slow&lt;&#x2f;b&gt;</q>"
        ) || rows[1]
            .contains("Survey answer: Visit NPS, score 3<br><q>&lt;b&gt;too slow&lt;/b&gt;</q>"),
        "{}",
        rows[1]
    );
    assert!(!html.contains("<b>too slow</b>"));
    assert!(rows[2].starts_with("purchase\""), "{}", rows[2]);

    // Search by id.
    let (_, _, html) = page(app, &format!("/customers?q={id}"), Some(&admin), &[]).await;
    assert!(customer_rows(&html).0.contains(&id));

    // Retention page: the API's economics and survival by segment; no loyalty members yet.
    let (_, econ) = app.get("/api/v1/economics", Some(&admin)).await;
    let (_, surv) = app.get("/api/v1/survival?by=segment", Some(&admin)).await;
    let (s, _, html) = page(app, "/retention", Some(&admin), &[]).await;
    assert_eq!(s, 200);
    let lost = econ["customers_lost_12m"].as_u64().unwrap();
    // The text of the element whose opening tag holds `attr`, up to `end`.
    let after = |attr: &str, end: &str| -> String {
        let start = html
            .find(attr)
            .unwrap_or_else(|| panic!("{attr} not in page"));
        let rest = &html[start..];
        rest[..rest.find(end).unwrap()].to_owned()
    };
    assert_eq!(
        after("data-econ=\"customers_lost\"", "</dd>"),
        format!(
            "data-econ=\"customers_lost\">{}",
            comeback_report::format::count(lost, comeback_report::Lang::En)
        )
    );
    for g in surv["groups"].as_array().unwrap() {
        let key = g["group"].as_str().unwrap();
        let row = after(&format!("data-group=\"{key}\""), "</tr>");
        let n = comeback_report::format::count(
            g["customers"].as_u64().unwrap(),
            comeback_report::Lang::En,
        );
        assert!(
            row.contains(&format!("<td class=\"num\">{n}</td>")),
            "{key}: {row}"
        );
        assert!(html.contains(&format!("data-series=\"{key}\"")), "{key}");
    }
    assert!(html.contains("Log-rank test of equal survival"));
    assert!(html.contains("No customer is marked as a loyalty member."));
    // Twenty customers marked as members: the members column counts them.
    let (_, v) = app.get("/api/v1/customers?limit=20", Some(&admin)).await;
    let members: Vec<serde_json::Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| json!({"external_id": c["external_id"], "loyalty_member": true}))
        .collect();
    let (s, v) = app
        .post_json(
            "/api/v1/customers:batch",
            &json!({ "customers": members }),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, _, html) = page(app, "/retention", Some(&admin), &[]).await;
    assert!(
        html.contains("<th scope=\"row\">Customers with purchases</th><td class=\"num\">20</td>"),
        "{html}"
    );
    assert!(html.contains("id=\"loyalty-no-dates\""), "{html}");
    // Their enrolment days (1997-04-01): the page shows the raw and the matched ratio of
    // visits in the year after, as comeback_analysis::loyalty computes them on the stored
    // log with the same memberships.
    let enrolled = comeback_core::Day::parse_iso("1997-04-01").unwrap();
    let rows: Vec<serde_json::Value> = members
        .iter()
        .map(|m| json!({"customer": m["external_id"], "enrolled_on": "1997-04-01"}))
        .collect();
    let (s, v) = app
        .post_json(
            "/api/v1/loyalty/enrolments:batch",
            &json!({ "enrolments": rows }),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["inserted"], 20);
    let log = app
        .store
        .transaction_log(&comeback_store::LogQuery::default())
        .await
        .unwrap();
    let ids: Vec<&str> = members
        .iter()
        .map(|m| m["external_id"].as_str().unwrap())
        .collect();
    let flags: Vec<comeback_analysis::loyalty::Member> = log
        .ids()
        .iter()
        .map(|id| {
            if ids.contains(&&id[..]) {
                comeback_analysis::loyalty::Member::Yes {
                    enrolled: Some(enrolled),
                }
            } else {
                comeback_analysis::loyalty::Member::No
            }
        })
        .collect();
    let want = comeback_analysis::loyalty::compare_members(
        &log,
        &flags,
        &comeback_analysis::loyalty::Extras::default(),
        &comeback_analysis::loyalty::LoyaltyOptions::default(),
    )
    .unwrap();
    let (_, _, html) = page(app, "/retention", Some(&admin), &[]).await;
    let shown = |key: &str| {
        let start = html.find(&format!("data-loyalty=\"{key}\">")).unwrap();
        let rest = &html[start..];
        rest[rest.find('>').unwrap() + 1..rest.find("</dd>").unwrap()].to_owned()
    };
    for (key, r) in [("raw", want.raw), ("matched", want.matched)] {
        let text = shown(key);
        match r {
            Some(r) => {
                let p = comeback_report::format::percent(r.effect, 1, comeback_report::Lang::En);
                assert!(text.contains(&p), "{key}: {text} lacks {p}");
                assert!(
                    text.contains(&format!("; {} members", r.members)),
                    "{key}: {text}"
                );
            }
            None => assert!(text.starts_with("not enough data"), "{key}: {text}"),
        }
    }
    assert!(want.raw.is_some(), "the raw ratio needs no strata");
}

server_test!(numbers, pages_show_the_api_numbers);

/// Every page renders in every language (a missing catalogue key fails the render:
/// templates run with strict undefined values), and `?lang=` is remembered in a cookie.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_in_every_language() {
    let app = TestApp::sqlite().await;
    let admin = app.admin().await;
    load_sample(&app, &admin).await;
    let id = {
        let (_, v) = app
            .get("/api/v1/actions/at-risk?limit=1", Some(&admin))
            .await;
        v["items"][0]["external_id"].as_str().unwrap().to_owned()
    };
    let paths = [
        "/".to_owned(),
        "/model".to_owned(),
        "/retention".to_owned(),
        "/cohorts".to_owned(),
        "/customers".to_owned(),
        "/customers?segment=champions&stage=active".to_owned(),
        format!("/customers/{id}"),
        "/lists/at-risk".to_owned(),
        "/lists/win-back".to_owned(),
        "/lists/advocates".to_owned(),
        "/lists/unknown".to_owned(),
    ];
    for lang in ["en", "es", "pt", "fi", "de", "fr"] {
        for p in &paths {
            let sep = if p.contains('?') { '&' } else { '?' };
            let (s, h, html) = page(&app, &format!("{p}{sep}lang={lang}"), Some(&admin), &[]).await;
            assert!(
                s == 200 || (s == 404 && p.ends_with("unknown")),
                "{p} {lang}: {s}"
            );
            assert!(
                html.contains(&format!("<html lang=\"{lang}\">")),
                "{p} {lang}"
            );
            if s == 200 {
                assert_eq!(
                    h["set-cookie"].to_str().unwrap(),
                    format!("comeback_lang={lang}; Path=/; Max-Age=31536000; SameSite=Lax")
                );
            }
        }
    }
    // The cookie beats Accept-Language; ?lang= beats the cookie.
    let (_, _, html) = page(
        &app,
        "/",
        Some(&admin),
        &[("cookie", "comeback_lang=fi"), ("accept-language", "fr")],
    )
    .await;
    assert!(html.contains("<html lang=\"fi\">"));
    assert!(html.contains("Yleiskuva"));
    let (_, _, html) = page(
        &app,
        "/?lang=pt",
        Some(&admin),
        &[("cookie", "comeback_lang=fi")],
    )
    .await;
    assert!(html.contains("<html lang=\"pt\">"));
    let (_, _, html) = page(
        &app,
        "/",
        Some(&admin),
        &[("accept-language", "es-MX,es;q=0.9,en;q=0.5")],
    )
    .await;
    assert!(html.contains("<html lang=\"es\">"));
    app.cleanup().await;
}

/// A multipart body with the text fields `fields` and the file `file` (name, bytes).
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----comeback-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_upload(
    app: &TestApp,
    token: Option<&str>,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> (u16, String) {
    let (ct, body) = multipart(fields, file);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut r = client
        .post(app.url("/upload"))
        .header("content-type", ct)
        .body(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    let resp = r.send().await.unwrap();
    let s = resp.status().as_u16();
    (s, resp.text().await.unwrap().replace("&#x2f;", "/"))
}

async fn upload_form_stores_or_lists_problems(app: &TestApp) {
    let admin = app.admin().await;
    let cdnow_fields = [
        ("customer_col", "2"),
        ("date_col", "3"),
        ("amount_col", "5"),
        ("header", "no"),
        ("date_format", "%Y%m%d"),
        ("currency", "USD"),
    ];
    // A bad row: nothing stored, the problem named by line and column.
    let bad = b"customer,date,amount\nc1,2024-01-05,10.00\nc2,2024-13-40,5.00\n";
    let (s, html) = post_upload(app, Some(&admin), None, &[], Some(("bad.csv", bad))).await;
    assert_eq!(s, 422, "{html}");
    assert!(html.contains("id=\"upload-problems\""), "{html}");
    assert!(
        html.contains("<td class=\"num\">3</td><td>column &quot;date&quot;</td>"),
        "{html}"
    );
    let (_, list) = app.get("/api/v1/customers", Some(&admin)).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "{list}");
    // No file: a named problem, no 500.
    let (s, html) = post_upload(app, Some(&admin), None, &cdnow_fields, None).await;
    assert_eq!(s, 422, "{html}");
    assert!(html.contains("<td>file</td>"), "{html}");
    // A guest is sent to the login form before the body is read; staff get a 403 page.
    let (s, _) = post_upload(app, None, None, &[], Some(("bad.csv", bad))).await;
    assert_eq!(s, 303);
    let staff = app.token(comeback_store::Role::Staff).await;
    let (s, _) = post_upload(app, Some(&staff), None, &[], Some(("bad.csv", bad))).await;
    assert_eq!(s, 403);
    // The CDNOW sample: all 6,919 rows of 2,357 customers stored, a refit started.
    let sample = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/CDNOW_sample.txt"
    ))
    .unwrap();
    let (s, html) = post_upload(
        app,
        Some(&admin),
        None,
        &cdnow_fields,
        Some(("CDNOW_sample.txt", &sample)),
    )
    .await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains(
            "CDNOW_sample.txt: 6,919 rows read, 6,919 stored, 0 already stored, 2,357 customers."
        ),
        "{html}"
    );
    // Again: nothing new.
    let (s, html) = post_upload(
        app,
        Some(&admin),
        None,
        &cdnow_fields,
        Some(("CDNOW_sample.txt", &sample)),
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        html.contains("6,919 rows read, 0 stored, 6,919 already stored"),
        "{html}"
    );
}

server_test!(upload, upload_form_stores_or_lists_problems);

/// The subscriptions form on `/upload`: problems by line and column (nothing stored), then
/// a stored file with its counts and the cohorts page showing it.
async fn subscription_form(app: &TestApp) {
    let admin = app.admin().await;
    let post = |fields: Vec<(&'static str, &'static str)>, file: &'static [u8]| {
        let (ct, body) = multipart(&fields, Some(("subs.csv", file)));
        let req = app
            .client
            .post(app.url("/upload/subscriptions"))
            .header("content-type", ct)
            .bearer_auth(admin.clone())
            .body(body);
        async move {
            let r = req.send().await.unwrap();
            let s = r.status().as_u16();
            (s, r.text().await.unwrap().replace("&#x2f;", "/"))
        }
    };
    let bad: &[u8] = b"customer_id,start,end,mrr\na,2024-01-10,,10\nb,2024-01-12,2024-01-01,5\n";
    let (s, html) = post(vec![], bad).await;
    assert_eq!(s, 422, "{html}");
    assert!(
        html.contains("<td class=\"num\">3</td><td>end</td>"),
        "{html}"
    );
    assert!(app.store.subscriptions(None).await.unwrap().is_empty());
    let good: &[u8] =
        b"client;debut;fin;mrr\na;10/01/2024;;10,50\nb;12/01/2024;12/02/2024;5\nc;03/02/2024;;7\n";
    let fields = vec![
        ("customer_col", "client"),
        ("start_col", "debut"),
        ("end_col", "fin"),
        ("date_format", "%d/%m/%Y"),
        ("decimal_comma", "on"),
        ("currency", "EUR"),
    ];
    let (s, html) = post(fields.clone(), good).await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains(
            "subs.csv: 3 subscriptions read, 3 new, 0 updated, 0 unchanged, 3 customers."
        ),
        "{html}"
    );
    assert!(html.contains("href=\"/cohorts\""), "{html}");
    let (s, html) = post(fields, good).await;
    assert_eq!(s, 200);
    assert!(html.contains("0 new, 0 updated, 3 unchanged"), "{html}");
    // The cohorts page: January 2024 (a, b; MRR 10.50 + 5 at month 0) and February 2024 (c),
    // observed to the latest day stored (b's end, 2024-02-12).
    let (s, _, html) = page(app, "/cohorts", Some(&admin), &[]).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("Cohort 2024-01: 2 customers"), "{html}");
    assert!(html.contains("Cohort 2024-02: 1 customer</h2>"), "{html}");
    assert!(html.contains("15.50"), "{html}");
}
server_test!(subscription_upload_form, subscription_form);

/// A session must send its CSRF token in the multipart form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_form_needs_the_csrf_token_of_a_session() {
    let app = TestApp::sqlite_with(crate::auth::cheap).await;
    let (email, password) = ("csrf@example.com", "a long enough pass phrase");
    let hash = comeback_server::auth::AuthState::new(&app.settings.auth)
        .hasher
        .hash(&comeback_server::auth::password::Password::new(password))
        .unwrap();
    app.store
        .create_user(&comeback_store::NewUser {
            email: email.to_owned(),
            role: comeback_store::Role::Admin,
            password_hash: Some(hash),
        })
        .await
        .unwrap();
    let b = crate::auth::login(&app, email, password).await;
    let file = b"customer,date,amount\nc1,2024-01-05,10.00\n";
    let (s, html) = post_upload(&app, None, Some(&b.cookie), &[], Some(("a.csv", file))).await;
    assert_eq!(s, 403, "{html}");
    let (s, _) = post_upload(
        &app,
        None,
        Some(&b.cookie),
        &[("csrf_token", "0".repeat(64).as_str())],
        Some(("a.csv", file)),
    )
    .await;
    assert_eq!(s, 403);
    let (s, html) = post_upload(
        &app,
        None,
        Some(&b.cookie),
        &[("csrf_token", b.csrf.as_str())],
        Some(("a.csv", file)),
    )
    .await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("1 rows read, 1 stored"), "{html}");
    app.cleanup().await;
}
