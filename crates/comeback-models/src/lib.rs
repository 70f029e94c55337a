//! Probabilistic customer-base models (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB, Gamma-Gamma, sBG): likelihoods, fits, predictions, simulation. No I/O.

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
