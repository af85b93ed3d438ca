//! `/healthz`, `/readyz` and the request id.

use crate::helpers::TestApp;

crate::backend_tests!(
    healthz_answers_while_the_process_runs,
    readyz_is_ok_when_the_database_answers,
    readyz_is_503_problem_json_when_the_database_is_gone,
    every_response_carries_a_fresh_request_id,
    a_well_formed_incoming_request_id_is_kept,
);

async fn healthz_answers_while_the_process_runs(app: TestApp) {
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

async fn readyz_is_ok_when_the_database_answers(app: TestApp) {
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(
        body["rate_limits"], "local",
        "no REDIS_URL: one node's limits"
    );
}

async fn readyz_is_503_problem_json_when_the_database_is_gone(app: TestApp) {
    // Closing the shared pool makes every query fail, as a database that
    // went away would.
    app.state.db.clone().close().await.unwrap();

    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], 503);
    assert_eq!(body["code"], "database_unavailable");
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string());

    // Liveness is unaffected: the process still runs.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

async fn every_response_carries_a_fresh_request_id(app: TestApp) {
    let first = app.get("/healthz").await;
    let second = app.get("/healthz").await;
    let id = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_string();
    let (a, b) = (id(&first), id(&second));
    assert!(uuid::Uuid::parse_str(&a).is_ok(), "{a}");
    assert_ne!(a, b);
}

async fn a_well_formed_incoming_request_id_is_kept(app: TestApp) {
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-1234")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-1234");
}
