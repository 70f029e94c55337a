//! `comeback backup`: an online, consistent copy of the SQLite database (`VACUUM INTO`)
//! while the server keeps running.

use std::path::PathBuf;

use anyhow::{Context, Result};
use comeback_store::{StoreConfig, StoreError};

/// Flags of `comeback backup`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The database to copy: `sqlite://PATH`, which must exist (PostgreSQL: use pg_dump).
    #[arg(
        long,
        env = "COMEBACK_DATABASE_URL",
        default_value = "sqlite://comeback.db"
    )]
    pub database_url: String,
    /// The backup file to write (must not exist).
    pub dest: PathBuf,
}

/// Writes the backup.
pub fn run(args: Args) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        // A read of an existing database: a missing file is an error, not a new empty
        // database to back up.
        let store = StoreConfig::new(&args.database_url)
            .create_if_missing(false)
            .connect()
            .await
            .map_err(|e| {
                let hint = match &e {
                    StoreError::NotFound { .. } => {
                        " (run in the directory that holds it, or give --database-url sqlite://PATH)"
                    }
                    _ => "",
                };
                anyhow::Error::new(e).context(format!(
                    "cannot open {}{hint}",
                    super::serve::redact(&args.database_url)
                ))
            })?;
        let result = store.backup_sqlite(&args.dest).await;
        store.close().await;
        result.with_context(|| format!("cannot back up to {}", args.dest.display()))?;
        outln!("backup written to {}", args.dest.display())?;
        Ok(())
    })
}
