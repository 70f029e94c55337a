//! End-to-end tests of the `comeback` binary: one test binary, one module per subcommand.

mod analyze;
mod analyze_summary;
mod backup;
mod cohorts;
mod complaints;
mod economics;
mod fit_predict;
mod loyalty;
mod nps;
#[cfg(feature = "parquet")]
mod parquet;
mod predictors;
mod reasons;
mod report_card;
mod scales;
mod sql;
mod summarize;
mod survey_metrics;
mod survival;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// How CDNOW_sample.txt is read: no header; sample id, date and dollar value are columns
/// 2, 3 and 5; dates as `%Y%m%d` (data/README-lifetimes-datasets.md).
pub const CDNOW_SAMPLE_COLUMNS: &[&str] = &[
    "--no-header",
    "--customer-col",
    "2",
    "--date-col",
    "3",
    "--amount-col",
    "5",
    "--date-format",
    "%Y%m%d",
];

/// Path of a file in the repository's `data/` folder.
pub fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

/// Runs the binary with `args` in `dir`.
pub fn comeback(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_comeback"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run comeback")
}

/// Runs the binary, asserts exit code 1 and that stderr contains `message`.
pub fn assert_fails(dir: &Path, args: &[&str], message: &str) {
    let o = comeback(dir, args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert!(
        err.contains(message),
        "{args:?}: expected {message:?} in {err}"
    );
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}

/// Stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The Chromium path from `COMEBACK_TEST_BROWSER`; without it the test prints
/// `SKIPPED <test>: COMEBACK_TEST_BROWSER not set` and is skipped — unless `CI` is set, when
/// it fails.
pub fn browser(test: &str) -> Option<PathBuf> {
    match std::env::var_os("COMEBACK_TEST_BROWSER") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: COMEBACK_TEST_BROWSER must be set when CI is set"
            );
            // Straight to stderr: the test harness captures eprintln! of passing tests.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: COMEBACK_TEST_BROWSER not set"
            );
            None
        }
    }
}
