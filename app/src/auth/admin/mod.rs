//! Administration: find accounts, set roles, unlock, end a user's sessions,
//! read the audit log. Every method takes the acting administrator and checks
//! the permission itself (deny by default), so no transport can forget to.

pub(crate) mod role_grants;
pub mod two_factor;

use sea_orm::{
    sea_query::{Expr, LikeExpr},
    ActiveValue::Set,
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::{
    audit::{self, AuditAction, AuditActor, AuditEvent},
    clock::rfc3339,
    device_sessions::revoke_where,
    error::{AuthError, FieldError},
    identity::{search_forms, Email},
    ids::UserId,
    lockout::{self, Counter},
    permissions::{roles_of, AUDIT_READ, ROLE_ADMIN, USERS_READ, USERS_WRITE},
    principal::Account,
    principal::{Caller, TokenPrincipal},
    request::meta::RequestMeta,
    AuthService, Principal,
};
use crate::{
    entities::{device_sessions as sessions, user_roles, users},
    types::{AdminUser, AdminUserPage, AuditPage},
};

pub const MAX_USERS_PAGE: u64 = 100;

/// Who performs an administrative action: an administrator signed in, one
/// of their personal API tokens (within its scopes), or the operator at the
/// server's command line (`server admin ...`).
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    User(&'a Principal),
    ApiToken(&'a TokenPrincipal),
    Operator,
}

impl<'a> Actor<'a> {
    /// The acting account (none: the operator).
    pub(crate) fn id(self) -> Option<Uuid> {
        match self {
            Self::User(principal) => Some(principal.user_id.as_uuid()),
            Self::ApiToken(token) => Some(token.user_id.as_uuid()),
            Self::Operator => None,
        }
    }

    /// Who to name in the audit log: the account, and the token it used.
    pub(crate) fn audited(self) -> AuditActor {
        match self {
            Self::ApiToken(token) => AuditActor::token(token),
            other => AuditActor::account(other.id()),
        }
    }

    /// The actor behind a bearer credential.
    pub fn of(caller: &'a Caller) -> Self {
        match caller {
            Caller::Session(principal) => Self::User(principal),
            Caller::ApiToken(token) => Self::ApiToken(token),
        }
    }
}

impl AuthService {
    /// Refuses (and audits) a caller without `permission`. Every call is an
    /// admin operation and spends the account's admin budget first
    /// (`Door::Admin`), so no account can drive admin work or audit writes
    /// without bound. An API token needs the permission as a scope *and*
    /// its owner must still hold it: a token never outlives a demotion, and
    /// never reaches further than it was given.
    #[tracing::instrument(skip_all, fields(actor = ?actor.id()))]
    pub async fn require_permission(
        &self,
        actor: Actor<'_>,
        permission: &str,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let (user_id, scoped) = match actor {
            Actor::Operator => return Ok(()),
            Actor::User(principal) => (principal.user_id, true),
            Actor::ApiToken(token) => (token.user_id, token.has_scope(permission)),
        };
        self.limits()
            .admit_door(crate::auth::limits::Door::Admin, user_id.as_uuid())
            .await?;
        if scoped && self.has_permission(user_id, permission).await? {
            return Ok(());
        }
        self.audit(
            AuditEvent::new(AuditAction::PermissionDenied)
                .user(user_id)
                .by(actor.audited())
                .details(json!({ "permission": permission })),
            meta,
        )
        .await?;
        Err(if scoped {
            AuthError::Forbidden
        } else {
            AuthError::InsufficientScope
        })
    }

    /// Accounts whose email or username contains `query`, newest first.
    #[tracing::instrument(skip_all, fields(actor = ?actor.id()))]
    pub async fn list_users(
        &self,
        actor: Actor<'_>,
        query: Option<&str>,
        limit: Option<u64>,
        offset: Option<u64>,
        meta: &RequestMeta,
    ) -> Result<AdminUserPage, AuthError> {
        self.require_permission(actor, USERS_READ, meta).await?;
        let limit = limit.unwrap_or(50).clamp(1, MAX_USERS_PAGE);
        // The database takes a signed 64-bit offset.
        let offset = offset.unwrap_or(0).min(i64::MAX as u64);
        let mut select = users::Entity::find();
        if let Some(query) = query.map(str::trim).filter(|q| !q.is_empty()) {
            let mut matches = Condition::any();
            for form in search_forms(query) {
                let pattern = format!("%{}%", escape_like(&form));
                matches = matches
                    .add(Expr::col(users::Column::EmailNormalized).like(like(&pattern)))
                    .add(Expr::col(users::Column::UsernameNormalized).like(like(&pattern)));
            }
            select = select.filter(matches);
        }
        let total = select.clone().count(self.db()).await?;
        let rows = select
            .order_by_desc(users::Column::CreatedAt)
            .order_by_asc(users::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(self.db())
            .await?;
        let mut users = Vec::with_capacity(rows.len());
        for user in rows {
            users.push(self.admin_view(user).await?);
        }
        Ok(AdminUserPage {
            users,
            total,
            limit,
            offset,
        })
    }

    #[tracing::instrument(skip_all, fields(actor = ?actor.id(), user_id = %user_id))]
    pub async fn user_detail(
        &self,
        actor: Actor<'_>,
        user_id: UserId,
        meta: &RequestMeta,
    ) -> Result<AdminUser, AuthError> {
        let user_id = user_id.as_uuid();
        let user = self.admin_target(actor, USERS_READ, user_id, meta).await?;
        self.admin_view(user).await
    }

    /// Replaces a user's roles. Unknown roles are refused, and so is a change
    /// that would leave nobody with the admin role, and (for a signed-in
    /// administrator) a change to a role holding a permission the granter
    /// lacks (`role_grants`).
    #[tracing::instrument(skip_all, fields(actor = ?actor.id(), user_id = %user_id))]
    pub async fn set_roles(
        &self,
        actor: Actor<'_>,
        user_id: UserId,
        roles: &[String],
        meta: &RequestMeta,
    ) -> Result<AdminUser, AuthError> {
        let user_id = user_id.as_uuid();
        self.admin_target(actor, USERS_WRITE, user_id, meta).await?;
        let mut wanted: Vec<String> = roles.iter().map(|r| r.trim().to_lowercase()).collect();
        wanted.sort();
        wanted.dedup();
        let known: Vec<String> = crate::entities::role_permissions::Entity::find()
            .select_only()
            .column(crate::entities::role_permissions::Column::Role)
            .distinct()
            .into_tuple()
            .all(self.db())
            .await?;
        let unknown: Vec<&String> = wanted.iter().filter(|r| !known.contains(r)).collect();
        if !unknown.is_empty() {
            return Err(AuthError::Validation(vec![FieldError::detailed(
                "roles",
                "unknown_role",
                format!("Unknown role(s): {unknown:?}. Known roles: {known:?}."),
            )]));
        }
        let now = self.now();
        let actor_id = actor.id();
        let by = actor.audited();
        // A token grants no more than its scopes, whatever its owner holds.
        let granter_scopes = match actor {
            Actor::ApiToken(token) => Some(token.scopes.clone()),
            _ => None,
        };
        let txn_meta = meta.clone();
        let to = wanted.clone();
        let changed = self
            .db()
            .transaction::<_, (), AuthError>(|txn| {
                Box::pin(async move {
                    // First statement: every role change queues behind this
                    // one (a row lock on PostgreSQL, the write lock on
                    // SQLite), so what follows decides on settled data.
                    role_grants::serialise_role_changes(txn).await?;
                    let from = roles_of(txn, user_id).await?;
                    if let Some(granter) = actor_id {
                        role_grants::check_granter_may_change(
                            txn,
                            granter,
                            granter_scopes.as_deref(),
                            &from,
                            &to,
                        )
                        .await?;
                    }
                    user_roles::Entity::delete_many()
                        .filter(user_roles::Column::UserId.eq(user_id))
                        .exec(txn)
                        .await?;
                    for role in &to {
                        user_roles::Entity::insert(user_roles::ActiveModel {
                            user_id: Set(user_id),
                            role: Set(role.clone()),
                            granted_at: Set(now),
                        })
                        .exec_without_returning(txn)
                        .await?;
                    }
                    let admins_left = user_roles::Entity::find()
                        .filter(user_roles::Column::Role.eq(ROLE_ADMIN))
                        .count(txn)
                        .await?;
                    if admins_left == 0 && from.iter().any(|r| r == ROLE_ADMIN) {
                        return Err(AuthError::Validation(vec![FieldError::new(
                            "roles",
                            "last_admin",
                        )]));
                    }
                    AuditEvent::new(AuditAction::RoleChanged)
                        .user(user_id)
                        .by(by)
                        .details(json!({ "from": from, "to": to }))
                        .record(txn, now, &txn_meta)
                        .await
                })
            })
            .await
            .map_err(AuthError::from);
        if let Err(AuthError::Forbidden) = changed {
            self.audit(
                AuditEvent::new(AuditAction::PermissionDenied)
                    .user(actor_id)
                    .details(
                        json!({ "permission": "grant_roles", "user_id": user_id, "roles": wanted }),
                    ),
                meta,
            )
            .await?;
        }
        changed?;
        self.admin_view_of(user_id).await
    }

    /// Clears a lockout and the failure count.
    #[tracing::instrument(skip_all, fields(actor = ?actor.id(), user_id = %user_id))]
    pub async fn unlock_user(
        &self,
        actor: Actor<'_>,
        user_id: UserId,
        meta: &RequestMeta,
    ) -> Result<AdminUser, AuthError> {
        let user_id = user_id.as_uuid();
        self.admin_target(actor, USERS_WRITE, user_id, meta).await?;
        lockout::clear_lockout(self.db(), user_id, Counter::Password).await?;
        self.audit(
            AuditEvent::new(AuditAction::AccountUnlocked)
                .user(user_id)
                .by(actor.audited()),
            meta,
        )
        .await?;
        self.admin_view_of(user_id).await
    }

    /// Ends every session of a user; returns how many.
    #[tracing::instrument(skip_all, fields(actor = ?actor.id(), user_id = %user_id))]
    pub async fn revoke_user_sessions(
        &self,
        actor: Actor<'_>,
        user_id: UserId,
        meta: &RequestMeta,
    ) -> Result<u64, AuthError> {
        let user_id = user_id.as_uuid();
        self.admin_target(actor, USERS_WRITE, user_id, meta).await?;
        let now = self.now();
        let revoked = revoke_where(
            self.db(),
            now,
            sessions::Column::UserId.eq(user_id),
            "revoked_by_admin",
        )
        .await?;
        self.audit(
            AuditEvent::new(AuditAction::SessionsRevokedByAdmin)
                .user(user_id)
                .by(actor.audited())
                .details(json!({ "revoked": revoked })),
            meta,
        )
        .await?;
        Ok(revoked)
    }

    /// The audit log, newest first, optionally for one user and/or action.
    #[tracing::instrument(skip_all, fields(actor = ?actor.id(), user_id = ?user_id))]
    pub async fn audit_log(
        &self,
        actor: Actor<'_>,
        user_id: Option<UserId>,
        action: Option<&str>,
        limit: Option<u64>,
        before: Option<i64>,
        meta: &RequestMeta,
    ) -> Result<AuditPage, AuthError> {
        let user_id = user_id.map(UserId::as_uuid);
        self.require_permission(actor, AUDIT_READ, meta).await?;
        audit::page(self.db(), user_id, action, limit, before).await
    }

    /// The account with this email, for the command line. The address is
    /// compared normalised, as at sign-in.
    #[tracing::instrument(skip_all)]
    pub async fn find_user_by_email(&self, email: &str) -> Result<Account, AuthError> {
        let email = Email::parse(email).map_err(|_| AuthError::NotFound)?;
        self.user_with_email(&email)
            .await?
            .map(|user| Account::of(&user))
            .ok_or(AuthError::NotFound)
    }

    /// The account an administrator acts on, once `actor` has `permission`
    /// (checked first, so an unknown id tells nothing to someone without it).
    async fn admin_target(
        &self,
        actor: Actor<'_>,
        permission: &str,
        user_id: Uuid,
        meta: &RequestMeta,
    ) -> Result<users::Model, AuthError> {
        self.require_permission(actor, permission, meta).await?;
        self.find_user(user_id).await
    }

    /// The account as administrators see it, read again after a change.
    async fn admin_view_of(&self, user_id: Uuid) -> Result<AdminUser, AuthError> {
        let user = self.find_user(user_id).await?;
        self.admin_view(user).await
    }

    async fn find_user(&self, user_id: Uuid) -> Result<users::Model, AuthError> {
        users::Entity::find_by_id(user_id)
            .one(self.db())
            .await?
            .ok_or(AuthError::NotFound)
    }

    async fn admin_view(&self, user: users::Model) -> Result<AdminUser, AuthError> {
        let roles = roles_of(self.db(), user.id).await?;
        let now = self.now();
        Ok(AdminUser {
            profile: crate::auth::principal::Account::of(&user).profile(roles),
            failed_login_attempts: user.failed_login_attempts,
            locked_until: user.locked_until.filter(|t| *t > now).map(rfc3339),
        })
    }
}

fn like(pattern: &str) -> LikeExpr {
    LikeExpr::new(pattern).escape('\\')
}

/// `%` and `_` in a search are literal characters, not wildcards.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
