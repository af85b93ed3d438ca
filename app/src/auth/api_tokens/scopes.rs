//! What a personal API token may be given. A scope is `profile:read`
//! (reading one's own profile, which every account may do) or a permission
//! of the permission map (`users:read`, `audit:read`, ... but never `*`),
//! and only one its owner holds when the token is made. At every use the
//! owner must still hold it (`AuthService::require_permission`).

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::auth::{
    error::{AuthError, FieldError},
    ids::UserId,
    permissions::{roles_of, ALL_PERMISSIONS, BUILT_IN_PERMISSIONS},
    AuthService,
};
use crate::entities::role_permissions;

/// Reading one's own profile (`GET /api/auth/me`).
pub const PROFILE_READ: &str = "profile:read";

/// The most scopes one token may name.
const MAX_SCOPES: usize = 32;

impl AuthService {
    /// Every scope there is: `profile:read`, the permissions Gatehouse's
    /// endpoints check, and each permission of the map.
    pub async fn known_scopes(&self) -> Result<Vec<String>, AuthError> {
        let mut scopes: Vec<String> = role_permissions::Entity::find()
            .select_only()
            .column(role_permissions::Column::Permission)
            .filter(role_permissions::Column::Permission.ne(ALL_PERMISSIONS))
            .distinct()
            .into_tuple()
            .all(self.db())
            .await?;
        scopes.push(PROFILE_READ.to_string());
        scopes.extend(BUILT_IN_PERMISSIONS.map(String::from));
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    }

    /// The scopes `user` may give a token now: those its roles grant (two
    /// queries, however many scopes there are).
    pub async fn grantable_scopes(&self, user: UserId) -> Result<Vec<String>, AuthError> {
        let roles = roles_of(self.db(), user.as_uuid()).await?;
        self.scopes_of_roles(&roles).await
    }

    /// `requested` as a token's scopes (sorted, without duplicates), if
    /// each is known and `user` holds it.
    pub(crate) async fn checked_scopes(
        &self,
        user: UserId,
        requested: &[String],
    ) -> Result<Vec<String>, AuthError> {
        let mut scopes: Vec<String> = requested
            .iter()
            .map(|scope| scope.trim().to_string())
            .filter(|scope| !scope.is_empty())
            .collect();
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err(invalid("required"));
        }
        if scopes.len() > MAX_SCOPES {
            return Err(invalid("unknown_scope"));
        }
        let known = self.known_scopes().await?;
        if let Some(unknown) = scopes.iter().find(|scope| !known.contains(scope)) {
            return Err(AuthError::Validation(vec![FieldError::detailed(
                "scopes",
                "unknown_scope",
                format!("Unknown scope {unknown:?}. Known scopes: {known:?}."),
            )]));
        }
        let grantable = self.grantable_scopes(user).await?;
        if let Some(not_held) = scopes.iter().find(|scope| !grantable.contains(scope)) {
            return Err(AuthError::Validation(vec![FieldError::detailed(
                "scopes",
                "scope_not_held",
                format!("You do not hold {not_held:?}, so a token of yours cannot either."),
            )]));
        }
        Ok(scopes)
    }
}

fn invalid(code: &'static str) -> AuthError {
    AuthError::Validation(vec![FieldError::new("scopes", code)])
}

impl AuthService {
    /// The scopes that `roles` grant: `profile:read` and their permissions
    /// (all known scopes for `*`).
    pub(crate) async fn scopes_of_roles(&self, roles: &[String]) -> Result<Vec<String>, AuthError> {
        if roles.is_empty() {
            return Ok(vec![PROFILE_READ.to_string()]);
        }
        let permissions: Vec<String> = role_permissions::Entity::find()
            .select_only()
            .column(role_permissions::Column::Permission)
            .filter(role_permissions::Column::Role.is_in(roles.iter().cloned()))
            .distinct()
            .into_tuple()
            .all(self.db())
            .await?;
        if permissions.iter().any(|p| p == ALL_PERMISSIONS) {
            return self.known_scopes().await;
        }
        let mut scopes = permissions;
        scopes.push(PROFILE_READ.to_string());
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    }
}
