//! Cohort retention table: acquisition month × months since acquisition (the layout of
//! ChartMogul's and Amplitude's retention heat maps; PRODUCT R2).
//!
//! # Definitions
//!
//! - A customer's **cohort** is the calendar month of their first purchase.
//! - **Months since acquisition** of a purchase: the number of calendar-month boundaries
//!   between the first purchase and it ([`Day::months_until`]): a customer first seen on
//!   2024-01-31 who buys on 2024-02-01 bought in month 1. Month 0 is the acquisition month
//!   itself.
//! - **n**: the number of customers in the cohort.
//! - **Active** in a cohort month: at least one purchase in that calendar month.
//!   **Share active** = active ÷ n, in [0, 1]; month 0 is always 1 (100 %), since every
//!   customer's first purchase lies in it.
//! - **Revenue** of a cohort month: the net day totals of the cohort's customers in that
//!   calendar month (exact).
//! - **Observation**: a row has one cell per month from the acquisition month up to and
//!   including the month that contains the observation end `E`. A cell is `complete` when its
//!   whole calendar month lies on or before `E`; only the month containing `E` can be
//!   incomplete (when `E` is not the last day of its month), and its counts cover the days up
//!   to `E` only. Charts should grey out or leave out incomplete cells; averages over cohorts
//!   should use complete cells only. Purchases after `E` are ignored; months in which nobody
//!   was acquired have no row.

use crate::retention::{RetentionError, to_amount};
use crate::{Amount, Day, TransactionLog};
use std::collections::BTreeMap;

/// One cell of the table: one cohort in one month since acquisition.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortCell {
    /// Months since acquisition (0 = acquisition month).
    pub months_since: u32,
    /// Customers of the cohort with at least one purchase in this month.
    pub active: usize,
    /// `active ÷ n`, in [0, 1] (1 in month 0).
    pub share_active: f64,
    /// Net revenue of the cohort's customers in this month (exact).
    pub revenue: Amount,
    /// False only for the month containing the observation end when the end is not its last
    /// day.
    pub complete: bool,
}

/// One row of the table: the customers acquired in one calendar month.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    /// Year of the acquisition month.
    pub year: i32,
    /// Acquisition month, 1–12.
    pub month: u32,
    /// The first day of the acquisition month.
    pub first_day: Day,
    /// n: number of customers acquired in this month.
    pub customers: usize,
    /// Cells for months 0, 1, … up to the month containing the observation end.
    pub cells: Vec<CohortCell>,
}

/// The cohort retention table (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct CohortTable {
    /// The observation end `E` used.
    pub observation_end: Day,
    /// Rows in chronological order of acquisition month.
    pub cohorts: Vec<Cohort>,
}

impl CohortTable {
    /// The largest number of cells in a row (the width of the heat map).
    pub fn width(&self) -> usize {
        self.cohorts
            .iter()
            .map(|c| c.cells.len())
            .max()
            .unwrap_or(0)
    }
}

/// Month index `year × 12 + month0`, for ordering and differences.
fn month_index(d: Day) -> i64 {
    let (y, m, _) = d.to_ymd();
    y as i64 * 12 + m as i64 - 1
}

/// The cohort retention table of `log` at the end day `end` (normally
/// [`TransactionLog::observation_end`]). Empty log → no rows.
///
/// Cost: one pass over the purchase days, plus one cell per cohort and month.
///
/// # Errors
/// [`RetentionError::Overflow`] when a cell's revenue leaves the exact range.
pub fn cohort_table(log: &TransactionLog, end: Day) -> Result<CohortTable, RetentionError> {
    let end_month = month_index(end);
    let end_is_month_end = Day(end.0.saturating_add(1)).month_start().0 == end.0.saturating_add(1);
    // cohort month index → (n, per-month (active, revenue micros))
    let mut rows: BTreeMap<i64, (usize, Vec<(usize, i128)>)> = BTreeMap::new();
    for c in log.customers() {
        let days = &c.days[..c.days.partition_point(|d| d.day <= end)];
        let Some(first) = days.first() else { continue };
        let cohort = month_index(first.day);
        let width = (end_month - cohort + 1).max(1) as usize;
        let row = rows
            .entry(cohort)
            .or_insert_with(|| (0, vec![(0, 0); width]));
        row.0 += 1;
        let mut last_counted = None;
        for d in days {
            let m = (month_index(d.day) - cohort) as usize;
            let Some(cell) = row.1.get_mut(m) else {
                continue;
            };
            if last_counted != Some(m) {
                cell.0 += 1;
                last_counted = Some(m);
            }
            cell.1 += d.amount.micros() as i128;
        }
    }
    let cohorts = rows
        .into_iter()
        .map(|(idx, (n, cells))| {
            let (year, month0) = (idx.div_euclid(12), idx.rem_euclid(12));
            let first_day = Day::from_ymd(year as i32, month0 as u32 + 1, 1).unwrap_or_default();
            let cells = cells
                .into_iter()
                .enumerate()
                .map(|(m, (active, rev))| {
                    Ok(CohortCell {
                        months_since: m as u32,
                        active,
                        share_active: active as f64 / n as f64,
                        revenue: to_amount(rev, "revenue of a cohort month")?,
                        complete: idx + (m as i64) < end_month || end_is_month_end,
                    })
                })
                .collect::<Result<Vec<_>, RetentionError>>()?;
            Ok(Cohort {
                year: year as i32,
                month: month0 as u32 + 1,
                first_day,
                customers: n,
                cells,
            })
        })
        .collect::<Result<Vec<_>, RetentionError>>()?;
    Ok(CohortTable {
        observation_end: end,
        cohorts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TransactionLogBuilder;
    use crate::retention::tests::{d, log_of, usd};
    use proptest::prelude::*;

    #[test]
    fn hand_computed_table() {
        let log = log_of(
            &[
                // January cohort: a, b, c.
                ("a", "2024-01-05", 10),
                ("a", "2024-01-20", 5),
                ("a", "2024-02-01", 7),
                ("a", "2024-03-15", 1),
                ("b", "2024-01-31", 20),
                ("b", "2024-02-01", 3),
                ("c", "2024-01-10", 4),
                // March cohort: d.
                ("d", "2024-03-02", 9),
            ],
            Some("2024-03-20"),
        );
        let t = cohort_table(&log, d("2024-03-20")).unwrap();
        assert_eq!(t.cohorts.len(), 2);
        let jan = &t.cohorts[0];
        assert_eq!(
            (jan.year, jan.month, jan.first_day, jan.customers),
            (2024, 1, d("2024-01-01"), 3)
        );
        let active: Vec<usize> = jan.cells.iter().map(|c| c.active).collect();
        assert_eq!(active, vec![3, 2, 1]);
        assert_eq!(jan.cells[0].share_active, 1.0);
        assert!((jan.cells[1].share_active - 2.0 / 3.0).abs() < 1e-15);
        let rev: Vec<Amount> = jan.cells.iter().map(|c| c.revenue).collect();
        assert_eq!(rev, vec![usd(39), usd(10), usd(1)]);
        let complete: Vec<bool> = jan.cells.iter().map(|c| c.complete).collect();
        assert_eq!(complete, vec![true, true, false]);
        let mar = &t.cohorts[1];
        assert_eq!((mar.month, mar.customers, mar.cells.len()), (3, 1, 1));
        assert!(!mar.cells[0].complete);
        assert_eq!(t.width(), 3);
        // Ending on a month's last day makes every cell complete; later purchases are ignored.
        let t = cohort_table(&log, d("2024-02-29")).unwrap();
        assert_eq!(t.cohorts.len(), 1);
        assert!(t.cohorts[0].cells.iter().all(|c| c.complete));
        assert_eq!(t.cohorts[0].cells.len(), 2);
    }

    #[test]
    fn degenerate() {
        let empty = TransactionLogBuilder::new(None).finish();
        let t = cohort_table(&empty, d("2024-01-01")).unwrap();
        assert!(t.cohorts.is_empty() && t.width() == 0);
        let one_day = log_of(&[("a", "2024-05-05", 1), ("b", "2024-05-05", 2)], None);
        let t = cohort_table(&one_day, d("2024-05-05")).unwrap();
        assert_eq!(t.cohorts.len(), 1);
        assert_eq!(
            t.cohorts[0].cells,
            vec![CohortCell {
                months_since: 0,
                active: 2,
                share_active: 1.0,
                revenue: usd(3),
                complete: false
            }]
        );
    }

    proptest! {
        #[test]
        fn shares_in_unit_interval_and_month0_is_one(
            rows in proptest::collection::vec((0u8..30, 0i32..800, 1i64..100), 1..200),
        ) {
            let mut b = TransactionLogBuilder::new(None);
            for (c, day, a) in &rows {
                b.add(&format!("c{c}"), Day(19_000 + day), usd(*a)).unwrap();
            }
            let log = b.finish();
            let end = log.observation_end().unwrap();
            let t = cohort_table(&log, end).unwrap();
            prop_assert_eq!(t.cohorts.iter().map(|c| c.customers).sum::<usize>(), log.len());
            let total: i64 = t.cohorts.iter().flat_map(|c| &c.cells).map(|c| c.revenue.micros()).sum();
            prop_assert_eq!(total, rows.iter().map(|r| r.2 * Amount::SCALE).sum::<i64>());
            for w in t.cohorts.windows(2) {
                prop_assert!(w[0].first_day < w[1].first_day);
            }
            for c in &t.cohorts {
                prop_assert_eq!(c.cells[0].share_active, 1.0);
                for (m, cell) in c.cells.iter().enumerate() {
                    prop_assert_eq!(cell.months_since as usize, m);
                    prop_assert!((0.0..=1.0).contains(&cell.share_active));
                    prop_assert!(cell.active <= c.customers);
                    // Only the last cell may be incomplete.
                    prop_assert!(cell.complete || m + 1 == c.cells.len());
                }
            }
        }
    }
}
