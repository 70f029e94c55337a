//! One module per subcommand.

pub mod analyze;
pub mod analyze_extra;
pub mod analyze_report;
pub mod backup;
pub mod bench_fit;
pub mod bench_groupby;
pub mod cohorts;
pub mod common;
pub mod complaints;
pub mod economics;
pub mod fit;
pub mod ingest_args;
pub mod loyalty;
pub mod nps;
pub mod predict;
pub mod predictors;
pub mod reasons;
pub mod report_card;
pub mod scales;
pub mod serve;
pub mod simulate;
pub mod sql;
pub mod summarize;
pub mod summary_input;
pub mod survey;
pub mod survival;
