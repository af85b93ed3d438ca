//! Middleware every request passes through, outermost first: a request id is
//! assigned (or a well-formed incoming one kept), the request is traced in a
//! span carrying that id, and the id is echoed on the response.

use axum::Router;
use http::HeaderName;
use tower::ServiceBuilder;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
    LatencyUnit,
};
use tracing::Level;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

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
            .layer(PropagateRequestIdLayer::new(request_id)),
    )
}
