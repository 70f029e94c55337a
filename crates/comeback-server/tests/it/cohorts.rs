//! Subscriptions and cohorts over HTTP: the Fader–Hardie (2007) fixture uploaded as a file
//! gives, from the store, exactly the cohort tables and sBG of
//! `comeback_analysis::contractual::contractual_cohorts` on the same file read as
//! `comeback cohorts` reads it, and the sBG of `comeback fit --model sbg` on the published
//! counts; hand-computed tables with reactivation; per-row upload errors with line and
//! column; parameters and currencies; loyalty enrolments; the `/cohorts` page.

use comeback_analysis::contractual::{CohortOptions, Subscription, contractual_cohorts};
use comeback_core::Day;
use comeback_ingest::{TableOptions, read_table_path};
use comeback_models::fit::FitOptions;
use comeback_models::sbg::{Sbg, Survivors};
use comeback_store::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, server_test};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/examples/subscriptions/fh2007.csv"
);

/// Fader & Hardie (2007), Table 1.
const REGULAR: [f64; 8] = [1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0];
const HIGH_END: [f64; 8] = [1000.0, 869.0, 743.0, 653.0, 593.0, 551.0, 517.0, 491.0];

/// The fixture read as `comeback cohorts` reads a file (crates/comeback/src/cmd/cohorts.rs:
/// `comeback_ingest::table`, MRR as a plain decimal number).
fn cli_subscriptions() -> Vec<Subscription> {
    let t = read_table_path(std::path::Path::new(FIXTURE), &TableOptions::default()).unwrap();
    let col = |n: &str| t.column(n).unwrap();
    let (c, s, e, m) = (col("customer_id"), col("start"), col("end"), col("mrr"));
    t.rows
        .iter()
        .map(|r| Subscription {
            customer: r.get(c).to_owned(),
            start: t.parse_day(r, s).unwrap().unwrap(),
            end: t.parse_day(r, e).unwrap(),
            mrr: t.parse_number(r, m).unwrap().unwrap(),
        })
        .collect()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// `x` as it reads back from a JSON answer: serde_json's default number parser is not
/// always correctly rounded (the `float_roundtrip` feature is off), so an exact comparison
/// sends the expected value through the same printing and parsing.
fn wire(x: f64) -> f64 {
    serde_json::from_str(&serde_json::to_string(&x).unwrap()).unwrap()
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-9 * b.abs().max(1.0),
        "{what}: {a} vs {b}"
    );
}

async fn upload(app: &TestApp, query: &str, body: &str, token: &str) -> (u16, Value) {
    app.post_raw(
        &format!("/api/v1/uploads/subscriptions{query}"),
        "text/csv",
        body.as_bytes().to_vec(),
        Some(token),
    )
    .await
}

async fn store_equals_cli(app: &TestApp) {
    let manager = app.token(Role::Manager).await;
    let staff = app.token(Role::Staff).await;
    let file = std::fs::read_to_string(FIXTURE).unwrap();
    // Nothing stored: no cohorts, no observation end.
    let (s, empty) = app.get("/api/v1/cohorts", Some(&manager)).await;
    assert_eq!(s, 200, "{empty}");
    assert_eq!(empty["cohorts"], json!([]));
    assert_eq!(empty["observation_end"], Value::Null);
    // Staff may not send subscriptions nor read cohorts. (A small body: the server answers
    // 403 without reading it, and a large unread body would break the kept-alive
    // connection for the next request.)
    assert_eq!(
        upload(app, "", "customer_id,start,end,mrr\n", &staff)
            .await
            .0,
        403
    );
    assert_eq!(app.get("/api/v1/cohorts", Some(&staff)).await.0, 403);

    let (s, up) = upload(app, "", &file, &manager).await;
    assert_eq!(s, 200, "{up}");
    assert_eq!(
        up,
        json!({"rows": 2000, "inserted": 2000, "updated": 0, "unchanged": 0, "customers": 2000})
    );
    // Re-uploading the same file changes nothing.
    let (s, again) = upload(app, "", &file, &manager).await;
    assert_eq!(s, 200);
    assert_eq!(again["unchanged"], 2000);

    let (s, api) = app
        .get("/api/v1/cohorts?observation_end=2020-09-15", Some(&manager))
        .await;
    assert_eq!(s, 200, "{api}");
    assert_eq!(api["currency"], "EUR");
    assert_eq!(api["observation_end"], "2020-09-15");
    assert_eq!(api["reactivation"], "exclude");
    assert_eq!(api["discount_rate_monthly"], 0.01);

    // The library on the file as the CLI reads it.
    let want = contractual_cohorts(
        &cli_subscriptions(),
        &CohortOptions::new(Day::parse_iso("2020-09-15").unwrap()),
    )
    .unwrap();
    let got = api["cohorts"].as_array().unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(want.len(), 2);
    for ((g, w), published) in got.iter().zip(&want).zip([REGULAR, HIGH_END]) {
        assert_eq!(g["cohort"], format!("{}-{:02}", w.year, w.month));
        assert_eq!(g["customers"], w.customers);
        let months = g["months"].as_array().unwrap();
        assert_eq!(months.len(), 8);
        for (gm, wm) in months.iter().zip(&w.months) {
            // The tables: exactly equal (as printed in JSON).
            assert_eq!(gm["month"], wm.month);
            assert_eq!(gm["active"], wm.active);
            assert_eq!(f(&gm["logo_retention"]), wire(wm.logo_retention));
            assert_eq!(f(&gm["mrr"]), wire(wm.mrr));
            assert_eq!(f(&gm["revenue_retention"]), wire(wm.revenue_retention));
            assert_eq!(f(&gm["grr"]), wire(wm.grr));
        }
        assert_eq!(
            months.iter().map(|m| f(&m["active"])).collect::<Vec<_>>(),
            published
        );
        let sbg = &g["sbg"];
        let ws = w.sbg.as_ref().unwrap();
        assert_eq!(sbg["survivors"], json!(published));
        for (k, v) in [
            ("alpha", ws.alpha),
            ("beta", ws.beta),
            ("log_likelihood", ws.log_likelihood),
            (
                "discounted_expected_lifetime_months",
                ws.discounted_expected_lifetime,
            ),
            ("derl_months", ws.derl),
            ("residual_value", ws.residual_value),
        ] {
            close(f(&sbg[k]), v, k);
        }
        for (a, b) in sbg["projected_retention"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&ws.projected_retention)
        {
            close(f(a), *b, "projected_retention");
        }
        assert_eq!(sbg["projected_retention"].as_array().unwrap().len(), 12);
        // `comeback fit --model sbg --survivors ...` fits the same counts the same way.
        let fit = Sbg::fit(&Survivors::new(&published).unwrap(), &FitOptions::default())
            .unwrap()
            .model;
        close(f(&sbg["alpha"]), fit.alpha(), "alpha vs fit --model sbg");
        close(f(&sbg["beta"]), fit.beta(), "beta vs fit --model sbg");
    }
    // And the published estimates (3 decimals): regular α 0.704, β 1.182; high-end α 0.668,
    // β 3.806.
    for (g, (a, b)) in got.iter().zip([(0.704, 1.182), (0.668, 3.806)]) {
        assert!((f(&g["sbg"]["alpha"]) - a).abs() < 5e-4, "{}", g["sbg"]);
        assert!((f(&g["sbg"]["beta"]) - b).abs() < 5e-4, "{}", g["sbg"]);
        // α < 1: the expected lifetime is unbounded.
        assert_eq!(g["sbg"]["expected_lifetime_months"], Value::Null);
    }
    // Residual value: 241 active × 9.90 × DERL.
    close(
        f(&got[0]["sbg"]["residual_value"]),
        241.0 * 9.9 * f(&got[0]["sbg"]["derl_months"]),
        "residual value",
    );
    // Default observation end: the latest day stored (the last end, 2020-09-07).
    let (_, d) = app.get("/api/v1/cohorts", Some(&manager)).await;
    assert_eq!(d["observation_end"], "2020-09-07");

    // The page shows the same numbers.
    let (s, html) = page(app, "/cohorts?observation_end=2020-09-15", &manager).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("Cohort 2020-01: 1,000 customers"), "{html}");
    assert!(html.contains("amounts in EUR; months"), "{html}");
    assert!(html.contains("data-cohort=\"2020-02\""), "{html}");
    assert!(html.contains("<dd data-sbg=\"alpha\">0.704</dd>"), "{html}");
    assert!(html.contains("<dd data-sbg=\"beta\">3.806</dd>"), "{html}");
    assert!(html.contains("unbounded (α ≤ 1)"), "{html}");
    // Month 7 of the regular cohort: 241 of 1,000 (24.1 %).
    assert!(
        html.contains(
            "<tr data-month=\"7\"><th scope=\"row\" class=\"num\">7</th><td class=\"num\">241</td><td class=\"num\">24.1"
        ),
        "{html}"
    );
    let (s, fi) = page(app, "/cohorts?lang=fi", &manager).await;
    assert_eq!(s, 200);
    assert!(fi.contains("Tilauskohortit"), "{fi}");
    assert!(fi.contains("Kohortti 2020-01"), "{fi}");
    let (s, bad) = page(app, "/cohorts?discount_rate=abc", &manager).await;
    assert_eq!(s, 422);
    assert!(bad.contains("id=\"cohorts-error\""), "{bad}");
    assert_eq!(page(app, "/cohorts", &staff).await.0, 403);
}
server_test!(cohorts_from_the_store_equal_the_cli, store_equals_cli);

async fn page(app: &TestApp, path: &str, token: &str) -> (u16, String) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap().replace("&#x2f;", "/"))
}

/// The three customers of the CLI's hand-computed test (crates/comeback/tests/it/cohorts.rs),
/// sent as a JSON batch in USD beside the EUR fixture's rows: a: 10 a month plus 30 from
/// 2024-02-10 → 10, 40, 40; b: 20, cancels 2024-02-15, back 2024-03-01 → 20, 0, 20;
/// c: 30, downgrades to 15 on 2024-03-01 → 30, 30, 15. Exclude: active 3, 2, 2, MRR 60,
/// 70, 55, GRR 40/60 and 25/60; count: month 2 has 3 active, MRR 75, GRR 45/60.
async fn hand_computed(app: &TestApp) {
    let manager = app.token(Role::Manager).await;
    let row = |id: &str, c: &str, start: &str, end: Option<&str>, mrr: &str| {
        json!({"external_id": id, "customer": c, "start": start, "end": end, "mrr": mrr,
               "currency": "USD", "plan": "pro"})
    };
    let batch = json!({"subscriptions": [
        row("a1", "a", "2024-01-10", None, "10"),
        row("a2", "a", "2024-02-10", None, "30"),
        row("b1", "b", "2024-01-15", Some("2024-02-15"), "20"),
        row("b2", "b", "2024-03-01", None, "20"),
        row("c1", "c", "2024-01-20", Some("2024-03-01"), "30"),
        row("c2", "c", "2024-03-01", None, "15"),
    ]});
    let (s, r) = app
        .post_json("/api/v1/subscriptions:batch", &batch, Some(&manager))
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r, json!({"inserted": 6, "updated": 0, "unchanged": 0}));
    let (s, r) = upload(
        app,
        "",
        "customer_id,start,end,mrr,currency\nz,2024-01-05,,5,EUR\n",
        &manager,
    )
    .await;
    assert_eq!(s, 200, "{r}");
    // Two currencies stored: one must be chosen.
    let (s, e) = app.get("/api/v1/cohorts", Some(&manager)).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["fields"][0]["field"], "currency");
    // Not a currency code (schemathesis: a NUL byte was a PostgreSQL 500): a 422.
    for bad in ["U%00SD", "usd", "EURO", ""] {
        let (s, e) = app
            .get(&format!("/api/v1/cohorts?currency={bad}"), Some(&manager))
            .await;
        assert_eq!(s, 422, "{bad}: {e}");
        assert_eq!(e["error"]["fields"][0]["field"], "currency", "{bad}");
    }
    let q = "/api/v1/cohorts?currency=USD&observation_end=2024-04-15";
    let (s, j) = app.get(q, Some(&manager)).await;
    assert_eq!(s, 200, "{j}");
    let m = j["cohorts"][0]["months"].as_array().unwrap();
    assert_eq!(j["cohorts"].as_array().unwrap().len(), 1);
    assert_eq!(j["cohorts"][0]["customers"], 3);
    let col = |k: &str| m.iter().map(|x| x[k].clone()).collect::<Vec<_>>();
    assert_eq!(col("active"), [3, 2, 2].map(Value::from));
    assert_eq!(col("mrr"), [60.0, 70.0, 55.0].map(Value::from));
    assert_eq!(m[1]["revenue_retention"], 70.0 / 60.0);
    assert_eq!(m[1]["grr"], 40.0 / 60.0);
    assert_eq!(m[2]["grr"], 25.0 / 60.0);
    assert_eq!(m[2]["logo_retention"], 2.0 / 3.0);
    // The page of the EUR cohort: one customer (singular), the footer names EUR.
    let (s, html) = page(
        app,
        "/cohorts?currency=EUR&observation_end=2024-04-15",
        &manager,
    )
    .await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("Cohort 2024-01: 1 customer</h2>"), "{html}");
    assert!(
        html.contains("<p>Comeback: amounts in EUR; months of 30.4375 days.</p>"),
        "{html}"
    );
    assert!(!html.contains("amounts in USD"), "{html}");
    let (_, j) = app
        .get(&format!("{q}&reactivation=count"), Some(&manager))
        .await;
    assert_eq!(j["reactivation"], "count");
    let m2 = &j["cohorts"][0]["months"][2];
    assert_eq!(m2["active"], 3);
    assert_eq!(m2["mrr"], 75.0);
    assert_eq!(m2["grr"], 45.0 / 60.0);

    // A cancellation re-sent updates the row: b2 ends 2024-04-01 (after the window).
    let (s, r) = app
        .post_json(
            "/api/v1/subscriptions:batch",
            &json!({"subscriptions": [row("b2", "b", "2024-03-01", Some("2024-04-01"), "20")]}),
            Some(&manager),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r, json!({"inserted": 0, "updated": 1, "unchanged": 0}));

    // Bad parameters are 422 naming the parameter.
    for (query, field) in [
        ("discount_rate=0", "discount_rate"),
        ("projection_months=121", "projection_months"),
        ("observation_end=2024-13-01", "observation_end"),
    ] {
        let (s, e) = app
            .get(
                &format!("/api/v1/cohorts?currency=USD&{query}"),
                Some(&manager),
            )
            .await;
        assert_eq!(s, 422, "{query}: {e}");
        assert_eq!(e["error"]["fields"][0]["field"], field, "{e}");
    }
    let (s, _) = app
        .get("/api/v1/cohorts?reactivation=maybe", Some(&manager))
        .await;
    assert_eq!(s, 422);

    // A bad batch: every row named, nothing stored.
    let (s, e) = app
        .post_json(
            "/api/v1/subscriptions:batch",
            &json!({"subscriptions": [
                row("d1", "d", "2024-01-01", Some("2023-12-01"), "10"),
                row("d2", "d", "2024-02-30", None, "10"),
                row("d3", "d", "2024-01-01", None, "-4"),
                row("a1", "d", "2024-01-10", None, "10"),
            ]}),
            Some(&manager),
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
        [(1, "start".to_owned()), (2, "mrr".to_owned())],
        "{e}"
    );
    let (s, e) = app
        .post_json(
            "/api/v1/subscriptions:batch",
            &json!({"subscriptions": [
                row("d1", "d", "2024-01-01", Some("2023-12-01"), "10"),
                row("a1", "d", "2024-01-10", None, "10"),
            ]}),
            Some(&manager),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["rows"][0]["field"], "end", "{e}");
    assert_eq!(e["error"]["rows"][1]["field"], "customer", "{e}");
    assert_eq!(app.store.subscriptions(None).await.unwrap().len(), 7);
}
server_test!(cohorts_hand_computed, hand_computed);

/// Upload errors: every bad row with its line and column, nothing stored.
async fn upload_errors(app: &TestApp) {
    let manager = app.token(Role::Manager).await;
    let body = "customer_id,start,end,mrr\n\
                a,2024-01-10,2024-01-10,10\n\
                b,2024-01-10,,-3\n\
                c,,,3\n\
                d,2024-01-10,,ten\n\
                ,2024-01-10,,10\n\
                f,2024-01-10,,1.5\n";
    let (s, e) = upload(app, "", body, &manager).await;
    assert_eq!(s, 422, "{e}");
    let rows = e["error"]["rows"].as_array().unwrap();
    let got: Vec<(u64, &str)> = rows
        .iter()
        .map(|r| (r["row"].as_u64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            (2, "end"),
            (3, "mrr"),
            (4, "start"),
            (5, "mrr"),
            (6, "customer_id")
        ],
        "{e}"
    );
    assert!(
        rows[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("upload:2: column \"end\": cannot parse \"2024-01-10\" as an end day"),
        "{e}"
    );
    assert!(app.store.subscriptions(None).await.unwrap().is_empty());
    // A missing column names the headers.
    let (s, e) = upload(
        app,
        "",
        "customer_id,begin,end,mrr\na,2024-01-01,,1\n",
        &manager,
    )
    .await;
    assert_eq!(s, 422, "{e}");
    assert!(
        e["error"]["rows"][0]["message"]
            .as_str()
            .unwrap()
            .contains("start"),
        "{e}"
    );
    // Store-side refusals name the file line: a customer id longer than 200 bytes on line 3.
    let long = format!(
        "customer_id;start;end;mrr\nok;2024-01-01;;1\n{};2024-01-01;;1\n",
        "x".repeat(201)
    );
    let (s, e) = upload(app, "?currency=EUR", &long, &manager).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["rows"][0]["row"], 3, "{e}");
    // Other column names, a decimal comma and day-first dates.
    let (s, r) = upload(
        app,
        "?customer_col=client&start_col=debut&end_col=fin&mrr_col=montant&decimal_comma=true&date_format=%25d%2F%25m%2F%25Y&currency=EUR",
        "client;debut;fin;montant\nx;10/01/2024;;9,90\n",
        &manager,
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let stored = app.store.subscriptions(None).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].mrr.micros(), 9_900_000);
    assert_eq!(stored[0].start, Day::parse_iso("2024-01-10").unwrap());
    assert_eq!(stored[0].currency, "EUR");
}
server_test!(subscription_upload_errors, upload_errors);

/// Loyalty enrolments: stored, flagged members, bad rows named.
async fn enrolments(app: &TestApp) {
    let manager = app.token(Role::Manager).await;
    let (s, r) = app
        .post_json(
            "/api/v1/loyalty/enrolments:batch",
            &json!({"enrolments": [
                {"customer": "m1", "enrolled_on": "2024-02-01"},
                {"customer": "m2", "enrolled_on": "2024-03-01"}
            ]}),
            Some(&manager),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r, json!({"inserted": 2, "updated": 0, "unchanged": 0}));
    assert_eq!(app.store.loyalty_members().await.unwrap(), ["m1", "m2"]);
    let (s, e) = app
        .post_json(
            "/api/v1/loyalty/enrolments:batch",
            &json!({"enrolments": [
                {"customer": "m3", "enrolled_on": "2024-02-31"},
                {"customer": "m4", "enrolled": "2024-02-01"}
            ]}),
            Some(&manager),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["rows"][0]["field"], "enrolled_on", "{e}");
    assert_eq!(e["error"]["rows"][1]["row"], 1, "{e}");
    assert_eq!(app.store.loyalty_enrolments().await.unwrap().len(), 2);
}
server_test!(loyalty_enrolments, enrolments);
