//! Invariants of the summary, by property tests: order does not matter; 0 ≤ recency ≤ T;
//! monetary value ≥ 0 and 0 exactly when frequency is 0; refunds net into their own day.

use comeback_core::{
    Amount, Collapse, Day, SummaryOptions, TimeUnit, TransactionLog, TransactionLogBuilder,
};
use proptest::prelude::*;

fn log_of(rows: &[(u8, i32, i64)], end: Option<Day>) -> TransactionLog {
    let mut b = TransactionLogBuilder::new(end);
    for &(c, d, a) in rows {
        b.add(&format!("c{c}"), Day(10_000 + d), Amount::from_micros(a))
            .unwrap();
    }
    b.finish()
}

fn rows() -> impl Strategy<Value = Vec<(u8, i32, i64)>> {
    prop::collection::vec((0u8..20, 0i32..400, 0i64..500_000_000), 1..200)
}

/// Rows with refunds (negative amounts) as well, so customers can have refund-only days.
fn rows_with_refunds() -> impl Strategy<Value = Vec<(u8, i32, i64)>> {
    prop::collection::vec((0u8..20, 0i32..400, -100_000_000i64..500_000_000), 0..200)
}

proptest! {
    /// The server's incremental refit: a log of the earlier rows, with the customers of a
    /// later batch replaced by a log of all their rows, is the log of all rows (ids, day
    /// totals, observation end), with or without a fixed end.
    #[test]
    fn replace_customers_equals_full_rebuild(
        earlier in rows_with_refunds(),
        batch in rows_with_refunds(),
        fixed_end in prop::option::of(0i32..450),
    ) {
        let end = fixed_end.map(|e| Day(10_000 + e));
        let all: Vec<_> = earlier.iter().chain(&batch).copied().collect();
        let full = log_of(&all, end);
        let mut touched: Vec<String> = batch.iter().map(|r| format!("c{}", r.0)).collect();
        touched.sort();
        touched.dedup();
        let touched_rows: Vec<_> = all
            .iter()
            .filter(|r| touched.contains(&format!("c{}", r.0)))
            .copied()
            .collect();
        let merged = log_of(&earlier, end).replace_customers(&touched, log_of(&touched_rows, end), end);
        prop_assert_eq!(merged.ids(), full.ids());
        prop_assert_eq!(merged.customers(), full.customers());
        prop_assert_eq!(merged.observation_end(), full.observation_end());
        // Row counters are those of the two reads.
        prop_assert_eq!(merged.rows_kept(), log_of(&earlier, end).rows_kept() + log_of(&touched_rows, end).rows_kept());
    }

    #[test]
    fn shuffled_log_gives_identical_summary(mut r in rows(), seed in any::<u64>(), unit in 0usize..3, collapse in 0usize..3) {
        let opts = SummaryOptions {
            unit: [TimeUnit::Days, TimeUnit::Weeks, TimeUnit::Months][unit],
            collapse: [Collapse::Day, Collapse::Week, Collapse::Month][collapse],
        };
        let a = log_of(&r, None).summarize(&opts);
        // Deterministic shuffle (Fisher–Yates with an LCG) so the property is replayable.
        let mut s = seed;
        for i in (1..r.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            r.swap(i, (s >> 33) as usize % (i + 1));
        }
        let b = log_of(&r, None).summarize(&opts);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn summary_invariants(r in rows(), end_off in 0i32..500) {
        let end = Day(10_000 + end_off);
        let log = log_of(&r, Some(end));
        let s = log.summarize(&SummaryOptions::default());
        let kept = r.iter().filter(|x| x.1 <= end_off).count() as u64;
        prop_assert_eq!(log.rows_kept(), kept);
        prop_assert_eq!(log.rows_after_end(), r.len() as u64 - kept);
        for c in &s.customers {
            prop_assert!(c.recency >= 0.0 && c.recency <= c.t);
            prop_assert!(c.monetary_value >= 0.0);
            if c.frequency == 0 {
                prop_assert_eq!((c.monetary_value, c.recency), (0.0, 0.0));
            } else {
                prop_assert!(c.recency > 0.0);
            }
        }
        // Split at any calibration end: holdout + calibration occasions = all occasions.
        let cal = Day(10_000 + end_off / 2);
        let ch = log.calibration_holdout(cal, &SummaryOptions::default()).unwrap();
        for c in &ch.customers {
            let full = s.customers.iter().find(|x| x.customer_id == c.customer_id).unwrap();
            prop_assert_eq!(c.frequency_cal + c.frequency_holdout, full.frequency);
            prop_assert!(c.recency_cal <= c.t_cal);
        }
        prop_assert_eq!(ch.customers.len() + ch.excluded_after_calibration, s.customers.len());
    }
}

#[test]
fn same_day_rows_are_one_occasion_and_refunds_net() {
    let log = log_of(
        &[
            (1, 0, 10_000_000),
            (1, 0, 5_000_000),
            (1, 7, 20_000_000),
            (1, 7, -4_000_000),
            (2, 3, -1_000_000),
        ],
        None,
    );
    let s = log.summarize(&SummaryOptions {
        unit: TimeUnit::Weeks,
        ..Default::default()
    });
    assert_eq!(s.customers.len(), 1, "customer 2 has a refund only");
    let c = &s.customers[0];
    assert_eq!(
        (c.frequency, c.recency, c.t, c.monetary_value),
        (1, 1.0, 1.0, 16.0)
    );
    assert_eq!(log.refund_only_days(), (1, Amount::from_micros(-1_000_000)));
    assert_eq!(log.refund_rows(), 2);
}

#[test]
fn week_and_month_collapse() {
    // 2024-01-01 is a Monday (day 19723). Purchases Mon, Wed, next Mon, and in February.
    let d = |s: &str| Day::parse_iso(s).unwrap();
    let mut b = TransactionLogBuilder::new(Some(d("2024-02-29")));
    for (day, a) in [
        ("2024-01-01", 1),
        ("2024-01-03", 2),
        ("2024-01-08", 3),
        ("2024-02-10", 4),
    ] {
        b.add("x", d(day), Amount::from_micros(a * 1_000_000))
            .unwrap();
    }
    let log = b.finish();
    let w = log.summarize(&SummaryOptions {
        unit: TimeUnit::Days,
        collapse: Collapse::Week,
    });
    // Weeks: Jan 1 (3), Jan 8 (3), Feb 5 (4) → frequency 2, recency Jan 1 → Feb 5 = 35 days,
    // T = week of Feb 29 (Mon Feb 26) − Jan 1 = 56 days.
    assert_eq!(
        (
            w.customers[0].frequency,
            w.customers[0].recency,
            w.customers[0].t
        ),
        (2, 35.0, 56.0)
    );
    assert_eq!(w.customers[0].monetary_value, 3.5);
    let m = log.summarize(&SummaryOptions {
        unit: TimeUnit::Days,
        collapse: Collapse::Month,
    });
    assert_eq!(
        (
            m.customers[0].frequency,
            m.customers[0].recency,
            m.customers[0].t
        ),
        (1, 31.0, 31.0)
    );
    assert_eq!(m.customers[0].monetary_value, 4.0);
}

#[test]
fn calibration_after_end_is_an_error() {
    let log = log_of(&[(1, 0, 1)], None);
    let e = log
        .calibration_holdout(Day(10_001), &SummaryOptions::default())
        .unwrap_err();
    assert!(
        e.to_string().contains("is after the observation end"),
        "{e}"
    );
}
