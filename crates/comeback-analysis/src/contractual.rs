//! Contractual cohorts (subscriptions): logo retention, revenue retention, GRR and NRR per
//! monthly cohort, and the shifted-beta-geometric (sBG) model per cohort.
//!
//! # Definitions
//!
//! A **subscription** runs from its start day (included) to its end or cancellation day
//! (excluded; open when unknown) at a monthly recurring revenue (MRR). A customer's
//! **start** is the start of their first subscription; their **cohort** is its calendar
//! month. Time is counted per customer in whole months from the start: "month j" is the
//! day start + j calendar months (`Day::add_months`), when the customer's MRR is the sum of
//! the MRR of their subscriptions running on that day.
//!
//! - **Active at month j**: MRR > 0 at month j. With [`Reactivation::Exclude`] (the
//!   default) a customer must also have been active at every month before j: once gone,
//!   gone (a later return counts as nothing). With [`Reactivation::Count`] a customer who
//!   comes back counts as active again, and their MRR counts again.
//! - **Logo retention** at j: active customers ÷ cohort size.
//! - **Revenue retention** at j (the cohort's **NRR**): Σ MRR at j ÷ Σ MRR at month 0,
//!   expansion included.
//! - **GRR** at j: Σᵢ min(MRRᵢ(j), MRRᵢ(0)) ÷ Σ MRR at month 0: expansion capped, so only
//!   churn and contraction count (as in ChartMogul's gross and net MRR retention).
//! - A month j is **observed** for a cohort when start + j months ≤ the observation end for
//!   every customer of the cohort; only observed months are shown.
//!
//! # sBG per cohort
//!
//! The survivors of a cohort at months 0, 1, …, J (the [`Reactivation::Exclude`] counts,
//! whatever the option: the sBG has no returns) are fitted with
//! `comeback_models::sbg::Sbg::fit` (Fader & Hardie 2007, "How to Project Customer
//! Retention", eq. 7). Reported: α, β; the projected retention rates rₜ = (β + t − 1) /
//! (α + β + t − 1) (FH 2007 eq. 8) and survival S(t) (eq. 6) for the next 12 months; the
//! expected lifetime of a new customer Σₜ≥₀ S(t) = (α + β − 1)/(α − 1) months (infinite
//! for α ≤ 1); the discounted expected lifetime DEL(d) = ₂F₁(1, β; α + β; 1/(1+d)) (Fader &
//! Hardie 2010, "Customer-Base Valuation in a Contractual Setting", eq. 5); and for the
//! customers still active at month J, who have made J renewals, the discounted expected
//! residual lifetime DERL(d | J renewals) (FH 2010 eq. 6) and the cohort's residual value
//! Σ MRRᵢ(J) × DERL: the expected present value of their future payments, the first at the
//! next renewal, at `discount_rate` per month.

use comeback_core::Day;
use comeback_models::fit::FitOptions;
use comeback_models::sbg::{Sbg, Survivors};
use std::collections::BTreeMap;

/// One subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// Customer id.
    pub customer: String,
    /// First day (included).
    pub start: Day,
    /// End or cancellation day (excluded); `None` while running.
    pub end: Option<Day>,
    /// Monthly recurring revenue, in the currency unit (≥ 0).
    pub mrr: f64,
}

/// Whether a customer who comes back counts as retained again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reactivation {
    /// Once inactive, never active again (logo retention is continuous survival).
    #[default]
    Exclude,
    /// Active whenever a subscription runs.
    Count,
}

/// Options of [`contractual_cohorts`].
#[derive(Debug, Clone, PartialEq)]
pub struct CohortOptions {
    /// Last day observed (included).
    pub observation_end: Day,
    /// Reactivation handling of the tables.
    pub reactivation: Reactivation,
    /// Discount rate per month of DEL, DERL and residual value (default 0.01).
    pub discount_rate: f64,
    /// Months projected by the sBG (default 12).
    pub projection_months: u32,
}

impl CohortOptions {
    /// Defaults at `observation_end`.
    pub fn new(observation_end: Day) -> Self {
        CohortOptions {
            observation_end,
            reactivation: Reactivation::Exclude,
            discount_rate: 0.01,
            projection_months: 12,
        }
    }
}

/// One observed month of a cohort.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CohortMonth {
    /// Months since the customers' starts.
    pub month: u32,
    /// Customers active.
    pub active: usize,
    /// Logo retention, active ÷ cohort size.
    pub logo_retention: f64,
    /// Σ MRR of the cohort.
    pub mrr: f64,
    /// Revenue retention (NRR): MRR ÷ MRR at month 0 (NaN when that is 0).
    pub revenue_retention: f64,
    /// GRR: expansion-capped MRR ÷ MRR at month 0 (NaN when that is 0).
    pub grr: f64,
}

/// The sBG of one cohort (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct CohortSbg {
    /// α.
    pub alpha: f64,
    /// β.
    pub beta: f64,
    /// Log-likelihood at the estimate.
    pub log_likelihood: f64,
    /// The survivor counts fitted, months 0..=J.
    pub survivors: Vec<f64>,
    /// Projected retention rates for months J+1 ..= J+projection.
    pub projected_retention: Vec<f64>,
    /// Projected survival S(t) of the cohort for months J+1 ..= J+projection.
    pub projected_survival: Vec<f64>,
    /// Expected lifetime of a new customer in months (`None`: infinite, α ≤ 1).
    pub expected_lifetime: Option<f64>,
    /// Discounted expected lifetime of a new customer, in months of payments.
    pub discounted_expected_lifetime: f64,
    /// DERL of a customer active at month J (J renewals made).
    pub derl: f64,
    /// Σ MRR at month J of the active customers × DERL.
    pub residual_value: f64,
}

/// One cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractCohort {
    /// Calendar year of the cohort month.
    pub year: i32,
    /// Calendar month, 1–12.
    pub month: u32,
    /// Customers who started in it.
    pub customers: usize,
    /// Observed months 0..=J (empty when not even month 0 is observed).
    pub months: Vec<CohortMonth>,
    /// The sBG fit, or why there is none (fewer than two observed months, nobody or
    /// everybody churned).
    pub sbg: Result<CohortSbg, String>,
}

/// Why the cohorts could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ContractualError {
    /// A subscription ends on or before its start.
    #[error(
        "subscription {index} of customer {customer:?} ends ({end}) on or before its start ({start})"
    )]
    EndBeforeStart {
        /// Position in the input.
        index: usize,
        /// Customer id.
        customer: String,
        /// Start.
        start: Day,
        /// End.
        end: Day,
    },
    /// MRR negative or not finite.
    #[error(
        "subscription {index} of customer {customer:?} has MRR {mrr}, expected a finite number ≥ 0"
    )]
    BadMrr {
        /// Position in the input.
        index: usize,
        /// Customer id.
        customer: String,
        /// The MRR.
        mrr: f64,
    },
    /// Bad option.
    #[error("discount_rate must be a finite number > 0, got {0}")]
    DiscountRate(f64),
    /// No subscription starts by the observation end.
    #[error("no subscription starts on or before the observation end {0}")]
    Empty(Day),
}

/// Cohort tables and per-cohort sBG of `subs` (definitions in the module docs). Cohorts in
/// calendar order; subscriptions starting after the observation end are ignored.
///
/// # Errors
/// [`ContractualError`] for a subscription ending on or before its start, a bad MRR, a
/// discount rate that is not positive, or no subscription by the observation end.
pub fn contractual_cohorts(
    subs: &[Subscription],
    options: &CohortOptions,
) -> Result<Vec<ContractCohort>, ContractualError> {
    let d = options.discount_rate;
    if !(d.is_finite() && d > 0.0) {
        return Err(ContractualError::DiscountRate(d));
    }
    for (index, s) in subs.iter().enumerate() {
        if let Some(e) = s.end
            && e <= s.start
        {
            return Err(ContractualError::EndBeforeStart {
                index,
                customer: s.customer.clone(),
                start: s.start,
                end: e,
            });
        }
        if !(s.mrr.is_finite() && s.mrr >= 0.0) {
            return Err(ContractualError::BadMrr {
                index,
                customer: s.customer.clone(),
                mrr: s.mrr,
            });
        }
    }
    let end = options.observation_end;
    let mut by_customer: BTreeMap<&str, Vec<&Subscription>> = BTreeMap::new();
    for s in subs.iter().filter(|s| s.start <= end) {
        by_customer.entry(&s.customer).or_default().push(s);
    }
    if by_customer.is_empty() {
        return Err(ContractualError::Empty(end));
    }
    // cohort (year, month) → customers' (start, subscriptions)
    type Members<'a> = Vec<(Day, Vec<&'a Subscription>)>;
    let mut cohorts: BTreeMap<(i32, u32), Members<'_>> = BTreeMap::new();
    for subs in by_customer.into_values() {
        let start = subs.iter().map(|s| s.start).min().unwrap_or(end);
        cohorts
            .entry(start.year_month())
            .or_default()
            .push((start, subs));
    }
    let mrr_on = |subs: &[&Subscription], day: Day| -> f64 {
        subs.iter()
            .filter(|s| s.start <= day && s.end.is_none_or(|e| day < e))
            .map(|s| s.mrr)
            .sum()
    };
    let mut out = Vec::with_capacity(cohorts.len());
    for ((year, month), members) in cohorts {
        // Observed months: start + j months ≤ end for every member.
        let latest = members.iter().map(|m| m.0).max().unwrap_or(end);
        let mut observed = 0u32;
        while latest.add_months(observed as i32 + 1) <= end && observed < 1200 {
            observed += 1;
        }
        let months_observed = if latest <= end { observed + 1 } else { 0 };
        // Per customer: MRR at each observed month, and whether still continuously active.
        let mut active = vec![0usize; months_observed as usize];
        let mut survivors = vec![0usize; months_observed as usize];
        let mut mrr = vec![0.0; months_observed as usize];
        let mut grr = vec![0.0; months_observed as usize];
        let mut residual_mrr = 0.0;
        for (start, subs) in &members {
            let mut alive = true;
            let mut base = 0.0;
            for j in 0..months_observed as usize {
                let m = mrr_on(subs, start.add_months(j as i32));
                if j == 0 {
                    base = m;
                }
                alive &= m > 0.0;
                if alive {
                    survivors[j] += 1;
                }
                let counted = match options.reactivation {
                    Reactivation::Exclude => alive,
                    Reactivation::Count => m > 0.0,
                };
                if counted {
                    active[j] += 1;
                    mrr[j] += m;
                    grr[j] += m.min(base);
                }
                if j + 1 == months_observed as usize && alive {
                    residual_mrr += m;
                }
            }
        }
        let n = members.len();
        let base = mrr.first().copied().unwrap_or(0.0);
        let ratio = |v: f64| if base > 0.0 { v / base } else { f64::NAN };
        let months: Vec<CohortMonth> = (0..months_observed as usize)
            .map(|j| CohortMonth {
                month: j as u32,
                active: active[j],
                logo_retention: active[j] as f64 / n as f64,
                mrr: mrr[j],
                revenue_retention: ratio(mrr[j]),
                grr: ratio(grr[j]),
            })
            .collect();
        let counts: Vec<f64> = std::iter::once(n as f64)
            .chain(survivors.iter().skip(1).map(|&s| s as f64))
            .take(months_observed as usize)
            .collect();
        let sbg = cohort_sbg(&counts, residual_mrr, options);
        out.push(ContractCohort {
            year,
            month,
            customers: n,
            months,
            sbg,
        });
    }
    Ok(out)
}

/// The sBG of one cohort's survivor counts (months 0..=J; month 0 is the cohort size).
///
/// # Errors
/// The reason as text: too few months, nobody or everybody churned, a failed fit.
pub fn cohort_sbg(
    counts: &[f64],
    residual_mrr: f64,
    options: &CohortOptions,
) -> Result<CohortSbg, String> {
    let s = Survivors::new(counts).map_err(|e| e.to_string())?;
    let fitted = Sbg::fit(&s, &FitOptions::default()).map_err(|e| e.to_string())?;
    let m = fitted.model;
    let last = (counts.len() - 1) as u64;
    let d = options.discount_rate;
    let ahead = u64::from(options.projection_months);
    let derl = m
        .discounted_expected_residual_lifetime(d, last)
        .map_err(|e| e.to_string())?;
    Ok(CohortSbg {
        alpha: m.alpha(),
        beta: m.beta(),
        log_likelihood: fitted.report.log_likelihood,
        survivors: counts.to_vec(),
        projected_retention: (last + 1..=last + ahead)
            .map(|t| m.retention_rate(t))
            .collect(),
        projected_survival: (last + 1..=last + ahead).map(|t| m.survival(t)).collect(),
        expected_lifetime: m.expected_lifetime().ok(),
        discounted_expected_lifetime: m
            .discounted_expected_lifetime(d)
            .map_err(|e| e.to_string())?,
        derl,
        residual_value: residual_mrr * derl,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::parse_iso(s).unwrap()
    }

    fn sub(c: &str, start: &str, end: Option<&str>, mrr: f64) -> Subscription {
        Subscription {
            customer: c.into(),
            start: day(start),
            end: end.map(day),
            mrr,
        }
    }

    /// Three customers of January 2024, observed to 2024-04-15 (months 0..=2 for a
    /// customer who started on 2024-01-20: 2024-03-20 ≤ 2024-04-15 < 2024-04-20):
    /// a: 10/month, upgrades to 30 from 2024-02-10 (second subscription) → 10, 40, 40;
    /// b: 20/month, cancels 2024-02-15 and returns 2024-03-01 → 20, 0, 20;
    /// c: 30/month, downgrades to 15 on 2024-03-01 → 30, 30, 15.
    #[test]
    fn hand_computed_tables() {
        let subs = vec![
            sub("a", "2024-01-10", None, 10.0),
            sub("a", "2024-02-10", None, 30.0),
            sub("b", "2024-01-15", Some("2024-02-15"), 20.0),
            sub("b", "2024-03-01", None, 20.0),
            sub("c", "2024-01-20", Some("2024-03-01"), 30.0),
            sub("c", "2024-03-01", None, 15.0),
            // Starts after the observation end: ignored.
            sub("z", "2024-05-01", None, 99.0),
        ];
        let mut o = CohortOptions::new(day("2024-04-15"));
        let c = contractual_cohorts(&subs, &o).unwrap();
        assert_eq!(c.len(), 1);
        let c0 = &c[0];
        assert_eq!((c0.year, c0.month, c0.customers), (2024, 1, 3));
        let m = &c0.months;
        assert_eq!(m.len(), 3);
        // Exclude: b is gone from month 1 on.
        assert_eq!(
            m.iter().map(|x| x.active).collect::<Vec<_>>(),
            vec![3, 2, 2]
        );
        assert_eq!(m[1].mrr, 70.0);
        assert_eq!(m[2].mrr, 55.0);
        assert_eq!(m[1].revenue_retention, 70.0 / 60.0);
        // GRR: a capped at 10, c at 30 → 40/60, then 10 + 15 = 25/60.
        assert_eq!(m[1].grr, 40.0 / 60.0);
        assert_eq!(m[2].grr, 25.0 / 60.0);
        // Count: b is back at month 2.
        o.reactivation = Reactivation::Count;
        let c = contractual_cohorts(&subs, &o).unwrap();
        let m = &c[0].months;
        assert_eq!(m[2].active, 3);
        assert_eq!(m[2].mrr, 75.0);
        assert_eq!(m[2].grr, 45.0 / 60.0);

        let bad = vec![sub("a", "2024-01-10", Some("2024-01-10"), 10.0)];
        assert!(contractual_cohorts(&bad, &o).is_err());
    }

    /// Fader & Hardie (2007) "regular" customers: survivors 1000, 631, 468, 382, 326, 289,
    /// 262, 241 give α = 0.704, β = 1.182 (their Figure/Table, 3 decimals), whatever the
    /// subscriptions behind the counts.
    #[test]
    fn fh2007_regular_cohort_from_subscriptions() {
        let counts = [1000, 631, 468, 382, 326, 289, 262, 241];
        let mut subs = Vec::new();
        let mut id = 0;
        for t in 1..counts.len() {
            for _ in 0..counts[t - 1] - counts[t] {
                let start = Day::from_ymd(2020, 1, 1 + id % 28).unwrap();
                subs.push(Subscription {
                    customer: format!("c{id}"),
                    start,
                    end: Some(start.add_months(t as i32)),
                    mrr: 10.0,
                });
                id += 1;
            }
        }
        for _ in 0..counts[7] {
            let start = Day::from_ymd(2020, 1, 1 + id % 28).unwrap();
            subs.push(Subscription {
                customer: format!("c{id}"),
                start,
                end: None,
                mrr: 10.0,
            });
            id += 1;
        }
        let c = contractual_cohorts(&subs, &CohortOptions::new(day("2020-08-31"))).unwrap();
        let s = c[0].sbg.as_ref().unwrap();
        assert_eq!(
            s.survivors,
            counts.iter().map(|&c| c as f64).collect::<Vec<_>>()
        );
        assert!((s.alpha - 0.704).abs() < 5e-4, "{}", s.alpha);
        assert!((s.beta - 1.182).abs() < 5e-4, "{}", s.beta);
        // Projected retention of month 8: (β + 7)/(α + β + 7).
        let r8 = (s.beta + 7.0) / (s.alpha + s.beta + 7.0);
        assert!((s.projected_retention[0] - r8).abs() < 1e-12);
        assert_eq!(s.expected_lifetime, None, "α < 1: infinite");
        assert!((s.residual_value - 241.0 * 10.0 * s.derl).abs() < 1e-9);
        assert_eq!(c[0].months[7].active, 241);
    }
}
