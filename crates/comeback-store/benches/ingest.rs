//! Batch ingest throughput into SQLite: `cargo bench -p comeback-store --bench ingest`.
//!
//! Ingests `BATCHES` batches of `BATCH` transactions (20,000 customers, 4 locations, 50
//! employees) into a fresh SQLite file through `Store::ingest_transactions`, then re-sends
//! one batch (all duplicates), and prints rows per second. Target (issue 5): ≥ 50,000
//! transactions/s. Arguments: `[batch size] [batches]`.

use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};
use comeback_core::Amount;
use comeback_store::{Location, Store, TransactionInput};

fn batch(start: usize, n: usize, t0: DateTime<Utc>) -> Vec<TransactionInput> {
    (start..start + n)
        .map(|i| {
            let mut t = TransactionInput::new(
                format!("tx-{i:09}"),
                format!("customer-{:06}", (i * 7919) % 20_000),
                t0 + TimeDelta::seconds(i as i64 * 37),
                Amount::from_micros(1_000_000 + (i as i64 % 5_000) * 10_000),
                "EUR",
            );
            t.location = Some(format!("loc-{}", i % 4));
            t.employee = Some(format!("emp-{:02}", i % 50));
            t.channel = Some(if i % 3 == 0 { "web" } else { "store" }.to_owned());
            t
        })
        .collect()
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let size = args.first().copied().unwrap_or(10_000);
    let batches = args.get(1).copied().unwrap_or(20);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let store = Store::connect(&url).await.unwrap();
        for (i, tz) in [
            "Europe/Helsinki",
            "Europe/Madrid",
            "America/Sao_Paulo",
            "UTC",
        ]
        .iter()
        .enumerate()
        {
            store
                .upsert_location(&Location {
                    code: format!("loc-{i}"),
                    name: None,
                    time_zone: (*tz).to_owned(),
                })
                .await
                .unwrap();
        }
        let t0: DateTime<Utc> = "2023-01-01T00:00:00Z".parse().unwrap();
        let inputs: Vec<Vec<TransactionInput>> =
            (0..batches).map(|b| batch(b * size, size, t0)).collect();
        let start = Instant::now();
        let mut best = f64::INFINITY;
        for b in &inputs {
            let s = Instant::now();
            let out = store.ingest_transactions(b).await.unwrap();
            assert_eq!(out.inserted as usize, size);
            best = best.min(s.elapsed().as_secs_f64());
        }
        let total = start.elapsed().as_secs_f64();
        let rows = (size * batches) as f64;
        let s = Instant::now();
        let out = store.ingest_transactions(&inputs[0]).await.unwrap();
        assert_eq!(out.duplicates as usize, size);
        let resend = s.elapsed().as_secs_f64();
        println!("sqlite batch ingest: {batches} batches x {size} rows");
        println!(
            "  total        {rows:.0} rows in {total:.3} s = {:.0} rows/s",
            rows / total
        );
        println!("  best batch   {:.0} rows/s", size as f64 / best);
        println!(
            "  re-send      {size} duplicates in {resend:.3} s = {:.0} rows/s",
            size as f64 / resend
        );
        store.close().await;
    });
}
