//! Lifecycle stage of each customer: new, active, at risk, lost, won back (PRODUCT R2, R5).
//!
//! # Definitions
//!
//! - **Median inter-purchase time** (days): pool the gaps, in whole days, between
//!   consecutive purchase days of every customer who bought on two or more days (one gap per
//!   pair of consecutive days, so a customer with 5 purchase days contributes 4 gaps); take
//!   the median (the mean of the two middle gaps when their number is even). Undefined when
//!   no customer bought twice.
//! - The **new window** is that median, unless [`LifecycleParams::new_window_days`] overrides
//!   it.
//! - A customer was **lost at a month end** `M` (the last day of a calendar month) when more
//!   than `won_back_gap_factor` (default 3) × the median inter-purchase time, in days, had
//!   passed on `M` since their last purchase on or before `M`. This rule replaces refitting
//!   the model at every month end.
//! - A customer was **won back** when they bought again after having been lost at an earlier
//!   month end, and that return purchase lies in the last `won_back_within_months` (default
//!   12) calendar months before the observation end `E` (window `(E − 12 months, E]`). In
//!   practice: for two consecutive purchase days `a < b` with `b` in that window, let `M` be
//!   the last day of the month before `b`'s month; the customer is won back when
//!   `M − a > factor × median`.
//!
//! Each customer gets the **first** stage whose rule holds, in this order (the precedence):
//!
//! 1. `new`: the first purchase lies within the new window of the end:
//!    `E − first purchase ≤ new window` (days);
//! 2. `lost`: P(alive) < `lost_below` (default 0.2);
//! 3. `at_risk`: P(alive) < `at_risk_below` (default 0.6);
//! 4. `won_back`: won back, as above;
//! 5. `active`: everyone else.
//!
//! So a recently won-back customer whose P(alive) has fallen again shows as lost or at risk:
//! the stage answers "what should we do now?". Without a median (nobody bought twice and no
//! override), nobody is `new` or `won_back`.

use crate::retention::{MAX_MONTHS, RetentionError};
use crate::{Day, TransactionLog};

/// A customer's lifecycle stage (see the module docs for the rules and precedence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LifecycleStage {
    /// First purchase within one median inter-purchase time of the end.
    New,
    /// None of the other stages.
    Active,
    /// `lost_below ≤ P(alive) < at_risk_below`.
    AtRisk,
    /// `P(alive) < lost_below`.
    Lost,
    /// Bought again recently after a gap long enough to count as lost.
    WonBack,
}

impl LifecycleStage {
    /// All stages, in display order.
    pub const ALL: [LifecycleStage; 5] = [
        LifecycleStage::New,
        LifecycleStage::Active,
        LifecycleStage::WonBack,
        LifecycleStage::AtRisk,
        LifecycleStage::Lost,
    ];

    /// The stable key used in `customers.csv` and as the report's translation key: `new`,
    /// `active`, `at_risk`, `lost`, `won_back`.
    pub fn key(self) -> &'static str {
        match self {
            LifecycleStage::New => "new",
            LifecycleStage::Active => "active",
            LifecycleStage::AtRisk => "at_risk",
            LifecycleStage::Lost => "lost",
            LifecycleStage::WonBack => "won_back",
        }
    }

    /// The stage with this key, if any.
    pub fn from_key(key: &str) -> Option<LifecycleStage> {
        LifecycleStage::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// Thresholds of the lifecycle rules.
///
/// | parameter | default | meaning | range |
/// |---|---|---|---|
/// | `lost_below` | 0.2 | P(alive) below this is `lost` | 0 ≤ x ≤ `at_risk_below` |
/// | `at_risk_below` | 0.6 | P(alive) below this (and not lost) is `at_risk` | x ≤ 1 |
/// | `won_back_gap_factor` | 3.0 | a gap over this × median at a month end counts as lost | finite, > 0 |
/// | `won_back_within_months` | 12 | the return purchase must lie in these last months | 1–1200 |
/// | `new_window_days` | `None` | override of the new window (days); `None` = median | finite, ≥ 0 |
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LifecycleParams {
    /// P(alive) strictly below this is `lost`.
    pub lost_below: f64,
    /// P(alive) strictly below this (and not lost) is `at_risk`.
    pub at_risk_below: f64,
    /// Multiple of the median inter-purchase time after which a customer counts as lost at a
    /// month end.
    pub won_back_gap_factor: f64,
    /// The return purchase of a won-back customer must lie in this many last calendar months.
    pub won_back_within_months: u32,
    /// The new window in days; `None` uses the median inter-purchase time.
    pub new_window_days: Option<f64>,
}

impl Default for LifecycleParams {
    fn default() -> Self {
        LifecycleParams {
            lost_below: 0.2,
            at_risk_below: 0.6,
            won_back_gap_factor: 3.0,
            won_back_within_months: 12,
            new_window_days: None,
        }
    }
}

impl LifecycleParams {
    /// Checks the ranges in the table above.
    ///
    /// # Errors
    /// [`RetentionError::InvalidParameter`] naming the first parameter out of range.
    pub fn validate(&self) -> Result<(), RetentionError> {
        let bad = |name, value: String, expected| {
            Err(RetentionError::InvalidParameter {
                name,
                value,
                expected,
            })
        };
        if !(0.0..=1.0).contains(&self.at_risk_below) {
            return bad(
                "at_risk_below",
                self.at_risk_below.to_string(),
                "a probability in [0, 1]",
            );
        }
        if !(0.0..=self.at_risk_below).contains(&self.lost_below) {
            return bad(
                "lost_below",
                self.lost_below.to_string(),
                "a probability in [0, at_risk_below]",
            );
        }
        if !(self.won_back_gap_factor.is_finite() && self.won_back_gap_factor > 0.0) {
            return bad(
                "won_back_gap_factor",
                self.won_back_gap_factor.to_string(),
                "a finite number above 0",
            );
        }
        if self.won_back_within_months == 0 || self.won_back_within_months > MAX_MONTHS {
            return bad(
                "won_back_within_months",
                self.won_back_within_months.to_string(),
                "a whole number of months from 1 to 1200",
            );
        }
        if let Some(w) = self.new_window_days
            && !(w.is_finite() && w >= 0.0)
        {
            return bad(
                "new_window_days",
                w.to_string(),
                "a finite number of days ≥ 0",
            );
        }
        Ok(())
    }
}

/// The stages of all customers and the quantities the rules used.
#[derive(Debug, Clone, PartialEq)]
pub struct Lifecycle {
    /// The median inter-purchase time in days (`None` when nobody bought twice).
    pub median_gap_days: Option<f64>,
    /// The new window used, in days (`None`: nobody can be `new`).
    pub new_window_days: Option<f64>,
    /// The won-back gap threshold used, `factor × median`, in days (`None`: nobody can be
    /// `won_back`).
    pub won_back_gap_days: Option<f64>,
    /// One stage per customer, parallel to the log.
    pub stages: Vec<LifecycleStage>,
}

/// The median inter-purchase time in days over all customers' consecutive purchase days
/// (see the module docs); `None` when no customer bought on two days.
pub fn median_inter_purchase_days(log: &TransactionLog) -> Option<f64> {
    let mut gaps: Vec<i64> = log
        .customers()
        .iter()
        .flat_map(|c| {
            c.days
                .windows(2)
                .map(|w| w[1].day.0 as i64 - w[0].day.0 as i64)
        })
        .collect();
    let n = gaps.len();
    if n == 0 {
        return None;
    }
    let (_, &mut hi, _) = gaps.select_nth_unstable(n / 2);
    if n % 2 == 1 {
        return Some(hi as f64);
    }
    let lo = gaps[..n / 2].iter().copied().max().unwrap_or(hi);
    Some((lo as f64 + hi as f64) / 2.0)
}

/// The lifecycle stage of every customer of `log` at the end day `end` (normally the
/// observation end), given each customer's P(alive) from the fitted model, parallel to
/// [`TransactionLog::ids`]. Purchases after `end` are ignored.
///
/// # Errors
/// [`RetentionError::LengthMismatch`] when `p_alive` does not have one value per customer;
/// [`RetentionError::NotAProbability`] for a value outside [0, 1] or NaN;
/// [`RetentionError::InvalidParameter`] from [`LifecycleParams::validate`].
pub fn lifecycle_stages(
    log: &TransactionLog,
    end: Day,
    p_alive: &[f64],
    params: &LifecycleParams,
) -> Result<Lifecycle, RetentionError> {
    params.validate()?;
    check_p_alive(p_alive, log.len())?;
    let median = median_inter_purchase_days(log);
    let new_window = params.new_window_days.or(median);
    let won_back_gap = median.map(|m| m * params.won_back_gap_factor);
    let won_back_after = end.add_months(-(params.won_back_within_months as i32));
    let stages = log
        .customers()
        .iter()
        .zip(p_alive)
        .map(|(c, &p)| {
            let days = &c.days[..c.days.partition_point(|d| d.day <= end)];
            let Some(first) = days.first() else {
                return LifecycleStage::Active;
            };
            if new_window.is_some_and(|w| (end.0 as i64 - first.day.0 as i64) as f64 <= w) {
                LifecycleStage::New
            } else if p < params.lost_below {
                LifecycleStage::Lost
            } else if p < params.at_risk_below {
                LifecycleStage::AtRisk
            } else if won_back_gap.is_some_and(|g| {
                days.windows(2).any(|w| {
                    let (a, b) = (w[0].day, w[1].day);
                    let month_end = b.month_start().0 as i64 - 1;
                    b > won_back_after && (month_end - a.0 as i64) as f64 > g
                })
            }) {
                LifecycleStage::WonBack
            } else {
                LifecycleStage::Active
            }
        })
        .collect();
    Ok(Lifecycle {
        median_gap_days: median,
        new_window_days: new_window,
        won_back_gap_days: won_back_gap,
        stages,
    })
}

/// Checks that `p_alive` has `n` values, each a probability in [0, 1].
pub(crate) fn check_p_alive(p_alive: &[f64], n: usize) -> Result<(), RetentionError> {
    if p_alive.len() != n {
        return Err(RetentionError::LengthMismatch {
            what: "p_alive",
            expected: n,
            found: p_alive.len(),
        });
    }
    match p_alive
        .iter()
        .enumerate()
        .find(|(_, p)| !(0.0..=1.0).contains(*p))
    {
        Some((index, &value)) => Err(RetentionError::NotAProbability { index, value }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TransactionLogBuilder;
    use crate::retention::tests::{d, log_of};
    use LifecycleStage::*;

    #[test]
    fn median_gap_pooled_over_customers() {
        // a: gaps 10, 20; b: gap 30; c: one day (no gap) → median of {10, 20, 30} = 20.
        let log = log_of(
            &[
                ("a", "2024-01-01", 1),
                ("a", "2024-01-11", 1),
                ("a", "2024-01-31", 1),
                ("b", "2024-01-01", 1),
                ("b", "2024-01-31", 1),
                ("c", "2024-01-05", 1),
            ],
            None,
        );
        assert_eq!(median_inter_purchase_days(&log), Some(20.0));
        let even = log_of(
            &[
                ("a", "2024-01-01", 1),
                ("a", "2024-01-11", 1),
                ("a", "2024-01-31", 1),
            ],
            None,
        );
        assert_eq!(median_inter_purchase_days(&even), Some(15.0));
        let none = log_of(&[("a", "2024-01-01", 1), ("a", "2024-01-01", 1)], None);
        assert_eq!(median_inter_purchase_days(&none), None);
    }

    /// Median gap 30 days (won-back threshold 90 days), end 2024-12-31.
    fn fixture() -> TransactionLog {
        log_of(
            &[
                // new: first purchase 20 days before the end.
                ("n", "2024-12-11", 1),
                // regular monthly buyers: gaps of 30 days.
                ("r", "2024-01-01", 1),
                ("r", "2024-01-31", 1),
                ("r", "2024-03-01", 1),
                ("r", "2024-03-31", 1),
                // won back: 2024-01-10, nothing until 2024-06-05 (month end 2024-05-31 is 142
                // days after the last purchase > 90).
                ("w", "2024-01-10", 1),
                ("w", "2024-02-09", 1),
                ("w", "2024-06-05", 1),
                // long gap but crossing no month end far enough: 2024-08-02 → 2024-11-01:
                // last month end before 11-01 is 10-31, 90 days after 08-02: not > 90.
                ("x", "2024-07-03", 1),
                ("x", "2024-08-02", 1),
                ("x", "2024-11-01", 1),
                // won back too long ago: return purchase 2023-06-01 is before (2023-12-31, ...].
                ("o", "2022-01-01", 1),
                ("o", "2023-06-01", 1),
            ],
            Some("2024-12-31"),
        )
    }

    #[test]
    fn stages_and_precedence() {
        let log = fixture();
        let ids: Vec<&str> = log.ids().iter().map(|s| s.as_ref()).collect();
        assert_eq!(ids, vec!["n", "o", "r", "w", "x"]);
        let end = d("2024-12-31");
        let lc = lifecycle_stages(
            &log,
            end,
            &[0.9, 0.9, 0.9, 0.9, 0.9],
            &LifecycleParams::default(),
        )
        .unwrap();
        assert_eq!(lc.median_gap_days, Some(30.0));
        assert_eq!(lc.won_back_gap_days, Some(90.0));
        assert_eq!(lc.stages, vec![New, Active, Active, WonBack, Active]);
        // P(alive) thresholds; new wins over lost, lost/at_risk win over won_back.
        let lc = lifecycle_stages(
            &log,
            end,
            &[0.0, 0.19999, 0.2, 0.5, 0.6],
            &LifecycleParams::default(),
        )
        .unwrap();
        assert_eq!(lc.stages, vec![New, Lost, AtRisk, AtRisk, Active]);
        // A longer within-window makes "o" won back; a smaller factor makes "x" won back.
        let p = LifecycleParams {
            won_back_within_months: 24,
            won_back_gap_factor: 2.9,
            ..Default::default()
        };
        let lc = lifecycle_stages(&log, end, &[1.0; 5], &p).unwrap();
        assert_eq!(lc.stages, vec![New, WonBack, Active, WonBack, WonBack]);
        // Override of the new window.
        let p = LifecycleParams {
            new_window_days: Some(10.0),
            ..Default::default()
        };
        assert_eq!(
            lifecycle_stages(&log, end, &[1.0; 5], &p).unwrap().stages[0],
            Active
        );
    }

    #[test]
    fn degenerate_inputs() {
        let empty = TransactionLogBuilder::new(None).finish();
        let lc =
            lifecycle_stages(&empty, d("2024-01-01"), &[], &LifecycleParams::default()).unwrap();
        assert!(lc.stages.is_empty() && lc.median_gap_days.is_none());
        // All purchases on one day: no median, so nobody is new; stages from P(alive) only.
        let one_day = log_of(&[("a", "2024-05-05", 1), ("b", "2024-05-05", 2)], None);
        let lc = lifecycle_stages(
            &one_day,
            d("2024-05-05"),
            &[1.0, 0.1],
            &LifecycleParams::default(),
        )
        .unwrap();
        assert_eq!(lc.stages, vec![Active, Lost]);
        assert!(
            lifecycle_stages(
                &one_day,
                d("2024-05-05"),
                &[1.0],
                &LifecycleParams::default()
            )
            .is_err()
        );
        assert!(matches!(
            lifecycle_stages(
                &one_day,
                d("2024-05-05"),
                &[1.0, f64::NAN],
                &LifecycleParams::default()
            ),
            Err(RetentionError::NotAProbability { index: 1, .. })
        ));
        assert!(
            lifecycle_stages(
                &one_day,
                d("2024-05-05"),
                &[1.0, 1.5],
                &LifecycleParams::default()
            )
            .is_err()
        );
    }

    #[test]
    fn params_validated() {
        let ok = LifecycleParams::default();
        assert!(ok.validate().is_ok());
        for bad in [
            LifecycleParams {
                lost_below: 0.7,
                ..ok
            },
            LifecycleParams {
                at_risk_below: 1.1,
                ..ok
            },
            LifecycleParams {
                won_back_gap_factor: 0.0,
                ..ok
            },
            LifecycleParams {
                won_back_gap_factor: f64::INFINITY,
                ..ok
            },
            LifecycleParams {
                won_back_within_months: 0,
                ..ok
            },
            LifecycleParams {
                new_window_days: Some(-1.0),
                ..ok
            },
            LifecycleParams {
                lost_below: f64::NAN,
                ..ok
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        for s in LifecycleStage::ALL {
            assert_eq!(LifecycleStage::from_key(s.key()), Some(s));
        }
    }
}
