//! The plain data the report renders.
//!
//! Everything here is filled by the caller (the `comeback analyze` command): the report
//! computes nothing statistical, reads no clock and no file. Numbers are plain `f64` in
//! currency units, shares in `0.0..=1.0` and times in the run's [`TimeUnit`]. A non-finite
//! or absurdly large number (|x| > 10¹⁵) is shown as "—" and skipped by the charts; an
//! empty list makes its section say that there is no data.

use comeback_core::{Day, TimeUnit};

/// Everything the report shows, in the order of the page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportInput {
    /// Title, run metadata and the settings behind the numbers.
    pub meta: Metadata,
    /// The headline numbers at the top of the page.
    pub headline: Headline,
    /// Top of the at-risk list (stage `at_risk`, ranked by value at risk).
    pub at_risk: ActionList,
    /// Top of the win-back list (stage `lost`, ranked by historical revenue).
    pub win_back: ActionList,
    /// Top of the advocates list (high F and M scores, P(alive) high), ranked by
    /// historical revenue.
    pub advocates: ActionList,
    /// Customers and value per lifecycle stage (`new`, `active`, `at_risk`, `lost`,
    /// `won_back`).
    pub lifecycle: Vec<GroupSize>,
    /// Customers and value per named RFM segment (keys in [`RFM_SEGMENT_KEYS`]).
    pub rfm_segments: Vec<GroupSize>,
    /// Mean P(alive) by frequency × recency.
    pub p_alive: PAliveHeatmap,
    /// Distribution of CLV over the horizon.
    pub clv_distribution: Vec<CountBar>,
    /// Retention by monthly acquisition cohort.
    pub cohorts: Vec<CohortRow>,
    /// Calibration/holdout comparison of the candidate models and the choice.
    pub models: ModelComparison,
    /// Actual vs predicted cumulative repeat purchases per period.
    pub tracking: TrackingCurve,
    /// Customers per number of repeat purchases in the calibration period: actual vs
    /// expected by the chosen model.
    pub frequency: Vec<FrequencyBar>,
    /// Fitted parameters with 95 % intervals, one set per model used (e.g. the chosen
    /// purchase model and Gamma-Gamma).
    pub parameters: Vec<ParameterSet>,
    /// Literature behind the methods, as plain text (no links).
    pub citations: Vec<String>,
    /// Retention economics (profit and acquisition cost beside the naive figures); `None`
    /// hides the section.
    pub economics: Option<Economics>,
    /// Kaplan–Meier survival of time to "lost" by segment with the log-rank test; `None`
    /// hides the figure.
    pub survival: Option<Survival>,
    /// Loyalty members vs non-members (only when a members file was given); `None` hides
    /// the section.
    pub loyalty: Option<Loyalty>,
    /// Advocates (promoters among the high-value customers); the section says it needs
    /// survey answers when there are none.
    pub advocate_share: AdvocatesSection,
}

/// The advocates section: measured, or why not.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum AdvocatesSection {
    /// No survey answers were given (the section says how to add them).
    #[default]
    NeedsAnswers,
    /// Answers were given, but none of a customer with purchases.
    NoRespondents,
    /// The measured share.
    Measured(Advocates),
}

/// Advocates: promoters (latest answer 9–10) among the customers in the top share by CLV
/// (definitions in `comeback_analysis::advocates`), with 95 % intervals.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Advocates {
    /// Top share of customers by CLV counted as high value (0.2).
    pub top_share: f64,
    /// The CLV at or above which a customer is of high value (currency).
    pub clv_threshold: f64,
    /// Customers with purchases and an answer.
    pub respondents: u64,
    /// High-value respondents.
    pub high_value: u64,
    /// Promoters of high value.
    pub advocates: u64,
    /// Advocates ÷ respondents.
    pub share: Interval,
    /// Promoters ÷ high-value respondents (NaN without high-value respondents).
    pub promoters_among_high_value: Interval,
    /// Σ CLV of advocates ÷ Σ CLV of respondents (NaN when undefined).
    pub advocate_clv_share: f64,
}

/// Retention economics (definitions in `comeback_analysis::economics`). Money in the
/// report's currency; NaN where the inputs leave a figure undefined (shown as "—").
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Economics {
    /// Margin as a share of revenue (1.0 = revenue).
    pub margin: f64,
    /// Cost of acquiring one customer; `None` hides the rows that need it.
    pub acquisition_cost: Option<f64>,
    /// Margin × revenue lost over the last 12 months.
    pub profit_lost_12m: f64,
    /// Acquisition cost × customers lost over the last 12 months.
    pub replacement_cost_12m: f64,
    /// Margin of the next 12 months per expected active customer.
    pub annual_margin_per_alive_customer: f64,
    /// Acquisition cost ÷ (annual margin per active customer ÷ 12), in months.
    pub payback_months: f64,
    /// 1 ÷ the 12-month defection rate, in years (naive constant-churn lifetime).
    pub naive_lifetime_years: f64,
    /// Annual margin per active customer ÷ defection rate (naive, undiscounted).
    pub naive_clv_per_customer: f64,
    /// Customers kept over a year by the retention what-if.
    pub what_if_customers_kept: f64,
    /// Acquisition cost × customers kept.
    pub what_if_acquisition_cost_saved: f64,
}

/// Kaplan–Meier curves of time to "lost" per group, and the log-rank test between them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Survival {
    /// k of the lost rule: lost after k × the customer's own median gap between purchase
    /// days without a purchase.
    pub lost_rule_k: f64,
    /// The groups, in display order (keys in [`SURVIVAL_GROUP_KEYS`]).
    pub groups: Vec<SurvivalGroup>,
    /// Log-rank chi-square statistic.
    pub logrank_statistic: f64,
    /// Its degrees of freedom (groups − 1).
    pub logrank_df: u64,
    /// Its p-value.
    pub logrank_p: f64,
}

/// The survival group keys the catalogue translates (terciles of the first purchase's
/// value), in display order.
pub const SURVIVAL_GROUP_KEYS: [&str; 3] = ["low", "middle", "high"];

/// One Kaplan–Meier curve.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SurvivalGroup {
    /// Key from [`SURVIVAL_GROUP_KEYS`] (unknown keys are shown as they are).
    pub key: String,
    /// Customers in the group.
    pub customers: u64,
    /// Of them lost under the rule (events).
    pub lost: u64,
    /// Median months from the first purchase to lost; NaN when not reached.
    pub median_months: f64,
    /// (months since the first purchase, share not yet lost) at 0 and at each event time,
    /// in order; the chart draws them as steps.
    pub curve: Vec<(f64, f64)>,
}

/// Loyalty members vs non-members (definitions in `comeback_analysis::loyalty`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Loyalty {
    /// Members.
    pub members: LoyaltyGroup,
    /// Non-members.
    pub non_members: LoyaltyGroup,
    /// Raw ratio of visits after the reference day, members ÷ all non-members, as R − 1;
    /// `None` when it cannot be computed.
    pub raw: Option<Interval>,
    /// The matched estimate (effect on the members), as R − 1.
    pub matched: Option<Interval>,
    /// Members used by the matched estimate.
    pub matched_members: u64,
    /// Non-members used by the matched estimate.
    pub matched_non_members: u64,
    /// Length of the outcome window in days.
    pub post_days: u32,
}

/// The metrics of one group, with 95 % intervals (NaN bounds when unknown).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LoyaltyGroup {
    /// Customers with purchases.
    pub customers: u64,
    /// Share of last year's active customers active this year.
    pub retention: Interval,
    /// Visits in the last 12 months.
    pub visits_per_year: Interval,
    /// Mean days between visits.
    pub inter_visit_days: Interval,
    /// Net amount per visit (currency).
    pub spend_per_visit: Interval,
    /// Mean CLV per customer (currency; NaN when no CLV was given).
    pub clv: Interval,
    /// NPS of the latest answers, points −100 to 100 (NaN without answers).
    pub nps: Interval,
}

/// Title, run metadata and settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// Page title; `None` uses the translated default ("Customer retention report").
    pub title: Option<String>,
    /// When the report was generated, already formatted by the caller (the crate reads
    /// no clock), e.g. `2026-11-30 09:12 UTC`.
    pub generated_at: String,
    /// ISO 4217 currency code of all amounts, e.g. `USD`, `EUR`.
    pub currency: String,
    /// Unit of recency, T, horizon and the tracking curve.
    pub unit: TimeUnit,
    /// Last day of data taken into account.
    pub observation_end: Day,
    /// Forecast horizon in `unit`s.
    pub horizon: f64,
    /// Length of the holdout period in `unit`s (model comparison).
    pub holdout: f64,
    /// Annual discount rate used for CLV, as a share (0.1 = 10 %).
    pub discount_rate: f64,
    /// Profit margin applied to revenue for CLV, as a share (1.0 = revenue).
    pub margin: f64,
    /// Thresholds behind the lifecycle stages and lists.
    pub thresholds: Thresholds,
    /// Name of the transaction file (user data: escaped).
    pub input_file: String,
    /// Checksum of the transaction file, e.g. `sha256:…`.
    pub input_checksum: String,
    /// Comeback version, e.g. `0.1.0`.
    pub version: String,
    /// Command-line flags as given, e.g. `("--holdout", "39")`.
    pub flags: Vec<(String, String)>,
    /// Seed of the bootstrap, if any.
    pub seed: Option<u64>,
}

impl Default for Metadata {
    fn default() -> Self {
        Metadata {
            title: None,
            generated_at: String::new(),
            currency: "USD".into(),
            unit: TimeUnit::Weeks,
            observation_end: Day(0),
            horizon: 52.0,
            holdout: 39.0,
            discount_rate: 0.1,
            margin: 1.0,
            thresholds: Thresholds::default(),
            input_file: String::new(),
            input_checksum: String::new(),
            version: String::new(),
            flags: Vec::new(),
            seed: None,
        }
    }
}

/// Thresholds of the lifecycle stages and the advocates list (flags of `analyze`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// `lost` below this P(alive) (default 0.2).
    pub lost_below: f64,
    /// `at_risk` from `lost_below` up to below this P(alive) (default 0.6).
    pub at_risk_below: f64,
    /// Advocates need at least this P(alive) (default 0.9).
    pub advocate_min_p_alive: f64,
    /// Advocates need F and M scores of at least this (default 4).
    pub advocate_min_score: u8,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            lost_below: 0.2,
            at_risk_below: 0.6,
            advocate_min_p_alive: 0.9,
            advocate_min_score: 4,
        }
    }
}

/// An estimate with its 95 % interval (`lower`/`upper` may be NaN when unknown).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Interval {
    /// Point estimate.
    pub estimate: f64,
    /// Lower end of the 95 % interval.
    pub lower: f64,
    /// Upper end of the 95 % interval.
    pub upper: f64,
}

/// The headline numbers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Headline {
    /// Number of customers in the data.
    pub customers: u64,
    /// Expected number of customers still active now (sum of P(alive)).
    pub expected_alive_now: f64,
    /// Share of customers active in months −24..−12 who were not active in −12..0.
    pub defection_rate_12m: f64,
    /// Their count.
    pub customers_lost_12m: u64,
    /// Their revenue in months −24..−12.
    pub revenue_lost_12m: f64,
    /// Expected purchases over the horizon, 95 % interval.
    pub expected_purchases: Interval,
    /// Expected revenue over the horizon, 95 % interval.
    pub expected_revenue: Interval,
    /// Sum of value at risk (CLV if alive × (1 − P(alive))) over all customers.
    pub revenue_at_risk: f64,
    /// The retention what-if; `None` hides the card.
    pub what_if: Option<WhatIf>,
}

/// "+X points of retention": the fitted model's answer beside the naive one.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WhatIf {
    /// X, in percentage points (5.0 = +5 points of 12-month survival).
    pub points: f64,
    /// The model's 12-month survival of the currently alive base, as a share, before.
    pub survival_before: f64,
    /// … and after the change.
    pub survival_after: f64,
    /// Extra revenue (or CLV) over the horizon according to the rescaled model.
    pub model_revenue_gain: f64,
    /// Extra revenue by the naive constant-churn formula (lifetime = 1 / churn).
    pub naive_revenue_gain: f64,
}

/// One action list: its top rows and the size of the full list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ActionList {
    /// The first rows, best first (the report shows at most 20).
    pub rows: Vec<ActionRow>,
    /// Number of customers in the full list (in the CSV file).
    pub total: u64,
    /// File name of the full list, e.g. `at_risk.csv` (user data: escaped).
    pub file: String,
}

/// A customer in an action list.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRow {
    /// Customer id (user data: escaped).
    pub customer_id: String,
    /// CLV over the horizon.
    pub clv: f64,
    /// Probability that the customer is still active.
    pub p_alive: f64,
    /// Value at risk (at-risk list) or historical revenue (win-back and advocates lists).
    pub value: f64,
    /// Day of the last purchase.
    pub last_purchase: Day,
}

/// Customers and value of a named group (RFM segment or lifecycle stage).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSize {
    /// Key: an RFM segment key from [`RFM_SEGMENT_KEYS`] or a lifecycle stage from
    /// [`LIFECYCLE_KEYS`]. Unknown keys are shown as they are.
    pub key: String,
    /// Number of customers.
    pub customers: u64,
    /// Their total CLV over the horizon.
    pub value: f64,
}

/// The RFM segment keys the catalogue translates, in display order.
pub const RFM_SEGMENT_KEYS: [&str; 11] = [
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose_them",
    "hibernating",
    "lost",
];

/// The lifecycle stage keys the catalogue translates, in display order.
pub const LIFECYCLE_KEYS: [&str; 5] = ["new", "active", "won_back", "at_risk", "lost"];

/// A bucket of a numeric axis: `lo..=hi`, or `lo` and more when `hi` is `None`.
/// Shown as `3`, `2–5` or `7+`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Lower end (inclusive).
    pub lo: f64,
    /// Upper end (inclusive for integers; exclusive for amounts); `None` = open-ended.
    pub hi: Option<f64>,
}

impl Bucket {
    /// A single value, e.g. frequency 3.
    pub fn single(v: f64) -> Bucket {
        Bucket { lo: v, hi: Some(v) }
    }
    /// A range `lo..hi`.
    pub fn range(lo: f64, hi: f64) -> Bucket {
        Bucket { lo, hi: Some(hi) }
    }
    /// `lo` and more.
    pub fn open(lo: f64) -> Bucket {
        Bucket { lo, hi: None }
    }
}

/// Mean P(alive) by frequency bucket (rows) × recency bucket (columns).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PAliveHeatmap {
    /// Row buckets: number of repeat purchases.
    pub frequency: Vec<Bucket>,
    /// Column buckets: recency (time of the last purchase since the first) in `unit`s.
    pub recency: Vec<Bucket>,
    /// Non-empty cells; a missing cell has no customers.
    pub cells: Vec<HeatCell>,
}

/// A cell of the P(alive) heat map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeatCell {
    /// Index into [`PAliveHeatmap::frequency`].
    pub row: usize,
    /// Index into [`PAliveHeatmap::recency`].
    pub col: usize,
    /// Mean P(alive) of the customers in the cell.
    pub mean_p_alive: f64,
    /// Number of customers in the cell.
    pub customers: u64,
}

/// A bar of a one-series histogram (CLV distribution; buckets in currency units).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountBar {
    /// The bucket.
    pub bucket: Bucket,
    /// Number of customers.
    pub customers: u64,
}

/// Calibration-period frequency: customers with this many repeat purchases.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrequencyBar {
    /// Number of repeat purchases (`Bucket::open(7.0)` for "7+").
    pub bucket: Bucket,
    /// Actual number of customers.
    pub actual: u64,
    /// Number expected by the chosen model.
    pub expected: f64,
}

/// A monthly acquisition cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortRow {
    /// Year of the first purchase.
    pub year: i32,
    /// Month of the first purchase (1–12).
    pub month: u32,
    /// Customers acquired in that month.
    pub customers: u64,
    /// Share of them active (≥ 1 purchase) in month 0, 1, 2 … since acquisition;
    /// `None` where the month is not (fully) observed.
    pub retention: Vec<Option<f64>>,
}

/// Actual vs predicted cumulative repeat purchases over time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrackingCurve {
    /// One point per period, in order.
    pub points: Vec<TrackingPoint>,
    /// The period after which the holdout starts (end of calibration), in `unit`s.
    pub calibration_end: f64,
}

/// One period of the tracking curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackingPoint {
    /// End of the period, in `unit`s since the start of the data.
    pub period: f64,
    /// Actual cumulative repeat purchases.
    pub actual: f64,
    /// Predicted cumulative repeat purchases.
    pub predicted: f64,
}

/// The model comparison and the choice.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelComparison {
    /// One row per candidate model.
    pub models: Vec<ModelFit>,
    /// Actual repeat purchases in the holdout period.
    pub holdout_actual: f64,
    /// Name of the chosen model (matches a [`ModelFit::name`]); `None` if none fitted.
    pub chosen: Option<String>,
    /// Why it was chosen.
    pub reason: ChoiceReason,
}

/// Why a model was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChoiceReason {
    /// Smallest holdout error (total and per-frequency purchases).
    #[default]
    HoldoutError,
    /// Holdout errors equally good; lowest BIC.
    Bic,
    /// The only model that could be fitted.
    OnlyFitted,
}

/// A candidate model's calibration fit and holdout check.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFit {
    /// Name, e.g. `BG/NBD`.
    pub name: String,
    /// Calibration-period parameter estimates, e.g. `("r", 0.243)`.
    pub params: Vec<(String, f64)>,
    /// Log-likelihood of the calibration fit.
    pub log_likelihood: f64,
    /// Bayesian information criterion (lower is better).
    pub bic: f64,
    /// Predicted total repeat purchases in the holdout.
    pub holdout_predicted: f64,
    /// Mean absolute error of holdout purchases per calibration-frequency group
    /// (purchases per customer).
    pub frequency_error: f64,
    /// Why the model could not be fitted; `Some` greys the row out.
    pub failure: Option<String>,
}

/// Parameters of one fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterSet {
    /// Model name, e.g. `BG/NBD (all data)` or `Gamma-Gamma`.
    pub model: String,
    /// Its parameters.
    pub parameters: Vec<Parameter>,
    /// Log-likelihood of the fit.
    pub log_likelihood: f64,
}

/// A parameter estimate with its standard error and 95 % interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Name as in the paper, e.g. `r`, `alpha`, `a`, `b`.
    pub name: String,
    /// Estimate and interval.
    pub value: Interval,
    /// Standard error (NaN if unknown).
    pub std_error: f64,
}
