//! # comeback-voice
//!
//! What customers say, measured honestly: NPS with intervals and significance tests, CSAT,
//! CES, service dimensions and SERVQUAL gaps, monthly staff report cards, open answers
//! classified into the business's reason taxonomy in six languages, and which of these
//! metrics actually predicts defection for this business.
//!
//! **Invariant:** like `comeback-core`, this crate does no I/O and reads no clock; callers
//! parse files and hand it plain values.

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
