//! Re-authentication: proof that the person acting is the account's owner,
//! not merely someone holding a signed-in session (a browser left open, a
//! stolen access token). Adding a sign-in factor (today: turning 2FA on)
//! needs either the current password or a sign-in within the last
//! `REAUTHENTICATION_WINDOW_MINUTES`. Every such action calls
//! `require_recent_authentication`, so the rule exists once.
//!
//! "Sign-in" is the session's own `created_at`: a refresh rotates tokens but
//! does not move it, so an old session refreshed a second ago is still old.

use chrono::Duration;

use super::{
    error::AuthError,
    password::{hashing::Verification, Password},
    request_meta::RequestMeta,
    AuthService, Principal,
};
use crate::entities::users;

/// How recent a sign-in stands in for the password (OWASP ASVS 3.7.1).
pub const REAUTHENTICATION_WINDOW_MINUTES: i64 = 5;

impl AuthService {
    /// Whether `principal` signed in recently enough to skip the password.
    /// Pages use it to show the password field only when it is needed.
    pub fn signed_in_recently(&self, principal: &Principal) -> bool {
        self.now() - principal.signed_in_at <= Duration::minutes(REAUTHENTICATION_WINDOW_MINUTES)
    }

    /// Allows a sensitive change when the caller typed the current password
    /// (`password`, checked whenever it is given) or signed in within the
    /// window; otherwise `ReauthenticationRequired`.
    pub async fn require_recent_authentication(
        &self,
        principal: &Principal,
        password: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        match password.filter(|p| !p.is_empty()) {
            Some(password) => {
                self.verify_current_password(&principal.user, password, "password", meta)
                    .await
            }
            None if self.signed_in_recently(principal) => Ok(()),
            None => Err(AuthError::ReauthenticationRequired),
        }
    }

    /// Checks that `password` is `user`'s current password. Every
    /// re-entered password (re-authentication, an administrator confirming
    /// an action) goes through here, so one place decides what a wrong one
    /// costs.
    pub async fn verify_current_password(
        &self,
        user: &users::Model,
        password: &str,
        field: &'static str,
        _meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let password =
            Password::parse(field, password).map_err(|error| AuthError::Validation(vec![error]))?;
        match self
            .hasher()
            .verify(&password, Some(&user.password_hash))
            .await?
        {
            Verification::Mismatch => Err(AuthError::InvalidCredentials),
            _ => Ok(()),
        }
    }
}
