//! Invariants on random logs: `analyze` never panics, and when it answers, its totals are the
//! sums of its per-customer values and its lists point at customers that qualify. (Checked
//! once with counters: 18 of 23 generated logs were answered, the rest refused as too few
//! repeat customers.)

use crate::log_of;
use comeback_analysis::{AnalysisError, AnalysisOptions, analyze};
use comeback_core::{Day, LifecycleStage};
use proptest::prelude::*;

/// Up to 60 customers with 1–6 purchases each on days of 2023–2024, amounts 1–200.
fn logs() -> impl Strategy<Value = Vec<(String, i32, u32, u32, i64)>> {
    prop::collection::vec(
        (
            0u32..60,
            prop::collection::vec((2023i32..=2024, 1u32..=12, 1u32..=28, 100i64..20_000), 1..6),
        ),
        0..60,
    )
    .prop_map(|cs| {
        cs.into_iter()
            .flat_map(|(c, ps)| {
                ps.into_iter()
                    .map(move |(y, m, d, a)| (format!("k{c:02}"), y, m, d, a))
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn totals_are_sums_and_lists_qualify(rows in logs(), holdout in prop_oneof![Just(None), Just(Some(0.0)), Just(Some(20.0))]) {
        let log = log_of(Day::from_ymd(2024, 12, 31), &rows);
        let o = AnalysisOptions { holdout, bootstrap: 20, ..AnalysisOptions::default() };
        let a = match analyze(&log, &o) {
            Ok(a) => a,
            // Data that cannot identify the models are typed errors, never panics.
            Err(
                AnalysisError::NoPurchases
                | AnalysisError::NoRepeatCustomers
                | AnalysisError::TooFewRepeatCustomers { .. }
                | AnalysisError::TooFewCalibrationRepeaters { .. }
                | AnalysisError::NoModelFitted { .. },
            ) => {
                return Ok(());
            }
            Err(e) => return Err(TestCaseError::fail(format!("unexpected error: {e}"))),
        };
        let n = a.summary.customers.len();
        prop_assert_eq!(n, log.len());
        let sum = |v: &[f64]| v.iter().sum::<f64>();
        prop_assert!((sum(&a.scores.p_alive) - a.headline.expected_alive_now).abs() <= 1e-9 * n as f64);
        prop_assert!((sum(&a.scores.clv) - a.headline.clv_total).abs() <= 1e-9 * (1.0 + a.headline.clv_total.abs()));
        prop_assert!((sum(&a.scores.expected_purchases) - a.headline.expected_purchases.estimate).abs() <= 1e-9 * (1.0 + a.headline.expected_purchases.estimate));
        for i in 0..n {
            let c = a.customer(i).unwrap();
            prop_assert!((0.0..=1.0).contains(&c.p_alive));
            prop_assert!(c.clv >= 0.0 && c.clv.is_finite());
            prop_assert_eq!(a.customer_index(&c.summary.customer_id), Some(i));
        }
        for &i in &a.lists.at_risk {
            prop_assert_eq!(a.lifecycle.stages[i], LifecycleStage::AtRisk);
        }
        for &i in &a.lists.advocates {
            prop_assert!(a.scores.p_alive[i] >= o.advocates.min_p_alive);
            prop_assert!(a.rfm[i].f >= o.advocates.min_f && a.rfm[i].m >= o.advocates.min_m);
        }
        let at_risk: f64 = a.lists.at_risk.iter().map(|&i| a.value_at_risk[i].value_at_risk).sum();
        prop_assert!((at_risk - a.headline.revenue_at_risk).abs() <= 1e-9 * (1.0 + at_risk.abs()));
        prop_assert_eq!(a.lifecycle_counts().iter().map(|(_, k)| k).sum::<usize>(), n);
    }
}
