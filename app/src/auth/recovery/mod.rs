//! What the links sent by email do (their tokens are `auth::account_tokens`):
//! the password reset (`password_reset`) and email verification
//! (`email_verification`).

pub mod email_verification;
pub mod password_reset;
