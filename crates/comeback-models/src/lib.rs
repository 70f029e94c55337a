//! Probabilistic customer-base models (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB, Gamma-Gamma, sBG): likelihoods, fits, predictions, simulation. No I/O.

pub mod fit;
pub mod hyp2f1;
pub mod simulate;
pub mod transaction;
