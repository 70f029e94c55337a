//! The recovery effect: do customers whose complaint was handled well stay? (issue 9
//! item 6; PRODUCT R7.)
//!
//! Customers fall into four [`RecoveryGroup`]s: never complained, and — by their **first**
//! complaint — resolved quickly, resolved slowly or not resolved (the caller classifies,
//! e.g. resolution within the resolution target in business hours; see `comeback
//! complaints --transactions`). For each group ([`GroupRetention`]):
//!
//! - **P(alive) now**: the mean of the customers' P(alive) at the observation end (given by
//!   the caller, e.g. the analysis' scores) with its Student t interval
//!   (`comeback_voice::stats::mean_interval`); n = customers in the group.
//! - **Repeat purchase within W days** (default W = 90 and 180): the share of customers with
//!   a purchase day in (d, d + W], where d is the **reference day**: a complainer's complaint
//!   day; for a customer who never complained, their last purchase day on or before R, the
//!   median complaint day (the lower median of the complainers' reference days), so that
//!   both groups start the window at a contact with the business. Customers whose window
//!   ends after the observation end are **censored** (left out and counted), as are
//!   never-complained customers without a purchase by R. Wilson interval
//!   (`comeback_voice::stats::wilson`).
//!
//! **Contrasts** ([`RiskRatio`]): for each window, the ratio of repeat shares of slowly
//! resolved and of unresolved complaints to quickly resolved ones, and of each complaint
//! group to the never-complained, with the Katz et al. (1978, *Biometrics* 34:469–474) log
//! interval: ln RR ± z·√(1/a − 1/n₁ + 1/c − 1/n₀) (Agresti 2013, *Categorical Data
//! Analysis*, 3rd ed., §3.1.4), a and c the repeaters of n₁ and n₀; no interval (`None`)
//! when a group has no repeater or no eligible customer.
//!
//! **How to read it.** The contrasts between resolution groups estimate the effect of
//! handling when how a complaint ends does not depend on the customer's own propensity to
//! come back (true in the simulator, `comeback_models::simulate::ComplaintProcess`, whose
//! stated effect the tests recover: the unresolved ÷ quick interval covers (1 − h_u) /
//! (1 − h_q) in ≥ 90 of 100 seeds). The comparison with customers who never complained is
//! descriptive: complainers are, by construction, customers who were buying and cared
//! enough to speak up.

use comeback_core::{Day, TransactionLog};
use comeback_voice::stats::{mean_interval, wilson, z_critical};

/// Where a customer stands with complaints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecoveryGroup {
    /// No complaint.
    NeverComplained,
    /// First complaint resolved quickly.
    ResolvedQuickly,
    /// First complaint resolved, slowly.
    ResolvedSlowly,
    /// First complaint not resolved (as of the measurement).
    NotResolved,
}

impl RecoveryGroup {
    /// The four groups in report order.
    pub const ALL: [RecoveryGroup; 4] = [
        RecoveryGroup::NeverComplained,
        RecoveryGroup::ResolvedQuickly,
        RecoveryGroup::ResolvedSlowly,
        RecoveryGroup::NotResolved,
    ];

    /// A stable snake_case key (`never_complained`, `resolved_quickly`, ...).
    pub fn key(self) -> &'static str {
        match self {
            RecoveryGroup::NeverComplained => "never_complained",
            RecoveryGroup::ResolvedQuickly => "resolved_quickly",
            RecoveryGroup::ResolvedSlowly => "resolved_slowly",
            RecoveryGroup::NotResolved => "not_resolved",
        }
    }
}

/// A customer's first complaint: its day and how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstComplaint {
    /// Local day the complaint was received (the reference day).
    pub day: Day,
    /// Its group; [`RecoveryGroup::NeverComplained`] is not allowed here.
    pub group: RecoveryGroup,
}

/// Options of [`recovery_effect`].
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryOptions {
    /// Two-sided confidence level of every interval (default 0.95).
    pub confidence: f64,
    /// Repeat-purchase windows in days (default 90 and 180), each ≥ 1.
    pub windows: Vec<u32>,
}

impl Default for RecoveryOptions {
    fn default() -> Self {
        RecoveryOptions {
            confidence: 0.95,
            windows: vec![90, 180],
        }
    }
}

/// Why the recovery effect cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RecoveryError {
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
        /// Field of [`RecoveryOptions`].
        name: &'static str,
        /// The value.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// A complaint given with the group "never complained".
    #[error("customer {0:?}: a complaint cannot be in the group never_complained")]
    NeverComplainedComplaint(String),
    /// A P(alive) outside [0, 1].
    #[error("customer {customer:?}: P(alive) {value} is not in [0, 1]")]
    PAlive {
        /// The customer's id.
        customer: String,
        /// The value.
        value: f64,
    },
    /// The log has no purchase.
    #[error("no purchases")]
    NoPurchases,
}

/// A mean with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanWithInterval {
    /// Customers behind the mean.
    pub n: usize,
    /// The mean.
    pub mean: f64,
    /// Lower bound (`None` for n = 1).
    pub ci_low: Option<f64>,
    /// Upper bound (`None` for n = 1).
    pub ci_high: Option<f64>,
}

/// The repeat-purchase share of a group over one window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepeatShare {
    /// Window length in days.
    pub window_days: u32,
    /// Customers whose whole window is observed.
    pub eligible: usize,
    /// Of them, customers with a purchase day in (d, d + W].
    pub repeated: usize,
    /// repeated ÷ eligible; `None` when nobody is eligible.
    pub share: Option<f64>,
    /// Wilson lower bound.
    pub ci_low: Option<f64>,
    /// Wilson upper bound.
    pub ci_high: Option<f64>,
    /// Customers left out because the window ends after the observation end.
    pub censored: usize,
}

/// Retention of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRetention {
    /// The group.
    pub group: RecoveryGroup,
    /// Customers in the group (with purchases in the log).
    pub customers: usize,
    /// Mean P(alive) now, when P(alive) was given and the group is not empty.
    pub p_alive: Option<MeanWithInterval>,
    /// One share per window of [`RecoveryOptions::windows`], in order.
    pub repeat: Vec<RepeatShare>,
    /// Customers without a reference day (never complained and no purchase by R).
    pub without_reference: usize,
}

/// A ratio of repeat shares, group ÷ reference, with the Katz log interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskRatio {
    /// Numerator group.
    pub group: RecoveryGroup,
    /// Denominator group.
    pub reference: RecoveryGroup,
    /// Window in days.
    pub window_days: u32,
    /// share(group) ÷ share(reference); `None` when either share is missing or the
    /// reference share is 0.
    pub ratio: Option<f64>,
    /// Lower bound (`None` without an interval).
    pub ci_low: Option<f64>,
    /// Upper bound.
    pub ci_high: Option<f64>,
}

/// The result of [`recovery_effect`].
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryEffect {
    /// The four groups, in [`RecoveryGroup::ALL`] order.
    pub groups: Vec<GroupRetention>,
    /// Contrasts: per window, slow ÷ quick, unresolved ÷ quick, and each complaint group ÷
    /// never complained.
    pub ratios: Vec<RiskRatio>,
    /// R, the median complaint day (the never-complained reference); `None` without
    /// complaints.
    pub median_complaint_day: Option<Day>,
    /// The log's observation end.
    pub observation_end: Day,
    /// The options used.
    pub options: RecoveryOptions,
}

impl RecoveryEffect {
    /// The retention of `group`.
    pub fn group(&self, group: RecoveryGroup) -> &GroupRetention {
        // `groups` always holds the four groups in ALL order.
        &self.groups[RecoveryGroup::ALL
            .iter()
            .position(|g| *g == group)
            .unwrap_or_default()]
    }

    /// The contrast `group` ÷ `reference` over `window_days`, if computed.
    pub fn ratio(
        &self,
        group: RecoveryGroup,
        reference: RecoveryGroup,
        window_days: u32,
    ) -> Option<&RiskRatio> {
        self.ratios
            .iter()
            .find(|r| r.group == group && r.reference == reference && r.window_days == window_days)
    }
}

/// Computes retention per recovery group (module docs).
///
/// `complaints` and `p_alive` are parallel to `log.ids()`: each customer's first complaint
/// (`None`: never complained) and P(alive) at the observation end.
///
/// # Errors
/// [`RecoveryError::LengthMismatch`], [`RecoveryError::InvalidOption`] (confidence not in
/// (0, 1), no window or a zero window), [`RecoveryError::NeverComplainedComplaint`],
/// [`RecoveryError::PAlive`] and [`RecoveryError::NoPurchases`].
pub fn recovery_effect(
    log: &TransactionLog,
    complaints: &[Option<FirstComplaint>],
    p_alive: Option<&[f64]>,
    options: &RecoveryOptions,
) -> Result<RecoveryEffect, RecoveryError> {
    let n = log.len();
    if complaints.len() != n {
        return Err(RecoveryError::LengthMismatch {
            what: "complaints",
            expected: n,
            found: complaints.len(),
        });
    }
    if let Some(p) = p_alive
        && p.len() != n
    {
        return Err(RecoveryError::LengthMismatch {
            what: "p_alive",
            expected: n,
            found: p.len(),
        });
    }
    if !(options.confidence > 0.0 && options.confidence < 1.0) {
        return Err(RecoveryError::InvalidOption {
            name: "confidence",
            value: options.confidence.to_string(),
            expected: "strictly between 0 and 1",
        });
    }
    if options.windows.is_empty() || options.windows.contains(&0) {
        return Err(RecoveryError::InvalidOption {
            name: "windows",
            value: format!("{:?}", options.windows),
            expected: "one or more windows of at least 1 day",
        });
    }
    let end = log.observation_end().ok_or(RecoveryError::NoPurchases)?;
    for (i, c) in complaints.iter().enumerate() {
        if let Some(c) = c
            && c.group == RecoveryGroup::NeverComplained
        {
            return Err(RecoveryError::NeverComplainedComplaint(
                log.ids()[i].to_string(),
            ));
        }
        if let Some(p) = p_alive
            && !(0.0..=1.0).contains(&p[i])
        {
            return Err(RecoveryError::PAlive {
                customer: log.ids()[i].to_string(),
                value: p[i],
            });
        }
    }
    let mut days: Vec<Day> = complaints.iter().flatten().map(|c| c.day).collect();
    days.sort_unstable();
    let median = (!days.is_empty()).then(|| days[(days.len() - 1) / 2]);

    let w = options.windows.len();
    let z = z_critical(options.confidence).map_err(|_| RecoveryError::InvalidOption {
        name: "confidence",
        value: options.confidence.to_string(),
        expected: "strictly between 0 and 1",
    })?;
    // Per group: customers, P(alive) values, without reference, and per window
    // (eligible, repeated, censored).
    let mut customers = [0usize; 4];
    let mut palive: [Vec<f64>; 4] = Default::default();
    let mut without = [0usize; 4];
    let mut counts = vec![[(0usize, 0usize, 0usize); 4]; w];
    for (i, cd) in log.customers().iter().enumerate() {
        let (g, reference) = match complaints[i] {
            Some(c) => (c.group, Some(c.day)),
            None => (
                RecoveryGroup::NeverComplained,
                median.and_then(|r| cd.days.iter().rev().map(|d| d.day).find(|d| *d <= r)),
            ),
        };
        let gi = g as usize;
        customers[gi] += 1;
        if let Some(p) = p_alive {
            palive[gi].push(p[i]);
        }
        let Some(d) = reference else {
            without[gi] += 1;
            continue;
        };
        // First purchase day after d.
        let next = cd.days.iter().map(|x| x.day).find(|x| *x > d);
        for (k, &win) in options.windows.iter().enumerate() {
            let last = i64::from(d.0) + i64::from(win);
            let c = &mut counts[k][gi];
            if last > i64::from(end.0) {
                c.2 += 1;
                continue;
            }
            c.0 += 1;
            if next.is_some_and(|x| i64::from(x.0) <= last) {
                c.1 += 1;
            }
        }
    }
    let groups = RecoveryGroup::ALL
        .iter()
        .map(|&g| {
            let gi = g as usize;
            let p_alive = match palive[gi].len() {
                0 => None,
                1 => Some(MeanWithInterval {
                    n: 1,
                    mean: palive[gi][0],
                    ci_low: None,
                    ci_high: None,
                }),
                _ => mean_interval(&palive[gi], options.confidence)
                    .ok()
                    .map(|e| MeanWithInterval {
                        n: palive[gi].len(),
                        mean: e.mean,
                        ci_low: Some(e.ci_low.max(0.0)),
                        ci_high: Some(e.ci_high.min(1.0)),
                    }),
            };
            let repeat = options
                .windows
                .iter()
                .enumerate()
                .map(|(k, &win)| {
                    let (eligible, repeated, censored) = counts[k][gi];
                    let ci = wilson(repeated as u64, eligible as u64, options.confidence).ok();
                    RepeatShare {
                        window_days: win,
                        eligible,
                        repeated,
                        share: (eligible > 0).then(|| repeated as f64 / eligible as f64),
                        ci_low: ci.map(|e| e.ci_low),
                        ci_high: ci.map(|e| e.ci_high),
                        censored,
                    }
                })
                .collect();
            GroupRetention {
                group: g,
                customers: customers[gi],
                p_alive,
                repeat,
                without_reference: without[gi],
            }
        })
        .collect::<Vec<_>>();
    use RecoveryGroup::*;
    let pairs = [
        (ResolvedSlowly, ResolvedQuickly),
        (NotResolved, ResolvedQuickly),
        (ResolvedQuickly, NeverComplained),
        (ResolvedSlowly, NeverComplained),
        (NotResolved, NeverComplained),
    ];
    let mut ratios = Vec::new();
    for (k, &win) in options.windows.iter().enumerate() {
        for (g, r) in pairs {
            let (n1, a, _) = counts[k][g as usize];
            let (n0, c, _) = counts[k][r as usize];
            ratios.push(katz(g, r, win, (a, n1), (c, n0), z));
        }
    }
    Ok(RecoveryEffect {
        groups,
        ratios,
        median_complaint_day: median,
        observation_end: end,
        options: options.clone(),
    })
}

/// The risk ratio (a/n₁) ÷ (c/n₀) with the Katz log interval (module docs).
fn katz(
    group: RecoveryGroup,
    reference: RecoveryGroup,
    window_days: u32,
    (a, n1): (usize, usize),
    (c, n0): (usize, usize),
    z: f64,
) -> RiskRatio {
    let mut r = RiskRatio {
        group,
        reference,
        window_days,
        ratio: None,
        ci_low: None,
        ci_high: None,
    };
    if n1 == 0 || n0 == 0 || c == 0 {
        return r;
    }
    let (a, n1, c, n0) = (a as f64, n1 as f64, c as f64, n0 as f64);
    let rr = (a / n1) / (c / n0);
    r.ratio = Some(rr);
    if a > 0.0 {
        let se = (1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n0).max(0.0).sqrt();
        r.ci_low = Some(rr * (-z * se).exp());
        r.ci_high = Some(rr * (z * se).exp());
    }
    r
}
