//! Monthly staff report cards.

use crate::VoiceError;
use crate::period::YearMonth;
use comeback_core::Day;

/// One rating.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    /// Employee.
    pub employee: String,
    /// Location.
    pub location: String,
    /// Day.
    pub day: Day,
    /// Criterion.
    pub criterion: String,
    /// Score 1–5.
    pub score: u8,
}

/// Default criteria.
pub const DEFAULT_CRITERIA: [&str; 4] = ["reliability", "responsiveness", "empathy", "assurance"];

/// One criterion on a card.
#[derive(Debug, Clone, PartialEq)]
pub struct CriterionResult {
    /// Criterion name.
    pub criterion: String,
    /// Ratings this month.
    pub n: u64,
    /// Mean.
    pub mean: Option<f64>,
    /// Lower bound.
    pub ci_low: Option<f64>,
    /// Upper bound.
    pub ci_high: Option<f64>,
    /// Previous month's mean.
    pub previous_mean: Option<f64>,
    /// mean − previous_mean.
    pub change: Option<f64>,
    /// Rank among peers.
    pub rank: Option<u32>,
    /// Number ranked.
    pub peers: u32,
}

/// One employee's card.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportCard {
    /// Employee.
    pub employee: String,
    /// Location.
    pub location: String,
    /// Month.
    pub month: YearMonth,
    /// Criteria in configured order.
    pub criteria: Vec<CriterionResult>,
    /// All ratings.
    pub overall: CriterionResult,
}

/// Report cards for a month.
pub fn report_cards(
    ratings: &[Rating],
    month: YearMonth,
    criteria: &[String],
    confidence: f64,
) -> Result<Vec<ReportCard>, VoiceError> {
    todo!()
}
