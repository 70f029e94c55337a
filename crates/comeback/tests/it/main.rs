//! End-to-end tests of the `comeback` binary: one test binary, one module per subcommand.

mod fit_predict;
mod summarize;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// Stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
