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
    /// Demo mode: a fresh SQLite database in a temporary directory (deleted when the
    /// server stops; the configured database is never touched) filled with the shipped
    /// CDNOW sample (2,357 customers, 6,919 purchases of 1997–1998 in US dollars), a demo
    /// admin login with a random password, printed at start, and the scores computed
    /// before the first request, so the dashboard is populated at once.
    #[arg(long)]
    pub demo: bool,
}

/// Longest wait for the demo's first refit.
const DEMO_REFIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(900);

/// Runs the server until Ctrl-C or SIGTERM. On a database without users it prints the
/// one-time admin set-up link first.
pub fn run(args: Args) -> Result<()> {
    comeback_server::init_tracing(&args.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut settings = args.settings;
    // Kept alive until the server stops; its drop deletes the demo database.
    let demo_dir = if args.demo {
        let dir = tempfile::Builder::new()
            .prefix("comeback-demo-")
            .tempdir()
            .context("cannot create the demo's temporary directory")?;
        settings.database_url = format!("sqlite://{}", dir.path().join("demo.db").display());
        Some(dir)
    } else {
        None
    };
    runtime.block_on(async move {
        let url = settings.database_url.clone();
        let app = Application::build(settings)
            .await
            .with_context(|| format!("cannot start the server on {}", redact(&url)))?;
        if demo_dir.is_some() {
            outln!("Demo: loading the CDNOW sample and computing the scores...")?;
            let demo = comeback_server::demo::load(app.state(), DEMO_REFIT_TIMEOUT)
                .await
                .context("cannot set up the demo")?;
            outln!(
                "Demo ready: {} purchases of {} customers. Log in at {}/login",
                demo.transactions,
                demo.customers,
                app.public_url()
            )?;
            outln!("  e-mail:   {}", demo.email)?;
            outln!("  password: {}", demo.password.expose())?;
        } else if let Some(link) = app.admin_setup_link().await? {
            outln!("No users yet. Create the first admin account (link works once):")?;
            outln!("  {link}")?;
        }
        outln!(
            "comeback serve: listening on http://{} ({})",
            app.local_addr(),
            app.state().store.backend().as_str()
        )?;
        app.run_until_stopped().await.context("server failed")?;
        drop(demo_dir);
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
