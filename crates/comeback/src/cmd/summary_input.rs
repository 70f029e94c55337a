//! Reading per-customer summary CSVs for `fit` and `predict`: the output of `comeback
//! summarize` (plain or calibration/holdout, with its `<file>.meta.json` sidecar for the time
//! unit) and the common BTYD column names.
//!
//! Column resolution, first match wins (or an explicit `--*-col` flag):
//!
//! | role | names |
//! |---|---|
//! | customer id | `customer_id`, `ID`, `id` (optional: row numbers otherwise) |
//! | frequency x | `frequency_cal`, `frequency`, `x` |
//! | recency tₓ | `recency_cal`, `recency`, `t_x` |
//! | age T (or opportunities n) | `T_cal`, `T`, `periods`, `n` |
//! | mean repeat spend | `monetary_value_cal`, `monetary_value`, `zbar` |
//! | weight | `weights`, `weight` |
//! | holdout actuals | `frequency_holdout`, `monetary_value_holdout`, `duration_holdout` |
//!
//! A file with `_cal` columns is a calibration/holdout summary: models are fitted on the
//! calibration columns and `predict` attaches the holdout actuals. Row numbers in errors are
//! 1-based data rows (line = row + 1).

use anyhow::{Context, Result, bail};
use comeback_models::fit::DataError;
use std::path::{Path, PathBuf};

/// Explicit column names (override the synonyms).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ColumnFlags {
    /// Column with the customer id.
    #[arg(long)]
    pub id_col: Option<String>,
    /// Column with the repeat-purchase frequency x.
    #[arg(long)]
    pub frequency_col: Option<String>,
    /// Column with the recency tₓ.
    #[arg(long)]
    pub recency_col: Option<String>,
    /// Column with the age T (BG/BB: the number of opportunities n).
    #[arg(long = "T-col", alias = "t-col")]
    pub t_col: Option<String>,
    /// Column with the mean repeat-purchase value.
    #[arg(long)]
    pub monetary_col: Option<String>,
    /// Column with row weights (number of customers with that row).
    #[arg(long)]
    pub weight_col: Option<String>,
}

/// A summary file read into columns.
#[derive(Debug, Clone)]
pub struct SummaryTable {
    /// The file.
    pub path: PathBuf,
    /// Time unit from the meta sidecar, when there is one.
    pub unit: Option<String>,
    /// Whether the file is a calibration/holdout summary.
    pub calibration: bool,
    /// Customer ids (row numbers when the file has none).
    pub ids: Vec<String>,
    /// Frequency x.
    pub frequency: Vec<f64>,
    /// Recency tₓ.
    pub recency: Vec<f64>,
    /// Age T (or n).
    pub t: Vec<f64>,
    /// Mean repeat spend, when present.
    pub monetary: Option<Vec<f64>>,
    /// Weights, when present.
    pub weights: Option<Vec<f64>>,
    /// Holdout frequency, when present.
    pub frequency_holdout: Option<Vec<f64>>,
    /// Holdout mean spend, when present.
    pub monetary_holdout: Option<Vec<f64>>,
    /// Holdout duration, when present.
    pub duration_holdout: Option<Vec<f64>>,
}

/// `<file>.meta.json`.
fn meta_path(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".meta.json");
    PathBuf::from(s)
}

/// The unit recorded in a summary's meta sidecar, if any.
pub fn read_unit(path: &Path) -> Result<Option<String>> {
    let mp = meta_path(path);
    if !mp.exists() {
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(&mp).with_context(|| format!("cannot read {}", mp.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", mp.display()))?;
    Ok(v.get("unit").and_then(|u| u.as_str()).map(str::to_string))
}

fn find(header: &[String], explicit: &Option<String>, names: &[&str]) -> Result<Option<usize>> {
    if let Some(name) = explicit {
        return match header.iter().position(|h| h == name) {
            Some(i) => Ok(Some(i)),
            None => bail!(
                "column \"{name}\" not found (columns: {})",
                header.join(", ")
            ),
        };
    }
    Ok(names
        .iter()
        .find_map(|n| header.iter().position(|h| h == n)))
}

/// Reads a summary CSV (`require_t`: BG/BB may name its T column `periods`).
pub fn read_summary(path: &Path, cols: &ColumnFlags) -> Result<SummaryTable> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let header: Vec<String> = rdr
        .headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?
        .iter()
        .map(str::to_string)
        .collect();
    let need = |i: Option<usize>, what: &str, names: &[&str]| -> Result<usize> {
        i.with_context(|| {
            format!(
                "{}: no {what} column (looked for {}; columns: {}); name it with a --*-col flag",
                path.display(),
                names.join(", "),
                header.join(", ")
            )
        })
    };
    let id_names = ["customer_id", "ID", "id"];
    let f_names = ["frequency_cal", "frequency", "x"];
    let r_names = ["recency_cal", "recency", "t_x"];
    let t_names = ["T_cal", "T", "periods", "n"];
    let m_names = ["monetary_value_cal", "monetary_value", "zbar"];
    let w_names = ["weights", "weight"];
    let id_i = find(&header, &cols.id_col, &id_names)?;
    let f_i = need(
        find(&header, &cols.frequency_col, &f_names)?,
        "frequency",
        &f_names,
    )?;
    let r_i = need(
        find(&header, &cols.recency_col, &r_names)?,
        "recency",
        &r_names,
    )?;
    let t_i = need(find(&header, &cols.t_col, &t_names)?, "T", &t_names)?;
    let m_i = find(&header, &cols.monetary_col, &m_names)?;
    let w_i = find(&header, &cols.weight_col, &w_names)?;
    let fh_i = find(&header, &None, &["frequency_holdout"])?;
    let mh_i = find(&header, &None, &["monetary_value_holdout"])?;
    let dh_i = find(&header, &None, &["duration_holdout"])?;
    let calibration = header.iter().any(|h| h.ends_with("_cal"));

    let mut t = SummaryTable {
        path: path.to_path_buf(),
        unit: read_unit(path)?,
        calibration,
        ids: Vec::new(),
        frequency: Vec::new(),
        recency: Vec::new(),
        t: Vec::new(),
        monetary: m_i.map(|_| Vec::new()),
        weights: w_i.map(|_| Vec::new()),
        frequency_holdout: fh_i.map(|_| Vec::new()),
        monetary_holdout: mh_i.map(|_| Vec::new()),
        duration_holdout: dh_i.map(|_| Vec::new()),
    };
    for (k, rec) in rdr.records().enumerate() {
        let row = k + 1;
        let rec = rec.with_context(|| format!("{}: data row {row}", path.display()))?;
        let get = |i: usize| -> Result<f64> {
            let s = rec.get(i).unwrap_or("");
            s.parse::<f64>().with_context(|| {
                format!(
                    "{}: data row {row}, column {}: \"{s}\" is not a number",
                    path.display(),
                    header[i]
                )
            })
        };
        t.ids.push(match id_i {
            Some(i) => rec.get(i).unwrap_or("").to_string(),
            None => row.to_string(),
        });
        t.frequency.push(get(f_i)?);
        t.recency.push(get(r_i)?);
        t.t.push(get(t_i)?);
        for (col, v) in [
            (m_i, &mut t.monetary),
            (w_i, &mut t.weights),
            (fh_i, &mut t.frequency_holdout),
            (mh_i, &mut t.monetary_holdout),
            (dh_i, &mut t.duration_holdout),
        ] {
            if let (Some(i), Some(v)) = (col, v.as_mut()) {
                v.push(get(i)?);
            }
        }
    }
    if t.ids.is_empty() {
        bail!("{}: no data rows", path.display());
    }
    Ok(t)
}

/// The 0-based row a model-crate data error names, if any.
fn error_row(e: &DataError) -> Option<usize> {
    match e {
        DataError::NotFinite { row, .. }
        | DataError::Negative { row, .. }
        | DataError::NotInteger { row, .. }
        | DataError::RecencyAfterT { row, .. }
        | DataError::RecencyWithoutRepeat { row, .. }
        | DataError::BadWeight { row, .. }
        | DataError::Invalid { row, .. } => Some(*row),
        DataError::LengthMismatch(..) | DataError::Empty => None,
    }
}

impl SummaryTable {
    /// Restates a model-crate data error with the file, 1-based data row and customer id.
    pub fn explain(&self, e: DataError) -> anyhow::Error {
        match error_row(&e) {
            Some(row) => {
                let msg = e.to_string();
                let detail = msg.split_once(": ").map_or(msg.as_str(), |(_, d)| d);
                anyhow::anyhow!(
                    "{}: data row {} (customer {}): {detail}",
                    self.path.display(),
                    row + 1,
                    self.ids.get(row).map_or("?", String::as_str)
                )
            }
            None => anyhow::anyhow!("{}: {e}", self.path.display()),
        }
    }

    /// Time unit for display and JSON (`null` when the file has no sidecar).
    pub fn unit_json(&self) -> serde_json::Value {
        self.unit.as_ref().map_or(serde_json::Value::Null, |u| {
            serde_json::Value::String(u.clone())
        })
    }
}
