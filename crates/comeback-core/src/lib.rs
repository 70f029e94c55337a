//! # comeback-core
//!
//! The pure heart of Comeback: everything between "a row was read" and "a model is fitted"
//! that does not need a file, a socket or a clock.
//!
//! Principal types:
//! - [`Day`]: a business-local calendar day, stored as days since 1970-01-01.
//! - [`Amount`]: money as an exact integer number of millionths of the currency unit.
//! - [`TransactionLogBuilder`] → [`TransactionLog`]: a streaming group-by that collapses
//!   purchases on the same local day into one occasion (memory grows with distinct
//!   customer-days, never with rows).
//! - [`CustomerSummary`] / [`CalibrationHoldoutSummary`]: the exact frequency, recency, T and
//!   monetary value of the BTYD literature (Fader, Hardie & Lee 2005, §2).
//!
//! **Architecture invariant:** this crate does no I/O, reads no clock and knows nothing of
//! CSV, JSON, SQL or HTTP. Callers convert at the edge.
//!
//! ```
//! use comeback_core::{Amount, Day, TimeUnit, TransactionLogBuilder, SummaryOptions};
//! let mut b = TransactionLogBuilder::new(None);
//! let d = |s: &str| Day::parse_iso(s).unwrap();
//! b.add("c1", d("2024-01-01"), Amount::from_micros(10_000_000));
//! b.add("c1", d("2024-01-08"), Amount::from_micros(20_000_000));
//! let log = b.finish();
//! let opts = SummaryOptions { unit: TimeUnit::Weeks, ..SummaryOptions::default() };
//! let s = log.summarize(&opts);
//! assert_eq!(s.customers[0].frequency, 1);
//! assert_eq!(s.customers[0].recency, 1.0);
//! assert_eq!(s.customers[0].monetary_value, 20.0);
//! ```

mod actions;
mod charts;
mod cohort;
mod lifecycle;
mod money;
mod retention;
mod rfm;
mod summary;
mod time;

pub use actions::{
    AdvocateParams, ValueAtRisk, advocates_list, at_risk_list, value_at_risk,
    value_at_risk_given_alive, win_back_list,
};
pub use charts::{
    GridCell, Histogram, HistogramBucket, PAliveGrid, RecencyAxis, clv_histogram, histogram,
    nice_edges, p_alive_grid,
};
pub use cohort::{Cohort, CohortCell, CohortTable, cohort_table};
pub use lifecycle::{
    Lifecycle, LifecycleParams, LifecycleStage, lifecycle_stages, median_inter_purchase_days,
};
pub use money::{Amount, AmountError};
pub use retention::{
    Defection, MAX_MONTHS, RetentionError, Window, defection, defection_trend, historical_revenue,
    total_amount,
};
pub use rfm::{
    RFM_SEGMENT_MAP, RfmScore, RfmSegment, SegmentRule, SegmentStats, quintile_scores_by,
    rfm_scores, segment_stats,
};
pub use summary::{
    CalibrationHoldout, CalibrationHoldoutSummary, Collapse, CompactLog, CustomerDays,
    CustomerSummary, DayTotal, StreamedSummary, Summary, SummaryBuilder, SummaryError,
    SummaryOptions, SummaryRow, TransactionLog, TransactionLogBuilder, push_real,
};
pub use time::{Day, TimeUnit};
