//! A batch ingest killed with SIGKILL midway leaves all of the batch or none.
//!
//! The parent test re-invokes this test binary as a child that runs only
//! `crash::child_process` with `CRASH_URL` set; the child ingests one large batch and is
//! killed halfway through (timed from an uninterrupted run of the same batch).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use comeback_store::{Store, StoreConfig, TransactionInput};

use crate::common::{PG_ENV, TestDb, at, drop_schema, fresh_schema};

const CRASH_URL: &str = "COMEBACK_STORE_CRASH_URL";
const CRASH_SCHEMA: &str = "COMEBACK_STORE_CRASH_SCHEMA";
const ROWS: usize = 60_000;

fn big_batch() -> Vec<TransactionInput> {
    let t0 = at("2024-01-01T00:00:00Z");
    (0..ROWS)
        .map(|i| {
            TransactionInput::new(
                format!("crash-{i:07}"),
                format!("cust-{:05}", i % 20_000),
                t0 + chrono::TimeDelta::minutes(i as i64),
                comeback_core::Amount::from_micros(1_000_000 + i as i64),
                "EUR",
            )
        })
        .collect()
}

async fn open(url: &str, schema: Option<&str>) -> Store {
    let mut c = StoreConfig::new(url);
    if let Some(s) = schema {
        c = c.pg_schema(s);
    }
    c.connect().await.unwrap()
}

/// The child: does nothing unless started by the parent.
#[tokio::test]
async fn child_process() {
    let Ok(url) = std::env::var(CRASH_URL) else {
        return;
    };
    let schema = std::env::var(CRASH_SCHEMA).ok();
    let store = open(&url, schema.as_deref()).await;
    let batch = big_batch();
    println!("READY");
    let out = store.ingest_transactions(&batch).await.unwrap();
    println!("DONE {}", out.inserted);
}

/// Runs the child on `url`, killing it `kill_after` after it said READY (never when
/// `None`). Returns how long it ran after READY and whether it finished.
fn run_child(url: &str, schema: Option<&str>, kill_after: Option<Duration>) -> (Duration, bool) {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args([
        "crash::child_process",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CRASH_URL, url)
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    if let Some(s) = schema {
        cmd.env(CRASH_SCHEMA, s);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("child said READY");
        if line.ends_with("READY") {
            break;
        }
    }
    let start = Instant::now();
    let mut done = false;
    match kill_after {
        None => {
            while let Ok(line) = rx.recv_timeout(Duration::from_secs(300)) {
                if line.starts_with("DONE ") {
                    done = true;
                    break;
                }
            }
        }
        Some(d) => {
            while let Ok(line) = rx.recv_timeout(d.saturating_sub(start.elapsed())) {
                if line.starts_with("DONE ") {
                    done = true;
                    break;
                }
            }
            child.kill().unwrap(); // SIGKILL on Unix
        }
    }
    let elapsed = start.elapsed();
    child.wait().unwrap();
    (elapsed, done)
}

async fn stored_rows(store: &Store) -> usize {
    let log = store
        .transaction_log(&comeback_store::LogQuery::default())
        .await
        .unwrap();
    log.rows_kept() as usize
}

/// `fresh()` gives a new empty database as (url, schema).
async fn all_or_nothing(fresh: impl Fn() -> (String, Option<String>)) {
    // An uninterrupted run measures how long the batch takes.
    let (url, schema) = fresh();
    open(&url, schema.as_deref()).await.close().await;
    let (full, done) = run_child(&url, schema.as_deref(), None);
    assert!(done, "the uninterrupted child finished");
    let store = open(&url, schema.as_deref()).await;
    assert_eq!(stored_rows(&store).await, ROWS);
    store.close().await;

    let mut killed_midway = 0;
    // Later fractions only when the earlier kills all came too late (a loaded machine
    // made the timed run slow).
    for fraction in [0.5, 0.25, 0.75, 0.1, 0.05] {
        if fraction < 0.25 && killed_midway > 0 {
            break;
        }
        let (url, schema) = fresh();
        open(&url, schema.as_deref()).await.close().await;
        let kill_after = full.mul_f64(fraction);
        let (_, done) = run_child(&url, schema.as_deref(), Some(kill_after));
        let store = open(&url, schema.as_deref()).await;
        let n = stored_rows(&store).await;
        assert!(
            n == 0 || n == ROWS,
            "{n} of {ROWS} rows after SIGKILL at {kill_after:?}"
        );
        if !done {
            killed_midway += 1;
            // The interrupted batch can be sent again and completes.
            let out = store.ingest_transactions(&big_batch()).await.unwrap();
            assert_eq!(out.inserted as usize + out.duplicates as usize, ROWS);
            assert_eq!(stored_rows(&store).await, ROWS);
        }
        store.close().await;
    }
    assert!(
        killed_midway > 0,
        "no child was killed before it finished ({full:?})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_batch_killed_midway_is_all_or_nothing() {
    let dirs = std::sync::Mutex::new(Vec::new());
    all_or_nothing(|| {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("crash.db").display());
        dirs.lock().unwrap().push(dir);
        (url, None)
    })
    .await;
    // The SQLite files are intact after the kills.
    let dirs = dirs.into_inner().unwrap();
    for d in &dirs {
        use sqlx::Connection;
        let url = format!("sqlite://{}", d.path().join("crash.db").display());
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let ok: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(ok, "ok");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_batch_killed_midway_is_all_or_nothing() {
    let name = "crash::postgres_batch_killed_midway_is_all_or_nothing";
    let Some(probe) = TestDb::postgres(name).await else {
        return;
    };
    probe.cleanup().await;
    let url = std::env::var(PG_ENV).unwrap();
    let schemas = std::sync::Mutex::new(Vec::new());
    all_or_nothing(|| {
        let s = fresh_schema();
        schemas.lock().unwrap().push(s.clone());
        (url.clone(), Some(s))
    })
    .await;
    for s in schemas.into_inner().unwrap() {
        drop_schema(&url, &s).await;
    }
}
