//! Versioned forward-only migrations, one directory per backend with the same version
//! numbers, compiled into the binary.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// One migration file compiled into the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrationFile {
    /// Version number (the file name's leading digits).
    pub version: i64,
    /// File name inside `migrations/<backend>/`.
    pub file_name: &'static str,
    /// The SQL text.
    pub sql: &'static str,
}

macro_rules! migration {
    ($version:expr, $dir:literal, $name:literal) => {
        MigrationFile {
            version: $version,
            file_name: $name,
            sql: include_str!(concat!("../migrations/", $dir, "/", $name)),
        }
    };
}

/// The SQLite migrations in version order (`migrations/sqlite/`).
pub const MIGRATIONS_SQLITE: &[MigrationFile] = &[
    migration!(1, "sqlite", "0001_schema.sql"),
    migration!(2, "sqlite", "0002_indexes_suppression.sql"),
    migration!(3, "sqlite", "0003_webhooks.sql"),
    migration!(4, "sqlite", "0004_objectives.sql"),
    migration!(5, "sqlite", "0005_complaints.sql"),
    migration!(6, "sqlite", "0006_subscriptions.sql"),
    migration!(7, "sqlite", "0007_surveys.sql"),
    migration!(8, "sqlite", "0008_business_hours_breaches.sql"),
    migration!(9, "sqlite", "0009_webhook_outbox.sql"),
    migration!(10, "sqlite", "0010_timeline_indexes.sql"),
    migration!(11, "sqlite", "0011_staff_flags.sql"),
    migration!(12, "sqlite", "0012_complaint_import_mail.sql"),
    migration!(13, "sqlite", "0013_complaint_pauses_followups.sql"),
    migration!(14, "sqlite", "0014_survey_triggers.sql"),
];

/// The PostgreSQL migrations in version order (`migrations/postgres/`), same versions as
/// [`MIGRATIONS_SQLITE`].
pub const MIGRATIONS_POSTGRES: &[MigrationFile] = &[
    migration!(1, "postgres", "0001_schema.sql"),
    migration!(2, "postgres", "0002_indexes_suppression.sql"),
    migration!(3, "postgres", "0003_webhooks.sql"),
    migration!(4, "postgres", "0004_objectives.sql"),
    migration!(5, "postgres", "0005_complaints.sql"),
    migration!(6, "postgres", "0006_subscriptions.sql"),
    migration!(7, "postgres", "0007_surveys.sql"),
    migration!(8, "postgres", "0008_business_hours_breaches.sql"),
    migration!(9, "postgres", "0009_webhook_outbox.sql"),
    migration!(10, "postgres", "0010_timeline_indexes.sql"),
    migration!(11, "postgres", "0011_staff_flags.sql"),
    migration!(12, "postgres", "0012_complaint_import_mail.sql"),
    migration!(13, "postgres", "0013_complaint_pauses_followups.sql"),
    migration!(14, "postgres", "0014_survey_triggers.sql"),
];

/// A sqlx migrator over `files` up to and including version `up_to`.
pub(crate) fn migrator(files: &[MigrationFile], up_to: i64) -> Migrator {
    let migrations = files
        .iter()
        .filter(|f| f.version <= up_to)
        .map(|f| {
            let description = f
                .file_name
                .trim_end_matches(".sql")
                .trim_start_matches(|c: char| c.is_ascii_digit() || c == '_');
            Migration::new(
                f.version,
                Cow::Owned(description.replace('_', " ")),
                MigrationType::Simple,
                f.sql.into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}
