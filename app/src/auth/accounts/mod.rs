//! Accounts: registration, the profile, password change and the user's own
//! activity.

pub(crate) mod credential_change;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::{
    audit::{self, AuditAction, AuditEvent},
    error::AuthError,
    identity::{Email, Username},
    ids::UserId,
    password::{
        hashing::{HashOwner, Verification},
        policy, Password,
    },
    permissions::DEFAULT_ROLE,
    principal::Principal,
    request::meta::RequestMeta,
    AuthService,
};
use crate::{
    entities::{password_history, user_roles, users},
    types::{ActivityEvent, ActivityPage, RegisteredUser, UserProfile},
};

/// A new password may not be the current one or any of the 5 before it.
const PASSWORD_HISTORY_DEPTH: u64 = 6;

pub struct RegisterInput<'a> {
    pub email: &'a str,
    pub username: &'a str,
    pub password: &'a str,
}

pub struct ChangePasswordInput<'a> {
    pub current_password: &'a str,
    pub new_password: &'a str,
    pub confirm_password: &'a str,
}

impl AuthService {
    #[tracing::instrument(skip_all, fields(ip = %meta.ip))]
    pub async fn register(
        &self,
        input: RegisterInput<'_>,
        meta: &RequestMeta,
    ) -> Result<RegisteredUser, AuthError> {
        let email = Email::parse(input.email);
        let username = Username::parse(input.username);
        let password = Password::parse("password", input.password);
        let (email, username, password) = match (email, username, password) {
            (Ok(e), Ok(u), Ok(p)) => (e, u, p),
            (e, u, p) => {
                let errors = [e.err(), u.err(), p.err()].into_iter().flatten().collect();
                return Err(AuthError::Validation(errors));
            }
        };
        policy::check("password", &password, &email, &username).map_err(AuthError::WeakPassword)?;

        let existing = users::Entity::find()
            .filter(
                users::Column::EmailNormalized
                    .eq(email.normalized())
                    .or(users::Column::UsernameNormalized.eq(username.normalized())),
            )
            .one(self.db())
            .await?;
        if let Some(existing) = existing {
            return Err(if existing.email_normalized == email.normalized() {
                AuthError::EmailTaken
            } else {
                AuthError::UsernameTaken
            });
        }

        let hash = self
            .hasher()
            .hash(&password, HashOwner::new(None, meta))
            .await?;
        let now = self.now();
        let user = users::Model {
            id: Uuid::new_v4(),
            email: email.as_str().to_string(),
            email_normalized: email.normalized().to_string(),
            username: username.as_str().to_string(),
            username_normalized: username.normalized().to_string(),
            password_hash: hash.clone(),
            is_active: true,
            email_verified: false,
            totp_enabled: false,
            totp_secret: None,
            totp_pending_secret: None,
            totp_last_step: None,
            totp_failed_attempts: 0,
            totp_locked_until: None,
            failed_login_attempts: 0,
            locked_until: None,
            created_at: now,
            updated_at: now,
            last_login: None,
            last_password_change: now,
        };
        let meta = meta.clone();
        let created = user.clone();
        let service = self.clone();
        self.db()
            .transaction::<_, (), AuthError>(|txn| {
                Box::pin(async move {
                    users::Entity::insert(users::ActiveModel::from(created.clone()))
                        .exec_without_returning(txn)
                        .await
                        .map_err(duplicate_to_conflict)?;
                    user_roles::Entity::insert(user_roles::ActiveModel {
                        user_id: Set(created.id),
                        role: Set(DEFAULT_ROLE.to_string()),
                        granted_at: Set(now),
                    })
                    .exec_without_returning(txn)
                    .await?;
                    remember_password(txn, created.id, hash, now).await?;
                    service
                        .queue_verification_email(txn, created.id, &created.email)
                        .await?;
                    AuditEvent::new(AuditAction::UserRegistered)
                        .user(created.id)
                        .details(json!({ "username": created.username }))
                        .record(txn, now, &meta)
                        .await
                })
            })
            .await?;
        self.wake_mailer();
        Ok(RegisteredUser {
            user_id: user.id.to_string(),
            email: user.email,
            username: user.username,
        })
    }

    /// The caller's profile, from the account and roles read while
    /// authenticating.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn profile(&self, principal: &Principal) -> Result<UserProfile, AuthError> {
        Ok(principal.account.profile(principal.roles.clone()))
    }

    /// Changes the password after checking the current one; every other
    /// session, open 2FA challenge and reset link of the user ends in the
    /// same transaction.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn change_password(
        &self,
        principal: &Principal,
        input: ChangePasswordInput<'_>,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let user = self.user(principal.user_id).await?;
        self.reauthenticate(
            &user,
            "current_password",
            input.current_password,
            "change_password",
            meta,
        )
        .await?;
        if input.new_password != input.confirm_password {
            return Err(AuthError::PasswordMismatch);
        }
        let hash = self
            .hash_new_password(&user, "new_password", input.new_password, meta)
            .await?;
        let now = self.now();
        let keep_session = principal.session_id.as_uuid();
        let user_id = user.id;
        let meta = meta.clone();
        let service = self.clone();
        self.db()
            .transaction::<_, (), AuthError>(|txn| {
                Box::pin(async move {
                    service.store_password(txn, user_id, hash, now).await?;
                    let ended = credential_change::end_other_ways_in(
                        txn,
                        user_id,
                        Some(keep_session),
                        now,
                        AuditAction::PasswordChanged,
                    )
                    .await?;
                    ended.event().record(txn, now, &meta).await
                })
            })
            .await?;
        Ok(())
    }

    /// The caller's own security events, newest first.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn activity(
        &self,
        principal: &Principal,
        limit: Option<u64>,
        before: Option<i64>,
    ) -> Result<ActivityPage, AuthError> {
        let page = audit::page(
            self.db(),
            Some(principal.user_id.as_uuid()),
            None,
            limit,
            before,
        )
        .await?;
        Ok(ActivityPage {
            events: page.entries.into_iter().map(ActivityEvent::from).collect(),
            next_before: page.next_before,
        })
    }

    /// Checks a new password against the policy (with the account's email
    /// and username) and the history rule (not the current one or any of
    /// the 5 before it), then hashes it. Changing and resetting a password
    /// both go through here.
    pub(crate) async fn hash_new_password(
        &self,
        user: &users::Model,
        field: &'static str,
        new_password: &str,
        meta: &RequestMeta,
    ) -> Result<String, AuthError> {
        let owner = HashOwner::new(Some(user.id), meta);
        let new = Password::parse(field, new_password)
            .map_err(|error| AuthError::Validation(vec![error]))?;
        let email = Email::parse(&user.email).map_err(|e| AuthError::internal(e.message))?;
        let username =
            Username::parse(&user.username).map_err(|e| AuthError::internal(e.message))?;
        policy::check(field, &new, &email, &username).map_err(AuthError::WeakPassword)?;

        let history = password_history::Entity::find()
            .filter(password_history::Column::UserId.eq(user.id))
            .order_by_desc(password_history::Column::CreatedAt)
            .limit(PASSWORD_HISTORY_DEPTH)
            .all(self.db())
            .await?;
        let mut earlier: Vec<String> = history.iter().map(|h| h.password_hash.clone()).collect();
        if !earlier.contains(&user.password_hash) {
            earlier.insert(0, user.password_hash.clone());
        }
        for old_hash in &earlier {
            if let Verification::Match { .. } =
                self.hasher().verify(&new, Some(old_hash), owner).await?
            {
                return Err(AuthError::PasswordReused);
            }
        }
        self.hasher().hash(&new, owner).await
    }

    /// Stores a hash from `hash_new_password` as the user's password, on
    /// `db` (the caller's transaction), and keeps it in the history.
    pub(crate) async fn store_password(
        &self,
        db: &impl ConnectionTrait,
        user_id: Uuid,
        hash: String,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), AuthError> {
        users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, hash.clone().into())
            .col_expr(users::Column::LastPasswordChange, now.into())
            .col_expr(users::Column::UpdatedAt, now.into())
            .filter(users::Column::Id.eq(user_id))
            .exec(db)
            .await?;
        remember_password(db, user_id, hash, now).await
    }

    pub(crate) async fn user(&self, user_id: UserId) -> Result<users::Model, AuthError> {
        users::Entity::find_by_id(user_id.as_uuid())
            .one(self.db())
            .await?
            .ok_or(AuthError::InvalidToken)
    }

    /// The account with this address, if any (addresses compare normalised).
    pub(crate) async fn user_with_email(
        &self,
        email: &Email,
    ) -> Result<Option<users::Model>, AuthError> {
        Ok(users::Entity::find()
            .filter(users::Column::EmailNormalized.eq(email.normalized()))
            .one(self.db())
            .await?)
    }
}

/// Keeps the hash in the history and drops entries beyond the depth.
async fn remember_password(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    hash: String,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AuthError> {
    password_history::Entity::insert(password_history::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        password_hash: Set(hash),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    // At most a handful of rows: sorted and cut here rather than with an
    // OFFSET, which SQLite accepts only after a LIMIT.
    let kept: Vec<Uuid> = password_history::Entity::find()
        .select_only()
        .column(password_history::Column::Id)
        .filter(password_history::Column::UserId.eq(user_id))
        .order_by_desc(password_history::Column::CreatedAt)
        .order_by_desc(password_history::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let stale: Vec<Uuid> = kept
        .into_iter()
        .skip(PASSWORD_HISTORY_DEPTH as usize)
        .collect();
    if !stale.is_empty() {
        password_history::Entity::delete_many()
            .filter(password_history::Column::Id.is_in(stale))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// A unique-constraint race lost between the pre-check and the insert.
fn duplicate_to_conflict(error: DbErr) -> AuthError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(message)) if message.contains("email") => {
            AuthError::EmailTaken
        }
        Some(SqlErr::UniqueConstraintViolation(_)) => AuthError::UsernameTaken,
        _ => error.into(),
    }
}
