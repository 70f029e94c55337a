//! The Kaplan–Meier (product-limit) estimate of the survival function.
//!
//! At each distinct observed time tⱼ with nⱼ subjects at risk (duration ≥ tⱼ) and dⱼ
//! events, Ŝ(t) = ∏_{tⱼ ≤ t} (1 − dⱼ/nⱼ) (Kaplan & Meier 1958; Kalbfleisch & Prentice 2002,
//! eq. 1.13). A subject censored at tⱼ counts as at risk at tⱼ (events before censoring
//! at tied times).
//!
//! **Greenwood variance** (Klein & Moeschberger 2003, eq. 4.2.2):
//! Var Ŝ(t) = Ŝ(t)² σ²(t) with σ²(t) = Σ_{tⱼ ≤ t} dⱼ / (nⱼ (nⱼ − dⱼ)).
//!
//! **Pointwise intervals** at level 1 − α with z = Φ⁻¹(1 − α/2):
//! - log(−log) (default; Kalbfleisch & Prentice 2002 §1.3; Klein & Moeschberger eq. 4.3.2):
//!   [Ŝ^exp(z σ / ln Ŝ), Ŝ^exp(−z σ / ln Ŝ)], always inside [0, 1] — R's
//!   `conf.type = "log-log"`, lifelines' default ("exponential Greenwood").
//! - log: Ŝ · exp(±z σ), the upper end clipped at 1 — R's default `conf.type = "log"`.
//!
//! Where Ŝ = 1 (before the first event) the interval is [1, 1]; where Ŝ = 0 (after the last
//! subject at risk has an event) σ² is infinite, the standard error is `None` and the
//! interval is [0, 0], as lifelines reports it.
//!
//! **Median survival** is the first time Ŝ(t) ≤ ½ (lifelines' `median_survival_time_`;
//! R's `survfit` instead takes the midpoint when Ŝ equals ½ exactly on an interval), `None`
//! when Ŝ never reaches ½. Its interval inverts the pointwise bands as R and lifelines do
//! (the approach of Brookmeyer & Crowley 1982, with the chosen transform): the lower end is
//! the first time the lower band reaches ½, the upper end the first time the upper band does
//! (`None` = not reached, unbounded).

use crate::stats::{check_confidence, z_for};
use crate::{SurvivalError, check_input};

/// Transform of the pointwise confidence intervals of S(t).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConfidenceType {
    /// log(−log S): stays inside [0, 1]; the default (R "log-log", lifelines).
    #[default]
    LogLog,
    /// log S: R's default `conf.type = "log"`; the upper end is clipped at 1.
    Log,
}

impl ConfidenceType {
    /// `log-log` or `log`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConfidenceType::LogLog => "log-log",
            ConfidenceType::Log => "log",
        }
    }
}

/// Options of [`kaplan_meier`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KmOptions {
    /// Confidence level of the intervals, strictly between 0 and 1 (default 0.95).
    pub confidence: f64,
    /// Interval transform (default log(−log)).
    pub conf_type: ConfidenceType,
}

impl Default for KmOptions {
    fn default() -> Self {
        KmOptions {
            confidence: 0.95,
            conf_type: ConfidenceType::LogLog,
        }
    }
}

/// One row of the at-risk table: a distinct observed time.
#[derive(Debug, Clone, PartialEq)]
pub struct KmRow {
    /// The time, in the durations' unit.
    pub time: f64,
    /// Subjects at risk just before `time` (duration ≥ time).
    pub at_risk: u64,
    /// Events at `time`.
    pub events: u64,
    /// Subjects censored at `time`.
    pub censored: u64,
    /// Ŝ(time), including the events at `time`.
    pub survival: f64,
    /// Greenwood standard error of Ŝ(time); `None` where Ŝ = 0.
    pub std_err: Option<f64>,
    /// Lower end of the pointwise interval.
    pub ci_low: f64,
    /// Upper end of the pointwise interval.
    pub ci_high: f64,
}

/// A fitted Kaplan–Meier curve.
#[derive(Debug, Clone, PartialEq)]
pub struct KaplanMeier {
    /// One row per distinct observed time (events or censorings), increasing.
    pub rows: Vec<KmRow>,
    /// Number of subjects.
    pub n: u64,
    /// Number of events.
    pub events: u64,
    /// Median survival time: the first time Ŝ ≤ ½ (`None`: not reached).
    pub median: Option<f64>,
    /// Lower end of the median's interval (`None`: not reached).
    pub median_ci_low: Option<f64>,
    /// Upper end of the median's interval (`None`: not reached, unbounded).
    pub median_ci_high: Option<f64>,
    /// The options used.
    pub options: KmOptions,
}

impl KaplanMeier {
    /// Ŝ(t): 1 before the first observed time, a right-continuous step function after.
    pub fn survival_at(&self, t: f64) -> f64 {
        let k = self.rows.partition_point(|r| r.time <= t);
        if k == 0 {
            1.0
        } else {
            self.rows[k - 1].survival
        }
    }
}

/// The Kaplan–Meier estimate of durations (any one unit, ≥ 0) with event flags (`true` =
/// the event happened at the duration; `false` = censored then: still a customer at the end
/// of observation).
///
/// # Errors
/// [`SurvivalError::LengthMismatch`], [`SurvivalError::Empty`],
/// [`SurvivalError::InvalidDuration`], and [`SurvivalError::InvalidOption`] for a confidence
/// level outside (0, 1).
pub fn kaplan_meier(
    durations: &[f64],
    events: &[bool],
    options: &KmOptions,
) -> Result<KaplanMeier, SurvivalError> {
    check_input(durations, events)?;
    check_confidence(options.confidence)?;
    let z = z_for(options.confidence);
    let mut order: Vec<usize> = (0..durations.len()).collect();
    order.sort_by(|&a, &b| durations[a].total_cmp(&durations[b]));

    let n = durations.len() as u64;
    let mut at_risk = n;
    let mut s = 1.0f64;
    let mut sigma2 = 0.0f64;
    let mut rows = Vec::new();
    let mut total_events = 0u64;
    let mut k = 0;
    while k < order.len() {
        let t = durations[order[k]];
        let (mut d, mut c) = (0u64, 0u64);
        while k < order.len() && durations[order[k]] == t {
            if events[order[k]] {
                d += 1
            } else {
                c += 1
            }
            k += 1;
        }
        if d > 0 {
            s *= 1.0 - d as f64 / at_risk as f64;
            sigma2 = if d < at_risk {
                sigma2 + d as f64 / (at_risk as f64 * (at_risk - d) as f64)
            } else {
                f64::INFINITY
            };
        }
        let (std_err, ci_low, ci_high) = interval(s, sigma2, z, options.conf_type);
        rows.push(KmRow {
            time: t,
            at_risk,
            events: d,
            censored: c,
            survival: s,
            std_err,
            ci_low,
            ci_high,
        });
        total_events += d;
        at_risk -= d + c;
    }
    let first_at_or_below =
        |f: &dyn Fn(&KmRow) -> f64| rows.iter().find(|r| f(r) <= 0.5).map(|r| r.time);
    let median = first_at_or_below(&|r| r.survival);
    let median_ci_low = first_at_or_below(&|r| r.ci_low);
    let median_ci_high = first_at_or_below(&|r| r.ci_high);
    Ok(KaplanMeier {
        rows,
        n,
        events: total_events,
        median,
        median_ci_low,
        median_ci_high,
        options: *options,
    })
}

/// Greenwood standard error and the pointwise interval of Ŝ = `s` with
/// σ² = Σ d/(n(n − d)).
fn interval(s: f64, sigma2: f64, z: f64, conf_type: ConfidenceType) -> (Option<f64>, f64, f64) {
    if s <= 0.0 || !sigma2.is_finite() {
        return (None, 0.0, 0.0);
    }
    let sigma = sigma2.sqrt();
    let se = Some(s * sigma);
    if s >= 1.0 {
        return (se, 1.0, 1.0);
    }
    match conf_type {
        ConfidenceType::LogLog => {
            // ln(−ln S) ± z σ/|ln S|, back-transformed: S^exp(±z σ / ln S).
            let ln_s = s.ln();
            let a = (z * sigma / ln_s).exp();
            (se, s.powf(1.0 / a), s.powf(a))
        }
        ConfidenceType::Log => (se, s * (-z * sigma).exp(), (s * (z * sigma).exp()).min(1.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_curve() {
        // Times 1, 2, 2(c), 3, 5(c), 8 — at risk 6, 5, 3, 2(c at 5), 1.
        let t = [1.0, 2.0, 2.0, 3.0, 5.0, 8.0];
        let e = [true, true, false, true, false, true];
        let km = kaplan_meier(&t, &e, &KmOptions::default()).unwrap();
        let s: Vec<f64> = km.rows.iter().map(|r| r.survival).collect();
        let want = [5.0 / 6.0, 5.0 / 6.0 * 0.8, 5.0 / 6.0 * 0.8 * 2.0 / 3.0];
        for i in 0..3 {
            assert!((s[i] - want[i]).abs() < 1e-15);
        }
        assert_eq!(km.rows[1].at_risk, 5);
        assert_eq!(km.rows[1].censored, 1);
        assert_eq!(km.rows[2].at_risk, 3);
        assert_eq!(km.rows.last().unwrap().survival, 0.0);
        assert_eq!(km.rows.last().unwrap().std_err, None);
        // Greenwood at t = 2: S² (1/(6·5) + 1/(5·4)).
        let g = want[1] * (1.0 / 30.0 + 1.0 / 20.0f64).sqrt();
        assert!((km.rows[1].std_err.unwrap() - g).abs() < 1e-15);
        assert_eq!(km.median, Some(3.0));
        assert_eq!(km.survival_at(0.5), 1.0);
        assert_eq!(km.survival_at(2.5), want[1]);
    }
}
