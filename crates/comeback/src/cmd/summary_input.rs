//! Reading per-customer summaries for `fit`, `predict` and `analyze --summary`: the output
//! of `comeback summarize` as CSV or Parquet (plain or calibration/holdout, with its
//! `<file>.meta.json` sidecar for the time unit), and the common BTYD column names.
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

/// Reads a summary file: Parquet (by name or magic bytes, as for transactions), else CSV.
pub fn read_summary(path: &Path, cols: &ColumnFlags) -> Result<SummaryTable> {
    if super::ingest_args::is_parquet(path) {
        return read_summary_parquet(path, cols);
    }
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    read_summary_from(file, path, read_unit(path)?, cols)
}

/// Reads a Parquet summary: its columns as text cells (integers, reals in their shortest
/// round-trip form, strings), then the same column names and checks as a CSV summary.
#[cfg(feature = "parquet")]
fn read_summary_parquet(path: &Path, cols: &ColumnFlags) -> Result<SummaryTable> {
    let name = path.display().to_string();
    let table = comeback_parquet::TextTable::open(path, &name)?;
    let header = table.header().to_vec();
    let records = table.map(|row| {
        let mut rec = csv::StringRecord::from(row?);
        rec.trim();
        Ok(rec)
    });
    read_summary_records(header, records, path, read_unit(path)?, cols)
}

/// Without the `parquet` feature: refuses.
#[cfg(not(feature = "parquet"))]
fn read_summary_parquet(path: &Path, _cols: &ColumnFlags) -> Result<SummaryTable> {
    bail!(
        "{}: this build of comeback has no Parquet support (cargo feature `parquet`)",
        path.display()
    )
}

/// Reads a summary in CSV form from `input`; `path` names it in errors, `unit` is its time
/// unit when known.
pub fn read_summary_from(
    input: impl std::io::Read,
    path: &Path,
    unit: Option<String>,
    cols: &ColumnFlags,
) -> Result<SummaryTable> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let header: Vec<String> = rdr
        .headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?
        .iter()
        .map(str::to_string)
        .collect();
    let records = rdr
        .into_records()
        .enumerate()
        .map(|(k, rec)| rec.with_context(|| format!("{}: data row {}", path.display(), k + 1)));
    read_summary_records(header, records, path, unit, cols)
}

/// The summary from a header and its data rows (CSV records, or Parquet rows as text).
fn read_summary_records(
    header: Vec<String>,
    records: impl Iterator<Item = Result<csv::StringRecord>>,
    path: &Path,
    unit: Option<String>,
    cols: &ColumnFlags,
) -> Result<SummaryTable> {
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
        unit,
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
    for (k, rec) in records.enumerate() {
        let row = k + 1;
        let rec = rec?;
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

/// Where `fit`, `predict` and `analyze --summary` read a summary from besides a file: the
/// result of a query in PostgreSQL (for example the query of `comeback sql --dialect
/// postgres`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DatabaseSource {
    /// PostgreSQL URL (postgres://user@host:port/db) to read the summary from with --query,
    /// instead of a file.
    #[arg(long, requires = "query")]
    pub database_url: Option<String>,
    /// SQL query whose result is the summary (the columns of `comeback summarize`); `@FILE`
    /// reads it from a file.
    #[arg(long, requires = "database_url")]
    pub query: Option<String>,
    /// Time unit of the query's recency and T (days, weeks, months), recorded in outputs.
    #[arg(id = "query_unit", long = "query-unit", requires = "query")]
    pub unit: Option<comeback_core::TimeUnit>,
}

/// The summary from a file, or from the database query when one is given (not both).
pub fn load_summary(
    file: Option<&Path>,
    db: &DatabaseSource,
    cols: &ColumnFlags,
) -> Result<SummaryTable> {
    match (file, &db.database_url, &db.query) {
        (Some(_), Some(_), _) => {
            bail!("give a summary file or --database-url with --query, not both")
        }
        (Some(path), None, _) => read_summary(path, cols),
        (None, Some(url), Some(query)) => {
            let query = match query.strip_prefix('@') {
                Some(f) => std::fs::read_to_string(f)
                    .with_context(|| format!("--query: cannot read {f}"))?,
                None => query.clone(),
            };
            read_summary_postgres(url, &query, db.unit.map(|u| u.as_str().to_string()), cols)
        }
        _ => bail!("no summary: give a summary file, or --database-url with --query"),
    }
}

/// Runs `query` in PostgreSQL and reads its result as a summary table.
///
/// The result travels as CSV (`COPY (query) TO STDOUT WITH (FORMAT csv, HEADER)`), so every
/// column type PostgreSQL can print is accepted and read with the same column names and
/// checks as a summary file; reals arrive in PostgreSQL's shortest round-trip form
/// (`extra_float_digits` ≥ 1, the default since PostgreSQL 12). Errors name the query as
/// `postgres query` with the data row.
pub fn read_summary_postgres(
    url: &str,
    query: &str,
    unit: Option<String>,
    cols: &ColumnFlags,
) -> Result<SummaryTable> {
    use futures_util::StreamExt;
    use sqlx::Connection;
    let scheme = url.split_once("://").map_or("", |(s, _)| s);
    if !matches!(scheme, "postgres" | "postgresql") {
        bail!(
            "--database-url: only PostgreSQL is read with --query (postgres://user@host:port/db), \
             not {url:?}; for another engine print its query with `comeback sql --dialect ...`, \
             run it there and give the result as a CSV or Parquet file"
        );
    }
    // COPY takes one SELECT in parentheses: without a trailing `;`.
    let q = query.trim().trim_end_matches(';').trim_end();
    if q.is_empty() {
        bail!("--query is empty");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let bytes = rt.block_on(async {
        let mut conn = sqlx::PgConnection::connect(url)
            .await
            .context("--database-url: cannot connect")?;
        sqlx::query("SET extra_float_digits = 1")
            .execute(&mut conn)
            .await
            .context("--database-url")?;
        let mut out = Vec::new();
        {
            let mut stream = conn
                .copy_out_raw(&format!("COPY ({q}\n) TO STDOUT WITH (FORMAT csv, HEADER)"))
                .await
                .context("--query")?;
            while let Some(chunk) = stream.next().await {
                out.extend_from_slice(&chunk.context("--query")?);
            }
        }
        conn.close().await.ok();
        anyhow::Ok(out)
    })?;
    read_summary_from(bytes.as_slice(), Path::new("postgres query"), unit, cols)
}
