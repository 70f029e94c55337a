//! The model step of the analysis: calibration/holdout comparison of BG/NBD, MBG/NBD
//! and Pareto/NBD, the documented choice, and the refit on all data.
//!
//! **Choice rule.** Each model is fitted on the calibration period and forecasts each
//! customer's holdout purchases E[Y(holdout) | calibration history]. Its *holdout error* is
//! |Σ predicted − Σ actual| / Σ actual (total purchases) plus the customer-weighted mean
//! absolute error of mean holdout purchases per calibration-frequency group (0, 1, …, 6,
//! 7+), divided by the mean actual holdout purchases per customer (FHL 2005, Figure 4).
//! Models within 0.02 of the smallest error are *equally good*; among them the lowest BIC
//! wins (all three have four parameters, so this is the highest likelihood). Converged fits
//! are preferred to fits stopped at a boundary of the parameter space. Without a holdout
//! period, the lowest BIC on all data wins.

use crate::AnalysisError;
use crate::distinct::Distinct;
use comeback_core::CalibrationHoldoutSummary;
use comeback_models::fit::{FitOptions, FitReport, Rfm, RfmData};
use comeback_models::purchase_model::{PurchaseModel, PurchaseModelKind};
use comeback_models::transaction::TransactionModel;

/// Tolerance of "equally good" on the holdout error.
pub const EQUALLY_GOOD: f64 = 0.02;

/// One candidate's calibration fit and holdout check.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Which model.
    pub kind: PurchaseModelKind,
    /// The calibration fit, or why it failed.
    pub fit: Result<(PurchaseModel, FitReport), String>,
    /// Σ predicted holdout purchases.
    pub holdout_predicted: f64,
    /// Customer-weighted MAE of mean holdout purchases per calibration-frequency group.
    pub frequency_error: f64,
    /// The holdout error of the choice rule (module docs).
    pub score: f64,
}

/// Why the chosen model was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Smallest holdout error.
    HoldoutError,
    /// Equally good holdout errors; lowest BIC.
    Bic,
    /// The only model that could be fitted.
    OnlyFitted,
    /// No holdout period: lowest BIC on all data.
    BicNoHoldout,
}

impl Reason {
    /// Stable key for summary.json.
    pub fn key(self) -> &'static str {
        match self {
            Reason::HoldoutError => "holdout_error",
            Reason::Bic => "equally_good_holdout_lowest_bic",
            Reason::OnlyFitted => "only_model_fitted",
            Reason::BicNoHoldout => "no_holdout_lowest_bic",
        }
    }
}

/// The comparison.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// All candidates, in the order of the kinds compared ([`PurchaseModelKind::ALL`] by
    /// default).
    pub candidates: Vec<Candidate>,
    /// Index of the chosen candidate.
    pub chosen: usize,
    /// Why.
    pub reason: Reason,
    /// Σ actual holdout purchases (0 without holdout).
    pub holdout_actual: f64,
    /// Calibration rows (for diagnostics), parallel to the calibration summary.
    pub calibration_rows: Vec<Rfm>,
}

/// Validated model rows from summary columns (parallel slices: x, tₓ and T in one unit).
///
/// # Errors
/// [`AnalysisError::Data`] naming the first invalid row.
pub fn rows_of(frequency: &[u32], recency: &[f64], t: &[f64]) -> Result<Vec<Rfm>, AnalysisError> {
    let mut rows = Vec::with_capacity(frequency.len());
    for i in 0..frequency.len() {
        rows.push(Rfm::new_at(i, frequency[i] as f64, recency[i], t[i])?);
    }
    Ok(rows)
}

/// Fits every candidate of `kinds` on the calibration period and scores it on the holdout.
///
/// # Errors
/// [`AnalysisError::Data`] for invalid summary rows; [`AnalysisError::NoModelFitted`] when
/// no candidate could be fitted.
pub fn compare(
    ch: &CalibrationHoldoutSummary,
    kinds: &[PurchaseModelKind],
    opts: &FitOptions,
    mut progress: impl FnMut(&str),
) -> Result<Comparison, AnalysisError> {
    let c = &ch.customers;
    let rows = rows_of(
        &c.iter().map(|r| r.frequency_cal).collect::<Vec<_>>(),
        &c.iter().map(|r| r.recency_cal).collect::<Vec<_>>(),
        &c.iter().map(|r| r.t_cal).collect::<Vec<_>>(),
    )?;
    let actual: Vec<f64> = c.iter().map(|r| r.frequency_holdout as f64).collect();
    let holdout_actual: f64 = actual.iter().sum();
    let data = RfmData::new(&rows, None)?;
    let distinct = Distinct::new(&rows);
    let mean_actual = (holdout_actual / rows.len().max(1) as f64).max(1e-9);
    let mut candidates = Vec::new();
    for &kind in kinds {
        progress(&format!(
            "fitting {} on the calibration period",
            kind.display_name()
        ));
        let fit = usable(kind.fit(&data, opts));
        let (mut predicted, mut freq_err, mut score) = (f64::NAN, f64::NAN, f64::INFINITY);
        if let Ok((m, _)) = &fit {
            let per_row =
                distinct.map(|r| m.conditional_expected_purchases(r, ch.duration_holdout));
            predicted = per_row
                .iter()
                .zip(&distinct.weight)
                .map(|(e, w)| e * w)
                .sum();
            freq_err = frequency_group_error(&rows, &actual, &distinct.per_customer(&per_row));
            score = (predicted - holdout_actual).abs() / holdout_actual.max(1.0)
                + freq_err / mean_actual;
            if !score.is_finite() {
                score = f64::INFINITY;
            }
        }
        candidates.push(Candidate {
            kind,
            fit,
            holdout_predicted: predicted,
            frequency_error: freq_err,
            score,
        });
    }
    let (chosen, reason) = choose(&candidates, |c| c.score)?;
    Ok(Comparison {
        candidates,
        chosen,
        reason,
        holdout_actual,
        calibration_rows: rows,
    })
}

/// Customer-weighted mean absolute error of the mean holdout purchases per calibration
/// frequency group 0, 1, …, 6, 7+ (FHL 2005, Figure 4).
fn frequency_group_error(rows: &[Rfm], actual: &[f64], predicted: &[f64]) -> f64 {
    let mut groups = [(0.0f64, 0.0f64, 0.0f64); 8]; // (customers, Σ actual, Σ predicted)
    for ((r, a), p) in rows.iter().zip(actual).zip(predicted) {
        let g = &mut groups[(r.frequency() as usize).min(7)];
        g.0 += 1.0;
        g.1 += a;
        g.2 += p;
    }
    let n: f64 = groups.iter().map(|g| g.0).sum();
    groups
        .iter()
        .filter(|g| g.0 > 0.0)
        .map(|g| (g.1 - g.2).abs())
        .sum::<f64>()
        / n.max(1.0)
}

/// Fits every candidate of `kinds` on all data and picks the lowest BIC (no holdout period).
///
/// # Errors
/// [`AnalysisError::NoModelFitted`] when no candidate could be fitted.
pub fn compare_without_holdout(
    data: &RfmData,
    kinds: &[PurchaseModelKind],
    opts: &FitOptions,
    mut progress: impl FnMut(&str),
) -> Result<Comparison, AnalysisError> {
    let mut candidates = Vec::new();
    for &kind in kinds {
        progress(&format!("fitting {}", kind.display_name()));
        let fit = usable(kind.fit(data, opts));
        candidates.push(Candidate {
            kind,
            fit,
            holdout_predicted: f64::NAN,
            frequency_error: f64::NAN,
            score: 0.0,
        });
    }
    let (chosen, reason) = choose(&candidates, |_| 0.0)?;
    let reason = if reason == Reason::OnlyFitted {
        reason
    } else {
        Reason::BicNoHoldout
    };
    Ok(Comparison {
        candidates,
        chosen,
        reason,
        holdout_actual: 0.0,
        calibration_rows: data.rows().to_vec(),
    })
}

/// A fit that stopped on its iteration budget is kept when its likelihood is finite: that
/// happens when the maximum lies on a boundary (e.g. no silent dropout at all, b → ∞), where
/// the predictions still converge. [`choose`] prefers converged fits.
fn usable(
    fit: Result<(PurchaseModel, FitReport), comeback_models::fit::FitError>,
) -> Result<(PurchaseModel, FitReport), String> {
    match fit {
        Ok((m, r))
            if r.converged
                || (r.log_likelihood.is_finite() && r.params.iter().all(|p| p.is_finite())) =>
        {
            Ok((m, r))
        }
        Ok((_, r)) => Err(format!("did not converge: {}", r.message)),
        Err(e) => Err(e.to_string()),
    }
}

fn bic(c: &Candidate) -> f64 {
    c.fit.as_ref().map(|(_, r)| r.bic).unwrap_or(f64::INFINITY)
}

fn choose(
    candidates: &[Candidate],
    score: impl Fn(&Candidate) -> f64,
) -> Result<(usize, Reason), AnalysisError> {
    let ok = |i: &usize| candidates[*i].fit.is_ok();
    let converged = |i: &usize| candidates[*i].fit.as_ref().is_ok_and(|(_, r)| r.converged);
    let all: Vec<usize> = (0..candidates.len()).filter(ok).collect();
    let conv: Vec<usize> = all.iter().copied().filter(converged).collect();
    // Converged fits are preferred; fits at a boundary are used only when none converged.
    let n_ok = all.len();
    let fitted = if conv.is_empty() { all } else { conv };
    match fitted.len() {
        0 => {
            let why: Vec<String> = candidates
                .iter()
                .map(|c| {
                    format!(
                        "{}: {}",
                        c.kind.display_name(),
                        c.fit.as_ref().err().map(String::as_str).unwrap_or("")
                    )
                })
                .collect();
            return Err(AnalysisError::NoModelFitted {
                reasons: why.join("; "),
            });
        }
        1 if n_ok == 1 => return Ok((fitted[0], Reason::OnlyFitted)),
        1 => return Ok((fitted[0], Reason::HoldoutError)),
        _ => {}
    }
    let best_score = fitted
        .iter()
        .map(|&i| score(&candidates[i]))
        .fold(f64::INFINITY, f64::min);
    let by_score = fitted
        .iter()
        .copied()
        .min_by(|&a, &b| score(&candidates[a]).total_cmp(&score(&candidates[b])));
    let equally_good: Vec<usize> = fitted
        .iter()
        .copied()
        .filter(|&i| score(&candidates[i]) <= best_score + EQUALLY_GOOD)
        .collect();
    let by_bic = equally_good
        .iter()
        .copied()
        .min_by(|&a, &b| bic(&candidates[a]).total_cmp(&bic(&candidates[b])));
    match (by_score, by_bic) {
        (Some(s), Some(b)) if equally_good.len() > 1 => Ok((
            b,
            if s == b {
                Reason::HoldoutError
            } else {
                Reason::Bic
            },
        )),
        (Some(s), _) => Ok((s, Reason::HoldoutError)),
        _ => Err(AnalysisError::NoModelCompared),
    }
}
