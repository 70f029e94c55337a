//! `comeback bench-groupby` (hidden): times the in-memory group-by alone, for the
//! side-by-side benchmark in `bench/summary.py`.
//!
//! The file is parsed into memory first (untimed); then each run times
//! `TransactionLogBuilder` (same-day collapse, exact sums) + `finish` + `summarize` over the
//! parsed rows. Prints a JSON array of seconds per run.

use super::ingest_args::IngestArgs;
use anyhow::Result;
use comeback_core::{Amount, Day, SummaryOptions, TransactionLogBuilder};
use comeback_ingest::TransactionReader;

/// Flags of `comeback bench-groupby`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    ingest: IngestArgs,
    /// Timed runs.
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

/// Runs `comeback bench-groupby`.
pub fn run(args: Args) -> Result<()> {
    let mut rows: Vec<(Box<str>, Day, Amount)> = Vec::new();
    TransactionReader::new(args.ingest.options()).read_path(&args.ingest.input, |r| {
        rows.push((r.customer.into(), r.day, r.amount));
        Ok::<_, std::convert::Infallible>(())
    })?;
    let mut secs = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let t0 = std::time::Instant::now();
        let mut b = TransactionLogBuilder::new(None);
        for (c, d, a) in &rows {
            b.add(c, *d, *a)?;
        }
        let s = b.finish().summarize(&SummaryOptions::default());
        secs.push(t0.elapsed().as_secs_f64());
        std::hint::black_box(s);
    }
    println!("{}", serde_json::to_string(&secs)?);
    Ok(())
}
