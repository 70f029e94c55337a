//! `comeback serve`: the HTTP server (JSON API, OpenAPI document, accounts) over SQLite or
//! PostgreSQL. Every flag also reads an environment variable (`COMEBACK_DATABASE_URL`,
//! `COMEBACK_BIND`, ...; see `comeback serve --help`).

use anyhow::{Context, Result};
use comeback_server::{Application, Settings};

/// Flags of `comeback serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Server settings.
    #[command(flatten)]
    pub settings: Settings,
    /// Log filter (`error`, `warn`, `info`, `debug`, or a tracing directive such as
    /// `comeback_server=debug,tower_http=info`).
    #[arg(long, env = "COMEBACK_LOG", default_value = "info")]
    pub log: String,
}

/// Runs the server until Ctrl-C or SIGTERM. On a database without users it prints the
/// one-time admin set-up link first.
pub fn run(args: Args) -> Result<()> {
    comeback_server::init_tracing(&args.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let url = args.settings.database_url.clone();
        let app = Application::build(args.settings)
            .await
            .with_context(|| format!("cannot start the server on {}", redact(&url)))?;
        if let Some(link) = app.admin_setup_link().await? {
            outln!("No users yet. Create the first admin account (link works once):")?;
            outln!("  {link}")?;
        }
        outln!(
            "comeback serve: listening on http://{} ({})",
            app.local_addr(),
            app.state().store.backend().as_str()
        )?;
        app.run_until_stopped().await.context("server failed")?;
        Ok(())
    })
}

/// The database URL without a password (`postgres://user:secret@host` → `postgres://user:***@host`).
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
