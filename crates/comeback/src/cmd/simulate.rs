//! `comeback simulate`.

/// Flags of `comeback simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `comeback simulate`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("comeback simulate is not implemented yet")
}
