//! `comeback predictors`: which survey metric predicts defection for this business?
//!
//! Joins a responses file (customer, date, one column per metric) to the transaction file
//! and reports, per metric, how well it separates customers who bought again within the
//! window after their answer from those who did not (AUC with a DeLong interval, ranked),
//! the retention and spend of promoters, passives and detractors, and — with a model fitted
//! to the transactions — the correlation of each metric with P(alive). The statistics are
//! `comeback_voice::predict`; this module reads files and prints.
//!
//! P(alive) comes from the model `analyze` would choose without a holdout period: the
//! lowest BIC among BG/NBD, MBG/NBD and Pareto/NBD fitted on all transactions
//! (`comeback_analysis::models::compare_without_holdout`), evaluated at the observation end.
//!
//! JSON (`--json`): an object with `responses_file, transactions_file, window_days,
//! observation_end, confidence, counts {responses, unknown_customer_responses,
//! unknown_customers, after_end, before_first_purchase, censored, with_outcome, customers_with_outcome,
//! customers_retained}, metrics [{rank, metric, n, retained, defected, auc, se, ci_low,
//! ci_high, verdict, strength, p_alive_spearman {n, rho, ci_low, ci_high} | null}],
//! best_vs_runner_up {best, runner_up, n, difference, se, ci_low, ci_high, p_value} | null,
//! nps {metric, classes [{class, n, retained, retention, retention_ci_low,
//! retention_ci_high, mean_spend, spend_ci_low, spend_ci_high, mean_p_alive,
//! p_alive_ci_low, p_alive_ci_high}], promoters_vs_passives {ratio, percent, ci_low,
//! ci_high} | null, detractors_vs_passives} | null, p_alive_model, skipped_columns,
//! headline`. `auc` etc. are `null` when a metric has fewer than 2 retained or 2 defected
//! customers; spend is in the transaction file's currency unit.

use super::ingest_args::{IngestArgs, parse_day};
use anyhow::{Result, bail};
use comeback_analysis::MIN_REPEAT_CUSTOMERS;
use comeback_analysis::distinct::Distinct;
use comeback_analysis::models::{compare_without_holdout, rows_of};
use comeback_core::{Day, SummaryOptions, TimeUnit, TransactionLog};
use comeback_ingest::{
    ColumnRef, DateFormat, DecimalMark, Delimiter, RefundPolicy, RowProblem, Table, TableOptions,
    Tz, read_table, read_table_path,
};
use comeback_models::fit::{FitOptions, RfmData};
use comeback_models::purchase_model::PurchaseModelKind;
use comeback_models::transaction::TransactionModel;
use comeback_voice::predict::{
    MetricPower, PredictOptions, PredictorReport, Response, Responses, SpendRatio, Verdict,
    predictors,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Flags of `comeback predictors`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Responses file (CSV, TSV, `;`-separated) with a header row: customer id, answer date
    /// and one column per metric; `-` reads standard input.
    pub responses: PathBuf,
    /// Transaction file of the same customers (columns recognised as by `analyze`; its
    /// reading flags carry a `--tx-` prefix).
    #[arg(long, value_name = "TX.csv")]
    pub transactions: PathBuf,
    /// Customer id column of the responses file.
    #[arg(long, default_value = "customer", value_name = "COLUMN")]
    pub customer_col: String,
    /// Answer date column of the responses file.
    #[arg(long, default_value = "date", value_name = "COLUMN")]
    pub date_col: String,
    /// Metric columns to rank (comma-separated); default: every column except customer and
    /// date whose non-blank values are all numbers.
    #[arg(long, value_delimiter = ',', value_name = "COL,COL")]
    pub metrics: Option<Vec<String>>,
    /// Column of the 0–10 NPS answer (promoters, passives, detractors); `none` for no NPS
    /// table; default: a column named `nps` or `score` when its values are whole numbers
    /// 0–10.
    #[arg(long, value_name = "COLUMN")]
    pub nps_col: Option<String>,
    /// Follow-up window in days: a customer is retained when they buy within this many days
    /// after their answer. Answers whose window ends after the observation end are counted
    /// as censored and left out.
    #[arg(long, default_value_t = 365)]
    pub window_days: u32,
    /// Last day of known behaviour (YYYY-MM-DD); later transactions are ignored; default:
    /// the last transaction date.
    #[arg(long, value_parser = parse_day)]
    pub observation_end: Option<Day>,
    /// Two-sided confidence level of every interval, strictly between 0 and 1.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Skip the P(alive) model fit (faster; no P(alive) columns).
    #[arg(long)]
    pub no_p_alive: bool,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Field separator of the responses file: auto, comma, semicolon, tab, whitespace, or
    /// one character.
    #[arg(long, default_value = "auto")]
    pub delimiter: Delimiter,
    /// Date format of the responses file: `auto` (ISO 8601, %Y%m%d) or a strftime form such
    /// as `%d/%m/%Y`.
    #[arg(long, default_value = "auto")]
    pub date_format: DateFormat,
    /// Numbers in the responses file use a decimal comma (`7,5`).
    #[arg(long)]
    pub decimal_comma: bool,
    /// How to read the transaction file.
    #[command(flatten)]
    pub tx: TxArgs,
    /// No progress output and no column mapping printout.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The transaction-file flags of `analyze` (see `IngestArgs`), prefixed `--tx-` because the
/// responses file has its own customer and date columns.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Transaction file")]
pub struct TxArgs {
    /// Customer id column of the transactions: header name or 1-based position.
    #[arg(long, value_name = "NAME|N")]
    pub tx_customer_col: Option<ColumnRef>,
    /// Date column of the transactions.
    #[arg(long, value_name = "NAME|N")]
    pub tx_date_col: Option<ColumnRef>,
    /// Amount column of the transactions.
    #[arg(long, value_name = "NAME|N")]
    pub tx_amount_col: Option<ColumnRef>,
    /// Transaction id column (repeated ids are dropped).
    #[arg(long, value_name = "NAME|N")]
    pub tx_transaction_id_col: Option<ColumnRef>,
    /// Field separator of the transactions.
    #[arg(long, default_value = "auto")]
    pub tx_delimiter: Delimiter,
    /// Line 1 of the transactions is a header.
    #[arg(long, conflicts_with = "tx_no_header")]
    pub tx_header: bool,
    /// The transactions have no header line.
    #[arg(long)]
    pub tx_no_header: bool,
    /// Date format of the transactions.
    #[arg(long, default_value = "auto")]
    pub tx_date_format: DateFormat,
    /// Transaction amounts use a decimal comma (`1.234,56`).
    #[arg(long)]
    pub tx_decimal_comma: bool,
    /// ISO 4217 currency of the amounts.
    #[arg(long)]
    pub tx_currency: Option<String>,
    /// IANA time zone of the business.
    #[arg(long)]
    pub tx_timezone: Option<Tz>,
    /// Negative amounts: `exclude` or `net`.
    #[arg(long, default_value = "exclude")]
    pub tx_refunds: RefundPolicy,
    /// Write rejected transaction rows to a rejects file instead of stopping.
    #[arg(long)]
    pub tx_skip_invalid: bool,
    /// Rejects file of `--tx-skip-invalid`.
    #[arg(long)]
    pub tx_rejects: Option<PathBuf>,
}

impl Args {
    /// The transaction reader's flags.
    fn ingest(&self) -> IngestArgs {
        let t = &self.tx;
        IngestArgs {
            input: self.transactions.clone(),
            customer_col: t.tx_customer_col.clone(),
            date_col: t.tx_date_col.clone(),
            amount_col: t.tx_amount_col.clone(),
            transaction_id_col: t.tx_transaction_id_col.clone(),
            quantity_col: None,
            delimiter: t.tx_delimiter,
            header: t.tx_header,
            no_header: t.tx_no_header,
            date_format: t.tx_date_format.clone(),
            decimal_comma: t.tx_decimal_comma,
            currency: t.tx_currency.clone(),
            timezone: t.tx_timezone,
            refunds: t.tx_refunds,
            skip_invalid: t.tx_skip_invalid,
            rejects: t.tx_rejects.clone(),
            observation_end: self.observation_end,
            quiet: self.quiet,
        }
    }
}

/// The responses, ready for the library, and what was left aside.
struct Read {
    responses: Responses,
    nps: Option<String>,
    skipped: Vec<String>,
}

fn is_nps(table: &Table, col: usize) -> bool {
    table
        .rows
        .iter()
        .all(|r| table.parse_score(r, col, 0.0, 10.0, true).is_ok())
}

/// Reads the responses file: customer, day and the metric columns.
fn read_responses(args: &Args) -> Result<Read> {
    let options = TableOptions {
        delimiter: args.delimiter,
        date_format: args.date_format.clone(),
        timezone: None,
        decimal: if args.decimal_comma {
            DecimalMark::Comma
        } else {
            DecimalMark::Point
        },
    };
    let table = if args.responses == Path::new("-") {
        read_table(std::io::stdin().lock(), "stdin", &options)?
    } else {
        read_table_path(&args.responses, &options)?
    };
    let customer = table.column(&args.customer_col)?;
    let date = table.column(&args.date_col)?;
    let mut skipped = Vec::new();
    let mut cols: Vec<usize> = match &args.metrics {
        Some(names) => {
            let mut v = Vec::new();
            for n in names.iter().filter(|n| !n.trim().is_empty()) {
                let c = table.column(n)?;
                if c == customer || c == date {
                    bail!("--metrics: {n:?} is the customer or date column");
                }
                if !v.contains(&c) {
                    v.push(c);
                }
            }
            v
        }
        None => (0..table.headers.len())
            .filter(|&c| c != customer && c != date)
            .filter(|&c| {
                let numeric = table.rows.iter().any(|r| !r.get(c).is_empty())
                    && table.rows.iter().all(|r| table.parse_number(r, c).is_ok());
                if !numeric {
                    skipped.push(table.headers[c].clone());
                }
                numeric
            })
            .collect(),
    };
    let nps = match args.nps_col.as_deref() {
        Some(n) if n.eq_ignore_ascii_case("none") => None,
        Some(n) => {
            let c = table.column(n)?;
            // Every answer must be 0–10: the first that is not is an error naming its line.
            for r in &table.rows {
                table.parse_score(r, c, 0.0, 10.0, true)?;
            }
            if !cols.contains(&c) {
                cols.push(c);
            }
            Some(c)
        }
        None => {
            let mut found = None;
            for n in ["nps", "score"] {
                if let Some(c) = table.optional_column(n)?
                    && cols.contains(&c)
                {
                    if is_nps(&table, c) {
                        found = Some(c);
                        break;
                    }
                    if !args.quiet {
                        note!(
                            "note: column {:?} holds values other than whole numbers 0–10, so it is not read as the NPS answer (name the NPS column with --nps-col)",
                            table.headers[c]
                        );
                    }
                }
            }
            found
        }
    };
    if cols.is_empty() {
        bail!(
            "{}: no metric columns (numeric columns besides {:?} and {:?}; columns: {})",
            table.name,
            args.customer_col,
            args.date_col,
            table.headers.join(", ")
        );
    }
    let mut rows = Vec::with_capacity(table.rows.len());
    for r in &table.rows {
        let id = r.get(customer);
        if id.is_empty() {
            return Err(table
                .row_error(r, customer, RowProblem::EmptyCustomer)
                .into());
        }
        let Some(day) = table.parse_day(r, date)? else {
            return Err(table
                .row_error(
                    r,
                    date,
                    RowProblem::Missing {
                        what: "a date",
                        expected: "the day of the answer".into(),
                    },
                )
                .into());
        };
        let values = cols
            .iter()
            .map(|&c| table.parse_number(r, c))
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(Response {
            customer: id.to_string(),
            day,
            values,
        });
    }
    Ok(Read {
        responses: Responses {
            metrics: cols.iter().map(|&c| table.headers[c].clone()).collect(),
            rows,
        },
        nps: nps.map(|c| table.headers[c].clone()),
        skipped,
    })
}

/// P(alive) at the observation end of every log customer (parallel to `log.ids()`) under
/// the lowest-BIC model fitted on all data, and the model's name; `None` with a note when
/// the data cannot support a fit.
fn p_alive(log: &TransactionLog) -> Result<Option<(Vec<f64>, &'static str)>> {
    let full = log.summarize(&SummaryOptions {
        unit: TimeUnit::Weeks,
        ..SummaryOptions::default()
    });
    let c = &full.customers;
    let repeaters = c.iter().filter(|c| c.frequency > 0).count();
    if repeaters < MIN_REPEAT_CUSTOMERS {
        note!(
            "note: only {repeaters} customers bought twice: too few to fit a P(alive) model, so P(alive) is left out"
        );
        return Ok(None);
    }
    if c.len() != log.len()
        || c.iter()
            .zip(log.ids())
            .any(|(s, id)| s.customer_id.as_ref() != id.as_ref())
    {
        bail!("internal error: the summary is not parallel to the transaction log");
    }
    let rows = rows_of(
        &c.iter().map(|c| c.frequency).collect::<Vec<_>>(),
        &c.iter().map(|c| c.recency).collect::<Vec<_>>(),
        &c.iter().map(|c| c.t).collect::<Vec<_>>(),
    )?;
    let fit_opts = FitOptions::default().time_budget(std::time::Duration::from_secs(60));
    let cmp = match compare_without_holdout(
        &RfmData::new(&rows, None)?,
        &PurchaseModelKind::ALL,
        &fit_opts,
        |_| {},
    ) {
        Ok(c) => c,
        Err(e) => {
            note!("note: no P(alive) model could be fitted ({e}); P(alive) is left out");
            return Ok(None);
        }
    };
    let Ok((model, _)) = &cmp.candidates[cmp.chosen].fit else {
        return Ok(None);
    };
    let distinct = Distinct::new(&rows);
    let p = distinct
        .per_customer(&distinct.map(|r| model.p_alive(r)))
        .into_iter()
        .map(|v| v.clamp(0.0, 1.0))
        .collect();
    Ok(Some((p, model.kind().display_name())))
}

/// Runs `comeback predictors`.
pub fn run(args: Args) -> Result<()> {
    if !(args.confidence > 0.0 && args.confidence < 1.0) {
        bail!(
            "--confidence must be strictly between 0 and 1, got {}",
            args.confidence
        );
    }
    if args.window_days == 0 {
        bail!("--window-days must be at least 1");
    }
    let ingest = args.ingest();
    ingest.check_outputs(&[])?;
    if args.tx.tx_skip_invalid {
        let rejects = ingest.rejects_path();
        super::common::check_outputs(&[&args.responses], &[("--tx-rejects", &rejects)])?;
    }
    let read = read_responses(&args)?;
    let loaded = ingest.load()?;
    let log = &loaded.log;
    let alive = if args.no_p_alive { None } else { p_alive(log)? };
    let opts = PredictOptions {
        window_days: args.window_days,
        observation_end: args.observation_end,
        confidence: args.confidence,
        nps_metric: read.nps.clone(),
    };
    let report = predictors(
        &read.responses,
        log,
        &opts,
        alive.as_ref().map(|a| a.0.as_slice()),
    )?;
    let model = alive.as_ref().map(|a| a.1);
    if args.json {
        let v = to_json(&args, &report, model, &read.skipped);
        outln!("{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        print_text(&args, &report, model, &read.skipped)?;
    }
    Ok(())
}

fn num(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

fn verdict_words(m: &MetricPower) -> String {
    match m.verdict {
        Verdict::Predicts(s) => format!("predicts: higher = stays ({})", s.as_str()),
        Verdict::Reversed(s) => format!("reversed: higher = leaves ({})", s.as_str()),
        Verdict::CoinToss => "no better than a coin toss".into(),
        Verdict::TooFewCustomers => "too few customers".into(),
    }
}

/// The plain-language conclusion.
fn headline(r: &PredictorReport) -> String {
    let predictive: Vec<&MetricPower> = r
        .metrics
        .iter()
        .filter(|m| matches!(m.verdict, Verdict::Predicts(_) | Verdict::Reversed(_)))
        .collect();
    let coin: Vec<&str> = r
        .metrics
        .iter()
        .filter(|m| m.verdict == Verdict::CoinToss)
        .map(|m| m.metric.as_str())
        .collect();
    let mut s = String::new();
    match predictive.first() {
        None if coin.is_empty() => {
            s.push_str(
                "Too few customers with a known outcome to tell which metric predicts defection (each metric needs at least 2 retained and 2 defected customers).",
            );
            if r.counts.censored > 0 {
                s.push_str(&format!(
                    " {} answers are too recent for a {}-day window: a shorter --window-days, or later transaction data, turns them into outcomes.",
                    r.counts.censored, r.window_days
                ));
            }
            return s;
        }
        None => s.push_str("No metric predicts defection here better than a coin toss."),
        Some(best) => {
            let a = best.auc.map_or(f64::NAN, |a| a.auc);
            let how = if matches!(best.verdict, Verdict::Reversed(_)) {
                format!(" (reversed: higher {} goes with leaving)", best.metric)
            } else {
                String::new()
            };
            s.push_str(&format!(
                "{} predicts defection best here (AUC {:.2}){how}",
                best.metric, a
            ));
            if let Some(c) = &r.best_vs_runner_up
                && c.best == best.metric
            {
                let d = &c.difference;
                if d.ci_low > 0.0 {
                    s.push_str(&format!(
                        ", clearly better than {} (difference {:.3} [{:.3}, {:.3}] on {} customers with both)",
                        c.runner_up, d.difference, d.ci_low, d.ci_high, d.n
                    ));
                } else {
                    s.push_str(&format!(
                        ", but not clearly better than {} (difference {:.3} [{:.3}, {:.3}] on {} customers with both)",
                        c.runner_up, d.difference, d.ci_low, d.ci_high, d.n
                    ));
                }
            }
            s.push('.');
            if !coin.is_empty() {
                let verb = if coin.len() == 1 { "does" } else { "do" };
                s.push_str(&format!(
                    " {} {verb} not beat a coin toss.",
                    coin.join(", ")
                ));
            }
        }
    }
    s
}

fn percent(x: f64) -> String {
    format!("{:+.0} %", 100.0 * (x - 1.0))
}

fn ratio_json(r: &Option<SpendRatio>) -> Value {
    match r {
        None => Value::Null,
        Some(r) => json!({
            "ratio": num(r.ratio),
            "percent": num(100.0 * (r.ratio - 1.0)),
            "ci_low": num(r.ci_low),
            "ci_high": num(r.ci_high),
        }),
    }
}

fn to_json(args: &Args, r: &PredictorReport, model: Option<&str>, skipped: &[String]) -> Value {
    let c = &r.counts;
    let metrics: Vec<Value> = r
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let a = m.auc;
            json!({
                "rank": i + 1,
                "metric": m.metric,
                "n": m.n,
                "retained": m.retained,
                "defected": m.defected,
                "auc": a.map(|a| num(a.auc)),
                "se": a.map(|a| num(a.se)),
                "ci_low": a.and_then(|a| a.ci_low).map(num),
                "ci_high": a.and_then(|a| a.ci_high).map(num),
                "verdict": m.verdict.key(),
                "strength": match m.verdict {
                    Verdict::Predicts(s) | Verdict::Reversed(s) => json!(s.as_str()),
                    _ => Value::Null,
                },
                "p_alive_spearman": m.p_alive.map(|s| json!({
                    "n": s.n, "rho": num(s.rho), "ci_low": num(s.ci_low), "ci_high": num(s.ci_high),
                })),
            })
        })
        .collect();
    let best = r.best_vs_runner_up.as_ref().map(|b| {
        let d = &b.difference;
        json!({
            "best": b.best, "runner_up": b.runner_up, "n": d.n, "difference": num(d.difference),
            "se": num(d.se), "ci_low": num(d.ci_low), "ci_high": num(d.ci_high),
            "p_value": num(d.p_value),
        })
    });
    let nps = r.nps.as_ref().map(|n| {
        let classes: Vec<Value> = n
            .classes
            .iter()
            .map(|k| {
                json!({
                    "class": k.class.as_str(),
                    "n": k.n,
                    "retained": k.retention.map(|p| p.successes),
                    "retention": k.retention.map(|p| num(p.share)),
                    "retention_ci_low": k.retention.map(|p| num(p.ci_low)),
                    "retention_ci_high": k.retention.map(|p| num(p.ci_high)),
                    "mean_spend": k.spend.map(|m| num(m.mean)),
                    "spend_ci_low": k.spend.map(|m| num(m.ci_low)),
                    "spend_ci_high": k.spend.map(|m| num(m.ci_high)),
                    "mean_p_alive": k.p_alive.map(|m| num(m.mean)),
                    "p_alive_ci_low": k.p_alive.map(|m| num(m.ci_low)),
                    "p_alive_ci_high": k.p_alive.map(|m| num(m.ci_high)),
                })
            })
            .collect();
        json!({
            "metric": n.metric,
            "classes": classes,
            "promoters_vs_passives": ratio_json(&n.promoters_vs_passives),
            "detractors_vs_passives": ratio_json(&n.detractors_vs_passives),
        })
    });
    json!({
        "responses_file": args.responses.display().to_string(),
        "transactions_file": args.transactions.display().to_string(),
        "window_days": r.window_days,
        "observation_end": r.observation_end.to_string(),
        "confidence": r.confidence,
        "counts": {
            "responses": c.responses,
            "unknown_customer_responses": c.unknown_customer_responses,
            "unknown_customers": c.unknown_customers,
            "after_end": c.after_end,
            "before_first_purchase": c.before_first_purchase,
            "censored": c.censored,
            "with_outcome": c.with_outcome,
            "customers_with_outcome": c.customers_with_outcome,
            "customers_retained": c.customers_retained,
        },
        "metrics": metrics,
        "best_vs_runner_up": best,
        "nps": nps,
        "p_alive_model": model,
        "skipped_columns": skipped,
        "headline": headline(r),
    })
}

/// Columns padded to their widths: the first and the `left` columns left-aligned, the
/// others (numbers) right-aligned.
fn layout(rows: &[Vec<String>], left: &[usize]) -> String {
    let ncols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut w = vec![0usize; ncols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            let pad = " ".repeat(w[i] - c.chars().count());
            if i > 0 {
                line.push_str("  ");
            }
            if i == 0 || left.contains(&i) {
                line.push_str(c);
                line.push_str(&pad);
            } else {
                line.push_str(&pad);
                line.push_str(c);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn conf_label(c: f64) -> String {
    let p = c * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0} %")
    } else {
        format!("{p} %")
    }
}

fn interval(lo: f64, hi: f64, d: usize) -> String {
    format!("[{lo:.d$}, {hi:.d$}]")
}

fn print_text(
    args: &Args,
    r: &PredictorReport,
    model: Option<&str>,
    skipped: &[String],
) -> Result<()> {
    let c = &r.counts;
    let conf = conf_label(r.confidence);
    let mut out = String::new();
    out.push_str(&format!(
        "Which metric predicts defection? {} joined to {}\n",
        args.responses.display(),
        args.transactions.display()
    ));
    out.push_str(&format!(
        "Retained = bought again within {} days after the answer; observation end {}.\n",
        r.window_days, r.observation_end
    ));
    out.push_str(&format!(
        "{} responses: {} with a complete window ({} customers, {} retained), {} censored (window ends after {}), {} after the observation end.\n",
        c.responses,
        c.with_outcome,
        c.customers_with_outcome,
        c.customers_retained,
        c.censored,
        r.observation_end,
        c.after_end
    ));
    if c.before_first_purchase > 0 {
        out.push_str(&format!(
            "Note: {} responses dated before the customer's first purchase were left out (retention asks whether a customer bought again).\n",
            c.before_first_purchase
        ));
    }
    if c.unknown_customers > 0 {
        out.push_str(&format!(
            "Note: {} responses of {} customers not in the transaction file were left out (check that both files use the same customer ids).\n",
            c.unknown_customer_responses, c.unknown_customers
        ));
    }
    if !skipped.is_empty() {
        out.push_str(&format!(
            "Not metrics (not numeric): {}.\n",
            skipped.join(", ")
        ));
    }
    out.push('\n');
    let with_alive = r.metrics.iter().any(|m| m.p_alive.is_some());
    let mut rows = vec![{
        let mut h = vec![
            "metric".to_string(),
            "n".into(),
            "defected".into(),
            "AUC".into(),
            format!("{conf} interval"),
            "verdict".into(),
        ];
        if with_alive {
            h.push("Spearman with P(alive)".into());
        }
        h
    }];
    for m in &r.metrics {
        let mut row = vec![m.metric.clone(), m.n.to_string(), m.defected.to_string()];
        match m.auc {
            Some(a) => {
                row.push(format!("{:.3}", a.auc));
                row.push(match (a.ci_low, a.ci_high) {
                    (Some(lo), Some(hi)) => interval(lo, hi, 3),
                    _ => "—".into(),
                });
            }
            None => {
                row.push("—".into());
                row.push("—".into());
            }
        }
        row.push(verdict_words(m));
        if with_alive {
            row.push(match m.p_alive {
                Some(s) => format!("{:.2} {}", s.rho, interval(s.ci_low, s.ci_high, 2)),
                None => "—".into(),
            });
        }
        rows.push(row);
    }
    out.push_str(&layout(&rows, &[5]));
    out.push('\n');
    out.push_str(&headline(r));
    out.push('\n');
    out.push_str(
        "AUC: the chance that a customer who stayed scored higher than one who left (0.5 = coin toss; DeLong interval).\n",
    );
    for m in &r.metrics {
        if let Some(a) = m.auc
            && a.se == 0.0
            && (a.auc == 0.0 || a.auc == 1.0)
        {
            out.push_str(&format!(
                "Note: {} separates stayers from leavers perfectly on {} customers; the DeLong interval has zero width there and understates the uncertainty of so small a sample.\n",
                m.metric, m.n
            ));
        }
        if let Some(a) = m.auc
            && a.ci_low.is_none()
        {
            out.push_str(&format!(
                "Note: no variation in {}: every one of its {} customers has the same value, so it cannot tell stayers from leavers and has no interval.\n",
                m.metric, m.n
            ));
        }
    }
    if let Some(n) = &r.nps {
        out.push_str(&format!(
            "\nNPS classes ({}), retention and spend in the {} days after the answer:\n",
            n.metric, r.window_days
        ));
        let mut rows = vec![{
            let mut h = vec![
                "class".to_string(),
                "n".into(),
                "retained".into(),
                format!("{conf} interval"),
                "mean spend".into(),
                format!("{conf} interval"),
            ];
            if model.is_some() {
                h.push("mean P(alive)".into());
            }
            h
        }];
        for k in &n.classes {
            let mut row = vec![format!("{}s", k.class.as_str()), k.n.to_string()];
            match k.retention {
                Some(p) => {
                    row.push(format!("{:.1} %", 100.0 * p.share));
                    row.push(format!(
                        "[{:.1} %, {:.1} %]",
                        100.0 * p.ci_low,
                        100.0 * p.ci_high
                    ));
                }
                None => row.extend(["—".into(), "—".into()]),
            }
            match k.spend {
                Some(m) => {
                    row.push(format!("{:.2}", m.mean));
                    row.push(interval(m.ci_low, m.ci_high, 2));
                }
                None => row.extend(["—".into(), "—".into()]),
            }
            if model.is_some() {
                row.push(k.p_alive.map_or("—".into(), |m| format!("{:.2}", m.mean)));
            }
            rows.push(row);
        }
        out.push_str(&layout(&rows, &[]));
        match &n.promoters_vs_passives {
            Some(p) => out.push_str(&format!(
                "Promoters spend {} vs passives ({conf} interval {} to {}; source 004 claims +46 %).\n",
                percent(p.ratio),
                percent(p.ci_low),
                percent(p.ci_high)
            )),
            None => out.push_str(
                "Promoters vs passives spend: not measurable (fewer than 2 customers in a class, or a class spent nothing).\n",
            ),
        }
        if let Some(p) = &n.detractors_vs_passives {
            out.push_str(&format!(
                "Detractors spend {} vs passives ({conf} interval {} to {}).\n",
                percent(p.ratio),
                percent(p.ci_low),
                percent(p.ci_high)
            ));
        }
    }
    if let Some(m) = model {
        out.push_str(&format!(
            "\nP(alive) at {} from {m} (lowest BIC, fitted on all transactions), using each customer's latest answer, censored or not.\n",
            r.observation_end
        ));
    }
    use std::io::Write as _;
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}
