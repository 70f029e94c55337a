//! The voice-of-the-customer sections of `/surveys` (issue 8 item 4) over HTTP on both
//! backends: NPS by loyalty membership, comments grouped by reason, CSAT per location,
//! which metric predicts defection (its "not enough data" states first), the exit reasons'
//! yearly lost revenue, the JSON of `GET /api/v1/survey-metrics` and
//! `GET /api/v1/survey-predictors`, and counts in the singular or plural.
//!
//! The fixture (arithmetic in the comments): six customers buy on 2024-01-10; s1–s3 buy
//! again on 2024-06-01 (retained), l1–l3 never do (defected); z buys on 2025-12-31, the
//! observation end, so every answer of 2024-01-15 has a complete 365-day window.

use serde_json::{Value, json};

use crate::helpers::{TestApp, server_test};

/// GET of a dashboard page with a bearer token: (status, body with `/` unescaped).
async fn page(app: &TestApp, path: &str, token: &str) -> (u16, String) {
    let resp = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let s = resp.status().as_u16();
    (s, resp.text().await.unwrap().replace("&#x2f;", "/"))
}

/// The table with `id`, from its tag to `</table>`.
fn table<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let t = &html[start..];
    &t[..t.find("</table>").unwrap()]
}

/// A row `<th scope="row">{name}</th>` followed by the cells `cells`.
fn row(name: &str, cells: &[&str]) -> String {
    let mut s = format!("<th scope=\"row\">{name}</th>");
    for c in cells {
        s.push_str(&format!("<td class=\"num\">{c}</td>"));
    }
    s
}

async fn post_ok(app: &TestApp, path: &str, body: Value, token: &str) -> Value {
    let (s, v) = app.post_json(path, &body, Some(token)).await;
    assert!(s == 200 || s == 201, "{path}: {s} {v}");
    v
}

async fn survey(app: &TestApp, admin: &str, name: &str, kind: &str) -> i64 {
    post_ok(
        app,
        "/api/v1/surveys",
        json!({"name": name, "kind": kind}),
        admin,
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

pub(crate) async fn import(app: &TestApp, admin: &str, survey: i64, csv: &str) {
    let (s, v) = app
        .post_raw(
            &format!("/api/v1/surveys/{survey}/responses/import"),
            "text/csv",
            csv.as_bytes().to_vec(),
            Some(admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}

/// The customers (s1 and l1 loyalty members), their purchases and location L1; returns an
/// admin token and the NPS survey's id.
pub(crate) async fn fill_customers(app: &TestApp) -> (String, i64) {
    let admin = app.admin().await;
    let customers: Vec<Value> = ["s1", "s2", "s3", "l1", "l2", "l3", "z"]
        .iter()
        .map(|c| json!({"external_id": c, "loyalty_member": *c == "s1" || *c == "l1"}))
        .collect();
    post_ok(
        app,
        "/api/v1/customers:batch",
        json!({"customers": customers}),
        &admin,
    )
    .await;
    let mut tx = Vec::new();
    let mut add = |c: &str, date: &str, amount: &str| {
        let n = tx.len();
        tx.push(
            json!({"external_id": format!("t{n}"), "customer": c, "date": date,
                       "amount": amount, "currency": "EUR"}),
        );
    };
    for c in ["s1", "s2", "s3", "l1", "l2", "l3"] {
        add(c, "2024-01-10", "100");
    }
    for c in ["s1", "s2", "s3"] {
        add(c, "2024-06-01", "50");
    }
    add("l1", "2023-12-01", "30");
    add("l1", "2022-06-01", "1000");
    add("z", "2025-12-31", "10");
    post_ok(
        app,
        "/api/v1/transactions:batch",
        json!({"transactions": tx}),
        &admin,
    )
    .await;
    app.store
        .upsert_location(&comeback_store::Location {
            code: "L1".into(),
            name: None,
            time_zone: "UTC".into(),
        })
        .await
        .unwrap();
    let nps = survey(app, &admin, "NPS", "nps").await;
    (admin, nps)
}

/// The answers: NPS and CSAT of the six customers, exit interviews of l1 and l2.
pub(crate) async fn fill_answers(app: &TestApp, admin: &str, nps: i64) {
    import(
        app,
        admin,
        nps,
        "customer,recommend,why,submitted_at,language,location\n\
         s1,9,The staff were friendly and helpful,2024-01-15,en,L1\n\
         s2,10,,2024-01-15,,L1\n\
         s3,8,,2024-01-15,,\n\
         l2,6,\"Way too expensive, honestly I expected more for my money.\",2024-01-15,en,\n\
         l3,9,,2024-01-15,,\n",
    )
    .await;
    let csat = survey(app, admin, "CSAT", "csat").await;
    import(
        app,
        admin,
        csat,
        "customer,satisfaction,submitted_at,location\n\
         s1,5,2024-01-15,L1\ns2,4,2024-01-15,\ns3,5,2024-01-15,\n\
         l1,2,2024-01-15,L1\nl2,1,2024-01-15,\nl3,4,2024-01-15,\n",
    )
    .await;
    let exit = survey(app, admin, "Exit", "exit").await;
    import(
        app,
        admin,
        exit,
        "customer,reasons,submitted_at\nl1,price|quality,2024-09-01\nl2,price,2024-09-01\n",
    )
    .await;
}

async fn voice_sections(app: &TestApp) {
    let (admin, nps) = fill_customers(app).await;
    // Nothing answered: every section says so.
    let (s, html) = page(app, "/surveys?lang=en", &admin).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("id=\"ratings-none\""), "{html}");
    assert!(html.contains("id=\"predictors-none\""), "{html}");
    assert!(
        html.contains("Not enough data: no answer from a known customer"),
        "{html}"
    );
    let (s, v) = app.get("/api/v1/survey-predictors", Some(&admin)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["enough_data"], false);
    assert_eq!(v["metrics"], json!([]));

    // One retained and one defected customer: a table, but no AUC yet.
    import(
        app,
        &admin,
        nps,
        "customer,recommend,submitted_at\nl1,3,2024-01-15\n",
    )
    .await;
    let (s, html) = page(app, "/surveys?lang=en", &admin).await;
    assert_eq!(s, 200);
    assert!(html.contains("id=\"predictors-not-enough\""), "{html}");
    assert!(
        table(&html, "predictors").contains("too few customers"),
        "{html}"
    );

    fill_answers(app, &admin, nps).await;
    let (s, html) = page(app, "/surveys?lang=en", &admin).await;
    assert_eq!(s, 200, "{html}");
    // Members s1 (9) and l1 (3): one promoter, one detractor → NPS 0. Others s2 10, s3 8,
    // l2 6, l3 9: 2 promoters, 1 detractor of 4 → 25.
    let t = table(&html, "nps-by-membership");
    assert!(t.contains(&row("Loyalty members", &["2", "0.0"])), "{t}");
    assert!(t.contains(&row("Other customers", &["4", "25.0"])), "{t}");
    // CSAT: 5, 4, 5, 2, 1, 4 → 4 of 6 in the top two boxes; at L1 s1 5 and l1 2 → 1 of 2.
    let t = table(&html, "rating-csat");
    assert!(t.contains(&row("All answers", &["6", "67%"])), "{t}");
    assert!(t.contains(&row("L1", &["2", "50%"])), "{t}");
    // Predictors. CSAT: retained {5, 4, 5} vs defected {2, 1, 4}: 8.5 of 9 pairs → 0.944;
    // NPS: {9, 10, 8} vs {3, 6, 9}: 7.5 of 9 → 0.833; CSAT first.
    assert!(!html.contains("id=\"predictors-not-enough\""), "{html}");
    let t = table(&html, "predictors");
    let csat = t.find("Satisfaction (CSAT, 1–5)").expect(t);
    let nps_at = t.find("NPS (0–10)").expect(t);
    assert!(csat < nps_at, "{t}");
    assert!(
        t.contains(&row("Satisfaction (CSAT, 1–5)", &["6", "3", "0.944"])),
        "{t}"
    );
    assert!(t.contains(&row("NPS (0–10)", &["6", "3", "0.833"])), "{t}");
    let (s, v) = app.get("/api/v1/survey-predictors", Some(&admin)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["enough_data"], true);
    assert_eq!(v["observation_end"], "2025-12-31");
    assert_eq!(v["metrics"][0]["metric"], "csat");
    assert!(
        (v["metrics"][0]["auc"].as_f64().unwrap() - 8.5 / 9.0).abs() < 1e-12,
        "{v}"
    );
    assert!(
        (v["metrics"][1]["auc"].as_f64().unwrap() - 7.5 / 9.0).abs() < 1e-12,
        "{v}"
    );
    assert_eq!(v["counts"]["customers_retained"], 3);
    // Promoters s1, s2, l3: 2 of 3 retained.
    let promoters = &v["nps"]["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class"] == "promoter")
        .unwrap()
        .clone();
    assert_eq!(
        (promoters["n"].clone(), promoters["retained"].clone()),
        (json!(3), json!(2))
    );
    // The comments by reason: what the CLI's classifier says about the same texts.
    let classifier = comeback_voice::classify::Classifier::builtin();
    let price = classifier.classify(
        "Way too expensive, honestly I expected more for my money.",
        Some(comeback_voice::classify::Language::En),
    );
    assert!(price.labels().contains(&"price"), "{price:?}");
    let t = table(&html, "comment-reasons");
    assert!(
        t.contains("<th scope=\"row\">Price</th><td class=\"num\">1</td>"),
        "{t}"
    );
    assert!(
        t.contains("<q>Way too expensive, honestly I expected more for my money.</q>"),
        "{t}"
    );
    // Exit: price by l1 and l2. Yearly lost revenue: l1 30 + 100 (2022's 1000 is older
    // than a year before the last purchase), l2 100 → €230; quality: l1 → €130.
    let t = table(&html, "exit-reasons");
    assert!(t.contains("Revenue lost per year"), "{t}");
    assert!(t.contains("<th scope=\"row\">Price</th><td class=\"num\">2</td><td class=\"num\">100%</td><td class=\"num\">€230</td>"), "{t}");
    assert!(t.contains("<th scope=\"row\">Quality</th><td class=\"num\">1</td><td class=\"num\">50%</td><td class=\"num\">€130</td>"), "{t}");
    assert!(html.contains("2 exit interviews answered."), "{html}");
    // The same in Finnish and French: the counts choose their forms.
    let (_, fi) = page(app, "/surveys?lang=fi", &admin).await;
    assert!(fi.contains("2 lähtöhaastattelua vastattu."), "{fi}");
    assert!(
        table(&fi, "nps-by-membership").contains("Kanta-asiakkaat"),
        "{fi}"
    );
    let (s, m) = app.get("/api/v1/survey-metrics", Some(&admin)).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["csat"]["overall"][0]["n"], 6);
    assert_eq!(m["csat"]["overall"][0]["successes"], 4);
    assert_eq!(m["csat"]["by_location"][0]["group"], "L1");
    assert_eq!(m["ces"]["overall"], json!([]));
    // The same answers as the files the CLI reads.
    let resp = app
        .client
        .get(app.url("/api/v1/survey-metrics/export?file=csat"))
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
    assert_eq!(
        resp.text().await.unwrap(),
        "customer,date,location,employee,csat\ns1,2024-01-15,L1,,5\ns2,2024-01-15,,,4\n\
         s3,2024-01-15,,,5\nl1,2024-01-15,L1,,2\nl2,2024-01-15,,,1\nl3,2024-01-15,,,4\n"
    );
    let resp = app
        .client
        .get(app.url("/api/v1/survey-metrics/export?file=predictors"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let text = resp.text().await.unwrap();
    assert!(
        text.starts_with("customer,date,nps,csat\nl1,2024-01-15,3,\n"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 13, "{text}");
    let (s, e) = app
        .get("/api/v1/survey-metrics/export?file=nope", Some(&admin))
        .await;
    assert!(s == 400 || s == 422, "{s} {e}");
    assert!(
        html.contains("/api/v1/survey-metrics/export?file=csat"),
        "{html}"
    );
    // Staff may not.
    let staff = app.token(comeback_store::Role::Staff).await;
    let (s, _) = app.get("/api/v1/survey-metrics", Some(&staff)).await;
    assert_eq!(s, 403);
}
server_test!(surveys_page_voice_sections, voice_sections);

async fn one_exit_interview_in_the_singular(app: &TestApp) {
    let (admin, _) = fill_customers(app).await;
    let exit = survey(app, &admin, "Exit", "exit").await;
    import(
        app,
        &admin,
        exit,
        "customer,reasons,submitted_at\nl1,price,2024-09-01\n",
    )
    .await;
    for (lang, text) in [
        ("en", "1 exit interview answered."),
        ("fi", "1 lähtöhaastattelu vastattu."),
        ("de", "1 Austrittsbefragung beantwortet."),
        ("fr", "1 entretien de départ répondu."),
        ("es", "1 entrevista de salida respondida."),
        ("pt", "1 entrevista de saída respondida."),
    ] {
        let (s, html) = page(app, &format!("/surveys?lang={lang}"), &admin).await;
        assert_eq!(s, 200);
        assert!(html.contains(text), "{lang}: {html}");
    }
}
server_test!(counts_in_the_singular, one_exit_interview_in_the_singular);

/// A `dimensions` survey of its own (cleanliness and speed) with 20 answers: its dimensions
/// get rows on `/surveys` labelled with the definition's texts in the viewer's language
/// (English, then any, when the language has none), in `GET /api/v1/survey-metrics`, in
/// the export's columns and in the predictors; ids that name other columns are refused.
///
/// The answers (2024-01-15): s1 5/4 at L1, s2 4/5 at L1, s3 5/3, l1 2/2 at L1, l2 1/3,
/// l3 3/1 (cleanliness/speed), and 14 anonymous cleanliness 4. Cleanliness: 76 / 20 = 3.8,
/// sd √0.8, se 0.2, t₁₉ 2.093024 → 3.381395 – 4.218605; at L1 (5, 4, 2) 11 / 3. Speed:
/// 18 / 6 = 3.
async fn own_dimensions(app: &TestApp) {
    let (admin, _) = fill_customers(app).await;
    for (id, field) in [("date", "questions[0].id"), ("nps", "questions[0].id")] {
        let (s, v) = app
            .post_json(
                "/api/v1/surveys",
                &json!({"name": "Visit", "kind": "dimensions",
                    "questions": [{"id": id, "text": {"en": "x"}}]}),
                Some(&admin),
            )
            .await;
        assert_eq!(s, 422, "{v}");
        let f = &v["error"]["fields"][0];
        assert_eq!(f["field"], field, "{v}");
        assert!(f["message"].as_str().unwrap().contains(id), "{v}");
    }
    let visit = post_ok(
        app,
        "/api/v1/surveys",
        json!({"name": "Visit", "kind": "dimensions", "questions": [
            {"id": "cleanliness", "text": {"en": "Cleanliness", "fi": "Siisteys & järjestys"}},
            {"id": "speed", "text": {"en": "Speed of service"}}]}),
        &admin,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let mut csv = String::from("customer,submitted_at,location,cleanliness,speed\n");
    for (c, clean, speed, loc) in [
        ("s1", 5, 4, "L1"),
        ("s2", 4, 5, "L1"),
        ("s3", 5, 3, ""),
        ("l1", 2, 2, "L1"),
        ("l2", 1, 3, ""),
        ("l3", 3, 1, ""),
    ] {
        csv.push_str(&format!("{c},2024-01-15,{loc},{clean},{speed}\n"));
    }
    for _ in 0..14 {
        csv.push_str(",2024-01-15,,4,\n");
    }
    import(app, &admin, visit, &csv).await;

    let (s, m) = app.get("/api/v1/survey-metrics", Some(&admin)).await;
    assert_eq!(s, 200, "{m}");
    let overall = m["dimensions"]["overall"].as_array().unwrap();
    let dims: Vec<&str> = overall
        .iter()
        .map(|r| r["dimension"].as_str().unwrap())
        .collect();
    assert_eq!(dims, ["cleanliness", "speed"], "{m}");
    let close = |v: &Value, want: f64| {
        assert!((v.as_f64().unwrap() - want).abs() < 1e-6, "{v} vs {want}");
    };
    assert_eq!(overall[0]["n"], 20);
    close(&overall[0]["mean"], 3.8);
    close(&overall[0]["sd"], 0.8f64.sqrt());
    close(&overall[0]["ci_low"], 3.381_395_189);
    close(&overall[0]["ci_high"], 4.218_604_811);
    assert_eq!(overall[1]["n"], 6);
    close(&overall[1]["mean"], 3.0);
    let l1 = &m["dimensions"]["by_location"];
    assert_eq!(l1[0]["group"], "L1");
    assert_eq!(l1[0]["dimension"], "cleanliness");
    assert_eq!(l1[0]["n"], 3);
    close(&l1[0]["mean"], 11.0 / 3.0);

    // The page, in English and in Finnish (speed has English only).
    let (s, html) = page(app, "/surveys?lang=en", &admin).await;
    assert_eq!(s, 200, "{html}");
    let t = table(&html, "rating-dimensions");
    assert!(
        t.contains(&row(
            "All answers · Cleanliness",
            &["20", "3.80", "3.38 – 4.22"]
        )),
        "{t}"
    );
    assert!(
        t.contains(&row("All answers · Speed of service", &["6", "3.00"])),
        "{t}"
    );
    assert!(t.contains(&row("L1 · Cleanliness", &["3", "3.67"])), "{t}");
    let (_, fi) = page(app, "/surveys?lang=fi", &admin).await;
    let t = table(&fi, "rating-dimensions");
    assert!(
        t.contains("<th scope=\"row\">Kaikki vastaukset · Siisteys &amp; järjestys</th>"),
        "{t}"
    );
    assert!(
        t.contains("<th scope=\"row\">Kaikki vastaukset · Speed of service</th>"),
        "{t}"
    );

    // Predictors: retained s1–s3 rated cleanliness 5, 4, 5, defected l1–l3 2, 1, 3 (AUC 1);
    // speed 4, 5, 3 against 2, 3, 1: 8.5 of 9 pairs.
    let (s, p) = app.get("/api/v1/survey-predictors", Some(&admin)).await;
    assert_eq!(s, 200, "{p}");
    let metrics: Vec<&str> = p["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["metric"].as_str().unwrap())
        .collect();
    assert_eq!(metrics, ["cleanliness", "speed"], "{p}");
    close(&p["metrics"][0]["auc"], 1.0);
    close(&p["metrics"][1]["auc"], 8.5 / 9.0);
    let t = table(&html, "predictors");
    assert!(t.contains(&row("Cleanliness", &["6", "3", "1.000"])), "{t}");
    assert!(
        t.contains(&row("Speed of service", &["6", "3", "0.944"])),
        "{t}"
    );

    // The export's columns are the ids the surveys ask.
    let resp = app
        .client
        .get(app.url("/api/v1/survey-metrics/export?file=dimensions"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.text().await.unwrap();
    assert!(
        text.starts_with(
            "customer,date,location,employee,cleanliness,speed\n\
             s1,2024-01-15,L1,,5,4\ns2,2024-01-15,L1,,4,5\n"
        ),
        "{text}"
    );
    assert!(text.ends_with("\n,2024-01-15,,,4,\n"), "{text}");
    assert_eq!(text.lines().count(), 21, "{text}");
    let resp = app
        .client
        .get(app.url("/api/v1/survey-metrics/export?file=predictors"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let text = resp.text().await.unwrap();
    assert!(
        text.starts_with("customer,date,cleanliness,speed\ns1,2024-01-15,5,4\n"),
        "{text}"
    );
}
server_test!(a_surveys_own_dimensions, own_dimensions);
