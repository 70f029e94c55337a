//! A store holds one currency: a batch, an upload or an upload form in another currency
//! is refused whole (422, nothing stored), so the refit keeps working.

use serde_json::{Value, json};

use crate::helpers::{TestApp, server_test};

const USD_MESSAGE: &str = "\"EUR\" is not the store's currency USD: a store holds one \
                           currency; send amounts in USD, or keep EUR data in a store of its own";

fn row(id: &str, customer: &str, date: &str, currency: &str) -> Value {
    json!({"external_id": id, "customer": customer, "date": date, "amount": "5.00",
           "currency": currency})
}

/// Asserts that none of `ids` is a stored customer.
async fn absent(app: &TestApp, token: &str, ids: &[&str]) {
    for id in ids {
        let (s, v) = app
            .get(&format!("/api/v1/customers/{id}"), Some(token))
            .await;
        assert_eq!(s, 404, "{id}: {v}");
    }
}

/// Polls `/api/v1/model` until a refit succeeded over `customers` customers.
async fn wait_for_model(app: &TestApp, token: &str, customers: u64) -> Value {
    for _ in 0..1200 {
        let (s, v) = app.get("/api/v1/model", Some(token)).await;
        assert_eq!(s, 200, "{v}");
        assert_ne!(v["refit"], "failed", "{v}");
        if v["refit"] == "succeeded" && v["model"]["customers"] == customers {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no refit over {customers} customers in 120 s");
}

/// A multipart body of the upload form: text fields and one file.
fn multipart(fields: &[(&str, &str)], name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----comeback-currency-boundary-9Xq2";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
             filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn refused_in_another_currency(app: &TestApp) {
    let admin = app.admin().await;
    // A USD store: the CDNOW sample, refitted.
    let sample = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/CDNOW_sample.txt"
    ))
    .unwrap();
    let query = "header=false&customer_col=2&date_col=3&amount_col=5&date_format=%25Y%25m%25d";
    let (s, v) = app
        .post_raw(
            &format!("/api/v1/uploads/transactions?{query}&currency=USD"),
            "text/plain",
            sample.clone(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["inserted"], 6919);
    wait_for_model(app, &admin, 2357).await;

    // The walkthrough's batch, behind three USD rows: refused whole, row 3 named.
    let batch = json!({"transactions": [
        row("n1", "new-1", "1998-06-01", "USD"),
        row("n2", "new-2", "1998-06-01", "USD"),
        row("n3", "new-3", "1998-06-02", "USD"),
        row("e1", "0693", "1998-06-01", "EUR"),
    ]});
    let (s, v) = app
        .post_json("/api/v1/transactions:batch", &batch, Some(&admin))
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["code"], "batch_rejected");
    assert_eq!(
        v["error"]["rows"],
        json!([{"row": 3, "field": "currency", "message": USD_MESSAGE}])
    );
    absent(app, &admin, &["new-1", "new-2", "new-3"]).await;

    // The same file in EUR: one problem at the first data line, nothing stored.
    let (s, v) = app
        .post_raw(
            &format!("/api/v1/uploads/transactions?{query}&currency=EUR"),
            "text/plain",
            b"90001 9001 19970101 1 5.00\n90002 9002 19970102 1 6.00\n".to_vec(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let message =
        format!("upload:1: currency (the currency parameter, blank is USD): {USD_MESSAGE}");
    assert_eq!(
        v["error"]["rows"],
        json!([{"row": 1, "field": "currency", "message": message}])
    );
    absent(app, &admin, &["9001", "9002"]).await;

    // The upload form: the page lists the problem, 422, nothing stored.
    let fields = [
        ("customer_col", "2"),
        ("date_col", "3"),
        ("amount_col", "5"),
        ("header", "no"),
        ("date_format", "%Y%m%d"),
        ("currency", "EUR"),
    ];
    let (ct, body) = multipart(&fields, "eur.txt", b"90003 9003 19970103 1 7.00\n");
    let resp = reqwest::Client::new()
        .post(app.url("/upload"))
        .header("content-type", ct)
        .bearer_auth(&admin)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 422);
    let html = resp
        .text()
        .await
        .unwrap()
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'");
    assert!(html.contains("id=\"upload-problems\""), "{html}");
    assert!(html.contains(&message), "{html}");
    absent(app, &admin, &["9003"]).await;

    // The store's own currency is still accepted, and the refit still succeeds.
    let (s, v) = app
        .post_json(
            "/api/v1/transactions:batch",
            &json!({"transactions": [row("u1", "new-usd", "1998-06-01", "USD")]}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["inserted"], 1);
    // 2,358 customers: the sample's and new-usd, nothing of the refused requests.
    let model = wait_for_model(app, &admin, 2358).await;
    assert_eq!(model["stale"], false, "{model}");
}
server_test!(another_currency_is_refused, refused_in_another_currency);

async fn first_batch_in_one_currency(app: &TestApp) {
    let admin = app.admin().await;
    // An empty store: a batch mixing currencies is refused and sets nothing ...
    let mixed = json!({"transactions": [
        row("m1", "c1", "2024-01-01", "USD"),
        row("m2", "c2", "2024-01-02", "EUR"),
    ]});
    let (s, v) = app
        .post_json("/api/v1/transactions:batch", &mixed, Some(&admin))
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(
        v["error"]["rows"],
        json!([{"row": 1, "field": "currency",
                "message": "\"EUR\" differs from \"USD\" of row 0: a store holds one currency, \
                            and the store is empty, so this batch would set it; send one currency"}])
    );
    absent(app, &admin, &["c1", "c2"]).await;
    // ... so a batch in EUR alone becomes the store's currency, and USD is refused.
    let (s, v) = app
        .post_json(
            "/api/v1/transactions:batch",
            &json!({"transactions": [row("m2", "c2", "2024-01-02", "EUR")]}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post_json(
            "/api/v1/transactions:batch",
            &json!({"transactions": [row("m1", "c1", "2024-01-01", "USD")]}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(
        v["error"]["rows"][0]["message"],
        "\"USD\" is not the store's currency EUR: a store holds one currency; send amounts \
         in EUR, or keep USD data in a store of its own"
    );
    absent(app, &admin, &["c1"]).await;
}
server_test!(first_batch_sets_the_currency, first_batch_in_one_currency);
