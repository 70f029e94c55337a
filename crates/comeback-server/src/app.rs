//! Start-up: [`Application::build`] connects the store (running migrations), binds the
//! listener and assembles the router; [`Application::run_until_stopped`] serves until
//! SIGINT or SIGTERM and then drains in-flight requests (graceful shutdown).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use comeback_store::{Store, StoreError};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::OpenApi;

use crate::{Settings, api, auth, public_complaints, scores, surveys, webhooks};

/// What every handler shares. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The server settings.
    pub settings: Arc<Settings>,
    /// Cached scores and the model status.
    pub scores: scores::Scores,
    /// State of the accounts and security module.
    pub auth: auth::AuthState,
    /// The webhook dispatcher: `state.webhooks.fire(kind, data)` sends an event to the
    /// subscribed endpoints in the background.
    pub webhooks: webhooks::Webhooks,
    /// The survey links' secret and the public pages' rate limit.
    pub surveys: surveys::SurveyState,
    /// The public complaint page's link key and rate limits.
    pub public_complaints: public_complaints::PublicComplaints,
    /// The mailer (`None` without `--smtp-host`): complaint e-mails and the digest.
    pub mail: Option<crate::mail::Mail>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The configured survey secret is too short.
    #[error(transparent)]
    SurveySecret(#[from] surveys::ShortSecret),
    /// A setting is invalid.
    #[error("{0}")]
    Settings(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// A bound, ready-to-run server.
#[derive(Debug)]
pub struct Application {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    router: Router,
    state: AppState,
}

impl Application {
    /// Connects the store of `settings.database_url` (migrating it) and binds
    /// `settings.bind`.
    ///
    /// # Errors
    /// [`StartError::Store`], [`StartError::Bind`].
    pub async fn build(settings: Settings) -> Result<Application, StartError> {
        let store = Store::connect(&settings.database_url).await?;
        Self::build_with_store(settings, store).await
    }

    /// As [`build`](Self::build) with an already connected store (tests use this for
    /// PostgreSQL schemas).
    ///
    /// # Errors
    /// [`StartError::Bind`], [`StartError::Store`] (the survey secret cannot be read),
    /// [`StartError::SurveySecret`].
    pub async fn build_with_store(
        settings: Settings,
        store: Store,
    ) -> Result<Application, StartError> {
        let listener = tokio::net::TcpListener::bind(settings.bind)
            .await
            .map_err(|source| StartError::Bind {
                addr: settings.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: settings.bind,
            source,
        })?;
        let public_complaints = public_complaints::PublicComplaints::new(&settings.complaints)
            .map_err(StartError::Settings)?;
        let webhooks = webhooks::Webhooks::new(store.clone(), &settings.webhooks);
        let scores = scores::Scores::default();
        scores.set_webhooks(webhooks.clone());
        let surveys = surveys::SurveyState::new(&settings.surveys, &store.survey_secret().await?)?;
        let public_url = match &settings.public_url {
            Some(u) => u.clone(),
            None => format!("http://{addr}"),
        };
        let mail =
            crate::mail::Mail::new(&settings.mail, &public_url).map_err(StartError::Settings)?;
        let state = AppState {
            mail,
            surveys,
            store,
            auth: auth::AuthState::new(&settings.auth),
            settings: Arc::new(settings),
            scores,
            webhooks,
            public_complaints,
        };
        let triggers = crate::survey_triggers::Triggers::of(&state);
        state
            .scores
            .set_after_refit(std::sync::Arc::new(
                move |snapshot: Arc<scores::Snapshot>| -> std::pin::Pin<
                    Box<dyn Future<Output = ()> + Send>,
                > {
                let triggers = triggers.clone();
                Box::pin(async move {
                    if let Err(e) = triggers
                        .after_refit(&snapshot.analysis, chrono::Utc::now())
                        .await
                    {
                        tracing::warn!(error = %e, "survey triggers not run after the refit");
                    }
                })
            },
            ));
        let (router, _) = router(state.clone());
        Ok(Application {
            listener,
            addr,
            router,
            state,
        })
    }

    /// The bound port (the real one when `bind` asked for port 0).
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The base URL for links: `settings.public_url`, or `http://` + the bound address.
    pub fn public_url(&self) -> String {
        match &self.state.settings.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.addr),
        }
    }

    /// On a database without users: the one-time admin set-up link
    /// (`{public_url}/setup?token=...`), a fresh token each call; `None` once a user
    /// exists.
    ///
    /// # Errors
    /// [`StoreError`] from the store.
    pub async fn admin_setup_link(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .state
            .store
            .admin_setup_token()
            .await?
            .map(|t| format!("{}/setup?token={t}", self.public_url())))
    }

    /// Serves until SIGINT (Ctrl-C) or SIGTERM, then stops accepting and drains in-flight
    /// requests.
    ///
    /// # Errors
    /// I/O errors of the listener.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `signal` completes, then shuts down gracefully. When the database
    /// already holds customers, a refit of the scores starts in the background, so that
    /// a restarted server answers metrics and action lists without a manual refit (unless
    /// current scores were computed before the start, as [`crate::demo::load`] does); the
    /// webhook deliveries left in the outbox are resumed ([`crate::webhooks::Webhooks::resume`])
    /// and, at shutdown, those waiting for a retry are left to it.
    ///
    /// # Errors
    /// I/O errors of the listener.
    pub async fn run_until(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(addr = %self.addr, "listening");
        let webhooks = self.state.webhooks.clone();
        let resuming = webhooks.clone();
        tokio::spawn(async move {
            if let Err(e) = resuming.resume().await {
                tracing::warn!(error = %e, "webhook outbox not read; pending deliveries wait for the next start");
            }
        });
        let state = self.state.clone();
        tokio::spawn(async move {
            // Scores computed before the server started (the demo's first refit) and not
            // made stale since are current: a second full refit would give the same ones.
            if state.scores.current().is_some() && !state.scores.is_stale() {
                return;
            }
            match state.store.list_customers(None, 1, None).await {
                Ok(page) if !page.items.is_empty() => {
                    state.scores.start_refit(state.store.clone());
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot look for stored customers"),
            }
        });
        let breaches = crate::complaint_breaches::spawn(
            self.state.clone(),
            std::time::Duration::from_millis(self.state.settings.complaints.breach_check_ms),
        );
        let mail = self
            .state
            .mail
            .clone()
            .map(|m| crate::mail::spawn(m, self.state.clone()));
        // The peer address reaches handlers as `ConnectInfo` (login throttling per address).
        let triggers = crate::survey_triggers::spawn(
            crate::survey_triggers::Triggers::of(&self.state),
            std::time::Duration::from_millis(self.state.settings.surveys.survey_trigger_check_ms),
        );
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, service)
            .with_graceful_shutdown(signal)
            .await;
        // Retries waiting in memory are left to the outbox; the next start resumes them.
        webhooks.shutdown();
        breaches.abort();
        triggers.abort();
        if let Some(m) = mail {
            m.abort();
        }
        served
    }
}

/// The complete router and the OpenAPI document of its API routes (the same registration
/// produces both).
pub fn router(state: AppState) -> (Router, OpenApi) {
    let (api, mut doc) = api::router().split_for_parts();
    utoipa::Modify::modify(&api::ClientErrors, &mut doc);
    let settings = state.settings.clone();
    let doc_json = Arc::new(doc.clone());
    let router = Router::new()
        .merge(api)
        .merge(auth::routes())
        .merge(crate::dashboard::routes())
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let d = doc_json.clone();
                async move { axum::Json((*d).clone()) }
            }),
        )
        .layer(RequestBodyLimitLayer::new(settings.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout(),
        ))
        .layer(TraceLayer::new_for_http().make_span_with(auth::request_span))
        .with_state(state);
    (router, doc)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
