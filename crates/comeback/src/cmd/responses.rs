//! The NPS answers file of `loyalty --responses` and `analyze --responses`: each customer's
//! latest 0–10 answer to "how likely are you to recommend us?", joined to the transaction
//! file's customers.
//!
//! The file is a delimited file with a header (read with `comeback_ingest::table`, so a bad
//! value is an error naming file, line and column): one row per answer, a customer id column
//! (`--response-id-col`, default `customer_id`) and a score column (`--response-score-col`,
//! default `score`; whole numbers 0–10; blank = no answer, skipped). When the file has the
//! date column (`--response-date-col`, default `date`), a customer's latest answer is the one
//! with the latest date (a blank date counts as older than any date; among equal dates the
//! later row wins); without it, the customer's last row. Answers of customers who are not in
//! the transaction file are counted and left out.

use anyhow::Result;
use comeback_ingest::{DateFormat, Delimiter, RowProblem, TableOptions, read_table_path};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Flags of an NPS answers file.
#[derive(Debug, Clone, clap::Args)]
pub struct ResponsesArgs {
    /// NPS answers file (customer id and 0–10 score per row; each customer's latest answer
    /// counts): adds NPS with the adjusted-Wald interval (Rocks 2016).
    #[arg(long, value_name = "RESPONSES.csv")]
    pub responses: Option<PathBuf>,
    /// Customer id column of the answers file.
    #[arg(long, default_value = "customer_id", value_name = "COL")]
    pub response_id_col: String,
    /// 0–10 score column of the answers file.
    #[arg(long, default_value = "score", value_name = "COL")]
    pub response_score_col: String,
    /// Answer date column of the answers file, used (when the file has it) to pick each
    /// customer's latest answer.
    #[arg(long, default_value = "date", value_name = "COL")]
    pub response_date_col: String,
    /// Date format of the answer dates: `auto` (ISO 8601, %Y%m%d) or a strftime form.
    #[arg(long, default_value = "auto")]
    pub response_date_format: DateFormat,
}

/// Each customer's latest answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answers {
    /// The file's name as given.
    pub file: String,
    /// Rows with a score.
    pub answered_rows: usize,
    /// Latest score (0–10) by customer id.
    pub latest: HashMap<String, u8>,
}

impl Answers {
    /// The latest answer of each id of `ids` (`None`: no answer), and how many answering
    /// customers are not among `ids` (which must be sorted).
    pub fn join(&self, ids: &[impl AsRef<str>]) -> (Vec<Option<u8>>, usize) {
        let joined: Vec<Option<u8>> = ids
            .iter()
            .map(|id| self.latest.get(id.as_ref()).copied())
            .collect();
        let unknown = self
            .latest
            .keys()
            .filter(|k| {
                ids.binary_search_by(|x| x.as_ref().cmp(k.as_str()))
                    .is_err()
            })
            .count();
        (joined, unknown)
    }
}

impl ResponsesArgs {
    /// Reads the answers file, if one was given.
    ///
    /// # Errors
    /// An unreadable file, a missing id or score column, a blank customer id, a score that
    /// is not a whole number 0–10 or a bad date (file, line and column), or a file without
    /// any score.
    pub fn read(&self, delimiter: Delimiter) -> Result<Option<Answers>> {
        match &self.responses {
            Some(p) => read_answers(p, self, delimiter).map(Some),
            None => Ok(None),
        }
    }
}

fn read_answers(path: &Path, a: &ResponsesArgs, delimiter: Delimiter) -> Result<Answers> {
    let t = read_table_path(
        path,
        &TableOptions {
            delimiter,
            date_format: a.response_date_format.clone(),
            ..TableOptions::default()
        },
    )?;
    let id = t.column(&a.response_id_col)?;
    let score = t.column(&a.response_score_col)?;
    let date = t.optional_column(&a.response_date_col)?;
    // Customer → (date, score); `None` dates sort before every date.
    let mut latest: HashMap<String, (Option<comeback_core::Day>, u8)> = HashMap::new();
    let mut answered_rows = 0;
    for row in &t.rows {
        let Some(s) = t.parse_score(row, score, 0.0, 10.0, true)? else {
            continue;
        };
        let c = row.get(id);
        if c.is_empty() {
            return Err(t.row_error(row, id, RowProblem::EmptyCustomer).into());
        }
        let day = match date {
            Some(d) => t.parse_day(row, d)?,
            None => None,
        };
        answered_rows += 1;
        // Scores are whole numbers 0–10 here (checked by parse_score).
        let s = s as u8;
        latest
            .entry(c.to_string())
            .and_modify(|v| {
                if day >= v.0 {
                    *v = (day, s);
                }
            })
            .or_insert((day, s));
    }
    if answered_rows == 0 {
        anyhow::bail!(
            "{}: no answers (column {:?} is blank in every row)",
            t.name,
            a.response_score_col
        );
    }
    Ok(Answers {
        file: t.name.clone(),
        answered_rows,
        latest: latest.into_iter().map(|(k, (_, s))| (k, s)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(path: &Path) -> ResponsesArgs {
        ResponsesArgs {
            responses: Some(path.to_path_buf()),
            response_id_col: "customer_id".into(),
            response_score_col: "score".into(),
            response_date_col: "date".into(),
            response_date_format: DateFormat::default(),
        }
    }

    #[test]
    fn latest_answer_by_date_then_row() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        std::fs::write(
            &p,
            "customer_id,date,score\na,2024-05-01,3\na,2024-01-01,10\nb,,9\nb,2024-01-01,2\nc,2024-02-02,\nd,2024-03-03,8\nd,2024-03-03,7\n",
        )
        .unwrap();
        let r = args(&p).read(Delimiter::Auto).unwrap().unwrap();
        assert_eq!(r.answered_rows, 6);
        assert_eq!(r.latest.len(), 3);
        assert_eq!(r.latest["a"], 3);
        assert_eq!(r.latest["b"], 2);
        assert_eq!(r.latest["d"], 7);
        let (joined, unknown) = r.join(&["a", "c", "d"]);
        assert_eq!(joined, vec![Some(3), None, Some(7)]);
        assert_eq!(unknown, 1);

        // Without a date column the last row wins.
        std::fs::write(&p, "customer_id,score\na,9\na,4\n").unwrap();
        let r = args(&p).read(Delimiter::Auto).unwrap().unwrap();
        assert_eq!(r.latest["a"], 4);
    }

    #[test]
    fn bad_scores_name_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        std::fs::write(&p, "customer_id,score\na,9\nb,11\n").unwrap();
        let e = args(&p).read(Delimiter::Auto).unwrap_err().to_string();
        assert!(e.contains("r.csv:3: column \"score\""), "{e}");
        std::fs::write(&p, "customer_id,score\na,\n").unwrap();
        let e = args(&p).read(Delimiter::Auto).unwrap_err().to_string();
        assert!(e.contains("no answers"), "{e}");
        std::fs::write(&p, "id,score\na,1\n").unwrap();
        let e = args(&p).read(Delimiter::Auto).unwrap_err().to_string();
        assert!(e.contains("customer_id"), "{e}");
    }
}
