//! The JSON API end to end: batch ingest, idempotency, all-or-nothing rejection with
//! per-row errors, erasure, CSV upload through the CLI's parser, scores.

use serde_json::{Value, json};

use crate::helpers::{TestApp, server_test};

/// Path of a file in the repository's `data/` folder.
fn data_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

/// Percent-encodes a path segment (everything but unreserved characters).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn batch() -> Value {
    json!({"transactions": [
        {"external_id": "t1", "customer": "c 1/ä", "occurred_at": "2024-03-01T10:00:00Z",
         "amount": "12.50", "currency": "EUR", "channel": "store"},
        {"external_id": "t2", "customer": "c 1/ä", "date": "2024-03-08",
         "amount": "7.25", "currency": "EUR"},
        {"external_id": "t3", "customer": "c2", "occurred_at": "2024-03-02T23:30:00Z",
         "amount": "100", "currency": "EUR"},
        {"external_id": "t4", "customer": "c 1/ä", "date": "2024-03-08",
         "amount": "0.75", "currency": "EUR"},
    ]})
}

async fn customer_count(app: &TestApp, token: &str) -> usize {
    let (s, v) = app.get("/api/v1/customers?limit=1000", Some(token)).await;
    assert_eq!(s, 200, "{v}");
    v["items"].as_array().unwrap().len()
}

async fn health_is_open(app: &TestApp) {
    let (s, v) = app.get("/health", None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "ok");
    let backend = if app.settings.database_url.starts_with("sqlite") {
        "sqlite"
    } else {
        "postgres"
    };
    assert_eq!(v["database"], backend);
}
server_test!(health, health_is_open);

async fn batch_then_list_and_detail(app: &TestApp) {
    let admin = app.admin().await;
    let (s, v) = app
        .post_json("/api/v1/transactions:batch", &batch(), Some(&admin))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v, json!({"inserted": 4, "duplicates": 0}));

    let (s, v) = app.get("/api/v1/customers?limit=1", Some(&admin)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"][0]["external_id"], "c 1/ä");
    let cursor = v["next_cursor"].as_str().unwrap().to_owned();
    let (s, v) = app
        .get(
            &format!("/api/v1/customers?limit=1&cursor={cursor}"),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"][0]["external_id"], "c2");
    assert!(v["next_cursor"].is_null());
    let (_, v) = app.get("/api/v1/customers?q=C2", Some(&admin)).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);

    let (s, v) = app
        .get(&format!("/api/v1/customers/{}", enc("c 1/ä")), Some(&admin))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["customer"]["external_id"], "c 1/ä");
    let txs = v["transactions"].as_array().unwrap();
    assert_eq!(txs.len(), 3);
    assert_eq!(txs[0]["amount"], "12.50");
    assert_eq!(txs[0]["date"], "2024-03-01");
    // Two occasions (2024-03-01; 2024-03-08 twice = one occasion of 8.00): x = 1,
    // tₓ = 7 days, T = 7 days (no analysis yet: T runs to the last purchase), monetary
    // value = the one repeat occasion = 7.25 + 0.75.
    let sm = &v["summary"];
    assert_eq!(sm["transactions"], 3);
    assert_eq!(sm["frequency"], 1);
    assert_eq!(sm["recency_days"], 7.0);
    assert_eq!(sm["t_days"], 7.0);
    assert_eq!(sm["monetary_value"], 8.0);
    assert!(v["scores"].is_null());
    // No internal ids anywhere.
    assert!(!v.to_string().contains("\"id\""), "{v}");

    let (s, v) = app.get("/api/v1/customers/nobody", Some(&admin)).await;
    assert_eq!(s, 404, "{v}");
    assert_eq!(v["error"]["code"], "not_found");
}
server_test!(batch_list_detail, batch_then_list_and_detail);

async fn resend_is_idempotent(app: &TestApp) {
    let admin = app.admin().await;
    let (s, _) = app
        .post_json("/api/v1/transactions:batch", &batch(), Some(&admin))
        .await;
    assert_eq!(s, 200);
    let (s, v) = app
        .post_json("/api/v1/transactions:batch", &batch(), Some(&admin))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v, json!({"inserted": 0, "duplicates": 4}));
    let (_, v) = app
        .get(&format!("/api/v1/customers/{}", enc("c 1/ä")), Some(&admin))
        .await;
    assert_eq!(v["transactions"].as_array().unwrap().len(), 3);
    // The same external id with other content is a row error.
    let changed = json!({"transactions": [
        {"external_id": "t1", "customer": "c 1/ä", "occurred_at": "2024-03-01T10:00:00Z",
         "amount": "99", "currency": "EUR"}]});
    let (s, v) = app
        .post_json("/api/v1/transactions:batch", &changed, Some(&admin))
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["rows"][0]["row"], 0);
    assert_eq!(v["error"]["rows"][0]["field"], "external_id");
}
server_test!(idempotent_resend, resend_is_idempotent);

async fn malformed_batch_stores_nothing(app: &TestApp) {
    let admin = app.admin().await;
    let bad = json!({"transactions": [
        {"external_id": "ok1", "customer": "good", "date": "2024-01-01",
         "amount": "1", "currency": "EUR"},
        {"external_id": "bad1", "date": "2024-01-01", "amount": "1", "currency": "EUR"},
        {"external_id": "bad2", "customer": "x", "date": "2024-01-01",
         "amount": "1,5", "currency": "EUR"},
        {"external_id": "bad3", "customer": "y", "date": "2024-13-01",
         "amount": "1", "currency": "EUR"},
        {"external_id": "bad4", "customer": "z", "date": "2024-01-01",
         "amount": "1", "currency": "euro"},
    ]});
    let (s, v) = app
        .post_json("/api/v1/transactions:batch", &bad, Some(&admin))
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["code"], "batch_rejected");
    let rows: Vec<(u64, String)> = v["error"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(!r["message"].as_str().unwrap().is_empty());
            (
                r["row"].as_u64().unwrap(),
                r["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (1, "customer".to_owned()),
            (2, "amount".to_owned()),
            (3, "date".to_owned()),
        ],
        "{v}"
    );
    assert_eq!(customer_count(app, &admin).await, 0);

    // Without parse errors the store's checks answer, still per row.
    let bad = json!({"transactions": [
        {"external_id": "ok1", "customer": "good", "date": "2024-01-01",
         "amount": "1", "currency": "EUR"},
        {"external_id": "bad4", "customer": "z", "date": "2024-01-01",
         "amount": "1", "currency": "euro"},
        {"external_id": "bad5", "customer": "w", "date": "2024-01-01",
         "amount": "1", "currency": "EUR", "location": "nowhere"},
    ]});
    let (s, v) = app
        .post_json("/api/v1/transactions:batch", &bad, Some(&admin))
        .await;
    assert_eq!(s, 422, "{v}");
    let fields: Vec<&str> = v["error"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["currency", "location"], "{v}");
    assert_eq!(customer_count(app, &admin).await, 0);

    // Not JSON at all, or the wrong shape: 400 / 422 with the JSON error body.
    let (s, v) = app
        .post_raw(
            "/api/v1/transactions:batch",
            "application/json",
            b"{".to_vec(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["error"]["code"], "invalid_request");
    let (s, v) = app
        .post_json(
            "/api/v1/transactions:batch",
            &json!({"rows": 1}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 422, "{v}");
}
server_test!(malformed_batch, malformed_batch_stores_nothing);

async fn erased_customer_is_refused(app: &TestApp) {
    let admin = app.admin().await;
    app.post_json("/api/v1/transactions:batch", &batch(), Some(&admin))
        .await;
    let path = format!("/api/v1/customers/{}", enc("c2"));
    let (s, v) = app.get(&format!("{path}/export"), Some(&admin)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["customer"]["external_id"], "c2");
    assert_eq!(v["transactions"][0]["amount"], "100.00");

    let manager = app.token(comeback_store::Role::Manager).await;
    let (s, v) = app
        .post_json(&format!("{path}/erase"), &json!({}), Some(&manager))
        .await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = app
        .post_json(&format!("{path}/erase"), &json!({}), Some(&admin))
        .await;
    assert_eq!(s, 204, "{v}");
    let (s, _) = app.get(&path, Some(&admin)).await;
    assert_eq!(s, 404);
    let (s, _) = app
        .post_json(&format!("{path}/erase"), &json!({}), Some(&admin))
        .await;
    assert_eq!(s, 404);
    // Re-sending a batch that names the erased customer is refused whole.
    let again = json!({"transactions": [
        {"external_id": "t9", "customer": "c 1/ä", "date": "2024-04-01",
         "amount": "1", "currency": "EUR"},
        {"external_id": "t10", "customer": "c2", "date": "2024-04-01",
         "amount": "1", "currency": "EUR"}]});
    let (s, v) = app
        .post_json("/api/v1/transactions:batch", &again, Some(&admin))
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["rows"][0]["row"], 1);
    assert_eq!(v["error"]["rows"][0]["field"], "customer");
    let (_, v) = app
        .get(&format!("/api/v1/customers/{}", enc("c 1/ä")), Some(&admin))
        .await;
    assert_eq!(v["transactions"].as_array().unwrap().len(), 3);
    let audit = app.store.audit_log(10).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "customer.erase"));
}
server_test!(erasure, erased_customer_is_refused);

async fn customers_batch_upserts(app: &TestApp) {
    let admin = app.admin().await;
    let body = json!({"customers": [
        {"external_id": "k1", "name": "Ana", "email": "ana@example.com", "loyalty_member": true,
         "attributes": {"tier": "gold"}},
        {"external_id": "k2"}]});
    let (s, v) = app
        .post_json("/api/v1/customers:batch", &body, Some(&admin))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v, json!({"inserted": 2, "updated": 0, "unchanged": 0}));
    let (s, v) = app
        .post_json("/api/v1/customers:batch", &body, Some(&admin))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v, json!({"inserted": 0, "updated": 0, "unchanged": 2}));
    let (_, v) = app.get("/api/v1/customers/k1", Some(&admin)).await;
    assert_eq!(v["customer"]["name"], "Ana");
    assert_eq!(v["customer"]["attributes"]["tier"], "gold");
    assert!(v["summary"].is_null());
    let bad = json!({"customers": [{"external_id": "k3", "email": "not an email"},
                                  {"name": "no id"}]});
    let (s, v) = app
        .post_json("/api/v1/customers:batch", &bad, Some(&admin))
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["rows"][0]["row"], 1);
    assert_eq!(v["error"]["rows"][0]["field"], "external_id");
}
server_test!(customers_batch, customers_batch_upserts);

async fn roles_are_checked(app: &TestApp) {
    let staff = app.token(comeback_store::Role::Staff).await;
    let manager = app.token(comeback_store::Role::Manager).await;
    let (s, v) = app
        .post_json("/api/v1/transactions:batch", &batch(), Some(&staff))
        .await;
    assert_eq!(s, 403, "{v}");
    assert_eq!(v["error"]["code"], "forbidden");
    // A wrong role is refused before the body is looked at.
    let (s, _) = app
        .post_raw(
            "/api/v1/transactions:batch",
            "application/json",
            b"{".to_vec(),
            Some(&staff),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .post_json("/api/v1/transactions:batch", &batch(), Some(&manager))
        .await;
    assert_eq!(s, 200);
    let (s, _) = app.get("/api/v1/customers", Some(&staff)).await;
    assert_eq!(s, 200);
    let (s, _) = app.get("/api/v1/metrics", Some(&staff)).await;
    assert_eq!(s, 403);
    let (s, v) = app.get("/api/v1/metrics", Some(&manager)).await;
    assert_eq!(s, 503, "{v}");
    assert_eq!(v["error"]["message"], "scores not computed yet");
    let (s, v) = app
        .get("/api/v1/customers", Some("cbt_000000000000_0"))
        .await;
    assert_eq!(s, 401, "{v}");
}
server_test!(roles, roles_are_checked);

async fn managers_see_their_locations(app: &TestApp) {
    app.store
        .upsert_location(&comeback_store::Location {
            code: "HEL".to_owned(),
            name: Some("Helsinki".to_owned()),
            time_zone: "Europe/Helsinki".to_owned(),
        })
        .await
        .unwrap();
    let admin = app.admin().await;
    let body = json!({"transactions": [
        {"external_id": "h1", "customer": "a", "occurred_at": "2024-03-01T23:30:00Z",
         "amount": "5", "currency": "EUR", "location": "HEL"},
        {"external_id": "h2", "customer": "b", "occurred_at": "2024-03-01T23:30:00Z",
         "amount": "5", "currency": "EUR"}]});
    let (s, v) = app
        .post_json("/api/v1/transactions:batch", &body, Some(&admin))
        .await;
    assert_eq!(s, 200, "{v}");
    // 23:30 UTC is already 2 March in Helsinki (UTC+2); the business zone is UTC.
    let (_, v) = app.get("/api/v1/customers/a", Some(&admin)).await;
    assert_eq!(v["transactions"][0]["date"], "2024-03-02");
    assert_eq!(v["transactions"][0]["location"], "HEL");
    let (_, v) = app.get("/api/v1/customers/b", Some(&admin)).await;
    assert_eq!(v["transactions"][0]["date"], "2024-03-01");

    let manager = app.token_at(comeback_store::Role::Manager, &["HEL"]).await;
    let (s, v) = app.get("/api/v1/customers", Some(&manager)).await;
    assert_eq!(s, 200, "{v}");
    let ids: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a"]);
    assert_eq!(app.get("/api/v1/customers/a", Some(&manager)).await.0, 200);
    assert_eq!(app.get("/api/v1/customers/b", Some(&manager)).await.0, 404);
    assert_eq!(
        app.get("/api/v1/customers/b/export", Some(&manager))
            .await
            .0,
        404
    );
    assert_eq!(
        app.get("/api/v1/customers/a/export", Some(&manager))
            .await
            .0,
        200
    );
    let staff = app.token_at(comeback_store::Role::Staff, &[]).await;
    let (_, v) = app.get("/api/v1/customers", Some(&staff)).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 0);
    let (_, v) = app.get("/api/v1/customers", Some(&admin)).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
}
server_test!(location_scope, managers_see_their_locations);

/// `GET /api/v1/survival?by=location`: a customer's segment is the location of their
/// earliest transaction (c bought first in TKU, later in HEL), `unknown` without one.
async fn survival_by_first_location(app: &TestApp) {
    for code in ["HEL", "TKU"] {
        app.store
            .upsert_location(&comeback_store::Location {
                code: code.to_owned(),
                name: None,
                time_zone: "Europe/Helsinki".to_owned(),
            })
            .await
            .unwrap();
    }
    let admin = app.admin().await;
    let rows: &[(&str, &str, Option<&str>)] = &[
        ("a", "2024-01-01", Some("HEL")),
        ("a", "2024-01-11", Some("HEL")),
        ("a", "2024-01-21", Some("HEL")),
        ("b", "2024-01-05", Some("HEL")),
        ("b", "2024-02-05", Some("HEL")),
        ("c", "2024-01-02", Some("TKU")),
        ("c", "2024-03-01", Some("HEL")),
        ("c", "2024-06-01", Some("HEL")),
        ("d", "2024-01-03", None),
        ("d", "2024-01-04", None),
        ("e", "2024-02-01", Some("TKU")),
        ("e", "2024-02-10", Some("TKU")),
        ("e", "2024-12-31", Some("TKU")),
    ];
    let tx: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(i, (c, d, l))| {
            let mut t = json!({"external_id": format!("s{i}"), "customer": c,
                "occurred_at": format!("{d}T10:00:00Z"), "amount": "5", "currency": "EUR"});
            if let Some(l) = l {
                t["location"] = json!(l);
            }
            t
        })
        .collect();
    let (s, v) = app
        .post_json(
            "/api/v1/transactions:batch",
            &json!({ "transactions": tx }),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app.get("/api/v1/survival?by=location", Some(&admin)).await;
    assert_eq!(s, 200, "{v}");
    let groups: Vec<(&str, u64)> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group"].as_str().unwrap(),
                g["customers"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(groups, [("HEL", 2), ("TKU", 2), ("unknown", 1)]);
    assert_eq!(v["logrank"]["df"], 2);
    assert_eq!(v["observation_end"], "2024-12-31");
    // Number fields are numbers (an unreached median is left out, never null).
    for g in v["groups"].as_array().unwrap() {
        assert!(!g.get("median_days").is_some_and(Value::is_null), "{g}");
    }
}
server_test!(survival_by_location, survival_by_first_location);

/// Distinct customer ids (column 2) of the whitespace-separated CDNOW sample, counted
/// without the ingest crate.
fn cdnow_customers(text: &str) -> usize {
    text.lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect::<std::collections::HashSet<_>>()
        .len()
}

const CDNOW_QUERY: &str =
    "header=false&customer_col=2&date_col=3&amount_col=5&date_format=%25Y%25m%25d&currency=USD";

async fn wait_for_refit(app: &TestApp, token: &str) -> Value {
    for _ in 0..600 {
        let (s, v) = app.get("/api/v1/model", Some(token)).await;
        assert_eq!(s, 200, "{v}");
        if v["refit"] != "running" {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("refit did not finish in 60 s");
}

async fn csv_upload_matches_cli(app: &TestApp) {
    let admin = app.admin().await;
    let bytes = std::fs::read(data_path("CDNOW_sample.txt")).unwrap();
    let expected = cdnow_customers(std::str::from_utf8(&bytes).unwrap());
    // The count `comeback analyze` reports for this file (crates/comeback/tests/it).
    assert_eq!(expected, 2357);
    let path = format!("/api/v1/uploads/transactions?{CDNOW_QUERY}");
    let (s, v) = app
        .post_raw(&path, "text/plain", bytes.clone(), Some(&admin))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["rows"], 6919);
    assert_eq!(v["inserted"], 6919);
    assert_eq!(v["customers"], expected);
    // Re-uploading the same file adds nothing.
    let (s, v) = app.post_raw(&path, "text/plain", bytes, Some(&admin)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["inserted"], 0);
    assert_eq!(v["duplicates"], 6919);
    let mut n = 0;
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("/api/v1/customers?limit=1000&cursor={c}"),
            None => "/api/v1/customers?limit=1000".to_owned(),
        };
        let (s, v) = app.get(&q, Some(&admin)).await;
        assert_eq!(s, 200, "{v}");
        n += v["items"].as_array().unwrap().len();
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(n, expected);

    // A bad row names its line and column; nothing is stored.
    let bad = b"00001 0001 19970101 1 10.00\n00002 0001 19971301 1 5.00\n".to_vec();
    let (s, v) = app.post_raw(&path, "text/plain", bad, Some(&admin)).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["rows"][0]["row"], 2);
    assert_eq!(v["error"]["rows"][0]["field"], "column 3");
    assert!(
        v["error"]["rows"][0]["message"]
            .as_str()
            .unwrap()
            .contains("19971301"),
        "{v}"
    );
    let (s, _) = app.get("/api/v1/customers/00001", Some(&admin)).await;
    assert_eq!(s, 404);
    // Scores: a refit runs in the background; its customer count is the file's.
    let (s, v) = app
        .post_json("/api/v1/model/refit", &json!({}), Some(&admin))
        .await;
    assert_eq!(s, 202, "{v}");
    let status = wait_for_refit(app, &admin).await;
    assert_eq!(status["refit"], "succeeded", "{status}");
    assert_eq!(status["model"]["customers"], expected);
    assert_eq!(status["stale"], false);
    let (s, m) = app.get("/api/v1/metrics", Some(&admin)).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["customers"], expected);
    assert_eq!(m["observation_end"], "1998-06-30");
    let (s, l) = app
        .get("/api/v1/actions/at-risk?limit=5", Some(&admin))
        .await;
    assert_eq!(s, 200, "{l}");
    let items = l["items"].as_array().unwrap();
    assert!(items.len() <= 5 && l["total"].as_u64().unwrap() >= items.len() as u64);
    for w in items.windows(2) {
        assert!(
            w[0]["value_at_risk"].as_f64() >= w[1]["value_at_risk"].as_f64(),
            "{l}"
        );
    }
    let (s, _) = app.get("/api/v1/actions/nonsense", Some(&admin)).await;
    assert_eq!(s, 400);
    let (s, d) = app.get("/api/v1/customers/0001", Some(&admin)).await;
    assert_eq!(s, 200, "{d}");
    let p = d["scores"]["p_alive"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&p), "{d}");
    assert_eq!(d["summary"]["observation_end"], "1998-06-30");

    // The same numbers as the analysis run here on the file itself (the CLI's pipeline:
    // comeback-ingest → TransactionLogBuilder → comeback_analysis::analyze).
    let direct = analyze_file_directly();
    let i = direct.customer_index("0001").unwrap();
    let c = direct.customer(i).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    assert!(close(p, c.p_alive), "p_alive {p} vs {}", c.p_alive);
    let clv = d["scores"]["clv"].as_f64().unwrap();
    assert!(close(clv, c.clv), "clv {clv} vs {}", c.clv);
    assert_eq!(d["scores"]["segment"], c.rfm.segment.key());
    assert_eq!(d["scores"]["stage"], c.lifecycle_stage.key());
    let total = m["clv_total"].as_f64().unwrap();
    assert!(close(total, direct.headline.clv_total), "{total}");
    assert_eq!(
        m["model"].as_str().unwrap(),
        direct.model.kind().display_name()
    );
    assert_eq!(
        l["total"].as_u64().unwrap() as usize,
        direct.lists.at_risk.len()
    );
    // Retention economics: the library's figures on the same analysis, margin override and
    // acquisition cost applied (PRODUCT R8).
    let (s, e) = app
        .get(
            "/api/v1/economics?margin=0.3&acquisition_cost=25",
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{e}");
    let mut inputs = comeback_analysis::economics::EconomicsInputs::of(&direct);
    inputs.margin = 0.3;
    let want = comeback_analysis::economics::economics_of(&inputs, Some(25.0)).unwrap();
    let f = |k: &str| e[k].as_f64().unwrap();
    assert!(close(f("profit_lost_12m"), want.profit_lost_12m), "{e}");
    assert!(
        close(
            f("profit_lost_12m"),
            0.3 * direct.defection.revenue_lost.to_f64()
        ),
        "{e}"
    );
    assert!(close(
        f("replacement_cost_12m"),
        25.0 * direct.defection.customers_lost as f64
    ));
    assert!(
        close(f("payback_months"), want.payback_months.unwrap()),
        "{e}"
    );
    assert!(close(
        f("naive_clv_per_customer"),
        want.naive_clv_per_customer.unwrap()
    ));
    assert!(close(
        f("what_if_customers_kept"),
        want.what_if_customers_kept
    ));
    let (s, e) = app.get("/api/v1/economics", Some(&admin)).await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(e["acquisition_cost"], serde_json::Value::Null);
    assert_eq!(e["payback_months"], serde_json::Value::Null);
    let (s, e) = app
        .get("/api/v1/economics?acquisition_cost=-1", Some(&admin))
        .await;
    assert_eq!(s, 422, "{e}");
    // Found by schemathesis: huge values overflowed the figures to null in number fields.
    for q in ["margin=1.5", "margin=3.8e307", "acquisition_cost=1.1e307"] {
        let (s, e) = app
            .get(&format!("/api/v1/economics?{q}"), Some(&admin))
            .await;
        assert_eq!(s, 422, "{q}: {e}");
    }
    survival_matches_the_library(app, &admin, &direct).await;
    if let Some(first) = direct.lists.at_risk.first() {
        let id = direct
            .customer(*first)
            .unwrap()
            .summary
            .customer_id
            .to_string();
        assert_eq!(items[0]["external_id"], id.as_str());
    }
}

/// `GET /api/v1/survival` against comeback-survival on the file itself: the default rule,
/// first-purchase terciles (the report's segments) and the RFM segments of the analysis.
async fn survival_matches_the_library(
    app: &TestApp,
    admin: &str,
    direct: &comeback_analysis::Analysis,
) {
    use comeback_survival::{
        KmOptions, LostRule, TERCILE_LABELS, first_purchase_terciles, km_by_group, time_to_lost,
    };
    let log = cdnow_log_directly();
    let lost = time_to_lost(&log, &LostRule::default()).unwrap();
    let d: Vec<f64> = lost.records.iter().map(|r| r.duration_days).collect();
    let e: Vec<bool> = lost.records.iter().map(|r| r.lost).collect();
    let terciles = first_purchase_terciles(&log, &lost.records);
    let want = km_by_group(&d, &e, &terciles, &TERCILE_LABELS, &KmOptions::default()).unwrap();
    let (s, v) = app.get("/api/v1/survival", Some(admin)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["by"], "tercile");
    assert_eq!(v["observation_end"], "1998-06-30");
    assert_eq!(v["lost_rule"]["k"], 3.0);
    assert_eq!(v["customers"].as_u64(), Some(lost.records.len() as u64));
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), want.groups.len());
    for (g, w) in groups.iter().zip(&want.groups) {
        assert_eq!(g["group"], w.label.as_str());
        assert_eq!(g["customers"].as_u64(), Some(w.km.n));
        assert_eq!(g["lost"].as_u64(), Some(w.km.events));
        assert_eq!(g["median_days"].as_f64(), w.km.median);
        let table = g["table"].as_array().unwrap();
        assert_eq!(table.len(), w.km.rows.len());
        for (r, k) in table.iter().zip(&w.km.rows) {
            assert_eq!(r["at_risk"].as_u64(), Some(k.at_risk));
            assert!(close(r["survival"].as_f64().unwrap(), k.survival), "{r}");
            assert!(r["ci_low"].as_f64().unwrap() <= k.survival + 1e-12);
        }
    }
    assert!(close(
        v["logrank"]["statistic"].as_f64().unwrap(),
        want.logrank.statistic
    ));
    assert_eq!(v["logrank"]["df"], 2);
    // RFM segments of the latest analysis: the same customers, one curve per segment.
    let (s, v) = app.get("/api/v1/survival?by=segment", Some(admin)).await;
    assert_eq!(s, 200, "{v}");
    let mut got: Vec<(String, u64)> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group"].as_str().unwrap().to_owned(),
                g["customers"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    for r in &lost.records {
        let i = direct.customer_index(&r.customer_id).unwrap();
        *counts
            .entry(direct.rfm[i].segment.key().to_owned())
            .or_default() += 1;
    }
    assert_eq!(got, counts.into_iter().collect::<Vec<_>>());
    // CDNOW has no locations: one segment cannot be tested against another.
    let (s, v) = app.get("/api/v1/survival?by=location", Some(admin)).await;
    assert_eq!(s, 409, "{v}");
    let (s, _) = app.get("/api/v1/survival?by=nonsense", Some(admin)).await;
    assert!(s == 400 || s == 422, "{s}");
}

/// data/CDNOW_sample.txt read as the CLI reads it.
fn cdnow_log_directly() -> comeback_core::TransactionLog {
    use comeback_ingest::{ColumnRef, DateFormat, HeaderMode, IngestOptions, TransactionColumns};
    let options = IngestOptions {
        header: HeaderMode::Absent,
        columns: TransactionColumns {
            customer: Some(ColumnRef::Position(2)),
            date: Some(ColumnRef::Position(3)),
            amount: Some(ColumnRef::Position(5)),
            ..TransactionColumns::default()
        },
        date_format: DateFormat::new("%Y%m%d"),
        currency: Some("USD".to_owned()),
        ..IngestOptions::default()
    };
    let file = std::fs::File::open(data_path("CDNOW_sample.txt")).unwrap();
    let mut b = comeback_core::TransactionLogBuilder::new(None);
    comeback_ingest::read_transactions(file, "CDNOW_sample.txt", &options, |r| {
        b.add(r.customer, r.day, r.amount).map(|_| ())
    })
    .unwrap();
    b.finish()
}

/// `comeback analyze`'s pipeline on data/CDNOW_sample.txt with the server's options.
fn analyze_file_directly() -> comeback_analysis::Analysis {
    let log = cdnow_log_directly();
    comeback_analysis::analyze(
        &log,
        &comeback_analysis::AnalysisOptions {
            bootstrap: 0,
            ..comeback_analysis::AnalysisOptions::default()
        },
    )
    .unwrap()
}

/// A server started on a database that already holds customers refits on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_server_refits_on_its_own() {
    let app = TestApp::sqlite().await;
    let admin = app.admin().await;
    let bytes = std::fs::read(data_path("CDNOW_sample.txt")).unwrap();
    let path = format!("/api/v1/uploads/transactions?{CDNOW_QUERY}");
    let (s, _) = app.post_raw(&path, "text/plain", bytes, Some(&admin)).await;
    assert_eq!(s, 200);
    let (_, v) = app.get("/api/v1/model", Some(&admin)).await;
    assert_eq!(v["refit"], "never", "{v}");
    assert_eq!(v["stale"], true);
    let second = comeback_server::Application::build(comeback_server::Settings::for_database(
        app.settings.database_url.clone(),
    ))
    .await
    .unwrap();
    let base = format!("http://127.0.0.1:{}", second.port());
    let server = tokio::spawn(second.run_until(std::future::pending()));
    let mut last = Value::Null;
    for _ in 0..600 {
        let r = app
            .client
            .get(format!("{base}/api/v1/model"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        last = r.json().await.unwrap();
        if last["refit"] == "succeeded" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(last["refit"], "succeeded", "{last}");
    assert_eq!(last["model"]["customers"], 2357);
    server.abort();
    app.cleanup().await;
}
server_test!(csv_upload, csv_upload_matches_cli);

async fn body_limit_is_enforced() {
    let app = TestApp::sqlite_with(|mut s| {
        s.max_body_bytes = 1000;
        s
    })
    .await;
    let admin = app.admin().await;
    let (s, _) = app
        .post_raw(
            "/api/v1/uploads/transactions",
            "text/csv",
            vec![b'1'; 5000],
            Some(&admin),
        )
        .await;
    assert_eq!(s, 413);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_limit() {
    body_limit_is_enforced().await;
}

/// The one invalid field of a 422 body.
fn invalid_field(v: &Value) -> &str {
    assert_eq!(v["error"]["code"], "invalid_request", "{v}");
    v["error"]["fields"][0]["field"].as_str().unwrap()
}

/// PostgreSQL refuses U+0000 in text and jsonb ("invalid byte sequence for encoding UTF8:
/// 0x00"), which answered 500 there (found by tests/schemathesis): every NUL is now a
/// client error before any query, on both backends alike.
async fn nul_is_refused_before_the_database(app: &TestApp) {
    let admin = app.admin().await;
    let (s, v) = app
        .post_json("/api/v1/transactions:batch", &batch(), Some(&admin))
        .await;
    assert_eq!(s, 200, "{v}");

    // Search and cursor: 422 naming the parameter.
    let (s, v) = app.get("/api/v1/customers?q=a%00b", Some(&admin)).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(invalid_field(&v), "q");
    let (s, v) = app.get("/api/v1/customers?cursor=c%00", Some(&admin)).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(invalid_field(&v), "cursor");

    // An external id with a control character cannot exist: 404 like an unknown one.
    for path in [
        "/api/v1/customers/00%00018",
        "/api/v1/customers/00%00021/export",
        "/api/v1/customers/c2%01",
    ] {
        let (s, v) = app.get(path, Some(&admin)).await;
        assert_eq!(s, 404, "{path}: {v}");
        assert_eq!(v["error"]["code"], "not_found", "{path}: {v}");
    }
    let (s, v) = app
        .post_raw(
            "/api/v1/customers/00%00018/erase",
            "application/json",
            Vec::new(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 404, "{v}");

    // JSON bodies: 422 naming the field; nothing created.
    let (s, v) = app
        .post_json(
            "/api/v1/tokens",
            &json!({"name": "MBG\u{0}/NBD"}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(invalid_field(&v), "name");
    let (s, v) = app
        .post_json(
            "/api/v1/users",
            &json!({"email": "c00004@ex\u{0}ample.com", "role": "admin"}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(invalid_field(&v), "email");
    // A body that is not a JSON object is refused too (serde would read a struct from an
    // array).
    let (s, v) = app
        .post_json("/api/v1/tokens", &json!(["x"]), Some(&admin))
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(invalid_field(&v), "body");

    // Batches: a per-row error naming the row and the field; nothing stored.
    let before = customer_count(app, &admin).await;
    let (s, v) = app
        .post_json(
            "/api/v1/customers:batch",
            &json!({"customers": [
                {"external_id": "x0", "name": "fine"},
                {"external_id": "x1", "name": "a\u{0}b"},
                {"external_id": "x2", "attributes": {"note": ["ok", "n\u{0}"]}},
            ]}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["code"], "batch_rejected", "{v}");
    let rows: Vec<(u64, &str)> = v["error"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["row"].as_u64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(rows, [(1, "name"), (2, "attributes.note[1]")], "{v}");
    let (s, v) = app
        .post_json(
            "/api/v1/transactions:batch",
            &json!({"transactions": [
                {"external_id": "t9", "customer": "c9", "date": "2024-03-01",
                 "amount": "1", "currency": "EUR", "channel": "st\u{0}re"},
            ]}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["rows"][0]["row"], 0, "{v}");
    assert_eq!(v["error"]["rows"][0]["field"], "channel", "{v}");
    assert_eq!(customer_count(app, &admin).await, before);

    // The database connection is fine afterwards.
    let (s, v) = app.get("/api/v1/customers?q=c", Some(&admin)).await;
    assert_eq!(s, 200, "{v}");
}
server_test!(nul_refused, nul_is_refused_before_the_database);

/// The OpenAPI document lists the statuses the extractors answer (400, 415, 422) and a
/// nullable interval bound (found by tests/schemathesis).
async fn document_covers_extractor_errors(app: &TestApp) {
    let (s, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, 200);
    let op = |path: &str, method: &str| doc["paths"][path][method]["responses"].clone();
    let tokens = op("/api/v1/tokens", "post");
    for code in ["400", "415", "422"] {
        assert!(
            tokens.get(code).is_some(),
            "tokens post lacks {code}: {tokens}"
        );
    }
    let detail = op("/api/v1/customers/{external_id}", "get");
    assert!(detail.get("400").is_some(), "{detail}");
    assert!(detail.get("415").is_none(), "{detail}");
    let health = op("/health", "get");
    assert!(health.get("400").is_none(), "{health}");
    let actions = &doc["paths"]["/api/v1/actions/{list}"]["get"]["parameters"];
    let limit = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(limit["schema"]["minimum"], 1, "{limit}");
    assert_eq!(limit["schema"]["maximum"], 10000, "{limit}");
    let ci = doc["components"]["schemas"]["IntervalOut"]["properties"]["ci_low"].to_string();
    assert!(ci.contains("null"), "{ci}");
}
server_test!(document_extractor_errors, document_covers_extractor_errors);
