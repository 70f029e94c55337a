//! Loyalty-programme members vs non-members: the raw gap and a fairer, matched comparison.
//!
//! The founding articles ask that members be compared with non-members (PRODUCT R9). The
//! raw gap says little about the programme: customers who already buy often are the ones
//! who join. This module reports both.
//!
//! # Descriptive metrics per group ([`GroupMetrics`])
//!
//! Membership as it is now (a member list or a customers-file column); 95 % intervals by
//! default (`confidence`):
//! - **retention**: customers active in the previous 12-month window (the windows of
//!   `comeback_core::retention`) who are active in the current one, with the Wilson
//!   interval;
//! - **visits per year**: occasions in the last 12 months, among customers whose first
//!   purchase is at least 12 months before the observation end; mean with t interval;
//! - **inter-visit time**: each customer's mean days between consecutive occasions
//!   (customers with two or more occasions); mean over customers with t interval;
//! - **spend per visit**: each customer's net amount per occasion; mean with t interval;
//! - **CLV** (when given, e.g. the analysis' scores): mean with t interval;
//! - **NPS** (when each customer's latest 0–10 answer is given): Rocks (2016) adjusted-Wald
//!   interval (`comeback_voice::nps`).
//!
//! # The matched comparison ([`LoyaltyComparison::matched`], a [`RatioEstimate`])
//!
//! Each customer gets a **reference day** r: a member's enrolment day; for a non-member
//! their first purchase on or after the programme's **launch** (the day they could have
//! joined and did not; default: the earliest enrolment day). Around r:
//! - **pre-enrolment visits** k: occasions on days in [r − `pre_days`, r);
//! - **outcome** y: occasions on days in (r, r + `post_days`] (the day r itself is in
//!   neither window, so an enrolment purchase does not count);
//! - customers whose outcome window ends after the observation end are **censored** (left
//!   out and counted), as are members without an enrolment day.
//!
//! Members are matched to non-members by **coarsened exact matching** (Iacus, King &
//! Porro 2012) on k (exact up to 19, then 20–29, 30–49, 50 and more) and on whether the
//! customer's first purchase precedes the pre-enrolment window (an established customer
//! or a new one). Strata with fewer than two non-members cannot estimate the
//! counterfactual: their members are left out and counted.
//!
//! The effect is a **ratio** of mean outcomes, the average effect on the members (ATT):
//! R = Σₛ n₁ₛ ȳ₁ₛ / Σₛ n₁ₛ ȳ₀ₛ, reported as R − 1 ("members visit +x % more often than
//! matched non-members"), with the delta-method interval on the log scale,
//! Var(ln R) ≈ Var(A)/A² + Var(B)/B², A = ȳ₁ (matched members; Var = s₁²/n₁),
//! B = Σₛ wₛ ȳ₀ₛ (wₛ = n₁ₛ/n₁; Var = Σₛ wₛ² s₀ₛ²/n₀ₛ), the two groups independent. The raw
//! ratio ȳ₁/ȳ₀ over all eligible members and non-members has the same interval with
//! unstratified variances.
//!
//! **Assumptions** (say them when quoting the number): (1) *selection on observables* —
//! given the matching variables, whether a customer joined is unrelated to how often they
//! would have visited afterwards (a customer who joins because they plan to visit more
//! breaks it); (2) non-members' reference day is a fair stand-in for the day they could
//! have joined; (3) customers do not affect each other. Under these the matched ratio is
//! unbiased for the effect on the members' visit rate; the raw ratio is not, because
//! joining rises with past visits. `comeback_models::simulate::Membership` generates
//! data that satisfy them, with a known effect, and the tests check that the matched
//! interval covers it.

use comeback_core::{Day, TransactionLog, Window};
use comeback_voice::nps::{IntervalMethod, NpsCounts, NpsEstimate, estimate as nps_estimate};
use comeback_voice::stats::{mean_interval, wilson, z_critical};

/// A customer's membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Member {
    /// Not a member.
    #[default]
    No,
    /// A member, enrolled on the day given (if known).
    Yes {
        /// Enrolment day.
        enrolled: Option<Day>,
    },
}

impl Member {
    /// True for a member.
    pub fn is_member(self) -> bool {
        matches!(self, Member::Yes { .. })
    }
}

/// Options of [`compare_members`].
#[derive(Debug, Clone, PartialEq)]
pub struct LoyaltyOptions {
    /// Two-sided confidence level of every interval (default 0.95).
    pub confidence: f64,
    /// Length of the pre-enrolment window in days (default 365).
    pub pre_days: u32,
    /// Length of the outcome window in days (default 365).
    pub post_days: u32,
    /// The programme's launch: non-members' reference day is their first purchase on or
    /// after it; `None`: the earliest enrolment day.
    pub launch: Option<Day>,
}

impl Default for LoyaltyOptions {
    fn default() -> Self {
        LoyaltyOptions {
            confidence: 0.95,
            pre_days: 365,
            post_days: 365,
            launch: None,
        }
    }
}

/// Why a comparison could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LoyaltyError {
    /// An input parallel to the log's customers has another length.
    #[error("{what} has {found} values but the log has {expected} customers")]
    LengthMismatch {
        /// The input.
        what: &'static str,
        /// Customers in the log.
        expected: usize,
        /// Its length.
        found: usize,
    },
    /// An option is out of range.
    #[error("{name} must be {expected}, got {value}")]
    InvalidOption {
        /// Field of [`LoyaltyOptions`].
        name: &'static str,
        /// The value.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// The log has no purchase.
    #[error("no purchases")]
    NoPurchases,
    /// One group is empty.
    #[error("no {0} among the customers with purchases: nothing to compare")]
    EmptyGroup(&'static str),
}

/// An estimate with its interval (`None` bounds where there is no interval, e.g. one
/// value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Observations behind the estimate.
    pub n: usize,
    /// The estimate.
    pub estimate: f64,
    /// Lower bound.
    pub ci_low: Option<f64>,
    /// Upper bound.
    pub ci_high: Option<f64>,
}

/// The metrics of one group (definitions in the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupMetrics {
    /// Customers with purchases in the group.
    pub customers: usize,
    /// Share retained (n = customers active in the previous 12 months).
    pub retention: Option<Estimate>,
    /// Occasions in the last 12 months (customers with 12 months of history).
    pub visits_per_year: Option<Estimate>,
    /// Mean days between visits.
    pub inter_visit_days: Option<Estimate>,
    /// Net amount per visit, in the currency unit.
    pub spend_per_visit: Option<Estimate>,
    /// Mean CLV, when CLV was given.
    pub clv: Option<Estimate>,
    /// NPS with the adjusted-Wald interval, when answers were given and the group has one.
    pub nps: Option<NpsEstimate>,
}

/// A ratio of mean outcomes (visits in the outcome window), members ÷ (matched)
/// non-members, as an effect R − 1 with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioEstimate {
    /// R − 1 (0.25 = members visit 25 % more often).
    pub effect: f64,
    /// Lower bound of R − 1 (`None` without an interval).
    pub ci_low: Option<f64>,
    /// Upper bound of R − 1.
    pub ci_high: Option<f64>,
    /// Members used.
    pub members: usize,
    /// Non-members used.
    pub non_members: usize,
    /// Mean outcome of the members used.
    pub member_mean: f64,
    /// Mean outcome of the non-members (weighted to the members' strata when matched).
    pub non_member_mean: f64,
    /// Mean pre-enrolment visits of the members used.
    pub member_pre_visits: f64,
    /// Mean pre-enrolment visits of the non-members (weighted when matched): close to the
    /// members' when the matching balanced them.
    pub non_member_pre_visits: f64,
}

/// What the matched comparison used and left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MatchCounts {
    /// Members without an enrolment day.
    pub members_without_date: usize,
    /// Non-members without a purchase on or after the launch.
    pub non_members_without_reference: usize,
    /// Members whose outcome window ends after the observation end.
    pub members_censored: usize,
    /// Non-members whose outcome window ends after the observation end.
    pub non_members_censored: usize,
    /// Eligible members in strata with fewer than two non-members.
    pub members_unmatched: usize,
    /// Strata used.
    pub strata: usize,
}

/// The result of [`compare_members`].
#[derive(Debug, Clone, PartialEq)]
pub struct LoyaltyComparison {
    /// Members.
    pub members: GroupMetrics,
    /// Non-members.
    pub non_members: GroupMetrics,
    /// The launch day used (`None` when no member has an enrolment day).
    pub launch: Option<Day>,
    /// Raw ratio of outcome means, all eligible members vs all eligible non-members.
    pub raw: Option<RatioEstimate>,
    /// Matched ratio (ATT).
    pub matched: Option<RatioEstimate>,
    /// What was used and left out.
    pub counts: MatchCounts,
    /// The options used.
    pub options: LoyaltyOptions,
}

/// Per-customer extra values, parallel to the log's customers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras<'a> {
    /// CLV per customer.
    pub clv: Option<&'a [f64]>,
    /// Latest NPS answer (0–10) per customer.
    pub nps: Option<&'a [Option<u8>]>,
}

fn mean_estimate(values: &[f64], confidence: f64) -> Option<Estimate> {
    match values.len() {
        0 => None,
        1 => Some(Estimate {
            n: 1,
            estimate: values[0],
            ci_low: None,
            ci_high: None,
        }),
        _ => mean_interval(values, confidence).ok().map(|m| Estimate {
            n: values.len(),
            estimate: m.mean,
            ci_low: Some(m.ci_low),
            ci_high: Some(m.ci_high),
        }),
    }
}

/// The stratum of (pre-enrolment visits, established customer).
fn stratum(k: u32, established: bool) -> (u32, bool) {
    let bin = match k {
        0..=19 => k,
        20..=29 => 20,
        30..=49 => 30,
        _ => 50,
    };
    (bin, established)
}

struct Unit {
    member: bool,
    pre: u32,
    y: f64,
    stratum: (u32, bool),
}

fn mean_var(v: impl Iterator<Item = f64>) -> (f64, f64, usize) {
    let (mut n, mut mean, mut m2) = (0usize, 0.0, 0.0);
    for x in v {
        n += 1;
        let d = x - mean;
        mean += d / n as f64;
        m2 += d * (x - mean);
    }
    let var = if n > 1 { m2 / (n - 1) as f64 } else { 0.0 };
    (mean, var, n)
}

/// exp(ln R ± z se) − 1 when the variance is known.
fn ratio(a: f64, var_a: f64, b: f64, var_b: f64, z: f64) -> (f64, Option<f64>, Option<f64>) {
    let r = a / b;
    if a > 0.0 && b > 0.0 {
        let se = (var_a / (a * a) + var_b / (b * b)).sqrt();
        (
            r - 1.0,
            Some((r.ln() - z * se).exp() - 1.0),
            Some((r.ln() + z * se).exp() - 1.0),
        )
    } else {
        (r - 1.0, None, None)
    }
}

/// Members vs non-members in `log` (see the module docs). `members` and the extras are
/// parallel to `log.customers()`.
///
/// # Errors
/// [`LoyaltyError`] for inputs of the wrong length, options out of range, an empty log or
/// a group without customers.
pub fn compare_members(
    log: &TransactionLog,
    members: &[Member],
    extras: &Extras<'_>,
    options: &LoyaltyOptions,
) -> Result<LoyaltyComparison, LoyaltyError> {
    let n = log.len();
    let check = |what, found: usize| {
        if found == n {
            Ok(())
        } else {
            Err(LoyaltyError::LengthMismatch {
                what,
                expected: n,
                found,
            })
        }
    };
    check("members", members.len())?;
    if let Some(c) = extras.clv {
        check("clv", c.len())?;
    }
    if let Some(s) = extras.nps {
        check("nps", s.len())?;
    }
    let z = z_critical(options.confidence).map_err(|_| LoyaltyError::InvalidOption {
        name: "confidence",
        value: options.confidence.to_string(),
        expected: "in (0, 1)",
    })?;
    for (name, v) in [
        ("pre_days", options.pre_days),
        ("post_days", options.post_days),
    ] {
        if v == 0 {
            return Err(LoyaltyError::InvalidOption {
                name,
                value: "0".into(),
                expected: "at least 1 day",
            });
        }
    }
    if let Some(clv) = extras.clv
        && let Some(bad) = clv.iter().find(|v| !v.is_finite())
    {
        return Err(LoyaltyError::InvalidOption {
            name: "clv",
            value: bad.to_string(),
            expected: "finite numbers",
        });
    }
    let end = log.observation_end().ok_or(LoyaltyError::NoPurchases)?;
    let is_member: Vec<bool> = members.iter().map(|m| m.is_member()).collect();
    if !is_member.iter().any(|&m| m) {
        return Err(LoyaltyError::EmptyGroup("loyalty members"));
    }
    if is_member.iter().all(|&m| m) {
        return Err(LoyaltyError::EmptyGroup("non-members"));
    }
    let metrics = |want: bool| group_metrics(log, end, &is_member, want, extras, options);
    let members_m = metrics(true);
    let non_members_m = metrics(false);

    // The matched comparison.
    let launch = options.launch.or_else(|| {
        members
            .iter()
            .filter_map(|m| match m {
                Member::Yes { enrolled } => *enrolled,
                Member::No => None,
            })
            .min()
    });
    let mut counts = MatchCounts::default();
    let mut units = Vec::new();
    let (pre, post) = (options.pre_days as i32, options.post_days as i32);
    for (i, (cd, m)) in log.customers().iter().zip(members).enumerate() {
        let days: Vec<Day> = cd
            .days
            .iter()
            .filter(|d| d.has_purchase)
            .map(|d| d.day)
            .collect();
        let Some(&first) = days.first() else {
            continue;
        };
        let reference = match m {
            Member::Yes { enrolled: None } => {
                counts.members_without_date += 1;
                continue;
            }
            Member::Yes { enrolled: Some(e) } => *e,
            Member::No => match launch.and_then(|l| days.iter().find(|d| **d >= l)) {
                Some(d) => *d,
                None => {
                    counts.non_members_without_reference += 1;
                    continue;
                }
            },
        };
        if i64::from(reference.0) + i64::from(post) > i64::from(end.0) {
            if is_member[i] {
                counts.members_censored += 1;
            } else {
                counts.non_members_censored += 1;
            }
            continue;
        }
        let k = days
            .iter()
            .filter(|d| d.0 >= reference.0 - pre && d.0 < reference.0)
            .count() as u32;
        let y = days
            .iter()
            .filter(|d| d.0 > reference.0 && d.0 <= reference.0 + post)
            .count() as f64;
        units.push(Unit {
            member: is_member[i],
            pre: k,
            y,
            stratum: stratum(k, first.0 < reference.0 - pre),
        });
    }
    let raw = {
        let (a, va, n1) = mean_var(units.iter().filter(|u| u.member).map(|u| u.y));
        let (b, vb, n0) = mean_var(units.iter().filter(|u| !u.member).map(|u| u.y));
        (n1 > 0 && n0 > 0).then(|| {
            let (effect, lo, hi) = ratio(a, va / n1 as f64, b, vb / n0 as f64, z);
            let pre_mean = |m: bool| {
                mean_var(
                    units
                        .iter()
                        .filter(|u| u.member == m)
                        .map(|u| f64::from(u.pre)),
                )
                .0
            };
            RatioEstimate {
                effect,
                ci_low: if n1 > 1 && n0 > 1 { lo } else { None },
                ci_high: if n1 > 1 && n0 > 1 { hi } else { None },
                members: n1,
                non_members: n0,
                member_pre_visits: pre_mean(true),
                non_member_pre_visits: pre_mean(false),
                member_mean: a,
                non_member_mean: b,
            }
        })
    };
    let matched = matched_estimate(&units, z, &mut counts);
    Ok(LoyaltyComparison {
        members: members_m,
        non_members: non_members_m,
        launch,
        raw,
        matched,
        counts,
        options: options.clone(),
    })
}

fn matched_estimate(units: &[Unit], z: f64, counts: &mut MatchCounts) -> Option<RatioEstimate> {
    use std::collections::BTreeMap;
    // stratum → (member outcomes, member pre-visits, non-member outcomes, non-member pre)
    type Cell = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);
    let mut cells: BTreeMap<(u32, bool), Cell> = BTreeMap::new();
    for u in units {
        let c = cells.entry(u.stratum).or_default();
        if u.member {
            c.0.push(u.y);
            c.1.push(f64::from(u.pre));
        } else {
            c.2.push(u.y);
            c.3.push(f64::from(u.pre));
        }
    }
    let used: Vec<&Cell> = cells
        .values()
        .filter(|c| {
            if !c.0.is_empty() && c.2.len() < 2 {
                counts.members_unmatched += c.0.len();
            }
            !c.0.is_empty() && c.2.len() >= 2
        })
        .collect();
    counts.strata = used.len();
    let n1: usize = used.iter().map(|c| c.0.len()).sum();
    if n1 == 0 {
        return None;
    }
    let n1f = n1 as f64;
    let (a, va, _) = mean_var(used.iter().flat_map(|c| c.0.iter().copied()));
    let (mut b, mut vb, mut pre1, mut pre0) = (0.0, 0.0, 0.0, 0.0);
    let mut n0 = 0;
    for c in &used {
        let w = c.0.len() as f64 / n1f;
        let (m0, v0, k0) = mean_var(c.2.iter().copied());
        b += w * m0;
        vb += w * w * v0 / k0 as f64;
        pre1 += w * mean_var(c.1.iter().copied()).0;
        pre0 += w * mean_var(c.3.iter().copied()).0;
        n0 += k0;
    }
    let (effect, lo, hi) = ratio(a, va / n1f, b, vb, z);
    let has_interval = n1 > 1;
    Some(RatioEstimate {
        effect,
        ci_low: lo.filter(|_| has_interval),
        ci_high: hi.filter(|_| has_interval),
        members: n1,
        non_members: n0,
        member_mean: a,
        non_member_mean: b,
        member_pre_visits: pre1,
        non_member_pre_visits: pre0,
    })
}

fn group_metrics(
    log: &TransactionLog,
    end: Day,
    is_member: &[bool],
    want: bool,
    extras: &Extras<'_>,
    options: &LoyaltyOptions,
) -> GroupMetrics {
    let current = Window::months_ending(end, 12);
    let previous = Window::months_ending(current.after, 12);
    let (mut customers, mut active_prev, mut retained) = (0usize, 0u64, 0u64);
    let (mut visits, mut gaps, mut spend, mut clv) = (vec![], vec![], vec![], vec![]);
    let mut nps = NpsCounts::default();
    for (i, cd) in log.customers().iter().enumerate() {
        if is_member[i] != want {
            continue;
        }
        let days: Vec<_> = cd.days.iter().filter(|d| d.has_purchase).collect();
        let Some(first) = days.first() else {
            continue;
        };
        customers += 1;
        let in_prev = days.iter().any(|d| previous.contains(d.day));
        let in_cur = days.iter().filter(|d| current.contains(d.day)).count();
        if in_prev {
            active_prev += 1;
            if in_cur > 0 {
                retained += 1;
            }
        }
        if first.day <= current.after {
            visits.push(in_cur as f64);
        }
        if days.len() >= 2 {
            let span = (days[days.len() - 1].day.0 - first.day.0) as f64;
            gaps.push(span / (days.len() - 1) as f64);
        }
        let total: f64 = cd.days.iter().map(|d| d.amount.to_f64()).sum();
        spend.push(total / days.len() as f64);
        if let Some(c) = extras.clv {
            clv.push(c[i]);
        }
        if let Some(s) = extras.nps
            && let Some(score) = s[i]
        {
            // Scores above 10 are not counted (the caller validates them).
            let _ = nps.add_score(score);
        }
    }
    let c = options.confidence;
    GroupMetrics {
        customers,
        retention: wilson(retained, active_prev, c).ok().map(|w| Estimate {
            n: active_prev as usize,
            estimate: w.share,
            ci_low: Some(w.ci_low),
            ci_high: Some(w.ci_high),
        }),
        visits_per_year: mean_estimate(&visits, c),
        inter_visit_days: mean_estimate(&gaps, c),
        spend_per_visit: mean_estimate(&spend, c),
        clv: extras.clv.and_then(|_| mean_estimate(&clv, c)),
        nps: extras
            .nps
            .and_then(|_| nps_estimate(nps, IntervalMethod::AdjustedWald, c).ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use comeback_core::{Amount, TransactionLogBuilder};

    fn day(s: &str) -> Day {
        Day::parse_iso(s).unwrap()
    }

    /// A hand-checked log: member m1 (enrolled 2024-01-01) and non-members n1..n4.
    #[test]
    fn hand_computed_strata_and_metrics() {
        let mut b = TransactionLogBuilder::new(Some(day("2025-12-31")));
        let rows: &[(&str, &[&str])] = &[
            // m1, enrolled at a visit on 2024-01-01: established (first purchase before
            // 2023-01-01 = r − 365 days), k = 2 (2023-03-01, 2023-09-01), y = 3.
            (
                "m1",
                &[
                    "2022-12-01",
                    "2023-03-01",
                    "2023-09-01",
                    "2024-01-01",
                    "2024-02-01",
                    "2024-05-01",
                    "2024-09-01",
                ],
            ),
            // m2, enrolled 2024-03-01 (pre window from 2023-03-02): k = 2, y = 5.
            (
                "m2",
                &[
                    "2022-06-01",
                    "2023-04-01",
                    "2023-10-01",
                    "2024-03-01",
                    "2024-03-05",
                    "2024-04-01",
                    "2024-06-01",
                    "2024-08-01",
                    "2024-12-01",
                ],
            ),
            // n1: reference = first purchase on or after the launch 2024-01-01 =
            // 2024-01-10; established, k = 2, y = 2.
            (
                "n1",
                &[
                    "2022-01-05",
                    "2023-06-01",
                    "2023-12-01",
                    "2024-01-10",
                    "2024-06-01",
                    "2024-12-01",
                ],
            ),
            // n2: reference 2024-02-01; established, k = 2, y = 0.
            (
                "n2",
                &["2022-04-01", "2023-04-01", "2023-05-01", "2024-02-01"],
            ),
            // n3: new in 2024: stratum (0, new) without members; y = 1.
            ("n3", &["2024-07-01", "2024-08-01"]),
            // n4: no purchase after the launch: no reference.
            ("n4", &["2023-01-01", "2023-02-01"]),
        ];
        for (id, days) in rows {
            for d in *days {
                b.add(id, day(d), Amount::from_micros(10_000_000)).unwrap();
            }
        }
        let log = b.finish();
        let members: Vec<Member> = log
            .ids()
            .iter()
            .map(|id| {
                if id.starts_with('m') {
                    Member::Yes {
                        enrolled: Some(if &**id == "m1" {
                            day("2024-01-01")
                        } else {
                            day("2024-03-01")
                        }),
                    }
                } else {
                    Member::No
                }
            })
            .collect();
        let clv = [100.0, 200.0, 10.0, 20.0, 30.0, 0.0];
        let nps = [Some(10), Some(9), Some(3), None, Some(8), None];
        let c = compare_members(
            &log,
            &members,
            &Extras {
                clv: Some(&clv),
                nps: Some(&nps),
            },
            &LoyaltyOptions::default(),
        )
        .unwrap();
        assert_eq!(c.launch, Some(day("2024-01-01")));
        // Members: outcomes 3 (m1) and 5 (m2), both k = 2, established.
        // Non-members in that stratum: n1 (k = 2: 2023-06-01, 2023-12-01; y = 2) and
        // n2 (k = 2, y = 0): mean 1. Ratio 4 / 1 → effect 3.
        let m = c.matched.unwrap();
        assert_eq!((m.members, m.non_members, c.counts.strata), (2, 2, 1));
        assert!((m.effect - 3.0).abs() < 1e-12, "{m:?}");
        assert_eq!((m.member_pre_visits, m.non_member_pre_visits), (2.0, 2.0));
        // Var(A) = var(3, 5)/2 = 1; Var(B) = var(2, 0)/2 = 1:
        // se(ln R) = √(1/16 + 1/1) = 1.0308.
        let se = (1.0f64 / 16.0 + 1.0).sqrt();
        let lo = (4.0f64.ln() - 1.959964 * se).exp() - 1.0;
        assert!((m.ci_low.unwrap() - lo).abs() < 1e-5, "{m:?} {lo}");
        // Raw: non-members n1, n2, n3 (n3's reference 2024-07-01, y = 1): mean 1.
        let r = c.raw.unwrap();
        assert_eq!((r.members, r.non_members), (2, 3));
        assert!((r.effect - 3.0).abs() < 1e-12);
        assert_eq!(c.counts.non_members_without_reference, 1);
        // Descriptive: members' retention: both active in 2024, neither in 2025 → 0 of 2.
        let mm = &c.members;
        assert_eq!(mm.customers, 2);
        assert_eq!(mm.retention.unwrap().n, 2);
        assert_eq!(mm.retention.unwrap().estimate, 0.0);
        // m1's mean gap: 2022-12-01 → 2024-09-01 = 640 days over 6 gaps; m2's:
        // 2022-06-01 → 2024-12-01 = 914 days over 8 gaps.
        let gaps = mm.inter_visit_days.unwrap().estimate;
        assert!(
            (gaps - (640.0 / 6.0 + 914.0 / 8.0) / 2.0).abs() < 1e-9,
            "{gaps}"
        );
        assert_eq!(mm.spend_per_visit.unwrap().estimate, 10.0);
        assert_eq!(mm.clv.unwrap().estimate, 150.0);
        assert_eq!(mm.nps.unwrap().nps, 100.0);
        // Non-members' NPS: answers 3 and 8 → (0 − 1)/2 = −50.
        assert_eq!(c.non_members.nps.unwrap().nps, -50.0);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let mut b = TransactionLogBuilder::new(None);
        b.add("a", day("2024-01-01"), Amount::from_micros(1))
            .unwrap();
        b.add("b", day("2024-01-02"), Amount::from_micros(1))
            .unwrap();
        let log = b.finish();
        let o = LoyaltyOptions::default();
        let e = compare_members(&log, &[Member::No], &Extras::default(), &o).unwrap_err();
        assert_eq!(
            e.to_string(),
            "members has 1 values but the log has 2 customers"
        );
        let e = compare_members(&log, &[Member::No; 2], &Extras::default(), &o).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no loyalty members among the customers with purchases: nothing to compare"
        );
        let bad = LoyaltyOptions {
            confidence: 1.5,
            ..o
        };
        let m = [Member::No, Member::Yes { enrolled: None }];
        assert!(compare_members(&log, &m, &Extras::default(), &bad).is_err());
    }
}
