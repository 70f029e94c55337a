//! The analyze pipeline of Comeback, shared by `comeback analyze` and the server: from a
//! [`TransactionLog`](comeback_core::TransactionLog) to the model comparison and choice, per-customer scores (P(alive),
//! expected purchases, spend, CLV, RFM segment, lifecycle stage, value at risk), action lists,
//! the retention headline with its what-if, and the data of the report's charts.
//!
//! log → summary → calibration/holdout comparison of BG/NBD, MBG/NBD and Pareto/NBD
//! ([`models`]) → the chosen model refitted on all data → Gamma-Gamma for spend →
//! per-customer scores → action lists, headline numbers, chart data.
//!
//! Plain data out: no I/O, no clock, no serialisation. The CLI writes `summary.json`,
//! `customers.csv` and `report.html` from an [`Analysis`]; the server answers its customer,
//! action-list and metrics routes from the same values, so both agree exactly.
//!
//! ```
//! use comeback_analysis::{AnalysisOptions, analyze};
//! use comeback_core::{Amount, Day, TransactionLogBuilder};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut b = TransactionLogBuilder::new(Some(Day::from_ymd(2024, 12, 31).unwrap()));
//! for c in 0..40u32 {
//!     let id = format!("c{c:02}");
//!     for k in 0..(1 + c % 4) {
//!         let day = Day::from_ymd(2024, 1 + (c % 6) + 2 * k, 1 + c % 27).unwrap();
//!         b.add(&id, day, Amount::from_micros(10_000_000 + 1_000_000 * i64::from(c % 5)))?;
//!     }
//! }
//! let log = b.finish();
//! let options = AnalysisOptions { holdout: Some(0.0), bootstrap: 0, ..AnalysisOptions::default() };
//! let a = analyze(&log, &options)?;
//! assert_eq!(a.summary.customers.len(), 40);
//! let i = a.customer_index("c03").unwrap();
//! let c = a.customer(i).unwrap();
//! assert!((0.0..=1.0).contains(&c.p_alive) && c.clv >= 0.0);
//! # Ok(())
//! # }
//! ```

pub mod advocates;
pub mod contractual;
pub mod distinct;
pub mod economics;
mod from_summary;
pub mod loyalty;
pub mod models;
mod pipeline;
pub mod recovery_effect;

pub use from_summary::{OMITTED_SECTIONS, SummaryAnalysis, analyze_summary};
pub use pipeline::{
    ActionLists, Analysis, AnalysisNote, BOOTSTRAP_BUDGET, Charts, ClvSettings, CustomerScore,
    Headline, Interval, MIN_REPEAT_CUSTOMERS, Scores, SpendModel, Tracking, WhatIf, analyze,
    analyze_with_progress, analyze_with_summaries, comparison_calibration_end, comparison_model,
};

use comeback_core::{AdvocateParams, Day, LifecycleParams, RetentionError, SummaryError, TimeUnit};
use comeback_models::fit::{DataError, FitError, ParamError};
use comeback_models::purchase_model::PurchaseModelKind;
use std::time::Duration;

/// The knobs of the analysis; [`Default`] gives the defaults of `comeback analyze`.
///
/// The observation end is not a knob here: it belongs to the log (set where it is built,
/// `TransactionLogBuilder::new(Some(end))`), and T of every customer is measured to it.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisOptions {
    /// Unit of recency, T, horizon and holdout (default weeks).
    pub unit: TimeUnit,
    /// Forecast horizon for expected purchases and revenue, in `unit`s (default 52).
    pub horizon: f64,
    /// Holdout period of the model comparison, in `unit`s (the last part of the data is held
    /// out); `None`: a third of the observed span, rounded down to whole units; `Some(0.0)`
    /// compares the models on all data by BIC.
    pub holdout: Option<f64>,
    /// CLV: discount rate per discount period (default 0.01 = 1 % per month).
    pub discount_rate: f64,
    /// CLV: length of a discount period in `unit`s; `None`: one month (365.25/12 days).
    pub discount_period: Option<f64>,
    /// CLV: number of discount periods summed; `None`: the horizon in discount periods
    /// (52 weeks = 12 months, at least 1), so CLV and expected revenue cover the same time.
    pub clv_periods: Option<usize>,
    /// CLV: profit margin as a share of revenue (default 1 = revenue CLV).
    pub margin: f64,
    /// What-if: percentage points of 12-month survival added to the alive base (default 5).
    pub what_if_retention: f64,
    /// Lifecycle-stage rules (`lost_below` 0.2, `at_risk_below` 0.6, ...).
    pub lifecycle: LifecycleParams,
    /// Advocate rules (F ≥ 4, M ≥ 4, P(alive) ≥ 0.9).
    pub advocates: AdvocateParams,
    /// Purchase models compared, in this order (default all of [`PurchaseModelKind::ALL`]).
    pub models: Vec<PurchaseModelKind>,
    /// Parametric-bootstrap draws for the 95 % forecast intervals (default 200; 0 = none).
    pub bootstrap: usize,
    /// Row predictions the bootstrap may spend (draws × distinct (x, tₓ, T) rows); past it
    /// the draws are lowered, never below 50 (default [`BOOTSTRAP_BUDGET`]).
    pub bootstrap_budget: usize,
    /// Random seed of the bootstrap (default 42).
    pub seed: u64,
    /// Wall-clock budget of each model fit (default 60 s).
    pub fit_time_budget: Duration,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            unit: TimeUnit::Weeks,
            horizon: 52.0,
            holdout: None,
            discount_rate: 0.01,
            discount_period: None,
            clv_periods: None,
            margin: 1.0,
            what_if_retention: 5.0,
            lifecycle: LifecycleParams::default(),
            advocates: AdvocateParams::default(),
            models: PurchaseModelKind::ALL.to_vec(),
            bootstrap: 200,
            bootstrap_budget: BOOTSTRAP_BUDGET,
            seed: 42,
            fit_time_budget: Duration::from_secs(60),
        }
    }
}

impl AnalysisOptions {
    /// Checks the options that the pipeline does not check on its way.
    ///
    /// # Errors
    /// [`AnalysisError::InvalidOption`] when `horizon`, `margin`, `what_if_retention` or
    /// `holdout` is negative or not finite, when not 0 ≤ `lost_below` ≤ `at_risk_below` ≤ 1,
    /// or when `models` is empty.
    pub fn validate(&self) -> Result<(), AnalysisError> {
        let bad = |name: &'static str, value: f64, expected: &'static str| {
            Err(AnalysisError::InvalidOption {
                name,
                value: value.to_string(),
                expected,
            })
        };
        for (name, v) in [
            ("horizon", self.horizon),
            ("margin", self.margin),
            ("what_if_retention", self.what_if_retention),
            ("holdout", self.holdout.unwrap_or(0.0)),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(name, v, "a number ≥ 0");
            }
        }
        let (lost, at_risk) = (self.lifecycle.lost_below, self.lifecycle.at_risk_below);
        if !(0.0..=1.0).contains(&lost) {
            return bad("lost_below", lost, "in [0, 1]");
        }
        if !(lost..=1.0).contains(&at_risk) {
            return bad("at_risk_below", at_risk, "in [lost_below, 1]");
        }
        if self.models.is_empty() {
            return Err(AnalysisError::InvalidOption {
                name: "models",
                value: "none".to_string(),
                expected: "at least one model",
            });
        }
        Ok(())
    }
}

/// Why an analysis could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// An option is out of range.
    #[error("{name} must be {expected}, got {value}")]
    InvalidOption {
        /// Field of [`AnalysisOptions`].
        name: &'static str,
        /// The offending value.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// The log has no purchase.
    #[error("no purchases")]
    NoPurchases,
    /// Nobody bought on two different days.
    #[error(
        "no customer bought twice (on two different days): the models need repeat purchases to learn \
         how often customers come back"
    )]
    NoRepeatCustomers,
    /// Too few repeat customers to estimate four parameters.
    #[error(
        "only {repeaters} customers bought more than once ({customers} customers in all): the models \
         need at least {minimum} repeat customers to estimate how often customers buy and leave"
    )]
    TooFewRepeatCustomers {
        /// Customers with a repeat purchase.
        repeaters: usize,
        /// All customers.
        customers: usize,
        /// [`MIN_REPEAT_CUSTOMERS`].
        minimum: usize,
    },
    /// Too few repeat customers before the calibration end.
    #[error(
        "only {repeaters} customers bought twice before the calibration end {calibration_end}: use a \
         shorter holdout (now {holdout} {unit}) or a holdout of 0 to compare the models on all data"
    )]
    TooFewCalibrationRepeaters {
        /// Customers with a repeat purchase in the calibration period.
        repeaters: usize,
        /// Last calibration day.
        calibration_end: Day,
        /// The holdout, in `unit`s.
        holdout: f64,
        /// The time unit.
        unit: TimeUnit,
    },
    /// No candidate model could be fitted.
    #[error(
        "no purchase model could be fitted ({reasons}). The models need repeat customers: check that \
         the customer and date columns are right, use a longer period, or a shorter holdout"
    )]
    NoModelFitted {
        /// `Model: why` for every candidate, `; `-separated.
        reasons: String,
    },
    /// The fitted candidates could not be ranked.
    #[error("no purchase model could be compared")]
    NoModelCompared,
    /// The chosen model failed on all data after fitting on the calibration period.
    #[error("{model} could not be refitted on all data")]
    Refit {
        /// Display name of the model.
        model: &'static str,
        /// Why.
        #[source]
        source: FitError,
    },
    /// Invalid model rows.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Invalid model or CLV parameters.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The calibration/holdout split failed.
    #[error(transparent)]
    Summary(#[from] SummaryError),
    /// A retention computation rejected its input.
    #[error(transparent)]
    Retention(#[from] RetentionError),
    /// A summary given to [`analyze_with_summaries`] is not the summary of the log it came
    /// with (another snapshot, unit or calibration end).
    #[error("the given summary does not match the transaction log: {0}")]
    SummaryMismatch(String),
}
