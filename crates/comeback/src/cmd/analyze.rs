//! `comeback analyze`.

/// Flags of `comeback analyze`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `comeback analyze`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("comeback analyze is not implemented yet")
}
