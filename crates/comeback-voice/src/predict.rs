//! Which metric predicts defection here? Survey answers joined to later behaviour.
//!
//! "No single metric links loyalty to growth" (Keiningham, Aksoy, Cooil, Andreassen &
//! Williams 2008, *Managing Service Quality* 18:361): the business measures which of its own
//! metrics (NPS score, CSAT, CES, service dimensions, report-card scores, …) actually tells
//! staying customers from leaving ones, instead of trusting one metric on faith.
//!
//! # Outcome
//!
//! A response given on day d is joined to the customer's purchase occasions (one per local
//! day, [`TransactionLog`]). The customer is **retained** when at least one purchase occasion
//! falls in the follow-up window (d, d + w] (w = [`PredictOptions::window_days`], 365 by
//! default), and **defected** otherwise. The **spend** of the window is the exact net amount
//! of the occasions in it (0 for a defected customer). A response whose window ends after the
//! observation end is **censored**: its outcome is not known yet, and it is counted, not used.
//! Responses dated after the observation end are counted apart, and so are responses dated
//! before the customer's first purchase (a prospect's or sign-up survey): retention asks
//! whether a customer bought *again*, so an answer must follow at least one purchase (on
//! its day or earlier); these are counted as `before_first_purchase` and not used, for
//! P(alive) neither.
//!
//! # One observation per customer
//!
//! For each metric, each customer contributes one observation: their latest response with a
//! complete window and a value for that metric (on equal days, the later row). The AUC
//! variance of DeLong et al. (1988) assumes independent customers; counting a loyal
//! customer's five surveys five times would both overweight them and understate the
//! uncertainty. The latest answer is the one closest to the outcome.
//!
//! # Predictive power
//!
//! For each metric, the AUC is P(score of a retained customer > score of a defected one) +
//! ½ P(tie) — the Mann–Whitney form of the area under the ROC curve (Hanley & McNeil 1982,
//! *Radiology* 143:29: Â = U/(mn)) — with the variance of DeLong, DeLong & Clarke-Pearson
//! (1988, *Biometrics* 44:837: structural components V₁₀, V₀₁ and var = S₁₀/m + S₀₁/n),
//! computed from midranks as in Sun & Xu (2014, *IEEE Signal Processing Letters* 21:1389).
//! The interval is the logit-transformed Wald interval (Pepe 2003, *The Statistical
//! Evaluation of Medical Tests for Classification and Prediction*, ch. 5): built on the
//! logit scale and transformed back, so it stays inside [0, 1] and is asymmetric near the
//! ends. AUC > 0.5 means higher scores go with staying; AUC < 0.5 means higher scores go
//! with leaving (e.g. an effort score where 7 is "much effort"). Metrics are ranked by
//! their discrimination max(AUC, 1 − AUC).
//!
//! # NPS classes
//!
//! For the NPS metric (0–10, promoters 9–10, passives 7–8, detractors 0–6): each class's
//! retention with a Wilson interval and n, its mean spend in the window with a t interval
//! (its lower bound clipped at 0 when no spend is negative),
//! and the spend ratio of promoters to passives ("promoters spend +x %", the claim of
//! source 004 that emotionally engaged customers spend 46 % more) with a delta-method
//! interval on the log ratio.
//!
//! # P(alive)
//!
//! Optionally, each customer's P(alive) at the observation end (from a customer-base model,
//! computed by the caller) is a second outcome: per metric the Spearman correlation between
//! score and P(alive), and per NPS class the mean P(alive). P(alive) needs no follow-up
//! window, so these use each customer's latest response on or before the observation end,
//! censored or not — the only outcome available for a survey sent last month.

use crate::VoiceError;
use crate::nps::NpsClass;
use crate::stats::{MeanEstimate, ProportionEstimate, mean_interval, wilson, z_critical};
use comeback_core::{Amount, Day, TransactionLog};
use std::collections::HashMap;

/// Why the predictors could not be computed. Messages are lowercase and name the value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PredictError {
    /// A follow-up window of 0 days.
    #[error("the follow-up window must be at least 1 day, got {0}")]
    InvalidWindow(u32),
    /// A response with another number of values than there are metrics.
    #[error("response {row} has {got} metric values, expected {expected}")]
    WrongWidth {
        /// 0-based response index.
        row: usize,
        /// Values given.
        got: usize,
        /// Number of metrics.
        expected: usize,
    },
    /// A metric value that is NaN or infinite.
    #[error("response {row}: metric {metric:?} is {value}, not a finite number")]
    NotFinite {
        /// 0-based response index (or value index for [`auc`]).
        row: usize,
        /// The metric.
        metric: String,
        /// The value.
        value: f64,
    },
    /// An empty or repeated metric name.
    #[error("metric name {0:?} is empty or given twice")]
    BadMetricName(String),
    /// The NPS metric is not among the metrics.
    #[error("no metric named {name:?} (metrics: {})", metrics.join(", "))]
    UnknownMetric {
        /// The name asked for.
        name: String,
        /// The metrics there are.
        metrics: Vec<String>,
    },
    /// An NPS answer that is not a whole number from 0 to 10.
    #[error("response {row}: nps metric {metric:?} is {value}, not a whole number from 0 to 10")]
    NpsScore {
        /// 0-based response index.
        row: usize,
        /// The NPS metric.
        metric: String,
        /// The value.
        value: f64,
    },
    /// P(alive) not parallel to the log's customers.
    #[error("p(alive) has {got} values for {expected} customers in the transaction log")]
    PAliveLength {
        /// Values given.
        got: usize,
        /// Customers in the log.
        expected: usize,
    },
    /// P(alive) outside [0, 1].
    #[error("p(alive) of customer {customer:?} is {value}, outside 0–1")]
    PAliveRange {
        /// The customer.
        customer: String,
        /// The value.
        value: f64,
    },
    /// No observation end: an empty log and none given.
    #[error("no observation end: the transaction log is empty and none was given")]
    NoObservationEnd,
    /// Interval or sample-size errors of the shared statistics.
    #[error(transparent)]
    Stats(#[from] VoiceError),
}

/// Survey responses: metric names and one row per response.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Responses {
    /// Metric names (e.g. `score`, `csat`, `ces`, `reliability`), unique, non-empty.
    pub metrics: Vec<String>,
    /// The responses, in file order.
    pub rows: Vec<Response>,
}

/// One survey response.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// Customer id as in the transaction log (compared after trimming blanks).
    pub customer: String,
    /// Day the response was given.
    pub day: Day,
    /// One value per metric, parallel to [`Responses::metrics`]; `None` = not answered.
    pub values: Vec<Option<f64>>,
}

/// Options of [`predictors`].
#[derive(Debug, Clone, PartialEq)]
pub struct PredictOptions {
    /// Follow-up window w in days: retained = a purchase occasion in (d, d + w]. Default 365.
    pub window_days: u32,
    /// Last day with known behaviour; default: the log's observation end.
    pub observation_end: Option<Day>,
    /// Confidence level of every interval, in (0, 1). Default 0.95.
    pub confidence: f64,
    /// The metric holding the 0–10 NPS answer, if any.
    pub nps_metric: Option<String>,
}

impl Default for PredictOptions {
    fn default() -> Self {
        PredictOptions {
            window_days: 365,
            observation_end: None,
            confidence: 0.95,
            nps_metric: None,
        }
    }
}

/// An AUC with its DeLong standard error and logit-scale interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AucEstimate {
    /// Â = P(X > Y) + ½ P(X = Y), X a positive's score, Y a negative's; in [0, 1].
    pub auc: f64,
    /// DeLong standard error √(S₁₀/m + S₀₁/n).
    pub se: f64,
    /// Lower bound: expit(logit Â − z·se/(Â(1 − Â))); Â itself for perfect separation
    /// (Â ∈ {0, 1}, se = 0); `None` when se = 0 with 0 < Â < 1 (no variation in the scores:
    /// every retained and defected customer tied), where no interval exists.
    pub ci_low: Option<f64>,
    /// Upper bound: expit(logit Â + z·se/(Â(1 − Â))); as `ci_low`.
    pub ci_high: Option<f64>,
    /// Confidence level.
    pub confidence: f64,
    /// m: positives (retained customers).
    pub n_positive: u64,
    /// n: negatives (defected customers).
    pub n_negative: u64,
}

/// Midranks (1-based; tied values share the mean of their ranks) of `v`.
fn midranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && v[order[j]] == v[order[i]] {
            j += 1;
        }
        // Positions i..j (0-based) hold ranks i+1..=j; their mean is (i + 1 + j) / 2.
        let r = (i + 1 + j) as f64 / 2.0;
        for &k in &order[i..j] {
            ranks[k] = r;
        }
        i = j;
    }
    ranks
}

/// DeLong structural components: V₁₀(Xᵢ) = (1/n) Σⱼ ψ(Xᵢ, Yⱼ) per positive and
/// V₀₁(Yⱼ) = (1/m) Σᵢ ψ(Xᵢ, Yⱼ) per negative, ψ(x, y) = 1 if x > y, ½ if equal, 0 else
/// (DeLong et al. 1988), from midranks: V₁₀ᵢ = (Rᵢ − R⁽ˣ⁾ᵢ)/n and
/// V₀₁ⱼ = 1 − (Rⱼ − R⁽ʸ⁾ⱼ)/m (the mid-rank identity of Sun & Xu 2014).
fn placements(pos: &[f64], neg: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (m, n) = (pos.len(), neg.len());
    let all: Vec<f64> = pos.iter().chain(neg).copied().collect();
    let rz = midranks(&all);
    let rx = midranks(pos);
    let ry = midranks(neg);
    let v10 = (0..m).map(|i| (rz[i] - rx[i]) / n as f64).collect();
    let v01 = (0..n)
        .map(|j| 1.0 - (rz[m + j] - ry[j]) / m as f64)
        .collect();
    (v10, v01)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Sample covariance (n − 1 denominator) of two parallel vectors.
fn covariance(a: &[f64], b: &[f64]) -> f64 {
    let (ma, mb) = (mean(a), mean(b));
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / (a.len() - 1) as f64
}

fn check_finite(v: &[f64], what: &str, offset: usize) -> Result<(), PredictError> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(PredictError::NotFinite {
            row: offset + i,
            metric: what.to_string(),
            value: v[i],
        }),
        None => Ok(()),
    }
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The AUC of scores of positives (`pos`, e.g. retained customers) against negatives
/// (`neg`, defected), with the DeLong et al. (1988) variance and a logit-scale interval.
///
/// Â = (1/(mn)) Σᵢ Σⱼ ψ(Xᵢ, Yⱼ) (Hanley & McNeil 1982: the Mann–Whitney U / mn);
/// var(Â) = S₁₀/m + S₀₁/n with S₁₀, S₀₁ the sample variances (m − 1 and n − 1 denominators)
/// of the structural components (DeLong et al. 1988), in O((m + n) log(m + n)) via
/// midranks (Sun & Xu 2014). Interval: logit Â ± z·se/(Â(1 − Â)), transformed back (Pepe
/// 2003, ch. 5); with perfect separation (Â ∈ {0, 1}, se = 0) it collapses to Â; with
/// se = 0 and 0 < Â < 1 (all scores equal) there is none (`None`).
///
/// # Errors
/// [`VoiceError::InsufficientData`] with fewer than 2 positives or 2 negatives (the
/// variance needs both), [`PredictError::NotFinite`] for a NaN or infinite score (`row` is
/// its index in `pos`, then `neg`), [`VoiceError::InvalidConfidence`] outside (0, 1).
///
/// ```
/// use comeback_voice::predict::auc;
/// // 2 of the 4 (positive, negative) pairs are ordered correctly, 1 is tied: (2 + ½)/4.
/// let a = auc(&[3.0, 1.0], &[1.0, 2.0], 0.95).unwrap();
/// assert_eq!(a.auc, 0.625);
/// ```
pub fn auc(pos: &[f64], neg: &[f64], confidence: f64) -> Result<AucEstimate, PredictError> {
    let z = z_critical(confidence)?;
    check_finite(pos, "positive score", 0)?;
    check_finite(neg, "negative score", pos.len())?;
    for (what, k) in [("auc positives", pos.len()), ("auc negatives", neg.len())] {
        if k < 2 {
            return Err(VoiceError::InsufficientData {
                what,
                needed: 2,
                got: k as u64,
            }
            .into());
        }
    }
    let (v10, v01) = placements(pos, neg);
    let a = mean(&v10);
    let var = covariance(&v10, &v10) / pos.len() as f64 + covariance(&v01, &v01) / neg.len() as f64;
    let se = var.max(0.0).sqrt();
    let (ci_low, ci_high) = if a <= 0.0 || a >= 1.0 {
        (Some(a), Some(a))
    } else if se > 0.0 {
        let l = (a / (1.0 - a)).ln();
        let h = z * se / (a * (1.0 - a));
        (Some(logistic(l - h)), Some(logistic(l + h)))
    } else {
        (None, None)
    };
    Ok(AucEstimate {
        auc: a,
        se,
        ci_low,
        ci_high,
        confidence,
        n_positive: pos.len() as u64,
        n_negative: neg.len() as u64,
    })
}

/// The difference of two correlated AUCs measured on the same customers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AucDifference {
    /// Customers with both scores.
    pub n: u64,
    /// Â₁ − Â₂ on those customers.
    pub difference: f64,
    /// DeLong standard error of the difference.
    pub se: f64,
    /// Lower Wald bound (difference − z·se).
    pub ci_low: f64,
    /// Upper Wald bound.
    pub ci_high: f64,
    /// Two-sided p-value of H₀: equal AUCs.
    pub p_value: f64,
    /// Confidence level.
    pub confidence: f64,
}

/// Two scores of the same customers compared by AUC: `a[k]`, `b[k]` are customer k's two
/// scores and `retained[k]` their outcome.
///
/// var(Â₁ − Â₂) = (S₁₀¹¹ + S₁₀²² − 2S₁₀¹²)/m + (S₀₁¹¹ + S₀₁²² − 2S₀₁¹²)/n, with S the sample
/// (co)variances of the two scores' structural components (DeLong et al. 1988, the test of correlated areas); Wald
/// interval and z test.
///
/// # Errors
/// [`VoiceError::LengthMismatch`] when the slices differ in length, and those of [`auc`].
pub fn compare_aucs(
    a: &[f64],
    b: &[f64],
    retained: &[bool],
    confidence: f64,
) -> Result<AucDifference, PredictError> {
    if a.len() != b.len() || a.len() != retained.len() {
        return Err(VoiceError::LengthMismatch {
            left: a.len(),
            right: if a.len() != b.len() {
                b.len()
            } else {
                retained.len()
            },
        }
        .into());
    }
    let split = |v: &[f64]| -> (Vec<f64>, Vec<f64>) {
        let pos = v.iter().zip(retained).filter(|(_, r)| **r).map(|(x, _)| *x);
        let neg = v
            .iter()
            .zip(retained)
            .filter(|(_, r)| !**r)
            .map(|(x, _)| *x);
        (pos.collect(), neg.collect())
    };
    let (pa, na) = split(a);
    let (pb, nb) = split(b);
    let ea = auc(&pa, &na, confidence)?;
    let eb = auc(&pb, &nb, confidence)?;
    let (v10a, v01a) = placements(&pa, &na);
    let (v10b, v01b) = placements(&pb, &nb);
    let (m, n) = (pa.len() as f64, na.len() as f64);
    let var = (covariance(&v10a, &v10a) + covariance(&v10b, &v10b)
        - 2.0 * covariance(&v10a, &v10b))
        / m
        + (covariance(&v01a, &v01a) + covariance(&v01b, &v01b) - 2.0 * covariance(&v01a, &v01b))
            / n;
    let se = var.max(0.0).sqrt();
    let d = ea.auc - eb.auc;
    let z = z_critical(confidence)?;
    let p_value = if se > 0.0 {
        2.0 * (1.0 - crate::stats::normal_cdf((d / se).abs()))
    } else if d == 0.0 {
        1.0
    } else {
        0.0
    };
    Ok(AucDifference {
        n: a.len() as u64,
        difference: d,
        se,
        ci_low: d - z * se,
        ci_high: d + z * se,
        p_value,
        confidence,
    })
}

/// A Spearman rank correlation with its Fisher-z interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpearmanEstimate {
    /// Pairs.
    pub n: u64,
    /// ρ: the Pearson correlation of the midranks, in [−1, 1].
    pub rho: f64,
    /// Lower bound tanh(atanh ρ − z·√(1.06/(n − 3))).
    pub ci_low: f64,
    /// Upper bound.
    pub ci_high: f64,
    /// Confidence level.
    pub confidence: f64,
}

/// Spearman's ρ of paired values (midranks for ties) with the interval of Fieller, Hartley &
/// Pearson (1957, *Biometrika* 44:470): atanh ρ has standard error √(1.06/(n − 3)).
///
/// # Errors
/// [`VoiceError::LengthMismatch`]; [`VoiceError::InsufficientData`] below 4 pairs;
/// [`VoiceError::InvalidArgument`] when either variable is constant (ρ undefined);
/// [`PredictError::NotFinite`] for NaN or infinite values.
pub fn spearman(x: &[f64], y: &[f64], confidence: f64) -> Result<SpearmanEstimate, PredictError> {
    let z = z_critical(confidence)?;
    if x.len() != y.len() {
        return Err(VoiceError::LengthMismatch {
            left: x.len(),
            right: y.len(),
        }
        .into());
    }
    check_finite(x, "x", 0)?;
    check_finite(y, "y", 0)?;
    if x.len() < 4 {
        return Err(VoiceError::InsufficientData {
            what: "spearman interval",
            needed: 4,
            got: x.len() as u64,
        }
        .into());
    }
    let (rx, ry) = (midranks(x), midranks(y));
    let (vx, vy) = (covariance(&rx, &rx), covariance(&ry, &ry));
    if vx <= 0.0 || vy <= 0.0 {
        return Err(VoiceError::InvalidArgument(format!(
            "spearman correlation undefined: {} is constant",
            if vx <= 0.0 { "x" } else { "y" }
        ))
        .into());
    }
    let rho = (covariance(&rx, &ry) / (vx * vy).sqrt()).clamp(-1.0, 1.0);
    let h = z * (1.06 / (x.len() as f64 - 3.0)).sqrt();
    let f = rho.atanh();
    Ok(SpearmanEstimate {
        n: x.len() as u64,
        rho,
        ci_low: (f - h).tanh(),
        ci_high: (f + h).tanh(),
        confidence,
    })
}

/// How well a metric separates staying from leaving customers, by its discrimination
/// d = max(AUC, 1 − AUC) on the rule of thumb of Hosmer & Lemeshow (2000, *Applied Logistic
/// Regression*, 2nd ed., p. 162).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Strength {
    /// d < 0.7: "poor".
    Weak,
    /// 0.7 ≤ d < 0.8.
    Acceptable,
    /// 0.8 ≤ d < 0.9.
    Excellent,
    /// d ≥ 0.9.
    Outstanding,
}

impl Strength {
    /// The strength of discrimination d.
    pub fn of(d: f64) -> Strength {
        if d >= 0.9 {
            Strength::Outstanding
        } else if d >= 0.8 {
            Strength::Excellent
        } else if d >= 0.7 {
            Strength::Acceptable
        } else {
            Strength::Weak
        }
    }

    /// `weak`, `acceptable`, `excellent` or `outstanding`.
    pub fn as_str(self) -> &'static str {
        match self {
            Strength::Weak => "weak",
            Strength::Acceptable => "acceptable",
            Strength::Excellent => "excellent",
            Strength::Outstanding => "outstanding",
        }
    }
}

/// What the AUC interval says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The whole interval lies above 0.5: higher scores go with staying.
    Predicts(Strength),
    /// The whole interval lies below 0.5: higher scores go with leaving.
    Reversed(Strength),
    /// The interval covers 0.5: no better than a coin toss on this data.
    CoinToss,
    /// Fewer than 2 retained or 2 defected customers: no AUC.
    TooFewCustomers,
}

impl Verdict {
    /// The verdict of an AUC estimate (`None`: too few customers).
    pub fn of(a: Option<&AucEstimate>) -> Verdict {
        match a {
            None => Verdict::TooFewCustomers,
            Some(a) if a.ci_low.is_some_and(|l| l > 0.5) => Verdict::Predicts(Strength::of(a.auc)),
            Some(a) if a.ci_high.is_some_and(|h| h < 0.5) => {
                Verdict::Reversed(Strength::of(1.0 - a.auc))
            }
            Some(_) => Verdict::CoinToss,
        }
    }

    /// `predicts`, `reversed`, `coin_toss` or `too_few_customers`.
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Predicts(_) => "predicts",
            Verdict::Reversed(_) => "reversed",
            Verdict::CoinToss => "coin_toss",
            Verdict::TooFewCustomers => "too_few_customers",
        }
    }
}

/// One metric's predictive power.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPower {
    /// Metric name.
    pub metric: String,
    /// Customers with an outcome and a value for this metric.
    pub n: u64,
    /// Of them, retained (a purchase in the window).
    pub retained: u64,
    /// Of them, defected (no purchase in the window).
    pub defected: u64,
    /// AUC of the metric for "retained"; `None` with fewer than 2 retained or 2 defected.
    pub auc: Option<AucEstimate>,
    /// What the interval says.
    pub verdict: Verdict,
    /// Spearman ρ of the metric with P(alive) (when P(alive) was given and ρ is defined).
    pub p_alive: Option<SpearmanEstimate>,
}

impl MetricPower {
    /// Discrimination max(AUC, 1 − AUC); −1 without an AUC (ranks last).
    pub fn discrimination(&self) -> f64 {
        self.auc.map_or(-1.0, |a| a.auc.max(1.0 - a.auc))
    }
}

/// Retention, spend and P(alive) of one NPS class.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassOutcome {
    /// The class.
    pub class: NpsClass,
    /// Share retained with its Wilson interval (`None` when n = 0); `n` is the class size.
    pub retention: Option<ProportionEstimate>,
    /// Mean spend in the window (currency units, 0 for defected customers) with a t
    /// interval; `None` below 2 customers. The lower bound is clipped at 0 when no spend is
    /// negative (no net refunds): the t interval is symmetric, the mean cannot be below 0.
    pub spend: Option<MeanEstimate>,
    /// Mean P(alive) at the observation end with a t interval (latest responses, censored
    /// included; `None` without P(alive) or below 2 customers).
    pub p_alive: Option<MeanEstimate>,
    /// Customers in the class with a known outcome.
    pub n: u64,
}

/// Mean spend of one group over another's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpendRatio {
    /// r = mean₁ / mean₂; "+x %" is x = 100 (r − 1).
    pub ratio: f64,
    /// Lower bound exp(ln r − z·√(se₁²/mean₁² + se₂²/mean₂²)) (delta method: Casella &
    /// Berger 2002, *Statistical Inference*, Theorem 5.5.24, applied to ln mean₁ − ln mean₂
    /// of independent groups).
    pub ci_low: f64,
    /// Upper bound.
    pub ci_high: f64,
    /// Confidence level.
    pub confidence: f64,
}

/// The ratio of two mean spends with its delta-method interval; `None` when either mean is
/// not positive.
///
/// # Errors
/// [`VoiceError::InvalidConfidence`] outside (0, 1).
pub fn spend_ratio(
    a: &MeanEstimate,
    b: &MeanEstimate,
    confidence: f64,
) -> Result<Option<SpendRatio>, PredictError> {
    let z = z_critical(confidence)?;
    if !(a.mean > 0.0 && b.mean > 0.0) {
        return Ok(None);
    }
    let r = a.mean / b.mean;
    let sd = ((a.se / a.mean).powi(2) + (b.se / b.mean).powi(2)).sqrt();
    Ok(Some(SpendRatio {
        ratio: r,
        ci_low: (r.ln() - z * sd).exp(),
        ci_high: (r.ln() + z * sd).exp(),
        confidence,
    }))
}

/// The NPS-class outcomes.
#[derive(Debug, Clone, PartialEq)]
pub struct NpsOutcomes {
    /// The NPS metric.
    pub metric: String,
    /// Promoters, passives, detractors (in that order).
    pub classes: [ClassOutcome; 3],
    /// Spend of promoters over passives (source 004: +46 %).
    pub promoters_vs_passives: Option<SpendRatio>,
    /// Spend of detractors over passives.
    pub detractors_vs_passives: Option<SpendRatio>,
}

/// How the responses were used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResponseCounts {
    /// Responses given.
    pub responses: u64,
    /// Responses of customers with no purchase in the log (not used).
    pub unknown_customer_responses: u64,
    /// Distinct such customers.
    pub unknown_customers: u64,
    /// Responses dated after the observation end (not used).
    pub after_end: u64,
    /// Responses dated before the customer's first purchase (not used: a later purchase
    /// would be a first one, not a return).
    pub before_first_purchase: u64,
    /// Responses whose follow-up window ends after the observation end (outcome unknown).
    pub censored: u64,
    /// Responses with a complete window.
    pub with_outcome: u64,
    /// Distinct customers with a complete window.
    pub customers_with_outcome: u64,
    /// Of them, retained (by their latest response with a complete window).
    pub customers_retained: u64,
}

/// The best-ranked metric against the runner-up, on each customer's latest answer (with a
/// complete window) that holds both.
#[derive(Debug, Clone, PartialEq)]
pub struct BestVsRunnerUp {
    /// The best-ranked metric.
    pub best: String,
    /// The runner-up.
    pub runner_up: String,
    /// Discrimination of the best minus that of the runner-up (each metric oriented so
    /// that its AUC ≥ 0.5), on customers with both.
    pub difference: AucDifference,
}

/// The whole answer to "which metric predicts defection here?".
#[derive(Debug, Clone, PartialEq)]
pub struct PredictorReport {
    /// The follow-up window in days.
    pub window_days: u32,
    /// The observation end used.
    pub observation_end: Day,
    /// Confidence level of every interval.
    pub confidence: f64,
    /// How the responses were used.
    pub counts: ResponseCounts,
    /// One entry per metric, ranked by discrimination max(AUC, 1 − AUC), best first
    /// (metrics without an AUC last, then by name).
    pub metrics: Vec<MetricPower>,
    /// The best metric against the runner-up (when both have an AUC and at least 2 retained
    /// and 2 defected customers answered both).
    pub best_vs_runner_up: Option<BestVsRunnerUp>,
    /// NPS-class outcomes, when an NPS metric was named.
    pub nps: Option<NpsOutcomes>,
}

/// A response joined to its customer.
struct Joined {
    row: usize,
    customer: usize,
    day: Day,
    /// (retained, spend) in the window; `None` when the window is censored.
    outcome: Option<(bool, f64)>,
}

/// Retained and spend in (day, day + window] for customer `c` of the log.
fn outcome(log: &TransactionLog, c: usize, day: Day, window: u32) -> (bool, f64) {
    let days = &log.customers()[c].days;
    let end = Day(day.0.saturating_add(window as i32));
    let from = days.partition_point(|d| d.day <= day);
    let to = days.partition_point(|d| d.day <= end);
    let slice = &days[from..to];
    let retained = slice.iter().any(|d| d.has_purchase);
    let micros = slice
        .iter()
        .fold(0i64, |s, d| s.saturating_add(d.amount.micros()));
    (retained, Amount::from_micros(micros).to_f64())
}

/// Keeps each customer's latest joined response among `rows` (input in file order; later
/// rows win on equal days).
fn latest_per_customer<'a>(rows: impl Iterator<Item = &'a Joined>) -> Vec<&'a Joined> {
    let mut best: HashMap<usize, &Joined> = HashMap::new();
    for j in rows {
        match best.get(&j.customer) {
            Some(b) if b.day > j.day => {}
            _ => {
                best.insert(j.customer, j);
            }
        }
    }
    let mut v: Vec<&Joined> = best.into_values().collect();
    v.sort_by_key(|j| j.customer);
    v
}

fn validate(
    responses: &Responses,
    log: &TransactionLog,
    opts: &PredictOptions,
    p_alive: Option<&[f64]>,
) -> Result<(Day, Option<usize>), PredictError> {
    if opts.window_days == 0 {
        return Err(PredictError::InvalidWindow(0));
    }
    z_critical(opts.confidence)?;
    let end = opts
        .observation_end
        .or(log.observation_end())
        .ok_or(PredictError::NoObservationEnd)?;
    for (i, m) in responses.metrics.iter().enumerate() {
        if m.trim().is_empty() || responses.metrics[..i].contains(m) {
            return Err(PredictError::BadMetricName(m.clone()));
        }
    }
    let k = responses.metrics.len();
    for (row, r) in responses.rows.iter().enumerate() {
        if r.values.len() != k {
            return Err(PredictError::WrongWidth {
                row,
                got: r.values.len(),
                expected: k,
            });
        }
        for (m, v) in responses.metrics.iter().zip(&r.values) {
            if let Some(v) = v
                && !v.is_finite()
            {
                return Err(PredictError::NotFinite {
                    row,
                    metric: m.clone(),
                    value: *v,
                });
            }
        }
    }
    let nps = match &opts.nps_metric {
        None => None,
        Some(name) => {
            let i = responses
                .metrics
                .iter()
                .position(|m| m == name)
                .ok_or_else(|| PredictError::UnknownMetric {
                    name: name.clone(),
                    metrics: responses.metrics.clone(),
                })?;
            for (row, r) in responses.rows.iter().enumerate() {
                if let Some(v) = r.values[i]
                    && nps_class(v).is_none()
                {
                    return Err(PredictError::NpsScore {
                        row,
                        metric: name.clone(),
                        value: v,
                    });
                }
            }
            Some(i)
        }
    };
    if let Some(p) = p_alive {
        if p.len() != log.len() {
            return Err(PredictError::PAliveLength {
                got: p.len(),
                expected: log.len(),
            });
        }
        if let Some(i) = p.iter().position(|v| !(0.0..=1.0).contains(v)) {
            return Err(PredictError::PAliveRange {
                customer: log.ids()[i].to_string(),
                value: p[i],
            });
        }
    }
    Ok((end, nps))
}

/// The NPS class of a 0–10 whole-number value.
fn nps_class(v: f64) -> Option<NpsClass> {
    if v.fract() == 0.0 && (0.0..=10.0).contains(&v) {
        NpsClass::from_score(v as u8)
    } else {
        None
    }
}

/// Joins `responses` to the purchase occasions of `log` and measures, per metric, how well
/// it predicts retention in the following window (module docs: outcome, one observation per
/// customer, AUC with DeLong interval, NPS classes, P(alive)).
///
/// `p_alive`, when given, holds each log customer's P(alive) at the observation end,
/// parallel to [`TransactionLog::ids`].
///
/// # Errors
/// [`PredictError`] for a zero window, a confidence outside (0, 1), an empty log without an
/// observation end, a response whose width differs from the metrics or with a non-finite
/// value, an unknown NPS metric or an NPS value that is not 0–10, and a P(alive) of the
/// wrong length or outside [0, 1]. Too few customers for an AUC or interval is not an error:
/// the entry says so (`None`, [`Verdict::TooFewCustomers`]).
pub fn predictors(
    responses: &Responses,
    log: &TransactionLog,
    opts: &PredictOptions,
    p_alive: Option<&[f64]>,
) -> Result<PredictorReport, PredictError> {
    let (end, nps_index) = validate(responses, log, opts, p_alive)?;
    let conf = opts.confidence;
    let window = opts.window_days;
    let mut counts = ResponseCounts {
        responses: responses.rows.len() as u64,
        ..ResponseCounts::default()
    };
    let ids = log.ids();
    let mut unknown: std::collections::HashSet<&str> = std::collections::HashSet::new();
    // Responses of known customers up to the observation end; and of them, those whose
    // window is complete.
    let mut known: Vec<Joined> = Vec::new();
    for (row, r) in responses.rows.iter().enumerate() {
        let id = r.customer.trim();
        let Ok(customer) = ids.binary_search_by(|x| x.as_ref().cmp(id)) else {
            counts.unknown_customer_responses += 1;
            unknown.insert(id);
            continue;
        };
        if r.day > end {
            counts.after_end += 1;
            continue;
        }
        // "Did they buy again?" needs a purchase on or before the answer's day.
        let days = &log.customers()[customer].days;
        if !days.iter().any(|d| d.has_purchase && d.day <= r.day) {
            counts.before_first_purchase += 1;
            continue;
        }
        let done = r.day.0 as i64 + window as i64 <= end.0 as i64;
        if done {
            counts.with_outcome += 1;
        } else {
            counts.censored += 1;
        }
        known.push(Joined {
            row,
            customer,
            day: r.day,
            outcome: done.then(|| outcome(log, customer, r.day, window)),
        });
    }
    counts.unknown_customers = unknown.len() as u64;
    let with_outcome = || known.iter().filter(|j| j.outcome.is_some());
    let retained = |j: &Joined| j.outcome.is_some_and(|o| o.0);
    let latest_all = latest_per_customer(with_outcome());
    counts.customers_with_outcome = latest_all.len() as u64;
    counts.customers_retained = latest_all.iter().filter(|j| retained(j)).count() as u64;

    // Per metric: one observation per customer.
    let value = |j: &Joined, m: usize| responses.rows[j.row].values[m];
    let mut metrics = Vec::new();
    for (m, name) in responses.metrics.iter().enumerate() {
        let obs = latest_per_customer(with_outcome().filter(|j| value(j, m).is_some()));
        let (mut pos, mut neg) = (Vec::new(), Vec::new());
        for j in &obs {
            let v = value(j, m).unwrap_or_default();
            if retained(j) {
                pos.push(v);
            } else {
                neg.push(v);
            }
        }
        let auc = if pos.len() >= 2 && neg.len() >= 2 {
            Some(auc(&pos, &neg, conf)?)
        } else {
            None
        };
        let p_alive = match p_alive {
            None => None,
            Some(p) => {
                let latest = latest_per_customer(known.iter().filter(|j| value(j, m).is_some()));
                let x: Vec<f64> = latest
                    .iter()
                    .map(|j| value(j, m).unwrap_or_default())
                    .collect();
                let y: Vec<f64> = latest.iter().map(|j| p[j.customer]).collect();
                spearman(&x, &y, conf).ok()
            }
        };
        metrics.push(MetricPower {
            metric: name.clone(),
            n: obs.len() as u64,
            retained: pos.len() as u64,
            defected: neg.len() as u64,
            verdict: Verdict::of(auc.as_ref()),
            auc,
            p_alive,
        });
    }
    let mut order: Vec<usize> = (0..metrics.len()).collect();
    order.sort_by(|&a, &b| {
        metrics[b]
            .discrimination()
            .total_cmp(&metrics[a].discrimination())
            .then_with(|| metrics[a].metric.cmp(&metrics[b].metric))
    });

    let best_vs_runner_up = match order.as_slice() {
        [a, b, ..] if metrics[*a].auc.is_some() && metrics[*b].auc.is_some() => {
            // Orient each metric so that its AUC is at least 0.5 (AUC(−x) = 1 − AUC(x)).
            let sign = |i: usize| {
                if metrics[i].auc.is_some_and(|e| e.auc < 0.5) {
                    -1.0
                } else {
                    1.0
                }
            };
            let (sa, sb) = (sign(*a), sign(*b));
            // Each customer's latest answer with both metrics: one outcome for the pair.
            let both = latest_per_customer(
                with_outcome().filter(|j| value(j, *a).is_some() && value(j, *b).is_some()),
            );
            let xa: Vec<f64> = both
                .iter()
                .map(|j| sa * value(j, *a).unwrap_or_default())
                .collect();
            let xb: Vec<f64> = both
                .iter()
                .map(|j| sb * value(j, *b).unwrap_or_default())
                .collect();
            let r: Vec<bool> = both.iter().map(|j| retained(j)).collect();
            compare_aucs(&xa, &xb, &r, conf)
                .ok()
                .map(|difference| BestVsRunnerUp {
                    best: metrics[*a].metric.clone(),
                    runner_up: metrics[*b].metric.clone(),
                    difference,
                })
        }
        _ => None,
    };

    let nps = match nps_index {
        None => None,
        Some(m) => {
            let obs = latest_per_customer(with_outcome().filter(|j| value(j, m).is_some()));
            let latest = latest_per_customer(known.iter().filter(|j| value(j, m).is_some()));
            let class_outcome = |class: NpsClass| -> Result<ClassOutcome, PredictError> {
                let of_class = |j: &&&Joined| nps_class(value(j, m).unwrap_or(-1.0)) == Some(class);
                let members: Vec<(bool, f64)> = obs
                    .iter()
                    .filter(of_class)
                    .filter_map(|j| j.outcome)
                    .collect();
                let n = members.len() as u64;
                let kept = members.iter().filter(|o| o.0).count() as u64;
                let spend: Vec<f64> = members.iter().map(|o| o.1).collect();
                let retention = if n > 0 {
                    Some(wilson(kept, n, conf)?)
                } else {
                    None
                };
                let spend = if n >= 2 {
                    let mut m = mean_interval(&spend, conf)?;
                    // A mean of amounts none of which is negative cannot be below 0.
                    if spend.iter().all(|&x| x >= 0.0) {
                        m.ci_low = m.ci_low.max(0.0);
                    }
                    Some(m)
                } else {
                    None
                };
                let p_alive = match p_alive {
                    Some(p) => {
                        let v: Vec<f64> = latest
                            .iter()
                            .filter(of_class)
                            .map(|j| p[j.customer])
                            .collect();
                        if v.len() >= 2 {
                            Some(mean_interval(&v, conf)?)
                        } else {
                            None
                        }
                    }
                    None => None,
                };
                Ok(ClassOutcome {
                    class,
                    retention,
                    spend,
                    p_alive,
                    n,
                })
            };
            let classes = [
                class_outcome(NpsClass::Promoter)?,
                class_outcome(NpsClass::Passive)?,
                class_outcome(NpsClass::Detractor)?,
            ];
            let ratio = |a: &ClassOutcome, b: &ClassOutcome| match (&a.spend, &b.spend) {
                (Some(x), Some(y)) => spend_ratio(x, y, conf),
                _ => Ok(None),
            };
            Some(NpsOutcomes {
                metric: responses.metrics[m].clone(),
                promoters_vs_passives: ratio(&classes[0], &classes[1])?,
                detractors_vs_passives: ratio(&classes[2], &classes[1])?,
                classes,
            })
        }
    };
    let mut ranked = Vec::with_capacity(metrics.len());
    let mut slots: Vec<Option<MetricPower>> = metrics.into_iter().map(Some).collect();
    for i in order {
        if let Some(mp) = slots[i].take() {
            ranked.push(mp);
        }
    }
    Ok(PredictorReport {
        window_days: window,
        observation_end: end,
        confidence: conf,
        counts,
        metrics: ranked,
        best_vs_runner_up,
        nps,
    })
}
