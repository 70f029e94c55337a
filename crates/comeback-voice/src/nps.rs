//! Net Promoter Score with intervals, comparisons, benchmark tests and monthly trends.
//!
//! NPS (Reichheld 2003, "The One Number You Need to Grow", Harvard Business Review 81(12)):
//! answers 0–10 to "how likely are you to recommend …"; 9–10 are promoters, 7–8 passives,
//! 0–6 detractors, and NPS = % promoters − % detractors, in points from −100 to 100.
//!
//! Intervals follow Rocks (2016), "Interval Estimation for the 'Net Promoter Score'", The
//! American Statistician 70(4):365–372 (arXiv:1601.07235): the NPS is the difference of two
//! shares of one trinomial sample, so with shares p (promoters) and d (detractors) of n
//! answers its variance is
//!
//! Var(p̂ − d̂) = [p + d − (p − d)²] / n.
//!
//! * **Wald** ([`IntervalMethod::Wald`]): the observed p̂ = P/n, d̂ = D/n and n.
//! * **Adjusted Wald** ([`IntervalMethod::AdjustedWald`], the default for every n): add
//!   ¾ promoter, ¾ detractor and 1½ passive pseudo-answers, i.e. n′ = n + 3,
//!   p′ = (P + ¾)/n′, d′ = (D + ¾)/n′, and centre the interval on NPS′ = p′ − d′ with the
//!   variance above evaluated at p′, d′, n′. Rocks found it keeps its nominal coverage far
//!   better than Wald at small n and at extreme scores (Wald has zero width when everyone
//!   is a promoter).
//!
//! The interval is NPS ± z·se, multiplied by 100 and clipped to \[−100, 100\].
//!
//! **Why the interval can exclude the observed NPS.** The pseudo-answers pull the centre
//! NPS′ toward 0; the pull is 3/(n + 3) of the way, which is large for a handful of answers
//! and negligible for hundreds. One promoter out of one answer has observed NPS 100 but
//! NPS′ = (1.75 − 0.75)/4 = 25 and the 95 % interval \[−48.50, 98.50\]: a single happy
//! customer is weak evidence that *every* customer is a promoter, and the interval says so.
//! Reports show `nps` (observed) beside the interval and `nps_adjusted` (its centre).

use crate::VoiceError;
pub use crate::period::YearMonth;
use crate::stats::{Difference, check_confidence, normal_sf, two_sided_normal_p, z_critical};

/// The NPS class of a 0–10 answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NpsClass {
    /// Answers 0–6.
    Detractor,
    /// Answers 7–8.
    Passive,
    /// Answers 9–10.
    Promoter,
}

impl NpsClass {
    /// The class of a 0–10 score (0–6 detractor, 7–8 passive, 9–10 promoter); `None` above
    /// 10.
    pub fn from_score(score: u8) -> Option<NpsClass> {
        match score {
            0..=6 => Some(NpsClass::Detractor),
            7..=8 => Some(NpsClass::Passive),
            9..=10 => Some(NpsClass::Promoter),
            _ => None,
        }
    }

    /// `"detractor"`, `"passive"` or `"promoter"`.
    pub fn as_str(self) -> &'static str {
        match self {
            NpsClass::Detractor => "detractor",
            NpsClass::Passive => "passive",
            NpsClass::Promoter => "promoter",
        }
    }
}

/// Counts of promoters, passives and detractors among the answers (non-responses are not
/// counted here).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NpsCounts {
    /// Answers 9–10.
    pub promoters: u64,
    /// Answers 7–8.
    pub passives: u64,
    /// Answers 0–6.
    pub detractors: u64,
}

impl NpsCounts {
    /// Counts one 0–10 score and returns its class.
    ///
    /// # Errors
    /// [`VoiceError::ScoreOutOfRange`] for a score above 10 (nothing is counted).
    pub fn add_score(&mut self, score: u8) -> Result<NpsClass, VoiceError> {
        let class = NpsClass::from_score(score).ok_or(VoiceError::ScoreOutOfRange {
            score: f64::from(score),
            min: 0.0,
            max: 10.0,
        })?;
        self.add(class);
        Ok(class)
    }

    /// Counts one answer of a known class.
    pub fn add(&mut self, class: NpsClass) {
        match class {
            NpsClass::Detractor => self.detractors = self.detractors.saturating_add(1),
            NpsClass::Passive => self.passives = self.passives.saturating_add(1),
            NpsClass::Promoter => self.promoters = self.promoters.saturating_add(1),
        }
    }

    /// The number of answers n = promoters + passives + detractors (saturating at
    /// `u64::MAX`, like the counters themselves, instead of overflowing).
    pub fn n(&self) -> u64 {
        self.promoters
            .saturating_add(self.passives)
            .saturating_add(self.detractors)
    }

    /// The observed NPS 100·(P − D)/n in points, `None` when n = 0 (there is no score, and
    /// 0 would be a claim).
    pub fn nps(&self) -> Option<f64> {
        let n = self.n();
        (n > 0).then(|| 100.0 * (self.promoters as f64 - self.detractors as f64) / n as f64)
    }

    /// Adds another set of counts (e.g. two locations into one region).
    pub fn merge(&mut self, other: &NpsCounts) {
        self.promoters = self.promoters.saturating_add(other.promoters);
        self.passives = self.passives.saturating_add(other.passives);
        self.detractors = self.detractors.saturating_add(other.detractors);
    }
}

/// The response rate `responses / invited` as a share in \[0, 1\], shown beside every score
/// when the number of invitations is known.
///
/// # Errors
/// [`VoiceError::InvalidArgument`] when `invited` is 0 or smaller than `responses` (more
/// answers than invitations means the invitation count is wrong).
pub fn response_rate(responses: u64, invited: u64) -> Result<f64, VoiceError> {
    if invited == 0 || responses > invited {
        return Err(VoiceError::InvalidArgument(format!(
            "{responses} responses from {invited} invitations"
        )));
    }
    Ok(responses as f64 / invited as f64)
}

/// How the NPS interval is computed (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntervalMethod {
    /// Rocks (2016) adjusted Wald: ¾ promoter, ¾ detractor and 1½ passive pseudo-answers.
    #[default]
    AdjustedWald,
    /// Plain Wald on the observed shares (zero width when all answers are in one class).
    Wald,
}

impl IntervalMethod {
    /// `"adjusted-wald"` or `"wald"`.
    pub fn as_str(self) -> &'static str {
        match self {
            IntervalMethod::AdjustedWald => "adjusted-wald",
            IntervalMethod::Wald => "wald",
        }
    }

    /// Parses `"adjusted-wald"` or `"wald"` (ASCII case-insensitive, surrounding whitespace
    /// ignored); `None` otherwise.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("adjusted-wald") {
            Some(IntervalMethod::AdjustedWald)
        } else if s.eq_ignore_ascii_case("wald") {
            Some(IntervalMethod::Wald)
        } else {
            None
        }
    }
}

/// An NPS with its interval. All scores are in points (−100 to 100).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NpsEstimate {
    /// The counts behind the estimate.
    pub counts: NpsCounts,
    /// The observed NPS 100·(P − D)/n.
    pub nps: f64,
    /// The centre of the interval: 100·(p′ − d′) for adjusted Wald, equal to `nps` for Wald.
    pub nps_adjusted: f64,
    /// Standard error of `nps_adjusted`: 100·√([p + d − (p − d)²]/n) at the method's p, d, n.
    pub se: f64,
    /// Lower interval bound, `nps_adjusted − z·se` clipped to −100.
    pub ci_low: f64,
    /// Upper interval bound, `nps_adjusted + z·se` clipped to 100.
    pub ci_high: f64,
    /// The interval method.
    pub method: IntervalMethod,
    /// Two-sided confidence level, in (0, 1).
    pub confidence: f64,
    /// The critical value z = Φ⁻¹((1 + confidence)/2) used.
    pub z: f64,
}

/// The method's (shares p, d, sample size n) for `counts`.
fn method_shares(counts: &NpsCounts, method: IntervalMethod) -> (f64, f64, f64) {
    let (pro, det, n) = (
        counts.promoters as f64,
        counts.detractors as f64,
        counts.n() as f64,
    );
    match method {
        IntervalMethod::Wald => (pro / n, det / n, n),
        IntervalMethod::AdjustedWald => {
            let n_adj = n + 3.0;
            ((pro + 0.75) / n_adj, (det + 0.75) / n_adj, n_adj)
        }
    }
}

/// The NPS of `counts` with its `method` interval at `confidence` (see the
/// [module docs](self) for the formulas of Rocks 2016 and why a tiny-n adjusted interval can
/// exclude the observed value).
///
/// (P, A, D) = (50, 30, 20) gives NPS 30 with the 95 % adjusted-Wald interval
/// \[14.05, 44.20\] and the Wald interval \[14.69, 45.31\].
///
/// # Errors
/// [`VoiceError::NoResponses`] for n = 0 (an NPS of 0 would be a lie);
/// [`VoiceError::InvalidConfidence`] unless 0 < `confidence` < 1.
pub fn estimate(
    counts: NpsCounts,
    method: IntervalMethod,
    confidence: f64,
) -> Result<NpsEstimate, VoiceError> {
    let z = z_critical(confidence)?;
    let nps = counts.nps().ok_or(VoiceError::NoResponses)?;
    let (p, d, n) = method_shares(&counts, method);
    let var = ((p + d - (p - d) * (p - d)) / n).max(0.0);
    let se = 100.0 * var.sqrt();
    let nps_adjusted = match method {
        IntervalMethod::Wald => nps,
        IntervalMethod::AdjustedWald => 100.0 * (p - d),
    };
    Ok(NpsEstimate {
        counts,
        nps,
        nps_adjusted,
        se,
        ci_low: (nps_adjusted - z * se).clamp(-100.0, 100.0),
        ci_high: (nps_adjusted + z * se).clamp(-100.0, 100.0),
        method,
        confidence,
        z,
    })
}

/// Two NPS estimates and their difference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NpsComparison {
    /// The first group or period.
    pub a: NpsEstimate,
    /// The second group or period.
    pub b: NpsEstimate,
    /// a − b in points; z statistic (`df` is `None`).
    pub difference: Difference,
}

/// Compares the NPS of two independent samples (segments, or two periods with different
/// respondents): the difference of the method's estimates Δ = `a.nps_adjusted −
/// b.nps_adjusted`, se = √(se_a² + se_b²) (independent samples; the variance of each from
/// Rocks 2016 as in [`estimate`]), z = Δ/se with the two-sided normal p-value
/// 2·(1 − Φ(|z|)), and the interval Δ ± z₁₋α/₂·se clipped to \[−200, 200\]. All in points.
///
/// # Errors
/// [`VoiceError::NoResponses`] if either sample is empty; [`VoiceError::ZeroVariance`] when
/// both Wald standard errors are 0 (each sample entirely of one class);
/// [`VoiceError::InvalidConfidence`].
pub fn compare(
    a: NpsCounts,
    b: NpsCounts,
    method: IntervalMethod,
    confidence: f64,
) -> Result<NpsComparison, VoiceError> {
    let ea = estimate(a, method, confidence)?;
    let eb = estimate(b, method, confidence)?;
    let difference = difference_of(&ea, &eb)?;
    Ok(NpsComparison {
        a: ea,
        b: eb,
        difference,
    })
}

fn difference_of(a: &NpsEstimate, b: &NpsEstimate) -> Result<Difference, VoiceError> {
    let se = (a.se * a.se + b.se * b.se).sqrt();
    if se <= 0.0 {
        return Err(VoiceError::ZeroVariance);
    }
    let difference = a.nps_adjusted - b.nps_adjusted;
    let statistic = difference / se;
    Ok(Difference {
        difference,
        se,
        ci_low: (difference - a.z * se).clamp(-200.0, 200.0),
        ci_high: (difference + a.z * se).clamp(-200.0, 200.0),
        statistic,
        df: None,
        p_value: two_sided_normal_p(statistic),
        confidence: a.confidence,
    })
}

/// A one-sided test of an NPS against a benchmark set by the business.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BenchmarkTest {
    /// The benchmark, points.
    pub benchmark: f64,
    /// The estimate tested (the method's `nps_adjusted`), points.
    pub nps: f64,
    /// Its standard error, points.
    pub se: f64,
    /// z = (nps − benchmark)/se.
    pub z: f64,
    /// One-sided p-value 1 − Φ(z) of H0: true NPS ≤ benchmark against H1: true NPS >
    /// benchmark.
    pub p_value: f64,
    /// Whether the NPS is significantly above the benchmark: p < 1 − confidence.
    pub above: bool,
}

/// Tests H1: true NPS > `benchmark` (points) with the one-sided z test
/// z = (NPS − benchmark)/se, p = 1 − Φ(z), using the method's estimate and standard error
/// from [`estimate`] (Rocks 2016). To test "below", compare `p_value` with
/// `confidence` from the other side (p > `confidence` means significantly below) or negate.
///
/// # Errors
/// [`VoiceError::NoResponses`] for n = 0; [`VoiceError::InvalidArgument`] for a benchmark
/// outside \[−100, 100\] or not finite; [`VoiceError::ZeroVariance`] for a Wald standard
/// error of 0 (all answers in one class); [`VoiceError::InvalidConfidence`].
pub fn against_benchmark(
    counts: NpsCounts,
    benchmark: f64,
    method: IntervalMethod,
    confidence: f64,
) -> Result<BenchmarkTest, VoiceError> {
    check_confidence(confidence)?;
    if !(-100.0..=100.0).contains(&benchmark) {
        return Err(VoiceError::InvalidArgument(format!(
            "benchmark {benchmark} is not an NPS between -100 and 100"
        )));
    }
    let e = estimate(counts, method, confidence)?;
    if e.se <= 0.0 {
        return Err(VoiceError::ZeroVariance);
    }
    let z = (e.nps_adjusted - benchmark) / e.se;
    let p_value = normal_sf(z);
    Ok(BenchmarkTest {
        benchmark,
        nps: e.nps_adjusted,
        se: e.se,
        z,
        p_value,
        above: p_value < 1.0 - confidence,
    })
}

/// One month of an NPS trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// The month.
    pub month: YearMonth,
    /// The month's NPS with its interval.
    pub estimate: NpsEstimate,
    /// This month − the previous month that has responses (as in [`compare`]); `None` for
    /// the first month with responses.
    pub change: Option<Difference>,
}

/// The monthly NPS trend: one [`TrendPoint`] per month with responses, in chronological
/// order (the input may be in any order). Months with n = 0 are skipped — they have no NPS —
/// and the next month's change is measured against the last month that had responses.
///
/// # Errors
/// [`VoiceError::InvalidArgument`] when a month appears twice;
/// [`VoiceError::ZeroVariance`] when a change between two Wald estimates of zero width is
/// asked for; [`VoiceError::InvalidConfidence`].
pub fn monthly_trend(
    months: &[(YearMonth, NpsCounts)],
    method: IntervalMethod,
    confidence: f64,
) -> Result<Vec<TrendPoint>, VoiceError> {
    check_confidence(confidence)?;
    let mut sorted: Vec<&(YearMonth, NpsCounts)> = months.iter().collect();
    sorted.sort_by_key(|(m, _)| *m);
    if let Some(w) = sorted.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(VoiceError::InvalidArgument(format!(
            "month {} appears twice",
            w[0].0
        )));
    }
    let mut out: Vec<TrendPoint> = Vec::with_capacity(sorted.len());
    for (month, counts) in sorted {
        if counts.n() == 0 {
            continue;
        }
        let estimate = estimate(*counts, method, confidence)?;
        let change = match out.last() {
            Some(prev) => Some(difference_of(&estimate, &prev.estimate)?),
            None => None,
        };
        out.push(TrendPoint {
            month: *month,
            estimate,
            change,
        });
    }
    Ok(out)
}
