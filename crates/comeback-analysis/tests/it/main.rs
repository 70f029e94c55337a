//! Integration tests of `comeback_analysis`: CDNOW against published and lifetimes values,
//! the PRODUCT R8 defection fixture, errors, and invariants on random logs.

mod cdnow;
mod fixtures;
mod invariants;
mod loyalty;
mod recovery_effect;

use comeback_core::{Amount, Day, TransactionLog, TransactionLogBuilder};
use std::path::{Path, PathBuf};

/// Path of a file in the repository's `data/` folder.
pub fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

/// A log from (customer, year, month, day, amount in cents) rows.
pub fn log_of(end: Option<Day>, rows: &[(String, i32, u32, u32, i64)]) -> TransactionLog {
    let mut b = TransactionLogBuilder::new(end);
    for (c, y, m, d, cents) in rows {
        let day = Day::from_ymd(*y, *m, *d).expect("valid date");
        b.add(c, day, Amount::from_micros(cents * 10_000)).unwrap();
    }
    b.finish()
}

/// `|a − b| / |b|`.
pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}
