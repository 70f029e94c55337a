//! What `comeback nps`, `csat`, `ces` and `dimensions` share: the flags that read a
//! responses file, one pass that turns rows into [`Response`]s, and the breakdown by group,
//! the monthly trend, the two-group (or two-month) comparison and the output of any
//! [`Metric`] as a text table or JSON.
//!
//! A blank score is a non-response: counted per group (`non_responses`) and excluded. A
//! group whose every score is blank has no estimate (its numbers are `null`, and a note
//! says so); a file without any response is an error, because a metric of nothing is
//! undefined, not 0.

use anyhow::{Context, Result, bail};
use comeback_ingest::{DateFormat, DecimalMark, Delimiter, Table, TableOptions, read_table};
use comeback_voice::YearMonth;
use comeback_voice::stats::Difference;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Flags shared by the survey commands.
#[derive(Debug, Clone, clap::Args)]
pub struct SurveyArgs {
    /// Responses file (CSV, TSV, `;`-separated) with a header row; `-` reads standard input.
    pub input: PathBuf,
    /// Break the results down by this column (e.g. location); one result per value.
    #[arg(long, value_name = "COLUMN")]
    pub by: Option<String>,
    /// Two-sided confidence level of every interval, strictly between 0 and 1.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Date column, used by --trend and by --compare without --by.
    #[arg(long, default_value = "date", value_name = "COLUMN")]
    pub date_col: String,
    /// Add a trend per group: `month` (one estimate per calendar month, with the change
    /// from the previous month that had responses and its test).
    #[arg(long, value_parser = ["month"])]
    pub trend: Option<String>,
    /// Compare two groups (`A,B`, values of the --by column) or, without --by, two months
    /// (`2025-01,2025-02`): the difference A − B with its interval and two-sided test.
    #[arg(long, value_name = "A,B")]
    pub compare: Option<String>,
    /// Print JSON instead of a table (an array with one object per group).
    #[arg(long)]
    pub json: bool,
    /// Field separator: auto, comma, semicolon, tab, whitespace, or one character.
    #[arg(long, default_value = "auto")]
    pub delimiter: Delimiter,
    /// Date format: `auto` (ISO 8601 dates and timestamps, %Y%m%d) or any strftime form such
    /// as `%d/%m/%Y`.
    #[arg(long, default_value = "auto")]
    pub date_format: DateFormat,
    /// Numbers use a decimal comma (`7,5`).
    #[arg(long)]
    pub decimal_comma: bool,
}

/// One row of the responses file, reduced to what the metrics need.
#[derive(Debug, Clone)]
pub struct Response {
    /// The value of the --by column (`None` without --by).
    pub group: Option<String>,
    /// The month of the date column (only read when a trend or month comparison needs it;
    /// `None` for a blank date).
    pub month: Option<YearMonth>,
    /// The score; `None` is a non-response.
    pub score: Option<f64>,
    /// Invitations the row stands for (from --invited-col; 0 without it).
    pub invited: f64,
}

/// The bounds of a rating scale and whether answers must be whole numbers.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Lowest answer.
    pub min: f64,
    /// Highest answer.
    pub max: f64,
    /// Answers must be whole numbers.
    pub integer: bool,
}

/// Reads the responses file of `args`.
pub fn load(args: &SurveyArgs) -> Result<Table> {
    let options = TableOptions {
        delimiter: args.delimiter,
        date_format: args.date_format.clone(),
        timezone: None,
        decimal: if args.decimal_comma {
            DecimalMark::Comma
        } else {
            DecimalMark::Point
        },
    };
    let table = if args.input == Path::new("-") {
        read_table(std::io::stdin().lock(), "stdin", &options)?
    } else {
        comeback_ingest::read_table_path(&args.input, &options)?
    };
    Ok(table)
}

/// Checks --confidence.
pub fn check_confidence(confidence: f64) -> Result<()> {
    if !(confidence > 0.0 && confidence < 1.0) {
        bail!("--confidence must be strictly between 0 and 1, got {confidence}");
    }
    Ok(())
}

/// Where the invitations come from.
#[derive(Debug, Clone)]
pub enum Invited {
    /// Not known: no response rate.
    Unknown,
    /// The total number of invitations (without --by).
    Total(f64),
    /// A column: per row the invitations it stands for (blank = 0).
    Column(String),
}

/// Reads every row of `table`: the group, the month (when `need_month`), the score in
/// column `score_col` on `scale`, and the invitations.
///
/// # Errors
/// An unknown column (the message lists the headers) or a bad field
/// (`file:line: column "name": ...`).
pub fn responses(
    table: &Table,
    args: &SurveyArgs,
    score_col: &str,
    scale: Scale,
    invited: &Invited,
    need_month: bool,
) -> Result<Vec<Response>> {
    let score = table.column(score_col)?;
    let by = args.by.as_deref().map(|b| table.column(b)).transpose()?;
    let date = if need_month {
        Some(table.column(&args.date_col).with_context(|| {
            format!(
                "a trend or a comparison of months needs a date column (--date-col, now {:?})",
                args.date_col
            )
        })?)
    } else {
        None
    };
    let inv = match invited {
        Invited::Column(c) => Some(table.column(c)?),
        _ => None,
    };
    let mut out = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let s = table.parse_score(row, score, scale.min, scale.max, scale.integer)?;
        let month = match date {
            Some(d) => table.parse_day(row, d)?.map(YearMonth::from_day),
            None => None,
        };
        let invited = match inv {
            Some(c) => {
                let v = table.parse_number(row, c)?.unwrap_or(0.0);
                if v < 0.0 {
                    bail!(
                        "{}:{}: column {:?}: invitations cannot be negative, got {v}",
                        table.name,
                        row.line,
                        table.headers[c]
                    );
                }
                v
            }
            None => 0.0,
        };
        out.push(Response {
            group: by.map(|b| row.get(b).to_string()),
            month,
            score: s,
            invited,
        });
    }
    Ok(out)
}

/// The estimate of one metric for one sample.
#[derive(Debug, Clone, Default)]
pub struct Estimate {
    /// The headline value (NPS points, CSAT share, CES mean).
    pub value: f64,
    /// Interval bounds; `None` when there is no interval (a mean of one answer).
    pub ci: Option<(f64, f64)>,
    /// Metric-specific JSON fields (including the headline value under the metric's key).
    pub fields: Map<String, Value>,
    /// Metric-specific text cells, in the order of [`Metric::columns`].
    pub cells: Vec<String>,
    /// Notes about this estimate (one sentence each).
    pub notes: Vec<String>,
}

/// A survey metric over the scores of a sample.
pub trait Metric {
    /// Short name: `NPS`, `CSAT`, `CES`.
    fn name(&self) -> &'static str;
    /// JSON key of the headline value (`nps`, `share`, `mean`).
    fn value_key(&self) -> &'static str;
    /// The metric's JSON keys, set to null for a group without responses.
    fn keys(&self) -> &'static [&'static str];
    /// Text column titles of the metric-specific cells.
    fn columns(&self) -> Vec<String>;
    /// The estimate of `scores` (n ≥ 1).
    fn estimate(&self, scores: &[f64]) -> Result<Estimate>;
    /// The difference a − b with its test.
    fn difference(&self, a: &[f64], b: &[f64]) -> Result<Difference>;
    /// The headline value formatted for text (`30.0`, `81.2%`, `3.45`).
    fn show(&self, x: f64) -> String;
    /// A difference of headline values formatted for text (`+4.17`; CSAT: `+25.3 pp`).
    fn show_delta(&self, x: f64) -> String {
        if x.is_finite() {
            format!("{x:+.2}")
        } else {
            "—".to_string()
        }
    }
    /// The name of the test statistic of [`Metric::difference`] (`z`, or `t` for Welch).
    fn statistic(&self) -> &'static str {
        "z"
    }
    /// A note under a trend or comparison on what the change compares, if needed.
    fn change_note(&self) -> Option<String> {
        None
    }
    /// Why an empty sample has no value, e.g. `NPS is undefined, not 0`.
    fn undefined(&self) -> String {
        format!("{} is undefined, not 0", self.name())
    }
}

/// One group's results.
pub struct GroupResult {
    /// The group (`None` without --by).
    pub group: Option<String>,
    /// Answers.
    pub n: u64,
    /// Blank scores.
    pub non_responses: u64,
    /// Invitations, when known.
    pub invited: Option<f64>,
    /// The estimate; `None` without answers.
    pub estimate: Option<Estimate>,
    /// The scores of the group's answers.
    pub scores: Vec<f64>,
    /// The monthly trend, when asked for.
    pub trend: Vec<TrendRow>,
    /// Answers without a date (left out of the trend).
    pub undated: u64,
}

/// One month of a trend.
pub struct TrendRow {
    /// The month.
    pub month: YearMonth,
    /// Answers.
    pub n: u64,
    /// The estimate.
    pub estimate: Estimate,
    /// This month − the previous month with answers; `Err` with the reason when no test
    /// exists (e.g. no spread in either month).
    pub change: Option<std::result::Result<Difference, String>>,
}

/// The display name of a group.
pub fn group_name(g: &Option<String>) -> String {
    match g {
        None => "all".to_string(),
        Some(s) if s.is_empty() => "(blank)".to_string(),
        Some(s) => s.clone(),
    }
}

/// Splits the responses into groups (sorted by name) and estimates each, with the trend
/// when `trend`.
///
/// # Errors
/// When no row of the whole file has an answer (the metric is undefined), or the metric
/// fails.
pub fn analyse(
    metric: &dyn Metric,
    table: &Table,
    score_col: &str,
    rows: &[Response],
    invited: &Invited,
    trend: bool,
) -> Result<Vec<GroupResult>> {
    let mut groups: BTreeMap<Option<String>, Vec<&Response>> = BTreeMap::new();
    for r in rows {
        groups.entry(r.group.clone()).or_default().push(r);
    }
    if groups.is_empty() {
        groups.insert(None, Vec::new());
    }
    if rows.iter().all(|r| r.score.is_none()) {
        bail!(
            "{}: no responses in column {score_col:?} ({} rows, all blank): {}",
            table.name,
            rows.len(),
            metric.undefined()
        );
    }
    let mut out = Vec::new();
    for (group, rs) in groups {
        let scores: Vec<f64> = rs.iter().filter_map(|r| r.score).collect();
        let non_responses = rs.iter().filter(|r| r.score.is_none()).count() as u64;
        let invited = match invited {
            Invited::Unknown => None,
            Invited::Total(t) => Some(*t),
            Invited::Column(_) => Some(rs.iter().map(|r| r.invited).sum()),
        };
        let estimate = if scores.is_empty() {
            None
        } else {
            Some(metric.estimate(&scores)?)
        };
        let mut trend_rows = Vec::new();
        let mut undated = 0;
        if trend {
            let mut months: BTreeMap<YearMonth, Vec<f64>> = BTreeMap::new();
            for r in &rs {
                match (r.score, r.month) {
                    (Some(s), Some(m)) => months.entry(m).or_default().push(s),
                    (Some(_), None) => undated += 1,
                    _ => {}
                }
            }
            let mut prev: Option<&Vec<f64>> = None;
            for (month, s) in &months {
                let change = prev.map(|p| metric.difference(s, p).map_err(|e| e.to_string()));
                trend_rows.push(TrendRow {
                    month: *month,
                    n: s.len() as u64,
                    estimate: metric.estimate(s)?,
                    change,
                });
                prev = Some(s);
            }
        }
        out.push(GroupResult {
            group,
            n: scores.len() as u64,
            non_responses,
            invited,
            estimate,
            scores,
            trend: trend_rows,
            undated,
        });
    }
    Ok(out)
}

/// Checks that no group has more answers than invitations.
pub fn check_invited(table: &Table, groups: &[GroupResult]) -> Result<()> {
    for g in groups {
        if let Some(inv) = g.invited
            && (g.n as f64) > inv
        {
            bail!(
                "{}: group {}: {} responses but only {inv} invitations (a response rate above 100%)",
                table.name,
                group_name(&g.group),
                g.n
            );
        }
    }
    Ok(())
}

/// The response rate n / invited, when invitations are known and not 0.
pub fn response_rate(g: &GroupResult) -> Option<f64> {
    g.invited.filter(|i| *i > 0.0).map(|i| g.n as f64 / i)
}

/// A comparison asked for with --compare.
pub struct Comparison {
    /// Label of A (a group, or a month).
    pub a: String,
    /// Label of B.
    pub b: String,
    /// Answers in A.
    pub n_a: u64,
    /// Answers in B.
    pub n_b: u64,
    /// A's headline value.
    pub value_a: f64,
    /// B's headline value.
    pub value_b: f64,
    /// A − B.
    pub difference: Difference,
}

/// Splits `A,B`.
///
/// # Errors
/// Not two non-empty values, or the same value twice (`A,A`: compare two different groups).
pub fn parse_pair(s: &str) -> Result<(String, String)> {
    match s.split_once(',') {
        Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() && !b.contains(',') => {
            if a.trim() == b.trim() {
                bail!(
                    "--compare: {:?} twice: compare two different groups",
                    a.trim()
                );
            }
            Ok((a.trim().to_string(), b.trim().to_string()))
        }
        _ => bail!("--compare: expected two values A,B, got {s:?}"),
    }
}

/// The comparison of --compare: two groups of --by, or, without --by, two months.
///
/// # Errors
/// A value that is not a group (the message lists the groups) or a month without answers.
pub fn compare(
    metric: &dyn Metric,
    spec: &str,
    by: bool,
    groups: &[GroupResult],
    rows: &[Response],
) -> Result<Comparison> {
    let (a, b) = parse_pair(spec)?;
    let (sa, sb) = if by {
        let find = |name: &str| -> Result<Vec<f64>> {
            groups
                .iter()
                .find(|g| g.group.as_deref() == Some(name))
                .map(|g| g.scores.clone())
                .with_context(|| {
                    let names: Vec<String> = groups
                        .iter()
                        .map(|g| format!("{:?}", g.group.clone().unwrap_or_default()))
                        .collect();
                    format!(
                        "--compare: no group {name:?} (groups: {})",
                        names.join(", ")
                    )
                })
        };
        (find(&a)?, find(&b)?)
    } else {
        let month = |s: &str| -> Result<(YearMonth, Vec<f64>)> {
            let m = YearMonth::parse(s)
                .with_context(|| format!("--compare without --by compares months: {s:?}"))?;
            let v: Vec<f64> = rows
                .iter()
                .filter(|r| r.month == Some(m))
                .filter_map(|r| r.score)
                .collect();
            Ok((m, v))
        };
        (month(&a)?.1, month(&b)?.1)
    };
    for (name, s) in [(&a, &sa), (&b, &sb)] {
        if s.is_empty() {
            bail!(
                "--compare: {name:?} has no responses ({})",
                metric.undefined()
            );
        }
    }
    let difference = metric.difference(&sa, &sb)?;
    Ok(Comparison {
        value_a: metric.estimate(&sa)?.value,
        value_b: metric.estimate(&sb)?.value,
        n_a: sa.len() as u64,
        n_b: sb.len() as u64,
        a,
        b,
        difference,
    })
}

/// The JSON of a difference: `difference, se, ci_low, ci_high, z` (or `t` and `df` for a
/// Welch test), `p_value`, `confidence`.
pub fn difference_json(d: &Difference) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("difference".into(), json!(d.difference));
    m.insert("se".into(), json!(d.se));
    m.insert("ci_low".into(), json!(d.ci_low));
    m.insert("ci_high".into(), json!(d.ci_high));
    match d.df {
        None => {
            m.insert("z".into(), json!(d.statistic));
        }
        Some(df) => {
            m.insert("t".into(), json!(d.statistic));
            m.insert("df".into(), json!(df));
        }
    }
    m.insert("p_value".into(), json!(d.p_value));
    m.insert("confidence".into(), json!(d.confidence));
    m
}

/// The JSON of a comparison (difference fields plus `a, b, n_a, n_b, value_a, value_b`).
pub fn comparison_json(c: &Comparison) -> Value {
    let mut m = difference_json(&c.difference);
    m.insert("a".into(), json!(c.a));
    m.insert("b".into(), json!(c.b));
    m.insert("n_a".into(), json!(c.n_a));
    m.insert("n_b".into(), json!(c.n_b));
    m.insert("value_a".into(), json!(c.value_a));
    m.insert("value_b".into(), json!(c.value_b));
    Value::Object(m)
}

/// One group as a JSON object: `group, n, non_responses, confidence, invited,
/// response_rate`, the metric's fields, and `trend` when asked for.
pub fn group_json(
    metric: &dyn Metric,
    g: &GroupResult,
    confidence: f64,
    trend: bool,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("group".into(), json!(g.group));
    m.insert("n".into(), json!(g.n));
    m.insert("non_responses".into(), json!(g.non_responses));
    match &g.estimate {
        Some(e) => m.extend(e.fields.clone()),
        None => {
            for k in metric.keys() {
                m.insert((*k).into(), Value::Null);
            }
        }
    }
    m.insert("confidence".into(), json!(confidence));
    m.insert("invited".into(), json!(g.invited));
    m.insert("response_rate".into(), json!(response_rate(g)));
    if trend {
        let rows: Vec<Value> = g
            .trend
            .iter()
            .map(|t| {
                let (lo, hi) = t.estimate.ci.unzip();
                let d = t.change.as_ref().and_then(|c| c.as_ref().ok());
                let mut o = Map::new();
                o.insert("month".into(), json!(t.month.to_string()));
                o.insert("n".into(), json!(t.n));
                o.insert(metric.value_key().into(), json!(t.estimate.value));
                o.insert("ci_low".into(), json!(lo));
                o.insert("ci_high".into(), json!(hi));
                o.insert("change".into(), json!(d.map(|d| d.difference)));
                o.insert(
                    format!("change_{}", metric.statistic()),
                    json!(d.map(|d| d.statistic)),
                );
                o.insert("change_p".into(), json!(d.map(|d| d.p_value)));
                Value::Object(o)
            })
            .collect();
        m.insert("trend".into(), Value::Array(rows));
    }
    m
}

/// A number with `d` decimals, or `—` when not finite.
pub fn fixed(x: f64, d: usize) -> String {
    if x.is_finite() {
        format!("{x:.d$}")
    } else {
        "—".to_string()
    }
}

/// A share as a percentage with one decimal.
pub fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", 100.0 * x)
    } else {
        "—".to_string()
    }
}

/// The confidence as a percentage without needless decimals (`95%`, `99.5%`).
pub fn conf_label(c: f64) -> String {
    let p = c * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{p}%")
    }
}

/// Lays out `rows` under `header` with columns padded to their widths (first column left,
/// the others right aligned).
pub fn layout(header: &[String], rows: &[Vec<String>]) -> String {
    let ncols = header.len();
    let mut w = vec![0usize; ncols];
    for r in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        for (i, c) in r.iter().enumerate().take(ncols) {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate().take(ncols) {
            let pad = w[i] - c.chars().count();
            if i == 0 {
                line.push_str(c);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str("  ");
                line.push_str(&" ".repeat(pad));
                line.push_str(c);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The verdict of a two-sided test in plain words.
pub fn verdict(d: &Difference, a: &str, b: &str) -> String {
    let alpha = 1.0 - d.confidence;
    if d.p_value < alpha {
        let (hi, lo) = if d.difference > 0.0 { (a, b) } else { (b, a) };
        format!(
            "{hi} is higher than {lo}: the difference is significant at the {} level ({})",
            conf_label(d.confidence),
            p_eq(d.p_value)
        )
    } else {
        format!(
            "no significant difference at the {} level ({}): the data cannot tell {a} and {b} apart",
            conf_label(d.confidence),
            p_eq(d.p_value)
        )
    }
}

/// A p-value for text: 4 decimals, `< 0.0001` below.
pub fn p_text(p: f64) -> String {
    if p < 1e-4 {
        "< 0.0001".to_string()
    } else {
        format!("{p:.4}")
    }
}

/// `p = 0.1234`, or `p < 0.0001`.
pub fn p_eq(p: f64) -> String {
    if p < 1e-4 {
        "p < 0.0001".to_string()
    } else {
        format!("p = {p:.4}")
    }
}

/// The text block of a group's trend.
pub fn trend_text(metric: &dyn Metric, g: &GroupResult, confidence: f64) -> String {
    let header: Vec<String> = vec![
        "month".into(),
        "n".into(),
        metric.name().into(),
        format!("{} interval", conf_label(confidence)),
        "change".into(),
        metric.statistic().into(),
        "p".into(),
    ];
    let rows: Vec<Vec<String>> = g
        .trend
        .iter()
        .map(|t| {
            let ci = match t.estimate.ci {
                Some((lo, hi)) => format!("{} to {}", metric.show(lo), metric.show(hi)),
                None => "—".into(),
            };
            let (ch, z, p) = match &t.change {
                None => ("—".into(), "—".into(), "—".into()),
                Some(Err(_)) => ("—".into(), "—".into(), "—".into()),
                Some(Ok(d)) => (
                    metric.show_delta(d.difference),
                    fixed(d.statistic, 2),
                    p_text(d.p_value),
                ),
            };
            vec![
                t.month.to_string(),
                t.n.to_string(),
                metric.show(t.estimate.value),
                ci,
                ch,
                z,
                p,
            ]
        })
        .collect();
    let mut s = format!("trend of {} by month:\n", group_name(&g.group));
    s.push_str(&layout(&header, &rows));
    for t in &g.trend {
        if let Some(Err(e)) = &t.change {
            s.push_str(&format!("note: {}: no test of the change: {e}\n", t.month));
        }
    }
    if g.trend.len() > 1
        && let Some(n) = metric.change_note()
    {
        s.push_str(&format!("note: {n}\n"));
    }
    if g.undated > 0 {
        s.push_str(&format!(
            "note: {} responses without a date are not in the trend\n",
            g.undated
        ));
    }
    s
}

/// Prints the text output: the table of groups, non-responses, notes, trends and the
/// comparison.
pub fn print_text(
    metric: &dyn Metric,
    table: &Table,
    groups: &[GroupResult],
    confidence: f64,
    comparison: Option<&Comparison>,
    extra_notes: &[String],
) -> Result<()> {
    let mut header: Vec<String> = vec!["group".into(), "n".into()];
    header.extend(metric.columns());
    header.push("response rate".into());
    let mut rows = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for g in groups {
        let mut r = vec![group_name(&g.group), g.n.to_string()];
        match &g.estimate {
            Some(e) => {
                r.extend(e.cells.iter().cloned());
                for n in &e.notes {
                    notes.push(format!("{}: {n}", group_name(&g.group)));
                }
            }
            None => {
                r.extend(metric.columns().iter().map(|_| "—".to_string()));
                notes.push(format!(
                    "{}: no responses, all {} scores blank ({})",
                    group_name(&g.group),
                    g.non_responses,
                    metric.undefined()
                ));
            }
        }
        r.push(response_rate(g).map_or("—".into(), pct));
        rows.push(r);
    }
    let responses: u64 = groups.iter().map(|g| g.n).sum();
    let blank: u64 = groups.iter().map(|g| g.non_responses).sum();
    let mut out = format!(
        "{}: {responses} responses, {blank} blank scores (non-responses, excluded)\n",
        table.name
    );
    out.push_str(&layout(&header, &rows));
    for n in notes.iter().chain(extra_notes) {
        out.push_str(&format!("note: {n}\n"));
    }
    for g in groups
        .iter()
        .filter(|g| !g.trend.is_empty() || g.undated > 0)
    {
        out.push('\n');
        out.push_str(&trend_text(metric, g, confidence));
    }
    if let Some(c) = comparison {
        let d = &c.difference;
        let stat = match d.df {
            None => format!("z = {:.3}", d.statistic),
            Some(df) => format!("Welch t = {:.3}, df = {df:.1}", d.statistic),
        };
        out.push_str(&format!(
            "\ncomparison {a} − {b}: {} (n = {}) vs {} (n = {}): difference {}, {} interval {} to {}, {stat}, {}\n{}\n",
            metric.show(c.value_a),
            c.n_a,
            metric.show(c.value_b),
            c.n_b,
            metric.show_delta(d.difference),
            conf_label(d.confidence),
            metric.show_delta(d.ci_low),
            metric.show_delta(d.ci_high),
            p_eq(d.p_value),
            verdict(d, &c.a, &c.b),
            a = c.a,
            b = c.b,
        ));
        if let Some(n) = metric.change_note() {
            out.push_str(&format!("note: {n}\n"));
        }
    }
    use std::io::Write as _;
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}

/// Prints `value` as pretty JSON.
pub fn print_json(value: &Value) -> Result<()> {
    outln!("{}", serde_json::to_string_pretty(value)?)?;
    Ok(())
}

/// Parses a scale `1-7` or `7` (= 1 to 7).
pub fn parse_scale(s: &str) -> Result<(f64, f64), String> {
    let bad = || format!("invalid scale {s:?}: expected MIN-MAX (1-7) or MAX (5 = 1-5)");
    let (lo, hi) = match s.trim().split_once('-') {
        Some((a, b)) => (a.trim(), b.trim()),
        None => ("1", s.trim()),
    };
    let lo: f64 = lo.parse().map_err(|_| bad())?;
    let hi: f64 = hi.parse().map_err(|_| bad())?;
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(bad());
    }
    Ok((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_and_pairs() {
        assert_eq!(parse_scale("1-7"), Ok((1.0, 7.0)));
        assert_eq!(parse_scale("5"), Ok((1.0, 5.0)));
        assert_eq!(parse_scale(" 0 - 10 "), Ok((0.0, 10.0)));
        assert!(parse_scale("7-1").is_err());
        assert!(parse_scale("x").is_err());
        assert_eq!(
            parse_pair("Downtown, Airport").unwrap(),
            ("Downtown".to_string(), "Airport".to_string())
        );
        assert!(parse_pair("A").is_err());
        assert!(parse_pair("A,B,C").is_err());
        assert!(parse_pair(",B").is_err());
    }

    #[test]
    fn text_helpers() {
        assert_eq!(conf_label(0.95), "95%");
        assert_eq!(conf_label(0.995), "99.5%");
        assert_eq!(p_eq(0.00001), "p < 0.0001");
        assert_eq!(p_eq(0.04321), "p = 0.0432");
        assert_eq!(fixed(f64::NAN, 2), "—");
        assert_eq!(pct(0.8111), "81.1%");
        let t = layout(
            &["group".into(), "n".into()],
            &[
                vec!["Downtown".into(), "88".into()],
                vec!["Air".into(), "7".into()],
            ],
        );
        assert_eq!(t, "group      n\nDowntown  88\nAir        7\n");
        assert_eq!(group_name(&None), "all");
        assert_eq!(group_name(&Some(String::new())), "(blank)");
    }
}
