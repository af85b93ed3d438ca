//! The HTTP edge: routes, middleware and the problem+json error format.

pub mod api;
pub mod cache_control;
pub mod cookie_session_store;
pub mod metrics_endpoint;
pub mod middleware;
pub mod ops;
pub mod problem;
pub mod request_metrics;
pub mod same_origin;
pub mod security_headers;
pub mod well_known;

use app::{shell, App};
use axum::{routing::get, Router};
use leptos::{nonce::provide_nonce, prelude::provide_context};
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};

use crate::state::AppState;

/// The page routes, found once per process by rendering the app. Leptos
/// suspends every resource of the process while it does so (a process-wide
/// flag, leptos-rs/leptos#4773), and a resource that starts then never
/// finishes; so it must not run while another server in the same process
/// (the integration tests start many) is rendering pages.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole application: operational endpoints (with `/metrics` when it is
/// served on this port), the Leptos pages and static files, wrapped in the
/// middleware every request goes through, and counted when metrics are on.
pub fn router(state: AppState) -> Router {
    let routes = page_routes();
    let leptos_options = state.leptos_options.clone();
    let context_state = state.clone();
    let fallback_state = state.clone();
    let production = state.config.is_production();
    let metrics_on = state.config.metrics.enabled();

    let ops = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route(well_known::JWKS_PATH, get(well_known::jwks))
        .route(
            well_known::OPENID_CONFIGURATION_PATH,
            get(well_known::openid_configuration),
        );
    let router = metrics_endpoint::add_to(ops, &state.config)
        .merge(api::router(&state))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_nonce();
                provide_context(context_state.auth.clone());
                provide_context(app::page_context::PrincipalOnce::default());
            },
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            move || {
                provide_nonce();
                provide_context(fallback_state.auth.clone());
                provide_context(app::page_context::PrincipalOnce::default());
            },
            shell,
        ))
        .layer(cookie_session_store::layer(state.db.clone(), production))
        .layer(axum::middleware::from_fn(same_origin::check))
        .layer(axum::middleware::from_fn(move |request, next| {
            security_headers::add(production, request, next)
        }))
        .layer(axum::middleware::from_fn(
            cache_control::no_store_unless_static,
        ))
        .with_state(state);
    let router = middleware::wrap(router);
    if metrics_on {
        router.layer(axum::middleware::from_fn(request_metrics::record))
    } else {
        router
    }
}
