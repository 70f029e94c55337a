//! `comeback bench-fit` (hidden): times a model fit in-process, for the side-by-side
//! benchmark in `bench/fits.py`.
//!
//! The summary file is read first (untimed, like lifetimes' DataFrame already in memory);
//! each run then times the whole fit: validation, compression of identical rows, the
//! maximum-likelihood search and the standard errors. Prints one JSON object with the
//! seconds of every run and the fit's parameters, log-likelihood and distinct-row count.

use super::fit::{ModelArg, fit_table};
use super::summary_input::{ColumnFlags, read_summary};
use anyhow::Result;
use comeback_models::fit::FitOptions;
use std::path::PathBuf;

/// Flags of `comeback bench-fit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Summary file (as for `comeback fit`).
    summary: PathBuf,
    /// Model.
    #[arg(long, value_enum)]
    model: ModelArg,
    /// Timed runs.
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

/// Runs `comeback bench-fit`.
pub fn run(args: Args) -> Result<()> {
    let table = read_summary(&args.summary, &ColumnFlags::default())?;
    let opts = FitOptions::default();
    let mut seconds = Vec::with_capacity(args.runs);
    let mut last = None;
    for _ in 0..args.runs.max(1) {
        let t0 = std::time::Instant::now();
        let r = fit_table(args.model, &table, &opts)?;
        seconds.push(t0.elapsed().as_secs_f64());
        last = Some(r);
    }
    let r = last.expect("at least one run");
    let params: serde_json::Map<String, serde_json::Value> = r
        .param_names
        .iter()
        .zip(&r.params)
        .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
        .collect();
    outln!(
        "{}",
        serde_json::json!({
            "seconds": seconds,
            "params": params,
            "log_likelihood": r.log_likelihood,
            "n_customers": r.n_customers,
            "n_rows_distinct": r.n_rows_distinct,
            "iterations": r.iterations,
            "converged": r.converged,
        })
    )?;
    Ok(())
}
