//! Proving who you are: a password sign-in (`password`), the second step
//! for accounts with 2FA on (`challenge`), the lockout both go through
//! (`lockout`), and re-authentication before a sensitive change
//! (`reauthentication`).

pub mod challenge;
pub mod lockout;
pub mod password;
pub mod reauthentication;
