//! `GET /metrics`: the Prometheus text format, only where configured
//! (`app::config::MetricsConfig`): on a listener of its own
//! (`METRICS_ADDR`), or on the main port behind a bearer token
//! (`METRICS_TOKEN`). With neither, the route does not exist.
//!
//! The `metrics` facade has one recorder per process, installed at most once;
//! several applications in one process (the integration tests) share it, and
//! each one's `/metrics` renders the same registry.

use std::{sync::Arc, sync::OnceLock, time::Duration};

use app::{auth::AuthError, config::Config};
use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::api::error::ApiError;

/// The Prometheus text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How often histograms are folded into their buckets when nobody scrapes,
/// so recorded samples never pile up.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process's recorder, installed on first use, and the handle that
/// renders it.
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(app::metrics::HTTP_REQUEST_DURATION_SECONDS.into()),
                app::metrics::HTTP_DURATION_BUCKETS,
            )
            .and_then(|builder| {
                builder.set_buckets_for_metric(
                    Matcher::Full(app::metrics::PASSWORD_HASH_WAIT_SECONDS.into()),
                    app::metrics::HASH_WAIT_BUCKETS,
                )
            })
            .expect("the bucket lists are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics shows none of it");
        }
        app::metrics::describe();
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            })
            .expect("the metrics upkeep thread starts");
        handle
    })
}

/// Who may scrape: the token, if one is configured.
#[derive(Clone)]
pub struct Scrape {
    config: Arc<Config>,
}

/// `/metrics` alone, for `METRICS_ADDR`'s own listener.
pub fn own_router(config: Arc<Config>) -> Router {
    Router::new().route("/metrics", get(scrape).with_state(Scrape { config }))
}

/// `/metrics` for the main router, when it serves it (behind the token).
pub fn add_to<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    config: &Arc<Config>,
) -> Router<S> {
    if !config.metrics.on_main_port() {
        return router;
    }
    let scrape_state = Scrape {
        config: Arc::clone(config),
    };
    router.route("/metrics", get(scrape).with_state(scrape_state))
}

async fn scrape(State(Scrape { config }): State<Scrape>, headers: HeaderMap) -> Response {
    if let Some(token) = &config.metrics.token {
        if let Err(refusal) = bearer_matches(&headers, |presented| token.matches(presented)) {
            return ApiError::from(refusal).into_response();
        }
    }
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
        recorder().render(),
    )
        .into_response()
}

/// `Authorization: Bearer <token>` with the right token, or the 401 to
/// answer: `unauthenticated` without one, `invalid_token` with another.
fn bearer_matches(headers: &HeaderMap, matches: impl Fn(&str) -> bool) -> Result<(), AuthError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(AuthError::Unauthenticated)?;
    let presented = value
        .to_str()
        .ok()
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .ok_or(AuthError::InvalidToken)?;
    if matches(presented) {
        Ok(())
    } else {
        Err(AuthError::InvalidToken)
    }
}
