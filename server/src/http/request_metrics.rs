//! Every request counted and timed (`gatehouse_http_requests_total`,
//! `gatehouse_http_request_duration_seconds`) by the route that matched it:
//! the template (`/api/admin/users/{id}`), never the path, so no id or
//! token reaches a label and the number of series stays fixed. Requests no
//! route matched (static files, unknown paths) share one label.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request},
    http::Method,
    middleware::Next,
    response::Response,
};

/// Axum middleware; added outside every other layer only when metrics are
/// on, so it costs nothing otherwise.
pub async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = method_label(request.method());
    let response = next.run(request).await;
    let route = route
        .as_ref()
        .map_or(app::metrics::UNMATCHED_ROUTE, MatchedPath::as_str);
    app::metrics::http_request(route, method, response.status().as_u16(), started.elapsed());
    response
}

/// The standard methods by name; any other (a client may send anything)
/// as `other`, so a label never takes a value a client made up.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
