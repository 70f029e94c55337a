//! Monthly customer-service report cards per employee and location (PRODUCT R6, R10).
//!
//! Customers rate the employee who served them on a few criteria (by default the four
//! SERVQUAL dimensions of [`DEFAULT_CRITERIA`]) from 1 to 5, one rating per row. For a given
//! month, each employee at each location gets a card: per criterion and overall, the number
//! of ratings, the mean with its Student t interval (clipped to 1–5; none with a single
//! rating), last month's mean and the change, and the rank among the employees of the same
//! location rated on that criterion this month.
//!
//! Ranks order the means only; two employees whose intervals overlap widely may be ranked
//! apart, which is why the card shows n and the interval beside the rank.

use crate::VoiceError;
use crate::period::YearMonth;
use crate::stats::{check_confidence, mean_interval};
use comeback_core::Day;
use std::collections::BTreeMap;

/// One customer's rating of one employee on one criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    /// The employee rated (any identifier; compared exactly).
    pub employee: String,
    /// The location where the employee served (compared exactly).
    pub location: String,
    /// The local day of the service; its month places the rating.
    pub day: Day,
    /// The criterion rated; matched to the configured criteria ASCII case-insensitively,
    /// surrounding whitespace ignored.
    pub criterion: String,
    /// The score, 1–5.
    pub score: u8,
}

/// The default criteria: four SERVQUAL dimensions (Parasuraman, Zeithaml & Berry 1988).
pub const DEFAULT_CRITERIA: [&str; 4] = ["reliability", "responsiveness", "empathy", "assurance"];

/// The name of the all-criteria row of a card.
pub const OVERALL: &str = "overall";

/// One criterion (or the overall row) of a card. Means are in scale points, 1–5.
#[derive(Debug, Clone, PartialEq)]
pub struct CriterionResult {
    /// The criterion, as configured (or [`OVERALL`]).
    pub criterion: String,
    /// The number of ratings this month.
    pub n: u64,
    /// Mean score this month; `None` without ratings.
    pub mean: Option<f64>,
    /// Lower bound of the t interval, clipped to 1; `None` with fewer than 2 ratings.
    pub ci_low: Option<f64>,
    /// Upper bound of the t interval, clipped to 5; `None` with fewer than 2 ratings.
    pub ci_high: Option<f64>,
    /// Mean score in the previous calendar month at the same location; `None` without
    /// ratings then.
    pub previous_mean: Option<f64>,
    /// `mean − previous_mean`, when both exist.
    pub change: Option<f64>,
    /// 1 = highest mean among the employees of the same location rated on this criterion
    /// this month; equal means share a rank and the next rank is skipped (1, 2, 2, 4);
    /// `None` without ratings.
    pub rank: Option<u32>,
    /// The number of employees ranked (rated on this criterion at this location this month).
    pub peers: u32,
}

/// One employee's card for one location and month.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportCard {
    /// The employee.
    pub employee: String,
    /// The location.
    pub location: String,
    /// The month of the card.
    pub month: YearMonth,
    /// One result per configured criterion, in the configured order (a criterion without
    /// ratings this month has n = 0 and no mean).
    pub criteria: Vec<CriterionResult>,
    /// Criterion [`OVERALL`]: the mean of all this month's ratings of the employee at this
    /// location, whatever the criterion, ranked likewise.
    pub overall: CriterionResult,
}

/// Ratings of one (location, employee): this month's values and last month's sum and count,
/// per criterion plus a last slot for overall.
struct Acc {
    current: Vec<Vec<f64>>,
    previous: Vec<(u64, u64)>,
}

/// The report cards of `month`: one per (employee, location) with at least one rating in
/// that month, sorted by location, then employee.
///
/// Every rating is validated, whatever its month. `criteria` lists the criteria of the
/// card in order (e.g. [`DEFAULT_CRITERIA`]); a rating of any other criterion is an error
/// rather than silently dropped, because it is usually a typo that would otherwise lower a
/// count without anyone noticing.
///
/// Means, intervals and changes: see [`CriterionResult`]; the interval is the Student t
/// interval of [`mean_interval`] at `confidence`, clipped to 1–5.
///
/// # Errors
/// [`VoiceError::InvalidArgument`] for no criteria, a repeated or empty criterion, the
/// reserved name "overall", or a rating with an empty employee or location;
/// [`VoiceError::UnknownCriterion`] for a rating of a criterion not in `criteria`;
/// [`VoiceError::ScoreOutOfRange`] for a score outside 1–5;
/// [`VoiceError::InvalidConfidence`].
pub fn report_cards(
    ratings: &[Rating],
    month: YearMonth,
    criteria: &[String],
    confidence: f64,
) -> Result<Vec<ReportCard>, VoiceError> {
    check_confidence(confidence)?;
    let criteria: Vec<&str> = criteria.iter().map(|c| c.trim()).collect();
    if criteria.is_empty() {
        return Err(VoiceError::InvalidArgument(
            "no report-card criteria given".into(),
        ));
    }
    for (i, c) in criteria.iter().enumerate() {
        if c.is_empty() || c.eq_ignore_ascii_case(OVERALL) {
            return Err(VoiceError::InvalidArgument(format!(
                "invalid criterion name {c:?}"
            )));
        }
        if criteria[..i].iter().any(|p| p.eq_ignore_ascii_case(c)) {
            return Err(VoiceError::InvalidArgument(format!(
                "criterion {c:?} is listed twice"
            )));
        }
    }
    let k = criteria.len();
    let previous = month.prev();
    let mut accs: BTreeMap<(&str, &str), Acc> = BTreeMap::new();
    for r in ratings {
        if !(1..=5).contains(&r.score) {
            return Err(VoiceError::ScoreOutOfRange {
                score: f64::from(r.score),
                min: 1.0,
                max: 5.0,
            });
        }
        let c = criteria
            .iter()
            .position(|c| c.eq_ignore_ascii_case(r.criterion.trim()))
            .ok_or_else(|| VoiceError::UnknownCriterion(r.criterion.clone()))?;
        if r.employee.trim().is_empty() || r.location.trim().is_empty() {
            return Err(VoiceError::InvalidArgument(format!(
                "rating on {} has an empty employee or location",
                r.day
            )));
        }
        let m = YearMonth::from_day(r.day);
        if m != month && m != previous {
            continue;
        }
        let acc = accs
            .entry((r.location.as_str(), r.employee.as_str()))
            .or_insert_with(|| Acc {
                current: vec![Vec::new(); k + 1],
                previous: vec![(0, 0); k + 1],
            });
        for slot in [c, k] {
            if m == month {
                acc.current[slot].push(f64::from(r.score));
            } else {
                acc.previous[slot].0 += u64::from(r.score);
                acc.previous[slot].1 += 1;
            }
        }
    }
    accs.retain(|_, acc| !acc.current[k].is_empty());

    // (sum, n) of this month's ratings of every ranked employee per location and slot.
    let mut peers: BTreeMap<(&str, usize), Vec<(u64, u64)>> = BTreeMap::new();
    for ((location, _), acc) in &accs {
        for (slot, values) in acc.current.iter().enumerate() {
            if !values.is_empty() {
                peers
                    .entry((location, slot))
                    .or_default()
                    .push(sum_n(values));
            }
        }
    }

    let mut cards = Vec::with_capacity(accs.len());
    for ((location, employee), acc) in &accs {
        let result = |slot: usize, name: &str| {
            let ranked = peers.get(&(*location, slot)).map_or(&[][..], |v| &v[..]);
            criterion_result(
                name,
                &acc.current[slot],
                acc.previous[slot],
                ranked,
                confidence,
            )
        };
        let results = criteria
            .iter()
            .enumerate()
            .map(|(slot, name)| result(slot, name))
            .collect::<Result<Vec<_>, _>>()?;
        let overall = result(k, OVERALL)?;
        cards.push(ReportCard {
            employee: employee.to_string(),
            location: location.to_string(),
            month,
            criteria: results,
            overall,
        });
    }
    Ok(cards)
}

/// The integer sum and count of 1–5 scores held as f64.
fn sum_n(values: &[f64]) -> (u64, u64) {
    (values.iter().map(|&v| v as u64).sum(), values.len() as u64)
}

fn criterion_result(
    name: &str,
    values: &[f64],
    (prev_sum, prev_n): (u64, u64),
    ranked: &[(u64, u64)],
    confidence: f64,
) -> Result<CriterionResult, VoiceError> {
    let n = values.len() as u64;
    let (sum, _) = sum_n(values);
    let mean = (n > 0).then(|| sum as f64 / n as f64);
    let (ci_low, ci_high) = if n >= 2 {
        let e = mean_interval(values, confidence)?;
        (Some(e.ci_low.max(1.0)), Some(e.ci_high.min(5.0)))
    } else {
        (None, None)
    };
    let previous_mean = (prev_n > 0).then(|| prev_sum as f64 / prev_n as f64);
    let change = mean.zip(previous_mean).map(|(m, p)| m - p);
    // Exact comparison of the rational means s/m > sum/n ⇔ s·n > sum·m.
    let rank = (n > 0).then(|| {
        1 + ranked
            .iter()
            .filter(|&&(s, m)| u128::from(s) * u128::from(n) > u128::from(sum) * u128::from(m))
            .count() as u32
    });
    Ok(CriterionResult {
        criterion: name.to_string(),
        n,
        mean,
        ci_low,
        ci_high,
        previous_mean,
        change,
        rank,
        peers: ranked.len() as u32,
    })
}
