//! Contractual data and cohorts: `POST /api/v1/subscriptions:batch` (JSON),
//! `POST /api/v1/uploads/subscriptions` (a delimited file, the columns `comeback cohorts`
//! reads), `GET /api/v1/cohorts` (the numbers and JSON shape of `comeback cohorts --json`,
//! computed on request from the stored subscriptions by
//! `comeback_analysis::contractual::contractual_cohorts`) and
//! `POST /api/v1/loyalty/enrolments:batch` (the day each member joined, for the matched
//! loyalty comparison on `/retention`).
//!
//! The stored MRR is exact (millionths); the cohorts see it as `Amount::to_f64`, which is
//! the same binary number as the CLI's reading of the same decimal text, and the stored
//! order is the order sent, so the sums add in the file's order: a file stored here gives
//! the CLI's numbers bit for bit.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use comeback_analysis::contractual::{
    CohortOptions, ContractCohort, Reactivation, Subscription, contractual_cohorts,
};
use comeback_core::{Amount, Day};
use comeback_ingest::{DateFormat, DecimalMark, Delimiter, TableOptions};
use comeback_store::SubscriptionInput;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ingest::{check_size, parse_amount, validated_batch};
use crate::AppState;
use crate::auth::RequireManager;
use crate::error::{ApiError, ErrorBody, Json, Query, RowProblem};

/// Most months of projection a request may ask for.
pub const PROJECTION_MONTHS_MAX: u32 = 120;

/// Most row problems one upload answer lists.
const PROBLEMS_MAX: usize = 100;

/// Parses a strict `YYYY-MM-DD` day (years 0001–9999).
pub(crate) fn parse_day(s: &str) -> Option<Day> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    shape.then(|| Day::parse_iso(s)).flatten()
}

/// One subscription of a batch.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionIn {
    /// The business's id of the subscription or contract; re-sending it updates the stored
    /// row (a cancellation sets `end`).
    pub external_id: String,
    /// The customer's external id (created on first sight; cannot change later).
    pub customer: String,
    /// First day, included, `YYYY-MM-DD`.
    #[schema(example = "2024-01-10")]
    pub start: String,
    /// End or cancellation day, excluded, `YYYY-MM-DD`; absent or null while running.
    #[serde(default)]
    #[schema(example = "2024-06-10")]
    pub end: Option<String>,
    /// Monthly recurring revenue, an exact decimal string ≥ 0 with at most 6 decimals.
    #[schema(example = "9.90")]
    pub mrr: String,
    /// ISO 4217 code, three upper-case letters.
    #[schema(example = "EUR")]
    pub currency: String,
    /// Plan label, up to 100 bytes.
    #[serde(default)]
    pub plan: Option<String>,
}

/// A batch of subscriptions (stored whole or not at all).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SubscriptionBatch {
    /// The rows, in order; row numbers in errors are zero-based positions here.
    pub subscriptions: Vec<SubscriptionIn>,
}

/// What a subscription or enrolment batch did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UpsertCounts {
    /// New rows.
    pub inserted: u64,
    /// Stored rows changed.
    pub updated: u64,
    /// Rows already stored so (or repeated in the batch).
    pub unchanged: u64,
}

impl From<comeback_store::UpsertOutcome> for UpsertCounts {
    fn from(o: comeback_store::UpsertOutcome) -> Self {
        UpsertCounts {
            inserted: o.inserted,
            updated: o.updated,
            unchanged: o.unchanged,
        }
    }
}

fn subscription_input(
    i: usize,
    s: SubscriptionIn,
    errors: &mut Vec<RowProblem>,
) -> Option<SubscriptionInput> {
    let mut err = |field: &str, message: String| {
        errors.push(RowProblem {
            row: i,
            field: field.to_owned(),
            message,
        });
    };
    let start = parse_day(&s.start);
    if start.is_none() {
        err(
            "start",
            format!("cannot parse {:?} as a date (format %Y-%m-%d)", s.start),
        );
    }
    let end = match &s.end {
        None => Some(None),
        Some(e) => match parse_day(e) {
            Some(d) => Some(Some(d)),
            None => {
                err(
                    "end",
                    format!("cannot parse {e:?} as a date (format %Y-%m-%d)"),
                );
                None
            }
        },
    };
    let mrr = match parse_amount(&s.mrr) {
        Ok(a) if a.is_negative() => {
            err(
                "mrr",
                format!("{:?} is negative; expected an amount ≥ 0", s.mrr),
            );
            None
        }
        Ok(a) => Some(a),
        Err(m) => {
            err("mrr", m);
            None
        }
    };
    Some(SubscriptionInput {
        external_id: s.external_id,
        customer: s.customer,
        start: start?,
        end: end?,
        mrr: mrr?,
        currency: s.currency,
        plan: s.plan,
    })
}

/// Stores a batch of subscriptions: all rows or none. A subscription id already stored is
/// updated with the content sent (a cancellation sets `end`); one stored for another
/// customer, a bad field or an erased customer rejects the batch with every row error.
#[utoipa::path(post, path = "/api/v1/subscriptions:batch", tag = "ingest",
    request_body = SubscriptionBatch,
    responses(
        (status = 200, description = "batch stored", body = UpsertCounts),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "role is not manager or admin", body = ErrorBody),
        (status = 422, description = "batch rejected, nothing stored", body = ErrorBody)))]
pub async fn subscriptions_batch(
    _user: RequireManager,
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<UpsertCounts>, ApiError> {
    let rows: Vec<SubscriptionInput> =
        validated_batch::<SubscriptionIn, _>(&state, body, subscription_input)?;
    Ok(Json(state.store.upsert_subscriptions(&rows).await?.into()))
}

/// How to read an uploaded subscription file. Column names match as in the CLI (exactly,
/// then ignoring case, accents, spaces and punctuation).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionUploadParams {
    /// Customer id column (default `customer_id`).
    pub customer_col: Option<String>,
    /// Subscription id column (default `subscription_id` when the file has it; without
    /// one each row gets the id `<customer>/<start>/<n>`, n counting the customer's
    /// subscriptions starting that day, so re-uploading the file with ends filled in
    /// updates the same rows).
    pub subscription_id_col: Option<String>,
    /// Start day column (default `start`).
    pub start_col: Option<String>,
    /// End day column, blank while running (default `end`).
    pub end_col: Option<String>,
    /// MRR column (default `mrr`).
    pub mrr_col: Option<String>,
    /// Currency column (default `currency` when the file has it).
    pub currency_col: Option<String>,
    /// Plan column (default `plan` when the file has it).
    pub plan_col: Option<String>,
    /// ISO 4217 code of rows without a currency column (default `USD`).
    pub currency: Option<String>,
    /// `auto`, `comma`, `semicolon`, `tab`, `whitespace`, or one character.
    pub delimiter: Option<String>,
    /// `auto` (ISO 8601, %Y%m%d) or a strftime format such as `%d/%m/%Y`.
    pub date_format: Option<String>,
    /// Numbers use a decimal comma (`9,90`).
    #[serde(default)]
    pub decimal_comma: bool,
}

/// What a subscription upload did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubscriptionUploadResult {
    /// Data rows read.
    pub rows: u64,
    /// New subscriptions.
    pub inserted: u64,
    /// Stored subscriptions changed.
    pub updated: u64,
    /// Stored subscriptions already so.
    pub unchanged: u64,
    /// Distinct customers in the file.
    pub customers: u64,
}

/// A parsed subscription upload.
pub(crate) struct ParsedSubscriptions {
    pub(crate) rows: Vec<SubscriptionInput>,
    /// The file line of each row.
    pub(crate) lines: Vec<u64>,
    pub(crate) customers: u64,
}

fn param<T: std::str::FromStr>(name: &str, v: &Option<String>) -> Result<Option<T>, ApiError>
where
    T::Err: std::fmt::Display,
{
    v.as_deref()
        .map(|s| {
            s.parse::<T>()
                .map_err(|e| ApiError::invalid_field(name, e.to_string()))
        })
        .transpose()
}

/// Reads a subscription file: every row problem (up to 100) with its line and column, or
/// the rows in file order.
pub(crate) fn parse_subscriptions(
    body: &[u8],
    p: &SubscriptionUploadParams,
) -> Result<ParsedSubscriptions, ApiError> {
    let options = TableOptions {
        delimiter: param::<Delimiter>("delimiter", &p.delimiter)?.unwrap_or_default(),
        date_format: param::<DateFormat>("date_format", &p.date_format)?.unwrap_or_default(),
        decimal: if p.decimal_comma {
            DecimalMark::Comma
        } else {
            DecimalMark::Point
        },
        ..TableOptions::default()
    };
    let default_currency = p.currency.clone().unwrap_or_else(|| "USD".to_owned());
    let file_error = |e: comeback_ingest::IngestError| ApiError::file_rejected(&e);
    let t = comeback_ingest::read_table(body, "upload", &options).map_err(file_error)?;
    let named = |v: &Option<String>, default: &str| v.clone().unwrap_or_else(|| default.into());
    let required = |name: String| t.column(&name).map_err(file_error);
    let optional = |given: &Option<String>, default: &str| match given {
        Some(n) => t.column(n).map(Some).map_err(file_error),
        None => t.optional_column(default).map_err(file_error),
    };
    let c = required(named(&p.customer_col, "customer_id"))?;
    let s = required(named(&p.start_col, "start"))?;
    let e = required(named(&p.end_col, "end"))?;
    let m = required(named(&p.mrr_col, "mrr"))?;
    let id_col = optional(&p.subscription_id_col, "subscription_id")?;
    let cur_col = optional(&p.currency_col, "currency")?;
    let plan_col = optional(&p.plan_col, "plan")?;
    let mut problems: Vec<RowProblem> = Vec::new();
    let mut rows = Vec::with_capacity(t.rows.len());
    let mut lines = Vec::with_capacity(t.rows.len());
    let mut seen: HashMap<(String, Day), u32> = HashMap::new();
    let mut customers = std::collections::HashSet::new();
    for row in &t.rows {
        let mut problem = |col: usize, message: String| {
            problems.push(RowProblem {
                row: row.line as usize,
                field: t.headers.get(col).cloned().unwrap_or_default(),
                message,
            });
        };
        let customer = row.get(c);
        if customer.is_empty() {
            problem(
                c,
                format!(
                    "upload:{}: column \"{}\": missing value (expected a customer id)",
                    row.line, t.headers[c]
                ),
            );
        }
        let start = match t.parse_day(row, s) {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                problem(
                    s,
                    format!(
                        "upload:{}: column \"{}\": missing value (expected the first day of the subscription)",
                        row.line, t.headers[s]
                    ),
                );
                None
            }
            Err(err) => {
                problem(s, err.to_string());
                None
            }
        };
        let end = match t.parse_day(row, e) {
            Ok(d) => Some(d),
            Err(err) => {
                problem(e, err.to_string());
                None
            }
        };
        if let (Some(st), Some(Some(en))) = (start, end)
            && en <= st
        {
            problem(
                e,
                format!(
                    "upload:{}: column \"{}\": cannot parse {:?} as an end day (expected a day after the start {st})",
                    row.line,
                    t.headers[e],
                    row.get(e)
                ),
            );
        }
        let raw = row.get(m);
        let mrr = match mrr_amount(raw, p.decimal_comma) {
            Ok(a) => Some(a),
            Err(why) => {
                problem(
                    m,
                    format!(
                        "upload:{}: column \"{}\": cannot parse {raw:?} as an MRR ({why})",
                        row.line, t.headers[m]
                    ),
                );
                None
            }
        };
        let (Some(start), Some(end), Some(mrr)) = (start, end, mrr) else {
            continue;
        };
        if customer.is_empty() {
            continue;
        }
        let external_id = match id_col.map(|i| row.get(i)).filter(|v| !v.is_empty()) {
            Some(id) => id.to_owned(),
            None => {
                let n = seen.entry((customer.to_owned(), start)).or_insert(0);
                *n += 1;
                format!("{customer}/{start}/{n}")
            }
        };
        let currency = cur_col
            .map(|i| row.get(i))
            .filter(|v| !v.is_empty())
            .map_or_else(|| default_currency.clone(), str::to_owned);
        let plan = plan_col
            .map(|i| row.get(i))
            .filter(|v| !v.is_empty())
            .map(str::to_owned);
        if !customers.contains(customer) {
            customers.insert(customer.to_owned());
        }
        lines.push(row.line);
        rows.push(SubscriptionInput {
            external_id,
            customer: customer.to_owned(),
            start,
            end,
            mrr,
            currency,
            plan,
        });
    }
    if !problems.is_empty() {
        problems.truncate(PROBLEMS_MAX);
        return Err(ApiError::Rejected(problems));
    }
    Ok(ParsedSubscriptions {
        rows,
        lines,
        customers: customers.len() as u64,
    })
}

/// A store rejection of upload rows, with the rows' file lines instead of their positions.
pub(crate) fn at_lines(e: comeback_store::StoreError, lines: &[u64]) -> ApiError {
    match e {
        comeback_store::StoreError::Rejected { rows } => ApiError::Rejected(
            rows.into_iter()
                .map(|r| {
                    let line = lines.get(r.index).copied().unwrap_or(0);
                    RowProblem {
                        row: line as usize,
                        field: r.field.to_owned(),
                        message: format!("upload:{line}: {}: {}", r.field, r.message),
                    }
                })
                .collect(),
        ),
        other => other.into(),
    }
}

/// An MRR field as an exact amount ≥ 0: plain decimal notation (the CLI's), a decimal
/// comma when asked, at most 6 decimals.
fn mrr_amount(raw: &str, decimal_comma: bool) -> Result<Amount, String> {
    if raw.is_empty() {
        return Err("missing; expected a number ≥ 0".to_owned());
    }
    let text = if decimal_comma {
        if raw.contains('.') {
            return Err("expected a decimal comma".to_owned());
        }
        raw.replace(',', ".")
    } else {
        raw.to_owned()
    };
    if text.starts_with('+') {
        return Err("not a plain decimal number".to_owned());
    }
    let a = parse_amount(&text).map_err(|_| "expected a number ≥ 0".to_owned())?;
    if a.is_negative() {
        return Err("expected a number ≥ 0".to_owned());
    }
    Ok(a)
}

/// Reads a subscription file (CSV, TSV, `;`- or blank-separated, with a header; the
/// columns of `comeback cohorts` plus optional subscription id, currency and plan) and
/// stores all its rows as one batch, or none: the answer lists every unreadable row (up to
/// 100) with its line and column.
#[utoipa::path(post, path = "/api/v1/uploads/subscriptions", tag = "ingest",
    params(SubscriptionUploadParams),
    request_body(content = String, content_type = "text/csv", description = "the file"),
    responses(
        (status = 200, description = "file stored", body = SubscriptionUploadResult),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "role is not manager or admin", body = ErrorBody),
        (status = 422, description = "file rejected, nothing stored", body = ErrorBody)))]
pub async fn upload_subscriptions(
    _user: RequireManager,
    State(state): State<AppState>,
    Query(params): Query<SubscriptionUploadParams>,
    body: Bytes,
) -> Result<Json<SubscriptionUploadResult>, ApiError> {
    let parsed = tokio::task::spawn_blocking(move || parse_subscriptions(&body, &params))
        .await
        .map_err(|e| ApiError::Internal(format!("upload parser task: {e}")))??;
    check_size(&state, parsed.rows.len())?;
    let o = state
        .store
        .upsert_subscriptions(&parsed.rows)
        .await
        .map_err(|e| at_lines(e, &parsed.lines))?;
    Ok(Json(SubscriptionUploadResult {
        rows: parsed.rows.len() as u64,
        inserted: o.inserted,
        updated: o.updated,
        unchanged: o.unchanged,
        customers: parsed.customers,
    }))
}

/// A customer who cancels and comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReactivationParam {
    /// Once gone, gone: logo retention is continuous survival (default).
    #[default]
    Exclude,
    /// Active again whenever a subscription runs, MRR counted again.
    Count,
}

/// Query of the cohorts: the flags of `comeback cohorts`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CohortParams {
    /// Last day observed, `YYYY-MM-DD` (included); default the latest start or end day
    /// stored.
    pub observation_end: Option<String>,
    /// `exclude` (default) or `count`.
    #[param(inline)]
    pub reactivation: Option<ReactivationParam>,
    /// Discount rate per month of DEL, DERL and residual value, > 0 (default 0.01).
    pub discount_rate: Option<f64>,
    /// Months of projected retention after the last observed month, 0–120 (default 12).
    #[param(maximum = 120)]
    pub projection_months: Option<u32>,
    /// ISO 4217 code of the subscriptions to analyse; required when several are stored.
    pub currency: Option<String>,
}

/// One observed month of a cohort.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CohortMonthOut {
    /// Months since the customers' starts.
    pub month: u32,
    /// Customers active.
    pub active: u64,
    /// Active ÷ cohort size.
    pub logo_retention: f64,
    /// Σ MRR of the cohort, in the currency unit.
    pub mrr: f64,
    /// NRR: MRR ÷ MRR at month 0 (null when that is 0).
    pub revenue_retention: Option<f64>,
    /// GRR: expansion-capped MRR ÷ MRR at month 0 (null when that is 0).
    pub grr: Option<f64>,
}

/// The sBG fit of a cohort (Fader & Hardie 2007).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CohortSbgOut {
    /// α.
    pub alpha: f64,
    /// β.
    pub beta: f64,
    /// Log-likelihood at the estimate.
    pub log_likelihood: f64,
    /// The survivor counts fitted, months 0..=J.
    pub survivors: Vec<f64>,
    /// Retention rates of months J+1 ..= J+projection (FH 2007 eq. 8).
    pub projected_retention: Vec<f64>,
    /// Survival S(t) of months J+1 ..= J+projection (eq. 6).
    pub projected_survival: Vec<f64>,
    /// Expected lifetime of a new customer in months (null: unbounded, α ≤ 1).
    pub expected_lifetime_months: Option<f64>,
    /// Discounted expected lifetime of a new customer, months of payments (FH 2010 eq. 5).
    pub discounted_expected_lifetime_months: f64,
    /// DERL of a customer active at month J (FH 2010 eq. 6), months of payments.
    pub derl_months: f64,
    /// Σ MRR at month J of the active customers × DERL, in the currency unit.
    pub residual_value: f64,
}

/// Why a cohort has no sBG fit.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CohortSbgError {
    /// Fewer than two observed months, nobody or everybody churned, a failed fit.
    pub error: String,
}

/// The sBG of a cohort, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum CohortSbgResult {
    /// The fit.
    Fit(CohortSbgOut),
    /// No fit.
    Error(CohortSbgError),
}

/// One monthly cohort.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CohortOut {
    /// The month of the customers' first start, `YYYY-MM`.
    pub cohort: String,
    /// Customers who started in it.
    pub customers: u64,
    /// Observed months 0..=J.
    pub months: Vec<CohortMonthOut>,
    /// The sBG.
    pub sbg: CohortSbgResult,
}

/// The cohorts: the body of `comeback cohorts --json` (without the input file name) plus
/// the currency.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CohortsOut {
    /// ISO 4217 code of the MRR figures (null when nothing is stored).
    pub currency: Option<String>,
    /// Last day observed, `YYYY-MM-DD` (null when nothing is stored).
    pub observation_end: Option<String>,
    /// `exclude` or `count`.
    pub reactivation: ReactivationParam,
    /// The discount rate per month used.
    pub discount_rate_monthly: f64,
    /// Cohorts in calendar order (empty when no subscription starts by the observation
    /// end).
    pub cohorts: Vec<CohortOut>,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// The JSON of one cohort, as `comeback cohorts --json` writes it.
pub fn cohort_out(c: &ContractCohort) -> CohortOut {
    CohortOut {
        cohort: format!("{}-{:02}", c.year, c.month),
        customers: c.customers as u64,
        months: c
            .months
            .iter()
            .map(|m| CohortMonthOut {
                month: m.month,
                active: m.active as u64,
                logo_retention: m.logo_retention,
                mrr: m.mrr,
                revenue_retention: finite(m.revenue_retention),
                grr: finite(m.grr),
            })
            .collect(),
        sbg: match &c.sbg {
            Ok(s) => CohortSbgResult::Fit(CohortSbgOut {
                alpha: s.alpha,
                beta: s.beta,
                log_likelihood: s.log_likelihood,
                survivors: s.survivors.clone(),
                projected_retention: s.projected_retention.clone(),
                projected_survival: s.projected_survival.clone(),
                expected_lifetime_months: s.expected_lifetime,
                discounted_expected_lifetime_months: s.discounted_expected_lifetime,
                derl_months: s.derl,
                residual_value: s.residual_value,
            }),
            Err(e) => CohortSbgResult::Error(CohortSbgError { error: e.clone() }),
        },
    }
}

/// The cohorts of the stored subscriptions (the handler's work; `/cohorts` shows the same).
///
/// # Errors
/// 422 naming the parameter (a bad day, rate or projection; several currencies stored and
/// none chosen); store errors.
pub(crate) async fn compute(state: &AppState, q: &CohortParams) -> Result<CohortsOut, ApiError> {
    let observation_end = q
        .observation_end
        .as_deref()
        .map(|s| {
            parse_day(s).ok_or_else(|| {
                ApiError::invalid_field(
                    "observation_end",
                    format!("cannot parse {s:?} as a date (format %Y-%m-%d)"),
                )
            })
        })
        .transpose()?;
    let reactivation = q.reactivation.unwrap_or_default();
    let discount_rate = q.discount_rate.unwrap_or(0.01);
    if !(discount_rate.is_finite() && discount_rate > 0.0) {
        return Err(ApiError::invalid_field(
            "discount_rate",
            format!("must be a number > 0, got {discount_rate}"),
        ));
    }
    let projection_months = q.projection_months.unwrap_or(12);
    if projection_months > PROJECTION_MONTHS_MAX {
        return Err(ApiError::invalid_field(
            "projection_months",
            format!("must be at most {PROJECTION_MONTHS_MAX}, got {projection_months}"),
        ));
    }
    let currencies = state.store.subscription_currencies().await?;
    let currency = match &q.currency {
        // An ISO 4217 code is three letters A–Z; anything else (e.g. a NUL byte, which
        // PostgreSQL cannot even compare) matches no stored subscription.
        Some(c) if !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())) => {
            return Err(ApiError::invalid_field(
                "currency",
                format!("must be an ISO 4217 code of three capital letters, got {c:?}"),
            ));
        }
        Some(c) => Some(c.clone()),
        None => match currencies.as_slice() {
            [] => None,
            [(c, _)] => Some(c.clone()),
            many => {
                return Err(ApiError::invalid_field(
                    "currency",
                    format!(
                        "subscriptions are stored in several currencies ({}); choose one",
                        many.iter()
                            .map(|(c, _)| c.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        },
    };
    let stored = match &currency {
        Some(c) => state.store.subscriptions(Some(c)).await?,
        None => Vec::new(),
    };
    let subs: Vec<Subscription> = stored
        .into_iter()
        .map(|s| Subscription {
            customer: s.customer,
            start: s.start,
            end: s.end,
            mrr: s.mrr.to_f64(),
        })
        .collect();
    let latest = subs
        .iter()
        .map(|s| s.start.max(s.end.unwrap_or(s.start)))
        .max();
    let end = observation_end.or(latest);
    let empty = |end: Option<Day>| CohortsOut {
        currency: currency.clone(),
        observation_end: end.map(|d| d.to_string()),
        reactivation,
        discount_rate_monthly: discount_rate,
        cohorts: Vec::new(),
    };
    let Some(end) = end else {
        return Ok(empty(None));
    };
    if subs.iter().all(|s| s.start > end) {
        return Ok(empty(Some(end)));
    }
    let options = CohortOptions {
        observation_end: end,
        reactivation: match reactivation {
            ReactivationParam::Exclude => Reactivation::Exclude,
            ReactivationParam::Count => Reactivation::Count,
        },
        discount_rate,
        projection_months,
    };
    let cohorts = tokio::task::spawn_blocking(move || contractual_cohorts(&subs, &options))
        .await
        .map_err(|e| ApiError::Internal(format!("cohort task: {e}")))?
        .map_err(|e| ApiError::Internal(format!("stored subscriptions: {e}")))?;
    Ok(CohortsOut {
        cohorts: cohorts.iter().map(cohort_out).collect(),
        ..empty(Some(end))
    })
}

/// Contractual cohorts of the stored subscriptions: per monthly cohort the logo retention,
/// revenue retention (NRR) and GRR of each observed month and the sBG fit with projected
/// retention, expected lifetime, DEL, DERL and residual value — `comeback cohorts --json`
/// on the same rows (definitions in `comeback_analysis::contractual`).
#[utoipa::path(get, path = "/api/v1/cohorts", tag = "analytics",
    params(CohortParams),
    responses(
        (status = 200, description = "the cohorts", body = CohortsOut),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "role is not manager or admin", body = ErrorBody),
        (status = 422, description = "a bad parameter, or several currencies stored and none chosen", body = ErrorBody)))]
pub async fn cohorts(
    _user: RequireManager,
    State(state): State<AppState>,
    Query(q): Query<CohortParams>,
) -> Result<Json<CohortsOut>, ApiError> {
    Ok(Json(compute(&state, &q).await?))
}

/// One loyalty enrolment.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentIn {
    /// The customer's external id (created on first sight and flagged a member).
    pub customer: String,
    /// The day they joined the programme, `YYYY-MM-DD`.
    #[schema(example = "2024-03-01")]
    pub enrolled_on: String,
}

/// A batch of loyalty enrolments (stored whole or not at all).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EnrolmentBatch {
    /// The rows, in order.
    pub enrolments: Vec<EnrolmentIn>,
}

/// Records the day each customer joined the loyalty programme (and flags them members):
/// all rows or none. `/retention` then matches members to non-members on their behaviour
/// before that day.
#[utoipa::path(post, path = "/api/v1/loyalty/enrolments:batch", tag = "ingest",
    request_body = EnrolmentBatch,
    responses(
        (status = 200, description = "batch stored", body = UpsertCounts),
        (status = 401, description = "not logged in", body = ErrorBody),
        (status = 403, description = "role is not manager or admin", body = ErrorBody),
        (status = 422, description = "batch rejected, nothing stored", body = ErrorBody)))]
pub async fn enrolments_batch(
    _user: RequireManager,
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<UpsertCounts>, ApiError> {
    let rows = validated_batch(&state, body, |i, e: EnrolmentIn, errors| {
        match parse_day(&e.enrolled_on) {
            Some(d) => Some((e.customer, d)),
            None => {
                errors.push(RowProblem {
                    row: i,
                    field: "enrolled_on".to_owned(),
                    message: format!(
                        "cannot parse {:?} as a date (format %Y-%m-%d)",
                        e.enrolled_on
                    ),
                });
                None
            }
        }
    })?;
    Ok(Json(state.store.enrol_loyalty_members(&rows).await?.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_strict() {
        assert_eq!(parse_day("2024-02-29"), Day::from_ymd(2024, 2, 29));
        for bad in [
            "2023-02-29",
            "+2024-01-01",
            "20240101",
            "2024-1-01",
            " 2024-01-01",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn mrr_is_exact_and_not_negative() {
        assert_eq!(
            mrr_amount("9.90", false),
            Ok(Amount::from_micros(9_900_000))
        );
        assert_eq!(mrr_amount("9,9", true), Ok(Amount::from_micros(9_900_000)));
        // The same binary number as the CLI's reading of the text.
        assert_eq!(
            mrr_amount("9.90", false).unwrap().to_f64(),
            "9.90".parse::<f64>().unwrap()
        );
        for bad in ["-1", "+1", "1e1", "ten", "", "1.1234567"] {
            assert!(mrr_amount(bad, false).is_err(), "{bad}");
        }
        assert!(mrr_amount("9.90", true).is_err());
    }
}
