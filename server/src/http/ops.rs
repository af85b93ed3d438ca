//! Operational endpoints for load balancers and orchestrators.

use app::{auth::limits::StoreStatus, error_code::ErrorCode};
use axum::{extract::State, response::IntoResponse, Json};
use serde_json::json;

use super::api::error::code_problem;
use crate::state::AppState;

/// Liveness: 200 while the process runs and serves requests.
pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Readiness: 200 when the database answers, 503 problem+json when it does
/// not, so a load balancer stops sending traffic to this node. The body
/// says where rate limits are counted (`local`, `redis`, or
/// `local_fallback` while Redis does not answer, listed under `degraded`:
/// the node still serves, with limits of its own).
pub async fn readyz(State(state): State<AppState>) -> axum::response::Response {
    if app::db::is_ready(&state.db).await {
        let limits = state.auth.limits().status();
        let mut body = json!({ "status": "ready", "rate_limits": limits.as_str() });
        if limits == StoreStatus::RedisUnavailable {
            body["degraded"] = json!(["redis"]);
        }
        Json(body).into_response()
    } else {
        tracing::warn!("readiness probe failed: the database does not answer");
        code_problem(ErrorCode::DatabaseUnavailable, None).into_response()
    }
}
