//! The session lookup is a seam: whatever `SessionLookup` the service is
//! built with answers every authenticated request (so a cache can sit
//! there), and what it says counts — a session it no longer vouches for is
//! refused at once.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc, Mutex,
};

use app::auth::{
    device_sessions::{ActiveSession, DatabaseSessions, SessionKind, SessionLookup},
    limits::InMemoryBudgets,
    AuthError, AuthService, Seams, SessionId, UserId,
};
use chrono::{DateTime, Utc};

use crate::helpers::TestApp;

crate::backend_tests!(every_authenticated_request_asks_the_configured_lookup);

/// The database lookup, counted, with a list of sessions it refuses as a
/// cache that heard of a revocation would.
struct Counting {
    inner: DatabaseSessions,
    asked: AtomicUsize,
    refused: Mutex<Vec<SessionId>>,
}

#[async_trait::async_trait]
impl SessionLookup for Counting {
    async fn active_session(
        &self,
        session: SessionId,
        user: UserId,
        kind: SessionKind,
        now: DateTime<Utc>,
    ) -> Result<Option<ActiveSession>, AuthError> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        if self.refused.lock().unwrap().contains(&session) {
            return Ok(None);
        }
        self.inner.active_session(session, user, kind, now).await
    }

    async fn record_activity(
        &self,
        session: SessionId,
        now: DateTime<Utc>,
    ) -> Result<(), AuthError> {
        self.inner.record_activity(session, now).await
    }
}

async fn every_authenticated_request_asks_the_configured_lookup(app: TestApp) {
    let lookup = Arc::new(Counting {
        inner: DatabaseSessions::new(app.state.db.clone()),
        asked: AtomicUsize::new(0),
        refused: Mutex::new(Vec::new()),
    });
    let auth = AuthService::with_seams(
        app.state.db.clone(),
        app.state.config.clone(),
        Arc::new(app.clock.clone()),
        Seams {
            budgets: Arc::new(InMemoryBudgets::from_config(&app.state.config)),
            sessions: lookup.clone(),
        },
    )
    .await
    .unwrap();
    let tokens = app.signed_up("sam").await;

    let principal = auth.authenticate(&tokens.access_token).await.unwrap();
    assert_eq!(principal.account.username, "sam");
    auth.authenticate(&tokens.access_token).await.unwrap();
    assert_eq!(lookup.asked.load(Ordering::SeqCst), 2);

    // The lookup's word is final: the row is still active in the database.
    lookup.refused.lock().unwrap().push(principal.session_id);
    assert!(matches!(
        auth.authenticate(&tokens.access_token).await,
        Err(AuthError::InvalidToken)
    ));
    assert_eq!(lookup.asked.load(Ordering::SeqCst), 3);
    // The application's own service (the default lookup) still accepts it.
    app.state
        .auth
        .authenticate(&tokens.access_token)
        .await
        .unwrap();
}
