//! Checking a session on every authenticated request: the bearer token or
//! the browser's cookie session names a session, which must be active, of
//! the right kind, and belong to an active account.
//!
//! The lookup itself is a seam (`SessionLookup`): the database answers by
//! default (`DatabaseSessions`); a cache can sit in front of it, provided
//! everything that ends a session or changes what it may do reaches it.

use chrono::{DateTime, Utc};

use super::SessionKind;
use crate::auth::principal::Principal;
use crate::auth::{
    device_sessions::tokens,
    error::AuthError,
    ids::{SessionId, UserId},
    principal::Account,
    AuthService,
};

/// An active session as a lookup finds it.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub session_id: SessionId,
    pub account: Account,
    /// Sorted, without duplicates.
    pub roles: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub last_activity: DateTime<Utc>,
}

/// Where the service asks whether a session is still good.
#[async_trait::async_trait]
pub trait SessionLookup: Send + Sync + 'static {
    /// The session `session` of `user`, of `kind`, if it is neither
    /// revoked nor expired at `now` and its account is active.
    async fn active_session(
        &self,
        session: SessionId,
        user: UserId,
        kind: SessionKind,
        now: DateTime<Utc>,
    ) -> Result<Option<ActiveSession>, AuthError>;

    /// Records that the session was used at `now`.
    async fn record_activity(
        &self,
        session: SessionId,
        now: DateTime<Utc>,
    ) -> Result<(), AuthError>;
}

impl AuthService {
    /// Verifies a bearer token and that its session is still active.
    #[tracing::instrument(skip_all, fields(user_id, session_id))]
    pub async fn authenticate(&self, access_token: &str) -> Result<Principal, AuthError> {
        let claims = tokens::verify_access(&self.signing_keys(), access_token, self.now())?;
        let principal = self
            .principal_for(claims.sid.into(), claims.sub.into(), SessionKind::Api)
            .await?;
        self.admit_signed_in(principal).await
    }

    /// The signed-in user of a browser, whose cookie session names the
    /// device session (so that "sign out everywhere" ends it too).
    #[tracing::instrument(skip_all, fields(%user_id, %session_id))]
    pub async fn authenticate_browser(
        &self,
        session_id: SessionId,
        user_id: UserId,
    ) -> Result<Principal, AuthError> {
        let principal = self
            .principal_for(session_id, user_id, SessionKind::Browser)
            .await?;
        self.admit_signed_in(principal).await
    }

    /// Every authenticated request spends its session's signed-in budget
    /// (`Door::SignedIn`), whichever transport and address it comes from.
    /// Per session, not per account: someone holding a stolen session can
    /// exhaust only that session's budget, never the owner's, so "sign out
    /// everywhere" and a password change always get through.
    async fn admit_signed_in(&self, principal: Principal) -> Result<Principal, AuthError> {
        self.limits()
            .admit_door(
                crate::auth::limits::Door::SignedIn,
                principal.session_id.as_uuid(),
            )
            .await?;
        Ok(principal)
    }

    /// The principal of an active session of `kind`; its activity is
    /// recorded at most once per `activity_resolution` (a policy), so an
    /// API client's every request does not turn into a database write.
    async fn principal_for(
        &self,
        session_id: SessionId,
        user_id: UserId,
        kind: SessionKind,
    ) -> Result<Principal, AuthError> {
        let now = self.now();
        let found = self
            .session_lookup()
            .active_session(session_id, user_id, kind, now)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        if now - found.last_activity > self.policies().activity_resolution {
            self.session_lookup()
                .record_activity(session_id, now)
                .await?;
        }
        let span = tracing::Span::current();
        span.record("user_id", tracing::field::display(user_id));
        span.record("session_id", tracing::field::display(session_id));
        Ok(Principal {
            user_id: found.account.id,
            session_id: found.session_id,
            account: found.account,
            roles: found.roles,
            signed_in_at: found.created_at,
        })
    }
}
