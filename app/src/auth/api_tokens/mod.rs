//! Personal API tokens: long-lived bearer credentials a person makes for
//! their scripts and CI, each with a name, an expiry (at most
//! `API_TOKEN_MAX_DAYS`) and scopes (`scopes`).
//!
//! - Made only by a signed-in session, after re-authentication (the
//!   password, or a sign-in within the window): a stolen session cannot
//!   quietly mint itself a year of access, and a token cannot make tokens.
//! - Shown once; only a keyed hash is stored (`crypto::bearer_secret`), and
//!   the `gatehouse_pat_` prefix lets secret scanners find a leaked one.
//! - A token reaches only what its scopes name and its owner still may do:
//!   its profile with `profile:read`, administration through
//!   `require_permission`. Everything else (password, 2FA, sessions,
//!   tokens) takes a signed-in session, and a token is refused there with
//!   `insufficient_scope` (`authenticate_session_bearer`).
//! - Each use counts against the token's own signed-in budget; its last use
//!   (time and address) is recorded and audited as `api_token_used` at most
//!   once per `activity_resolution`, and actions taken through it name it in
//!   their audit rows. A revoked or expired token presented again is audited
//!   as `api_token_refused`.

pub mod scopes;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::{
    audit::{AuditAction, AuditActor, AuditEvent},
    clock::rfc3339,
    crypto::bearer_secret,
    error::{AuthError, FieldError},
    ids::ApiTokenId,
    limits::Door,
    permissions::roles_of,
    principal::{Account, Caller, TokenPrincipal},
    request::meta::RequestMeta,
    AuthService, Principal,
};
use crate::{
    entities::{api_tokens, users},
    types::{ApiTokenInfo, NewApiToken, UserProfile},
};

/// What every personal API token starts with.
pub const PREFIX: &str = "gatehouse_pat_";
/// The longest name a token may have.
pub const MAX_NAME_CHARS: usize = 64;

/// A new token, as its owner asks for it.
#[derive(Debug, Clone, Copy)]
pub struct CreateApiTokenInput<'a> {
    pub name: &'a str,
    pub expires_in_days: u32,
    pub scopes: &'a [String],
    /// The current password, needed unless the session signed in recently.
    pub password: Option<&'a str>,
}

impl AuthService {
    /// Makes a token for the signed-in user and shows it this once.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn create_api_token(
        &self,
        principal: &Principal,
        input: CreateApiTokenInput<'_>,
        meta: &RequestMeta,
    ) -> Result<NewApiToken, AuthError> {
        let name = token_name(input.name)?;
        let lifetime = self.token_lifetime(input.expires_in_days)?;
        let scopes = self.checked_scopes(principal.user_id, input.scopes).await?;
        self.require_recent_authentication(principal, input.password, "create_api_token", meta)
            .await?;

        let token = bearer_secret::generate(PREFIX);
        let now = self.now();
        let row = api_tokens::Model {
            id: Uuid::new_v4(),
            user_id: principal.user_id.as_uuid(),
            name,
            token_hash: bearer_secret::keyed_hash(&self.keys().api_token_mac, &token),
            hint: bearer_secret::hint(&token),
            scopes: scopes.join(" "),
            created_at: now,
            expires_at: now + lifetime,
            last_used_at: None,
            last_used_ip: None,
            revoked_at: None,
        };
        let event = AuditEvent::new(AuditAction::ApiTokenCreated)
            .user(principal.user_id)
            .details(json!({
                "api_token": { "id": row.id, "name": row.name },
                "scopes": scopes,
                "expires_at": rfc3339(row.expires_at),
            }));
        let info = token_info(&row, now);
        let meta = meta.clone();
        self.db()
            .transaction::<_, (), AuthError>(|txn| {
                Box::pin(async move {
                    api_tokens::Entity::insert(api_tokens::ActiveModel::from(row))
                        .exec_without_returning(txn)
                        .await?;
                    event.record(txn, now, &meta).await
                })
            })
            .await?;
        Ok(NewApiToken { token, info })
    }

    /// The user's tokens that are not revoked, newest first.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn list_api_tokens(
        &self,
        principal: &Principal,
    ) -> Result<Vec<ApiTokenInfo>, AuthError> {
        let now = self.now();
        Ok(api_tokens::Entity::find()
            .filter(api_tokens::Column::UserId.eq(principal.user_id))
            .filter(api_tokens::Column::RevokedAt.is_null())
            .order_by_desc(api_tokens::Column::CreatedAt)
            .order_by_asc(api_tokens::Column::Id)
            .all(self.db())
            .await?
            .iter()
            .map(|row| token_info(row, now))
            .collect())
    }

    /// Revokes one of the user's tokens: refused from its next use on.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id, token = %id))]
    pub async fn revoke_api_token(
        &self,
        principal: &Principal,
        id: ApiTokenId,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let now = self.now();
        let user_id = principal.user_id;
        let meta = meta.clone();
        self.db()
            .transaction::<_, (), AuthError>(|txn| {
                Box::pin(async move {
                    let token = api_tokens::Entity::find_by_id(id.as_uuid())
                        .filter(api_tokens::Column::UserId.eq(user_id))
                        .filter(api_tokens::Column::RevokedAt.is_null())
                        .one(txn)
                        .await?
                        .ok_or(AuthError::NotFound)?;
                    // Conditional, so two concurrent revocations audit once.
                    let revoked = api_tokens::Entity::update_many()
                        .col_expr(api_tokens::Column::RevokedAt, Expr::value(now))
                        .filter(api_tokens::Column::Id.eq(token.id))
                        .filter(api_tokens::Column::RevokedAt.is_null())
                        .exec(txn)
                        .await?;
                    if revoked.rows_affected == 0 {
                        return Err(AuthError::NotFound);
                    }
                    AuditEvent::new(AuditAction::ApiTokenRevoked)
                        .user(user_id)
                        .details(json!({ "api_token": { "id": token.id, "name": token.name } }))
                        .record(txn, now, &meta)
                        .await
                })
            })
            .await?;
        Ok(())
    }

    /// The caller behind a bearer credential: a session's access token, or
    /// a personal API token (which also spends its own signed-in budget).
    #[tracing::instrument(skip_all, fields(user_id, session_id))]
    pub async fn authenticate_caller(
        &self,
        bearer: &str,
        meta: &RequestMeta,
    ) -> Result<Caller, AuthError> {
        if !is_api_token(bearer) {
            return Ok(Caller::Session(self.authenticate(bearer).await?));
        }
        let (token, user) = self
            .active_api_token(bearer, meta)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        tracing::Span::current().record("user_id", tracing::field::display(user.id));
        self.limits().admit_door(Door::SignedIn, token.id).await?;
        Ok(Caller::ApiToken(token_principal(&token, &user)))
    }

    /// The signed-in session behind a bearer credential, for what only a
    /// session may do: an API token is refused (`insufficient_scope`).
    pub async fn authenticate_session_bearer(&self, bearer: &str) -> Result<Principal, AuthError> {
        if is_api_token(bearer) {
            return Err(AuthError::InsufficientScope);
        }
        self.authenticate(bearer).await
    }

    /// The caller's profile; a token needs `profile:read`.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id()))]
    pub async fn profile_of(&self, caller: &Caller) -> Result<UserProfile, AuthError> {
        match caller {
            Caller::Session(principal) => self.profile(principal).await,
            Caller::ApiToken(token) if token.has_scope(scopes::PROFILE_READ) => {
                let roles = roles_of(self.db(), token.user_id.as_uuid()).await?;
                Ok(token.account.profile(roles))
            }
            Caller::ApiToken(_) => Err(AuthError::InsufficientScope),
        }
    }

    /// The token `text` is, with its account, if both are active now; its
    /// use is recorded. A revoked or expired token is audited as refused.
    pub(crate) async fn active_api_token(
        &self,
        text: &str,
        meta: &RequestMeta,
    ) -> Result<Option<(api_tokens::Model, users::Model)>, AuthError> {
        let hash = bearer_secret::keyed_hash(&self.keys().api_token_mac, text);
        let Some((token, Some(user))) = api_tokens::Entity::find()
            .filter(api_tokens::Column::TokenHash.eq(hash))
            .find_also_related(users::Entity)
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        let now = self.now();
        let refused = if token.revoked_at.is_some() {
            Some("revoked")
        } else if token.expires_at <= now {
            Some("expired")
        } else if !user.is_active {
            Some("account_disabled")
        } else {
            None
        };
        if let Some(reason) = refused {
            self.audit(
                AuditEvent::new(AuditAction::ApiTokenRefused)
                    .user(user.id)
                    .details(json!({
                        "api_token": { "id": token.id, "name": token.name },
                        "reason": reason,
                    })),
                meta,
            )
            .await?;
            return Ok(None);
        }
        self.record_api_token_use(&token, &user, now, meta).await?;
        Ok(Some((token, user)))
    }

    /// Writes the token's last use, and audits it, at most once per
    /// `activity_resolution`: one conditional UPDATE decides, so concurrent
    /// requests (on any node) audit one use.
    async fn record_api_token_use(
        &self,
        token: &api_tokens::Model,
        user: &users::Model,
        now: DateTime<Utc>,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let stale = now - self.policies().activity_resolution;
        if token.last_used_at.is_some_and(|used| used > stale) {
            return Ok(());
        }
        let recorded = api_tokens::Entity::update_many()
            .col_expr(api_tokens::Column::LastUsedAt, Expr::value(now))
            .col_expr(
                api_tokens::Column::LastUsedIp,
                Expr::value(meta.ip.to_string()),
            )
            .filter(api_tokens::Column::Id.eq(token.id))
            .filter(
                Condition::any()
                    .add(api_tokens::Column::LastUsedAt.is_null())
                    .add(api_tokens::Column::LastUsedAt.lte(stale)),
            )
            .exec(self.db())
            .await?;
        if recorded.rows_affected == 1 {
            self.audit(
                AuditEvent::new(AuditAction::ApiTokenUsed)
                    .user(user.id)
                    .by(AuditActor::token(&token_principal(token, user))),
                meta,
            )
            .await?;
        }
        Ok(())
    }

    /// Removes tokens revoked or expired a day ago or more.
    pub(crate) async fn delete_old_api_tokens(&self) -> Result<u64, AuthError> {
        let day_ago = self.now() - Duration::days(1);
        let deleted = api_tokens::Entity::delete_many()
            .filter(
                Condition::any()
                    .add(api_tokens::Column::RevokedAt.lte(day_ago))
                    .add(api_tokens::Column::ExpiresAt.lte(day_ago)),
            )
            .exec(self.db())
            .await?;
        Ok(deleted.rows_affected)
    }

    fn token_lifetime(&self, days: u32) -> Result<Duration, AuthError> {
        let max = self.policies().api_token_max_lifetime;
        let lifetime = Duration::days(i64::from(days));
        if days == 0 || lifetime > max {
            return Err(AuthError::Validation(vec![FieldError::detailed(
                "expires_in_days",
                "out_of_range",
                format!("Choose 1 to {} days.", max.num_days()),
            )]));
        }
        Ok(lifetime)
    }
}

/// Whether a bearer credential is a personal API token (by its shape).
pub fn is_api_token(bearer: &str) -> bool {
    bearer_secret::has_shape(PREFIX, bearer)
}

fn token_name(name: &str) -> Result<String, AuthError> {
    let name = name.trim();
    let invalid = |code| AuthError::Validation(vec![FieldError::new("name", code)]);
    if name.is_empty() {
        return Err(invalid("required"));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(invalid("invalid_token_name"));
    }
    Ok(name.to_string())
}

fn token_principal(token: &api_tokens::Model, user: &users::Model) -> TokenPrincipal {
    TokenPrincipal {
        token_id: token.id.into(),
        name: token.name.clone(),
        user_id: user.id.into(),
        account: Account::of(user),
        scopes: token.scopes.split(' ').map(str::to_string).collect(),
    }
}

fn token_info(row: &api_tokens::Model, now: DateTime<Utc>) -> ApiTokenInfo {
    ApiTokenInfo {
        id: row.id.to_string(),
        name: row.name.clone(),
        hint: row.hint.clone(),
        scopes: row.scopes.split(' ').map(str::to_string).collect(),
        created_at: rfc3339(row.created_at),
        expires_at: rfc3339(row.expires_at),
        last_used_at: row.last_used_at.map(rfc3339),
        last_used_ip: row.last_used_ip.clone(),
        expired: row.expires_at <= now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(token_name("  ci deploy ").unwrap(), "ci deploy");
        assert!(token_name("   ").is_err());
        assert!(token_name(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(token_name("line\nbreak").is_err());
        assert!(token_name(&"é".repeat(MAX_NAME_CHARS)).is_ok());
    }

    #[test]
    fn only_the_token_shape_is_taken_for_an_api_token() {
        assert!(is_api_token(&bearer_secret::generate(PREFIX)));
        assert!(!is_api_token("eyJhbGciOiJIUzI1NiJ9.e30.sig"));
        assert!(!is_api_token(PREFIX));
    }
}
