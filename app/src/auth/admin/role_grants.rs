//! Two rules of changing roles that must hold under concurrency and against
//! a partial administrator:
//!
//! - A granter may add or take away only roles whose every permission they
//!   hold themselves (`*` covers all): `users:write` alone cannot mint an
//!   `admin`, nor demote one.
//! - Role changes are serialised. The first statement of every role-change
//!   transaction writes the `admin` row of `roles` (to itself): on
//!   PostgreSQL that row lock queues concurrent changes, on SQLite the
//!   statement takes the database write lock. So the "last administrator"
//!   count that follows sees every earlier change committed, and two
//!   administrators demoting each other at once cannot both succeed.

use sea_orm::{
    sea_query::{Alias, Expr, Query},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::auth::{
    error::AuthError,
    permissions::{roles_of, ALL_PERMISSIONS, ROLE_ADMIN},
};
use crate::entities::role_permissions;

/// Queues this transaction behind every other role change (see above).
pub(crate) async fn serialise_role_changes(db: &impl ConnectionTrait) -> Result<(), AuthError> {
    let description = Alias::new("description");
    let statement = Query::update()
        .table(Alias::new("roles"))
        .value(description.clone(), Expr::col(description))
        .and_where(Expr::col(Alias::new("name")).eq(ROLE_ADMIN))
        .to_owned();
    db.execute(db.get_database_backend().build(&statement))
        .await?;
    Ok(())
}

/// `Forbidden` unless `granter` holds every permission of every role that
/// changing `from` into `to` adds or removes. Acting through an API token,
/// the granter holds only what is both theirs and among the token's
/// `scopes` (never `*`).
pub(crate) async fn check_granter_may_change(
    db: &impl ConnectionTrait,
    granter: Uuid,
    scopes: Option<&[String]>,
    from: &[String],
    to: &[String],
) -> Result<(), AuthError> {
    let changed: Vec<String> = from
        .iter()
        .filter(|role| !to.contains(role))
        .chain(to.iter().filter(|role| !from.contains(role)))
        .cloned()
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let mut held = permissions_of(db, &roles_of(db, granter).await?).await?;
    if let Some(scopes) = scopes {
        let everything = held.iter().any(|p| p == ALL_PERMISSIONS);
        held = scopes
            .iter()
            .filter(|scope| everything || held.contains(scope))
            .cloned()
            .collect();
    }
    if held.iter().any(|p| p == ALL_PERMISSIONS) {
        return Ok(());
    }
    let needed = permissions_of(db, &changed).await?;
    if needed.iter().all(|permission| held.contains(permission)) {
        Ok(())
    } else {
        Err(AuthError::Forbidden)
    }
}

/// Every permission the roles grant, `*` included as written.
async fn permissions_of(
    db: &impl ConnectionTrait,
    roles: &[String],
) -> Result<Vec<String>, AuthError> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    Ok(role_permissions::Entity::find()
        .select_only()
        .column(role_permissions::Column::Permission)
        .filter(role_permissions::Column::Role.is_in(roles.iter().cloned()))
        .distinct()
        .into_tuple()
        .all(db)
        .await?)
}
