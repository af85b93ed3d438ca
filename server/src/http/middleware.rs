//! Middleware every request passes through, outermost first: a request id is
//! assigned (or a well-formed incoming one kept), the request is traced in a
//! span carrying that id, the id is echoed on the response, and a panic in a
//! handler becomes a generic 500 problem+json instead of a dropped
//! connection.

use axum::Router;
use http::HeaderName;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
    LatencyUnit,
};
use tracing::Level;

pub use app::auth::request::meta::REQUEST_ID_HEADER;

pub fn wrap(router: Router) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(crate::telemetry::request_span)
                    .on_response(
                        DefaultOnResponse::new()
                            .level(Level::INFO)
                            .latency_unit(LatencyUnit::Micros),
                    ),
            )
            .layer(PropagateRequestIdLayer::new(request_id))
            .layer(CatchPanicLayer::custom(panic_response)),
    )
}

/// The answer for a handler that panicked: a bug, logged in the request's
/// span, never described to the client.
fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    tracing::error!("a request handler panicked");
    super::api::error::code_problem(app::error_code::ErrorCode::InternalError, None).into_response()
}
