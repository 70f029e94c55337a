//! Shared helpers: data files from `/data` at the repository root and the reference JSON.

use comeback_models::fit::{Rfm, RfmData};
use serde_json::Value;
use std::path::PathBuf;

/// Path of a file under the repository's `data/` folder.
pub fn data_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(rel)
}

/// A small CSV reader (the data files have no quoting): header and rows of f64.
pub fn read_csv(rel: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(data_path(rel)).expect("data file");
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let rows = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split(',')
                .map(|v| v.trim().parse::<f64>().expect("number"))
                .collect()
        })
        .collect();
    (header, rows)
}

/// The column `name` of a parsed CSV.
pub fn column(header: &[String], rows: &[Vec<f64>], name: &str) -> Vec<f64> {
    let i = header.iter().position(|h| h == name).expect("column");
    rows.iter().map(|r| r[i]).collect()
}

/// CDNOW calibration summary: (IDs, customers).
pub fn cdnow() -> (Vec<u32>, Vec<Rfm>) {
    let (h, rows) = read_csv("cdnow_customers_summary.csv");
    let ids = column(&h, &rows, "ID").iter().map(|v| *v as u32).collect();
    let x = column(&h, &rows, "frequency");
    let tx = column(&h, &rows, "recency");
    let t = column(&h, &rows, "T");
    let cs = comeback_models::fit::rfm_from_columns(&x, &tx, &t).unwrap();
    (ids, cs)
}

/// CDNOW as compressed fit data.
pub fn cdnow_data() -> RfmData {
    RfmData::new(&cdnow().1, None).unwrap()
}

/// The reference JSON.
pub fn reference() -> Value {
    let text = std::fs::read_to_string(data_path("reference/clv_reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A number at a JSON pointer.
pub fn num(v: &Value, pointer: &str) -> f64 {
    v.pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("no number at {pointer}"))
}

/// |a − b| ≤ tol·|b|, with a message.
#[track_caller]
pub fn assert_rel(a: f64, b: f64, tol: f64, what: &str) {
    let err = (a - b).abs() / b.abs().max(f64::MIN_POSITIVE);
    assert!(
        err <= tol,
        "{what}: got {a}, want {b} (rel err {err:.3e} > {tol:e})"
    );
}
