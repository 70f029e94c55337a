//! Integration tests of comeback-survival: reference values from lifelines and statsmodels
//! (`data/reference/survival/reference.py` → `reference.json`) and properties.
#![allow(missing_docs)]

mod props;
mod reference;

use std::path::PathBuf;

/// `data/reference/survival/<name>`.
pub fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/reference/survival")
        .join(name)
}

/// A small CSV data set: header and rows of optional numbers (blank = missing).
pub struct Csv {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Option<f64>>>,
}

impl Csv {
    pub fn read(name: &str) -> Csv {
        let text = std::fs::read_to_string(data_path(name)).unwrap();
        let mut lines = text.lines();
        let header = lines
            .next()
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect();
        let rows = lines
            .filter(|l| !l.is_empty())
            .map(|l| {
                l.split(',')
                    .map(|f| {
                        if f.is_empty() {
                            None
                        } else {
                            f.parse::<f64>().ok()
                        }
                    })
                    .collect()
            })
            .collect();
        Csv { header, rows }
    }

    pub fn col(&self, name: &str) -> usize {
        self.header.iter().position(|h| h == name).unwrap()
    }

    /// Rows with every one of `cols` present.
    pub fn complete(&self, cols: &[&str]) -> Vec<Vec<Option<f64>>> {
        let idx: Vec<usize> = cols.iter().map(|c| self.col(c)).collect();
        self.rows
            .iter()
            .filter(|r| idx.iter().all(|&i| r[i].is_some()))
            .cloned()
            .collect()
    }
}

/// Reads a text column (for the waltons group labels).
pub fn text_column(name: &str, col: &str) -> Vec<String> {
    let text = std::fs::read_to_string(data_path(name)).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let i = header.iter().position(|h| *h == col).unwrap();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').nth(i).unwrap().to_string())
        .collect()
}

pub fn reference() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(data_path("reference.json")).unwrap()).unwrap()
}
