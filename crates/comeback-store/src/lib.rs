//! The storage layer of the Comeback server: one [`Store`] over two real backends,
//! SQLite (the embedded default, `sqlite://comeback.db`, WAL mode) and PostgreSQL (for
//! teams, `postgres://...`), with the same code paths and versioned forward-only
//! migrations applied at connect.
//!
//! Principal types:
//! - [`Store`]: the connection pool and every operation (ingest, customers, erasure,
//!   accounts, audit, backup). Cheap to clone.
//! - [`TransactionInput`] / [`CustomerInput`]: one row of an ingest batch;
//!   [`IngestOutcome`] / [`UpsertOutcome`] what a batch did; [`RowError`] why a row was
//!   refused.
//! - [`Webhook`] / [`WebhookTarget`] / [`DeliveryAttempt`]: webhook endpoints and the
//!   log of every delivery attempt (the server delivers).
//! - [`Objective`]: written retention objectives (metric, comparator, target, owner,
//!   period).
//! - [`SubscriptionInput`] / [`StoredSubscription`]: subscriptions (contractual data,
//!   upserted by subscription id) for the cohort analysis.
//! - [`Survey`] / [`Invitation`] / [`ResponseRecord`] / [`FollowUp`]: survey definitions
//!   (versioned), invitations with throttling and opt-out, responses, follow-ups.
//! - [`TriggerSettings`] / [`TriggerLogEntry`]: the automatic survey triggers (after a
//!   purchase, entering at risk, becoming lost) and every occasion they saw.
//! - [`StoreError`]: every failure, typed.
//!
//! ```no_run
//! # async fn demo() -> Result<(), comeback_store::StoreError> {
//! use comeback_store::{Store, TransactionInput};
//! let store = Store::connect("sqlite://comeback.db").await?;
//! let when: chrono::DateTime<chrono::Utc> = "2024-03-01T10:00:00Z".parse().unwrap();
//! let row = TransactionInput::new("t-1", "c-1", when,
//!     comeback_core::Amount::from_micros(12_500_000), "EUR");
//! let outcome = store.ingest_transactions(&[row]).await?;
//! assert_eq!(outcome.inserted, 1);
//! # Ok(()) }
//! ```
//!
//! # Design decisions
//! - **One code path, two drivers.** [`Store`] is an enum over `SqlitePool` and `PgPool`;
//!   each operation is written once and expanded for both pools by a small macro, so both
//!   backends run the same SQL text (sqlx's `$1` placeholders work in both). sqlx's `Any`
//!   driver was not used: it cannot set SQLite's per-connection pragmas (WAL, foreign keys,
//!   busy timeout) nor start SQLite write transactions with `BEGIN IMMEDIATE`, and it converts
//!   every argument at run time.
//! - **Storage units.** Instants are `BIGINT` microseconds since 1970-01-01T00:00:00Z (UTC);
//!   the local day of a transaction (days since 1970-01-01 in its location's IANA time zone,
//!   [`comeback_core::Day`]) is computed once at ingest with chrono-tz and stored beside it
//!   (a row known by its day only, as the CLI's file parser yields, has no instant),
//!   so the CLI, the server and plain summary SQL agree on days; money is `BIGINT` millionths
//!   of the currency unit (exactly [`comeback_core::Amount`]) beside an ISO 4217 code —
//!   never a binary float.
//! - **Internal ids stay inside.** Rows have integer ids used for joins and in the audit
//!   log; customers are addressed by their external id, which erasure removes.
//! - **Secrets are stored hashed.** API tokens and session ids are random 256-bit values
//!   stored as SHA-256 (FIPS 180-4) digests; passwords arrive already hashed (argon2, by the
//!   server); `Debug` of every type that holds one redacts it.
//!
//! Migrations live in `migrations/sqlite/` and `migrations/postgres/` with the same version
//! numbers (a test checks this) and are compiled into the binary.

#![deny(missing_docs)]

mod accounts;
mod calendars;
mod complaint_import;
mod complaints;
mod customers;
mod error;
mod flags;
mod ingest;
mod mail;
mod migrate;
mod objectives;
mod outbox;
mod places;
mod plans;
mod store;
mod subscriptions;
mod summary;
mod survey_triggers;
mod surveys;
mod touched;
mod util;
mod webhooks;

pub use accounts::{
    ApiToken, AuditEntry, LockoutPolicy, NewApiToken, NewSession, NewUser, Role, Session, Subject,
    SubjectKind, TOKEN_USE_RESOLUTION_SECS, TokenOwner, User, UserId,
};
pub use calendars::{Breach, BreachKind, LocationCalendar};
pub use complaint_import::{ComplaintImport, ImportOutcome};
pub use complaints::{
    Complaint, ComplaintActor, ComplaintContact, ComplaintEvent, ComplaintFilter, ComplaintInput,
    ComplaintScope, ComplaintSummary, moved_deadline,
};
pub use customers::{
    ComplaintFiled, Customer, CustomerDetail, CustomerExport, CustomerQuery, CustomerTimeline,
    LogQuery, Page, StaffFlagged, SurveyAnswerEvent, TimelineEntry, TimelineEvent,
    TransactionRecord, customer_cursor, parse_customer_cursor,
};
pub use error::{RowError, StoreError};
pub use flags::{FlagFilter, StaffFlag};
pub use ingest::{
    CustomerInput, IngestOutcome, STORE_CURRENCY_KEY, TransactionInput, TransactionTime,
    UpsertOutcome,
};
pub use mail::{ComplaintMailCandidate, EmailRecord, NewEmail, PendingEmail};
pub use migrate::{MIGRATIONS_POSTGRES, MIGRATIONS_SQLITE, MigrationFile};
pub use objectives::{
    Comparator, NewObjective, Objective, ObjectiveMetric, ObjectiveSpec, valid_period,
};
pub use outbox::PendingDelivery;
pub use places::{Employee, Location};
pub use plans::QueryPlan;
pub use store::{Backend, Store, StoreConfig};
pub use subscriptions::{PLAN_MAX_BYTES, StoredSubscription, SubscriptionInput};
pub use summary::{DatabaseSummaries, SUMMARY_VIEW, SUMMARY_VIEW_SQL, summary_query};
pub use survey_triggers::{
    AUTOMATIC_TRIGGERS, MAX_PURCHASE_AGE_DAYS, MAX_TRIGGER_DELAY_HOURS, ProcessedTriggers,
    PurchaseScan, StageChanges, TrackedStage, TriggerLogEntry, TriggerSettings, TriggerSkip,
    purchase_sampled,
};
pub use surveys::{
    FollowUp, FollowUpReason, ImportedResponse, Invitation, InvitationState, InvitationTrigger,
    NewInvitations, NewSurvey, ResponseInput, ResponseRecord, SURVEY_TEXT_MAX_CHARS, SavedResponse,
    SkipReason, Survey, SurveyKind,
};
pub use webhooks::{
    DeliveryAttempt, DeliveryOutcome, DeliveryRecord, WEBHOOK_DESCRIPTION_MAX_BYTES,
    WEBHOOK_URL_MAX_BYTES, Webhook, WebhookTarget,
};
