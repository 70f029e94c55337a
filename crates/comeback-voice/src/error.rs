//! The error type of the crate.

/// Why a survey statistic could not be computed.
///
/// Messages are lowercase and name the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VoiceError {
    /// No responses: an estimate from n = 0 would be invented, not measured.
    #[error("no responses: n = 0 (an NPS or mean of 0 would be a lie)")]
    NoResponses,
    /// A score outside its scale, or not finite.
    #[error("score {score} is outside the scale {min}–{max}")]
    ScoreOutOfRange {
        /// The offending score.
        score: f64,
        /// The lowest valid score.
        min: f64,
        /// The highest valid score.
        max: f64,
    },
    /// A value that must be a finite number is NaN or infinite.
    #[error("value {0} is not a finite number")]
    NotFinite(f64),
    /// A score that must be a whole number is not.
    #[error("score {0} is not a whole number")]
    NotAnInteger(f64),
    /// A confidence level outside the open interval (0, 1).
    #[error("confidence {0} must be strictly between 0 and 1")]
    InvalidConfidence(f64),
    /// A rating scale whose bounds are not finite with min < max (or a top-2-box scale with
    /// fewer than 2 points).
    #[error("invalid scale {min}–{max}: need finite bounds with min < max")]
    InvalidScale {
        /// The lower bound given.
        min: f64,
        /// The upper bound given.
        max: f64,
    },
    /// Too few observations for the statistic (a t interval needs n ≥ 2).
    #[error("{what} needs at least {needed} observations, got {got}")]
    InsufficientData {
        /// The statistic that was asked for.
        what: &'static str,
        /// The minimum number of observations.
        needed: u64,
        /// The number given.
        got: u64,
    },
    /// Paired samples of different lengths.
    #[error("paired samples differ in length: {left} vs {right}")]
    LengthMismatch {
        /// Length of the first sample.
        left: usize,
        /// Length of the second sample.
        right: usize,
    },
    /// Both samples have zero variance, so no test statistic exists.
    #[error("both samples have zero variance: the test statistic is undefined")]
    ZeroVariance,
    /// A month that is not `YYYY-MM` with month 1–12.
    #[error("invalid month {0:?}: expected YYYY-MM")]
    InvalidMonth(String),
    /// A rating criterion not in the configured list.
    #[error("unknown criterion {0:?}")]
    UnknownCriterion(String),
    /// Any other invalid argument, described.
    #[error("{0}")]
    InvalidArgument(String),
}
