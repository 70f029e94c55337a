//! Interval estimates and two-sample tests shared by the survey metrics.

use crate::VoiceError;
pub use crate::period::YearMonth;

/// Two-sided standard normal critical value z₁₋α/₂ for `confidence` = 1 − α.
pub fn z_critical(confidence: f64) -> Result<f64, VoiceError> {
    todo!()
}

/// Standard normal CDF Φ(x).
pub fn normal_cdf(x: f64) -> f64 {
    todo!()
}

/// Two-sided Student t critical value t₁₋α/₂,df.
pub fn t_critical(confidence: f64, df: f64) -> Result<f64, VoiceError> {
    todo!()
}

/// A sample mean with its t interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanEstimate {
    /// Number of observations.
    pub n: u64,
    /// Sample mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 denominator).
    pub sd: f64,
    /// Standard error sd/√n.
    pub se: f64,
    /// Lower interval bound.
    pub ci_low: f64,
    /// Upper interval bound.
    pub ci_high: f64,
    /// Confidence level.
    pub confidence: f64,
}

/// The mean of `values` with its t interval.
pub fn mean_interval(values: &[f64], confidence: f64) -> Result<MeanEstimate, VoiceError> {
    todo!()
}

/// A proportion with its Wilson score interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProportionEstimate {
    /// Number of trials.
    pub n: u64,
    /// Number of successes.
    pub successes: u64,
    /// successes / n, in \[0, 1\].
    pub share: f64,
    /// Lower interval bound, in \[0, 1\].
    pub ci_low: f64,
    /// Upper interval bound, in \[0, 1\].
    pub ci_high: f64,
    /// Confidence level.
    pub confidence: f64,
}

/// Wilson (1927) score interval.
pub fn wilson(successes: u64, n: u64, confidence: f64) -> Result<ProportionEstimate, VoiceError> {
    todo!()
}

/// A difference a − b with its interval and two-sided test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    /// a − b.
    pub difference: f64,
    /// Standard error of the difference.
    pub se: f64,
    /// Lower interval bound.
    pub ci_low: f64,
    /// Upper interval bound.
    pub ci_high: f64,
    /// z (when `df` is `None`) or Welch t.
    pub statistic: f64,
    /// Welch–Satterthwaite degrees of freedom for a t statistic.
    pub df: Option<f64>,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Confidence level.
    pub confidence: f64,
}

/// Two proportions `(successes, n)`: pooled z test, unpooled Wald interval.
pub fn compare_proportions(
    a: (u64, u64),
    b: (u64, u64),
    confidence: f64,
) -> Result<Difference, VoiceError> {
    todo!()
}

/// Two means: Welch t test and interval.
pub fn compare_means(
    a: &MeanEstimate,
    b: &MeanEstimate,
    confidence: f64,
) -> Result<Difference, VoiceError> {
    todo!()
}

/// Paired differences x − y with their t interval.
pub fn paired_difference(
    x: &[f64],
    y: &[f64],
    confidence: f64,
) -> Result<MeanEstimate, VoiceError> {
    todo!()
}
