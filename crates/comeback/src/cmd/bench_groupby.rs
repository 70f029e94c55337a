//! `comeback bench-groupby` (hidden): times the in-memory group-by alone, for the
//! side-by-side benchmark in `bench/summary.py`.
//!
//! The file is parsed into memory first (untimed); then each run times what `summarize`
//! does after parsing: `TransactionLogBuilder` (same-day collapse, exact sums, on the
//! machine's threads) + `finish_compact` + every customer's summary row (frequency, recency,
//! T, monetary value), over the parsed rows. Prints a JSON array of seconds per run.

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
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut secs = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let t0 = std::time::Instant::now();
        let mut b = TransactionLogBuilder::new(None).threads(threads);
        for (c, d, a) in &rows {
            b.add(c, *d, *a)?;
        }
        let log = b.finish_compact();
        let mut check = 0.0;
        log.for_each_summary(&SummaryOptions::default(), |r| {
            check += r.recency + r.t + r.monetary_value + f64::from(r.frequency);
            Ok::<_, std::convert::Infallible>(())
        })?;
        secs.push(t0.elapsed().as_secs_f64());
        std::hint::black_box(check);
    }
    outln!("{}", serde_json::to_string(&secs)?)?;
    Ok(())
}
