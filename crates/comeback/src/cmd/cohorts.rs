//! `comeback cohorts`: contractual (subscription) cohorts — per monthly cohort the logo
//! retention, revenue retention (NRR) and GRR of each observed month, and the sBG model
//! (Fader & Hardie 2007) with projected retention, expected lifetime, discounted expected
//! (residual) lifetime and residual value. The definitions are those of
//! `comeback_analysis::contractual` (module documentation); this module reads, checks and
//! prints.
//!
//! Input: a delimited file with a header, one row per subscription (read with
//! `comeback_ingest::table`):
//! - `customer_id`: the subscriber (`--customer-col`);
//! - `start`: the first day of the subscription, included (`--start-col`);
//! - `end`: the end or cancellation day, excluded; blank while the subscription runs
//!   (`--end-col`);
//! - `mrr`: monthly recurring revenue, a plain decimal number ≥ 0 in the currency of the
//!   business (`--mrr-col`).
//!
//! A customer with several subscriptions (an upgrade, a second seat, a return) is one
//! customer of the cohort of their first start. An end on or before its start, a negative
//! MRR, an unparseable day or number and a blank customer, start or MRR are errors naming
//! file, line and column.

use anyhow::{Result, bail};
use comeback_analysis::contractual::{
    CohortOptions, ContractCohort, Reactivation, Subscription, contractual_cohorts,
};
use comeback_core::Day;
use comeback_ingest::{
    DateFormat, DecimalMark, Delimiter, RowProblem, TableOptions, read_table_path,
};
use serde_json::{Value, json};
use std::path::PathBuf;

/// Flags of `comeback cohorts`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Subscriptions file: customer_id, start, end (blank while running), mrr.
    input: PathBuf,
    /// Customer id column.
    #[arg(long, default_value = "customer_id", value_name = "COL")]
    customer_col: String,
    /// Start day column (included).
    #[arg(long, default_value = "start", value_name = "COL")]
    start_col: String,
    /// End or cancellation day column (excluded; blank while running).
    #[arg(long, default_value = "end", value_name = "COL")]
    end_col: String,
    /// Monthly recurring revenue column (currency of the business, ≥ 0).
    #[arg(long, default_value = "mrr", value_name = "COL")]
    mrr_col: String,
    /// Last day observed (YYYY-MM-DD, included); default the latest start or end day in the
    /// file.
    #[arg(long, value_parser = super::ingest_args::parse_day)]
    observation_end: Option<Day>,
    /// A customer who cancels and comes back: `exclude` (once gone, gone: logo retention is
    /// continuous survival) or `count` (active again, MRR counted again). The sBG always
    /// fits the continuous survivors.
    #[arg(long, default_value = "exclude", value_parser = parse_reactivation)]
    reactivation: Reactivation,
    /// Discount rate per month of DEL, DERL and residual value (0.01 = 1 % a month).
    #[arg(long, default_value_t = 0.01)]
    discount_rate: f64,
    /// Months of projected retention and survival after the last observed month.
    #[arg(long, default_value_t = 12)]
    projection_months: u32,
    /// Date format: `auto` (ISO 8601, %Y%m%d) or a strftime form such as `%d/%m/%Y`.
    #[arg(long, default_value = "auto")]
    date_format: DateFormat,
    /// Field separator: auto, comma, semicolon, tab, whitespace, or one character.
    #[arg(long, default_value = "auto")]
    delimiter: Delimiter,
    /// Numbers use a decimal comma (`9,90`).
    #[arg(long)]
    decimal_comma: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_reactivation(s: &str) -> Result<Reactivation, String> {
    match s {
        "exclude" => Ok(Reactivation::Exclude),
        "count" => Ok(Reactivation::Count),
        _ => Err(format!("expected exclude or count, got {s:?}")),
    }
}

/// Reads and checks the subscriptions; returns them with the latest day in the file.
fn read_subscriptions(a: &Args) -> Result<(Vec<Subscription>, Option<Day>)> {
    let t = read_table_path(
        &a.input,
        &TableOptions {
            delimiter: a.delimiter,
            date_format: a.date_format.clone(),
            decimal: if a.decimal_comma {
                DecimalMark::Comma
            } else {
                DecimalMark::Point
            },
            ..TableOptions::default()
        },
    )?;
    let (c, s, e, m) = (
        t.column(&a.customer_col)?,
        t.column(&a.start_col)?,
        t.column(&a.end_col)?,
        t.column(&a.mrr_col)?,
    );
    let mut subs = Vec::with_capacity(t.rows.len());
    let mut latest: Option<Day> = None;
    for row in &t.rows {
        let customer = row.get(c);
        if customer.is_empty() {
            return Err(t.row_error(row, c, RowProblem::EmptyCustomer).into());
        }
        let missing = |col, what: &'static str, expected: &str| {
            t.row_error(
                row,
                col,
                RowProblem::Missing {
                    what,
                    expected: expected.to_string(),
                },
            )
        };
        let start = t
            .parse_day(row, s)?
            .ok_or_else(|| missing(s, "a date", "the first day of the subscription"))?;
        let end = t.parse_day(row, e)?;
        if let Some(end) = end
            && end <= start
        {
            return Err(t
                .row_error(
                    row,
                    e,
                    RowProblem::Unparseable {
                        value: row.get(e).to_string(),
                        what: "an end day",
                        expected: format!("a day after the start {start}"),
                    },
                )
                .into());
        }
        let mrr = t
            .parse_number(row, m)?
            .ok_or_else(|| missing(m, "an MRR", "a number ≥ 0"))?;
        if mrr < 0.0 {
            return Err(t
                .row_error(
                    row,
                    m,
                    RowProblem::Unparseable {
                        value: row.get(m).to_string(),
                        what: "an MRR",
                        expected: "a number ≥ 0".into(),
                    },
                )
                .into());
        }
        latest = latest.max(Some(start)).max(end);
        subs.push(Subscription {
            customer: customer.to_string(),
            start,
            end,
            mrr,
        });
    }
    Ok((subs, latest))
}

/// Runs `comeback cohorts`.
pub fn run(args: Args) -> Result<()> {
    if !(args.discount_rate.is_finite() && args.discount_rate > 0.0) {
        bail!(
            "--discount-rate must be a number > 0, got {}",
            args.discount_rate
        );
    }
    let (subs, latest) = read_subscriptions(&args)?;
    let Some(end) = args.observation_end.or(latest) else {
        bail!("{}: no subscriptions", args.input.display());
    };
    let options = CohortOptions {
        observation_end: end,
        reactivation: args.reactivation,
        discount_rate: args.discount_rate,
        projection_months: args.projection_months,
    };
    let cohorts = contractual_cohorts(&subs, &options)?;
    if args.json {
        let j = json!({
            "input": args.input.display().to_string(),
            "observation_end": end.to_string(),
            "reactivation": reactivation_key(args.reactivation),
            "discount_rate_monthly": args.discount_rate,
            "cohorts": cohorts.iter().map(cohort_json).collect::<Vec<_>>(),
        });
        outln!("{}", serde_json::to_string_pretty(&j)?)?;
    } else {
        print_text(&cohorts, &options)?;
    }
    Ok(())
}

fn reactivation_key(r: Reactivation) -> &'static str {
    match r {
        Reactivation::Exclude => "exclude",
        Reactivation::Count => "count",
    }
}

/// A finite number or `null` (a ratio to an MRR of 0 is undefined).
fn num(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

fn cohort_json(c: &ContractCohort) -> Value {
    json!({
        "cohort": format!("{}-{:02}", c.year, c.month),
        "customers": c.customers,
        "months": c.months.iter().map(|m| json!({
            "month": m.month, "active": m.active, "logo_retention": m.logo_retention,
            "mrr": m.mrr, "revenue_retention": num(m.revenue_retention), "grr": num(m.grr),
        })).collect::<Vec<_>>(),
        "sbg": match &c.sbg {
            Ok(s) => json!({
                "alpha": s.alpha, "beta": s.beta, "log_likelihood": s.log_likelihood,
                "survivors": s.survivors,
                "projected_retention": s.projected_retention,
                "projected_survival": s.projected_survival,
                "expected_lifetime_months": s.expected_lifetime,
                "discounted_expected_lifetime_months": s.discounted_expected_lifetime,
                "derl_months": s.derl,
                "residual_value": s.residual_value,
            }),
            Err(e) => json!({"error": e}),
        },
    })
}

fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{:.1} %", 100.0 * v)
    } else {
        "—".into()
    }
}

fn print_text(cohorts: &[ContractCohort], o: &CohortOptions) -> Result<()> {
    outln!(
        "Subscription cohorts observed to {} (reactivation: {}; discount rate {} % a month)",
        o.observation_end,
        reactivation_key(o.reactivation),
        100.0 * o.discount_rate
    )?;
    for c in cohorts {
        outln!()?;
        outln!(
            "Cohort {}-{:02}: {} customers",
            c.year,
            c.month,
            c.customers
        )?;
        outln!(
            "  {:>5} {:>7} {:>8} {:>12} {:>8} {:>8}",
            "month",
            "active",
            "logo",
            "MRR",
            "NRR",
            "GRR"
        )?;
        for m in &c.months {
            outln!(
                "  {:>5} {:>7} {:>8} {:>12.2} {:>8} {:>8}",
                m.month,
                m.active,
                pct(m.logo_retention),
                m.mrr,
                pct(m.revenue_retention),
                pct(m.grr)
            )?;
        }
        match &c.sbg {
            Ok(s) => {
                let j = s.survivors.len() - 1;
                outln!(
                    "  sBG: alpha {:.3}, beta {:.3} (log-likelihood {:.3})",
                    s.alpha,
                    s.beta,
                    s.log_likelihood
                )?;
                outln!(
                    "  projected retention, months {}–{}: {}",
                    j + 1,
                    j + s.projected_retention.len(),
                    s.projected_retention
                        .iter()
                        .map(|r| format!("{:.1}", 100.0 * r))
                        .collect::<Vec<_>>()
                        .join(" ")
                )?;
                outln!(
                    "  expected lifetime of a new customer: {}",
                    s.expected_lifetime
                        .map_or("unbounded (alpha ≤ 1)".into(), |v| format!(
                            "{v:.1} months"
                        ))
                )?;
                outln!(
                    "  discounted expected lifetime (DEL): {:.2} months of payments",
                    s.discounted_expected_lifetime
                )?;
                outln!(
                    "  DERL of a customer active at month {j}: {:.2} months of payments; residual value {:.2}",
                    s.derl,
                    s.residual_value
                )?;
            }
            Err(e) => outln!("  sBG: not fitted ({e})")?,
        }
    }
    Ok(())
}
