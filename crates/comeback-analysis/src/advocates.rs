//! Advocates: customers who are both promoters and high-value — the "20 % advocates" claim
//! (PRODUCT R9) measured on the business's own data.
//!
//! - **Promoter**: the customer's latest NPS answer is 9 or 10 (`comeback_voice::nps`).
//! - **High value**: CLV at or above the CLV of the customer ranked ⌈`top_share` · n⌉ by
//!   CLV among *all* n customers (top 20 % by default; ties at the threshold included), and
//!   above 0.
//! - **Advocate**: a promoter of high value. Only customers who answered can be classed, so
//!   the share is advocates ÷ customers with an answer, with the Wilson interval (it
//!   assumes those who answered are like those who did not).
//!
//! Also reported: the share of high-value respondents who are promoters, and the share of
//! the respondents' CLV that the advocates hold.

use crate::loyalty::Estimate;
use comeback_voice::stats::wilson;

/// The advocates among the respondents (definitions in the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct AdvocateShare {
    /// Top share of customers by CLV counted as high value (0.2).
    pub top_share: f64,
    /// The CLV threshold of high value.
    pub clv_threshold: f64,
    /// Customers with an NPS answer.
    pub respondents: usize,
    /// Promoters among them.
    pub promoters: usize,
    /// High-value respondents.
    pub high_value: usize,
    /// Promoters of high value.
    pub advocates: usize,
    /// advocates ÷ respondents with its Wilson interval.
    pub share: Estimate,
    /// Promoters ÷ high-value respondents (`None` without high-value respondents).
    pub promoters_among_high_value: Option<Estimate>,
    /// Σ CLV of advocates ÷ Σ CLV of respondents (`None` when the latter is not positive).
    pub advocate_clv_share: Option<f64>,
}

/// Why advocates could not be counted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AdvocateError {
    /// `clv` and `nps` differ in length.
    #[error("clv has {clv} values but nps has {nps}")]
    LengthMismatch {
        /// Length of `clv`.
        clv: usize,
        /// Length of `nps`.
        nps: usize,
    },
    /// A bad argument.
    #[error("{0}")]
    Invalid(String),
    /// Nobody answered.
    #[error("no customer with purchases has an NPS answer")]
    NoRespondents,
}

/// The advocates among customers with CLV `clv` and latest NPS answer `nps` (parallel).
///
/// # Errors
/// [`AdvocateError`] for inputs of different lengths, a CLV that is not finite, a score
/// above 10, `top_share` outside (0, 1], `confidence` outside (0, 1), or no answer.
pub fn advocate_share(
    clv: &[f64],
    nps: &[Option<u8>],
    top_share: f64,
    confidence: f64,
) -> Result<AdvocateShare, AdvocateError> {
    if clv.len() != nps.len() {
        return Err(AdvocateError::LengthMismatch {
            clv: clv.len(),
            nps: nps.len(),
        });
    }
    if !(top_share > 0.0 && top_share <= 1.0) {
        return Err(AdvocateError::Invalid(format!(
            "top_share must be in (0, 1], got {top_share}"
        )));
    }
    if let Some(v) = clv.iter().find(|v| !v.is_finite()) {
        return Err(AdvocateError::Invalid(format!(
            "clv must be finite, got {v}"
        )));
    }
    if let Some(s) = nps.iter().flatten().find(|s| **s > 10) {
        return Err(AdvocateError::Invalid(format!(
            "an NPS answer must be 0–10, got {s}"
        )));
    }
    let mut sorted = clv.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let rank = ((top_share * clv.len() as f64).ceil() as usize).clamp(1, clv.len().max(1));
    let threshold = sorted.get(rank - 1).copied().unwrap_or(0.0);
    let high = |v: f64| v >= threshold && v > 0.0;
    let (mut respondents, mut promoters, mut high_value, mut advocates) = (0, 0, 0, 0);
    let (mut high_promoters, mut clv_resp, mut clv_adv) = (0, 0.0, 0.0);
    for (&v, s) in clv.iter().zip(nps) {
        let Some(s) = s else { continue };
        respondents += 1;
        clv_resp += v;
        let promoter = *s >= 9;
        promoters += usize::from(promoter);
        if high(v) {
            high_value += 1;
            if promoter {
                high_promoters += 1;
                advocates += 1;
                clv_adv += v;
            }
        }
    }
    if respondents == 0 {
        return Err(AdvocateError::NoRespondents);
    }
    let est = |k: usize, n: usize| {
        wilson(k as u64, n as u64, confidence)
            .map(|w| Estimate {
                n,
                estimate: w.share,
                ci_low: Some(w.ci_low),
                ci_high: Some(w.ci_high),
            })
            .map_err(|e| AdvocateError::Invalid(e.to_string()))
    };
    Ok(AdvocateShare {
        top_share,
        clv_threshold: threshold,
        respondents,
        promoters,
        high_value,
        advocates,
        share: est(advocates, respondents)?,
        promoters_among_high_value: if high_value > 0 {
            Some(est(high_promoters, high_value)?)
        } else {
            None
        },
        advocate_clv_share: (clv_resp > 0.0).then(|| clv_adv / clv_resp),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten customers with CLV 10, 20, …, 100: the top 20 % are CLV ≥ 90. Answers: the
    /// CLV-100 customer 10 (advocate), CLV 90 answered 7 (high value, not a promoter),
    /// CLV 50 answered 9 (promoter, not high value), CLV 10 answered 3, the rest silent.
    /// 1 advocate of 4 respondents (25 %; Wilson 95 % [4.56 %, 69.94 %]); 1 of 2 high-value
    /// respondents is a promoter; the advocate holds 100/250 = 40 % of the respondents' CLV.
    #[test]
    fn hand_computed() {
        let clv: Vec<f64> = (1..=10).map(|i| 10.0 * f64::from(i)).collect();
        let mut nps = vec![None; 10];
        nps[9] = Some(10);
        nps[8] = Some(7);
        nps[4] = Some(9);
        nps[0] = Some(3);
        let a = advocate_share(&clv, &nps, 0.2, 0.95).unwrap();
        assert_eq!(a.clv_threshold, 90.0);
        assert_eq!(
            (a.respondents, a.promoters, a.high_value, a.advocates),
            (4, 2, 2, 1)
        );
        assert_eq!(a.share.estimate, 0.25);
        // Wilson: (p + z²/2n ± z√(p(1−p)/n + z²/4n²)) / (1 + z²/n), n = 4, z = 1.959964.
        let (p, n, z) = (0.25f64, 4.0f64, 1.959_963_984_540_054f64);
        let c = p + z * z / (2.0 * n);
        let h = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
        let lo = (c - h) / (1.0 + z * z / n);
        assert!((a.share.ci_low.unwrap() - lo).abs() < 1e-12);
        assert!((lo - 0.0456).abs() < 1e-3, "{lo}");
        assert_eq!(a.promoters_among_high_value.unwrap().estimate, 0.5);
        assert_eq!(a.advocate_clv_share, Some(0.4));

        assert_eq!(
            advocate_share(&clv, &[None; 10], 0.2, 0.95).unwrap_err(),
            AdvocateError::NoRespondents
        );
        assert!(advocate_share(&clv, &nps, 0.0, 0.95).is_err());
        assert!(advocate_share(&clv[..3], &nps, 0.2, 0.95).is_err());
    }
}
