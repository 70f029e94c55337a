//! # comeback-voice
//!
//! What customers say, measured honestly: NPS with intervals and significance tests, CSAT,
//! CES, service dimensions and SERVQUAL gaps, monthly staff report cards, open answers
//! classified into the business's reason taxonomy in six languages, and which of these
//! metrics actually predicts defection for this business.
//!
//! **Invariant:** like `comeback-core`, this crate does no I/O and reads no clock; callers
//! parse files and hand it plain values.
//!
//! ## Survey statistics
//!
//! * [`nps`]: Net Promoter Score with Rocks' (2016) adjusted-Wald or Wald intervals,
//!   comparisons of groups and periods, a one-sided test against a benchmark, monthly trends.
//! * [`scales`]: CSAT (top-2-box share, Wilson interval), CES (mean, t interval), service
//!   dimensions with SERVQUAL gap scores.
//! * [`report_card`]: monthly staff report cards per employee and location.
//! * [`stats`]: the shared intervals and tests (normal and t quantiles, Wilson, Welch,
//!   paired t, two-proportion z).
//!
//! No estimate is invented from nothing: n = 0 is [`VoiceError::NoResponses`], not a score of 0.
//!
//! ```
//! use comeback_voice::nps::{IntervalMethod, NpsCounts, compare, estimate};
//!
//! let mut march = NpsCounts::default();
//! for score in [10, 9, 9, 8, 7, 6, 3, 10, 9, 5] {
//!     march.add_score(score)?;
//! }
//! let e = estimate(march, IntervalMethod::AdjustedWald, 0.95)?;
//! assert_eq!((march.promoters, march.passives, march.detractors), (5, 2, 3));
//! assert_eq!(e.nps, 20.0);
//! assert!(e.ci_low < e.nps && e.nps < e.ci_high);
//!
//! let february = NpsCounts { promoters: 50, passives: 30, detractors: 20 };
//! let change = compare(march, february, IntervalMethod::AdjustedWald, 0.95)?;
//! assert!(change.difference.p_value > 0.05); // ten answers cannot show a change
//! # Ok::<(), comeback_voice::VoiceError>(())
//! ```

pub mod classify;
pub mod error;
pub mod nps;
pub mod period;
pub mod predict;
pub mod report_card;
pub mod scales;
pub mod stats;

pub use error::VoiceError;
pub use period::YearMonth;
