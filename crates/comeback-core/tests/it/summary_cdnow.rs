//! The summary reproduces the published CDNOW calibration summary exactly
//! (data/cdnow_customers_summary*.csv, from lifetimes 0.11.3; see data/README.md).
//!
//! This test parses CDNOW_sample.txt with a trivial splitter so that it checks the summary
//! alone; the CLI test checks the same through the real ingest.

use crate::data_path;
use comeback_core::{Amount, Day, SummaryOptions, TimeUnit, TransactionLogBuilder};
use std::collections::HashMap;

fn amount(s: &str) -> Amount {
    let (i, f) = s.split_once('.').unwrap_or((s, ""));
    Amount::from_parts(false, i, f).unwrap()
}

fn build(observation_end: Option<Day>) -> comeback_core::TransactionLog {
    let text = std::fs::read_to_string(data_path("CDNOW_sample.txt")).unwrap();
    let mut b = TransactionLogBuilder::new(observation_end);
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let d = f[2];
        let day = Day::from_ymd(
            d[0..4].parse().unwrap(),
            d[4..6].parse().unwrap(),
            d[6..8].parse().unwrap(),
        )
        .unwrap();
        b.add(f[1], day, amount(f[4])).unwrap();
    }
    b.finish()
}

#[test]
fn cdnow_sample_calibration_summary_is_exact() {
    let end = Day::parse_iso("1997-09-30").unwrap();
    let log = build(Some(end));
    let s = log.summarize(&SummaryOptions {
        unit: TimeUnit::Weeks,
        ..Default::default()
    });
    assert_eq!(s.customers.len(), 2357);
    let by_id: HashMap<u32, &comeback_core::CustomerSummary> = s
        .customers
        .iter()
        .map(|c| (c.customer_id.parse().unwrap(), c))
        .collect();

    let want = std::fs::read_to_string(data_path("cdnow_customers_summary.csv")).unwrap();
    for line in want.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let c = by_id[&f[0].parse::<u32>().unwrap()];
        assert_eq!(
            c.frequency,
            f[1].parse::<u32>().unwrap(),
            "frequency of {}",
            f[0]
        );
        // The file rounds to 2 decimals.
        assert!(
            (c.recency - f[2].parse::<f64>().unwrap()).abs() <= 0.005 + 1e-9,
            "recency of {}",
            f[0]
        );
        assert!(
            (c.t - f[3].parse::<f64>().unwrap()).abs() <= 0.005 + 1e-9,
            "T of {}",
            f[0]
        );
    }
    let want = std::fs::read_to_string(data_path("cdnow_customers_summary_with_transactions.csv"))
        .unwrap();
    let mut max_diff: f64 = 0.0;
    for line in want.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let c = by_id[&f[0].parse::<u32>().unwrap()];
        let d = (c.monetary_value - f[4].parse::<f64>().unwrap()).abs();
        max_diff = max_diff.max(d);
        // ±0.005: the file rounds 78 half-cent ties up.
        assert!(
            d <= 0.005 + 1e-9,
            "zbar of {}: {} vs {}",
            f[0],
            c.monetary_value,
            f[4]
        );
    }
    assert!(
        max_diff > 0.0,
        "the shipped zbar is rounded, so some difference must exist"
    );
    let repeat: u32 = s.customers.iter().map(|c| c.frequency).sum();
    assert_eq!(
        repeat, 2457,
        "calibration repeat transactions quoted in FHL 2005"
    );
}

#[test]
fn cdnow_sample_holdout_counts() {
    let log = build(None);
    assert_eq!(log.observation_end(), Day::parse_iso("1998-06-30"));
    let cal = Day::parse_iso("1997-09-30").unwrap();
    let s = log
        .calibration_holdout(
            cal,
            &SummaryOptions {
                unit: TimeUnit::Weeks,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(s.customers.len(), 2357);
    assert_eq!(s.excluded_after_calibration, 0);
    assert_eq!(s.duration_holdout, 39.0);
    let cal_rep: u32 = s.customers.iter().map(|c| c.frequency_cal).sum();
    let hold: u32 = s.customers.iter().map(|c| c.frequency_holdout).sum();
    assert_eq!((cal_rep, hold), (2457, 1882));
}

#[test]
fn cdnow_master_repeat_counts() {
    let text = std::fs::read_to_string(data_path("CDNOW_master.txt")).unwrap();
    let mut b = TransactionLogBuilder::new(None);
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let d = f[1];
        let day = Day::from_ymd(
            d[0..4].parse().unwrap(),
            d[4..6].parse().unwrap(),
            d[6..8].parse().unwrap(),
        )
        .unwrap();
        b.add(f[0], day, amount(f[3])).unwrap();
    }
    let log = b.finish();
    assert_eq!(log.len(), 23570);
    assert_eq!(log.rows_kept(), 69659);
    let s = log
        .calibration_holdout(
            Day::parse_iso("1997-09-30").unwrap(),
            &SummaryOptions::default(),
        )
        .unwrap();
    let cal_rep: u32 = s.customers.iter().map(|c| c.frequency_cal).sum();
    let hold: u32 = s.customers.iter().map(|c| c.frequency_holdout).sum();
    assert_eq!((cal_rep, hold), (24337, 19684));
}
