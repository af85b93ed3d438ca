//! Roles and permissions. The permission map is data (`role_permissions`),
//! checked here and only here, against the database on every check — so a
//! demoted administrator loses access at once, and `grant` extends the map at
//! run time for every node.

use sea_orm::{
    sea_query::{Expr, Query},
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::auth::{error::AuthError, ids::UserId, AuthService};
use crate::entities::{role_permissions, user_roles};

pub const ROLE_ADMIN: &str = "admin";
pub const ROLE_EDITOR: &str = "editor";
pub const ROLE_VIEWER: &str = "viewer";
/// Granted to every new account.
pub const DEFAULT_ROLE: &str = ROLE_VIEWER;
/// Held by `admin`: every permission, including ones added later.
pub const ALL_PERMISSIONS: &str = "*";

pub const USERS_READ: &str = "users:read";
pub const USERS_WRITE: &str = "users:write";
pub const AUDIT_READ: &str = "audit:read";
/// Registering and revoking the resource servers that may introspect
/// tokens. Only `*` holds it unless the map is extended.
pub const RESOURCE_SERVERS_WRITE: &str = "resource_servers:write";
/// The permissions Gatehouse's own endpoints check (held through `*` unless
/// the map names them): with the map's own, what a token's scope may be.
pub const BUILT_IN_PERMISSIONS: [&str; 4] =
    [USERS_READ, USERS_WRITE, AUDIT_READ, RESOURCE_SERVERS_WRITE];

/// The roles of a user, sorted.
pub async fn roles_of(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<String>, AuthError> {
    let mut roles: Vec<String> = user_roles::Entity::find()
        .select_only()
        .column(user_roles::Column::Role)
        .filter(user_roles::Column::UserId.eq(user_id))
        .into_tuple()
        .all(db)
        .await?;
    roles.sort();
    Ok(roles)
}

impl AuthService {
    /// Whether any role of the user grants `permission` (or `*`).
    #[tracing::instrument(skip_all, fields(user_id = %user_id))]
    pub async fn has_permission(
        &self,
        user_id: UserId,
        permission: &str,
    ) -> Result<bool, AuthError> {
        let granted = role_permissions::Entity::find()
            .filter(
                role_permissions::Column::Role.in_subquery(
                    Query::select()
                        .column(user_roles::Column::Role)
                        .from(user_roles::Entity)
                        .and_where(Expr::col(user_roles::Column::UserId).eq(user_id))
                        .to_owned(),
                ),
            )
            .filter(role_permissions::Column::Permission.is_in([permission, ALL_PERMISSIONS]))
            .count(self.db())
            .await?;
        Ok(granted > 0)
    }

    /// Adds a permission to a role (idempotent).
    #[tracing::instrument(skip_all)]
    pub async fn grant_permission(&self, role: &str, permission: &str) -> Result<(), AuthError> {
        use sea_orm::{sea_query::OnConflict, ActiveValue::Set};
        role_permissions::Entity::insert(role_permissions::ActiveModel {
            role: Set(role.to_string()),
            permission: Set(permission.to_string()),
        })
        .on_conflict(
            OnConflict::columns([
                role_permissions::Column::Role,
                role_permissions::Column::Permission,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(self.db())
        .await?;
        Ok(())
    }
}
