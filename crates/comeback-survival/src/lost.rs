//! Time to "lost" for non-contractual businesses: nobody cancels, customers just stop
//! coming, so the event must be defined by a rule on the purchase log.
//!
//! **The rule.** A customer's purchase days are d₁ < … < dₘ (one occasion per local day,
//! days with refunds only ignored) and the observation end is E. Their threshold is
//! θ = k × (their own median gap between consecutive purchase days), with k = 3 by default
//! (the gap after which `comeback analyze` calls a return a win-back). A customer with
//! fewer than `min_gaps` gaps (default 2, i.e. at least three purchase days; one-time
//! buyers have none) has no reliable own rhythm and gets k × the median gap of all
//! customers' consecutive purchase days instead (the fallback, flagged per customer). θ is
//! never below `min_threshold_days` (default 0).
//! - **Lost** (event) when no purchase followed the last one within θ, i.e. E − dₘ > θ; the
//!   customer counts as lost at dₘ + θ (the day the rule fires), so the duration is
//!   dₘ + θ − d₁ days.
//! - **Still a customer** (censored) otherwise, with duration E − d₁ days.
//!
//! A customer who paused longer than θ and came back before E was not lost: only the last
//! gap decides. The own median uses the customer's whole history, so the rule describes the
//! observed period; it is not a prediction (that is P(alive), `comeback-models`).

use crate::SurvivalError;
use comeback_core::{Day, TransactionLog};

/// Parameters of the time-to-lost rule (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LostRule {
    /// k: the threshold is k × the median inter-purchase gap (default 3). Must be > 0.
    pub k: f64,
    /// Fewest gaps between purchase days for a customer's own median to be used (default 2);
    /// others get the population median. At least 1.
    pub min_gaps: usize,
    /// Floor of the threshold in days (default 0).
    pub min_threshold_days: f64,
}

impl Default for LostRule {
    fn default() -> Self {
        LostRule {
            k: 3.0,
            min_gaps: 2,
            min_threshold_days: 0.0,
        }
    }
}

/// One customer's (duration, event) under the rule.
#[derive(Debug, Clone, PartialEq)]
pub struct LostRecord {
    /// Customer id as in the log.
    pub customer_id: Box<str>,
    /// First purchase day.
    pub first_purchase: Day,
    /// Last purchase day (up to the observation end).
    pub last_purchase: Day,
    /// Purchase days.
    pub purchase_days: u32,
    /// The threshold θ used, in days.
    pub threshold_days: f64,
    /// True when θ came from the population median (too few own gaps).
    pub fallback: bool,
    /// Days from the first purchase to lost (event) or to the observation end (censored).
    pub duration_days: f64,
    /// True when the customer is lost under the rule.
    pub lost: bool,
}

/// The records and the figures the rule used.
#[derive(Debug, Clone, PartialEq)]
pub struct LostSummary {
    /// One record per customer with a purchase, in the log's (id) order.
    pub records: Vec<LostRecord>,
    /// The observation end E.
    pub observation_end: Day,
    /// The population median gap in days (the fallback's base).
    pub population_median_gap_days: f64,
    /// The rule used.
    pub rule: LostRule,
}

/// (duration, event) per customer of `log` under `rule` (module docs). Purchases after
/// the observation end are not in the log.
///
/// # Errors
/// [`SurvivalError::InvalidOption`] for k ≤ 0 or not finite, `min_gaps` = 0 or a negative
/// floor; [`SurvivalError::Lost`] for an empty log or when no customer bought on two
/// different days (no gap to measure a rhythm by).
pub fn time_to_lost(log: &TransactionLog, rule: &LostRule) -> Result<LostSummary, SurvivalError> {
    if !(rule.k.is_finite() && rule.k > 0.0) {
        return Err(SurvivalError::InvalidOption {
            name: "k",
            value: rule.k.to_string(),
            expected: "a number greater than 0",
        });
    }
    if rule.min_gaps == 0 {
        return Err(SurvivalError::InvalidOption {
            name: "min_gaps",
            value: "0".into(),
            expected: "at least 1",
        });
    }
    if !(rule.min_threshold_days.is_finite() && rule.min_threshold_days >= 0.0) {
        return Err(SurvivalError::InvalidOption {
            name: "min_threshold_days",
            value: rule.min_threshold_days.to_string(),
            expected: "a number of days ≥ 0",
        });
    }
    let end = log
        .observation_end()
        .ok_or_else(|| SurvivalError::Lost("the transaction log is empty".into()))?;
    let days_of = |i: usize| -> Vec<i64> {
        log.customers()[i]
            .days
            .iter()
            .filter(|d| d.has_purchase && d.day <= end)
            .map(|d| d.day.0 as i64)
            .collect()
    };
    let mut all_gaps = Vec::new();
    for i in 0..log.len() {
        let d = days_of(i);
        all_gaps.extend(d.windows(2).map(|w| w[1] - w[0]));
    }
    let population = median(&mut all_gaps).ok_or_else(|| {
        SurvivalError::Lost(
            "no customer bought on two different days, so there is no purchase rhythm to \
             define lost by"
                .into(),
        )
    })?;
    let mut records = Vec::with_capacity(log.len());
    for i in 0..log.len() {
        let days = days_of(i);
        let (Some(&first), Some(&last)) = (days.first(), days.last()) else {
            continue;
        };
        let mut gaps: Vec<i64> = days.windows(2).map(|w| w[1] - w[0]).collect();
        let (base, fallback) = if gaps.len() >= rule.min_gaps {
            (median(&mut gaps).unwrap_or(population), false)
        } else {
            (population, true)
        };
        let threshold = (rule.k * base).max(rule.min_threshold_days);
        let since_last = (end.0 as i64 - last) as f64;
        let lost = since_last > threshold;
        let duration = if lost {
            (last - first) as f64 + threshold
        } else {
            (end.0 as i64 - first) as f64
        };
        records.push(LostRecord {
            customer_id: log.ids()[i].clone(),
            first_purchase: Day(first as i32),
            last_purchase: Day(last as i32),
            purchase_days: days.len() as u32,
            threshold_days: threshold,
            fallback,
            duration_days: duration,
            lost,
        });
    }
    Ok(LostSummary {
        records,
        observation_end: end,
        population_median_gap_days: population,
        rule: *rule,
    })
}

/// The median of whole-day gaps (mean of the two middle values for an even count).
fn median(v: &mut [i64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use comeback_core::{Amount, TransactionLogBuilder};

    fn log(rows: &[(&str, i32)], end: i32) -> TransactionLog {
        let mut b = TransactionLogBuilder::new(Some(Day(end)));
        for &(c, d) in rows {
            b.add(c, Day(d), Amount::from_micros(1_000_000)).unwrap();
        }
        b.finish()
    }

    #[test]
    fn rule_by_hand() {
        // a: days 0, 10, 20, 30 → own median 10, θ = 30; end 100: 70 > 30 → lost at 30 + 30.
        // b: days 0, 10, 30 (gaps 10, 20 → median 15, θ = 45); end 100 − 30 = 70 > 45 → lost,
        //    duration 30 + 45 = 75.
        // c: one-time buyer on day 90: fallback θ = 3 × median of all gaps
        //    (10, 10, 10, 10, 20 → 10) = 30; 100 − 90 = 10 ≤ 30 → censored, duration 10.
        // d: days 50, 90: one gap < min_gaps → fallback θ = 30; 10 ≤ 30 → censored, 50.
        let l = log(
            &[
                ("a", 0),
                ("a", 10),
                ("a", 20),
                ("a", 30),
                ("b", 0),
                ("b", 10),
                ("b", 30),
                ("c", 90),
                ("d", 50),
                ("d", 90),
            ],
            100,
        );
        let s = time_to_lost(&l, &LostRule::default()).unwrap();
        // Gaps of all: a 10,10,10; b 10,20; d 40 → sorted 10,10,10,10,20,40 → median 10.
        assert_eq!(s.population_median_gap_days, 10.0);
        let r: Vec<(&str, f64, bool, bool)> = s
            .records
            .iter()
            .map(|r| (&*r.customer_id, r.duration_days, r.lost, r.fallback))
            .collect();
        assert_eq!(
            r,
            [
                ("a", 60.0, true, false),
                ("b", 75.0, true, false),
                ("c", 10.0, false, true),
                ("d", 50.0, false, true),
            ]
        );
    }

    #[test]
    fn no_repeat_buyer_is_an_error() {
        let l = log(&[("a", 0), ("b", 5)], 10);
        assert!(matches!(
            time_to_lost(&l, &LostRule::default()),
            Err(SurvivalError::Lost(_))
        ));
    }
}
