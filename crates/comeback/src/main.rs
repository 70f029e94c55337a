//! `comeback`: the command-line interface of the Comeback customer-retention engine.
//!
//! Each subcommand lives in its own module under `cmd/`, with a clap `Args` struct and a
//! `run` function. `anyhow` is used only in this crate; library crates return typed errors.
//! Exit codes: 0 success, 1 a failure explained on stderr, 2 a usage error (from clap).

/// `println!` that returns the write error (a closed pipe, a full disk) instead of panicking.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($t)*)
    }};
}

/// `eprintln!` that ignores a stderr that cannot be written to instead of panicking.
macro_rules! note {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

mod cmd;

use clap::{Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;

/// Comeback: what each customer is worth, who is leaving, what it costs, whom to call first.
#[derive(Debug, Parser)]
#[command(name = "comeback", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Per-customer summary (frequency, recency, T, monetary value) of a transaction file.
    Summarize(cmd::summarize::Args),
    /// Write a synthetic transaction log from a BG/NBD (or Pareto/NBD) process with
    /// Gamma-Gamma spend.
    Simulate(cmd::simulate::Args),
    /// Print one SQL query (PostgreSQL, SQLite, Spark SQL or DuckDB) that computes the
    /// summary of `summarize` where the transactions live.
    Sql(cmd::sql::Args),
    /// Fit a customer-base model to a summary.
    Fit(cmd::fit::Args),
    /// Per-customer predictions (P(alive), expected purchases, spend, CLV) from a summary.
    Predict(cmd::predict::Args),
    /// The main job: from a transaction file to a retention report.
    Analyze(cmd::analyze::Args),
    /// Retention economics: defection, customers, revenue and profit lost, replacement cost,
    /// payback, the retention what-if, beside the naive constant-churn figures (the same
    /// analysis and flags as `analyze`, plus --acquisition-cost).
    Economics(cmd::economics::Args),
    /// Loyalty-programme members vs non-members: retention, visits, inter-visit time and
    /// spend per visit with intervals, the raw gap and the matched estimate of the
    /// programme's effect, with its assumptions.
    Loyalty(cmd::loyalty::Args),
    /// Subscription cohorts: logo retention, NRR and GRR per month, and the sBG per cohort
    /// (projected retention, expected lifetime, DEL, DERL, residual value).
    Cohorts(cmd::cohorts::Args),
    /// Net Promoter Score of a responses file: promoters, passives, detractors, NPS with
    /// intervals (adjusted Wald), breakdowns, monthly trends, comparisons, benchmark tests.
    Nps(cmd::nps::Args),
    /// CSAT: the top-2-box share of satisfaction answers with a Wilson interval.
    Csat(cmd::scales::CsatArgs),
    /// CES: the mean customer effort score with a t interval.
    Ces(cmd::scales::CesArgs),
    /// Service dimensions (reliability, assurance, responsiveness, empathy, delight): means
    /// with intervals and SERVQUAL gaps (perception − expectation).
    Dimensions(cmd::scales::DimensionsArgs),
    /// Which survey metric predicts defection here: AUC of each metric for buying again
    /// within a window after the answer, retention and spend of promoters, passives and
    /// detractors.
    Predictors(cmd::predictors::Args),
    /// Monthly customer-service report cards per employee and location: mean scores with
    /// intervals, counts, change vs last month, rank among peers; printable HTML cards.
    ReportCard(cmd::report_card::Args),
    /// Open answers and exit reasons in six languages: reason Pareto table, quotes,
    /// classified CSV, HTML page; --evaluate on labelled sets.
    Reasons(cmd::reasons::Args),
    /// Survival analysis: Kaplan–Meier curves with the log-rank test (`km`), Cox
    /// proportional hazards (`cox`), and time to "lost" from a transaction file (`lost`).
    Survival(cmd::survival::Args),
    /// Complaint measures: first-response and resolution times in business hours against
    /// SLA targets, volumes by category, location, employee and month, compensation,
    /// reopen rate, satisfaction with the handling, and the iceberg of silent customers.
    Complaints(cmd::complaints::Args),
    /// The HTTP server: JSON API under /api/v1, OpenAPI document at /api/openapi.json,
    /// accounts. Every flag also reads its environment variable (COMEBACK_DATABASE_URL,
    /// COMEBACK_BIND, ...).
    Serve(cmd::serve::Args),
    /// Online backup of the SQLite database (VACUUM INTO) while the server runs.
    Backup(cmd::backup::Args),
    /// Times a model fit in-process (for bench/fits.py).
    #[command(hide = true)]
    BenchFit(cmd::bench_fit::Args),
    /// Times the in-memory group-by alone (for bench/summary.py).
    #[command(hide = true)]
    BenchGroupby(cmd::bench_groupby::Args),
    /// Counts distinct (x, tₓ, T) rows of simulated customers and times the fit on them (for
    /// bench/distinct.py).
    #[command(hide = true)]
    BenchDistinct(cmd::bench_distinct::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Summarize(a) => cmd::summarize::run(a),
        Command::Simulate(a) => cmd::simulate::run(a),
        Command::Sql(a) => cmd::sql::run(a),
        Command::Fit(a) => cmd::fit::run(a),
        Command::Predict(a) => cmd::predict::run(a),
        Command::Analyze(a) => cmd::analyze::run(a),
        Command::Economics(a) => cmd::economics::run(a),
        Command::Loyalty(a) => cmd::loyalty::run(a),
        Command::Cohorts(a) => cmd::cohorts::run(a),
        Command::Nps(a) => cmd::nps::run(a),
        Command::Csat(a) => cmd::scales::run_csat(a),
        Command::Ces(a) => cmd::scales::run_ces(a),
        Command::Dimensions(a) => cmd::scales::run_dimensions(a),
        Command::Predictors(a) => cmd::predictors::run(a),
        Command::ReportCard(a) => cmd::report_card::run(a),
        Command::Reasons(a) => cmd::reasons::run(a),
        Command::Survival(a) => cmd::survival::run(a),
        Command::Complaints(a) => cmd::complaints::run(a),
        Command::Serve(a) => cmd::serve::run(a),
        Command::Backup(a) => cmd::backup::run(a),
        Command::BenchFit(a) => cmd::bench_fit::run(a),
        Command::BenchGroupby(a) => cmd::bench_groupby::run(a),
        Command::BenchDistinct(a) => cmd::bench_distinct::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`comeback summarize ... | head`) is a normal end, not a failure.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // Library errors often print their cause inside their own message; a cause
            // already contained in the text is not repeated.
            let mut msg = e.to_string();
            for cause in e.chain().skip(1) {
                let c = cause.to_string();
                if !msg.contains(&c) {
                    msg.push_str(": ");
                    msg.push_str(&c);
                }
            }
            // Writing to a closed or full stderr must not panic.
            let _ = writeln!(std::io::stderr(), "error: {msg}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's consistency checks over every subcommand (unique argument ids, valid
    /// defaults): a duplicate id only panics at run time, and only in debug builds.
    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
