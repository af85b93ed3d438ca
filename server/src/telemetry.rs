//! Structured logs with `tracing`: JSON lines in production, a compact human
//! format in development. `RUST_LOG` overrides the levels; `DEBUG=true` raises
//! the default to debug.
//!
//! Request spans carry the method, the path (never the query string, which
//! could hold a token) and the request id.

use app::config::Config;
use axum::{body::Body, http::Request};
use tracing_subscriber::{fmt, EnvFilter};

pub fn init(config: &Config) {
    let default_level = if config.debug { "debug" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "{default_level},sqlx=warn,sea_orm=warn,sea_orm_migration=warn,hyper=warn"
        ))
    });
    // Colours only for a person at a terminal; log files and collectors get
    // plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi);
    // `try_init`: tests start several applications in one process.
    let _ = if config.is_production() {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    } else {
        builder.compact().try_init()
    };
}

/// The span for one HTTP request, named after the request id so that every
/// log line inside can be correlated with the response's `x-request-id`.
pub fn request_span(request: &Request<Body>) -> tracing::Span {
    let request_id = request
        .headers()
        .get(crate::http::middleware::REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %request_id,
    )
}
