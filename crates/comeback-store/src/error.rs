//! Typed errors of the store.

use std::fmt;

/// Why one row of a batch was refused. A batch with any row error stores nothing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// Zero-based position of the row in the batch.
    pub index: usize,
    /// The offending field (`"external_id"`, `"customer"`, `"currency"`, ...).
    pub field: &'static str,
    /// Lowercase, concise, naming the offending value.
    pub message: String,
}

impl RowError {
    pub(crate) fn new(index: usize, field: &'static str, message: impl Into<String>) -> Self {
        RowError {
            index,
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "row {} field {}: {}",
            self.index, self.field, self.message
        )
    }
}

/// Every failure of a [`Store`](crate::Store) operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL has a scheme other than `sqlite:` or `postgres:`/`postgresql:`.
    #[error("unsupported database url scheme {scheme:?} (use sqlite://PATH or postgres://...)")]
    UnsupportedUrl {
        /// The scheme found (the part before `:`); the rest of the URL, which may hold a
        /// password, is never echoed.
        scheme: String,
    },
    /// A batch was refused as a whole; nothing was stored.
    #[error("batch rejected: {} invalid row(s), first: {}", .rows.len(), .rows[0])]
    Rejected {
        /// Every row error, in row order (never empty).
        rows: Vec<RowError>,
    },
    /// A single-value argument is invalid.
    #[error("invalid {field} {value:?}: {reason}")]
    Invalid {
        /// The argument.
        field: &'static str,
        /// The offending value.
        value: String,
        /// Why.
        reason: &'static str,
    },
    /// The addressed row does not exist (or was erased).
    #[error("{what} {key:?} not found")]
    NotFound {
        /// `"customer"`, `"user"`, `"location"`, ...
        what: &'static str,
        /// The key looked up.
        key: String,
    },
    /// A unique key is already taken.
    #[error("{what} {key:?} already exists")]
    Duplicate {
        /// `"user"`, `"location"`, ...
        what: &'static str,
        /// The key.
        key: String,
    },
    /// A location's time zone cannot change once transactions use it (their stored local
    /// days would disagree with it).
    #[error("time zone of location {location:?} is in use by stored transactions")]
    TimeZoneInUse {
        /// The location code (or `"(business default)"`).
        location: String,
    },
    /// A transaction log was requested without a currency over data in several currencies.
    #[error("transactions are in several currencies ({first}, {second}): choose one")]
    MixedCurrencies {
        /// One currency found.
        first: String,
        /// Another one.
        second: String,
    },
    /// The operation exists for one backend only (e.g. backup for SQLite).
    #[error("{operation} is not supported on {backend}")]
    Unsupported {
        /// The operation.
        operation: &'static str,
        /// The backend name.
        backend: &'static str,
    },
    /// A stored value could not be read back (corrupt or foreign data).
    #[error("corrupt stored value in {column}: {value:?}")]
    Corrupt {
        /// Table and column.
        column: &'static str,
        /// The stored value.
        value: String,
    },
    /// A complaint operation the recovery rules refuse (an invalid transition, an event
    /// out of order, an invalid reference, an empty required text), with the reason.
    #[error("{0}")]
    Complaint(String),
    /// A survey operation the invitation's state refuses (already answered, declined,
    /// expired; an inactive survey version), with the reason.
    #[error("{0}")]
    Survey(String),
    /// Building the transaction log failed (a day total out of the exact range).
    #[error(transparent)]
    Summary(#[from] comeback_core::SummaryError),
    /// The operating system gave no randomness.
    #[error("no system randomness: {0}")]
    Random(String),
    /// A migration failed or the database has migrations this binary does not know.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other database error (connection, I/O, constraint).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}
