//! CSAT, CES and the service dimensions with SERVQUAL gaps.
//!
//! * **CSAT** (customer satisfaction): the top-2-box share — answers in the two highest
//!   points of a 1–`scale_max` scale ("satisfied" or "very satisfied" on 1–5) — with a
//!   Wilson score interval ([`crate::stats::wilson`]).
//! * **CES** (customer effort score, Dixon, Freeman & Toman 2010, "Stop Trying to Delight
//!   Your Customers", Harvard Business Review 88(7/8); the CES 2.0 agreement item is asked
//!   on 1–7): the mean with a Student t interval ([`crate::stats::mean_interval`]) clipped
//!   to the scale.
//! * **Service dimensions** on 1–5: reliability, assurance, responsiveness and empathy are
//!   SERVQUAL dimensions (Parasuraman, Zeithaml & Berry 1988, "SERVQUAL: A Multiple-Item
//!   Scale for Measuring Consumer Perceptions of Service Quality", Journal of Retailing
//!   64(1):12–40; the fifth, tangibles, is not asked here); *delight* is the product's own
//!   addition. Per dimension: the mean perception with a t interval and, where expectations
//!   were asked of the same respondents, the SERVQUAL gap score Q = P − E (perception minus
//!   expectation, per respondent; negative means the service falls short) as a paired mean
//!   with its t interval. A survey may rate dimensions of its own (`cleanliness`, `speed`):
//!   [`dimension_score`] gives the same numbers for a dimension of any name.

use crate::VoiceError;
use crate::stats::{MeanEstimate, ProportionEstimate, mean_interval, paired_difference, wilson};

/// CSAT: the share of answers in the top two boxes (score ≥ `scale_max` − 1) of a
/// 1–`scale_max` scale, with the Wilson (1927) score interval at `confidence`. Shares are in
/// \[0, 1\] (multiply by 100 for percent).
///
/// # Errors
/// [`VoiceError::InvalidScale`] when `scale_max` < 3 (two boxes of a 2-point scale are every
/// answer); [`VoiceError::ScoreOutOfRange`] for a score outside 1–`scale_max`;
/// [`VoiceError::NoResponses`] for no scores; [`VoiceError::InvalidConfidence`].
pub fn csat(
    scores: &[u8],
    scale_max: u8,
    confidence: f64,
) -> Result<ProportionEstimate, VoiceError> {
    if scale_max < 3 {
        return Err(VoiceError::InvalidScale {
            min: 1.0,
            max: f64::from(scale_max),
        });
    }
    let mut top = 0_u64;
    for &s in scores {
        if !(1..=scale_max).contains(&s) {
            return Err(VoiceError::ScoreOutOfRange {
                score: f64::from(s),
                min: 1.0,
                max: f64::from(scale_max),
            });
        }
        if s >= scale_max - 1 {
            top += 1;
        }
    }
    wilson(top, scores.len() as u64, confidence)
}

fn check_scale(scale: (f64, f64)) -> Result<(), VoiceError> {
    let (min, max) = scale;
    if min.is_finite() && max.is_finite() && min < max {
        Ok(())
    } else {
        Err(VoiceError::InvalidScale { min, max })
    }
}

fn check_scores(scores: &[f64], (min, max): (f64, f64)) -> Result<(), VoiceError> {
    match scores.iter().find(|s| !(min..=max).contains(*s)) {
        Some(&score) => Err(VoiceError::ScoreOutOfRange { score, min, max }),
        None => Ok(()),
    }
}

fn clip(mut e: MeanEstimate, (min, max): (f64, f64)) -> MeanEstimate {
    e.ci_low = e.ci_low.clamp(min, max);
    e.ci_high = e.ci_high.clamp(min, max);
    e
}

/// The default CES scale, 1–7.
pub const CES_SCALE: (f64, f64) = (1.0, 7.0);

/// CES: the mean effort score with its Student t interval, clipped to `scale` = (min, max)
/// (usually [`CES_SCALE`], 1–7). Scores may be fractional (e.g. an average of items) but
/// must lie on the scale.
///
/// # Errors
/// [`VoiceError::InvalidScale`] unless min < max, both finite;
/// [`VoiceError::ScoreOutOfRange`] for a score off the scale or not finite;
/// [`VoiceError::NoResponses`] / [`VoiceError::InsufficientData`] for n = 0 / 1;
/// [`VoiceError::InvalidConfidence`].
pub fn ces(scores: &[f64], scale: (f64, f64), confidence: f64) -> Result<MeanEstimate, VoiceError> {
    check_scale(scale)?;
    check_scores(scores, scale)?;
    Ok(clip(mean_interval(scores, confidence)?, scale))
}

/// A service dimension (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    /// Ability to perform the promised service dependably and accurately.
    Reliability,
    /// Knowledge and courtesy of staff and their ability to inspire trust and confidence.
    Assurance,
    /// Willingness to help customers and provide prompt service.
    Responsiveness,
    /// Caring, individualised attention.
    Empathy,
    /// Exceeding expectations (not a SERVQUAL dimension; asked by the product).
    Delight,
}

impl Dimension {
    /// All dimensions, in declaration order.
    pub const ALL: [Dimension; 5] = [
        Dimension::Reliability,
        Dimension::Assurance,
        Dimension::Responsiveness,
        Dimension::Empathy,
        Dimension::Delight,
    ];

    /// The lowercase English name: `"reliability"`, `"assurance"`, `"responsiveness"`,
    /// `"empathy"` or `"delight"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Reliability => "reliability",
            Dimension::Assurance => "assurance",
            Dimension::Responsiveness => "responsiveness",
            Dimension::Empathy => "empathy",
            Dimension::Delight => "delight",
        }
    }

    /// Parses the English name (ASCII case-insensitive, surrounding whitespace ignored).
    pub fn parse(s: &str) -> Option<Dimension> {
        let s = s.trim();
        Dimension::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s))
    }
}

/// One dimension's score. Means are in scale points (1–5), gaps in points (−4 to 4).
#[derive(Debug, Clone, PartialEq)]
pub struct DimensionScore {
    /// The dimension.
    pub dimension: Dimension,
    /// Mean perception with its t interval clipped to \[1, 5\].
    pub perception: MeanEstimate,
    /// SERVQUAL gap P − E with its paired t interval clipped to \[−4, 4\]; `None` when
    /// expectations were not asked for this dimension.
    pub gap: Option<MeanEstimate>,
}

/// The service-dimension scale, 1–5.
pub const DIMENSION_SCALE: (f64, f64) = (1.0, 5.0);

/// Per-dimension mean perceptions with t intervals and SERVQUAL gaps (Parasuraman, Zeithaml
/// & Berry 1988).
///
/// `perceptions`: per dimension, every perception answer (1–5). `expectations`: per
/// dimension, the (perception, expectation) pairs (1–5 each) of the respondents who were
/// also asked their expectation; the gap is the paired mean of perception − expectation
/// ([`paired_difference`]). A respondent asked both usually appears in both lists. The
/// result has one entry per dimension in `perceptions`, in [`Dimension::ALL`] order.
///
/// # Errors
/// [`VoiceError::InvalidArgument`] when a dimension appears twice in either list, or has
/// expectations but no perceptions; [`VoiceError::ScoreOutOfRange`] for an answer outside
/// 1–5; [`VoiceError::NoResponses`] / [`VoiceError::InsufficientData`] for a dimension with
/// 0 / 1 answers or pairs; [`VoiceError::InvalidConfidence`].
pub fn dimension_scores(
    perceptions: &[(Dimension, Vec<f64>)],
    expectations: &[(Dimension, Vec<(f64, f64)>)],
    confidence: f64,
) -> Result<Vec<DimensionScore>, VoiceError> {
    let duplicate = |dims: &mut Vec<Dimension>, what: &str| -> Result<(), VoiceError> {
        dims.sort();
        match dims.windows(2).find(|w| w[0] == w[1]) {
            Some(w) => Err(VoiceError::InvalidArgument(format!(
                "dimension {} appears twice among the {what}",
                w[0].as_str()
            ))),
            None => Ok(()),
        }
    };
    duplicate(
        &mut perceptions.iter().map(|(d, _)| *d).collect(),
        "perceptions",
    )?;
    duplicate(
        &mut expectations.iter().map(|(d, _)| *d).collect(),
        "expectations",
    )?;
    if let Some((d, _)) = expectations
        .iter()
        .find(|(d, _)| !perceptions.iter().any(|(p, _)| p == d))
    {
        return Err(VoiceError::InvalidArgument(format!(
            "dimension {} has expectations but no perceptions",
            d.as_str()
        )));
    }
    let mut out = Vec::with_capacity(perceptions.len());
    for (dimension, values) in perceptions {
        let pairs = expectations
            .iter()
            .find(|(d, _)| d == dimension)
            .map(|(_, p)| p.as_slice());
        let (perception, gap) = dimension_score(values, pairs, confidence)?;
        out.push(DimensionScore {
            dimension: *dimension,
            perception,
            gap,
        });
    }
    out.sort_by_key(|s| s.dimension);
    Ok(out)
}

/// One service dimension's mean perception with its t interval clipped to \[1, 5\] and,
/// given the (perception, expectation) pairs, the SERVQUAL gap P − E as a paired mean with
/// its t interval clipped to \[−4, 4\]: the numbers of [`dimension_scores`] for a
/// dimension of any name, a built-in [`Dimension`] or one a survey defines itself (a
/// `cleanliness` or `speed` rated 1–5).
///
/// # Errors
/// [`VoiceError::ScoreOutOfRange`] for an answer outside 1–5; [`VoiceError::NoResponses`] /
/// [`VoiceError::InsufficientData`] for 0 / 1 perceptions or pairs;
/// [`VoiceError::InvalidConfidence`].
pub fn dimension_score(
    perceptions: &[f64],
    expectations: Option<&[(f64, f64)]>,
    confidence: f64,
) -> Result<(MeanEstimate, Option<MeanEstimate>), VoiceError> {
    check_scores(perceptions, DIMENSION_SCALE)?;
    let perception = clip(mean_interval(perceptions, confidence)?, DIMENSION_SCALE);
    let gap = match expectations {
        None => None,
        Some(pairs) => {
            let (p, e): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
            check_scores(&p, DIMENSION_SCALE)?;
            check_scores(&e, DIMENSION_SCALE)?;
            Some(clip(paired_difference(&p, &e, confidence)?, (-4.0, 4.0)))
        }
    };
    Ok((perception, gap))
}
