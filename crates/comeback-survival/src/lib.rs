//! Survival analysis for customer retention: how long customers stay, whether segments
//! differ, and what drives leaving.
//!
//! - [`kaplan_meier`] → [`KaplanMeier`]: the product-limit estimate S(t) with its at-risk
//!   table, Greenwood standard errors, pointwise log(−log) (default) or log intervals, and the
//!   median survival time with its interval.
//! - [`logrank`] → [`LogRank`]: the k-group log-rank test (chi-square, k − 1 degrees of
//!   freedom).
//! - [`fit_cox`] → [`CoxModel`]: Cox proportional hazards with Efron (default) or Breslow
//!   ties, fitted by Newton–Raphson with step halving: coefficients, standard errors, hazard
//!   ratios with intervals, likelihood-ratio test, Harrell's concordance, and the scaled
//!   Schoenfeld residual test of proportional hazards ([`PhTest`]) with a plain-language
//!   warning. [`Design`] builds the covariate matrix, with dummy coding of categorical
//!   covariates.
//! - [`time_to_lost`]: (duration, event) per customer of a [`comeback_core::TransactionLog`]
//!   under the stated "lost" rule for non-contractual businesses ([`LostRule`]).
//! - [`km_by_group`] → [`GroupedSurvival`]: a curve per segment and the log-rank test;
//!   [`first_purchase_terciles`] is the segment of the analyze report.
//!
//! ```
//! use comeback_survival::{kaplan_meier, KmOptions};
//! # fn main() -> Result<(), comeback_survival::SurvivalError> {
//! // Months until cancellation; `false` = still subscribed (censored).
//! let months = [1.0, 2.0, 2.0, 3.0, 5.0, 8.0];
//! let cancelled = [true, true, false, true, false, true];
//! let km = kaplan_meier(&months, &cancelled, &KmOptions::default())?;
//! assert!((km.survival_at(2.0) - 5.0 / 6.0 * 4.0 / 5.0).abs() < 1e-12);
//! assert_eq!(km.median, Some(3.0));
//! # Ok(()) }
//! ```
//!
//! Design decisions: every function takes plain slices (durations ≥ 0 in any one unit,
//! event flags) and validates them, returning [`SurvivalError`] instead of panicking or
//! producing NaN; results are plain data with public fields. Formulas cite their sources
//! (Kalbfleisch & Prentice 2002, *The Statistical Analysis of Failure Time Data*, 2nd ed.;
//! Klein & Moeschberger 2003, *Survival Analysis*, 2nd ed.; Therneau & Grambsch 2000,
//! *Modeling Survival Data*; Efron 1977, JASA 72; Harrell et al. 1982, JAMA 247;
//! Brookmeyer & Crowley 1982, Biometrics 38). Reference values come from lifelines and
//! statsmodels (`data/reference/survival/`).
//!
//! **Invariant:** no I/O, no clock; dependencies are core, statrs, libm and thiserror.

#![deny(missing_docs)]

mod cox;
mod error;
mod groups;
mod km;
mod linalg;
mod logrank;
mod lost;
mod stats;

pub use cox::{
    CoxModel, CoxOptions, Design, PhTest, PhTestRow, Ties, TimeTransform, concordance_index,
    fit_cox,
};
pub use error::SurvivalError;
pub use groups::{
    GroupCurve, GroupedSurvival, TERCILE_LABELS, first_purchase_terciles, km_by_group,
};
pub use km::{ConfidenceType, KaplanMeier, KmOptions, KmRow, kaplan_meier};
pub use logrank::{LogRank, LogRankGroup, logrank};
pub use lost::{LostRecord, LostRule, LostSummary, time_to_lost};

/// Checks durations and events: equal lengths, at least one subject, durations finite and
/// ≥ 0.
pub(crate) fn check_input(durations: &[f64], events: &[bool]) -> Result<(), SurvivalError> {
    if durations.len() != events.len() {
        return Err(SurvivalError::LengthMismatch {
            what: "events",
            expected: durations.len(),
            found: events.len(),
        });
    }
    if durations.is_empty() {
        return Err(SurvivalError::Empty);
    }
    if let Some((i, &d)) = durations
        .iter()
        .enumerate()
        .find(|(_, d)| !d.is_finite() || **d < 0.0)
    {
        return Err(SurvivalError::InvalidDuration { index: i, value: d });
    }
    Ok(())
}
