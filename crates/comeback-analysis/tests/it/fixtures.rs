//! Small hand-made logs: the PRODUCT R8 defection fixture, errors, option checks.

use crate::log_of;
use comeback_analysis::{AnalysisError, AnalysisOptions, MIN_REPEAT_CUSTOMERS, analyze};
use comeback_core::{Day, LifecycleParams, LifecycleStage, TransactionLogBuilder};

/// PRODUCT R8 (article 002): 700 customers spending $300 in year 1, 560 of whom buy again in
/// year 2 → 140 customers and $42,000 lost, a defection rate of 20 % (the CLI test builds
/// the same file).
#[test]
fn defection_700_customers_140_lost_42000() {
    let mut rows = Vec::new();
    for i in 0..700u32 {
        let k = 1 + i % 3;
        for j in 0..k {
            rows.push((
                format!("c{i:03}"),
                2023,
                1 + (i + 4 * j) % 12,
                1 + (i * 5 + j) % 28,
                (30_000 / i64::from(k)),
            ));
        }
        if i < 560 {
            for j in 0..1 + (i * 7) % 4 {
                rows.push((
                    format!("c{i:03}"),
                    2024,
                    1 + (i * 7 + 3 * j) % 12,
                    1 + (i * 3 + j) % 28,
                    25_000,
                ));
            }
        }
    }
    let log = log_of(Day::from_ymd(2024, 12, 31), &rows);
    let o = AnalysisOptions {
        holdout: Some(0.0),
        bootstrap: 0,
        ..AnalysisOptions::default()
    };
    let a = analyze(&log, &o).unwrap();
    assert_eq!(a.defection.customers_lost, 140);
    assert_eq!(a.defection.active_previous, 700);
    assert_eq!(a.defection.rate, Some(0.2));
    assert_eq!(a.defection.revenue_lost.to_f64(), 42_000.0);
    assert_eq!(a.holdout, 0.0);
    assert!(a.calibration.is_none());
    let counts: usize = a.lifecycle_counts().iter().map(|(_, n)| n).sum();
    assert_eq!(counts, 700);
    // Everyone on the win-back list is lost, and the list is by historical revenue.
    for w in a.lists.win_back.windows(2) {
        assert!(a.historical_revenue[w[0]] >= a.historical_revenue[w[1]]);
    }
    for &i in &a.lists.win_back {
        assert_eq!(a.lifecycle.stages[i], LifecycleStage::Lost);
    }
}

fn repeat_log(repeaters: u32, once: u32) -> comeback_core::TransactionLog {
    let mut rows = Vec::new();
    for i in 0..repeaters {
        rows.push((format!("r{i}"), 2024, 1, 1 + i % 28, 1000));
        rows.push((format!("r{i}"), 2024, 3, 1 + i % 28, 1000));
    }
    for i in 0..once {
        rows.push((format!("o{i}"), 2024, 2, 1 + i % 28, 1000));
    }
    log_of(None, &rows)
}

#[test]
fn data_that_cannot_identify_the_models_are_errors() {
    let o = AnalysisOptions::default();
    let empty = TransactionLogBuilder::new(None).finish();
    assert!(matches!(
        analyze(&empty, &o),
        Err(AnalysisError::NoPurchases)
    ));
    assert!(matches!(
        analyze(&repeat_log(0, 5), &o),
        Err(AnalysisError::NoRepeatCustomers)
    ));
    let few = (MIN_REPEAT_CUSTOMERS - 1) as u32;
    let e = analyze(&repeat_log(few, 5), &o).unwrap_err();
    assert!(
        matches!(e, AnalysisError::TooFewRepeatCustomers { repeaters, customers, minimum }
            if repeaters == 9 && customers == 14 && minimum == 10),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "only 9 customers bought more than once (14 customers in all): the models need at least 10 \
         repeat customers to estimate how often customers buy and leave"
    );
}

#[test]
fn invalid_options_are_named_with_their_value() {
    let log = repeat_log(20, 5);
    let check = |o: AnalysisOptions, want: &str| {
        let e = analyze(&log, &o).unwrap_err();
        assert!(matches!(e, AnalysisError::InvalidOption { .. }), "{e}");
        assert_eq!(e.to_string(), want);
    };
    check(
        AnalysisOptions {
            horizon: -1.0,
            ..AnalysisOptions::default()
        },
        "horizon must be a number ≥ 0, got -1",
    );
    check(
        AnalysisOptions {
            holdout: Some(f64::NAN),
            ..AnalysisOptions::default()
        },
        "holdout must be a number ≥ 0, got NaN",
    );
    check(
        AnalysisOptions {
            lifecycle: LifecycleParams {
                lost_below: 0.5,
                at_risk_below: 0.4,
                ..LifecycleParams::default()
            },
            ..AnalysisOptions::default()
        },
        "at_risk_below must be in [lost_below, 1], got 0.4",
    );
    check(
        AnalysisOptions {
            models: Vec::new(),
            ..AnalysisOptions::default()
        },
        "models must be at least one model, got none",
    );
}
