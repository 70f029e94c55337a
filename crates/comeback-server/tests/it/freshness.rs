//! Scores stay fresh: ingest asks for a refit, debounced (several batches in a short
//! window give one refit), and `GET /api/v1/status` and `/status` show it.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::TestApp;

const QUERY: &str =
    "header=false&customer_col=2&date_col=3&amount_col=5&date_format=%25Y%25m%25d&currency=USD";

async fn status(app: &TestApp, token: &str) -> Value {
    let (s, v) = app.get("/api/v1/status", Some(token)).await;
    assert_eq!(s, 200, "{v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_uploads_in_a_window_give_one_refit() {
    let app = TestApp::sqlite_with(|mut s| {
        s.refit_debounce_ms = 1_500;
        s
    })
    .await;
    let admin = app.admin().await;
    let v = status(&app, &admin).await;
    assert_eq!(v["refit"], "never");
    assert_eq!(v["pending"], false);
    assert!(v["last_fit"].is_null());
    assert_eq!(v["debounce_ms"], 1500);

    // The CDNOW sample in three parts, one after the other.
    let text = std::str::from_utf8(comeback_server::demo::CDNOW_SAMPLE).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let third = lines.len() / 3 + 1;
    for part in lines.chunks(third) {
        let (s, v) = app
            .post_raw(
                &format!("/api/v1/uploads/transactions?{QUERY}"),
                "text/plain",
                part.join("\n").into_bytes(),
                Some(&admin),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let st = status(&app, &admin).await;
        assert_eq!(st["pending"], true, "{st}");
        assert_eq!(st["stale"], true, "{st}");
    }
    // Wait for the one refit.
    let mut last = Value::Null;
    for _ in 0..1200 {
        last = status(&app, &admin).await;
        if last["refit"] == "succeeded" && last["pending"] == false {
            break;
        }
        assert_ne!(last["refit"], "failed", "{last}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(last["refit"], "succeeded", "{last}");
    assert_eq!(last["completed_refits"], 1, "{last}");
    assert_eq!(last["stale"], false, "{last}");
    assert_eq!(last["phase"], "idle");
    // All three parts are in it: the sample's 2,357 customers.
    assert_eq!(last["last_fit"]["customers"], 2357, "{last}");
    assert_eq!(last["last_fit"]["observation_end"], "1998-06-30", "{last}");
    let snap = app.state.scores.current().unwrap();
    assert_eq!(
        last["last_fit"]["model"],
        snap.analysis.model.kind().display_name()
    );
    // Nothing else starts later.
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    assert_eq!(status(&app, &admin).await["completed_refits"], 1);

    // A re-sent part stores nothing and asks for no refit.
    let (s, v) = app
        .post_raw(
            &format!("/api/v1/uploads/transactions?{QUERY}"),
            "text/plain",
            lines[..10].join("\n").into_bytes(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["inserted"], 0);
    assert_eq!(status(&app, &admin).await["pending"], false);

    let resp = app
        .client
        .get(app.url("/status?lang=en"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("refit-succeeded"), "{html}");
    assert!(html.contains("2,357"), "{html}");
    assert!(
        html.contains(
            snap.analysis
                .model
                .kind()
                .display_name()
                .replace('/', "&#x2f;")
                .as_str()
        ),
        "{html}"
    );
    app.cleanup().await;
}
