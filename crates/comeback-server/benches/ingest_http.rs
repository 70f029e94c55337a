//! Batch ingest over HTTP into SQLite: the real server on a loopback port, JSON batches of
//! `BATCH` transactions sent by `CLIENTS` concurrent clients, new customers and repeat
//! customers mixed. Prints transactions per second (target ≥ 50,000/s).
//!
//! `cargo bench -p comeback-server --bench ingest_http` (release build); the raw output is
//! kept in `bench/results/server_ingest.txt`.

use std::time::Instant;

use comeback_server::{Application, Settings};
use comeback_store::{NewUser, Role, Store};
use serde_json::{Value, json};

const BATCH: usize = 5_000;
const BATCHES: usize = 60;
const CLIENTS: usize = 2;
const CUSTOMERS: usize = 50_000;

fn batch(k: usize) -> Value {
    let rows: Vec<Value> = (0..BATCH)
        .map(|i| {
            let n = k * BATCH + i;
            json!({
                "external_id": format!("tx-{n:09}"),
                "customer": format!("cust-{:06}", (n * 7919) % CUSTOMERS),
                "occurred_at": format!("2024-{:02}-{:02}T{:02}:{:02}:00Z",
                    1 + n % 12, 1 + n % 28, n % 24, n % 60),
                "amount": format!("{}.{:02}", 5 + n % 200, n % 100),
                "currency": "EUR",
                "channel": if n.is_multiple_of(3) { "web" } else { "store" },
            })
        })
        .collect();
    json!({ "transactions": rows })
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let store = Store::connect(&url).await.unwrap();
        let user = store
            .create_user(&NewUser {
                email: "bench@example.com".to_owned(),
                role: Role::Admin,
                password_hash: None,
            })
            .await
            .unwrap();
        let token = store
            .create_api_token(user.id, "bench", chrono::Utc::now())
            .await
            .unwrap()
            .secret;
        let app = Application::build_with_store(Settings::for_database(url), store.clone())
            .await
            .unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let server = tokio::spawn(app.run_until_stopped());
        // Bodies are serialised before the clock starts: the client's JSON encoding is
        // not the server's cost.
        let bodies: Vec<Vec<u8>> = (0..BATCHES)
            .map(|k| serde_json::to_vec(&batch(k)).unwrap())
            .collect();
        let bytes: usize = bodies.iter().map(Vec::len).sum();
        let client = reqwest::Client::new();
        let started = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..CLIENTS {
            let mine: Vec<Vec<u8>> = bodies
                .iter()
                .enumerate()
                .filter(|(k, _)| k % CLIENTS == c)
                .map(|(_, b)| b.clone())
                .collect();
            let client = client.clone();
            let base = base.clone();
            let token = token.clone();
            tasks.push(tokio::spawn(async move {
                for body in mine {
                    let r = client
                        .post(format!("{base}/api/v1/transactions:batch"))
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .unwrap();
                    let status = r.status();
                    let text = r.text().await.unwrap();
                    assert!(status.is_success(), "{status}: {text}");
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let secs = started.elapsed().as_secs_f64();
        let rows = BATCH * BATCHES;
        let page = store.list_customers(None, 1000, None).await.unwrap();
        assert!(!page.items.is_empty());
        println!(
            "server_ingest sqlite http: {rows} transactions in {BATCHES} batches of {BATCH} \
             ({CLIENTS} clients, {CUSTOMERS} customers, {:.1} MB JSON) in {secs:.3} s: \
             {:.0} transactions/s",
            bytes as f64 / 1e6,
            rows as f64 / secs
        );
        server.abort();
    });
}
