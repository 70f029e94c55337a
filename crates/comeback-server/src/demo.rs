//! The demo of `comeback serve --demo`: the shipped CDNOW sample (2,357 customers,
//! 6,919 purchases of 1997–1998, in US dollars) stored in a fresh database, a demo login,
//! and the scores computed before the first visitor arrives, so a new user sees a populated
//! dashboard at once.
//!
//! The sample is compiled into the binary (`data/CDNOW_sample.txt`, 228 KB; origin and
//! checksum in `data/README.md`), so the demo works from an installed binary without the
//! repository. Where the database lives is the caller's choice; `comeback serve --demo`
//! uses a temporary directory and never the user's own database.

use std::time::Duration;

use std::collections::{HashMap, HashSet};

use comeback_core::{Amount, Day};
use comeback_store::{NewUser, Role, StoreError, TransactionInput};

use crate::AppState;
use crate::api::ingest::UploadParams;
use crate::auth::password::{Password, PasswordError, temporary_password};
use crate::scores::RefitState;

/// The CDNOW sample as shipped in `data/CDNOW_sample.txt`: blank-separated, no header;
/// columns customer id (in the full data set), sample customer id, date `%Y%m%d`, CDs
/// bought, dollar value.
pub const CDNOW_SAMPLE: &[u8] = include_bytes!("../../../data/CDNOW_sample.txt");

/// The e-mail of the demo login.
pub const DEMO_EMAIL: &str = "demo@example.com";

/// How the sample is read: the upload parameters of `POST /api/v1/uploads/transactions`
/// for this file (sample id, date and amount are columns 2, 3 and 5).
pub fn cdnow_sample_params() -> UploadParams {
    UploadParams {
        customer_col: Some("2".to_owned()),
        date_col: Some("3".to_owned()),
        amount_col: Some("5".to_owned()),
        header: Some(false),
        date_format: Some("%Y%m%d".to_owned()),
        currency: Some("USD".to_owned()),
        ..UploadParams::default()
    }
}

/// What [`load`] stored and the login it made.
#[derive(Debug)]
pub struct Demo {
    /// Transactions stored (6,919 for the CDNOW sample).
    pub transactions: u64,
    /// Distinct customers (2,357).
    pub customers: u64,
    /// The demo login's e-mail ([`DEMO_EMAIL`]).
    pub email: String,
    /// The demo login's password: random, fresh each run (redacted in `Debug`).
    pub password: Password,
}

/// Why the demo could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The database already has users or transactions: the demo only fills a fresh one.
    #[error("the demo needs an empty database, and this one already has {0}")]
    NotEmpty(&'static str),
    /// The shipped sample could not be read (a build defect).
    #[error("cannot read the shipped sample: {0}")]
    Sample(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No random password could be made or hashed.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The first refit did not succeed.
    #[error("the demo scores could not be computed: {0}")]
    Refit(String),
}

/// Fills the fresh database of `state` with the CDNOW sample, creates the admin login
/// [`DEMO_EMAIL`] with a random password (no change required at first login), and runs
/// the first refit, waiting up to `refit_timeout` for it.
///
/// # Errors
/// [`DemoError::NotEmpty`] when the database has users or customers already (nothing is
/// changed then); otherwise the store's, the password hasher's or the refit's failure.
pub async fn load(state: &AppState, refit_timeout: Duration) -> Result<Demo, DemoError> {
    if state.store.count_users().await? > 0 {
        return Err(DemoError::NotEmpty("users"));
    }
    if !state
        .store
        .list_customers(None, 1, None)
        .await?
        .items
        .is_empty()
    {
        return Err(DemoError::NotEmpty("customers"));
    }
    let options = cdnow_sample_params()
        .options()
        .map_err(|e| DemoError::Sample(e.to_string()))?;
    let (rows, customers) = tokio::task::spawn_blocking(move || sample_rows(&options))
        .await
        .map_err(|e| DemoError::Sample(e.to_string()))??;
    let outcome = state.store.ingest_transactions(&rows).await?;
    let password = temporary_password()?;
    let hasher = state.auth.hasher.clone();
    let secret = password.clone();
    let hash = tokio::task::spawn_blocking(move || hasher.hash(&secret))
        .await
        .map_err(|e| PasswordError::Hashing(e.to_string()))??;
    state
        .store
        .create_user(&NewUser {
            email: DEMO_EMAIL.to_owned(),
            role: Role::Admin,
            password_hash: Some(hash),
        })
        .await?;
    state.scores.mark_stale();
    state.scores.start_refit(state.store.clone());
    wait_for_refit(state, refit_timeout).await?;
    Ok(Demo {
        transactions: outcome.inserted,
        customers,
        email: DEMO_EMAIL.to_owned(),
        password,
    })
}

/// The sample's rows as batch rows with the external ids an upload of the same file gets
/// (`<customer>/<day>/<amount>/<n>`, n counting equal rows), so uploading the sample into
/// the demo adds nothing; and the number of distinct customers.
fn sample_rows(
    options: &comeback_ingest::IngestOptions,
) -> Result<(Vec<TransactionInput>, u64), DemoError> {
    let mut rows = Vec::new();
    let mut seen: HashMap<(String, Day, Amount), u32> = HashMap::new();
    let mut customers = HashSet::new();
    comeback_ingest::read_transactions(CDNOW_SAMPLE, "CDNOW_sample.txt", options, |r| {
        let n = seen
            .entry((r.customer.to_owned(), r.day, r.amount))
            .or_insert(0);
        *n += 1;
        customers.insert(r.customer.to_owned());
        rows.push(TransactionInput::new(
            format!("{}/{}/{}/{}", r.customer, r.day, r.amount, n),
            r.customer,
            r.day,
            r.amount,
            "USD",
        ));
        Ok::<(), std::convert::Infallible>(())
    })
    .map_err(|e| DemoError::Sample(e.to_string()))?;
    Ok((rows, customers.len() as u64))
}

/// Polls the refit state every 50 ms until the running refit ends.
async fn wait_for_refit(state: &AppState, timeout: Duration) -> Result<(), DemoError> {
    let start = tokio::time::Instant::now();
    loop {
        match state.scores.state() {
            RefitState::Succeeded { .. } => return Ok(()),
            RefitState::Failed { message, .. } => return Err(DemoError::Refit(message)),
            RefitState::Never | RefitState::Running { .. } => {}
        }
        if start.elapsed() > timeout {
            return Err(DemoError::Refit(format!(
                "still running after {} s",
                timeout.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
