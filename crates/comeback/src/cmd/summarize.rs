//! `comeback summarize`: the exact per-customer summary of a transaction file.

#[cfg(feature = "parquet")]
use super::common::write_atomically_send;
use super::common::{is_parquet_path, write_atomically};
use super::ingest_args::{IngestArgs, Loaded, parse_day};
use anyhow::Result;
use comeback_core::{Collapse, Day, SummaryOptions, TimeUnit, push_real};
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
    /// Output format (`parquet` also when the output file ends in `.parquet`).
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Output file (written atomically, with a `.meta.json` sidecar): CSV, JSON, or Parquet
    /// when it ends in `.parquet`; default standard output.
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
    /// Parquet (needs `-o`; also chosen by an output name ending in `.parquet`):
    /// `customer_id` STRING, frequencies INT64, every other column DOUBLE.
    Parquet,
}

/// Runs `comeback summarize`.
pub fn run(args: Args) -> Result<()> {
    let outputs: Vec<&Path> = args.output.as_deref().into_iter().collect();
    args.ingest.check_outputs(&outputs)?;
    let opts = SummaryOptions {
        unit: args.unit,
        collapse: args.collapse.into(),
    };
    match args.calibration_end {
        None => {
            // Straight to the summary: memory grows with customers, never with rows.
            let loaded = args.ingest.load_summary(opts.collapse)?;
            let log = &loaded.log;
            let counts = Counts {
                observation_end: log.observation_end(),
                rows_kept: log.rows_kept(),
                rows_after_end: log.rows_after_end(),
                refund_only_days: log.refund_only_days().0,
            };
            let header = ["customer_id", "frequency", "recency", "T", "monetary_value"];
            emit(
                &args,
                &loaded,
                &counts,
                &opts,
                log.len(),
                json!({}),
                |rw| {
                    log.for_each_summary(opts.unit, |r| {
                        rw.row(
                            r.customer_id,
                            &[
                                Val::U(r.frequency),
                                Val::F(r.recency),
                                Val::F(r.t),
                                Val::F(r.monetary_value),
                            ],
                        )
                    })
                },
                &header,
            )
        }
        Some(cal) => {
            let loaded = args.ingest.load()?;
            let log = &loaded.log;
            let s = log.calibration_holdout(cal, &opts)?;
            if !loaded.report.file.is_empty() && s.excluded_after_calibration > 0 {
                note!(
                    "{}: {} customers first seen after the calibration end {cal} excluded",
                    loaded.report.file,
                    s.excluded_after_calibration
                );
            }
            if s.customers.is_empty() {
                anyhow::bail!(
                    "{}: no customer bought on or before the calibration end {cal}: choose a later --calibration-end",
                    loaded.report.file
                );
            }
            let counts = Counts {
                observation_end: log.observation_end(),
                rows_kept: log.rows_kept(),
                rows_after_end: log.rows_after_end(),
                refund_only_days: log.refund_only_days().0,
            };
            let header = [
                "customer_id",
                "frequency_cal",
                "recency_cal",
                "T_cal",
                "monetary_value_cal",
                "frequency_holdout",
                "monetary_value_holdout",
                "duration_holdout",
            ];
            let extra = json!({"excluded_after_calibration": s.excluded_after_calibration, "duration_holdout": s.duration_holdout});
            emit(
                &args,
                &loaded,
                &counts,
                &opts,
                s.customers.len(),
                extra,
                |rw| {
                    for c in &s.customers {
                        rw.row(
                            &c.customer_id,
                            &[
                                Val::U(c.frequency_cal),
                                Val::F(c.recency_cal),
                                Val::F(c.t_cal),
                                Val::F(c.monetary_value_cal),
                                Val::U(c.frequency_holdout),
                                Val::F(c.monetary_value_holdout),
                                Val::F(c.duration_holdout),
                            ],
                        )?;
                    }
                    Ok(())
                },
                &header,
            )
        }
    }
}

/// The log's counts the sidecar records.
struct Counts {
    observation_end: Option<Day>,
    rows_kept: u64,
    rows_after_end: u64,
    refund_only_days: u64,
}

/// A value of an output row: a count or a real.
enum Val {
    U(u32),
    F(f64),
}

/// Streams rows as CSV or JSON straight to the writer (no table in memory).
struct RowWriter<'w> {
    w: &'w mut dyn Write,
    format: Format,
    header: &'w [&'static str],
    rows: usize,
    line: String,
    #[cfg(feature = "parquet")]
    table: Option<comeback_parquet::TableWriter<Box<dyn Write + Send + 'w>>>,
}

impl RowWriter<'_> {
    fn begin(&mut self) -> std::io::Result<()> {
        match self.format {
            Format::Parquet => Ok(()),
            Format::Csv => {
                self.w.write_all(self.header.join(",").as_bytes())?;
                self.w.write_all(b"\n")
            }
            Format::Json => self.w.write_all(b"["),
        }
    }

    fn row(&mut self, id: &str, vals: &[Val]) -> std::io::Result<()> {
        let l = &mut self.line;
        l.clear();
        match self.format {
            Format::Parquet => {
                #[cfg(feature = "parquet")]
                if let Some(t) = &mut self.table {
                    use comeback_parquet::Value;
                    let mut row = [Value::Int(0); 8];
                    row[0] = Value::Text(id);
                    for (r, v) in row[1..].iter_mut().zip(vals) {
                        *r = match v {
                            Val::U(n) => Value::Int(i64::from(*n)),
                            Val::F(x) => Value::Real(*x),
                        };
                    }
                    t.push(&row[..=vals.len()]).map_err(std::io::Error::other)?;
                }
                self.rows += 1;
                return Ok(());
            }
            Format::Csv => {
                // Quoted exactly when the csv crate would quote it.
                if id.contains([',', '"', '\n', '\r']) {
                    l.push('"');
                    l.push_str(&id.replace('"', "\"\""));
                    l.push('"');
                } else {
                    l.push_str(id);
                }
                for v in vals {
                    l.push(',');
                    push_val(l, v);
                }
                l.push('\n');
            }
            Format::Json => {
                l.push_str(if self.rows == 0 { "\n{" } else { ",\n{" });
                // The id is a JSON string; every other field is a JSON number (integers, or
                // reals in shortest round-trip form).
                l.push('"');
                l.push_str(self.header[0]);
                l.push_str("\":");
                l.push_str(&serde_json::to_string(id)?);
                for (k, v) in self.header[1..].iter().zip(vals) {
                    l.push_str(",\"");
                    l.push_str(k);
                    l.push_str("\":");
                    push_val(l, v);
                }
                l.push('}');
            }
        }
        self.rows += 1;
        self.w.write_all(l.as_bytes())
    }

    fn end(&mut self) -> std::io::Result<()> {
        match self.format {
            Format::Csv | Format::Parquet => Ok(()),
            Format::Json => self.w.write_all(b"\n]\n"),
        }
    }
}

fn push_val(l: &mut String, v: &Val) {
    match v {
        Val::U(n) => {
            use std::fmt::Write as _;
            let _ = write!(l, "{n}");
        }
        Val::F(x) => push_real(l, *x),
    }
}

/// Writes the output (stdout, or `-o` atomically plus the sidecar) with `rows` filling it.
#[allow(clippy::too_many_arguments)]
fn emit<L>(
    args: &Args,
    loaded: &Loaded<L>,
    counts: &Counts,
    opts: &SummaryOptions,
    customers: usize,
    extra: serde_json::Value,
    rows: impl Fn(&mut RowWriter<'_>) -> std::io::Result<()>,
    header: &[&'static str],
) -> Result<()> {
    let parquet =
        args.format == Format::Parquet || args.output.as_deref().is_some_and(is_parquet_path);
    let format = if parquet {
        Format::Parquet
    } else {
        args.format
    };
    let write = |w: &mut dyn Write| -> Result<()> {
        let mut rw = RowWriter {
            w,
            format,
            header,
            rows: 0,
            line: String::with_capacity(256),
            #[cfg(feature = "parquet")]
            table: None,
        };
        rw.begin()?;
        rows(&mut rw)?;
        rw.end()?;
        Ok(())
    };
    match &args.output {
        None if parquet => {
            anyhow::bail!("Parquet output needs an output file: -o FILE.parquet");
        }
        Some(path) if parquet => {
            write_parquet(path, header, &rows)?;
            write_meta(args, loaded, counts, opts, customers, extra, path)?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            write(&mut w)?;
            w.flush()?;
        }
        Some(path) => {
            write_atomically(path, write)?;
            write_meta(args, loaded, counts, opts, customers, extra, path)?;
        }
    }
    Ok(())
}

/// Writes the rows to `path` as Parquet, atomically.
#[cfg(feature = "parquet")]
fn write_parquet(
    path: &Path,
    header: &[&'static str],
    rows: &impl Fn(&mut RowWriter<'_>) -> std::io::Result<()>,
) -> Result<()> {
    use comeback_parquet::{ColumnKind, TableWriter};
    let kinds: Vec<(&str, ColumnKind)> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let kind = if i == 0 {
                ColumnKind::Text
            } else if h.starts_with("frequency") {
                ColumnKind::Int
            } else {
                ColumnKind::Real
            };
            (*h, kind)
        })
        .collect();
    write_atomically_send(path, |w| {
        let mut sink = std::io::sink();
        let out: Box<dyn Write + Send + '_> = Box::new(w);
        let mut rw = RowWriter {
            w: &mut sink,
            format: Format::Parquet,
            header,
            rows: 0,
            line: String::new(),
            table: Some(TableWriter::new(out, &kinds)?),
        };
        rows(&mut rw)?;
        if let Some(t) = rw.table.take() {
            t.finish()?;
        }
        Ok(())
    })
}

/// Without the `parquet` feature: refuses.
#[cfg(not(feature = "parquet"))]
fn write_parquet(
    path: &Path,
    _header: &[&'static str],
    _rows: &impl Fn(&mut RowWriter<'_>) -> std::io::Result<()>,
) -> Result<()> {
    anyhow::bail!(
        "{}: this build of comeback has no Parquet support (cargo feature `parquet`)",
        path.display()
    )
}

/// Writes the `.meta.json` sidecar of `path` and says so.
#[allow(clippy::too_many_arguments)]
fn write_meta<L>(
    args: &Args,
    loaded: &Loaded<L>,
    counts: &Counts,
    opts: &SummaryOptions,
    customers: usize,
    extra: serde_json::Value,
    path: &Path,
) -> Result<()> {
    {
        {
            let meta = meta_json(args, loaded, counts, opts, customers, extra);
            write_atomically(&meta_path(path), |w| {
                serde_json::to_writer_pretty(&mut *w, &meta)?;
                w.write_all(b"\n")?;
                Ok(())
            })?;
            if !args.ingest.quiet {
                note!(
                    "wrote {} customers to {} (and {})",
                    customers,
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

fn meta_json<L>(
    args: &Args,
    l: &Loaded<L>,
    c: &Counts,
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
        "observation_end": c.observation_end.map(|d| d.to_string()),
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
            "kept": c.rows_kept,
            "rejected": r.rows_rejected,
            "duplicates": r.duplicate_rows,
            "refunds": r.refund_rows,
            "after_observation_end": c.rows_after_end,
            "refund_only_days_ignored": c.refund_only_days,
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
