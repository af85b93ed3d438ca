//! Who is acting, as transports may hold it: the `Principal` of an
//! authenticated request, the `Account` view it carries (never the row, its
//! password hash, secrets or counters), and the account's enrolled
//! `Factors`. Every concept of the service reads these; they depend on none.

use chrono::{DateTime, Utc};

use crate::{
    auth::{
        clock::rfc3339,
        ids::{ApiTokenId, SessionId, UserId},
    },
    entities::users,
    types::UserProfile,
};

/// An authenticated caller: a verified access token (or the browser's
/// cookie session) whose session is active, with the account and its roles
/// (sorted) as they were read in the same lookup. Holds no row, hash or
/// secret: its `Debug` is safe to log.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub account: Account,
    pub roles: Vec<String>,
    /// When this session's owner proved who they are: the session's
    /// `created_at`, which a refresh does not move.
    pub signed_in_at: DateTime<Utc>,
}

/// What a transport may hold of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: UserId,
    pub email: String,
    pub username: String,
    pub is_active: bool,
    pub email_verified: bool,
    pub factors: Factors,
    pub created_at: DateTime<Utc>,
    pub last_login: Option<DateTime<Utc>>,
    pub password_changed_at: DateTime<Utc>,
}

impl Account {
    pub(crate) fn of(user: &users::Model) -> Self {
        Self {
            id: user.id.into(),
            email: user.email.clone(),
            username: user.username.clone(),
            is_active: user.is_active,
            email_verified: user.email_verified,
            factors: Factors::of(user),
            created_at: user.created_at,
            last_login: user.last_login,
            password_changed_at: user.last_password_change,
        }
    }

    /// What the account shows of itself, with its roles.
    pub fn profile(&self, roles: Vec<String>) -> UserProfile {
        UserProfile {
            id: self.id.to_string(),
            email: self.email.clone(),
            username: self.username.clone(),
            is_active: self.is_active,
            totp_enabled: self.factors.totp,
            email_verified: self.email_verified,
            roles,
            created_at: rfc3339(self.created_at),
            last_login: self.last_login.map(rfc3339),
        }
    }
}

/// The second factors an account has enrolled. "2FA is on" means `any()`:
/// the sign-in challenge, the policy and the profile ask this, never a
/// column. TOTP is the only kind today; passkeys and security keys join it
/// here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Factors {
    pub totp: bool,
}

impl Factors {
    /// The factors enrolled on an account row: the one place that reads
    /// the factor columns.
    pub(crate) fn of(user: &users::Model) -> Self {
        Self {
            totp: user.totp_enabled,
        }
    }

    /// Whether signing in needs a second factor.
    pub fn any(self) -> bool {
        self.totp
    }
}

/// A personal API token presented as a bearer credential, whose account is
/// active: what it may do is its scopes, and never more than its owner may
/// do at that moment (`AuthService::require_permission` asks both).
#[derive(Debug, Clone)]
pub struct TokenPrincipal {
    pub token_id: ApiTokenId,
    /// The name its owner gave it, for the audit log.
    pub name: String,
    pub user_id: UserId,
    pub account: Account,
    /// Sorted, without duplicates.
    pub scopes: Vec<String>,
}

impl TokenPrincipal {
    /// Whether the token was given `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|held| held == scope)
    }
}

/// Whoever presented a bearer credential: a device session's access token,
/// or a personal API token. Operations that only a signed-in session may do
/// take a `Principal`; the few a token may do (its profile, administration
/// within its scopes) take a `Caller`.
#[derive(Debug, Clone)]
pub enum Caller {
    Session(Principal),
    ApiToken(TokenPrincipal),
}

impl Caller {
    pub fn user_id(&self) -> UserId {
        match self {
            Self::Session(principal) => principal.user_id,
            Self::ApiToken(token) => token.user_id,
        }
    }

    pub fn account(&self) -> &Account {
        match self {
            Self::Session(principal) => &principal.account,
            Self::ApiToken(token) => &token.account,
        }
    }
}
