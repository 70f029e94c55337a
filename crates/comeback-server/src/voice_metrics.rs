//! Survey metrics of the stored answers, computed by the same `comeback_voice` functions as
//! the CLI, for `/surveys` and the read-only API (`GET /api/v1/survey-metrics`,
//! `GET /api/v1/survey-predictors`):
//!
//! - **CSAT** of the `csat` surveys' 1–5 answers: the top-2-box share with its Wilson
//!   interval (`comeback_voice::scales::csat`, as `comeback csat`);
//! - **CES** of the `ces` surveys' 1–7 answers: the mean with its t interval clipped to the
//!   scale (`scales::ces`, as `comeback ces`; one answer gives a mean without interval);
//! - the **service dimensions** of the `dimensions` surveys (1–5 each): the mean perception
//!   with its t interval (`scales::dimension_score`, as `comeback dimensions`; the survey asks
//!   no expectations, so there is no SERVQUAL gap), for every dimension id the survey versions
//!   ask ([`survey_dimensions`]: the five built-in ones and those a definition adds, such as
//!   `cleanliness`);
//!
//! each over all answers, per location and per employee (answers without one are left out of
//! that breakdown), at 95 %; and **which metric predicts defection**
//! (`comeback_voice::predict::predictors`, as `comeback predictors --no-p-alive`): the answers
//! of known customers (NPS, CSAT, CES, the dimensions; one column per metric that has an
//! answer) joined to the store's transaction log with a 365-day window.
//!
//! An answer's day is the UTC day it was submitted (as on the customer timeline). The
//! `*_csv` functions write the same answers in the CLI's file layout, so that the numbers can
//! be checked with `comeback csat|ces|dimensions|predictors` (a test does).

use std::collections::BTreeMap;

use comeback_core::{Day, TransactionLog};
use comeback_store::{ResponseRecord, Survey, SurveyKind};
use comeback_voice::VoiceError;
use comeback_voice::predict::{
    PredictError, PredictOptions, PredictorReport, Response, Responses, SpendRatio, Verdict,
    predictors,
};
use comeback_voice::scales::{self, CES_SCALE, Dimension};
use comeback_voice::stats::MeanEstimate;
use serde::Serialize;
use utoipa::ToSchema;

/// Confidence level of every interval.
pub const CONFIDENCE: f64 = 0.95;
/// The CSAT question's highest point (answers 1–5; the top two boxes are 4 and 5).
pub const CSAT_SCALE_MAX: u8 = 5;
/// Follow-up window of the predictors, in days (the CLI's default).
pub const PREDICTOR_WINDOW_DAYS: u32 = 365;

/// One group's rating metric: CSAT's top-2-box share with its Wilson interval, or a mean
/// (CES, one service dimension) with its t interval. The keys are those of the CLI's
/// `--json` rows.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RatingRow {
    /// The location or employee code; `null` for all answers.
    pub group: Option<String>,
    /// The service dimension: a built-in one (`reliability`, `assurance`, `responsiveness`,
    /// `empathy`, `delight`) or the id of one a survey definition adds (`cleanliness`);
    /// `null` for CSAT and CES.
    pub dimension: Option<String>,
    /// Answers.
    pub n: u64,
    /// CSAT: answers in the top two boxes (4–5).
    pub successes: Option<u64>,
    /// CSAT: successes / n, in \[0, 1\].
    pub share: Option<f64>,
    /// CES and dimensions: the mean answer.
    pub mean: Option<f64>,
    /// Standard deviation (n − 1); `null` for one answer and for CSAT.
    pub sd: Option<f64>,
    /// Standard error of the mean; `null` for one answer and for CSAT.
    pub se: Option<f64>,
    /// Lower bound of the 95 % interval; `null` for a mean of one answer.
    pub ci_low: Option<f64>,
    /// Upper bound of the 95 % interval; `null` for a mean of one answer.
    pub ci_high: Option<f64>,
}

/// A metric over all answers, per location and per employee.
#[derive(Debug, Clone, PartialEq, Default, Serialize, ToSchema)]
pub struct RatingBreakdown {
    /// All answers: one row (CSAT, CES) or one per dimension answered; empty without
    /// answers.
    pub overall: Vec<RatingRow>,
    /// Per location code, in code order (answers without a location left out).
    pub by_location: Vec<RatingRow>,
    /// Per employee code, in code order (answers without an employee left out).
    pub by_employee: Vec<RatingRow>,
}

/// CSAT, CES and the service dimensions of the stored answers.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RatingMetrics {
    /// Confidence level of every interval (0.95).
    pub confidence: f64,
    /// CSAT (top-2-box share of 1–5).
    pub csat: RatingBreakdown,
    /// CES (mean of 1–7, 7 = very easy).
    pub ces: RatingBreakdown,
    /// Service dimensions (mean of 1–5 per dimension, in the order of
    /// [`survey_dimensions`] within each group: reliability, assurance, responsiveness,
    /// empathy, delight, then the surveys' own).
    pub dimensions: RatingBreakdown,
}

impl RatingMetrics {
    /// Whether no CSAT, CES or dimension answer is stored.
    pub fn is_empty(&self) -> bool {
        self.csat.overall.is_empty()
            && self.ces.overall.is_empty()
            && self.dimensions.overall.is_empty()
    }
}

/// Dimension ids left out of the metrics: columns of the exported files (`date`) and
/// the other metrics of the predictors' file (`nps`, `csat`, `ces`, and `score`, which
/// `comeback predictors` would read as the NPS answer). Survey definitions may not use
/// them ([`crate::surveys::SurveyDefinition::validate`]).
pub const NOT_DIMENSIONS: [&str; 5] = ["date", "nps", "csat", "ces", "score"];

/// The dimension ids the `dimensions` survey versions ask ([`crate::surveys::questions_for`]):
/// the built-in ones any version asks, in [`Dimension::ALL`] order, then the others in the
/// order they first appear (versions by id, questions in definition order); ids of
/// [`NOT_DIMENSIONS`] are left out. Answers are stored under these ids.
pub fn survey_dimensions(surveys: &[Survey]) -> Vec<String> {
    let mut versions: Vec<&Survey> = surveys
        .iter()
        .filter(|s| s.kind == SurveyKind::Dimensions)
        .collect();
    versions.sort_by_key(|s| s.id);
    let mut own: Vec<String> = Vec::new();
    let mut builtin = [false; 5];
    for s in versions {
        for q in crate::surveys::questions_for(s) {
            let crate::surveys::Question::Scale { id, .. } = q else {
                continue;
            };
            if let Some(i) = Dimension::ALL.iter().position(|d| d.as_str() == id) {
                builtin[i] = true;
            } else if !NOT_DIMENSIONS.contains(&id.as_str()) && !own.contains(&id) {
                own.push(id);
            }
        }
    }
    Dimension::ALL
        .iter()
        .zip(builtin)
        .filter(|(_, asked)| *asked)
        .map(|(d, _)| d.as_str().to_owned())
        .chain(own)
        .collect()
}

/// The label of dimension `id` in `lang`: for a built-in one the catalogue's
/// (`builtin_text`, given the key `metric_{id}`); for a survey's own the text of the newest
/// `dimensions` version that asks it, in `lang`, else English, else any language given
/// (the fallback of question texts); else the id itself.
pub fn dimension_label(
    surveys: &[Survey],
    id: &str,
    lang: comeback_report::Lang,
    builtin_text: impl Fn(&str) -> String,
) -> String {
    if Dimension::ALL.iter().any(|d| d.as_str() == id) {
        return builtin_text(&format!("metric_{id}"));
    }
    surveys
        .iter()
        .filter(|s| s.kind == SurveyKind::Dimensions)
        .filter_map(|s| Some((s.id, crate::surveys::SurveyDefinition::of(s)?)))
        .filter(|(_, d)| d.questions.iter().any(|q| q.id == id))
        .max_by_key(|(sid, _)| *sid)
        .and_then(|(_, d)| d.text(id, lang.code(), false).map(str::to_owned))
        .unwrap_or_else(|| id.to_owned())
}

/// The answers of a `dimensions` response to `dims`, in that order.
fn dimension_answers(r: &ResponseRecord, dims: &[String]) -> Vec<Option<f64>> {
    let Ok(serde_json::Value::Object(a)) = serde_json::from_str::<serde_json::Value>(&r.answers)
    else {
        return vec![None; dims.len()];
    };
    dims.iter()
        .map(|d| a.get(d).and_then(serde_json::Value::as_f64))
        .collect()
}

fn csat_row(group: Option<String>, scores: &[u8]) -> Result<Option<RatingRow>, VoiceError> {
    if scores.is_empty() {
        return Ok(None);
    }
    let e = scales::csat(scores, CSAT_SCALE_MAX, CONFIDENCE)?;
    Ok(Some(RatingRow {
        group,
        dimension: None,
        n: e.n,
        successes: Some(e.successes),
        share: Some(e.share),
        mean: None,
        sd: None,
        se: None,
        ci_low: Some(e.ci_low),
        ci_high: Some(e.ci_high),
    }))
}

/// A mean row: `estimate` for two answers or more, the answer itself for one (as the CLI).
fn mean_row(
    group: Option<String>,
    dimension: Option<&str>,
    scores: &[f64],
    estimate: impl Fn(&[f64]) -> Result<MeanEstimate, VoiceError>,
) -> Result<Option<RatingRow>, VoiceError> {
    let (mean, e) = match scores {
        [] => return Ok(None),
        [one] => (*one, None),
        _ => {
            let e = estimate(scores)?;
            (e.mean, Some(e))
        }
    };
    Ok(Some(RatingRow {
        group,
        dimension: dimension.map(str::to_owned),
        n: scores.len() as u64,
        successes: None,
        share: None,
        mean: Some(mean),
        sd: e.map(|e| e.sd),
        se: e.map(|e| e.se),
        ci_low: e.map(|e| e.ci_low),
        ci_high: e.map(|e| e.ci_high),
    }))
}

fn ces_row(group: Option<String>, scores: &[f64]) -> Result<Option<RatingRow>, VoiceError> {
    mean_row(group, None, scores, |s| {
        scales::ces(s, CES_SCALE, CONFIDENCE)
    })
}

/// One row per dimension of `dims` answered in `answers` (each parallel to `dims`).
fn dimension_rows(
    group: Option<String>,
    dims: &[String],
    answers: &[Vec<Option<f64>>],
) -> Result<Vec<RatingRow>, VoiceError> {
    let mut out = Vec::new();
    for (i, d) in dims.iter().enumerate() {
        let values: Vec<f64> = answers.iter().filter_map(|a| a[i]).collect();
        let row = mean_row(group.clone(), Some(d), &values, |v| {
            Ok(scales::dimension_score(v, None, CONFIDENCE)?.0)
        })?;
        out.extend(row);
    }
    Ok(out)
}

/// An answer's value with its location and employee codes.
type Located<T> = (Option<String>, Option<String>, T);

/// `rows` over all items, per location and per employee; `item` is (location, employee,
/// value).
fn breakdown<T: Clone>(
    items: &[Located<T>],
    rows: impl Fn(Option<String>, &[T]) -> Result<Vec<RatingRow>, VoiceError>,
) -> Result<RatingBreakdown, VoiceError> {
    let all: Vec<T> = items.iter().map(|(_, _, v)| v.clone()).collect();
    let mut by_location: BTreeMap<&str, Vec<T>> = BTreeMap::new();
    let mut by_employee: BTreeMap<&str, Vec<T>> = BTreeMap::new();
    for (l, e, v) in items {
        if let Some(l) = l {
            by_location.entry(l).or_default().push(v.clone());
        }
        if let Some(e) = e {
            by_employee.entry(e).or_default().push(v.clone());
        }
    }
    let groups = |m: BTreeMap<&str, Vec<T>>| -> Result<Vec<RatingRow>, VoiceError> {
        let mut out = Vec::new();
        for (k, v) in m {
            out.extend(rows(Some(k.to_owned()), &v)?);
        }
        Ok(out)
    };
    Ok(RatingBreakdown {
        overall: rows(None, &all)?,
        by_location: groups(by_location)?,
        by_employee: groups(by_employee)?,
    })
}

fn of_kind(
    responses: &[ResponseRecord],
    kind: SurveyKind,
) -> impl Iterator<Item = &ResponseRecord> {
    responses.iter().filter(move |r| r.kind == kind)
}

/// CSAT, CES and the service dimensions `dims` ([`survey_dimensions`]) of `responses`
/// (submitted answers, any kinds).
///
/// # Errors
/// `comeback_voice`'s, for an answer off its scale (the store only keeps answers on it).
pub fn rating_metrics(
    responses: &[ResponseRecord],
    dims: &[String],
) -> Result<RatingMetrics, VoiceError> {
    let key = |r: &ResponseRecord| (r.location.clone(), r.employee.clone());
    let csat: Vec<Located<u8>> = of_kind(responses, SurveyKind::Csat)
        .filter_map(|r| {
            let (l, e) = key(r);
            Some((l, e, u8::try_from(r.score?).ok()?))
        })
        .collect();
    let ces: Vec<Located<f64>> = of_kind(responses, SurveyKind::Ces)
        .filter_map(|r| {
            let (l, e) = key(r);
            Some((l, e, r.score? as f64))
        })
        .collect();
    let dim_answers: Vec<Located<Vec<Option<f64>>>> = of_kind(responses, SurveyKind::Dimensions)
        .map(|r| {
            let (l, e) = key(r);
            (l, e, dimension_answers(r, dims))
        })
        .filter(|(_, _, a)| a.iter().any(Option::is_some))
        .collect();
    Ok(RatingMetrics {
        confidence: CONFIDENCE,
        csat: breakdown(&csat, |g, s| Ok(csat_row(g, s)?.into_iter().collect()))?,
        ces: breakdown(&ces, |g, s| Ok(ces_row(g, s)?.into_iter().collect()))?,
        dimensions: breakdown(&dim_answers, |g, a| dimension_rows(g, dims, a))?,
    })
}

fn csv_text(w: csv::Writer<Vec<u8>>) -> String {
    // Writing to memory cannot fail; the bytes are UTF-8 strings.
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn day_text(r: &ResponseRecord) -> String {
    r.submitted_at.date_naive().to_string()
}

fn number_text(x: Option<f64>) -> String {
    x.map_or(String::new(), |x| x.to_string())
}

/// The answers of `kind` (`Csat`, `Ces` or `Dimensions`) as the file the CLI reads:
/// `customer,date,location,employee` and `csat`, `ces` or one column per dimension of
/// `dims` ([`survey_dimensions`]) (`comeback csat FILE --by location`, `comeback ces ...`,
/// `comeback dimensions FILE --dimensions` and the dimension columns). Other kinds give the
/// header only.
pub fn ratings_csv(responses: &[ResponseRecord], kind: SurveyKind, dims: &[String]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["customer", "date", "location", "employee"];
    match kind {
        SurveyKind::Csat => header.push("csat"),
        SurveyKind::Ces => header.push("ces"),
        SurveyKind::Dimensions => header.extend(dims.iter().map(String::as_str)),
        _ => {}
    }
    let _ = w.write_record(&header);
    for r in of_kind(responses, kind) {
        let mut row = vec![
            r.customer.clone().unwrap_or_default(),
            day_text(r),
            r.location.clone().unwrap_or_default(),
            r.employee.clone().unwrap_or_default(),
        ];
        match kind {
            SurveyKind::Csat | SurveyKind::Ces => row.push(number_text(r.score.map(|s| s as f64))),
            SurveyKind::Dimensions => {
                row.extend(dimension_answers(r, dims).into_iter().map(number_text));
            }
            _ => continue,
        }
        let _ = w.write_record(&row);
    }
    csv_text(w)
}

/// The metrics the predictors rank before the dimensions, in column order: the NPS
/// answer, CSAT and CES.
pub const PREDICTOR_METRICS: [&str; 3] = ["nps", "csat", "ces"];

/// The answers of known customers (not anonymous, not erased) of the NPS, CSAT, CES and
/// dimension surveys as the predictors' responses: one row per answer, oldest first, one
/// value per metric of [`PREDICTOR_METRICS`] and dimension of `dims`
/// ([`survey_dimensions`]) that has at least one answer (the others are left out, as the
/// CLI leaves out a blank column).
pub fn predictor_responses(responses: &[ResponseRecord], dims: &[String]) -> Responses {
    let names: Vec<&str> = PREDICTOR_METRICS
        .iter()
        .copied()
        .chain(dims.iter().map(String::as_str))
        .collect();
    let mut rows = Vec::new();
    for r in responses {
        let Some(customer) = r.customer.clone() else {
            continue;
        };
        let mut values = vec![None; names.len()];
        match r.kind {
            SurveyKind::Nps => values[0] = r.score.map(|s| s as f64),
            SurveyKind::Csat => values[1] = r.score.map(|s| s as f64),
            SurveyKind::Ces => values[2] = r.score.map(|s| s as f64),
            SurveyKind::Dimensions => values[3..].copy_from_slice(&dimension_answers(r, dims)),
            _ => continue,
        }
        if values.iter().all(Option::is_none) {
            continue;
        }
        rows.push(Response {
            customer,
            day: Day::from_date(r.submitted_at.date_naive()),
            values,
        });
    }
    let used: Vec<usize> = (0..names.len())
        .filter(|&i| rows.iter().any(|r: &Response| r.values[i].is_some()))
        .collect();
    for r in &mut rows {
        r.values = used.iter().map(|&i| r.values[i]).collect();
    }
    Responses {
        metrics: used.iter().map(|&i| names[i].to_owned()).collect(),
        rows,
    }
}

/// `responses` as the CLI's responses file: `customer,date` and one column per metric.
pub fn predictors_csv(responses: &Responses) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["customer".to_owned(), "date".to_owned()];
    header.extend(responses.metrics.iter().cloned());
    let _ = w.write_record(&header);
    for r in &responses.rows {
        let mut row = vec![r.customer.clone(), r.day.to_string()];
        row.extend(r.values.iter().map(|v| number_text(*v)));
        let _ = w.write_record(&row);
    }
    csv_text(w)
}

/// Which metric predicts defection: `responses` joined to `log` with the CLI's defaults (a
/// 365-day window, the log's observation end, 95 %, the `nps` column as the NPS answer)
/// and no P(alive). `None` when there is nothing to join (no answer of a known customer, or
/// no transaction).
///
/// # Errors
/// [`PredictError`] (none for the store's answers, which are on their scales).
pub fn compute_predictors(
    responses: &Responses,
    log: &TransactionLog,
) -> Result<Option<PredictorReport>, PredictError> {
    if responses.rows.is_empty() || log.is_empty() {
        return Ok(None);
    }
    let opts = PredictOptions {
        window_days: PREDICTOR_WINDOW_DAYS,
        observation_end: None,
        confidence: CONFIDENCE,
        nps_metric: responses
            .metrics
            .iter()
            .any(|m| m == "nps")
            .then(|| "nps".to_owned()),
    };
    predictors(responses, log, &opts, None).map(Some)
}

/// How the answers were used (the CLI's `counts`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PredictorCounts {
    /// Answers of known customers given to the computation.
    pub responses: u64,
    /// Of them, answers of customers without transactions.
    pub unknown_customer_responses: u64,
    /// Customers without transactions.
    pub unknown_customers: u64,
    /// Answers dated after the observation end.
    pub after_end: u64,
    /// Answers dated before the customer's first purchase.
    pub before_first_purchase: u64,
    /// Answers whose window ends after the observation end (outcome not known yet).
    pub censored: u64,
    /// Answers with a complete window.
    pub with_outcome: u64,
    /// Customers with an outcome.
    pub customers_with_outcome: u64,
    /// Of them, retained.
    pub customers_retained: u64,
}

/// One metric's predictive power.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PredictorMetric {
    /// 1 for the best.
    pub rank: u64,
    /// `nps`, `csat`, `ces` or a dimension id (built-in or a survey's own).
    pub metric: String,
    /// Customers with an outcome and an answer.
    pub n: u64,
    /// Of them, retained (a purchase in the window).
    pub retained: u64,
    /// Of them, defected.
    pub defected: u64,
    /// P(a retained customer scored higher than a defected one) + ½ P(tie); `null` with
    /// fewer than 2 retained or 2 defected customers.
    pub auc: Option<f64>,
    /// DeLong standard error.
    pub se: Option<f64>,
    /// Lower bound of the logit-scale 95 % interval.
    pub ci_low: Option<f64>,
    /// Upper bound.
    pub ci_high: Option<f64>,
    /// `predicts`, `reversed`, `coin_toss` or `too_few_customers`.
    pub verdict: String,
    /// `weak`, `acceptable`, `excellent` or `outstanding` for `predicts` and `reversed`.
    pub strength: Option<String>,
}

/// Retention and spend of one NPS class.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PredictorClass {
    /// `promoter`, `passive` or `detractor`.
    pub class: String,
    /// Customers of the class with an outcome.
    pub n: u64,
    /// Of them, retained.
    pub retained: Option<u64>,
    /// retained / n.
    pub retention: Option<f64>,
    /// Wilson interval of the retention.
    pub retention_ci_low: Option<f64>,
    /// Wilson interval of the retention.
    pub retention_ci_high: Option<f64>,
    /// Mean spend in the window (currency units).
    pub mean_spend: Option<f64>,
    /// t interval of the mean spend.
    pub spend_ci_low: Option<f64>,
    /// t interval of the mean spend.
    pub spend_ci_high: Option<f64>,
}

/// Mean spend of one class over the passives'.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PredictorRatio {
    /// mean₁ / mean₂.
    pub ratio: f64,
    /// 100 (ratio − 1).
    pub percent: f64,
    /// Delta-method interval of the ratio.
    pub ci_low: f64,
    /// Delta-method interval of the ratio.
    pub ci_high: f64,
}

/// The NPS classes' outcomes.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PredictorNps {
    /// The NPS metric (`nps`).
    pub metric: String,
    /// Promoters, passives, detractors.
    pub classes: Vec<PredictorClass>,
    /// Promoters' spend over passives'.
    pub promoters_vs_passives: Option<PredictorRatio>,
    /// Detractors' spend over passives'.
    pub detractors_vs_passives: Option<PredictorRatio>,
}

/// The best metric against the runner-up on the customers who answered both.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PredictorComparison {
    /// The best metric.
    pub best: String,
    /// The runner-up.
    pub runner_up: String,
    /// Customers with both.
    pub n: u64,
    /// AUC difference.
    pub difference: f64,
    /// DeLong standard error of the difference.
    pub se: f64,
    /// Wald interval.
    pub ci_low: f64,
    /// Wald interval.
    pub ci_high: f64,
    /// Two-sided p-value of equal AUCs.
    pub p_value: f64,
}

/// `GET /api/v1/survey-predictors`: which survey metric predicts defection, with the keys
/// of `comeback predictors --json` (without P(alive)).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PredictorsOut {
    /// Whether at least one metric has an AUC (2 retained and 2 defected customers); when
    /// false the table says "not enough data".
    pub enough_data: bool,
    /// Follow-up window in days (365).
    pub window_days: u32,
    /// The observation end (the last stored transaction day), `null` without data.
    pub observation_end: Option<String>,
    /// Confidence level (0.95).
    pub confidence: f64,
    /// How the answers were used; `null` without data.
    pub counts: Option<PredictorCounts>,
    /// Metrics, best first.
    pub metrics: Vec<PredictorMetric>,
    /// The best against the runner-up.
    pub best_vs_runner_up: Option<PredictorComparison>,
    /// The NPS classes, when NPS answers exist.
    pub nps: Option<PredictorNps>,
}

/// A finite number, else `None` (as the CLI's JSON `null`).
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn ratio(r: &Option<SpendRatio>) -> Option<PredictorRatio> {
    r.as_ref().map(|r| PredictorRatio {
        ratio: r.ratio,
        percent: 100.0 * (r.ratio - 1.0),
        ci_low: r.ci_low,
        ci_high: r.ci_high,
    })
}

/// The API's form of a report (`None`: nothing to join).
pub fn predictors_out(report: Option<&PredictorReport>) -> PredictorsOut {
    let Some(r) = report else {
        return PredictorsOut {
            enough_data: false,
            window_days: PREDICTOR_WINDOW_DAYS,
            observation_end: None,
            confidence: CONFIDENCE,
            counts: None,
            metrics: Vec::new(),
            best_vs_runner_up: None,
            nps: None,
        };
    };
    let c = &r.counts;
    PredictorsOut {
        enough_data: r.metrics.iter().any(|m| m.auc.is_some()),
        window_days: r.window_days,
        observation_end: Some(r.observation_end.to_string()),
        confidence: r.confidence,
        counts: Some(PredictorCounts {
            responses: c.responses,
            unknown_customer_responses: c.unknown_customer_responses,
            unknown_customers: c.unknown_customers,
            after_end: c.after_end,
            before_first_purchase: c.before_first_purchase,
            censored: c.censored,
            with_outcome: c.with_outcome,
            customers_with_outcome: c.customers_with_outcome,
            customers_retained: c.customers_retained,
        }),
        metrics: r
            .metrics
            .iter()
            .enumerate()
            .map(|(i, m)| PredictorMetric {
                rank: i as u64 + 1,
                metric: m.metric.clone(),
                n: m.n,
                retained: m.retained,
                defected: m.defected,
                auc: m.auc.and_then(|a| finite(a.auc)),
                se: m.auc.and_then(|a| finite(a.se)),
                ci_low: m.auc.and_then(|a| a.ci_low).and_then(finite),
                ci_high: m.auc.and_then(|a| a.ci_high).and_then(finite),
                verdict: m.verdict.key().to_owned(),
                strength: match m.verdict {
                    Verdict::Predicts(s) | Verdict::Reversed(s) => Some(s.as_str().to_owned()),
                    _ => None,
                },
            })
            .collect(),
        best_vs_runner_up: r.best_vs_runner_up.as_ref().map(|b| PredictorComparison {
            best: b.best.clone(),
            runner_up: b.runner_up.clone(),
            n: b.difference.n,
            difference: b.difference.difference,
            se: b.difference.se,
            ci_low: b.difference.ci_low,
            ci_high: b.difference.ci_high,
            p_value: b.difference.p_value,
        }),
        nps: r.nps.as_ref().map(|n| PredictorNps {
            metric: n.metric.clone(),
            classes: n
                .classes
                .iter()
                .map(|k| PredictorClass {
                    class: k.class.as_str().to_owned(),
                    n: k.n,
                    retained: k.retention.map(|p| p.successes),
                    retention: k.retention.map(|p| p.share),
                    retention_ci_low: k.retention.map(|p| p.ci_low),
                    retention_ci_high: k.retention.map(|p| p.ci_high),
                    mean_spend: k.spend.map(|m| m.mean),
                    spend_ci_low: k.spend.map(|m| m.ci_low),
                    spend_ci_high: k.spend.map(|m| m.ci_high),
                })
                .collect(),
            promoters_vs_passives: ratio(&n.promoters_vs_passives),
            detractors_vs_passives: ratio(&n.detractors_vs_passives),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn record(
        kind: SurveyKind,
        score: Option<i64>,
        answers: &str,
        loc: Option<&str>,
    ) -> ResponseRecord {
        ResponseRecord {
            survey_id: 1,
            survey_name: "s".into(),
            survey_version: 1,
            kind,
            customer: Some("c".into()),
            location: loc.map(Into::into),
            employee: None,
            score,
            answers: answers.into(),
            comment: None,
            language: None,
            anonymous: false,
            source: "api".into(),
            submitted_at: "2026-03-01T10:00:00Z".parse::<DateTime<Utc>>().unwrap(),
        }
    }

    fn builtin() -> Vec<String> {
        Dimension::ALL.map(|d| d.as_str().to_owned()).to_vec()
    }

    fn survey(id: i64, kind: SurveyKind, definition: Option<&str>) -> Survey {
        Survey {
            id,
            name: format!("s{id}"),
            version: 1,
            kind,
            anonymous: false,
            active: true,
            created_at: "2026-03-01T10:00:00Z".parse::<DateTime<Utc>>().unwrap(),
            definition: definition.map(Into::into),
        }
    }

    #[test]
    fn a_surveys_own_dimensions() {
        let surveys = [
            survey(
                3,
                SurveyKind::Dimensions,
                Some(
                    r#"{"questions": [{"id": "speed", "text": {"en": "Speed", "fi": "Nopeus"}},
                        {"id": "empathy", "text": {"fi": "Empatia"}},
                        {"id": "comment"}]}"#,
                ),
            ),
            survey(
                2,
                SurveyKind::Dimensions,
                Some(
                    r#"{"questions": [{"id": "cleanliness", "text": {"de": "Sauberkeit"}},
                        {"id": "speed", "text": {"en": "Speed of service"}},
                        {"id": "nps", "text": {"en": "Old clash"}}]}"#,
                ),
            ),
            survey(1, SurveyKind::Csat, None),
        ];
        // Built-in ones first (empathy only), then the own ones by version id.
        let dims = survey_dimensions(&surveys);
        assert_eq!(dims, ["empathy", "cleanliness", "speed"]);
        let mut all = surveys.to_vec();
        all.push(survey(4, SurveyKind::Dimensions, None));
        assert_eq!(
            survey_dimensions(&all),
            [
                "reliability",
                "assurance",
                "responsiveness",
                "empathy",
                "delight",
                "cleanliness",
                "speed"
            ]
        );
        // Labels: the newest version's text, in the language, else English, else any.
        let fi = comeback_report::Lang::Fi;
        let label = |id: &str, lang| dimension_label(&surveys, id, lang, |k| format!("<{k}>"));
        assert_eq!(label("speed", fi), "Nopeus");
        assert_eq!(label("speed", comeback_report::Lang::De), "Speed");
        assert_eq!(label("cleanliness", fi), "Sauberkeit");
        assert_eq!(
            label("empathy", fi),
            "<metric_empathy>",
            "built in: the catalogue"
        );
        assert_eq!(label("gone", fi), "gone");

        let rs = vec![
            record(
                SurveyKind::Dimensions,
                None,
                r#"{"cleanliness": 4, "speed": 2}"#,
                Some("A"),
            ),
            record(
                SurveyKind::Dimensions,
                None,
                r#"{"cleanliness": 2, "comment": "ok"}"#,
                None,
            ),
            record(
                SurveyKind::Dimensions,
                None,
                r#"{"speed": 5, "nps": 1}"#,
                Some("A"),
            ),
        ];
        let m = rating_metrics(&rs, &dims).unwrap();
        let rows: Vec<(Option<&str>, u64, Option<f64>)> = m
            .dimensions
            .overall
            .iter()
            .map(|r| (r.dimension.as_deref(), r.n, r.mean))
            .collect();
        assert_eq!(
            rows,
            [
                (Some("cleanliness"), 2, Some(3.0)),
                (Some("speed"), 2, Some(3.5))
            ]
        );
        let a: Vec<(Option<&str>, Option<&str>, u64)> = m
            .dimensions
            .by_location
            .iter()
            .map(|r| (r.group.as_deref(), r.dimension.as_deref(), r.n))
            .collect();
        assert_eq!(
            a,
            [
                (Some("A"), Some("cleanliness"), 1),
                (Some("A"), Some("speed"), 2)
            ]
        );
        assert_eq!(
            ratings_csv(&rs, SurveyKind::Dimensions, &dims),
            "customer,date,location,employee,empathy,cleanliness,speed\n\
             c,2026-03-01,A,,,4,2\nc,2026-03-01,,,,2,\nc,2026-03-01,A,,,,5\n"
        );
        let p = predictor_responses(&rs, &dims);
        assert_eq!(p.metrics, ["cleanliness", "speed"]);
        assert_eq!(p.rows[0].values, [Some(4.0), Some(2.0)]);
    }

    #[test]
    fn csat_ces_and_dimensions_per_group() {
        let rs = vec![
            record(SurveyKind::Csat, Some(5), "{}", Some("A")),
            record(SurveyKind::Csat, Some(4), "{}", Some("A")),
            record(SurveyKind::Csat, Some(2), "{}", Some("B")),
            record(SurveyKind::Csat, Some(1), "{}", None),
            record(SurveyKind::Ces, Some(7), "{}", Some("A")),
            record(
                SurveyKind::Dimensions,
                None,
                r#"{"reliability": 4, "empathy": 2}"#,
                Some("A"),
            ),
            record(SurveyKind::Dimensions, None, r#"{"reliability": 2}"#, None),
        ];
        let m = rating_metrics(&rs, &builtin()).unwrap();
        let all = &m.csat.overall[0];
        // 2 of 4 in the top two boxes; Wilson 95 % for 2/4: [0.150039, 0.849961].
        assert_eq!((all.n, all.successes, all.share), (4, Some(2), Some(0.5)));
        assert!((all.ci_low.unwrap() - 0.150_039).abs() < 1e-6, "{all:?}");
        assert_eq!(
            m.csat
                .by_location
                .iter()
                .map(|r| (r.group.as_deref(), r.n))
                .collect::<Vec<_>>(),
            [(Some("A"), 2), (Some("B"), 1)]
        );
        // One CES answer: its mean, no interval.
        let ces = &m.ces.overall[0];
        assert_eq!((ces.n, ces.mean, ces.ci_low), (1, Some(7.0), None));
        // Reliability 4 and 2: mean 3, t interval 3 ± 12.706 · 1 clipped to [1, 5].
        let rel = &m.dimensions.overall[0];
        assert_eq!(rel.dimension.as_deref(), Some("reliability"));
        assert_eq!((rel.n, rel.mean), (2, Some(3.0)));
        assert_eq!((rel.ci_low, rel.ci_high), (Some(1.0), Some(5.0)));
        let dims: Vec<&str> = m
            .dimensions
            .overall
            .iter()
            .filter_map(|r| r.dimension.as_deref())
            .collect();
        assert_eq!(dims, ["reliability", "empathy"]);
        assert_eq!(
            m.dimensions.by_location.len(),
            2,
            "A: reliability and empathy"
        );
    }

    #[test]
    fn predictor_responses_keep_answered_metrics_only() {
        let mut nps = record(SurveyKind::Nps, Some(9), "{}", None);
        nps.customer = Some("a".into());
        let mut anon = record(SurveyKind::Nps, Some(3), "{}", None);
        anon.customer = None;
        let ces = record(SurveyKind::Ces, Some(6), "{}", None);
        let exit = record(SurveyKind::Exit, None, "{}", None);
        let r = predictor_responses(&[nps, anon, ces, exit], &builtin());
        assert_eq!(r.metrics, ["nps", "ces"]);
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[0].values, [Some(9.0), None]);
        assert_eq!(r.rows[1].values, [None, Some(6.0)]);
        assert_eq!(
            predictors_csv(&r),
            "customer,date,nps,ces\na,2026-03-01,9,\nc,2026-03-01,,6\n"
        );
    }
}
