//! The JSON API (API.md): routes, the rate limit of each door (`/api/auth/*`
//! is `Door::Public`, `/api/admin/*` is `Door::Admin`, `/api/oauth/*` is
//! `Door::Introspection`), the body-size limit and CORS.

pub mod admin;
pub mod api_tokens;
pub mod auth;
pub mod error;
pub mod extract;
pub mod introspection;
pub mod openapi;
pub mod recovery;
pub mod resource_servers;
pub mod two_factor;

use axum::{
    extract::{DefaultBodyLimit, Request, State},
    http::{header, HeaderValue, Method},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{delete, get, post, put},
    Router,
};
use tower_http::cors::{AllowOrigin, CorsLayer};

use app::auth::limits::Door;

use crate::state::AppState;
use error::ApiError;

/// Where resource servers introspect tokens (named by the provider metadata).
pub const INTROSPECTION_PATH: &str = "/api/oauth/introspect";

/// Request bodies above this get 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn router(state: &AppState) -> Router<AppState> {
    let auth_routes = Router::new()
        .route("/login", post(auth::login))
        .route("/register", post(auth::register))
        .route("/refresh", post(auth::refresh))
        .route("/logout", post(auth::logout))
        .route("/logout-all", post(auth::logout_all))
        .route("/me", get(auth::me))
        .route("/change-password", post(auth::change_password))
        .route("/sessions", get(auth::sessions))
        .route("/sessions/{id}", delete(auth::revoke_session))
        .route("/activity", get(auth::activity))
        .route("/tokens", get(api_tokens::list).post(api_tokens::create))
        .route("/tokens/{id}", delete(api_tokens::revoke))
        .route("/forgot-password", post(recovery::forgot_password))
        .route("/reset-password", post(recovery::reset_password))
        .route("/verify-email", post(recovery::verify_email))
        .route("/resend-verification", post(recovery::resend_verification))
        .route("/setup-2fa", post(two_factor::setup))
        .route("/verify-2fa-setup", post(two_factor::verify_setup))
        .route("/disable-2fa", post(two_factor::disable))
        .route("/backup-codes", get(two_factor::backup_codes))
        .route(
            "/regenerate-backup-codes",
            post(two_factor::regenerate_backup_codes),
        )
        .route("/login/verify-2fa", post(two_factor::login_with_totp))
        .route(
            "/login/verify-backup-code",
            post(two_factor::login_with_backup_code),
        )
        .route_layer(middleware::from_fn_with_state(
            (state.clone(), Door::Public),
            admit,
        ));

    let admin_routes = Router::new()
        .route("/users", get(admin::list_users))
        .route("/users/{id}", get(admin::user_detail))
        .route("/users/{id}/roles", put(admin::set_roles))
        .route("/users/{id}/unlock", post(admin::unlock))
        .route("/users/{id}/revoke-sessions", post(admin::revoke_sessions))
        .route("/users/{id}/2fa", delete(admin::remove_two_factor))
        .route("/audit-log", get(admin::audit_log))
        .route(
            "/resource-servers",
            get(resource_servers::list).post(resource_servers::create),
        )
        .route("/resource-servers/{id}", delete(resource_servers::revoke))
        .route_layer(middleware::from_fn_with_state(
            (state.clone(), Door::Admin),
            admit,
        ));

    let oauth_routes = Router::new()
        .route("/introspect", post(introspection::introspect))
        .route_layer(middleware::from_fn_with_state(
            (state.clone(), Door::Introspection),
            admit,
        ));

    let docs = utoipa_swagger_ui::SwaggerUi::new("/docs").url(
        "/api/openapi.json",
        <openapi::ApiDoc as utoipa::OpenApi>::openapi(),
    );

    Router::new()
        .merge(docs)
        .nest("/api/auth", auth_routes)
        .nest("/api/admin", admin_routes)
        .nest("/api/oauth", oauth_routes)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(cors(state))
}

/// The per-IP limit of `door` (the policy in `app::auth::limits` says which
/// budget that is) in front of every route of a router. Per-account limits
/// are spent by the service once the caller is known.
async fn admit(
    State((state, door)): State<(AppState, Door)>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let meta = extract::request_meta(&parts, &state);
    if let Err(error) = state.auth.limits().admit_ip(door, meta.ip).await {
        return ApiError::from(error).into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Only the configured origins may call the API from a browser; tokens travel
/// in headers, so credentials (cookies) are never allowed cross-origin.
fn cors(state: &AppState) -> CorsLayer {
    let origins: Vec<HeaderValue> = state
        .config
        .cors_origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::RETRY_AFTER, header::WWW_AUTHENTICATE])
        .max_age(std::time::Duration::from_secs(600))
}
