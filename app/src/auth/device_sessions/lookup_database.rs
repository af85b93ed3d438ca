//! The default session lookup: one query reads the session, its account and
//! the account's current roles together, so a revocation or a role taken
//! away counts on the very next request without a second round trip.

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    JoinType, QueryFilter, QueryResult, QuerySelect, RelationDef,
};

use super::{is_active, ActiveSession, SessionKind, SessionLookup};
use crate::auth::{
    error::AuthError,
    ids::{SessionId, UserId},
    principal::Account,
};
use crate::entities::{device_sessions, user_roles, users};

pub struct DatabaseSessions {
    db: DatabaseConnection,
}

impl DatabaseSessions {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// One row of the lookup: the session and one role of its account (the
/// roles are LEFT JOINed, so an account without roles gives one row with
/// none).
struct SessionWithRole {
    session: device_sessions::Model,
    role: Option<String>,
}

impl FromQueryResult for SessionWithRole {
    fn from_query_result(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        Ok(Self {
            session: device_sessions::Model::from_query_result(row, prefix)?,
            role: row.try_get("", "role")?,
        })
    }
}

#[async_trait::async_trait]
impl SessionLookup for DatabaseSessions {
    async fn active_session(
        &self,
        session: SessionId,
        user: UserId,
        kind: SessionKind,
        now: DateTime<Utc>,
    ) -> Result<Option<ActiveSession>, AuthError> {
        let roles_of_session: RelationDef = device_sessions::Entity::belongs_to(user_roles::Entity)
            .from(device_sessions::Column::UserId)
            .to(user_roles::Column::UserId)
            .into();
        let rows = device_sessions::Entity::find_by_id(session.as_uuid())
            .filter(device_sessions::Column::UserId.eq(user))
            .filter(device_sessions::Column::Kind.eq(kind.as_str()))
            .find_also_related(users::Entity)
            .join(JoinType::LeftJoin, roles_of_session)
            .column_as(user_roles::Column::Role, "role")
            .into_model::<SessionWithRole, users::Model>()
            .all(&self.db)
            .await?;
        let mut roles: Vec<String> = rows
            .iter()
            .filter_map(|(row, _)| row.role.clone())
            .collect();
        roles.sort();
        roles.dedup();
        Ok(rows
            .into_iter()
            .next()
            .and_then(|(row, user)| Some((row.session, user?)))
            .filter(|(session, user)| is_active(session, now) && user.is_active)
            .map(|(session, user)| ActiveSession {
                session_id: session.id.into(),
                account: Account::of(&user),
                roles,
                created_at: session.created_at,
                last_activity: session.last_activity,
            }))
    }

    async fn record_activity(
        &self,
        session: SessionId,
        now: DateTime<Utc>,
    ) -> Result<(), AuthError> {
        device_sessions::Entity::update_many()
            .col_expr(device_sessions::Column::LastActivity, Expr::value(now))
            .filter(device_sessions::Column::Id.eq(session))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
