//! Defection and what it costs (PRODUCT R8), and each customer's historical revenue.
//!
//! # Definitions
//!
//! - A **window** of `k` months ending on day `E` is the set of days `d` with
//!   `E − k months < d ≤ E`: the start is *exclusive*, the end *inclusive*. "`E − k` months"
//!   is a calendar shift ([`Day::add_months`]): the same day of the month `k` months earlier,
//!   clamped to the length of that month (2024-03-31 − 1 month = 2024-02-29). A 12-month
//!   window ending 2025-12-31 is 2025-01-01 ..= 2025-12-31.
//! - A customer is **active** in a window when they made at least one purchase (one occasion)
//!   on a day of the window.
//! - With the observation end `E` and a window length of `k` months (12 by default), the
//!   **previous window** is `(E − 2k months, E − k months]` and the **current window** is
//!   `(E − k months, E]`; the two are contiguous and do not overlap.
//! - **Customers lost** (`customers_lost_12m` for k = 12): customers active in the previous
//!   window and not active in the current window.
//! - **Defection rate** (`defection_rate_12m`): customers lost ÷ customers active in the
//!   previous window. Undefined (`None`) when nobody was active in the previous window.
//! - **Revenue lost** (`revenue_lost_12m`): what the lost customers spent in the previous
//!   window: the sum of their net day totals (purchases minus refunds of the same day) on the
//!   days of the previous window, exact to the micro.
//! - **Historical revenue** of a customer: the sum of all their net day totals in the log.
//!
//! Worked example (PRODUCT R8): 700 customers each spend $300 in 2024; 560 of them buy again
//! in 2025. At `E` = 2025-12-31 with `k` = 12: 700 active in the previous window, 140 lost,
//! rate 20 %, revenue lost $42,000.

use crate::{Amount, Day, TransactionLog};

/// Longest window or step accepted, in months (100 years).
pub const MAX_MONTHS: u32 = 1200;

/// Why a retention-analytics function refused its input. Shared by the retention, RFM,
/// lifecycle, action-list, cohort and chart functions.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RetentionError {
    /// Two inputs that must be parallel (one value per customer) differ in length.
    #[error("{what} has {found} values but there are {expected} customers")]
    LengthMismatch {
        /// The input that has the wrong length, e.g. `p_alive`.
        what: &'static str,
        /// The number of customers.
        expected: usize,
        /// Its length.
        found: usize,
    },
    /// A P(alive) value outside [0, 1] or not a number.
    #[error("p_alive of customer #{index} is {value}, expected a probability in [0, 1]")]
    NotAProbability {
        /// Position of the customer.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A value that must be a finite number is infinite or NaN.
    #[error("{what} of customer #{index} is {value}, expected a finite number")]
    NotFinite {
        /// The input, e.g. `clv`.
        what: &'static str,
        /// Position of the customer.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A parameter outside its range.
    #[error("{name} is {value}, expected {expected}")]
    InvalidParameter {
        /// The parameter name.
        name: &'static str,
        /// The offending value, formatted.
        value: String,
        /// The accepted range, in words.
        expected: &'static str,
    },
    /// A sum of money left the exact range of [`Amount`] (±9.2 × 10¹² currency units).
    #[error("the {what} overflows (more than 9.2e12)")]
    Overflow {
        /// What was being summed.
        what: &'static str,
    },
}

/// A window of calendar days `(after, through]`: `after` is excluded, `through` included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    /// The day just before the window (excluded).
    pub after: Day,
    /// The last day of the window (included).
    pub through: Day,
}

impl Window {
    /// The `months`-month window ending on `end` (inclusive): `(end − months, end]`.
    pub fn months_ending(end: Day, months: u32) -> Window {
        Window {
            after: end.add_months(-(months.min(MAX_MONTHS) as i32)),
            through: end,
        }
    }

    /// The first day of the window.
    pub fn first_day(self) -> Day {
        Day(self.after.0.saturating_add(1))
    }

    /// True when `day` lies in the window.
    pub fn contains(self, day: Day) -> bool {
        day > self.after && day <= self.through
    }

    /// Number of days in the window (0 if `through ≤ after`).
    pub fn len_days(self) -> u32 {
        (self.through.0 as i64 - self.after.0 as i64).max(0) as u32
    }
}

/// Defection measured at one end date (see the module docs for the definitions).
#[derive(Debug, Clone, PartialEq)]
pub struct Defection {
    /// The end date `E` (inclusive), normally the observation end.
    pub end: Day,
    /// Window length `k` in calendar months.
    pub window_months: u32,
    /// The previous window `(E − 2k months, E − k months]`.
    pub previous: Window,
    /// The current window `(E − k months, E]`.
    pub current: Window,
    /// Customers active in the previous window (the denominator).
    pub active_previous: usize,
    /// Customers active in the current window (whether or not they were active before).
    pub active_current: usize,
    /// Customers active in both windows.
    pub retained: usize,
    /// Customers active in the previous window and not in the current one.
    pub customers_lost: usize,
    /// `customers_lost ÷ active_previous`, in [0, 1]; `None` when `active_previous` is 0.
    pub rate: Option<f64>,
    /// Net revenue of all customers active in the previous window, over that window.
    pub revenue_previous: Amount,
    /// Net revenue of the lost customers over the previous window (exact).
    pub revenue_lost: Amount,
    /// Positions (in the log) of the lost customers, ascending, i.e. in customer-id order.
    pub lost: Vec<usize>,
}

fn check_months(name: &'static str, months: u32) -> Result<(), RetentionError> {
    if months == 0 || months > MAX_MONTHS {
        return Err(RetentionError::InvalidParameter {
            name,
            value: months.to_string(),
            expected: "a whole number of months from 1 to 1200",
        });
    }
    Ok(())
}

/// Defection over the `window_months` months ending on `end` (inclusive), compared with the
/// `window_months` months before (see the module docs). Use `window_months = 12`
/// for `defection_rate_12m`, `customers_lost_12m` and `revenue_lost_12m`; `end` is normally
/// [`TransactionLog::observation_end`]. Purchases after `end` are ignored. An empty log
/// gives zero counts and `rate = None`.
///
/// Cost: one binary search per customer, O(customers × log(days per customer)).
///
/// # Errors
/// [`RetentionError::InvalidParameter`] when `window_months` is 0 or above 1200;
/// [`RetentionError::Overflow`] when a revenue sum leaves the exact range.
///
/// # Examples
/// PRODUCT R8: 700 customers spend $300 each in 2024, 560 of them buy again in 2025.
/// ```
/// use comeback_core::{Amount, Day, TransactionLogBuilder, defection};
/// let d = |s: &str| Day::parse_iso(s).unwrap();
/// let usd300 = Amount::from_micros(300_000_000);
/// let mut b = TransactionLogBuilder::new(Some(d("2025-12-31")));
/// for i in 0..700 {
///     let id = format!("c{i}");
///     b.add(&id, d("2024-03-01"), usd300)?;
///     if i < 560 {
///         b.add(&id, d("2025-03-01"), usd300)?;
///     }
/// }
/// let r = defection(&b.finish(), d("2025-12-31"), 12)?;
/// assert_eq!(r.customers_lost, 140);
/// assert_eq!(r.revenue_lost.to_string(), "42000.00");
/// assert_eq!(r.rate, Some(0.2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn defection(
    log: &TransactionLog,
    end: Day,
    window_months: u32,
) -> Result<Defection, RetentionError> {
    check_months("window_months", window_months)?;
    let k = window_months as i32;
    let current = Window {
        after: end.add_months(-k),
        through: end,
    };
    let previous = Window {
        after: end.add_months(-2 * k),
        through: current.after,
    };
    let mut active_previous = 0usize;
    let mut active_current = 0usize;
    let mut retained = 0usize;
    let mut revenue_previous: i128 = 0;
    let mut revenue_lost: i128 = 0;
    let mut lost = Vec::new();
    for (i, c) in log.customers().iter().enumerate() {
        let days = &c.days;
        let lo = days.partition_point(|d| d.day <= previous.after);
        let mid = days.partition_point(|d| d.day <= previous.through);
        let hi = days.partition_point(|d| d.day <= current.through);
        let was_active = mid > lo;
        let is_active = hi > mid;
        active_current += usize::from(is_active);
        if !was_active {
            continue;
        }
        active_previous += 1;
        let spent: i128 = days[lo..mid]
            .iter()
            .map(|d| d.amount.micros() as i128)
            .sum();
        revenue_previous += spent;
        if is_active {
            retained += 1;
        } else {
            revenue_lost += spent;
            lost.push(i);
        }
    }
    let customers_lost = lost.len();
    Ok(Defection {
        end,
        window_months,
        previous,
        current,
        active_previous,
        active_current,
        retained,
        customers_lost,
        rate: (active_previous > 0).then(|| customers_lost as f64 / active_previous as f64),
        revenue_previous: to_amount(revenue_previous, "revenue of the previous window")?,
        revenue_lost: to_amount(revenue_lost, "revenue lost")?,
        lost,
    })
}

/// The same measure at several end dates, for a trend chart: `points` end dates
/// `end − (points − 1)·step_months, …, end − step_months, end` (calendar shifts of `end`),
/// returned in chronological order. Points whose previous window starts before the data do
/// so silently: read `active_previous` (0 gives `rate = None`) or choose `points` so that
/// `end − (points − 1)·step − 2·window` is not before the first purchase.
///
/// # Errors
/// As [`defection`]; also [`RetentionError::InvalidParameter`] when `step_months` is 0 or
/// above 1200, or when `points` is 0 or the trend would reach back more than 1200 months.
pub fn defection_trend(
    log: &TransactionLog,
    end: Day,
    window_months: u32,
    step_months: u32,
    points: usize,
) -> Result<Vec<Defection>, RetentionError> {
    check_months("window_months", window_months)?;
    check_months("step_months", step_months)?;
    let reach = (points as u64)
        .saturating_sub(1)
        .saturating_mul(step_months as u64);
    if points == 0 || reach > MAX_MONTHS as u64 {
        return Err(RetentionError::InvalidParameter {
            name: "points",
            value: points.to_string(),
            expected: "at least 1, reaching back at most 1200 months",
        });
    }
    (0..points)
        .rev()
        .map(|i| {
            defection(
                log,
                end.add_months(-((i as u64 * step_months as u64) as i32)),
                window_months,
            )
        })
        .collect()
}

/// Each customer's historical revenue: the sum of their net day totals in the log (every
/// purchase kept by the builder, i.e. up to the observation end), parallel to
/// [`TransactionLog::ids`].
///
/// # Errors
/// [`RetentionError::Overflow`] when a customer's total leaves the exact range.
pub fn historical_revenue(log: &TransactionLog) -> Result<Vec<Amount>, RetentionError> {
    log.customers()
        .iter()
        .map(|c| {
            let s: i128 = c.days.iter().map(|d| d.amount.micros() as i128).sum();
            to_amount(s, "historical revenue of a customer")
        })
        .collect()
}

/// The exact sum of amounts (e.g. total historical revenue of all customers).
///
/// # Errors
/// [`RetentionError::Overflow`] when the sum leaves the exact range.
pub fn total_amount(amounts: &[Amount]) -> Result<Amount, RetentionError> {
    to_amount(amounts.iter().map(|a| a.micros() as i128).sum(), "total")
}

pub(crate) fn to_amount(micros: i128, what: &'static str) -> Result<Amount, RetentionError> {
    i64::try_from(micros)
        .map(Amount::from_micros)
        .map_err(|_| RetentionError::Overflow { what })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::TransactionLogBuilder;
    use proptest::prelude::*;

    pub(crate) fn d(s: &str) -> Day {
        Day::parse_iso(s).unwrap()
    }

    pub(crate) fn usd(x: i64) -> Amount {
        Amount::from_micros(x * Amount::SCALE)
    }

    pub(crate) fn log_of(rows: &[(&str, &str, i64)], end: Option<&str>) -> TransactionLog {
        let mut b = TransactionLogBuilder::new(end.map(d));
        for (c, day, a) in rows {
            b.add(c, d(day), usd(*a)).unwrap();
        }
        b.finish()
    }

    /// PRODUCT R8: 700 customers × $300 in year 1, 560 buy again in year 2.
    fn fixture_700() -> TransactionLog {
        let mut b = TransactionLogBuilder::new(Some(d("2025-12-31")));
        let start = d("2024-01-01");
        for i in 0..700 {
            let id = format!("c{i:03}");
            // $300 in year 1 as two purchases spread over the year.
            b.add(&id, Day(start.0 + (i % 180)), usd(100)).unwrap();
            b.add(&id, Day(start.0 + 180 + (i % 185)), usd(200))
                .unwrap();
            if i < 560 {
                b.add(&id, Day(d("2025-01-01").0 + (i % 365)), usd(50))
                    .unwrap();
            }
        }
        b.finish()
    }

    #[test]
    fn product_r8_fixture() {
        let log = fixture_700();
        let r = defection(&log, d("2025-12-31"), 12).unwrap();
        assert_eq!(
            r.previous,
            Window {
                after: d("2023-12-31"),
                through: d("2024-12-31")
            }
        );
        assert_eq!(
            r.current,
            Window {
                after: d("2024-12-31"),
                through: d("2025-12-31")
            }
        );
        assert_eq!(r.active_previous, 700);
        assert_eq!(r.retained, 560);
        assert_eq!(r.active_current, 560);
        assert_eq!(r.customers_lost, 140);
        assert_eq!(r.revenue_lost, usd(42_000));
        assert_eq!(r.revenue_previous, usd(210_000));
        assert_eq!(r.rate, Some(0.2));
        assert_eq!(r.lost.len(), 140);
        assert_eq!(log.ids()[r.lost[0]].as_ref(), "c560");
    }

    #[test]
    fn window_boundaries_are_exclusive_start_inclusive_end() {
        // a buys on the first day of the previous window and the last day of the current one;
        // b buys on the previous window's excluded start day only; c buys on its last day only.
        let log = log_of(
            &[
                ("a", "2024-01-01", 1),
                ("a", "2025-12-31", 1),
                ("b", "2023-12-31", 5),
                ("c", "2024-12-31", 7),
            ],
            Some("2025-12-31"),
        );
        let r = defection(&log, d("2025-12-31"), 12).unwrap();
        assert_eq!(r.active_previous, 2);
        assert_eq!(r.retained, 1);
        assert_eq!(r.lost, vec![2]);
        assert_eq!(r.revenue_lost, usd(7));
        assert_eq!(r.rate, Some(0.5));
    }

    #[test]
    fn leap_day_end_and_short_windows() {
        let w = Window::months_ending(d("2024-02-29"), 12);
        assert_eq!(w.after, d("2023-02-28"));
        assert_eq!(w.len_days(), 366);
        assert!(w.contains(d("2023-03-01")) && !w.contains(d("2023-02-28")));
        let log = log_of(
            &[
                ("a", "2024-01-15", 3),
                ("a", "2024-03-15", 3),
                ("b", "2024-02-10", 4),
            ],
            None,
        );
        let r = defection(&log, d("2024-03-31"), 1).unwrap();
        assert_eq!(
            r.previous,
            Window {
                after: d("2024-01-31"),
                through: d("2024-02-29")
            }
        );
        assert_eq!(
            (r.active_previous, r.customers_lost, r.revenue_lost),
            (1, 1, usd(4))
        );
        assert_eq!(r.active_current, 1);
    }

    #[test]
    fn empty_and_degenerate() {
        let empty = TransactionLogBuilder::new(None).finish();
        let r = defection(&empty, d("2025-01-01"), 12).unwrap();
        assert_eq!((r.active_previous, r.customers_lost, r.rate), (0, 0, None));
        assert_eq!(r.revenue_lost, Amount::default());
        let one_day = log_of(&[("a", "2024-05-05", 1), ("b", "2024-05-05", 2)], None);
        let r = defection(&one_day, d("2024-05-05"), 12).unwrap();
        assert_eq!((r.active_previous, r.rate), (0, None));
        assert_eq!(r.active_current, 2);
        assert!(defection(&one_day, d("2024-05-05"), 0).is_err());
        assert!(defection(&one_day, d("2024-05-05"), 1201).is_err());
    }

    #[test]
    fn trend_is_chronological_and_matches_single_points() {
        let log = fixture_700();
        let t = defection_trend(&log, d("2025-12-31"), 12, 3, 3).unwrap();
        let ends: Vec<Day> = t.iter().map(|x| x.end).collect();
        assert_eq!(
            ends,
            vec![d("2025-06-30"), d("2025-09-30"), d("2025-12-31")]
        );
        assert_eq!(t[2], defection(&log, d("2025-12-31"), 12).unwrap());
        assert!(defection_trend(&log, d("2025-12-31"), 12, 1, 0).is_err());
        assert!(defection_trend(&log, d("2025-12-31"), 12, 0, 2).is_err());
        assert!(defection_trend(&log, d("2025-12-31"), 12, 600, 4).is_err());
    }

    #[test]
    fn revenue_and_totals() {
        let log = log_of(
            &[
                ("a", "2024-01-01", 10),
                ("a", "2024-01-01", -3),
                ("a", "2024-02-01", 5),
                ("b", "2024-01-01", 1),
            ],
            None,
        );
        let rev = historical_revenue(&log).unwrap();
        assert_eq!(rev, vec![usd(12), usd(1)]);
        assert_eq!(total_amount(&rev).unwrap(), usd(13));
        assert!(total_amount(&[Amount::from_micros(i64::MAX), Amount::from_micros(1)]).is_err());
    }

    proptest! {
        #[test]
        fn rate_in_unit_interval(
            rows in proptest::collection::vec((0u8..20, 0i32..1500, 1i64..1000), 0..200),
            k in 1u32..30,
        ) {
            let mut b = TransactionLogBuilder::new(None);
            for (c, day, a) in &rows {
                b.add(&format!("c{c}"), Day(19_000 + day), usd(*a)).unwrap();
            }
            let log = b.finish();
            let end = log.observation_end().unwrap_or(Day(20_000));
            let r = defection(&log, end, k).unwrap();
            prop_assert_eq!(r.active_previous, r.retained + r.customers_lost);
            prop_assert!(r.retained <= r.active_current);
            if let Some(rate) = r.rate {
                prop_assert!((0.0..=1.0).contains(&rate));
            } else {
                prop_assert_eq!(r.active_previous, 0);
            }
            prop_assert!(r.revenue_lost <= r.revenue_previous);
        }
    }
}
