//! Net Promoter Score with intervals, comparisons, benchmark tests and monthly trends.

use crate::VoiceError;
pub use crate::period::YearMonth;
use crate::stats::Difference;

/// The NPS class of a 0–10 answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NpsClass {
    /// 0–6.
    Detractor,
    /// 7–8.
    Passive,
    /// 9–10.
    Promoter,
}

impl NpsClass {
    /// The class of a score, `None` above 10.
    pub fn from_score(score: u8) -> Option<NpsClass> {
        todo!()
    }

    /// "detractor", "passive" or "promoter".
    pub fn as_str(self) -> &'static str {
        todo!()
    }
}

/// Counts of promoters, passives and detractors.
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
    /// Counts one 0–10 score.
    pub fn add_score(&mut self, score: u8) -> Result<NpsClass, VoiceError> {
        todo!()
    }
    /// Counts one answer of a known class.
    pub fn add(&mut self, class: NpsClass) {
        todo!()
    }
    /// Number of answers.
    pub fn n(&self) -> u64 {
        todo!()
    }
    /// Observed NPS in points, `None` when n = 0.
    pub fn nps(&self) -> Option<f64> {
        todo!()
    }
    /// Adds another set of counts.
    pub fn merge(&mut self, other: &NpsCounts) {
        todo!()
    }
}

/// How the NPS interval is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntervalMethod {
    /// Rocks (2016) adjusted Wald.
    #[default]
    AdjustedWald,
    /// Plain Wald.
    Wald,
}

impl IntervalMethod {
    /// "adjusted-wald" or "wald".
    pub fn as_str(self) -> &'static str {
        todo!()
    }
    /// Parses "adjusted-wald" or "wald".
    pub fn parse(s: &str) -> Option<Self> {
        todo!()
    }
}

/// An NPS with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NpsEstimate {
    /// The counts.
    pub counts: NpsCounts,
    /// Observed NPS, points.
    pub nps: f64,
    /// Centre of the interval, points.
    pub nps_adjusted: f64,
    /// Standard error, points.
    pub se: f64,
    /// Lower bound, points.
    pub ci_low: f64,
    /// Upper bound, points.
    pub ci_high: f64,
    /// The method.
    pub method: IntervalMethod,
    /// Confidence level.
    pub confidence: f64,
    /// Critical value used.
    pub z: f64,
}

/// NPS with its interval.
pub fn estimate(
    counts: NpsCounts,
    method: IntervalMethod,
    confidence: f64,
) -> Result<NpsEstimate, VoiceError> {
    todo!()
}

/// Two NPS and their difference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NpsComparison {
    /// First group.
    pub a: NpsEstimate,
    /// Second group.
    pub b: NpsEstimate,
    /// a − b in points.
    pub difference: Difference,
}

/// Compares two NPS.
pub fn compare(
    a: NpsCounts,
    b: NpsCounts,
    method: IntervalMethod,
    confidence: f64,
) -> Result<NpsComparison, VoiceError> {
    todo!()
}

/// One-sided test of an NPS against a benchmark.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BenchmarkTest {
    /// The benchmark, points.
    pub benchmark: f64,
    /// The estimate tested, points.
    pub nps: f64,
    /// Its standard error, points.
    pub se: f64,
    /// (nps − benchmark)/se.
    pub z: f64,
    /// One-sided p-value, H1: true NPS > benchmark.
    pub p_value: f64,
    /// p < 1 − confidence.
    pub above: bool,
}

/// Tests whether the NPS is above a benchmark.
pub fn against_benchmark(
    counts: NpsCounts,
    benchmark: f64,
    method: IntervalMethod,
    confidence: f64,
) -> Result<BenchmarkTest, VoiceError> {
    todo!()
}

/// One month of a trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// The month.
    pub month: YearMonth,
    /// Its estimate.
    pub estimate: NpsEstimate,
    /// Change vs the previous month that has responses.
    pub change: Option<Difference>,
}

/// Monthly trend; months with n = 0 are skipped.
pub fn monthly_trend(
    months: &[(YearMonth, NpsCounts)],
    method: IntervalMethod,
    confidence: f64,
) -> Result<Vec<TrendPoint>, VoiceError> {
    todo!()
}
