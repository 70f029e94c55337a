//! `comeback summarize`: the exact per-customer summary of a transaction file.

use super::common::write_atomically;
use super::ingest_args::{IngestArgs, Loaded, parse_day};
use anyhow::Result;
use comeback_core::{Collapse, Day, SummaryOptions, TimeUnit};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Flags of `comeback summarize`.
///
/// Output: CSV `customer_id,frequency,recency,T,monetary_value` sorted by customer id
/// (with `--calibration-end`: `customer_id,frequency_cal,recency_cal,T_cal,
/// monetary_value_cal,frequency_holdout,monetary_value_holdout,duration_holdout`). Times in
/// `--unit`, reals in shortest round-trip form. With `-o`, a sidecar `<output>.meta.json`
/// records the unit, dates, currency, checksum and row counts.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    ingest: IngestArgs,
    /// Unit of recency and T: days, weeks (7 days) or months (365.25/12 days).
    #[arg(long, default_value = "days")]
    unit: TimeUnit,
    /// Occasion period: one purchase occasion per day (default), ISO week or calendar month.
    #[arg(long, value_enum, default_value = "day")]
    collapse: CollapseArg,
    /// Split into calibration (up to and including this day) and holdout.
    #[arg(long, value_parser = parse_day)]
    calibration_end: Option<Day>,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Output file (written atomically, with a `.meta.json` sidecar); default standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// `--collapse` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CollapseArg {
    /// Calendar day.
    Day,
    /// ISO week, Monday to Sunday.
    Week,
    /// Calendar month.
    Month,
}

impl From<CollapseArg> for Collapse {
    fn from(c: CollapseArg) -> Collapse {
        match c {
            CollapseArg::Day => Collapse::Day,
            CollapseArg::Week => Collapse::Week,
            CollapseArg::Month => Collapse::Month,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, clap::ValueEnum)]
enum Format {
    Csv,
    Json,
}

/// Runs `comeback summarize`.
pub fn run(args: Args) -> Result<()> {
    let loaded = args.ingest.load()?;
    let opts = SummaryOptions {
        unit: args.unit,
        collapse: args.collapse.into(),
    };
    let (header, rows, extra) = table(&loaded, &opts, args.calibration_end)?;
    let write = |w: &mut dyn Write| -> Result<()> {
        match args.format {
            Format::Csv => {
                let mut csv = csv::Writer::from_writer(w);
                csv.write_record(&header)?;
                for r in &rows {
                    csv.write_record(r)?;
                }
                csv.flush()?;
            }
            Format::Json => {
                w.write_all(b"[")?;
                for (i, r) in rows.iter().enumerate() {
                    w.write_all(if i == 0 { b"\n{" } else { b",\n{" })?;
                    for (j, (k, v)) in header.iter().zip(r).enumerate() {
                        // The id is a JSON string; every other field is already a JSON number
                        // (integers, or reals in shortest round-trip form).
                        let v = if j == 0 {
                            serde_json::to_string(v)?
                        } else {
                            v.clone()
                        };
                        write!(w, "{}\"{k}\":{v}", if j == 0 { "" } else { "," })?;
                    }
                    w.write_all(b"}")?;
                }
                w.write_all(b"\n]\n")?;
            }
        }
        Ok(())
    };
    match &args.output {
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            write(&mut w)?;
            w.flush()?;
        }
        Some(path) => {
            write_atomically(path, write)?;
            let meta = meta_json(&args, &loaded, &opts, rows.len(), extra);
            write_atomically(&meta_path(path), |w| {
                serde_json::to_writer_pretty(&mut *w, &meta)?;
                w.write_all(b"\n")?;
                Ok(())
            })?;
            if !args.ingest.quiet {
                eprintln!(
                    "wrote {} customers to {} (and {})",
                    rows.len(),
                    path.display(),
                    meta_path(path).display()
                );
            }
        }
    }
    Ok(())
}

/// `<output>.meta.json`.
pub fn meta_path(output: &Path) -> PathBuf {
    let mut s = output.as_os_str().to_owned();
    s.push(".meta.json");
    PathBuf::from(s)
}

type Table = (Vec<&'static str>, Vec<Vec<String>>, serde_json::Value);

fn table(loaded: &Loaded, opts: &SummaryOptions, calibration_end: Option<Day>) -> Result<Table> {
    let f = |x: f64| x.to_string();
    Ok(match calibration_end {
        None => {
            let s = loaded.log.summarize(opts);
            let rows = s
                .customers
                .iter()
                .map(|c| {
                    vec![
                        c.customer_id.to_string(),
                        c.frequency.to_string(),
                        f(c.recency),
                        f(c.t),
                        f(c.monetary_value),
                    ]
                })
                .collect();
            (
                vec!["customer_id", "frequency", "recency", "T", "monetary_value"],
                rows,
                json!({}),
            )
        }
        Some(cal) => {
            let s = loaded.log.calibration_holdout(cal, opts)?;
            if !loaded.report.file.is_empty() && s.excluded_after_calibration > 0 {
                eprintln!(
                    "{}: {} customers first seen after the calibration end {cal} excluded",
                    loaded.report.file, s.excluded_after_calibration
                );
            }
            let rows = s
                .customers
                .iter()
                .map(|c| {
                    vec![
                        c.customer_id.to_string(),
                        c.frequency_cal.to_string(),
                        f(c.recency_cal),
                        f(c.t_cal),
                        f(c.monetary_value_cal),
                        c.frequency_holdout.to_string(),
                        f(c.monetary_value_holdout),
                        f(c.duration_holdout),
                    ]
                })
                .collect();
            (
                vec![
                    "customer_id",
                    "frequency_cal",
                    "recency_cal",
                    "T_cal",
                    "monetary_value_cal",
                    "frequency_holdout",
                    "monetary_value_holdout",
                    "duration_holdout",
                ],
                rows,
                json!({"excluded_after_calibration": s.excluded_after_calibration, "duration_holdout": s.duration_holdout}),
            )
        }
    })
}

fn meta_json(
    args: &Args,
    l: &Loaded,
    opts: &SummaryOptions,
    customers: usize,
    extra: serde_json::Value,
) -> serde_json::Value {
    let r = &l.report;
    let mut m = json!({
        "comeback_version": env!("CARGO_PKG_VERSION"),
        "kind": if args.calibration_end.is_some() { "calibration_holdout" } else { "summary" },
        "unit": opts.unit.as_str(),
        "collapse": opts.collapse.as_str(),
        "observation_end": l.log.observation_end().map(|d| d.to_string()),
        "calibration_end": args.calibration_end.map(|d| d.to_string()),
        "currency": r.currency.clone(),
        "currency_symbol": r.currency_symbol.clone(),
        "timezone": r.timezone.map(|t| t.name().to_string()),
        "input": {"file": r.file, "sha256": l.sha256, "bytes": r.bytes_read},
        "columns": r.mapping_lines(),
        "date_format": r.date_format,
        "refunds": r.refunds.to_string(),
        "rows": {
            "read": r.rows_read,
            "kept": l.log.rows_kept(),
            "rejected": r.rows_rejected,
            "duplicates": r.duplicate_rows,
            "refunds": r.refund_rows,
            "after_observation_end": l.log.rows_after_end(),
            "refund_only_days_ignored": l.log.refund_only_days().0,
            "rejects_file": l.rejects.as_ref().map(|(p, _)| p.display().to_string()),
        },
        "customers": customers,
    });
    if let (Some(o), Some(e)) = (m.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            o.insert(k.clone(), v.clone());
        }
    }
    m
}
