//! `comeback nps`: the Net Promoter Score of a responses file, with intervals (Rocks 2016
//! adjusted Wald by default), breakdowns, monthly trends, comparisons, a benchmark test,
//! response rates, JSON and an HTML page.
//!
//! JSON: an array with one object per group (`"group": null` without --by) holding `group,
//! n, non_responses, promoters, passives, detractors, nps, nps_adjusted, se, ci_low,
//! ci_high, method, z, confidence, invited, response_rate`; `--trend month` adds `trend`,
//! `--compare A,B` adds `comparison` to A's object (to the only object when months are
//! compared), and `--benchmark X` adds `benchmark_test` to every object. `z` is the critical
//! value of the interval; NPS values are points (−100 to 100).

use super::common::write_atomically;
use super::survey::{
    self, Comparison, Estimate, GroupResult, Invited, Metric, Scale, SurveyArgs, fixed,
};
use anyhow::{Result, bail};
use comeback_report::{Lang, NpsPageComparison, NpsPageGroup, NpsPageInput, NpsPageMonth};
use comeback_voice::VoiceError;
use comeback_voice::nps::{self, IntervalMethod, NpsCounts};
use comeback_voice::stats::Difference;
use serde_json::{Value, json};
use std::path::PathBuf;

/// Flags of `comeback nps`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub survey: SurveyArgs,
    /// The column of the 0–10 answers to "how likely are you to recommend us?".
    #[arg(long, default_value = "score", value_name = "COLUMN")]
    pub score_col: String,
    /// Interval method: adjusted-wald (Rocks 2016: ¾ promoter, ¾ detractor and 1½ passive
    /// pseudo-responses; good coverage at every n) or wald (observed shares; zero width when
    /// every answer is in one class).
    #[arg(long, default_value = "adjusted-wald", value_parser = parse_method)]
    pub method: IntervalMethod,
    /// Total invitations sent (for the response rate; only without --by).
    #[arg(long, value_name = "N", conflicts_with = "invited_col")]
    pub invited: Option<u64>,
    /// Column with the invitations each row stands for (blank = 0); a group's invitations
    /// are their sum.
    #[arg(long, value_name = "COLUMN")]
    pub invited_col: Option<String>,
    /// One-sided test of each group's NPS against this benchmark (points, −100 to 100):
    /// is the NPS significantly above it?
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    pub benchmark: Option<f64>,
    /// Also write a self-contained HTML page to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Language of the HTML page: en, es, pt, fi, de or fr.
    #[arg(long, default_value = "en")]
    pub lang: Lang,
}

fn parse_method(s: &str) -> Result<IntervalMethod, String> {
    IntervalMethod::parse(s)
        .ok_or_else(|| format!("unknown method {s:?} (expected adjusted-wald or wald)"))
}

/// The NPS as a [`Metric`].
pub struct Nps {
    /// The interval method.
    pub method: IntervalMethod,
    /// The confidence level.
    pub confidence: f64,
}

/// Counts of 0–10 scores (validated by the table reader).
pub fn counts(scores: &[f64]) -> NpsCounts {
    let mut c = NpsCounts::default();
    for &s in scores {
        // Scores are whole numbers 0–10 here: the reader rejected anything else.
        let _ = c.add_score(s as u8);
    }
    c
}

impl Nps {
    fn full(&self, scores: &[f64]) -> Result<nps::NpsEstimate> {
        Ok(nps::estimate(counts(scores), self.method, self.confidence)?)
    }
}

impl Metric for Nps {
    fn name(&self) -> &'static str {
        "NPS"
    }
    fn value_key(&self) -> &'static str {
        "nps"
    }
    fn keys(&self) -> &'static [&'static str] {
        &[
            "promoters",
            "passives",
            "detractors",
            "nps",
            "nps_adjusted",
            "se",
            "ci_low",
            "ci_high",
            "method",
            "z",
        ]
    }
    fn columns(&self) -> Vec<String> {
        vec![
            "promoters".into(),
            "passives".into(),
            "detractors".into(),
            "NPS".into(),
            format!(
                "{} interval ({})",
                survey::conf_label(self.confidence),
                self.method.as_str()
            ),
        ]
    }
    fn estimate(&self, scores: &[f64]) -> Result<Estimate> {
        let e = self.full(scores)?;
        let c = e.counts;
        let mut fields = serde_json::Map::new();
        for (k, v) in [
            ("promoters", json!(c.promoters)),
            ("passives", json!(c.passives)),
            ("detractors", json!(c.detractors)),
            ("nps", json!(e.nps)),
            ("nps_adjusted", json!(e.nps_adjusted)),
            ("se", json!(e.se)),
            ("ci_low", json!(e.ci_low)),
            ("ci_high", json!(e.ci_high)),
            ("method", json!(e.method.as_str())),
            ("z", json!(e.z)),
        ] {
            fields.insert(k.into(), v);
        }
        let mut notes = Vec::new();
        if e.nps < e.ci_low || e.nps > e.ci_high {
            notes.push(format!(
                "the interval {} to {} excludes the observed NPS {} because the adjusted-Wald method adds 3 pseudo-responses that pull its centre {} of the way toward 0; with n = {} one sample is weak evidence of so extreme a score",
                fixed(e.ci_low, 2),
                fixed(e.ci_high, 2),
                fixed(e.nps, 1),
                format_args!("3/{}", c.n() + 3),
                c.n()
            ));
        }
        if e.method == IntervalMethod::Wald && e.se == 0.0 {
            notes.push(
                "the Wald interval has zero width because every answer is in one class; it claims a certainty the data do not have (use --method adjusted-wald)"
                    .to_string(),
            );
        }
        Ok(Estimate {
            value: e.nps,
            ci: Some((e.ci_low, e.ci_high)),
            fields,
            cells: vec![
                c.promoters.to_string(),
                c.passives.to_string(),
                c.detractors.to_string(),
                fixed(e.nps, 1),
                format!("{} to {}", fixed(e.ci_low, 2), fixed(e.ci_high, 2)),
            ],
            notes,
        })
    }
    fn difference(&self, a: &[f64], b: &[f64]) -> Result<Difference> {
        Ok(nps::compare(counts(a), counts(b), self.method, self.confidence)?.difference)
    }
    fn show(&self, x: f64) -> String {
        fixed(x, 1)
    }
    fn change_note(&self) -> Option<String> {
        (self.method == IntervalMethod::AdjustedWald).then(|| {
            "changes and differences compare the adjusted-Wald estimates (the interval centres, nps_adjusted), as their tests do, so at small n they differ from the difference of the observed NPS".to_string()
        })
    }
}

/// Runs `comeback nps`.
pub fn run(args: Args) -> Result<()> {
    let s = &args.survey;
    survey::check_confidence(s.confidence)?;
    if let Some(html) = &args.html {
        super::common::check_outputs(&[&s.input], &[("--html", html)])?;
    }
    if let Some(b) = args.benchmark
        && !(-100.0..=100.0).contains(&b)
    {
        bail!("--benchmark must be an NPS between -100 and 100, got {b}");
    }
    let invited = match (&args.invited, &args.invited_col) {
        (Some(_), _) if s.by.is_some() => bail!(
            "--invited is the total for the whole file; with --by, give the invitations per row with --invited-col"
        ),
        (Some(0), _) => bail!("--invited must be at least 1"),
        (Some(n), _) => Invited::Total(*n as f64),
        (None, Some(c)) => Invited::Column(c.clone()),
        (None, None) => Invited::Unknown,
    };
    let metric = Nps {
        method: args.method,
        confidence: s.confidence,
    };
    let table = survey::load(s)?;
    let trend = s.trend.is_some();
    let need_month = trend || (s.compare.is_some() && s.by.is_none());
    let scale = Scale {
        min: 0.0,
        max: 10.0,
        integer: true,
    };
    let rows = survey::responses(&table, s, &args.score_col, scale, &invited, need_month)?;
    let groups = survey::analyse(&metric, &table, &args.score_col, &rows, &invited, trend)?;
    survey::check_invited(&table, &groups)?;
    let comparison = match &s.compare {
        Some(spec) => Some(survey::compare(
            &metric,
            spec,
            s.by.is_some(),
            &groups,
            &rows,
        )?),
        None => None,
    };
    let mut benchmarks: Vec<Option<Result<nps::BenchmarkTest, String>>> = Vec::new();
    for g in &groups {
        benchmarks.push(match args.benchmark {
            Some(b) if g.n > 0 => Some(
                nps::against_benchmark(counts(&g.scores), b, metric.method, s.confidence).map_err(
                    |e| match e {
                        // One sample: the library's message speaks of two.
                        VoiceError::ZeroVariance => "the standard error is 0 (every answer in \
                                                     one class under the Wald method): the \
                                                     test statistic is undefined"
                            .to_string(),
                        e => e.to_string(),
                    },
                ),
            ),
            _ => None,
        });
    }
    if s.json {
        let mut out = Vec::new();
        for (i, g) in groups.iter().enumerate() {
            let mut m = survey::group_json(&metric, g, s.confidence, trend);
            if let Some(c) = &comparison {
                let here = if s.by.is_some() {
                    g.group.as_deref() == Some(c.a.as_str())
                } else {
                    true
                };
                if here {
                    m.insert("comparison".into(), survey::comparison_json(c));
                }
            }
            if let Some(b) = args.benchmark {
                let v = match &benchmarks[i] {
                    Some(Ok(t)) => json!({
                        "benchmark": t.benchmark, "nps": t.nps, "se": t.se, "z": t.z,
                        "p_value": t.p_value, "above": t.above,
                    }),
                    Some(Err(e)) => json!({"benchmark": b, "error": e}),
                    None => Value::Null,
                };
                m.insert("benchmark_test".into(), v);
            }
            out.push(Value::Object(m));
        }
        survey::print_json(&Value::Array(out))?;
    } else {
        let mut notes = Vec::new();
        if let Some(b) = args.benchmark {
            for (g, t) in groups.iter().zip(&benchmarks) {
                let name = survey::group_name(&g.group);
                match t {
                    Some(Ok(t)) => notes.push(format!(
                        "{name}: benchmark {b}: {} (one-sided z = {:.3}, {})",
                        if t.above {
                            format!(
                                "the NPS is significantly above the benchmark at the {} level",
                                survey::conf_label(s.confidence)
                            )
                        } else {
                            "the data do not show that the NPS is above the benchmark".to_string()
                        },
                        t.z,
                        survey::p_eq(t.p_value)
                    )),
                    Some(Err(e)) => notes.push(format!("{name}: no benchmark test: {e}")),
                    None => {}
                }
            }
        }
        survey::print_text(
            &metric,
            &table,
            &groups,
            s.confidence,
            comparison.as_ref(),
            &notes,
        )?;
    }
    if let Some(path) = &args.html {
        let page = page_input(
            &args,
            &table.name,
            &groups,
            comparison.as_ref(),
            &benchmarks,
        );
        let html = comeback_report::render_nps_page(&page, args.lang);
        write_atomically(path, |w| Ok(w.write_all(html.as_bytes())?))?;
        if !s.json {
            note!("wrote {}", path.display());
        }
    }
    Ok(())
}

fn page_input(
    args: &Args,
    file: &str,
    groups: &[GroupResult],
    comparison: Option<&Comparison>,
    benchmarks: &[Option<Result<nps::BenchmarkTest, String>>],
) -> NpsPageInput {
    let num = |e: &Option<Estimate>, k: &str| {
        e.as_ref()
            .and_then(|e| e.fields.get(k))
            .and_then(Value::as_f64)
    };
    let cnt = |e: &Option<Estimate>, k: &str| {
        e.as_ref()
            .and_then(|e| e.fields.get(k))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    NpsPageInput {
        file: file.to_string(),
        method: args.method.as_str().to_string(),
        confidence: args.survey.confidence,
        non_responses: groups.iter().map(|g| g.non_responses).sum(),
        benchmark: args.benchmark,
        groups: groups
            .iter()
            .zip(benchmarks)
            .map(|(g, b)| NpsPageGroup {
                name: g.group.clone(),
                n: g.n,
                promoters: cnt(&g.estimate, "promoters"),
                passives: cnt(&g.estimate, "passives"),
                detractors: cnt(&g.estimate, "detractors"),
                nps: num(&g.estimate, "nps"),
                ci_low: num(&g.estimate, "ci_low"),
                ci_high: num(&g.estimate, "ci_high"),
                response_rate: survey::response_rate(g),
                benchmark_p: match b {
                    Some(Ok(t)) => Some(t.p_value),
                    _ => None,
                },
                trend: g
                    .trend
                    .iter()
                    .map(|t| {
                        let d = t.change.as_ref().and_then(|c| c.as_ref().ok());
                        NpsPageMonth {
                            year: t.month.year,
                            month: t.month.month,
                            n: t.n,
                            nps: t.estimate.value,
                            ci_low: t.estimate.ci.map_or(f64::NAN, |c| c.0),
                            ci_high: t.estimate.ci.map_or(f64::NAN, |c| c.1),
                            change: d.map(|d| d.difference),
                            change_p: d.map(|d| d.p_value),
                        }
                    })
                    .collect(),
            })
            .collect(),
        comparison: comparison.map(|c| NpsPageComparison {
            a: c.a.clone(),
            b: c.b.clone(),
            nps_a: c.value_a,
            nps_b: c.value_b,
            difference: c.difference.difference,
            ci_low: c.difference.ci_low,
            ci_high: c.difference.ci_high,
            z: c.difference.statistic,
            p_value: c.difference.p_value,
        }),
        version: env!("CARGO_PKG_VERSION").to_string(),
    }
}
