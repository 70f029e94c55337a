//! Probabilistic customer-base models (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB, Gamma-Gamma, sBG): likelihoods, fits, predictions, simulation. No I/O.
//!
//! Principal types:
//! - [`fit::Rfm`] / [`fit::RfmData`]: validated customer summaries (x, tₓ, T), compressed
//!   into weighted distinct rows; errors name the offending row.
//! - [`fit::FitOptions`] → `Model::fit(&data, &opts)` → [`fit::Fitted`] `{ model, report }`:
//!   hyper-parameters are separate from the fitted model; [`fit::FitReport`] carries the
//!   estimates, standard errors, 95 % intervals, log-likelihood, AIC/BIC and convergence.
//! - [`transaction::TransactionModel`]: P(alive), E[X(t)], E[Y(t) | x, tₓ, T], P(X(t) = n),
//!   DERT, implemented by [`bgnbd::BgNbd`], [`bgnbd::MbgNbd`], [`pareto_nbd::ParetoNbd`] and
//!   [`bgbb::BgBb`]; [`transaction::clv`] combines one with a
//!   [`gamma_gamma::GammaGamma`] spend; [`sbg::Sbg`] is the contractual model;
//!   [`diagnostics`] returns goodness-of-fit data.
//!
//! ```
//! use comeback_models::bgnbd::BgNbd;
//! use comeback_models::fit::{FitOptions, Rfm, RfmData};
//! use comeback_models::transaction::{ClvOptions, TransactionModel, clv};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let data = RfmData::from_columns(
//!     &[0.0, 0.0, 1.0, 2.0, 5.0, 0.0, 3.0, 1.0],
//!     &[0.0, 0.0, 3.0, 10.0, 30.0, 0.0, 20.0, 30.0],
//!     &[39.0, 35.0, 38.0, 39.0, 36.0, 30.0, 33.0, 39.0],
//!     None,
//! )?;
//! let fitted = BgNbd::fit(&data, &FitOptions::default())?;
//! assert!(fitted.report.log_likelihood.is_finite());
//!
//! // Predictions at published parameters (FHL 2005) for a customer with x = 2, tₓ = 30.43, T = 38.86.
//! let m = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
//! let c = Rfm::new(2.0, 30.43, 38.86)?;
//! assert!((0.0..=1.0).contains(&m.p_alive(&c)));
//! let next_year = m.conditional_expected_purchases(&c, 52.0);
//! let value = clv(&m, &c, 24.66, &ClvOptions::new(1.0, 0.01, 4.345, 12)?);
//! assert!(next_year > 0.0 && value > 0.0);
//! # Ok(())
//! # }
//! ```

pub mod bgbb;
pub mod bgnbd;
pub mod diagnostics;
pub mod fit;
pub mod gamma_gamma;
pub mod hyp2f1;
mod math;
pub mod pareto_nbd;
pub mod purchase_model;
pub mod sbg;
pub mod simulate;
pub mod transaction;
