//! Passwords: the `Password` value (normalised, bounded, never printable),
//! the policy a new password must meet, and hashing.

pub mod hash_queue;
pub mod hashing;
pub mod policy;

use secrecy::{ExposeSecret, SecretString};
use unicode_normalization::UnicodeNormalization;

use super::error::FieldError;

/// Longer input is refused before any hashing work (ASVS 2.1.2; a 1 MB
/// "password" must not cost a megabyte of Argon2 input).
pub use crate::types::MAX_PASSWORD_BYTES;

/// A password as typed, NFKC-normalised so that the same characters typed on
/// different systems (composed or decomposed accents) hash the same.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    /// Refuses only what can never be a password; the policy is separate
    /// because logging in with an old, weaker password must still work.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        if raw.len() > MAX_PASSWORD_BYTES {
            return Err(FieldError::new(field, "too_long"));
        }
        if raw.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        Ok(Self(SecretString::from(raw.nfkc().collect::<String>())))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_and_decomposed_forms_are_one_password() {
        let composed = Password::parse("password", "P\u{e4}sswort 12!").unwrap();
        let decomposed = Password::parse("password", "Pa\u{308}sswort 12!").unwrap();
        assert_eq!(composed.expose(), decomposed.expose());
    }

    #[test]
    fn oversized_input_is_refused_and_debug_hides_the_value() {
        assert!(Password::parse("password", &"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
        let password = Password::parse("password", "hunter2hunter2").unwrap();
        assert!(!format!("{password:?}").contains("hunter2"));
    }
}
