//! Proving who you are: a password sign-in (`password`), the second step
//! for accounts with 2FA on (`challenge`), and re-authentication before a
//! sensitive change (`reauthentication`). All three count their attempts
//! through `auth::lockout`.

pub mod challenge;
pub mod password;
pub mod reauthentication;
