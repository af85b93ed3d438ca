//! What a transport may hold of an account: who it is and what it has
//! enrolled, never its password hash, secrets or lockout counters. Rows
//! (`users::Model`) stay inside the service.

use chrono::{DateTime, Utc};

use crate::{
    auth::{device_sessions::rfc3339, ids::UserId, second_factor::Factors},
    entities::users,
    types::UserProfile,
};

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
