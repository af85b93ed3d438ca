//! Refresh-token rotation, with reuse detection.

use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::{is_active, SessionKind};
use crate::auth::{
    audit::{AuditAction, AuditEvent},
    device_sessions::tokens,
    error::AuthError,
    permissions::roles_of,
    request::meta::RequestMeta,
    AuthService,
};
use crate::{entities::device_sessions as sessions, types::TokenPair};

impl AuthService {
    /// Rotates a refresh token. The conditional UPDATE lets exactly one of
    /// any number of concurrent uses win; a valid token of an older
    /// generation is a replay, which revokes the session (RFC 9700 §4.14).
    #[tracing::instrument(skip_all)]
    pub async fn refresh(
        &self,
        refresh_token: &str,
        meta: &RequestMeta,
    ) -> Result<TokenPair, AuthError> {
        let (session_id, generation) =
            tokens::verify_refresh(self.keys(), refresh_token).ok_or(AuthError::InvalidToken)?;
        let now = self.now();
        let rotated = sessions::Entity::update_many()
            .col_expr(
                sessions::Column::RefreshGeneration,
                Expr::col(sessions::Column::RefreshGeneration).add(1),
            )
            .col_expr(sessions::Column::LastActivity, Expr::value(now))
            .col_expr(
                sessions::Column::ExpiresAt,
                Expr::value(now + self.refresh_ttl()),
            )
            .filter(sessions::Column::Id.eq(session_id))
            .filter(sessions::Column::Kind.eq(SessionKind::Api.as_str()))
            .filter(sessions::Column::RefreshGeneration.eq(generation))
            .filter(sessions::Column::RevokedAt.is_null())
            .filter(sessions::Column::ExpiresAt.gt(now))
            .filter(sessions::Column::CreatedAt.gt(now - self.absolute_lifetime()))
            .exec(self.db())
            .await?;

        let session = sessions::Entity::find_by_id(session_id)
            .one(self.db())
            .await?;
        if rotated.rows_affected == 1 {
            let session = session.ok_or(AuthError::InvalidToken)?;
            let roles = roles_of(self.db(), session.user_id).await?;
            return self.tokens_for(session.user_id, session.id, generation + 1, roles);
        }
        if let Some(session) = session.as_ref().filter(|s| {
            is_active(s, now)
                && s.refresh_generation == generation
                && s.created_at <= now - self.absolute_lifetime()
        }) {
            // Past its absolute lifetime: the session ends here.
            self.revoke_where(
                sessions::Column::Id.eq(session.id),
                "absolute_lifetime_reached",
            )
            .await?;
            return Err(AuthError::InvalidToken);
        }
        if let Some(session) =
            session.filter(|s| s.revoked_at.is_none() && s.refresh_generation > generation)
        {
            self.revoke_where(sessions::Column::Id.eq(session.id), "refresh_token_reused")
                .await?;
            self.audit(
                AuditEvent::new(AuditAction::RefreshTokenReused)
                    .user(session.user_id)
                    .details(
                        json!({ "session_id": session.id, "presented_generation": generation }),
                    ),
                meta,
            )
            .await?;
        }
        Err(AuthError::InvalidToken)
    }
}
