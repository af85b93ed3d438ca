//! Operational endpoints for load balancers and orchestrators.

use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use serde_json::json;

use super::problem::Problem;
use crate::state::AppState;

/// Liveness: 200 while the process runs and serves requests.
pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Readiness: 200 when the database answers, 503 problem+json when it does
/// not, so a load balancer stops sending traffic to this node.
pub async fn readyz(State(state): State<AppState>) -> axum::response::Response {
    if app::db::is_ready(&state.db).await {
        Json(json!({ "status": "ready" })).into_response()
    } else {
        tracing::warn!("readiness probe failed: the database does not answer");
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "The database does not answer; try again shortly.",
        )
        .into_response()
    }
}
