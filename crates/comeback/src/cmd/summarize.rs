//! `comeback summarize`.

/// Flags of `comeback summarize`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `comeback summarize`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("comeback summarize is not implemented yet")
}
