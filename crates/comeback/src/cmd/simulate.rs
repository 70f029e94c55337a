//! `comeback simulate`: a synthetic transaction log, streamed.

use super::common::{parse_params, write_atomically};
use anyhow::{Result, bail};
use comeback_core::{Day, TimeUnit};
use comeback_models::simulate::{Process, SimulatedPurchase, SimulationSpec, Simulator, Spend};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use std::io::Write;
use std::path::PathBuf;

/// Flags of `comeback simulate`.
///
/// Writes CSV `customer_id,date,amount` (header line first). Defaults reproduce the
/// CDNOW cohort: BG/NBD r=0.243, α=4.414, a=0.793, b=2.426 per week (Fader, Hardie & Lee
/// 2005), Gamma-Gamma p=6.25, q=3.74, γ=15.44 (Fader & Hardie 2013), 12 weeks of
/// acquisition, 78 weeks observed.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Purchase process.
    #[arg(long, value_enum, default_value = "bgnbd")]
    model: SimModel,
    /// Process parameters: `r=..,alpha=..,a=..,b=..` (bgnbd) or `r=..,alpha=..,s=..,beta=..`
    /// (pareto-nbd), rates per `--unit`. Default: the published CDNOW estimates.
    #[arg(long)]
    params: Option<String>,
    /// Spend parameters `p=..,q=..,gamma=..`; `none` writes amount 0.
    #[arg(long, default_value = "p=6.25,q=3.74,gamma=15.44")]
    spend_params: String,
    /// Number of customers.
    #[arg(long, default_value_t = 10_000)]
    customers: u64,
    /// First purchases are spread uniformly over this many days.
    #[arg(long, default_value_t = 84)]
    acquisition_days: u32,
    /// Days observed from the start date (purchases later are not written).
    #[arg(long, default_value_t = 546)]
    observation_days: u32,
    /// Unit of the process rates.
    #[arg(long, default_value = "weeks")]
    unit: TimeUnit,
    /// First calendar day (YYYY-MM-DD).
    #[arg(long, default_value = "2024-01-01")]
    start: String,
    /// Random seed: the same seed and flags give the same file.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Row order: `customer` streams customer by customer in constant memory; `random`
    /// shuffles all rows in memory (24 bytes per row), for benchmarks of unsorted input.
    #[arg(long, value_enum, default_value = "customer")]
    order: Order,
    /// Output file (written atomically); default standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SimModel {
    Bgnbd,
    ParetoNbd,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Order {
    Customer,
    Random,
}

/// Runs `comeback simulate`.
pub fn run(args: Args) -> Result<()> {
    let process = match args.model {
        SimModel::Bgnbd => {
            let v = parse_params(
                "--params",
                args.params
                    .as_deref()
                    .unwrap_or("r=0.243,alpha=4.414,a=0.793,b=2.426"),
                &["r", "alpha", "a", "b"],
            )?;
            Process::BgNbd {
                r: v[0],
                alpha: v[1],
                a: v[2],
                b: v[3],
            }
        }
        SimModel::ParetoNbd => {
            let v = parse_params(
                "--params",
                args.params
                    .as_deref()
                    .unwrap_or("r=0.553,alpha=10.578,s=0.606,beta=11.669"),
                &["r", "alpha", "s", "beta"],
            )?;
            Process::ParetoNbd {
                r: v[0],
                alpha: v[1],
                s: v[2],
                beta: v[3],
            }
        }
    };
    let spend = if args.spend_params.trim().eq_ignore_ascii_case("none") {
        None
    } else {
        let v = parse_params("--spend-params", &args.spend_params, &["p", "q", "gamma"])?;
        Some(Spend {
            p: v[0],
            q: v[1],
            gamma: v[2],
        })
    };
    let Some(start) = Day::parse_iso(&args.start) else {
        bail!(
            "--start: cannot parse \"{}\" as a date (format %Y-%m-%d)",
            args.start
        );
    };
    let sim = Simulator::new(SimulationSpec {
        process,
        spend,
        rate_unit: args.unit,
        start,
        acquisition_days: args.acquisition_days,
        observation_days: args.observation_days,
    })?;
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut write = |w: &mut dyn Write| -> Result<()> {
        w.write_all(b"customer_id,date,amount\n")?;
        let mut line = Vec::with_capacity(64);
        let mut buf = Vec::new();
        match args.order {
            Order::Customer => {
                for id in 0..args.customers {
                    sim.customer(&mut rng, &mut buf);
                    for p in &buf {
                        line.clear();
                        format_row(&mut line, id, p);
                        w.write_all(&line)?;
                    }
                }
            }
            Order::Random => {
                let mut rows: Vec<(u64, SimulatedPurchase)> = Vec::new();
                for id in 0..args.customers {
                    sim.customer(&mut rng, &mut buf);
                    rows.extend(buf.iter().map(|p| (id, *p)));
                }
                rows.shuffle(&mut rng);
                for (id, p) in &rows {
                    line.clear();
                    format_row(&mut line, *id, p);
                    w.write_all(&line)?;
                }
            }
        }
        w.flush()?;
        Ok(())
    };
    match &args.output {
        Some(path) => write_atomically(path, write),
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            write(&mut w)
        }
    }
}

fn format_row(line: &mut Vec<u8>, id: u64, p: &SimulatedPurchase) {
    line.extend_from_slice(id.to_string().as_bytes());
    line.push(b',');
    p.day.write_iso(line);
    line.push(b',');
    let m = p.amount.micros();
    let cents = m / 10_000;
    line.extend_from_slice(format!("{}.{:02}\n", cents / 100, cents % 100).as_bytes());
}
