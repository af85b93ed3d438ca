//! Re-authentication: proof that the person acting is the account's owner,
//! not merely someone holding a signed-in session (a browser left open, a
//! stolen access token). Adding a sign-in factor (today: turning 2FA on)
//! needs either the current password or a sign-in within the last
//! `REAUTHENTICATION_WINDOW_MINUTES` (`Policies`). Every such action calls
//! `require_recent_authentication`, so the rule exists once.
//!
//! "Sign-in" is the session's own `created_at`: a refresh rotates tokens but
//! does not move it, so an old session refreshed a second ago is still old.
//!
//! A re-entered password goes through the sign-in lockout
//! (`reauthenticate`), so someone holding a stolen session cannot guess the
//! password without bound: each wrong one counts toward
//! `MAX_LOGIN_ATTEMPTS` and is audited like a wrong sign-in, and a locked
//! account is refused (429 `account_locked`) before any hashing.

use serde_json::json;

use crate::auth::{
    error::AuthError,
    lockout::Counter,
    password::{
        hashing::{HashOwner, Verification},
        Password,
    },
    request::meta::RequestMeta,
    AuthService, Principal,
};
use crate::entities::users;

impl AuthService {
    /// Whether `principal` signed in recently enough to skip the password.
    /// Pages use it to show the password field only when it is needed.
    pub fn signed_in_recently(&self, principal: &Principal) -> bool {
        self.now() - principal.signed_in_at <= self.policies().reauthentication_window
    }

    /// Allows a sensitive change when the caller typed the current password
    /// (`password`, checked whenever it is given) or signed in within the
    /// window; otherwise `ReauthenticationRequired`.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn require_recent_authentication(
        &self,
        principal: &Principal,
        password: Option<&str>,
        operation: &'static str,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        match password.filter(|p| !p.is_empty()) {
            Some(password) => {
                let user = self.user(principal.user_id).await?;
                self.reauthenticate(&user, "password", password, operation, meta)
                    .await
            }
            None if self.signed_in_recently(principal) => Ok(()),
            None => Err(AuthError::ReauthenticationRequired),
        }
    }

    /// Checks that `password` (the form field `field`) is `user`'s current
    /// password, for `operation` (named in the audit of a failure). Every
    /// re-entered password (re-authentication, an administrator confirming
    /// an action) goes through here, and through the sign-in lockout: the
    /// attempt is reserved before hashing, like a sign-in's.
    pub(crate) async fn reauthenticate(
        &self,
        user: &users::Model,
        field: &'static str,
        password: &str,
        operation: &'static str,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let password =
            Password::parse(field, password).map_err(|error| AuthError::Validation(vec![error]))?;
        // Admitted to the hashing threads before the attempt is counted (see
        // `sign_in`).
        let ticket = self.hasher().admit(HashOwner::new(Some(user.id), meta))?;
        let reservation = self.reserve_attempt(user.id, Counter::Password).await?;
        let verification = ticket.verify(&password, Some(&user.password_hash));
        match self.evaluate(reservation, verification).await? {
            Verification::Match { .. } => self.settle_success(reservation).await,
            Verification::Mismatch => {
                let details = json!({ "reason": "wrong_current_password", "operation": operation });
                Err(self.settle_failure(reservation, details, meta).await)
            }
        }
    }
}
