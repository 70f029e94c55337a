//! Measures the Parquet summary path without the CLI around it:
//! `cargo run --release -p comeback-parquet --example summarize FILE.parquet [threads]`.
//! Reads the file with default options into the streaming summary (`SummaryBuilder`, two
//! worker threads unless told), finishes it and walks every customer's summary row; prints
//! rows, customers, seconds and a checksum of the summary (so two builds can be compared).

use comeback_core::{Collapse, SummaryBuilder, TimeUnit};
use comeback_ingest::{IngestOptions, TransactionReader};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: summarize FILE.parquet [threads]")?;
    let threads: usize = std::env::args().nth(2).map_or(Ok(2), |s| s.parse())?;
    let start = Instant::now();
    let mut b = SummaryBuilder::new(None, Collapse::Day).threads(threads);
    let mut tr = TransactionReader::new(IngestOptions::default());
    let report =
        comeback_parquet::read_transactions(&mut tr, std::path::Path::new(&path), &path, |r| {
            b.add(r.customer, r.day, r.amount).map(|_| ())
        })?;
    let read = start.elapsed().as_secs_f64();
    let s = b.finish()?;
    let finished = start.elapsed().as_secs_f64();
    let mut sum = 0u64;
    s.for_each_summary(TimeUnit::Days, |r| {
        sum = sum
            .wrapping_mul(31)
            .wrapping_add(u64::from(r.frequency))
            .wrapping_add(r.recency.to_bits() ^ r.t.to_bits() ^ r.monetary_value.to_bits());
        Ok::<_, std::convert::Infallible>(())
    })?;
    let total = start.elapsed().as_secs_f64();
    println!(
        "{path}: {} rows, {} customers; read + group-by {read:.2} s, finish {:.2} s, walk {:.2} s, total {total:.2} s ({:.2} M rows/s); checksum {sum:016x}",
        report.rows_read,
        s.len(),
        finished - read,
        total - finished,
        report.rows_read as f64 / total / 1e6
    );
    Ok(())
}
