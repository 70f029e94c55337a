//! `comeback sql`: prints the one SQL query that computes `comeback summarize`'s output
//! inside PostgreSQL, SQLite, Spark SQL or DuckDB (`comeback_sql::summary_sql`).

use super::ingest_args::parse_day;
use anyhow::Result;
use comeback_core::{Day, TimeUnit};
use comeback_ingest::{RefundPolicy, Tz};
use comeback_sql::{Dialect, Refunds, SummaryQuery, summary_sql};
use std::io::Write;

/// Flags of `comeback sql`.
///
/// Output: one SQL query on standard output whose result has the columns of `comeback
/// summarize` with the same `--unit`, `--timezone`, `--refunds`, `--observation-end` and
/// `--calibration-end` (day occasions only).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Engine: postgres, sqlite (dates as ISO 8601 text), spark (Spark SQL) or duckdb.
    #[arg(long)]
    dialect: Dialect,
    /// Transactions table or view; a dotted path `schema.table` is quoted part by part (write
    /// a part containing a dot in double quotes).
    #[arg(long)]
    table: String,
    /// Customer id column (exact name; quoted in the query).
    #[arg(long)]
    customer_col: String,
    /// Date or timestamp column (exact name).
    #[arg(long)]
    date_col: String,
    /// Amount column in the currency unit (exact name).
    #[arg(long)]
    amount_col: String,
    /// IANA time zone of the business: timestamps (instants) are moved to this zone's local
    /// day. Not for SQLite.
    #[arg(long)]
    timezone: Option<Tz>,
    /// Split into calibration (up to and including this day, YYYY-MM-DD) and holdout.
    #[arg(long, value_parser = parse_day)]
    calibration_end: Option<Day>,
    /// Transactions after this day (YYYY-MM-DD) are ignored; default: the last date in the data.
    #[arg(long, value_parser = parse_day)]
    observation_end: Option<Day>,
    /// Unit of recency and T: days, weeks (7 days) or months (365.25/12 days).
    #[arg(long, default_value = "days")]
    unit: TimeUnit,
    /// Negative amounts: `exclude` (left out) or `net` (subtracted from the same customer's
    /// purchases on the same day), as in `summarize`.
    #[arg(long, default_value = "exclude")]
    refunds: RefundPolicy,
}

/// Runs `comeback sql`.
pub fn run(args: Args) -> Result<()> {
    let sql = summary_sql(&SummaryQuery {
        dialect: args.dialect,
        table: args.table,
        customer_col: args.customer_col,
        date_col: args.date_col,
        amount_col: args.amount_col,
        timezone: args.timezone.map(|t| t.name().to_string()),
        calibration_end: args.calibration_end,
        observation_end: args.observation_end,
        unit: args.unit,
        refunds: match args.refunds {
            RefundPolicy::Exclude => Refunds::Exclude,
            RefundPolicy::Net => Refunds::Net,
        },
    })?;
    let mut out = std::io::stdout().lock();
    out.write_all(sql.as_bytes())?;
    out.flush()?;
    Ok(())
}
