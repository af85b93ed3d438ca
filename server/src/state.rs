//! What every handler can reach: the service, configuration, the database,
//! Leptos options.

use std::sync::Arc;

use app::{auth::AuthService, config::Config};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

/// Cheap to clone: everything inside is shared.
#[derive(Clone)]
pub struct AppState {
    pub auth: AuthService,
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    pub leptos_options: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
