//! `comeback complaints --transactions TX`: the recovery effect (issue 9 item 6). Reads the
//! transaction file, groups customers by their first complaint (resolved within
//! `--quick-within`, resolved later, not resolved; or never complained), takes P(alive)
//! from the analysis of `comeback analyze` (default options, no bootstrap) and hands
//! `comeback_analysis::recovery_effect` plain values.
//!
//! JSON (key `recovery_effect` of `--json`): `transactions, observation_end,
//! quick_within_hours, confidence, median_complaint_day, complainers_without_purchases,
//! p_alive_note` (why P(alive) is missing, else null), `groups {never_complained,
//! resolved_quickly, resolved_slowly, not_resolved: {customers, without_reference, p_alive
//! {n, mean, ci_low, ci_high} | null, repeat {"90": {eligible, repeated, share, ci_low,
//! ci_high, censored}, ...}}}`, `ratios [{group, reference, window_days, ratio, ci_low,
//! ci_high}]`.

use super::ingest_args::IngestArgs;
use anyhow::{Context, Result};
use chrono::TimeDelta;
use comeback_analysis::recovery_effect::{
    FirstComplaint, RecoveryEffect, RecoveryGroup, RecoveryOptions, recovery_effect,
};
use comeback_analysis::{AnalysisOptions, analyze};
use comeback_complaints::measures::ComplaintRow;
use comeback_complaints::sla::BusinessCalendar;
use comeback_core::Day;
use comeback_ingest::Tz;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// The recovery effect with what the command adds around it.
pub struct Effect {
    effect: RecoveryEffect,
    file: String,
    quick_within: TimeDelta,
    complainers_without_purchases: usize,
    p_alive_note: Option<String>,
}

/// Reads `path` and computes the recovery effect of `rows`.
pub fn compute(
    path: &Path,
    rows: &[ComplaintRow],
    calendar: &BusinessCalendar,
    quick_within: TimeDelta,
    windows: &[u32],
    tz: Tz,
) -> Result<Effect> {
    let ingest = IngestArgs {
        input: path.to_path_buf(),
        customer_col: None,
        date_col: None,
        amount_col: None,
        transaction_id_col: None,
        quantity_col: None,
        delimiter: "auto".parse().map_err(anyhow::Error::msg)?,
        header: false,
        no_header: false,
        date_format: "auto".parse().map_err(anyhow::Error::msg)?,
        decimal_comma: false,
        currency: None,
        timezone: Some(tz),
        refunds: "exclude".parse().map_err(anyhow::Error::msg)?,
        skip_invalid: false,
        rejects: None,
        observation_end: None,
        quiet: true,
    };
    let loaded = ingest.load().context("--transactions")?;
    let log = &loaded.log;
    // Each customer's first complaint (earliest receipt; the file's first on ties).
    let mut first: HashMap<&str, &ComplaintRow> = HashMap::new();
    for r in rows {
        first
            .entry(r.customer_id.as_str())
            .and_modify(|f| {
                if r.received_at < f.received_at {
                    *f = r
                }
            })
            .or_insert(r);
    }
    let mut complaints = vec![None; log.len()];
    let mut without = 0usize;
    for (id, r) in &first {
        let Ok(i) = log.ids().binary_search_by(|x| (**x).cmp(id)) else {
            without += 1;
            continue;
        };
        let group = match r.resolved_at {
            None => RecoveryGroup::NotResolved,
            Some(t)
                if calendar.business_duration_paused(r.received_at, t, &r.pauses(t))
                    <= quick_within =>
            {
                RecoveryGroup::ResolvedQuickly
            }
            Some(_) => RecoveryGroup::ResolvedSlowly,
        };
        complaints[i] = Some(FirstComplaint {
            day: Day::from_date(r.received_at.with_timezone(&tz).date_naive()),
            group,
        });
    }
    let options = AnalysisOptions {
        bootstrap: 0,
        ..AnalysisOptions::default()
    };
    let (p_alive, p_alive_note) = match analyze(log, &options) {
        Ok(a) if a.scores.p_alive.len() == log.len() => (Some(a.scores.p_alive), None),
        Ok(_) => (
            None,
            Some("the analysis scored another set of customers".to_string()),
        ),
        Err(e) => (None, Some(format!("no model could be fitted: {e}"))),
    };
    let effect = recovery_effect(
        log,
        &complaints,
        p_alive.as_deref(),
        &RecoveryOptions {
            windows: windows.to_vec(),
            ..RecoveryOptions::default()
        },
    )
    .map_err(|e| anyhow::anyhow!("recovery effect: {e}"))?;
    Ok(Effect {
        effect,
        file: loaded.report.file.clone(),
        quick_within,
        complainers_without_purchases: without,
        p_alive_note,
    })
}

fn hours(d: TimeDelta) -> f64 {
    d.num_milliseconds() as f64 / 3.6e6
}

fn label(g: RecoveryGroup) -> &'static str {
    match g {
        RecoveryGroup::NeverComplained => "never complained",
        RecoveryGroup::ResolvedQuickly => "resolved quickly",
        RecoveryGroup::ResolvedSlowly => "resolved slowly",
        RecoveryGroup::NotResolved => "not resolved",
    }
}

fn interval(v: Option<f64>, lo: Option<f64>, hi: Option<f64>, pct: bool) -> String {
    let f = |x: f64| {
        if pct {
            format!("{:.1} %", 100.0 * x)
        } else {
            format!("{x:.3}")
        }
    };
    match (v, lo, hi) {
        (Some(v), Some(l), Some(h)) => format!("{} [{}, {}]", f(v), f(l), f(h)),
        (Some(v), _, _) => f(v),
        _ => "–".to_string(),
    }
}

impl Effect {
    /// The JSON of the module docs.
    pub fn to_json(&self) -> Value {
        let e = &self.effect;
        let groups: serde_json::Map<String, Value> = e
            .groups
            .iter()
            .map(|g| {
                let repeat: serde_json::Map<String, Value> = g
                    .repeat
                    .iter()
                    .map(|r| {
                        (
                            r.window_days.to_string(),
                            json!({
                                "eligible": r.eligible, "repeated": r.repeated, "share": r.share,
                                "ci_low": r.ci_low, "ci_high": r.ci_high, "censored": r.censored,
                            }),
                        )
                    })
                    .collect();
                (
                    g.group.key().to_string(),
                    json!({
                        "customers": g.customers,
                        "without_reference": g.without_reference,
                        "p_alive": g.p_alive.map(|p| json!({
                            "n": p.n, "mean": p.mean, "ci_low": p.ci_low, "ci_high": p.ci_high,
                        })),
                        "repeat": repeat,
                    }),
                )
            })
            .collect();
        let ratios: Vec<Value> = e
            .ratios
            .iter()
            .map(|r| {
                json!({
                    "group": r.group.key(), "reference": r.reference.key(),
                    "window_days": r.window_days, "ratio": r.ratio,
                    "ci_low": r.ci_low, "ci_high": r.ci_high,
                })
            })
            .collect();
        json!({
            "transactions": self.file,
            "observation_end": e.observation_end.to_string(),
            "quick_within_hours": hours(self.quick_within),
            "confidence": e.options.confidence,
            "median_complaint_day": e.median_complaint_day.map(|d| d.to_string()),
            "complainers_without_purchases": self.complainers_without_purchases,
            "p_alive_note": self.p_alive_note,
            "groups": groups,
            "ratios": ratios,
        })
    }

    /// A plain-text table.
    pub fn write_text(&self, out: &mut impl Write) -> Result<()> {
        let e = &self.effect;
        writeln!(
            out,
            "Recovery effect ({}; observation end {}; quick = resolved within {}h; {:.0} % intervals)",
            self.file,
            e.observation_end,
            hours(self.quick_within),
            100.0 * e.options.confidence
        )?;
        write!(
            out,
            "{:<18} {:>9} {:>24}",
            "group", "customers", "P(alive) now"
        )?;
        for w in &e.options.windows {
            write!(out, " {:>30}", format!("repeat within {w} days (n)"))?;
        }
        writeln!(out)?;
        for g in &e.groups {
            let p = g.p_alive;
            write!(
                out,
                "{:<18} {:>9} {:>24}",
                label(g.group),
                g.customers,
                interval(
                    p.map(|p| p.mean),
                    p.and_then(|p| p.ci_low),
                    p.and_then(|p| p.ci_high),
                    false
                )
            )?;
            for r in &g.repeat {
                write!(
                    out,
                    " {:>30}",
                    format!(
                        "{} ({})",
                        interval(r.share, r.ci_low, r.ci_high, true),
                        r.eligible
                    )
                )?;
            }
            writeln!(out)?;
        }
        writeln!(out, "Ratios of repeat shares:")?;
        for r in &e.ratios {
            writeln!(
                out,
                "  {:<17} ÷ {:<17} {:>4} days: {}",
                label(r.group),
                label(r.reference),
                r.window_days,
                interval(r.ratio, r.ci_low, r.ci_high, false)
            )?;
        }
        if let Some(d) = e.median_complaint_day {
            writeln!(
                out,
                "(never complained: from their last purchase on or before {d}, the median complaint day; windows ending after the observation end are left out)"
            )?;
        }
        if let Some(n) = &self.p_alive_note {
            writeln!(out, "P(alive) not shown: {n}")?;
        }
        if self.complainers_without_purchases > 0 {
            writeln!(
                out,
                "{} complaining customer(s) have no purchase in {} and are left out",
                self.complainers_without_purchases, self.file
            )?;
        }
        writeln!(
            out,
            "Resolution groups compared with each other estimate the effect of handling when how a complaint ends does not depend on the customer; the comparison with customers who never complained is descriptive."
        )?;
        Ok(())
    }
}
