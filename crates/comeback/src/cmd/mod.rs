//! One module per subcommand.

pub mod analyze;
pub mod common;
pub mod fit;
pub mod predict;
pub mod simulate;
pub mod summarize;
