//! Checking a session on every authenticated request: the bearer token or
//! the browser's cookie session names a `sessions` row, read with its
//! account and roles in one query.

use sea_orm::{
    sea_query::Expr, ColumnTrait, DbErr, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryResult, QuerySelect, RelationDef,
};
use uuid::Uuid;

use super::{is_active, Principal, SessionKind};
use crate::auth::{device_sessions::tokens, error::AuthError, AuthService};
use crate::entities::{device_sessions as sessions, user_roles, users};

/// One row of the principal query: the session and one role of its account
/// (the roles are LEFT JOINed, so an account without roles gives one row
/// with none).
struct SessionWithRole {
    session: sessions::Model,
    role: Option<String>,
}

impl FromQueryResult for SessionWithRole {
    fn from_query_result(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        Ok(Self {
            session: sessions::Model::from_query_result(row, prefix)?,
            role: row.try_get("", "role")?,
        })
    }
}
impl AuthService {
    /// Verifies a bearer token and that its session is still active.
    pub async fn authenticate(&self, access_token: &str) -> Result<Principal, AuthError> {
        let claims = tokens::verify_access(self.keys(), access_token, self.now())?;
        let principal = self
            .principal_for(claims.sid, claims.sub, SessionKind::Api)
            .await?;
        self.admit_signed_in(principal).await
    }

    /// The signed-in user of a browser, whose cookie session names the
    /// `sessions` row (so that "sign out everywhere" ends it too).
    pub async fn authenticate_browser(
        &self,
        session_id: Uuid,
        user_id: Uuid,
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
            .admit_door(crate::auth::limits::Door::SignedIn, principal.session_id)
            .await?;
        Ok(principal)
    }

    /// The principal of an active session of `kind`. One query reads the
    /// session, its account and the account's current roles together: this
    /// runs on every authenticated request, so a role taken away counts at
    /// once without a second round trip.
    async fn principal_for(
        &self,
        session_id: Uuid,
        user_id: Uuid,
        kind: SessionKind,
    ) -> Result<Principal, AuthError> {
        let now = self.now();
        let roles_of_session: RelationDef = sessions::Entity::belongs_to(user_roles::Entity)
            .from(sessions::Column::UserId)
            .to(user_roles::Column::UserId)
            .into();
        let rows = sessions::Entity::find_by_id(session_id)
            .filter(sessions::Column::UserId.eq(user_id))
            .filter(sessions::Column::Kind.eq(kind.as_str()))
            .find_also_related(users::Entity)
            .join(JoinType::LeftJoin, roles_of_session)
            .column_as(user_roles::Column::Role, "role")
            .into_model::<SessionWithRole, users::Model>()
            .all(self.db())
            .await?;
        let mut roles: Vec<String> = rows
            .iter()
            .filter_map(|(row, _)| row.role.clone())
            .collect();
        roles.sort();
        roles.dedup();
        let (session, user) = rows
            .into_iter()
            .next()
            .and_then(|(row, user)| Some((row.session, user?)))
            .filter(|(session, user)| is_active(session, now) && user.is_active)
            .ok_or(AuthError::InvalidToken)?;
        if now - session.last_activity > self.policies().activity_resolution {
            sessions::Entity::update_many()
                .col_expr(sessions::Column::LastActivity, Expr::value(now))
                .filter(sessions::Column::Id.eq(session.id))
                .exec(self.db())
                .await?;
        }
        Ok(Principal {
            user_id: session.user_id,
            session_id: session.id,
            user,
            roles,
            signed_in_at: session.created_at,
        })
    }
}
