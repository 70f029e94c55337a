//! CSAT, CES and the service dimensions with SERVQUAL gaps.

use crate::VoiceError;
use crate::stats::{MeanEstimate, ProportionEstimate};

/// CSAT: top-2-box share with a Wilson interval.
pub fn csat(
    scores: &[u8],
    scale_max: u8,
    confidence: f64,
) -> Result<ProportionEstimate, VoiceError> {
    todo!()
}

/// CES: mean with a t interval clipped to the scale.
pub fn ces(scores: &[f64], scale: (f64, f64), confidence: f64) -> Result<MeanEstimate, VoiceError> {
    todo!()
}

/// A service dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    /// Reliability.
    Reliability,
    /// Assurance.
    Assurance,
    /// Responsiveness.
    Responsiveness,
    /// Empathy.
    Empathy,
    /// Delight.
    Delight,
}

impl Dimension {
    /// All dimensions.
    pub const ALL: [Dimension; 5] = [
        Dimension::Reliability,
        Dimension::Assurance,
        Dimension::Responsiveness,
        Dimension::Empathy,
        Dimension::Delight,
    ];
    /// Lowercase English name.
    pub fn as_str(self) -> &'static str {
        todo!()
    }
    /// Parses the English name.
    pub fn parse(s: &str) -> Option<Dimension> {
        todo!()
    }
}

/// One dimension's score.
#[derive(Debug, Clone, PartialEq)]
pub struct DimensionScore {
    /// The dimension.
    pub dimension: Dimension,
    /// Perception mean.
    pub perception: MeanEstimate,
    /// SERVQUAL gap.
    pub gap: Option<MeanEstimate>,
}

/// Per-dimension means and gaps.
pub fn dimension_scores(
    perceptions: &[(Dimension, Vec<f64>)],
    expectations: &[(Dimension, Vec<(f64, f64)>)],
    confidence: f64,
) -> Result<Vec<DimensionScore>, VoiceError> {
    todo!()
}
