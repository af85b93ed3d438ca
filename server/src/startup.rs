//! Building and running the application.

use std::{future::Future, net::SocketAddr, sync::Arc};

use app::{
    auth::{
        clock::{Clock, SystemClock},
        AuthService,
    },
    config::Config,
};
use leptos::config::{Env, LeptosOptions};
use tokio::net::TcpListener;

use crate::{http, state::AppState};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("keys: {0}")]
    Keys(#[from] app::auth::AuthError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
}

/// A bound, ready-to-serve application.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    /// `METRICS_ADDR`'s own listener, when configured.
    metrics_listener: Option<(TcpListener, SocketAddr)>,
    state: AppState,
}

impl Application {
    /// Connects to the database, brings its schema up to date and binds the
    /// listener (port 0 picks a free port, as the tests do).
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Like `build`, with a clock of the caller's choosing (tests move it).
    pub async fn build_with_clock(
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartupError> {
        let db = app::db::connect(&config).await?;
        app::db::migrate(&db).await?;

        let (listener, address) = bind(config.site_addr).await?;
        let metrics_listener = match config.metrics.addr {
            Some(metrics_addr) => Some(bind(metrics_addr).await?),
            None => None,
        };
        if config.metrics.enabled() {
            // Before the service exists, so it records from its first request.
            http::metrics_endpoint::recorder();
        }

        let leptos_options = leptos_options(&config, address);
        let config = Arc::new(config);
        let state = AppState {
            auth: AuthService::new(db.clone(), config.clone(), clock).await?,
            config,
            db,
            leptos_options,
        };
        Ok(Self {
            listener,
            address,
            metrics_listener,
            state,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Where `/metrics` listens when `METRICS_ADDR` is set.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref().map(|(_, address)| *address)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tokio::spawn(housekeeping(self.state.clone()));
        tokio::spawn(reload_signing_keys(self.state.clone()));
        // Delivers queued email; requests only insert outbox rows.
        tokio::spawn(self.state.auth.clone().run_mail_worker());
        // A scrape has nothing to finish: this listener just stops with the
        // main one.
        let metrics = self.metrics_listener.map(|(listener, _)| {
            let router = http::metrics_endpoint::own_router(self.state.config.clone());
            tokio::spawn(async move { axum::serve(listener, router).await })
        });
        let router = http::router(self.state);
        let served = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        served
    }
}

/// A listener on `address` and the address it got (port 0 picks one).
async fn bind(address: SocketAddr) -> Result<(TcpListener, SocketAddr), StartupError> {
    let bind_error = |source| StartupError::Bind { address, source };
    let listener = TcpListener::bind(address).await.map_err(bind_error)?;
    let bound = listener.local_addr().map_err(bind_error)?;
    Ok((listener, bound))
}

fn leptos_options(config: &Config, address: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(config.site.output_name.clone())
        .site_root(config.site.site_root.clone())
        .site_pkg_dir(config.site.pkg_dir.clone())
        .site_addr(address)
        .reload_port(config.site.reload_port)
        .env(if config.is_production() {
            Env::PROD
        } else {
            Env::DEV
        })
        .build()
}

/// Reads the signing keys again now and then, so a rotation made on another
/// node or from the command line is published here too, well before the new
/// key signs. Nothing to do with HS256.
async fn reload_signing_keys(state: AppState) {
    if !state.config.jwt_algorithm.is_asymmetric() {
        return;
    }
    let mut interval = tokio::time::interval(AuthService::SIGNING_KEYS_RELOAD_INTERVAL);
    interval.tick().await; // the keys were just read at start
    loop {
        interval.tick().await;
        if let Err(error) = state.auth.reload_signing_keys().await {
            tracing::warn!(%error, "reading the signing keys again failed; will retry");
        }
    }
}

/// Removes expired sessions and idle rate-limit entries now and then. Every
/// node runs it; the deletes are idempotent.
async fn housekeeping(state: AppState) {
    let mut interval = tokio::time::interval(AuthService::HOUSEKEEPING_INTERVAL);
    loop {
        interval.tick().await;
        if let Err(error) = state.auth.housekeeping().await {
            tracing::warn!(%error, "housekeeping failed; will retry");
        }
        if let Err(error) = http::cookie_session_store::delete_expired(&state.db).await {
            tracing::warn!(%error, "removing expired browser sessions failed; will retry");
        }
    }
}
