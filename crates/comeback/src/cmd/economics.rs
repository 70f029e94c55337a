//! `comeback economics`: what defection costs and what keeping more customers is worth
//! (PRODUCT R8; Reichheld & Sasser 1990), in revenue, profit and acquisition cost.
//!
//! Nothing is redefined here: the file is read with the ingest flags of `analyze`, the
//! analysis runs with the flags and defaults of `analyze` (`ModelArgs`, through
//! `comeback_analysis::analyze`), and the defection rate, customers and revenue lost, CLV,
//! revenue at risk and the what-if are the analysis' own. `comeback_analysis::economics` adds
//! the figures that need the margin or an acquisition cost (profit lost, replacement cost,
//! payback, the naive constant-churn lifetime and CLV, the acquisition cost the what-if
//! saves); its module documentation defines each. `--json` prints the keys of analyze's
//! summary.json that describe the same quantities with the same values (`headline_json`),
//! plus an `economics` object.

use super::analyze::{ModelArgs, cli_error, headline_json, print_notes};
use super::analyze_extra::{economics_json, economics_of};
use super::common::progress_bar;
use super::ingest_args::IngestArgs;
use anyhow::{Result, bail};
use comeback_analysis::economics::Economics;
use comeback_analysis::{Analysis, analyze_with_progress};
use serde_json::{Value, json};

/// Flags of `comeback economics`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    ingest: IngestArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// Cost of acquiring one new customer, in the currency of the amounts.
    #[arg(long, value_name = "COST")]
    acquisition_cost: Option<f64>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `comeback economics`.
pub fn run(args: Args) -> Result<()> {
    args.model.check()?;
    if let Some(c) = args.acquisition_cost
        && !(c.is_finite() && c >= 0.0)
    {
        bail!("--acquisition-cost must be a number ≥ 0, got {c}");
    }
    let loaded = args.ingest.load()?;
    let pb = progress_bar(args.ingest.quiet, None, "summarising");
    let analysis = analyze_with_progress(&loaded.log, &args.model.options(), &mut |m: &str| {
        pb.set_message(m.to_string())
    });
    pb.finish_and_clear();
    let analysis = analysis.map_err(|e| cli_error(e, &loaded.report.file))?;
    print_notes(&analysis);
    let e = economics_of(&analysis, args.acquisition_cost)?;
    let mut out = headline_json(&analysis, &args.model, &loaded);
    if let Value::Object(m) = &mut out {
        m.insert("economics".into(), economics_json(&e));
        m.insert(
            "input".into(),
            json!({"file": loaded.report.file, "sha256": loaded.sha256,
                   "rows_read": loaded.report.rows_read, "rows_used": loaded.log.rows_kept()}),
        );
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        print_text(&analysis, &e, &out)?;
    }
    Ok(())
}

/// Money with thousands separators and two decimals.
fn money(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{frac}", if v < 0.0 { "-" } else { "" })
}

fn opt_money(v: Option<f64>) -> String {
    v.map_or("—".into(), money)
}

fn print_text(a: &Analysis, e: &Economics, j: &Value) -> Result<()> {
    let cur = j["currency"].as_str().unwrap_or("currency units");
    let d = &a.defection;
    let w = &a.what_if;
    let pct = |v: f64| format!("{:.1} %", 100.0 * v);
    outln!(
        "Retention economics, observation end {} (money in {cur}; margin {})",
        j["observation_end"].as_str().unwrap_or("?"),
        pct(e.margin)
    )?;
    outln!()?;
    outln!("Defection over the last 12 months (as in analyze)")?;
    outln!(
        "  customers active in the previous 12 months  {}",
        d.active_previous
    )?;
    outln!(
        "  of them lost (no purchase since)            {}",
        d.customers_lost
    )?;
    outln!(
        "  defection rate                              {}",
        d.rate.map_or("—".into(), pct)
    )?;
    outln!(
        "  revenue lost (their previous 12 months)     {}",
        money(d.revenue_lost.to_f64())
    )?;
    outln!(
        "  profit lost = margin × revenue lost         {}",
        money(e.profit_lost_12m)
    )?;
    outln!(
        "  replacement cost = acq. cost × lost         {}",
        opt_money(e.replacement_cost_12m)
    )?;
    outln!()?;
    outln!("The customer base now")?;
    outln!(
        "  customers / expected alive                  {} / {:.1}",
        a.summary.customers.len(),
        a.headline.expected_alive_now
    )?;
    outln!(
        "  revenue at risk (next 12 months)            {}",
        money(a.headline.revenue_at_risk)
    )?;
    outln!(
        "  CLV total (margin applied)                  {}",
        money(a.headline.clv_total)
    )?;
    outln!(
        "  annual revenue per alive customer           {}",
        opt_money(e.annual_revenue_per_alive_customer)
    )?;
    outln!(
        "  annual margin per alive customer            {}",
        opt_money(e.annual_margin_per_alive_customer)
    )?;
    outln!(
        "  payback of the acquisition cost (months)    {}",
        e.payback_months.map_or("—".into(), |v| format!("{v:.1}"))
    )?;
    outln!()?;
    outln!(
        "Naive constant-churn figures (for comparison; they assume every customer leaves at the same rate)"
    )?;
    outln!(
        "  lifetime = 1 ÷ defection rate (years)       {}",
        e.naive_lifetime_years
            .map_or("—".into(), |v| format!("{v:.2}"))
    )?;
    outln!(
        "  CLV = annual margin ÷ defection rate        {}",
        opt_money(e.naive_clv_per_customer)
    )?;
    outln!(
        "  CLV ÷ acquisition cost                      {}",
        e.naive_clv_to_acquisition_cost
            .map_or("—".into(), |v| format!("{v:.2}"))
    )?;
    outln!()?;
    outln!(
        "What if {} more points of the alive base stayed for 12 months ({} → {}{})",
        w.retention_points,
        pct(w.result.survival_before),
        pct(w.result.survival_after),
        if w.result.capped {
            ", capped at the model's limit"
        } else {
            ""
        }
    )?;
    outln!(
        "  model-based CLV gain                        {}",
        money(w.model_clv_gain)
    )?;
    outln!(
        "  naive constant-churn CLV gain               {}",
        money(w.naive_clv_gain)
    )?;
    outln!(
        "  customers kept                              {:.1}",
        e.what_if_customers_kept
    )?;
    outln!(
        "  acquisition cost saved                      {}",
        opt_money(e.what_if_acquisition_cost_saved)
    )?;
    Ok(())
}
