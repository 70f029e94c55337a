//! Integration tests of comeback-models (one binary; one module per model or topic).

mod common;

mod bgnbd;
mod extremes;
mod others;
mod pareto_nbd;
mod properties;
mod robustness;
