//! `comeback survival km | cox | lost`: Kaplan–Meier curves with the log-rank test, Cox
//! proportional hazards, and the time-to-lost data of a transaction file (PRODUCT R4). The
//! statistics are `comeback_survival`; this module reads, checks and prints.
//!
//! Rules of the input of `km` and `cox` (a delimited file with a header, read with
//! `comeback_ingest::table`):
//! - durations are plain decimal numbers ≥ 0 in any one unit; events are `1`/`0`,
//!   `true`/`false` or `yes`/`no` (1 = the customer left at the duration, 0 = still a
//!   customer then: censored). Anything else is an error naming file, line and column.
//! - A row with a blank in any column the command uses is left out and counted in a note on
//!   stderr (like R's `na.omit`), never read as 0.
//! - `cox --covariates`: a covariate whose non-blank values are all numbers is numeric;
//!   otherwise (or when named in `--categorical`) it is categorical and dummy coded against
//!   its first level in sorted order (the reference, printed).

use anyhow::{Context, Result, bail};
use comeback_ingest::{
    DateFormat, DecimalMark, Delimiter, RowProblem, Table, TableOptions, read_table,
};
use comeback_survival::{
    ConfidenceType, CoxModel, CoxOptions, Design, KaplanMeier, KmOptions, LostRule, Ties,
    TimeTransform, fit_cox, kaplan_meier, logrank, time_to_lost,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::common::write_atomically;
use super::ingest_args::IngestArgs;

/// Flags of `comeback survival`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Kaplan–Meier survival (at-risk table, S(t) with Greenwood standard error and
    /// interval, median) overall or per group, with the log-rank test between groups.
    Km(KmArgs),
    /// Cox proportional hazards: hazard ratios with intervals, likelihood-ratio test,
    /// concordance and the proportional-hazards check.
    Cox(CoxArgs),
    /// Time to "lost" per customer of a transaction file (lost when no purchase followed
    /// the last one within k × the customer's own median gap between purchase days):
    /// customer_id, duration, event — the input of `survival km` and `survival cox`.
    Lost(LostArgs),
}

/// Flags shared by `km` and `cox`.
#[derive(Debug, clap::Args)]
struct DataArgs {
    /// Data file: one subject (customer) per row, with a header.
    input: PathBuf,
    /// Column of the durations (≥ 0, any one unit).
    #[arg(long, value_name = "COL")]
    duration: String,
    /// Column of the event flags: 1 = left (cancelled, lost) at the duration, 0 = still a
    /// customer (censored).
    #[arg(long, value_name = "COL")]
    event: String,
    /// Confidence level of the intervals, strictly between 0 and 1.
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Field separator: auto, comma, semicolon, tab, whitespace, or one character.
    #[arg(long, default_value = "auto")]
    delimiter: Delimiter,
    /// Numbers use a decimal comma (`7,5`).
    #[arg(long)]
    decimal_comma: bool,
}

/// Flags of `survival km`.
#[derive(Debug, clap::Args)]
struct KmArgs {
    #[command(flatten)]
    data: DataArgs,
    /// One curve per value of this column, and the log-rank test between them.
    #[arg(long, value_name = "COL")]
    by: Option<String>,
    /// Interval transform: `log-log` (stays within [0, 1]) or `log` (R's default).
    #[arg(long, default_value = "log-log", value_parser = parse_conf_type)]
    conf_type: ConfidenceType,
}

/// Flags of `survival cox`.
#[derive(Debug, clap::Args)]
struct CoxArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Covariate columns, comma-separated.
    #[arg(long, value_delimiter = ',', required = true, value_name = "A,B,C")]
    covariates: Vec<String>,
    /// Covariates to dummy-code even when their values are numbers (e.g. a store number).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    categorical: Vec<String>,
    /// Tied event times: `efron` (default) or `breslow`.
    #[arg(long, default_value = "efron", value_parser = parse_ties)]
    ties: Ties,
    /// Time transform of the proportional-hazards test: `km` (1 − S(t), R's default) or
    /// `identity`.
    #[arg(long, default_value = "km", value_parser = parse_transform)]
    ph_transform: TimeTransform,
}

/// Flags of `survival lost`.
#[derive(Debug, clap::Args)]
struct LostArgs {
    #[command(flatten)]
    ingest: IngestArgs,
    /// k: lost after k × the customer's own median gap between purchase days without a
    /// purchase.
    #[arg(long, default_value_t = 3.0)]
    k: f64,
    /// Fewest gaps between purchase days for a customer's own median to count; others
    /// (one-time buyers among them) use the median gap of all customers.
    #[arg(long, default_value_t = 2)]
    min_gaps: usize,
    /// Floor of the threshold, in days.
    #[arg(long, default_value_t = 0.0)]
    min_threshold_days: f64,
    /// Output CSV (default: standard output).
    #[arg(long, short)]
    output: Option<PathBuf>,
}

fn parse_conf_type(s: &str) -> Result<ConfidenceType, String> {
    match s {
        "log-log" | "loglog" => Ok(ConfidenceType::LogLog),
        "log" => Ok(ConfidenceType::Log),
        _ => Err(format!("expected log-log or log, got {s:?}")),
    }
}

fn parse_ties(s: &str) -> Result<Ties, String> {
    match s {
        "efron" => Ok(Ties::Efron),
        "breslow" => Ok(Ties::Breslow),
        _ => Err(format!("expected efron or breslow, got {s:?}")),
    }
}

fn parse_transform(s: &str) -> Result<TimeTransform, String> {
    match s {
        "km" => Ok(TimeTransform::Km),
        "identity" => Ok(TimeTransform::Identity),
        _ => Err(format!("expected km or identity, got {s:?}")),
    }
}

/// Runs `comeback survival`.
pub fn run(args: Args) -> Result<()> {
    match args.command {
        Sub::Km(a) => run_km(a),
        Sub::Cox(a) => run_cox(a),
        Sub::Lost(a) => run_lost(a),
    }
}

fn load(d: &DataArgs) -> Result<Table> {
    if !(d.confidence > 0.0 && d.confidence < 1.0) {
        bail!(
            "--confidence must be strictly between 0 and 1, got {}",
            d.confidence
        );
    }
    let options = TableOptions {
        delimiter: d.delimiter,
        date_format: DateFormat::default(),
        timezone: None,
        decimal: if d.decimal_comma {
            DecimalMark::Comma
        } else {
            DecimalMark::Point
        },
    };
    let table = if d.input == Path::new("-") {
        read_table(std::io::stdin().lock(), "stdin", &options)?
    } else {
        comeback_ingest::read_table_path(&d.input, &options)?
    };
    Ok(table)
}

/// The rows with no blank in `cols`, noting how many were left out.
fn complete_rows(table: &Table, cols: &[usize]) -> Vec<usize> {
    let mut keep = Vec::new();
    let mut first_blank: Option<u64> = None;
    let mut blanks = 0u64;
    for (i, row) in table.rows.iter().enumerate() {
        if cols.iter().all(|&c| !row.get(c).is_empty()) {
            keep.push(i);
        } else {
            blanks += 1;
            if first_blank.is_none() {
                first_blank = Some(row.line);
            }
        }
    }
    if let Some(line) = first_blank {
        let names: Vec<&str> = cols.iter().map(|&c| table.headers[c].as_str()).collect();
        note!(
            "{}: {blanks} row(s) with a blank in {} left out (first at line {line})",
            table.name,
            names.join(", ")
        );
    }
    keep
}

/// Durations and events of the rows `keep`.
fn read_outcome(
    table: &Table,
    t: usize,
    e: usize,
    keep: &[usize],
) -> Result<(Vec<f64>, Vec<bool>)> {
    let mut d = Vec::with_capacity(keep.len());
    let mut ev = Vec::with_capacity(keep.len());
    for &i in keep {
        let row = &table.rows[i];
        let v = table.parse_number(row, t)?.unwrap_or_default();
        if v < 0.0 {
            return Err(table
                .row_error(
                    row,
                    t,
                    RowProblem::Unparseable {
                        value: row.get(t).to_string(),
                        what: "a duration",
                        expected: "a number ≥ 0".into(),
                    },
                )
                .into());
        }
        d.push(v);
        let flag = match row.get(e).to_ascii_lowercase().as_str() {
            "1" | "1.0" | "true" | "yes" => true,
            "0" | "0.0" | "false" | "no" => false,
            other => {
                return Err(table
                    .row_error(
                        row,
                        e,
                        RowProblem::Unparseable {
                            value: other.to_string(),
                            what: "an event flag",
                            expected: "1 (left) or 0 (censored), true/false or yes/no".into(),
                        },
                    )
                    .into());
            }
        };
        ev.push(flag);
    }
    if d.is_empty() {
        bail!("{}: no complete rows", table.name);
    }
    Ok((d, ev))
}

fn opt(v: Option<f64>) -> Value {
    v.map_or(Value::Null, |x| json!(x))
}

fn km_json(group: Option<&str>, km: &KaplanMeier) -> Value {
    let table: Vec<Value> = km
        .rows
        .iter()
        .map(|r| {
            json!({
                "time": r.time, "at_risk": r.at_risk, "events": r.events, "censored": r.censored,
                "survival": r.survival, "std_err": opt(r.std_err),
                "ci_low": r.ci_low, "ci_high": r.ci_high,
            })
        })
        .collect();
    json!({
        "group": group,
        "n": km.n,
        "events": km.events,
        "median": opt(km.median),
        "median_ci_low": opt(km.median_ci_low),
        "median_ci_high": opt(km.median_ci_high),
        "confidence": km.options.confidence,
        "conf_type": km.options.conf_type.as_str(),
        "table": table,
    })
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or("not reached".to_string(), |x| format!("{x}"))
}

fn run_km(a: KmArgs) -> Result<()> {
    let table = load(&a.data)?;
    let t = table.column(&a.data.duration)?;
    let e = table.column(&a.data.event)?;
    let by = a.by.as_deref().map(|b| table.column(b)).transpose()?;
    let mut cols = vec![t, e];
    cols.extend(by);
    let keep = complete_rows(&table, &cols);
    let (d, ev) = read_outcome(&table, t, e, &keep)?;
    let options = KmOptions {
        confidence: a.data.confidence,
        conf_type: a.conf_type,
    };
    let mut curves: Vec<(Option<String>, KaplanMeier)> = Vec::new();
    let mut test = None;
    match by {
        None => curves.push((None, kaplan_meier(&d, &ev, &options)?)),
        Some(b) => {
            let labels: Vec<String> = keep
                .iter()
                .map(|&i| table.rows[i].get(b).to_string())
                .collect();
            let mut groups: BTreeMap<&str, (Vec<f64>, Vec<bool>)> = BTreeMap::new();
            for (k, l) in labels.iter().enumerate() {
                let g = groups.entry(l.as_str()).or_default();
                g.0.push(d[k]);
                g.1.push(ev[k]);
            }
            for (l, (gd, ge)) in &groups {
                curves.push((Some((*l).to_string()), kaplan_meier(gd, ge, &options)?));
            }
            if groups.len() >= 2 {
                test = Some(logrank(&d, &ev, &labels).context("log-rank test")?);
            } else {
                note!(
                    "only one group in column {:?}: no log-rank test",
                    table.headers[b]
                );
            }
        }
    }
    let mut out = std::io::stdout().lock();
    if a.data.json {
        let lr = test.as_ref().map_or(Value::Null, |r| {
            json!({
                "statistic": r.statistic, "df": r.df, "p_value": r.p_value,
                "groups": r.groups.iter().map(|g| json!({
                    "group": g.label, "n": g.n, "observed": g.observed, "expected": g.expected
                })).collect::<Vec<_>>(),
            })
        });
        let groups: Vec<Value> = curves
            .iter()
            .map(|(g, km)| km_json(g.as_deref(), km))
            .collect();
        let v = json!({"groups": groups, "logrank": lr});
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    for (g, km) in &curves {
        if let Some(g) = g {
            writeln!(out, "== {} = {g} ==", table.headers[by.unwrap_or(0)])?;
        }
        writeln!(
            out,
            "{} subjects, {} events; median survival {} ({}% interval {} to {})",
            km.n,
            km.events,
            fmt_opt(km.median),
            km.options.confidence * 100.0,
            fmt_opt(km.median_ci_low),
            fmt_opt(km.median_ci_high)
        )?;
        writeln!(
            out,
            "{:>10} {:>8} {:>7} {:>8} {:>9} {:>9}   {} interval",
            "time",
            "at_risk",
            "events",
            "censored",
            "S(t)",
            "std_err",
            km.options.conf_type.as_str()
        )?;
        for r in &km.rows {
            writeln!(
                out,
                "{:>10} {:>8} {:>7} {:>8} {:>9.4} {:>9} {:>8.4} to {:.4}",
                r.time,
                r.at_risk,
                r.events,
                r.censored,
                r.survival,
                r.std_err.map_or("-".into(), |s| format!("{s:.4}")),
                r.ci_low,
                r.ci_high
            )?;
        }
        writeln!(out)?;
    }
    if let Some(r) = &test {
        writeln!(
            out,
            "log-rank test: chi-square {:.4} on {} df, p = {:.4e}",
            r.statistic, r.df, r.p_value
        )?;
        for g in &r.groups {
            writeln!(
                out,
                "  {}: n {}, observed {}, expected {:.2}",
                g.label, g.n, g.observed, g.expected
            )?;
        }
    }
    Ok(())
}

fn by_name(model: &CoxModel, values: &[f64]) -> Value {
    let mut m = Map::new();
    for (n, v) in model.names.iter().zip(values) {
        m.insert(n.clone(), json!(v));
    }
    Value::Object(m)
}

fn run_cox(a: CoxArgs) -> Result<()> {
    let table = load(&a.data)?;
    let t = table.column(&a.data.duration)?;
    let e = table.column(&a.data.event)?;
    let mut cov_cols = Vec::new();
    for c in &a.covariates {
        let c = c.trim();
        if c.is_empty() {
            bail!("--covariates: an empty name");
        }
        cov_cols.push((c.to_string(), table.column(c)?));
    }
    for c in &a.categorical {
        if !a.covariates.iter().any(|k| k.trim() == c.trim()) {
            bail!("--categorical: {c:?} is not one of --covariates");
        }
    }
    let mut cols = vec![t, e];
    cols.extend(cov_cols.iter().map(|c| c.1));
    let keep = complete_rows(&table, &cols);
    let (d, ev) = read_outcome(&table, t, e, &keep)?;
    let mut design = Design::new(keep.len());
    for (name, c) in &cov_cols {
        let forced = a.categorical.iter().any(|k| k.trim() == name);
        let numbers: Option<Vec<f64>> = if forced {
            None
        } else {
            keep.iter()
                .map(|&i| table.parse_number(&table.rows[i], *c).ok().flatten())
                .collect()
        };
        match numbers {
            Some(v) => design.numeric(name, v)?,
            None => {
                let labels: Vec<&str> = keep.iter().map(|&i| table.rows[i].get(*c)).collect();
                design.categorical(name, &labels)?
            }
        };
    }
    for (c, level) in design.reference_levels() {
        note!("{c}: categorical, reference level {level:?}");
    }
    let options = CoxOptions {
        ties: a.ties,
        confidence: a.data.confidence,
        ph_transform: a.ph_transform,
        ..CoxOptions::default()
    };
    let m = fit_cox(&d, &ev, &design, &options)?;
    let mut out = std::io::stdout().lock();
    if let Some(w) = &m.ph_test.warning {
        note!("warning: {w}");
    }
    if a.data.json {
        let ph: Vec<Value> = m
            .ph_test
            .covariates
            .iter()
            .map(|r| json!({"covariate": r.name, "statistic": r.statistic, "p_value": r.p_value}))
            .collect();
        let v = json!({
            "coefficients": by_name(&m, &m.coefficients),
            "std_errors": by_name(&m, &m.std_errors),
            "hazard_ratios": by_name(&m, &m.hazard_ratios),
            "ci_low": by_name(&m, &m.ci_low),
            "ci_high": by_name(&m, &m.ci_high),
            "log_likelihood": m.log_likelihood,
            "concordance": opt(m.concordance),
            "n": m.n,
            "events": m.events,
            "p_values": by_name(&m, &m.p_values),
            "ties": m.options.ties.as_str(),
            "confidence": m.options.confidence,
            "null_log_likelihood": m.null_log_likelihood,
            "lr_test": {"statistic": m.lr_statistic, "df": m.lr_df, "p_value": m.lr_p_value},
            "ph_test": {
                "transform": m.ph_test.transform.as_str(),
                "covariates": ph,
                "global_statistic": m.ph_test.global_statistic,
                "global_df": m.ph_test.global_df,
                "global_p_value": m.ph_test.global_p_value,
                "warning": m.ph_test.warning,
            },
            "reference_levels": design.reference_levels().iter()
                .map(|(c, l)| (c.clone(), json!(l))).collect::<Map<_, _>>(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "Cox proportional hazards ({} ties): {} subjects, {} events",
        m.options.ties.as_str(),
        m.n,
        m.events
    )?;
    writeln!(
        out,
        "{:<20} {:>10} {:>9} {:>9} {:>21} {:>10}",
        "covariate",
        "coef",
        "se",
        "HR",
        format!("{}% interval", m.options.confidence * 100.0),
        "p"
    )?;
    for (j, name) in m.names.iter().enumerate() {
        writeln!(
            out,
            "{:<20} {:>10.5} {:>9.5} {:>9.4} {:>9.4} to {:<9.4} {:>10.3e}",
            name,
            m.coefficients[j],
            m.std_errors[j],
            m.hazard_ratios[j],
            m.ci_low[j],
            m.ci_high[j],
            m.p_values[j]
        )?;
    }
    writeln!(
        out,
        "log-likelihood {:.4} (null {:.4}); likelihood-ratio test {:.3} on {} df, p = {:.3e}; concordance {}",
        m.log_likelihood,
        m.null_log_likelihood,
        m.lr_statistic,
        m.lr_df,
        m.lr_p_value,
        m.concordance.map_or("-".into(), |c| format!("{c:.4}"))
    )?;
    writeln!(
        out,
        "proportional hazards (scaled Schoenfeld, {} transform): global chi-square {:.3} on {} df, p = {:.4}",
        m.ph_test.transform.as_str(),
        m.ph_test.global_statistic,
        m.ph_test.global_df,
        m.ph_test.global_p_value
    )?;
    for r in &m.ph_test.covariates {
        writeln!(
            out,
            "  {:<18} chi-square {:>8.3}, p = {:.4}",
            r.name, r.statistic, r.p_value
        )?;
    }
    Ok(())
}

fn run_lost(a: LostArgs) -> Result<()> {
    if let Some(o) = &a.output {
        a.ingest.check_outputs(&[o.as_path()])?;
    }
    let loaded = a.ingest.load()?;
    let rule = LostRule {
        k: a.k,
        min_gaps: a.min_gaps,
        min_threshold_days: a.min_threshold_days,
    };
    let s = time_to_lost(&loaded.log, &rule)?;
    let lost = s.records.iter().filter(|r| r.lost).count();
    let fallback = s.records.iter().filter(|r| r.fallback).count();
    note!(
        "{} customers, {lost} lost (no purchase within {} × their median gap), {} still customers; {fallback} used the population median gap of {} days; observation end {}",
        s.records.len(),
        rule.k,
        s.records.len() - lost,
        s.population_median_gap_days,
        s.observation_end
    );
    let write = |w: &mut dyn Write| -> Result<()> {
        writeln!(
            w,
            "customer_id,duration_days,lost,first_purchase,last_purchase,purchase_days,threshold_days,fallback"
        )?;
        for r in &s.records {
            let id = if r.customer_id.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", r.customer_id.replace('"', "\"\""))
            } else {
                r.customer_id.to_string()
            };
            writeln!(
                w,
                "{id},{},{},{},{},{},{},{}",
                r.duration_days,
                u8::from(r.lost),
                r.first_purchase,
                r.last_purchase,
                r.purchase_days,
                r.threshold_days,
                u8::from(r.fallback)
            )?;
        }
        Ok(())
    };
    match &a.output {
        Some(path) => write_atomically(path, write),
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            write(&mut out)?;
            out.flush()?;
            Ok(())
        }
    }
}
