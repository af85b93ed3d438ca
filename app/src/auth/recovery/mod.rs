//! Links sent by email: single-use tokens (`account_tokens`), the password
//! reset they carry (`password_reset`) and email verification
//! (`email_verification`).

pub mod account_tokens;
pub mod email_verification;
pub mod password_reset;
