//! `comeback simulate`: a synthetic transaction log, streamed.

use super::common::{parse_params, write_atomically};
use anyhow::{Result, bail};
use comeback_core::{Day, TimeUnit};
use comeback_models::simulate::{
    ComplaintProcess, Membership, Process, SimulatedComplaint, SimulatedPurchase, SimulationSpec,
    Simulator, Spend,
};
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
    /// Loyalty-programme membership process (`comeback_models::simulate::Membership`):
    /// `launch_day=..,pre_days=..,intercept=..,slope=..,effect=..`. The programme opens
    /// `launch_day` days after `--start`; a customer is offered it at their first purchase
    /// on or after the launch and joins with probability 1 / (1 + exp(−(intercept + slope ·
    /// k))), k = their purchase days in the `pre_days` before; a member's purchase rate is
    /// multiplied by 1 + effect after enrolment. Needs `--members-output`.
    #[arg(long, value_name = "PARAMS", requires = "members_output")]
    membership: Option<String>,
    /// Members file of `--membership` (`customer_id,enrolled_at`, one row per member, the
    /// input of `comeback loyalty --members`), written atomically.
    #[arg(long, value_name = "FILE", requires = "membership")]
    members_output: Option<PathBuf>,
    /// Complaint process (`comeback_models::simulate::ComplaintProcess`):
    /// `probability=..,quick=..,slow=..,quick_hours=..,slow_hours=..,leave_quick=..,leave_slow=..,leave_unresolved=..`.
    /// At each purchase a customer who has not complained yet complains with `probability`;
    /// the complaint is resolved after `quick_hours` with probability `quick`, after
    /// `slow_hours` with probability `slow`, otherwise never; right after it the customer
    /// leaves at once with probability `leave_quick`, `leave_slow` or `leave_unresolved`
    /// (the true effect: repeat-purchase shares of two outcomes are in the ratio
    /// (1 − leave_a) / (1 − leave_b)). Needs `--complaints-output`.
    #[arg(long, value_name = "PARAMS", requires = "complaints_output")]
    complaints: Option<String>,
    /// Complaints file of `--complaints` (the columns of `comeback complaints`: received at
    /// the minute of the purchase, UTC; first response one hour later; category
    /// `quality`), written atomically.
    #[arg(long, value_name = "FILE", requires = "complaints")]
    complaints_output: Option<PathBuf>,
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
    let mut sim = Simulator::new(SimulationSpec {
        process,
        spend,
        rate_unit: args.unit,
        start,
        acquisition_days: args.acquisition_days,
        observation_days: args.observation_days,
    })?;
    if let Some(m) = &args.membership {
        let v = parse_params(
            "--membership",
            m,
            &["launch_day", "pre_days", "intercept", "slope", "effect"],
        )?;
        let day = |name: &str, x: f64| -> Result<u32> {
            if x.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&x) {
                Ok(x as u32)
            } else {
                bail!("--membership: {name} must be a whole number of days ≥ 0, got {x}")
            }
        };
        sim = sim.with_membership(Membership {
            launch_day: day("launch_day", v[0])?,
            pre_days: day("pre_days", v[1])?,
            intercept: v[2],
            slope: v[3],
            effect: v[4],
        })?;
    }
    if let Some(c) = &args.complaints {
        let v = parse_params(
            "--complaints",
            c,
            &[
                "probability",
                "quick",
                "slow",
                "quick_hours",
                "slow_hours",
                "leave_quick",
                "leave_slow",
                "leave_unresolved",
            ],
        )?;
        sim = sim.with_complaints(ComplaintProcess {
            probability: v[0],
            resolved_quickly: v[1],
            resolved_slowly: v[2],
            quick_hours: v[3],
            slow_hours: v[4],
            leave_quick: v[5],
            leave_slow: v[6],
            leave_unresolved: v[7],
        })?;
    }
    if let (Some(out), Some(members)) = (&args.output, &args.members_output)
        && super::common::same_file(out, members)
    {
        bail!("--members-output is the same file as --output");
    }
    for other in [&args.output, &args.members_output] {
        if let (Some(o), Some(c)) = (other, &args.complaints_output)
            && super::common::same_file(o, c)
        {
            bail!("--complaints-output is the same file as another output");
        }
    }
    let mut rng = StdRng::seed_from_u64(args.seed);
    // Enrolment days of the members, in customer order (only with --membership).
    let mut enrolled: Vec<(u64, comeback_core::Day)> = Vec::new();
    // Complaints, in customer order (only with --complaints).
    let mut complaints: Vec<(u64, SimulatedComplaint)> = Vec::new();
    let mut write = |w: &mut dyn Write| -> Result<()> {
        w.write_all(b"customer_id,date,amount\n")?;
        let mut line = Vec::with_capacity(64);
        let mut buf = Vec::new();
        match args.order {
            Order::Customer => {
                for id in 0..args.customers {
                    let ev = sim.customer_events(&mut rng, &mut buf);
                    if let Some(d) = ev.enrolled {
                        enrolled.push((id, d));
                    }
                    if let Some(c) = ev.complaint {
                        complaints.push((id, c));
                    }
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
                    let ev = sim.customer_events(&mut rng, &mut buf);
                    if let Some(d) = ev.enrolled {
                        enrolled.push((id, d));
                    }
                    if let Some(c) = ev.complaint {
                        complaints.push((id, c));
                    }
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
        Some(path) => write_atomically(path, &mut write)?,
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            write(&mut w)?
        }
    }
    if let Some(path) = &args.members_output {
        write_atomically(path, |w: &mut dyn Write| -> Result<()> {
            w.write_all(b"customer_id,enrolled_at\n")?;
            for (id, d) in &enrolled {
                writeln!(w, "{id},{d}")?;
            }
            w.flush()?;
            Ok(())
        })?;
    }
    if let (Some(path), Some(process)) = (&args.complaints_output, sim.complaints()) {
        write_atomically(path, |w: &mut dyn Write| -> Result<()> {
            w.write_all(
                b"complaint_id,customer_id,received_at,first_response_at,resolved_at,category,compensation\n",
            )?;
            for (k, (id, c)) in complaints.iter().enumerate() {
                let received = complaint_instant(c)?;
                let stamp = |t: chrono::DateTime<chrono::Utc>| {
                    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                };
                let resolved = process
                    .resolution_hours(c.outcome)
                    .map(|h| {
                        stamp(received + chrono::TimeDelta::seconds((h * 3600.0).round() as i64))
                    })
                    .unwrap_or_default();
                writeln!(
                    w,
                    "K{:06},{id},{},{},{resolved},quality,",
                    k + 1,
                    stamp(received),
                    stamp(received + chrono::TimeDelta::hours(1)),
                )?;
            }
            w.flush()?;
            Ok(())
        })?;
    }
    Ok(())
}

/// The instant of a simulated complaint: its day at its minute, UTC.
fn complaint_instant(c: &SimulatedComplaint) -> Result<chrono::DateTime<chrono::Utc>> {
    let Some(date) = c.day.date() else {
        bail!("complaint day {} is out of range", c.day.0);
    };
    let t = date
        .and_hms_opt(c.minute / 60, c.minute % 60, 0)
        .ok_or_else(|| anyhow::anyhow!("complaint minute {} is out of range", c.minute))?;
    Ok(t.and_utc())
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
