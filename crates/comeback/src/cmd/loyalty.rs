//! `comeback loyalty`: loyalty-programme members vs non-members (PRODUCT R9) — retention,
//! visits per year, inter-visit time and spend per visit with intervals, the raw gap in
//! visits after enrolment, and the matched estimate of the programme's effect with its
//! assumptions. The statistics are `comeback_analysis::loyalty` (definitions and sources in
//! its module documentation); this module reads, checks and prints.
//!
//! The members file is a delimited file with a header (read with
//! `comeback_ingest::table`): one row per member, a customer id column (`--member-col`,
//! default `customer_id`) and an enrolment day column (`--enrolled-col`, default
//! `enrolled_at`; blank = a member whose enrolment day is unknown, who is counted in the
//! descriptive metrics and left out of the matched comparison). A customer listed twice
//! keeps the earliest enrolment day. Customers of the transaction file who are not in the
//! members file are non-members; members without transactions are counted in a note.
//!
//! **CLV per group**: each customer's CLV is the one `comeback analyze` writes to
//! customers.csv (the same flags and defaults, `ModelArgs`: the model chosen on the holdout,
//! refitted on all data, with Gamma-Gamma spend); the group's figure is the mean over its
//! customers with purchases and the interval the t interval of that mean over customers.
//! The interval describes how CLV varies between customers, not the uncertainty of the
//! model's parameters (those are in analyze's bootstrap intervals). When the data cannot
//! support a model (too few repeat customers) the CLV is `null` and a note says why;
//! `--no-clv` skips the fit.
//!
//! **NPS per group** (with `--responses`, see `super::responses`): each customer's latest
//! answer, classed as in `comeback nps`, with the Rocks (2016) adjusted-Wald interval
//! (`comeback_voice::nps`); `null` for a group without answers.

use super::analyze::{ModelArgs, print_notes};
use super::ingest_args::IngestArgs;
use super::responses::ResponsesArgs;
use anyhow::{Result, bail};
use comeback_analysis::loyalty::{
    Estimate, Extras, GroupMetrics, LoyaltyComparison, LoyaltyOptions, Member, RatioEstimate,
    compare_members,
};
use comeback_core::{Day, TransactionLog};
use comeback_ingest::{DateFormat, RowProblem, TableOptions, read_table_path};
use comeback_voice::nps::NpsEstimate;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;

/// Flags of `comeback loyalty`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    ingest: IngestArgs,
    /// Members file: one row per member with a customer id and an enrolment day.
    #[arg(long, value_name = "MEMBERS.csv")]
    members: PathBuf,
    /// Customer id column of the members file.
    #[arg(long, default_value = "customer_id", value_name = "COL")]
    member_col: String,
    /// Enrolment day column of the members file (blank: unknown).
    #[arg(long, default_value = "enrolled_at", value_name = "COL")]
    enrolled_col: String,
    /// Date format of the enrolment days: `auto` (ISO 8601, %Y%m%d) or a strftime form.
    #[arg(long, default_value = "auto")]
    members_date_format: DateFormat,
    /// The programme's launch (YYYY-MM-DD): non-members' reference day is their first
    /// purchase on or after it; default the earliest enrolment day.
    #[arg(long, value_parser = super::ingest_args::parse_day)]
    launch: Option<Day>,
    /// Length of the pre-enrolment window (matching on visits in it), in days.
    #[arg(long, default_value_t = 365)]
    pre_days: u32,
    /// Length of the outcome window after the reference day, in days.
    #[arg(long, default_value_t = 365)]
    post_days: u32,
    /// Confidence level of every interval, strictly between 0 and 1.
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    #[command(flatten)]
    responses: ResponsesArgs,
    /// The model flags of `analyze` (CLV per customer).
    #[command(flatten)]
    model: ModelArgs,
    /// No CLV (skips the model fit).
    #[arg(long)]
    no_clv: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// The members file: enrolment day (or `None`: unknown) by customer id.
pub(super) struct MembersFile {
    /// Its name as given.
    pub file: String,
    /// Enrolment day by customer id.
    pub by_id: HashMap<String, Option<Day>>,
}

impl MembersFile {
    /// Members without a customer in `log`.
    pub fn without_purchases(&self, log: &comeback_core::TransactionLog) -> usize {
        self.by_id
            .keys()
            .filter(|id| {
                log.ids()
                    .binary_search_by(|x| (**x).cmp(id.as_str()))
                    .is_err()
            })
            .count()
    }
}

/// Where the members file's columns are and how its dates are written.
pub(super) struct MembersFormat<'a> {
    pub member_col: &'a str,
    pub enrolled_col: &'a str,
    pub date_format: DateFormat,
    pub delimiter: comeback_ingest::Delimiter,
    pub timezone: Option<comeback_ingest::Tz>,
}

fn read_members(a: &Args) -> Result<MembersFile> {
    read_members_file(
        &a.members,
        &MembersFormat {
            member_col: &a.member_col,
            enrolled_col: &a.enrolled_col,
            date_format: a.members_date_format.clone(),
            delimiter: a.ingest.delimiter,
            timezone: a.ingest.timezone,
        },
    )
}

/// Reads a members file (module docs).
///
/// # Errors
/// An unreadable file, a missing column, a blank id or a bad date (file, line, column), or
/// a file without members.
pub(super) fn read_members_file(
    path: &std::path::Path,
    f: &MembersFormat<'_>,
) -> Result<MembersFile> {
    let t = read_table_path(
        path,
        &TableOptions {
            delimiter: f.delimiter,
            date_format: f.date_format.clone(),
            timezone: f.timezone,
            ..TableOptions::default()
        },
    )?;
    let id = t.column(f.member_col)?;
    let enrolled = t.column(f.enrolled_col)?;
    let mut by_id: HashMap<String, Option<Day>> = HashMap::new();
    for row in &t.rows {
        let c = row.get(id);
        if c.is_empty() {
            return Err(t.row_error(row, id, RowProblem::EmptyCustomer).into());
        }
        let day = t.parse_day(row, enrolled)?;
        by_id
            .entry(c.to_string())
            .and_modify(|d| {
                *d = match (*d, day) {
                    (Some(x), Some(y)) => Some(x.min(y)),
                    (x, y) => x.or(y),
                }
            })
            .or_insert(day);
    }
    if by_id.is_empty() {
        bail!("{}: no members (the file has a header only)", t.name);
    }
    Ok(MembersFile {
        file: t.name.clone(),
        by_id,
    })
}

/// Runs `comeback loyalty`.
pub fn run(args: Args) -> Result<()> {
    if !(args.confidence > 0.0 && args.confidence < 1.0) {
        bail!(
            "--confidence must be strictly between 0 and 1, got {}",
            args.confidence
        );
    }
    args.model.check()?;
    let members_file = read_members(&args)?;
    let answers = args.responses.read(args.ingest.delimiter)?;
    let loaded = args.ingest.load()?;
    let log = &loaded.log;
    let members: Vec<Member> = log
        .ids()
        .iter()
        .map(|id| match members_file.by_id.get(&**id) {
            Some(d) => Member::Yes { enrolled: *d },
            None => Member::No,
        })
        .collect();
    let without = members_file.without_purchases(log);
    if without > 0 {
        note!(
            "note: {without} of the {} members in {} have no purchase in {} (are the ids written the same way in both files?)",
            members_file.by_id.len(),
            args.members.display(),
            loaded.report.file
        );
    }
    let options = LoyaltyOptions {
        confidence: args.confidence,
        pre_days: args.pre_days,
        post_days: args.post_days,
        launch: args.launch,
    };
    let clv = if args.no_clv {
        None
    } else {
        clv_per_customer(log, &args.model, &loaded.report.file)
    };
    let nps = answers.as_ref().map(|a| {
        let (joined, unknown) = a.join(log.ids());
        if unknown > 0 {
            note!(
                "note: {unknown} of the {} customers who answered in {} have no purchase in {} (left out)",
                a.latest.len(),
                a.file,
                loaded.report.file
            );
        }
        joined
    });
    let extras = Extras {
        clv: clv.as_deref(),
        nps: nps.as_deref(),
    };
    let c = compare_members(log, &members, &extras, &options)?;
    let currency = loaded
        .report
        .currency
        .clone()
        .or_else(|| loaded.report.currency_symbol.clone());
    let j = to_json(&c, currency.as_deref(), without, &loaded.report.file);
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&j)?)?;
    } else {
        print_text(&c, currency.as_deref().unwrap_or("currency units"))?;
    }
    Ok(())
}

/// Each customer's CLV (parallel to `log.customers()`, 0 for a customer without a
/// purchase) from the analysis `comeback analyze` runs with the same flags; `None` with a
/// note when no model can be fitted.
pub(super) fn clv_per_customer(
    log: &TransactionLog,
    model: &ModelArgs,
    file: &str,
) -> Option<Vec<f64>> {
    let options = comeback_analysis::AnalysisOptions {
        // The bootstrap only gives the intervals of the totals, not the CLV per customer.
        bootstrap: 0,
        ..model.options()
    };
    match comeback_analysis::analyze(log, &options) {
        Ok(a) => {
            print_notes(&a);
            Some(clv_of(&a, log))
        }
        Err(e) => {
            note!(
                "note: no CLV per group: {}",
                super::analyze::cli_error(e, file)
            );
            None
        }
    }
}

/// The analysis' CLV per customer of `log` (0 for customers without a purchase).
pub(super) fn clv_of(a: &comeback_analysis::Analysis, log: &TransactionLog) -> Vec<f64> {
    log.ids()
        .iter()
        .map(|id| a.customer_index(id).map_or(0.0, |i| a.scores.clv[i]))
        .collect()
}

/// The assumptions under which the matched estimate is the programme's effect.
pub const ASSUMPTIONS: [&str; 3] = [
    "selection on observables: given the pre-enrolment visits and whether the customer was already established, joining is unrelated to how often the customer would have visited anyway",
    "a non-member's first purchase on or after the launch stands in for the day they could have joined",
    "customers do not affect each other",
];

fn estimate_json(e: &Option<Estimate>) -> Value {
    match e {
        Some(e) => {
            json!({"n": e.n, "estimate": e.estimate, "ci_low": e.ci_low, "ci_high": e.ci_high})
        }
        None => Value::Null,
    }
}

fn group_json(g: &GroupMetrics) -> Value {
    json!({
        "customers": g.customers,
        "retention_12m": estimate_json(&g.retention),
        "visits_per_year": estimate_json(&g.visits_per_year),
        "inter_visit_days": estimate_json(&g.inter_visit_days),
        "spend_per_visit": estimate_json(&g.spend_per_visit),
        "clv": estimate_json(&g.clv),
        "nps": nps_json(&g.nps),
    })
}

/// An NPS estimate as the keys of `comeback nps --json` (points, −100 to 100).
pub(super) fn nps_json(e: &Option<NpsEstimate>) -> Value {
    match e {
        Some(e) => json!({
            "n": e.counts.n(), "promoters": e.counts.promoters, "passives": e.counts.passives,
            "detractors": e.counts.detractors, "nps": e.nps, "nps_adjusted": e.nps_adjusted,
            "se": e.se, "ci_low": e.ci_low, "ci_high": e.ci_high, "method": e.method.as_str(),
        }),
        None => Value::Null,
    }
}

fn ratio_json(r: &Option<RatioEstimate>) -> Value {
    match r {
        Some(r) => json!({
            "effect": r.effect, "ci_low": r.ci_low, "ci_high": r.ci_high,
            "members": r.members, "non_members": r.non_members,
            "member_mean_visits": r.member_mean, "non_member_mean_visits": r.non_member_mean,
            "member_pre_visits": r.member_pre_visits, "non_member_pre_visits": r.non_member_pre_visits,
        }),
        None => Value::Null,
    }
}

pub(super) fn to_json(
    c: &LoyaltyComparison,
    currency: Option<&str>,
    members_without_purchases: usize,
    file: &str,
) -> Value {
    let k = &c.counts;
    json!({
        "input": file,
        "currency": currency,
        "confidence": c.options.confidence,
        "pre_days": c.options.pre_days,
        "post_days": c.options.post_days,
        "launch": c.launch.map(|d| d.to_string()),
        "members": group_json(&c.members),
        "non_members": group_json(&c.non_members),
        "raw": ratio_json(&c.raw),
        "matched": ratio_json(&c.matched),
        "counts": {
            "members_without_purchases": members_without_purchases,
            "members_without_date": k.members_without_date,
            "non_members_without_reference": k.non_members_without_reference,
            "members_censored": k.members_censored,
            "non_members_censored": k.non_members_censored,
            "members_unmatched": k.members_unmatched,
            "strata": k.strata,
        },
        "assumptions": ASSUMPTIONS,
    })
}

fn fmt_est(e: &Option<Estimate>, scale: f64, decimals: usize, suffix: &str) -> String {
    match e {
        None => "—".into(),
        Some(e) => {
            let v = |x: f64| format!("{:.*}{suffix}", decimals, x * scale);
            match (e.ci_low, e.ci_high) {
                (Some(l), Some(h)) => format!("{} [{}, {}] n={}", v(e.estimate), v(l), v(h), e.n),
                _ => format!("{} n={}", v(e.estimate), e.n),
            }
        }
    }
}

fn fmt_nps(e: &Option<NpsEstimate>) -> String {
    match e {
        None => "—".into(),
        Some(e) => format!(
            "{:.1} [{:.1}, {:.1}] n={}",
            e.nps,
            e.ci_low,
            e.ci_high,
            e.counts.n()
        ),
    }
}

fn fmt_ratio(r: &Option<RatioEstimate>) -> String {
    match r {
        None => "— (no eligible members or non-members)".into(),
        Some(r) => {
            let p = |x: f64| format!("{:+.1} %", 100.0 * x);
            let ci = match (r.ci_low, r.ci_high) {
                (Some(l), Some(h)) => format!(" [{}, {}]", p(l), p(h)),
                _ => String::new(),
            };
            format!(
                "{}{ci}  ({} members: {:.2} visits, {} non-members: {:.2}; pre-enrolment visits {:.2} vs {:.2})",
                p(r.effect),
                r.members,
                r.member_mean,
                r.non_members,
                r.non_member_mean,
                r.member_pre_visits,
                r.non_member_pre_visits
            )
        }
    }
}

fn print_text(c: &LoyaltyComparison, currency: &str) -> Result<()> {
    let level = format!("{:.0} %", 100.0 * c.options.confidence);
    outln!("Loyalty members vs non-members ({level} intervals; money in {currency})")?;
    outln!()?;
    outln!("{:<34} {:<40} {}", "", "members", "non-members")?;
    let row = |name: &str, m: String, n: String| outln!("{name:<34} {m:<40} {n}");
    row(
        "customers with purchases",
        c.members.customers.to_string(),
        c.non_members.customers.to_string(),
    )?;
    row(
        "retention, last 12 months (%)",
        fmt_est(&c.members.retention, 100.0, 1, ""),
        fmt_est(&c.non_members.retention, 100.0, 1, ""),
    )?;
    row(
        "visits per year",
        fmt_est(&c.members.visits_per_year, 1.0, 2, ""),
        fmt_est(&c.non_members.visits_per_year, 1.0, 2, ""),
    )?;
    row(
        "days between visits",
        fmt_est(&c.members.inter_visit_days, 1.0, 1, ""),
        fmt_est(&c.non_members.inter_visit_days, 1.0, 1, ""),
    )?;
    row(
        "spend per visit",
        fmt_est(&c.members.spend_per_visit, 1.0, 2, ""),
        fmt_est(&c.non_members.spend_per_visit, 1.0, 2, ""),
    )?;
    if c.members.clv.is_some() || c.non_members.clv.is_some() {
        row(
            "CLV (mean per customer)",
            fmt_est(&c.members.clv, 1.0, 2, ""),
            fmt_est(&c.non_members.clv, 1.0, 2, ""),
        )?;
    }
    if c.members.nps.is_some() || c.non_members.nps.is_some() {
        row(
            "NPS (adjusted Wald)",
            fmt_nps(&c.members.nps),
            fmt_nps(&c.non_members.nps),
        )?;
    }
    outln!()?;
    outln!(
        "Visits in the {} days after enrolment (non-members: after their first purchase on or after the launch {}):",
        c.options.post_days,
        c.launch.map_or("—".into(), |d| d.to_string())
    )?;
    outln!(
        "  raw gap, members vs all non-members:   {}",
        fmt_ratio(&c.raw)
    )?;
    outln!(
        "  matched estimate (effect on members):  {}",
        fmt_ratio(&c.matched)
    )?;
    let k = &c.counts;
    outln!(
        "  matched on visits in the {} days before and on being an established customer ({} strata); left out: {} members without an enrolment day, {} members and {} non-members whose {} days are not over yet, {} members without comparable non-members, {} non-members without a purchase since the launch",
        c.options.pre_days,
        k.strata,
        k.members_without_date,
        k.members_censored,
        k.non_members_censored,
        c.options.post_days,
        k.members_unmatched,
        k.non_members_without_reference
    )?;
    outln!()?;
    outln!("The matched estimate is the programme's effect only if:")?;
    for (i, a) in ASSUMPTIONS.iter().enumerate() {
        outln!("  {}. {a}", i + 1)?;
    }
    outln!(
        "The raw gap is not an effect: customers who already visit often are the ones who join."
    )?;
    Ok(())
}
