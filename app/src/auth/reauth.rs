//! Re-authentication: operations a signed-in user confirms with the current
//! password (changing it, turning 2FA off). The check goes through the
//! sign-in lockout, so someone holding a stolen session cannot guess the
//! password without bound: each wrong one counts toward `MAX_LOGIN_ATTEMPTS`
//! and is audited like a wrong sign-in, and a locked account is refused (429
//! `account_locked`) before any hashing.

use serde_json::json;

use super::{
    error::AuthError,
    lockout::Counter,
    password::{hashing::Verification, Password},
    request_meta::RequestMeta,
    AuthService,
};
use crate::entities::users;

impl AuthService {
    /// Checks `password` (the form field `field`) against the user's current
    /// password for `operation` (named in the audit of a failure).
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
        let reservation = self.reserve_attempt(user.id, Counter::Password).await?;
        let verification = self.hasher().verify(&password, Some(&user.password_hash));
        match self.evaluate(reservation, verification).await? {
            Verification::Match { .. } => self.settle_success(reservation).await,
            Verification::Mismatch => {
                let details = json!({ "reason": "wrong_current_password", "operation": operation });
                Err(self.settle_failure(reservation, details, meta).await)
            }
        }
    }
}
