//! `comeback csat`, `comeback ces` and `comeback dimensions`: the rating-scale survey
//! metrics of a responses file.
//!
//! * `csat`: the top-2-box share (answers in the two highest points of a 1–N scale) with a
//!   Wilson score interval (Wilson 1927; `comeback_voice::scales::csat`); comparisons by the
//!   two-proportion z test. JSON keys: `group, n, non_responses, successes, share, ci_low,
//!   ci_high, method, confidence, invited, response_rate` (shares in \[0, 1\]).
//! * `ces`: the mean with a Student t interval clipped to the scale
//!   (`comeback_voice::scales::ces`); comparisons by Welch's t test. JSON keys: `group, n,
//!   non_responses, mean, sd, se, ci_low, ci_high, confidence, ...`. One answer has a mean
//!   but no interval (`ci_low`/`ci_high` null). Trend months carry `change_t` (Welch)
//!   instead of `change_z`, and comparisons `t` and `df` instead of `z`.
//! * `dimensions`: per service dimension (reliability, assurance, responsiveness, empathy,
//!   delight, or a column of a survey's own dimension such as `cleanliness`; 1–5) the mean
//!   perception with its t interval and, where a column
//!   `<dimension><suffix>` holds the expectation, the SERVQUAL gap P − E (Parasuraman,
//!   Zeithaml & Berry 1988) as a paired mean with its t interval, over the respondents who
//!   answered both. JSON: an array with one object per group and dimension.

use super::survey::{
    self, Estimate, Invited, Metric, Scale, SurveyArgs, fixed, layout, parse_scale, pct,
};
use anyhow::{Result, bail};
use comeback_ingest::{DateFormat, Delimiter};
use comeback_voice::VoiceError;
use comeback_voice::scales::{self, DIMENSION_SCALE, Dimension};
use comeback_voice::stats::{self, Difference, MeanEstimate};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Flags of `comeback csat`.
#[derive(Debug, clap::Args)]
pub struct CsatArgs {
    #[command(flatten)]
    pub survey: SurveyArgs,
    /// The column of the satisfaction answers (whole numbers 1–N).
    #[arg(long, default_value = "csat", value_name = "COLUMN")]
    pub score_col: String,
    /// The scale's highest point N (answers 1–N; top two boxes are N − 1 and N).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(3..=100))]
    pub scale: u8,
    /// Column with the invitations each row stands for (blank = 0), for the response rate.
    #[arg(long, value_name = "COLUMN")]
    pub invited_col: Option<String>,
}

/// Flags of `comeback ces`.
#[derive(Debug, clap::Args)]
pub struct CesArgs {
    #[command(flatten)]
    pub survey: SurveyArgs,
    /// The column of the effort answers (whole numbers on the scale).
    #[arg(long, default_value = "ces", value_name = "COLUMN")]
    pub score_col: String,
    /// The scale: MIN-MAX (`1-7`, the CES 2.0 agreement scale) or MAX (`5` = 1-5).
    #[arg(long, default_value = "1-7", value_parser = parse_scale)]
    pub scale: (f64, f64),
    /// Column with the invitations each row stands for (blank = 0), for the response rate.
    #[arg(long, value_name = "COLUMN")]
    pub invited_col: Option<String>,
}

/// CSAT as a [`Metric`].
struct Csat {
    scale_max: u8,
    confidence: f64,
}

fn top2(scores: &[f64], scale_max: u8) -> (u64, u64) {
    let top = scores
        .iter()
        .filter(|s| **s >= f64::from(scale_max) - 1.0)
        .count();
    (top as u64, scores.len() as u64)
}

impl Metric for Csat {
    fn name(&self) -> &'static str {
        "CSAT"
    }
    fn value_key(&self) -> &'static str {
        "share"
    }
    fn keys(&self) -> &'static [&'static str] {
        &["successes", "share", "ci_low", "ci_high", "method"]
    }
    fn columns(&self) -> Vec<String> {
        vec![
            format!("top-2 ({}–{})", self.scale_max - 1, self.scale_max),
            "CSAT".into(),
            format!("{} interval (Wilson)", survey::conf_label(self.confidence)),
        ]
    }
    fn estimate(&self, scores: &[f64]) -> Result<Estimate> {
        let s: Vec<u8> = scores.iter().map(|x| *x as u8).collect();
        let e = scales::csat(&s, self.scale_max, self.confidence)?;
        let mut fields = Map::new();
        fields.insert("successes".into(), json!(e.successes));
        fields.insert("share".into(), json!(e.share));
        fields.insert("ci_low".into(), json!(e.ci_low));
        fields.insert("ci_high".into(), json!(e.ci_high));
        fields.insert("method".into(), json!("wilson"));
        Ok(Estimate {
            value: e.share,
            ci: Some((e.ci_low, e.ci_high)),
            fields,
            cells: vec![
                e.successes.to_string(),
                pct(e.share),
                format!("{} to {}", pct(e.ci_low), pct(e.ci_high)),
            ],
            notes: Vec::new(),
        })
    }
    fn difference(&self, a: &[f64], b: &[f64]) -> Result<Difference> {
        Ok(stats::compare_proportions(
            top2(a, self.scale_max),
            top2(b, self.scale_max),
            self.confidence,
        )?)
    }
    fn show(&self, x: f64) -> String {
        pct(x)
    }
    fn show_delta(&self, x: f64) -> String {
        if x.is_finite() {
            format!("{:+.1} pp", 100.0 * x)
        } else {
            "—".to_string()
        }
    }
}

/// CES as a [`Metric`].
struct Ces {
    scale: (f64, f64),
    confidence: f64,
}

impl Ces {
    /// The mean with its interval; one answer gives the mean without an interval.
    fn mean(&self, scores: &[f64]) -> Result<(f64, Option<MeanEstimate>)> {
        match scales::ces(scores, self.scale, self.confidence) {
            Ok(e) => Ok((e.mean, Some(e))),
            Err(VoiceError::InsufficientData { got: 1, .. }) => Ok((scores[0], None)),
            Err(e) => Err(e.into()),
        }
    }
}

impl Metric for Ces {
    fn name(&self) -> &'static str {
        "CES"
    }
    fn value_key(&self) -> &'static str {
        "mean"
    }
    fn keys(&self) -> &'static [&'static str] {
        &["mean", "sd", "se", "ci_low", "ci_high"]
    }
    fn columns(&self) -> Vec<String> {
        vec![
            format!("mean ({}–{})", self.scale.0, self.scale.1),
            format!("{} interval (t)", survey::conf_label(self.confidence)),
        ]
    }
    fn estimate(&self, scores: &[f64]) -> Result<Estimate> {
        let (mean, e) = self.mean(scores)?;
        let mut fields = Map::new();
        fields.insert("mean".into(), json!(mean));
        fields.insert("sd".into(), json!(e.map(|e| e.sd)));
        fields.insert("se".into(), json!(e.map(|e| e.se)));
        fields.insert("ci_low".into(), json!(e.map(|e| e.ci_low)));
        fields.insert("ci_high".into(), json!(e.map(|e| e.ci_high)));
        let mut notes = Vec::new();
        if e.is_none() {
            notes.push("one answer: a mean without an interval (a t interval needs two)".into());
        }
        Ok(Estimate {
            value: mean,
            ci: e.map(|e| (e.ci_low, e.ci_high)),
            fields,
            cells: vec![
                fixed(mean, 2),
                e.map_or("—".into(), |e| {
                    format!("{} to {}", fixed(e.ci_low, 2), fixed(e.ci_high, 2))
                }),
            ],
            notes,
        })
    }
    fn difference(&self, a: &[f64], b: &[f64]) -> Result<Difference> {
        let ea = stats::mean_interval(a, self.confidence)?;
        let eb = stats::mean_interval(b, self.confidence)?;
        Ok(stats::compare_means(&ea, &eb, self.confidence)?)
    }
    fn show(&self, x: f64) -> String {
        fixed(x, 2)
    }
    fn statistic(&self) -> &'static str {
        "t"
    }
}

fn run_metric(
    metric: &dyn Metric,
    s: &SurveyArgs,
    score_col: &str,
    scale: Scale,
    invited_col: &Option<String>,
) -> Result<()> {
    survey::check_confidence(s.confidence)?;
    let invited = match invited_col {
        Some(c) => Invited::Column(c.clone()),
        None => Invited::Unknown,
    };
    let table = survey::load(s)?;
    let trend = s.trend.is_some();
    let need_month = trend || (s.compare.is_some() && s.by.is_none());
    let rows = survey::responses(&table, s, score_col, scale, &invited, need_month)?;
    let groups = survey::analyse(metric, &table, score_col, &rows, &invited, trend)?;
    survey::check_invited(&table, &groups)?;
    let comparison = match &s.compare {
        Some(spec) => Some(survey::compare(
            metric,
            spec,
            s.by.is_some(),
            &groups,
            &rows,
        )?),
        None => None,
    };
    if s.json {
        let out: Vec<Value> = groups
            .iter()
            .map(|g| {
                let mut m = survey::group_json(metric, g, s.confidence, trend);
                if let Some(c) = &comparison
                    && (s.by.is_none() || g.group.as_deref() == Some(c.a.as_str()))
                {
                    m.insert("comparison".into(), survey::comparison_json(c));
                }
                Value::Object(m)
            })
            .collect();
        survey::print_json(&Value::Array(out))
    } else {
        survey::print_text(
            metric,
            &table,
            &groups,
            s.confidence,
            comparison.as_ref(),
            &[],
        )
    }
}

/// Runs `comeback csat`.
pub fn run_csat(args: CsatArgs) -> Result<()> {
    let metric = Csat {
        scale_max: args.scale,
        confidence: args.survey.confidence,
    };
    let scale = Scale {
        min: 1.0,
        max: f64::from(args.scale),
        integer: true,
    };
    run_metric(
        &metric,
        &args.survey,
        &args.score_col,
        scale,
        &args.invited_col,
    )
}

/// Runs `comeback ces`.
pub fn run_ces(args: CesArgs) -> Result<()> {
    let metric = Ces {
        scale: args.scale,
        confidence: args.survey.confidence,
    };
    let scale = Scale {
        min: args.scale.0,
        max: args.scale.1,
        integer: true,
    };
    run_metric(
        &metric,
        &args.survey,
        &args.score_col,
        scale,
        &args.invited_col,
    )
}

/// Flags of `comeback dimensions`.
#[derive(Debug, clap::Args)]
pub struct DimensionsArgs {
    /// Responses file (CSV, TSV, `;`-separated) with a header row; `-` reads standard input.
    pub input: PathBuf,
    /// The dimensions to score (each a column of 1–5 answers): any of reliability,
    /// assurance, responsiveness, empathy, delight, or the column of a survey's own
    /// dimension (e.g. `cleanliness,speed`).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "reliability,assurance,responsiveness,empathy,delight"
    )]
    pub dimensions: Vec<String>,
    /// Expectation columns are named `<dimension><suffix>`; where one exists, the SERVQUAL
    /// gap perception − expectation is reported.
    #[arg(long, default_value = "_expected")]
    pub expectation_suffix: String,
    /// Break the results down by this column (e.g. location).
    #[arg(long, value_name = "COLUMN")]
    pub by: Option<String>,
    /// Two-sided confidence level of every interval, strictly between 0 and 1.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Print JSON (one object per group and dimension) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Field separator: auto, comma, semicolon, tab, whitespace, or one character.
    #[arg(long, default_value = "auto")]
    pub delimiter: Delimiter,
    /// Numbers use a decimal comma.
    #[arg(long)]
    pub decimal_comma: bool,
}

/// One dimension of one group.
struct DimRow {
    group: Option<String>,
    /// A built-in dimension's English name, or the column name of a survey's own.
    dimension: String,
    expectation_col: Option<String>,
    non_responses: u64,
    perceptions: Vec<f64>,
    pairs: Vec<(f64, f64)>,
}

/// Runs `comeback dimensions`.
pub fn run_dimensions(args: DimensionsArgs) -> Result<()> {
    survey::check_confidence(args.confidence)?;
    // A built-in dimension by its English name (any case); any other name is the column
    // of a survey's own dimension, looked up below like the built-in ones.
    let mut dims: Vec<String> = Vec::new();
    for d in &args.dimensions {
        let dim = match Dimension::parse(d) {
            Some(b) => b.as_str().to_owned(),
            None if d.trim().is_empty() => bail!(
                "--dimensions: an empty name (expected column names such as {})",
                Dimension::ALL.map(Dimension::as_str).join(", ")
            ),
            None => d.trim().to_owned(),
        };
        if dims.contains(&dim) {
            bail!("--dimensions: {d:?} is given twice");
        }
        dims.push(dim);
    }
    let sargs = SurveyArgs {
        input: args.input.clone(),
        by: args.by.clone(),
        confidence: args.confidence,
        date_col: "date".into(),
        trend: None,
        compare: None,
        json: args.json,
        delimiter: args.delimiter,
        date_format: DateFormat::Auto,
        decimal_comma: args.decimal_comma,
    };
    let table = survey::load(&sargs)?;
    let by = args.by.as_deref().map(|b| table.column(b)).transpose()?;
    let (lo, hi) = DIMENSION_SCALE;
    let mut rows: BTreeMap<(Option<String>, String), DimRow> = BTreeMap::new();
    // Every column is looked up before any row is read, so a missing column is reported
    // as such rather than as a bad value in another one.
    let mut cols: Vec<(String, usize, Option<usize>)> = Vec::with_capacity(dims.len());
    for dim in &dims {
        let pc = table.column(dim)?;
        if let Some((other, ..)) = cols.iter().find(|(_, c, _)| *c == pc) {
            bail!("--dimensions: {dim:?} and {other:?} name the same column");
        }
        // A survey's own dimension is named as its column is.
        let name = match Dimension::parse(dim) {
            Some(_) => dim.clone(),
            None => table.headers[pc].clone(),
        };
        let ename = format!("{name}{}", args.expectation_suffix);
        let ec = table.optional_column(&ename)?;
        cols.push((name, pc, ec));
    }
    let names: Vec<String> = cols.iter().map(|(n, ..)| n.clone()).collect();
    for (dim, pc, ec) in cols {
        for row in &table.rows {
            let group = by.map(|b| row.get(b).to_string());
            let r = rows
                .entry((group.clone(), dim.clone()))
                .or_insert_with(|| DimRow {
                    group,
                    dimension: dim.clone(),
                    expectation_col: ec.map(|c| table.headers[c].clone()),
                    non_responses: 0,
                    perceptions: Vec::new(),
                    pairs: Vec::new(),
                });
            let p = table.parse_score(row, pc, lo, hi, true)?;
            let e = match ec {
                Some(c) => table.parse_score(row, c, lo, hi, true)?,
                None => None,
            };
            match p {
                Some(p) => {
                    r.perceptions.push(p);
                    if let Some(e) = e {
                        r.pairs.push((p, e));
                    }
                }
                None => r.non_responses += 1,
            }
        }
    }
    if rows.values().all(|r| r.perceptions.is_empty()) {
        bail!(
            "{}: no responses in the dimension columns (all blank): the means are undefined, not 0",
            table.name
        );
    }
    let mut json_rows = Vec::new();
    let mut text_rows = Vec::new();
    let mut notes = Vec::new();
    // Group order first, then the order of --dimensions.
    let mut keys: Vec<&(Option<String>, String)> = rows.keys().collect();
    keys.sort_by_key(|(g, d)| (g.clone(), names.iter().position(|x| x == d)));
    for key in keys {
        let r = &rows[key];
        // The statistics of comeback_voice (t intervals clipped to the scale, the paired
        // gap clipped to ±4) where they exist; one answer is shown without an interval.
        let scored = if r.perceptions.len() >= 2 {
            let exp = match &r.expectation_col {
                Some(_) if r.pairs.len() >= 2 => Some(r.pairs.as_slice()),
                _ => None,
            };
            Some(scales::dimension_score(
                &r.perceptions,
                exp,
                args.confidence,
            )?)
        } else {
            None
        };
        let single = |v: &[f64]| (v.len() == 1).then(|| (v[0], None));
        let perception: Option<(f64, Option<MeanEstimate>)> = match &scored {
            Some((p, _)) => Some((p.mean, Some(*p))),
            None => single(&r.perceptions),
        };
        let gap_values: Vec<f64> = r.pairs.iter().map(|(p, e)| p - e).collect();
        let gap: Option<(f64, Option<MeanEstimate>)> = match scored.and_then(|(_, g)| g) {
            Some(g) => Some((g.mean, Some(g))),
            None if r.expectation_col.is_some() => single(&gap_values),
            None => None,
        };
        let name = survey::group_name(&r.group);
        if perception.is_none() {
            notes.push(format!(
                "{name}: {}: no responses (the mean is undefined, not 0)",
                r.dimension
            ));
        }
        let mut m = Map::new();
        m.insert("group".into(), json!(r.group));
        m.insert("dimension".into(), json!(r.dimension));
        m.insert("n".into(), json!(r.perceptions.len()));
        m.insert("non_responses".into(), json!(r.non_responses));
        let pe = perception.and_then(|p| p.1);
        m.insert("mean".into(), json!(perception.map(|p| p.0)));
        m.insert("sd".into(), json!(pe.map(|e| e.sd)));
        m.insert("se".into(), json!(pe.map(|e| e.se)));
        m.insert("ci_low".into(), json!(pe.map(|e| e.ci_low)));
        m.insert("ci_high".into(), json!(pe.map(|e| e.ci_high)));
        m.insert("confidence".into(), json!(args.confidence));
        m.insert("expectation_col".into(), json!(r.expectation_col));
        let ge = gap.and_then(|g| g.1);
        m.insert(
            "gap_n".into(),
            json!(r.expectation_col.as_ref().map(|_| r.pairs.len())),
        );
        m.insert("gap".into(), json!(gap.map(|g| g.0)));
        m.insert("gap_ci_low".into(), json!(ge.map(|e| e.ci_low)));
        m.insert("gap_ci_high".into(), json!(ge.map(|e| e.ci_high)));
        json_rows.push(Value::Object(m));
        let interval = |e: Option<MeanEstimate>| {
            e.map_or("—".to_string(), |e| {
                format!("{} to {}", fixed(e.ci_low, 2), fixed(e.ci_high, 2))
            })
        };
        text_rows.push(vec![
            name,
            r.dimension.clone(),
            r.perceptions.len().to_string(),
            perception.map_or("—".into(), |p| fixed(p.0, 2)),
            interval(pe),
            match (&r.expectation_col, gap) {
                (None, _) => "no expectations".into(),
                (Some(_), None) => "—".into(),
                (Some(_), Some(g)) => format!("{:+.2} (n = {})", g.0, r.pairs.len()),
            },
            interval(ge),
        ]);
    }
    if args.json {
        return survey::print_json(&Value::Array(json_rows));
    }
    let c = survey::conf_label(args.confidence);
    let header: Vec<String> = vec![
        "group".into(),
        "dimension".into(),
        "n".into(),
        "mean (1–5)".into(),
        format!("{c} interval"),
        "gap P − E".into(),
        format!("gap {c} interval"),
    ];
    let mut out = format!("{}: service dimensions\n", table.name);
    out.push_str(&layout(&header, &text_rows));
    for n in &notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push_str("note: the gap is the SERVQUAL score perception − expectation over the respondents who answered both; below 0 the service falls short of what customers expect\n");
    use std::io::Write as _;
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}
