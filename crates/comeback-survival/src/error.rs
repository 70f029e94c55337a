//! The one error type of the crate.

/// Why a survival computation could not be done. Messages are lowercase and name the
/// offending value; indices are 0-based positions in the caller's slices.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SurvivalError {
    /// No subject at all.
    #[error("no subjects: survival needs at least one duration")]
    Empty,
    /// Two inputs that must be parallel have different lengths.
    #[error("{what}: expected {expected} values (one per subject), found {found}")]
    LengthMismatch {
        /// Which input.
        what: &'static str,
        /// Its required length.
        expected: usize,
        /// Its actual length.
        found: usize,
    },
    /// A duration that is negative, infinite or NaN.
    #[error("duration of subject {index} is {value}; durations must be finite and ≥ 0")]
    InvalidDuration {
        /// Position of the subject.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A covariate value that is infinite or NaN.
    #[error("covariate \"{name}\" of subject {index} is {value}; covariates must be finite")]
    InvalidCovariate {
        /// Covariate name.
        name: String,
        /// Position of the subject.
        index: usize,
        /// The value.
        value: f64,
    },
    /// An option outside its range.
    #[error("{name} is {value}; expected {expected}")]
    InvalidOption {
        /// The option.
        name: &'static str,
        /// Its value, as text.
        value: String,
        /// What it must be.
        expected: &'static str,
    },
    /// A test or fit that needs events found none.
    #[error("no events (all {n} subjects censored): {what} needs at least one event")]
    NoEvents {
        /// What needed events.
        what: &'static str,
        /// Number of subjects.
        n: usize,
    },
    /// The log-rank test needs at least two groups.
    #[error("the log-rank test needs at least two groups, found {found}")]
    TooFewGroups {
        /// Number of groups found.
        found: usize,
    },
    /// A Cox model without covariates, or a covariate given twice.
    #[error("covariates: {0}")]
    Design(String),
    /// A covariate that does not vary, or that is a linear combination of others: its
    /// coefficient is not identified.
    #[error(
        "covariate \"{name}\" is constant or a linear combination of the others (information matrix is singular); drop it"
    )]
    Collinear {
        /// The covariate found dependent.
        name: String,
    },
    /// Newton–Raphson did not converge (typically a covariate that separates events
    /// perfectly, so its coefficient runs off to ±∞).
    #[error(
        "the Cox fit did not converge in {iterations} iterations (largest coefficient {largest}: {value}); a covariate may separate leavers from stayers perfectly"
    )]
    NotConverged {
        /// Iterations done.
        iterations: usize,
        /// Name of the largest coefficient in absolute value.
        largest: String,
        /// Its value at the last iteration.
        value: f64,
    },
    /// The time-to-lost rule cannot be applied.
    #[error("time to lost: {0}")]
    Lost(String),
}
