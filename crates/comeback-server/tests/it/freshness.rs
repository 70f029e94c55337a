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

/// Waits until a refit that finished after `after` completed refits has succeeded.
async fn wait_refits(app: &TestApp, token: &str, completed: u64) -> Value {
    let mut last = Value::Null;
    for _ in 0..2400 {
        last = status(app, token).await;
        assert_ne!(last["refit"], "failed", "{last}");
        if last["completed_refits"].as_u64() >= Some(completed)
            && last["pending"] == false
            && last["refit"] == "succeeded"
        {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no refit: {last}");
}

/// The CDNOW sample split by date: the purchases up to 1997-09-30, and the later ones.
fn cdnow_before_and_after() -> (String, String, usize) {
    let text = std::str::from_utf8(comeback_server::demo::CDNOW_SAMPLE).unwrap();
    let (mut before, mut after) = (String::new(), String::new());
    let mut later_customers = std::collections::BTreeSet::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f[2] <= "19970930" {
            before.push_str(line);
            before.push('\n');
        } else {
            after.push_str(line);
            after.push('\n');
            later_customers.insert(f[1].to_owned());
        }
    }
    (before, after, later_customers.len())
}

/// Issue 6, "scores stay fresh": after a batch only the touched customers' transactions
/// are read (the status says how many), and the analysis — summary, fit, every score,
/// stage and list — is the one a full read of the store gives, to the last bit (compared
/// through `Debug`, which prints every float exactly).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refit_after_a_batch_reads_only_touched_customers_and_equals_a_full_one() {
    let app = TestApp::sqlite_with(|mut s| {
        s.refit_debounce_ms = 200;
        s
    })
    .await;
    let admin = app.admin().await;
    let (before, after, touched) = cdnow_before_and_after();
    // 1,1xx of the 2,357 customers buy again after September 1997.
    assert!(touched > 100 && touched < 2357, "{touched}");

    let (s, v) = app
        .post_raw(
            &format!("/api/v1/uploads/transactions?{QUERY}"),
            "text/plain",
            before.into_bytes(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let first = wait_refits(&app, &admin, 1).await;
    assert_eq!(first["last_fit"]["read"], "all", "{first}");
    assert!(first["last_fit"]["customers_read"].is_null(), "{first}");
    assert_eq!(first["last_fit"]["customers"], 2357, "{first}");
    assert_eq!(
        first["last_fit"]["observation_end"], "1997-09-30",
        "{first}"
    );

    let (s, v) = app
        .post_raw(
            &format!("/api/v1/uploads/transactions?{QUERY}"),
            "text/plain",
            after.into_bytes(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let second = wait_refits(&app, &admin, 2).await;
    assert_eq!(second["last_fit"]["read"], "touched", "{second}");
    assert_eq!(second["last_fit"]["customers_read"], touched, "{second}");
    assert_eq!(
        second["last_fit"]["observation_end"], "1998-06-30",
        "{second}"
    );
    let resp = app
        .client
        .get(app.url("/status?lang=en"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    let said = format!(
        "only those of the {} customers with new data",
        comeback_report::format::count(touched as u64, comeback_report::Lang::En)
    );
    assert!(html.contains(&said), "{said} not in {html}");
    let incremental = app.state.scores.current().unwrap();
    assert_eq!(
        incremental.read,
        comeback_server::scores::LogRead::Touched { customers: touched }
    );

    // The same analysis from a full read of the store.
    let log = app
        .store
        .transaction_log(&comeback_store::LogQuery::default())
        .await
        .unwrap();
    let options = comeback_analysis::AnalysisOptions {
        bootstrap: 0,
        ..comeback_analysis::AnalysisOptions::default()
    };
    let full = comeback_analysis::analyze(&log, &options).unwrap();
    assert_eq!(full.summary.customers.len(), 2357);
    assert_eq!(
        format!("{:?}", incremental.analysis),
        format!("{full:?}"),
        "incremental refit differs from a full recompute"
    );

    // An explicit refit reads everything and gives the same numbers again.
    let (s, v) = app
        .post_json("/api/v1/model/refit", &serde_json::json!({}), Some(&admin))
        .await;
    assert!(s == 200 || s == 202, "{s} {v}");
    let third = wait_refits(&app, &admin, 3).await;
    assert_eq!(third["last_fit"]["read"], "all", "{third}");
    let again = app.state.scores.current().unwrap();
    assert_eq!(format!("{:?}", again.analysis), format!("{full:?}"));
    app.cleanup().await;
}

/// Readers never wait for a refit: while one runs (reading the log and fitting), the
/// overview page, a customer page and the metrics keep answering 200 from the previous
/// scores, and they show the new scores once it is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_answer_from_the_previous_scores_during_a_refit() {
    let app = TestApp::sqlite().await;
    let admin = app.admin().await;
    let text = std::str::from_utf8(comeback_server::demo::CDNOW_SAMPLE).unwrap();
    let (s, v) = app
        .post_raw(
            &format!("/api/v1/uploads/transactions?{QUERY}"),
            "text/plain",
            text.as_bytes().to_vec(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    wait_refits(&app, &admin, 1).await;
    let old = app.state.scores.current().unwrap().computed_at;

    let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let reader = {
        let running = running.clone();
        let client = app.client.clone();
        let urls = [
            app.url("/?lang=en"),
            app.url("/customers/0001?lang=en"),
            app.url("/api/v1/metrics"),
        ];
        let admin = admin.clone();
        tokio::spawn(async move {
            // (path index, status, body length)
            let mut seen = Vec::new();
            let mut k = 0;
            while running.load(std::sync::atomic::Ordering::SeqCst) {
                let r = client
                    .get(&urls[k % 3])
                    .bearer_auth(&admin)
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let body = r.text().await.unwrap();
                seen.push((k % 3, status, body.len()));
                k += 1;
            }
            seen
        })
    };
    // Let the reader start, then refit while it reads.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(app.state.scores.start_refit(app.store.clone()));
    let running_now = || {
        matches!(
            app.state.scores.state(),
            comeback_server::scores::RefitState::Running { .. }
        )
    };
    // (running when sent, running when answered, computed_at served)
    let mut reads = Vec::new();
    let refit_started = std::time::Instant::now();
    while running_now() {
        let before = running_now();
        let (s, v) = app.get("/api/v1/metrics", Some(&admin)).await;
        assert_eq!(s, 200, "{v}");
        reads.push((before, running_now(), v["computed_at"].clone()));
    }
    let refit_s = refit_started.elapsed().as_secs_f64();
    running.store(false, std::sync::atomic::Ordering::SeqCst);
    let seen = reader.await.unwrap();
    let end = app.state.scores.state();
    assert!(
        matches!(end, comeback_server::scores::RefitState::Succeeded { .. }),
        "{end:?}"
    );
    let new = app.state.scores.current().unwrap().computed_at;
    assert!(new > old);
    // Every read succeeded; each served the previous or the new scores, the previous ones
    // until the swap; several were answered from the previous ones while the refit ran.
    assert!(seen.iter().all(|&(_, s, n)| s == 200 && n > 0), "{seen:?}");
    let (old_v, new_v) = (
        serde_json::to_value(old).unwrap(),
        serde_json::to_value(new).unwrap(),
    );
    assert!(
        reads.iter().all(|r| r.2 == old_v || r.2 == new_v),
        "{reads:?}"
    );
    let first_new = reads
        .iter()
        .position(|r| r.2 == new_v)
        .unwrap_or(reads.len());
    assert!(reads[first_new..].iter().all(|r| r.2 == new_v), "{reads:?}");
    let during = reads.iter().filter(|r| r.0 && r.1 && r.2 == old_v).count();
    assert!(
        during >= 3,
        "only {during} reads answered during a {refit_s:.2} s refit: {reads:?}"
    );
    let (s, v) = app.get("/api/v1/metrics", Some(&admin)).await;
    assert_eq!(s, 200);
    assert_eq!(v["computed_at"], serde_json::to_value(new).unwrap());
    app.cleanup().await;
}

/// Issue 11, "the server on PostgreSQL at size": on PostgreSQL a refit takes its summaries
/// from the database (comeback-sql's query, `Store::database_summaries`), and its scores,
/// stages and lists are those of `analyze` on the log read from the store (reals within
/// 1e-9 relative: the database sums the amounts as doubles).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_refit_summarises_in_the_database_and_equals_analyze() {
    let Some(app) = TestApp::postgres_with(
        "freshness::postgres_refit_summarises_in_the_database_and_equals_analyze",
        |mut s| {
            s.refit_debounce_ms = 200;
            s
        },
    )
    .await
    else {
        return;
    };
    let admin = app.admin().await;
    let (s, v) = app
        .post_raw(
            &format!("/api/v1/uploads/transactions?{QUERY}"),
            "text/plain",
            comeback_server::demo::CDNOW_SAMPLE.to_vec(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let done = wait_refits(&app, &admin, 1).await;
    assert_eq!(done["last_fit"]["read"], "all", "{done}");
    assert_eq!(done["last_fit"]["customers"], 2357, "{done}");
    let got = app.state.scores.current().unwrap();
    let log = app
        .store
        .transaction_log(&comeback_store::LogQuery::default())
        .await
        .unwrap();
    let options = comeback_analysis::AnalysisOptions {
        bootstrap: 0,
        ..comeback_analysis::AnalysisOptions::default()
    };
    let want = comeback_analysis::analyze(&log, &options).unwrap();
    let a = &got.analysis;
    assert_eq!(a.summary.customers.len(), want.summary.customers.len());
    let close = |what: &str, x: f64, y: f64| {
        let scale = x.abs().max(y.abs()).max(1e-300);
        assert!(
            x == y || (x - y).abs() / scale <= 1e-9,
            "{what}: {x} vs {y}"
        );
    };
    for (g, w) in a.summary.customers.iter().zip(&want.summary.customers) {
        assert_eq!(
            (&g.customer_id, g.frequency, g.recency, g.t),
            (&w.customer_id, w.frequency, w.recency, w.t)
        );
        close("monetary_value", g.monetary_value, w.monetary_value);
    }
    for (i, (g, w)) in a.scores.clv.iter().zip(&want.scores.clv).enumerate() {
        close(&format!("clv[{i}]"), *g, *w);
        close(
            &format!("p_alive[{i}]"),
            a.scores.p_alive[i],
            want.scores.p_alive[i],
        );
    }
    assert_eq!(a.comparison.chosen, want.comparison.chosen);
    assert_eq!(a.lifecycle.stages, want.lifecycle.stages);
    assert_eq!(a.lists, want.lists);
    app.cleanup().await;
}
