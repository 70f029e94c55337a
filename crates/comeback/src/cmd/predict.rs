//! `comeback predict`.

/// Flags of `comeback predict`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `comeback predict`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("comeback predict is not implemented yet")
}
