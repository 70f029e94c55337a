//! The per-customer BTYD summary of `comeback summarize` as one SQL query, so that the heavy
//! GROUP BY runs inside the database or lake engine that holds the transactions.
//!
//! [`summary_sql`] turns a [`SummaryQuery`] (table, columns, dates, unit) into one `SELECT`
//! for a [`Dialect`]: PostgreSQL, SQLite, Spark SQL or DuckDB. The result has exactly the
//! columns of `comeback summarize` with the same options, in the same order and units:
//!
//! - plain: `customer_id, frequency, recency, T, monetary_value`;
//! - with a calibration end: `customer_id, frequency_cal, recency_cal, T_cal,
//!   monetary_value_cal, frequency_holdout, monetary_value_holdout, duration_holdout`.
//!
//! Rows are ordered by customer id in byte order (UTF-8 code units), as `summarize` sorts
//! them; `customer_id` is text, the frequencies are 64-bit integers and every other column is
//! a double-precision real.
//!
//! # Definitions (the same as `comeback_core::TransactionLog::summarize`)
//! Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way", Marketing Science
//! 24(2), §2, and lifetimes' `summary_data_from_transaction_data` with `freq='D'`:
//! - every purchase row is moved to its local calendar day; all rows of one customer on one
//!   day are one *occasion* whose value is the sum of the day's amounts;
//! - refunds (amount < 0) are left out ([`Refunds::Exclude`], the default of `summarize`)
//!   or netted into the same customer's same day ([`Refunds::Net`]; a day holding refunds
//!   only is dropped, and so is a customer left without a purchase day);
//! - the observation end is the given day (later rows are ignored) or else the last
//!   occasion in the data;
//! - `frequency` x = occasions − 1; `recency` tₓ = last − first occasion; `T` = observation
//!   end − first occasion; `monetary_value` = mean value of the occasions after the first
//!   (0 when x = 0), the quantity the Gamma-Gamma model of Fader & Hardie (2013, note 025)
//!   takes;
//! - with a calibration end c (inclusive in calibration): customers whose first occasion is
//!   after c are left out; the `_cal` columns are the summary at c of the occasions up to c;
//!   `frequency_holdout` = occasions after c, `monetary_value_holdout` = their mean value (0
//!   when none), `duration_holdout` = observation end − c;
//! - whole days are converted to the unit at the end: weeks = days / 7, months =
//!   days · 12 / 365.25 (`comeback_core::TimeUnit::from_days`).
//!
//! Rows whose customer, date or amount is NULL are left out (`summarize` stops at such a
//! row unless `--skip-invalid`). Customer ids are cast to text and trimmed of spaces.
//!
//! # Dates per dialect
//! The query computes the local day as an integer number of days since 1970-01-01:
//!
//! | dialect | date column | local day |
//! |---|---|---|
//! | PostgreSQL | `date`, `timestamp`, or `timestamptz` with a time zone | `CAST(d AS DATE)`, or `CAST(d AT TIME ZONE tz AS DATE)` |
//! | SQLite | ISO 8601 text (`YYYY-MM-DD…`) | its first 10 characters; no time zones |
//! | Spark SQL | `DATE`, `TIMESTAMP` or ISO text | `to_date(d)`, or `to_date(from_utc_timestamp(d, tz))` |
//! | DuckDB | `DATE`, `TIMESTAMP` or `TIMESTAMPTZ` with a time zone | `CAST(d AS DATE)`, or `CAST(timezone(tz, d) AS DATE)` |
//!
//! Without a time zone the date as stored is the business-local day (a `timestamptz` is cast
//! in the session's time zone). With a time zone, PostgreSQL and DuckDB need an instant
//! (`timestamptz`); Spark's `from_utc_timestamp` gives the local day in `tz` when the session
//! time zone (`spark.sql.session.timeZone`) is UTC. SQLite has no time-zone database:
//! [`summary_sql`] refuses a time zone for it. An SQLite date that is not ISO 8601 text has
//! no day and its row is left out: `SELECT COUNT(*) FROM t WHERE julianday(substr(d, 1, 10))
//! IS NULL` finds such rows.
//!
//! # Identifiers
//! Every identifier is quoted (`"…"` with `""` inside; Spark: `` `…` `` with ``` `` ```
//! inside), so any name the engine accepts works, whatever its case or characters. The table
//! may be a dotted path `schema.table`; a part that itself contains a dot is written in
//! double quotes (`"my.schema".table`).
//!
//! # Names
//! The query's own common table expressions are named `comeback_rows`,
//! `comeback_occasions`, `comeback_observation`, `comeback_ranked` and `comeback_customers`;
//! a transactions table of one of these names must be given with its schema.
//!
//! # Empty results
//! Where `summarize` stops with an error, the query returns no rows: no customer bought on or
//! before the calibration end, or the calibration end lies after the last date in the data.
//! A calibration end after a given observation end is an error of [`summary_sql`].

use comeback_core::{Day, TimeUnit};
use std::fmt::Write as _;

/// The SQL engine a query is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// PostgreSQL 12 or later.
    Postgres,
    /// SQLite 3.25 or later (window functions); dates are ISO 8601 text.
    Sqlite,
    /// Spark SQL 3.x (Databricks, EMR, local pyspark).
    Spark,
    /// DuckDB 0.9 or later.
    DuckDb,
}

impl Dialect {
    /// The lowercase name used in flags: `postgres`, `sqlite`, `spark`, `duckdb`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Sqlite => "sqlite",
            Dialect::Spark => "spark",
            Dialect::DuckDb => "duckdb",
        }
    }

    /// `ident` quoted for this dialect: `"…"` with `"` doubled (PostgreSQL, SQLite, DuckDB)
    /// or `` `…` `` with `` ` `` doubled (Spark).
    pub fn quote_ident(self, ident: &str) -> String {
        let q = match self {
            Dialect::Spark => '`',
            _ => '"',
        };
        let mut s = String::with_capacity(ident.len() + 2);
        s.push(q);
        for c in ident.chars() {
            if c == q {
                s.push(q);
            }
            s.push(c);
        }
        s.push(q);
        s
    }

    /// A string literal: `'…'` with `'` doubled (and, for Spark, `\` escaped).
    fn quote_str(self, s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('\'');
        for c in s.chars() {
            match c {
                '\'' => out.push_str("''"),
                '\\' if self == Dialect::Spark => out.push_str("\\\\"),
                _ => out.push(c),
            }
        }
        out.push('\'');
        out
    }

    fn text_type(self) -> &'static str {
        match self {
            Dialect::Postgres | Dialect::Sqlite => "TEXT",
            Dialect::Spark => "STRING",
            Dialect::DuckDb => "VARCHAR",
        }
    }

    fn real_type(self) -> &'static str {
        match self {
            Dialect::Postgres => "DOUBLE PRECISION",
            Dialect::Sqlite => "REAL",
            Dialect::Spark | Dialect::DuckDb => "DOUBLE",
        }
    }

    fn int_type(self) -> &'static str {
        match self {
            Dialect::Sqlite => "INTEGER",
            _ => "BIGINT",
        }
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Dialect, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            "sqlite" => Ok(Dialect::Sqlite),
            "spark" => Ok(Dialect::Spark),
            "duckdb" => Ok(Dialect::DuckDb),
            other => Err(format!(
                "unknown SQL dialect {other:?} (expected postgres, sqlite, spark or duckdb)"
            )),
        }
    }
}

/// Negative amounts, as `comeback summarize --refunds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Refunds {
    /// Rows with amount < 0 are left out (the default).
    #[default]
    Exclude,
    /// Rows with amount < 0 are netted into the same customer's same day; days with refunds
    /// only are dropped.
    Net,
}

/// What to summarise and how: the inputs of [`summary_sql`].
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryQuery {
    /// The engine.
    pub dialect: Dialect,
    /// The transactions table (or view): a name or a dotted path `schema.table`; a part
    /// containing a dot is written in double quotes, with `""` for a quote inside.
    pub table: String,
    /// Customer id column (any type; cast to text).
    pub customer_col: String,
    /// Date or timestamp column (see the crate docs for the types per dialect).
    pub date_col: String,
    /// Amount column in the currency unit (any numeric type).
    pub amount_col: String,
    /// IANA time zone of the business (e.g. `Europe/Helsinki`): instants are moved to this
    /// zone's local day. `None`: the stored date is the local day.
    pub timezone: Option<String>,
    /// Calibration end (inclusive): `Some` gives the calibration/holdout columns.
    pub calibration_end: Option<Day>,
    /// Observation end (inclusive): later rows are ignored; `None`: the last date in the data.
    pub observation_end: Option<Day>,
    /// Unit of recency, T and duration.
    pub unit: TimeUnit,
    /// Negative amounts.
    pub refunds: Refunds,
}

/// Why a query cannot be written. Each names the offending field as the CLI flag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    /// An identifier is empty, or the table path has an empty part.
    #[error("{field}: empty identifier in {value:?}")]
    EmptyIdentifier {
        /// The flag (`--table`, `--customer-col`, ...).
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// An identifier contains a NUL character, which no engine accepts.
    #[error("{field}: identifier {value:?} contains a NUL character")]
    NulInIdentifier {
        /// The flag.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// A double quote in the table path is not closed, or is followed by something other
    /// than `.` or the end.
    #[error("--table: unbalanced or misplaced double quote at character {position} of {value:?}")]
    BadQuote {
        /// 1-based character position.
        position: usize,
        /// The value given.
        value: String,
    },
    /// The time zone name is not an IANA name (letters, digits, `_`, `+`, `-`, `/`).
    #[error("--timezone: {0:?} is not an IANA time zone name")]
    BadTimezone(String),
    /// SQLite has no time-zone database.
    #[error(
        "--timezone: SQLite has no time zones; store the business-local date as ISO 8601 text and omit --timezone"
    )]
    TimezoneUnsupported,
    /// The calibration end lies after the observation end.
    #[error("--calibration-end {calibration_end} is after --observation-end {observation_end}")]
    CalibrationAfterObservationEnd {
        /// The calibration end.
        calibration_end: Day,
        /// The observation end.
        observation_end: Day,
    },
}

/// Checks one identifier (not empty, no NUL).
fn check_ident(field: &'static str, value: &str) -> Result<(), SqlError> {
    if value.is_empty() {
        return Err(SqlError::EmptyIdentifier {
            field,
            value: value.to_string(),
        });
    }
    if value.contains('\0') {
        return Err(SqlError::NulInIdentifier {
            field,
            value: value.to_string(),
        });
    }
    Ok(())
}

/// Splits a table path on dots outside double quotes; `""` inside quotes is one `"`.
///
/// # Errors
/// [`SqlError::BadQuote`], [`SqlError::EmptyIdentifier`], [`SqlError::NulInIdentifier`].
pub fn split_table_path(path: &str) -> Result<Vec<String>, SqlError> {
    let bad = |position: usize| SqlError::BadQuote {
        position,
        value: path.to_string(),
    };
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().enumerate().peekable();
    let mut quoted_part = false;
    while let Some((i, c)) = chars.next() {
        match c {
            '"' if cur.is_empty() && !quoted_part => {
                // A quoted part: up to the closing quote.
                quoted_part = true;
                loop {
                    match chars.next() {
                        None => return Err(bad(i + 1)),
                        Some((_, '"')) => {
                            if chars.peek().is_some_and(|&(_, c)| c == '"') {
                                chars.next();
                                cur.push('"');
                            } else {
                                break;
                            }
                        }
                        Some((_, c)) => cur.push(c),
                    }
                }
                if let Some(&(j, c)) = chars.peek()
                    && c != '.'
                {
                    return Err(bad(j + 1));
                }
            }
            '"' => return Err(bad(i + 1)),
            '.' => {
                check_ident("--table", &cur)?;
                parts.push(std::mem::take(&mut cur));
                quoted_part = false;
            }
            c => cur.push(c),
        }
    }
    check_ident("--table", &cur)?;
    parts.push(cur);
    Ok(parts)
}

/// The integer day (days since 1970-01-01) of the local date of `d` (a quoted column).
fn day_expr(dialect: Dialect, d: &str, tz: Option<&str>) -> String {
    match (dialect, tz) {
        (Dialect::Postgres, None) => format!("(CAST({d} AS DATE) - DATE '1970-01-01')"),
        (Dialect::Postgres, Some(tz)) => {
            format!("(CAST(({d} AT TIME ZONE {tz}) AS DATE) - DATE '1970-01-01')")
        }
        // julianday('1970-01-01') = 2440587.5; both are exact in binary, so the difference
        // is an exact whole number.
        (Dialect::Sqlite, _) => {
            format!("CAST(julianday(substr({d}, 1, 10)) - 2440587.5 AS INTEGER)")
        }
        (Dialect::Spark, None) => format!("datediff(to_date({d}), DATE '1970-01-01')"),
        (Dialect::Spark, Some(tz)) => {
            format!("datediff(to_date(from_utc_timestamp({d}, {tz})), DATE '1970-01-01')")
        }
        (Dialect::DuckDb, None) => format!("(CAST({d} AS DATE) - DATE '1970-01-01')"),
        (Dialect::DuckDb, Some(tz)) => {
            format!("(CAST(timezone({tz}, {d}) AS DATE) - DATE '1970-01-01')")
        }
    }
}

/// `days` (an integer expression) in `unit`, as a real: `comeback_core::TimeUnit::from_days`.
fn in_unit(dialect: Dialect, days: &str, unit: TimeUnit) -> String {
    let real = dialect.real_type();
    match unit {
        TimeUnit::Days => format!("CAST({days} AS {real})"),
        TimeUnit::Weeks => format!("CAST({days} AS {real}) / 7"),
        TimeUnit::Months => format!("CAST({days} AS {real}) * 12 / 365.25"),
    }
}

/// A day literal as an integer, with the date as a comment.
fn day_lit(d: Day) -> String {
    format!("{} /* {d} */", d.0)
}

/// The summary query (see the crate docs for columns, definitions and dialect notes).
///
/// # Errors
/// [`SqlError`] for an empty or NUL-containing identifier, a malformed table path, a bad
/// time-zone name, a time zone with SQLite, or a calibration end after the observation end.
pub fn summary_sql(q: &SummaryQuery) -> Result<String, SqlError> {
    let dl = q.dialect;
    let table = split_table_path(&q.table)?
        .iter()
        .map(|p| dl.quote_ident(p))
        .collect::<Vec<_>>()
        .join(".");
    for (field, v) in [
        ("--customer-col", &q.customer_col),
        ("--date-col", &q.date_col),
        ("--amount-col", &q.amount_col),
    ] {
        check_ident(field, v)?;
    }
    let tz = match &q.timezone {
        None => None,
        Some(_) if dl == Dialect::Sqlite => return Err(SqlError::TimezoneUnsupported),
        Some(tz) => {
            let ok = !tz.is_empty()
                && tz
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+-/".contains(c));
            if !ok {
                return Err(SqlError::BadTimezone(tz.clone()));
            }
            Some(dl.quote_str(tz))
        }
    };
    if let (Some(c), Some(e)) = (q.calibration_end, q.observation_end)
        && c > e
    {
        return Err(SqlError::CalibrationAfterObservationEnd {
            calibration_end: c,
            observation_end: e,
        });
    }
    let (c, d, a) = (
        dl.quote_ident(&q.customer_col),
        dl.quote_ident(&q.date_col),
        dl.quote_ident(&q.amount_col),
    );
    let (text, real, int) = (dl.text_type(), dl.real_type(), dl.int_type());
    let unit = q.unit;
    let mut s = String::with_capacity(2048);
    let _ = writeln!(
        s,
        "-- comeback summary for {}: one row per customer (unit: {}; refunds: {}), ordered by customer_id",
        dl,
        unit.as_str(),
        match q.refunds {
            Refunds::Exclude => "excluded",
            Refunds::Net => "netted",
        }
    );
    let _ = writeln!(s, "WITH comeback_rows AS (");
    let _ = writeln!(
        s,
        "  SELECT TRIM(CAST({c} AS {text})) AS customer_id,\n         {} AS day,\n         CAST({a} AS {real}) AS amount,\n         CASE WHEN {a} >= 0 THEN 1 ELSE 0 END AS is_purchase",
        day_expr(dl, &d, tz.as_deref())
    );
    let _ = writeln!(s, "  FROM {table}");
    let _ = write!(
        s,
        "  WHERE {c} IS NOT NULL AND {d} IS NOT NULL AND {a} IS NOT NULL"
    );
    if q.refunds == Refunds::Exclude {
        let _ = write!(s, " AND {a} >= 0");
    }
    let _ = writeln!(s, "\n),");
    // One occasion per customer and local day.
    let _ = writeln!(s, "comeback_occasions AS (");
    let _ = writeln!(
        s,
        "  SELECT customer_id, day, SUM(amount) AS amount\n  FROM comeback_rows\n  WHERE day IS NOT NULL"
    );
    if let Some(e) = q.observation_end {
        let _ = writeln!(s, "    AND day <= {}", day_lit(e));
    }
    let _ = write!(s, "  GROUP BY customer_id, day");
    if q.refunds == Refunds::Net {
        let _ = write!(s, "\n  HAVING MAX(is_purchase) = 1");
    }
    let _ = writeln!(s, "\n),");
    let _ = writeln!(s, "comeback_observation AS (");
    match q.observation_end {
        Some(e) => {
            let _ = writeln!(s, "  SELECT {} AS end_day", day_lit(e));
        }
        None => {
            let _ = writeln!(s, "  SELECT MAX(day) AS end_day FROM comeback_occasions");
        }
    }
    let _ = writeln!(s, "),");
    let _ = writeln!(
        s,
        "comeback_ranked AS (\n  SELECT customer_id, day, amount,\n         MIN(day) OVER (PARTITION BY customer_id) AS first_day\n  FROM comeback_occasions\n),"
    );
    let order = match dl {
        Dialect::Postgres => "customer_id COLLATE \"C\"",
        _ => "customer_id",
    };
    let ident = |name: &str| dl.quote_ident(name);
    match q.calibration_end {
        None => {
            let _ = writeln!(
                s,
                "comeback_customers AS (\n  SELECT customer_id, first_day,\n         COUNT(*) - 1 AS frequency,\n         MAX(day) AS last_day,\n         SUM(CASE WHEN day > first_day THEN amount ELSE 0 END) AS repeat_total\n  FROM comeback_ranked\n  GROUP BY customer_id, first_day\n)"
            );
            let _ = writeln!(
                s,
                "SELECT customer_id,\n       CAST(frequency AS {int}) AS {},\n       {} AS {},\n       {} AS {},\n       CASE WHEN frequency = 0 THEN CAST(0 AS {real}) ELSE repeat_total / frequency END AS {}",
                ident("frequency"),
                in_unit(dl, "last_day - first_day", unit),
                ident("recency"),
                in_unit(dl, "end_day - first_day", unit),
                ident("T"),
                ident("monetary_value"),
            );
            let _ = writeln!(s, "FROM comeback_customers CROSS JOIN comeback_observation");
        }
        Some(cal) => {
            let c = day_lit(cal);
            let _ = writeln!(
                s,
                "comeback_customers AS (\n  SELECT customer_id, first_day,\n         SUM(CASE WHEN day <= {c} THEN 1 ELSE 0 END) - 1 AS frequency_cal,\n         MAX(CASE WHEN day <= {c} THEN day END) AS last_cal,\n         SUM(CASE WHEN day <= {c} AND day > first_day THEN amount ELSE 0 END) AS repeat_total_cal,\n         SUM(CASE WHEN day > {c} THEN 1 ELSE 0 END) AS frequency_holdout,\n         SUM(CASE WHEN day > {c} THEN amount ELSE 0 END) AS total_holdout\n  FROM comeback_ranked\n  GROUP BY customer_id, first_day\n)"
            );
            let _ = writeln!(
                s,
                "SELECT customer_id,\n       CAST(frequency_cal AS {int}) AS {},\n       {} AS {},\n       {} AS {},\n       CASE WHEN frequency_cal = 0 THEN CAST(0 AS {real}) ELSE repeat_total_cal / frequency_cal END AS {},\n       CAST(frequency_holdout AS {int}) AS {},\n       CASE WHEN frequency_holdout = 0 THEN CAST(0 AS {real}) ELSE total_holdout / frequency_holdout END AS {},\n       {} AS {}",
                ident("frequency_cal"),
                in_unit(dl, "last_cal - first_day", unit),
                ident("recency_cal"),
                in_unit(dl, &format!("{c} - first_day"), unit),
                ident("T_cal"),
                ident("monetary_value_cal"),
                ident("frequency_holdout"),
                ident("monetary_value_holdout"),
                in_unit(dl, &format!("end_day - {c}"), unit),
                ident("duration_holdout"),
            );
            let _ = writeln!(
                s,
                "FROM comeback_customers CROSS JOIN comeback_observation\nWHERE first_day <= {c} AND {c} <= end_day"
            );
        }
    }
    let _ = writeln!(s, "ORDER BY {order}");
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn query(dialect: Dialect) -> SummaryQuery {
        SummaryQuery {
            dialect,
            table: "sales.transactions".into(),
            customer_col: "customer".into(),
            date_col: "date".into(),
            amount_col: "amount".into(),
            timezone: None,
            calibration_end: None,
            observation_end: None,
            unit: TimeUnit::Weeks,
            refunds: Refunds::Exclude,
        }
    }

    #[test]
    fn quoting_per_dialect() {
        assert_eq!(Dialect::Postgres.quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::Sqlite.quote_ident("Order Date"), "\"Order Date\"");
        assert_eq!(Dialect::Spark.quote_ident("a`b\"c"), "`a``b\"c`");
        assert_eq!(Dialect::DuckDb.quote_ident("T"), "\"T\"");
        assert_eq!(Dialect::Spark.quote_str("a'b\\c"), "'a''b\\\\c'");
        assert_eq!(Dialect::Postgres.quote_str("a'b\\c"), "'a''b\\c'");
    }

    #[test]
    fn table_paths() {
        assert_eq!(split_table_path("t").unwrap(), ["t"]);
        assert_eq!(split_table_path("s.t").unwrap(), ["s", "t"]);
        assert_eq!(
            split_table_path("\"my.schema\".\"a\"\"b\"").unwrap(),
            ["my.schema", "a\"b"]
        );
        assert_eq!(split_table_path("cat.\"s\".t").unwrap(), ["cat", "s", "t"]);
        assert!(matches!(
            split_table_path("s..t"),
            Err(SqlError::EmptyIdentifier { .. })
        ));
        assert!(matches!(
            split_table_path("\"open"),
            Err(SqlError::BadQuote { position: 1, .. })
        ));
        assert!(matches!(
            split_table_path("\"a\"b"),
            Err(SqlError::BadQuote { position: 4, .. })
        ));
        assert!(matches!(
            split_table_path("a\"b"),
            Err(SqlError::BadQuote { position: 2, .. })
        ));
    }

    #[test]
    fn errors_name_the_flag() {
        let mut q = query(Dialect::Sqlite);
        q.timezone = Some("Europe/Helsinki".into());
        assert_eq!(summary_sql(&q), Err(SqlError::TimezoneUnsupported));
        let mut q = query(Dialect::Postgres);
        q.timezone = Some("Europe/Helsinki'; DROP TABLE x; --".into());
        let e = summary_sql(&q).unwrap_err();
        assert!(e.to_string().starts_with("--timezone:"), "{e}");
        let mut q = query(Dialect::Postgres);
        q.amount_col = String::new();
        assert_eq!(
            summary_sql(&q).unwrap_err().to_string(),
            "--amount-col: empty identifier in \"\""
        );
        q.amount_col = "a\0".into();
        assert!(matches!(
            summary_sql(&q),
            Err(SqlError::NulInIdentifier {
                field: "--amount-col",
                ..
            })
        ));
        let mut q = query(Dialect::DuckDb);
        q.calibration_end = Day::from_ymd(1997, 10, 1);
        q.observation_end = Day::from_ymd(1997, 9, 30);
        assert_eq!(
            summary_sql(&q).unwrap_err().to_string(),
            "--calibration-end 1997-10-01 is after --observation-end 1997-09-30"
        );
    }

    #[test]
    fn postgres_plain_query_shape() {
        let sql = summary_sql(&query(Dialect::Postgres)).unwrap();
        assert!(sql.contains("FROM \"sales\".\"transactions\""), "{sql}");
        assert!(sql.contains("(CAST(\"date\" AS DATE) - DATE '1970-01-01')"));
        assert!(sql.contains("CAST(end_day - first_day AS DOUBLE PRECISION) / 7 AS \"T\""));
        assert!(sql.contains("AND \"amount\" >= 0"));
        assert!(
            sql.trim_end()
                .ends_with("ORDER BY customer_id COLLATE \"C\"")
        );
        let mut q = query(Dialect::Postgres);
        q.timezone = Some("America/Sao_Paulo".into());
        q.refunds = Refunds::Net;
        let sql = summary_sql(&q).unwrap();
        assert!(sql.contains("AT TIME ZONE 'America/Sao_Paulo'"), "{sql}");
        assert!(!sql.contains("IS NOT NULL AND \"amount\" >= 0"), "{sql}");
        assert!(sql.contains("HAVING MAX(is_purchase) = 1"));
    }

    #[test]
    fn calibration_literals_are_days_since_1970() {
        let mut q = query(Dialect::Spark);
        q.calibration_end = Day::from_ymd(1997, 9, 30);
        q.unit = TimeUnit::Months;
        let sql = summary_sql(&q).unwrap();
        // 1997-09-30 is day 10134 after 1970-01-01.
        assert!(sql.contains("10134 /* 1997-09-30 */"), "{sql}");
        assert!(sql.contains("CAST(end_day - 10134 /* 1997-09-30 */ AS DOUBLE) * 12 / 365.25 AS `duration_holdout`"), "{sql}");
        assert!(sql.contains("FROM `sales`.`transactions`"));
    }

    proptest! {
        /// Quoting round-trips: stripping the outer quotes and undoubling gives the name back,
        /// and no lone quote character is left inside.
        #[test]
        fn quote_ident_round_trips(name in "\\PC{1,20}", spark in any::<bool>()) {
            let dl = if spark { Dialect::Spark } else { Dialect::Postgres };
            let q = if spark { '`' } else { '"' };
            let quoted = dl.quote_ident(&name);
            let inner = &quoted[1..quoted.len() - 1];
            prop_assert!(quoted.starts_with(q) && quoted.ends_with(q));
            let doubled: String = [q, q].iter().collect();
            prop_assert_eq!(inner.replace(&doubled, &q.to_string()), name.clone());
            prop_assert_eq!(inner.matches(q).count() % 2, 0);
        }

        /// A path written with every part quoted splits back into its parts.
        #[test]
        fn table_path_round_trips(parts in prop::collection::vec("[^\\x00]{1,8}", 1..4)) {
            let path = parts
                .iter()
                .map(|p| Dialect::Postgres.quote_ident(p))
                .collect::<Vec<_>>()
                .join(".");
            prop_assert_eq!(split_table_path(&path).unwrap(), parts);
        }
    }
}
