//! `comeback fit`.

/// Flags of `comeback fit`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `comeback fit`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("comeback fit is not implemented yet")
}
