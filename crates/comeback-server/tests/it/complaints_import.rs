//! `POST /api/v1/uploads/complaints` and the upload page's complaints form (issue 9,
//! intake by CSV): a file in `comeback complaints`' columns stored all or nothing, every
//! problem with line and column, idempotent by the file's complaint id; the measures of
//! the imported complaints are the file's (hand-computed values here; the comparison with
//! the CLI itself is in `crates/comeback/tests/it/complaints.rs`). Both backends.

use serde_json::{Value, json};

use crate::helpers::{TestApp, server_test};

/// Four complaints in `comeback complaints`' columns, naive times in Europe/Helsinki
/// (UTC+2 in March): X-1 closed with a refund and satisfied, X-2 received only, CB-IMPORT3
/// resolved and reopened (unsatisfied, compensation none), X-4 answered and open.
pub const FIXTURE: &str = include_str!("../../../comeback/tests/data/complaints/import.csv");

async fn setup(app: &TestApp, token: &str) {
    let (s, b) = app
        .post_json(
            "/api/v1/customers:batch",
            &json!({"customers": [
                {"external_id": "A"}, {"external_id": "B"}, {"external_id": "C"},
            ]}),
            Some(token),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    app.store
        .upsert_location(&comeback_store::Location {
            code: "HEL".into(),
            name: None,
            time_zone: "Europe/Helsinki".into(),
        })
        .await
        .unwrap();
}

async fn upload(app: &TestApp, token: Option<&str>, query: &str, csv: &str) -> (u16, Value) {
    app.post_raw(
        &format!("/api/v1/uploads/complaints{query}"),
        "text/csv",
        csv.as_bytes().to_vec(),
        token,
    )
    .await
}

async fn count(app: &TestApp, token: &str) -> usize {
    let (s, b) = app.get("/api/v1/complaints?limit=1000", Some(token)).await;
    assert_eq!(s, 200, "{b}");
    b["items"].as_array().unwrap().len()
}

async fn status_of(app: &TestApp, token: &str, reference: &str) -> String {
    let (s, b) = app
        .get(&format!("/api/v1/complaints/{reference}"), Some(token))
        .await;
    assert_eq!(s, 200, "{b}");
    b["status"].as_str().unwrap().to_owned()
}

async fn imports_all_or_nothing_idempotently(app: &TestApp) {
    let admin = app.admin().await;
    let manager = app.token(comeback_store::Role::Manager).await;
    let staff = app.token(comeback_store::Role::Staff).await;
    setup(app, &admin).await;
    let tz = "?timezone=Europe/Helsinki";
    // Roles: managers and admins only.
    assert_eq!(upload(app, None, tz, FIXTURE).await.0, 401);
    assert_eq!(upload(app, Some(&staff), tz, FIXTURE).await.0, 403);
    // A zone that is no zone, or holds a NUL byte: the field, nothing read.
    let (s, b) = upload(app, Some(&manager), "?timezone=Mars/Olympus", FIXTURE).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "timezone", "{b}");
    let (s, b) = upload(app, Some(&manager), "?timezone=Europe%00Helsinki", FIXTURE).await;
    assert_eq!(s, 422, "{b}");
    // The file.
    // The file (rows at HEL and TKU: an admin's; a manager's scope is tested below).
    let (s, b) = upload(app, Some(&admin), tz, FIXTURE).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({"rows": 4, "inserted": 4, "updated": 0, "unchanged": 0})
    );
    assert_eq!(count(app, &admin).await, 4);
    // The file's id is the reference when it is one; the status follows the file.
    assert_eq!(status_of(app, &admin, "CB-IMPORT3").await, "reopened");
    let (_, list) = app.get("/api/v1/complaints?limit=1000", Some(&admin)).await;
    let items = list["items"].as_array().unwrap();
    let by_customer =
        |c: &str| -> Vec<&Value> { items.iter().filter(|i| i["customer"] == c).collect() };
    assert_eq!(by_customer("A").len(), 2);
    let x2 = by_customer("B")[0];
    assert_eq!(x2["status"], "received");
    assert_eq!(
        x2["received_at"], "2026-03-02T09:00:00Z",
        "11:00 in Helsinki"
    );
    let x4 = by_customer("C")[0];
    assert_eq!(x4["status"], "acknowledged");
    assert_eq!(x4["location"], "HEL", "a stored location is linked");
    let x1 = items
        .iter()
        .find(|i| i["customer"] == "A" && i["reference"] != "CB-IMPORT3")
        .unwrap();
    assert_eq!(x1["status"], "closed");
    assert_eq!(x1["severity"], "high");
    // High: resolution due 48 h after receipt on the 24/7 clock (HEL has no calendar).
    assert_eq!(x1["resolution_due"], "2026-03-04T07:00:00Z");
    let x1_ref = x1["reference"].as_str().unwrap().to_owned();
    assert!(x1_ref.starts_with("CB-"), "X-1 is no reference: {x1_ref}");
    // The history: one import event by the system.
    let (_, c) = app
        .get(&format!("/api/v1/complaints/{x1_ref}"), Some(&admin))
        .await;
    assert_eq!(c["history"].as_array().unwrap().len(), 1, "{c}");
    assert_eq!(c["history"][0]["action"], "import");
    assert_eq!(c["history"][0]["actor"], "system");
    // The measures are the file's.
    let (s, m) = app.get("/api/v1/complaint-measures", Some(&manager)).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["n"], 4);
    assert_eq!(m["open"], 2, "X-2 and X-4 have no resolution");
    assert_eq!(
        m["by_category"],
        json!({"Quality": 1, "price": 1, "quality": 1, "service": 1}),
        "as written"
    );
    assert_eq!(m["compensation_total"], json!(12.5));
    assert_eq!(m["by_location"], json!({"HEL": 2, "TKU": 1}));
    assert_eq!(m["by_severity"], json!({"high": 1, "low": 1, "medium": 1}));
    assert_eq!(m["by_channel"], json!({"email": 1, "phone": 1, "web": 1}));
    assert_eq!(m["reopened"], 1);
    assert_eq!(m["satisfaction"]["answered"], 2);
    assert_eq!(m["satisfaction"]["satisfied"], 1);
    // First responses 1.5 h, 20 min and 1 h: median 1 h.
    assert_eq!(m["first_response_hours"]["median"], json!(1.0));
    assert_eq!(m["first_response_hours"]["n"], 3);
    // The export names the file's ids.
    let resp = app
        .client
        .get(app.url("/api/v1/complaint-measures/rows"))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap();
    let csv = resp.text().await.unwrap();
    assert!(
        csv.contains(
            "X-1,A,2026-03-02T07:00:00Z,2026-03-02T08:30:00Z,2026-03-03T10:00:00Z,Quality,"
        ),
        "{csv}"
    );
    // Again: nothing new.
    let (s, b) = upload(app, Some(&admin), tz, FIXTURE).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({"rows": 4, "inserted": 0, "updated": 0, "unchanged": 4})
    );
    assert_eq!(count(app, &admin).await, 4);
    // X-2 resolved since: updated, closed.
    let resolved = FIXTURE.replace(
        "X-2,B,2026-03-02 11:00,,,price,,",
        "X-2,B,2026-03-02 11:00,2026-03-02 12:00,2026-03-04 09:00,price,5,",
    );
    let (s, b) = upload(app, Some(&admin), tz, &resolved).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({"rows": 4, "inserted": 0, "updated": 1, "unchanged": 3})
    );
    let x2_ref = x2["reference"].as_str().unwrap();
    assert_eq!(status_of(app, &admin, x2_ref).await, "closed");
    // X-4 handled here since: a file no longer changes it, and the whole file is refused.
    let x4_ref = x4["reference"].as_str().unwrap();
    let (s, b) = app
        .post_json(
            &format!("/api/v1/complaints/{x4_ref}/transitions"),
            &json!({"action": "take_action", "description": "called back"}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let both = resolved
        .replace(
            "X-2,B,2026-03-02 11:00,2026-03-02 12:00,2026-03-04 09:00,price,5,",
            "X-2,B,2026-03-02 11:00,2026-03-02 12:00,2026-03-04 09:00,price,7,",
        )
        .replace(
            "X-4,C,2026-03-06 14:00,2026-03-06 15:00,,",
            "X-4,C,2026-03-06 14:00,2026-03-06 15:00,2026-03-08 10:00,",
        );
    let (s, b) = upload(app, Some(&admin), tz, &both).await;
    assert_eq!(s, 422, "{b}");
    let rows = b["error"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{b}");
    assert_eq!(rows[0]["row"], 5);
    assert_eq!(rows[0]["field"], "complaint_id");
    assert!(
        rows[0]["message"]
            .as_str()
            .unwrap()
            .contains("handled in Comeback after its import (a take_action step)"),
        "{b}"
    );
    let (_, m) = app.get("/api/v1/complaint-measures", Some(&manager)).await;
    assert_eq!(
        m["compensation_total"],
        json!(17.5),
        "X-2's 7 not stored: {m}"
    );
    assert_eq!(status_of(app, &admin, x4_ref).await, "action_taken");
}

server_test!(
    imports_all_or_nothing_idempotently_both,
    imports_all_or_nothing_idempotently
);

async fn every_problem_with_line_and_column(app: &TestApp) {
    let admin = app.admin().await;
    setup(app, &admin).await;
    let bad = "\
complaint_id,customer_id,received_at,first_response_at,resolved_at,category,compensation,severity,reopened_at,satisfied
K-1,A,2026-13-02 09:00,,,price,,,,
K-2,B,2026-03-02 09:00,,,price,-3,urgent,,maybe
K-1,A,2026-03-02 09:00,2026-03-01 09:00,,,,,2026-03-03 09:00,
K-4,,2026-03-02 09:00,,,price,,,,
";
    let (s, b) = upload(app, Some(&admin), "", bad).await;
    assert_eq!(s, 422, "{b}");
    let got: Vec<(i64, String)> = b["error"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_i64().unwrap(),
                r["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want: Vec<(i64, String)> = [
        (2, "received_at"),
        (3, "compensation"),
        (3, "satisfied"),
        (3, "severity"),
        (4, "category"),
        (4, "complaint_id"),
        (4, "first_response_at"),
        (4, "reopened_at"),
        (5, "customer_id"),
    ]
    .iter()
    .map(|(r, f)| (*r, (*f).to_owned()))
    .collect();
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, want, "{b}");
    let text = b.to_string();
    assert!(
        text.contains("upload:4: column \\\"complaint_id\\\""),
        "{text}"
    );
    assert!(text.contains("line 2 has the same"), "{text}");
    assert_eq!(count(app, &admin).await, 0, "nothing stored");
    // A customer the store does not know: the row, nothing stored.
    let unknown = "complaint_id,customer_id,received_at,first_response_at,resolved_at,category,compensation\n\
                   U-1,A,2026-03-02 09:00,,,price,\nU-2,ZZ,2026-03-02 09:00,,,price,\n";
    let (s, b) = upload(app, Some(&admin), "", unknown).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["rows"][0]["row"], 3, "{b}");
    assert_eq!(b["error"]["rows"][0]["field"], "customer_id", "{b}");
    assert_eq!(count(app, &admin).await, 0, "nothing stored");
    // A missing column names it.
    let (s, b) = upload(app, Some(&admin), "", "complaint_id,customer_id\nA,B\n").await;
    assert_eq!(s, 422, "{b}");
    assert!(b.to_string().contains("received_at"), "{b}");
    // A NUL byte in a cell is a row problem, not a database error.
    let nul = "complaint_id,customer_id,received_at,first_response_at,resolved_at,category,compensation\n\
               N-1,A,2026-03-02 09:00,,,pri\u{0}ce,\n";
    let (s, b) = upload(app, Some(&admin), "", nul).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["rows"][0]["field"], "category", "{b}");
}

server_test!(
    every_problem_with_line_and_column_both,
    every_problem_with_line_and_column
);

/// The upload page's complaints form: stored with the counts, or the problems listed.
async fn upload_page_form(app: &TestApp) {
    let admin = app.admin().await;
    setup(app, &admin).await;
    let boundary = "----comeback-complaints-boundary";
    let form = |csv: &str| {
        let mut body = String::new();
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"timezone\"\r\n\r\nEurope/Helsinki\r\n"
        ));
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"complaints.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
        ));
        body
    };
    let post = |body: String| {
        app.client
            .post(app.url("/upload/complaints?lang=de"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .bearer_auth(&admin)
            .body(body)
            .send()
    };
    let r = post(form(FIXTURE)).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(
            "complaints.csv: 4 Beschwerden gelesen, 4 neu, 0 aktualisiert, 0 unverändert."
        ),
        "{html}"
    );
    assert!(html.contains("href=\"/complaint-measures\""), "{html}");
    let r = post(form(&FIXTURE.replace("2026-03-05 08:00", "gestern")))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"upload-problems\""), "{html}");
    assert!(html.contains("<td class=\"num\">4</td>"), "{html}");
    assert_eq!(count(app, &admin).await, 4);
}

server_test!(upload_page_form_both, upload_page_form);

/// A manager imports only what they may see (`complaint_access`): customers with a
/// purchase at one of their locations (any other reads as unknown, exactly like a customer
/// that does not exist), rows at one of their locations or without one, and no change to a
/// complaint of another location (no moving a TKU complaint to HEL and closing it). Each
/// refusal names its line and column; nothing is stored.
async fn manager_imports_their_scope(app: &TestApp) {
    let admin = app.admin().await;
    setup(app, &admin).await;
    app.store
        .upsert_location(&comeback_store::Location {
            code: "TKU".into(),
            name: None,
            time_zone: "Europe/Helsinki".into(),
        })
        .await
        .unwrap();
    // A bought at HEL, B at TKU.
    let (s, b) = app
        .post_json(
            "/api/v1/transactions:batch",
            &json!({"transactions": [
                {"external_id": "t1", "customer": "A", "occurred_at": "2026-02-01T10:00:00Z",
                 "amount": "10", "currency": "EUR", "location": "HEL"},
                {"external_id": "t2", "customer": "B", "occurred_at": "2026-02-01T10:00:00Z",
                 "amount": "10", "currency": "EUR", "location": "TKU"},
            ]}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let hel = app.token_at(comeback_store::Role::Manager, &["HEL"]).await;
    let head = "complaint_id,customer_id,received_at,first_response_at,resolved_at,category,compensation,location\n";
    // The admin imports a TKU complaint.
    let (s, b) = upload(
        app,
        Some(&admin),
        "",
        &format!("{head}T-1,B,2026-03-02 09:00,,,price,,TKU\n"),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (_, list) = app.get("/api/v1/complaints?limit=10", Some(&admin)).await;
    let t1 = list["items"][0]["reference"].as_str().unwrap().to_owned();
    let file = format!(
        "{head}\
         H-1,A,2026-03-02 09:00,,,price,,HEL\n\
         U-1,B,2026-03-02 09:00,,,price,,HEL\n\
         U-2,ZZ,2026-03-02 09:00,,,price,,HEL\n\
         M-1,A,2026-03-02 09:00,,,price,,TKU\n\
         T-1,A,2026-03-02 09:00,2026-03-02 10:00,2026-03-03 10:00,price,,HEL\n"
    );
    let (s, b) = upload(app, Some(&hel), "", &file).await;
    assert_eq!(s, 422, "{b}");
    let rows = b["error"]["rows"].as_array().unwrap();
    let got: Vec<(i64, &str)> = rows
        .iter()
        .map(|r| (r["row"].as_i64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            (3, "customer_id"),
            (4, "customer_id"),
            (5, "location"),
            (6, "complaint_id")
        ],
        "{b}"
    );
    // B (another location's customer) and ZZ (no such customer): the same words.
    let msg = |i: usize| rows[i]["message"].as_str().unwrap().to_owned();
    assert_eq!(
        msg(0).replace("upload:3", "").replace("\"B\"", "X"),
        msg(1).replace("upload:4", "").replace("\"ZZ\"", "X"),
        "{b}"
    );
    assert!(msg(2).contains("\"TKU\" is not one of yours"), "{b}");
    assert!(msg(3).contains("may not see"), "{b}");
    // Nothing stored: the TKU complaint is where it was, as it was.
    let (s, c) = app
        .get(&format!("/api/v1/complaints/{t1}"), Some(&admin))
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(
        (c["location"].as_str(), c["status"].as_str()),
        (Some("TKU"), Some("received")),
        "{c}"
    );
    let (_, list) = app.get("/api/v1/complaints?limit=10", Some(&admin)).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    // Their own rows: at HEL, and without a location.
    let (s, b) = upload(
        app,
        Some(&hel),
        "",
        &format!("{head}H-1,A,2026-03-02 09:00,,,price,,HEL\nH-2,A,2026-03-02 09:00,,,price,,\n"),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["inserted"], 2, "{b}");
}

server_test!(
    manager_imports_their_scope_both,
    manager_imports_their_scope
);

/// No timestamp of a row may lie more than a day ahead of the server's clock (a resolution
/// in 2099 would move the measures' default moment there and make every open complaint
/// breach): each such cell is a problem of its line and column; nothing is stored.
async fn future_timestamps_refused(app: &TestApp) {
    let admin = app.admin().await;
    setup(app, &admin).await;
    let csv = "complaint_id,customer_id,received_at,first_response_at,resolved_at,category,compensation,reopened_at\n\
               F-1,A,2026-03-02 09:00,2099-01-01 09:00,,price,,\n\
               F-2,A,2026-03-02 09:00,,2099-01-01 09:00,price,,\n\
               F-3,A,2026-03-02 09:00,2026-03-02 10:00,2026-03-03 10:00,price,,2099-01-01 09:00\n\
               F-4,A,2099-01-01 09:00,,,price,,\n";
    let (s, b) = upload(app, Some(&admin), "", csv).await;
    assert_eq!(s, 422, "{b}");
    let rows = b["error"]["rows"].as_array().unwrap();
    let got: Vec<(i64, &str)> = rows
        .iter()
        .map(|r| (r["row"].as_i64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            (2, "first_response_at"),
            (3, "resolved_at"),
            (4, "reopened_at"),
            (5, "received_at")
        ],
        "{b}"
    );
    for (r, what) in rows.iter().zip([
        "a first response",
        "a resolution",
        "a reopening",
        "a receipt",
    ]) {
        assert!(
            r["message"]
                .as_str()
                .unwrap()
                .contains(&format!("{what} no more than a day ahead")),
            "{b}"
        );
    }
    assert_eq!(count(app, &admin).await, 0, "nothing stored");
}

server_test!(future_timestamps_refused_both, future_timestamps_refused);
