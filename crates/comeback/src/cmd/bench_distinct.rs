//! `comeback bench-distinct` (hidden): why fits stay on one machine, measured. Simulates
//! `--customers` customers in process (the CDNOW BG/NBD process and defaults of `comeback
//! simulate`), reduces each to its day-resolution summary (x, tₓ, T) in whole days (same-day
//! purchases collapsed, T to the last observed day), counts the distinct (x, tₓ, T) rows,
//! then times the BG/NBD fit on those weighted distinct rows (in weeks). Prints one JSON
//! object: customers, distinct rows, seconds to simulate and reduce, seconds to fit, the
//! parameters. Used by `bench/distinct.py`.

use anyhow::Result;
use comeback_core::{Day, TimeUnit};
use comeback_models::bgnbd::BgNbd;
use comeback_models::fit::{FitOptions, Rfm, RfmData};
use comeback_models::simulate::{Process, SimulatedPurchase, SimulationSpec, Simulator};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::collections::HashMap;

/// Flags of `comeback bench-distinct`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Customers simulated.
    #[arg(long, default_value_t = 1_000_000)]
    customers: u64,
    /// Random seed.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
}

/// Runs `comeback bench-distinct`.
pub fn run(args: Args) -> Result<()> {
    let start = Day::parse_iso("2024-01-01").unwrap_or_default();
    let observation_days = 546u32;
    let sim = Simulator::new(SimulationSpec {
        process: Process::BgNbd {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        },
        spend: None,
        rate_unit: TimeUnit::Weeks,
        start,
        acquisition_days: 84,
        observation_days,
    })?;
    let end = Day(start.0 + observation_days as i32 - 1);
    let t0 = std::time::Instant::now();
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut buf: Vec<SimulatedPurchase> = Vec::new();
    // (x, tₓ, T) in days → customers.
    let mut counts: HashMap<(u32, u32, u32), u64> = HashMap::new();
    for _ in 0..args.customers {
        sim.customer(&mut rng, &mut buf);
        let Some(first) = buf.first().map(|p| p.day) else {
            continue;
        };
        let (mut x, mut last) = (0u32, first);
        for p in &buf[1..] {
            if p.day != last {
                x += 1;
                last = p.day;
            }
        }
        let key = (x, (last.0 - first.0) as u32, (end.0 - first.0) as u32);
        *counts.entry(key).or_insert(0) += 1;
    }
    let reduce_seconds = t0.elapsed().as_secs_f64();
    let customers: u64 = counts.values().sum();
    let mut keys: Vec<_> = counts.into_iter().collect();
    keys.sort_unstable();
    let w = TimeUnit::Weeks;
    let rows: Vec<Rfm> = keys
        .iter()
        .map(|((x, tx, t), _)| {
            Rfm::new(
                f64::from(*x),
                w.from_days(i64::from(*tx)),
                w.from_days(i64::from(*t)),
            )
        })
        .collect::<Result<_, _>>()?;
    let weights: Vec<f64> = keys.iter().map(|(_, n)| *n as f64).collect();
    let t1 = std::time::Instant::now();
    let data = RfmData::new(&rows, Some(&weights))?;
    let fit = BgNbd::fit(&data, &FitOptions::default())?;
    let fit_seconds = t1.elapsed().as_secs_f64();
    let r = &fit.report;
    outln!(
        "{}",
        serde_json::json!({
            "customers": customers,
            "distinct_rows": keys.len(),
            "simulate_and_reduce_seconds": reduce_seconds,
            "fit_seconds": fit_seconds,
            "model": "bgnbd",
            "params": r.param_names.iter().zip(&r.params).map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
            "true_params": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
            "log_likelihood": r.log_likelihood,
            "iterations": r.iterations,
            "converged": r.converged,
        })
    )?;
    Ok(())
}
