//! The password policy of API.md: every failed rule is reported, so a person
//! can fix them all at once.

use std::{collections::HashSet, sync::LazyLock};

use super::Password;
use crate::auth::{
    error::FieldError,
    identity::{Email, Username},
};

pub const MIN_CHARS: usize = crate::types::MIN_PASSWORD_CHARS;

/// The 20,000 most common passwords (see `COMMON_PASSWORDS.md`), lower-case.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .filter(|line| !line.is_empty())
        .collect()
});

/// Checks a new password for an account; `field` names the form field the
/// errors belong to (`password` or `new_password`).
pub fn check(
    field: &'static str,
    password: &Password,
    email: &Email,
    username: &Username,
) -> Result<(), Vec<FieldError>> {
    let text = password.expose();
    let mut errors = Vec::new();

    if text.chars().count() < MIN_CHARS {
        errors.push(FieldError::new(field, "too_short"));
    }
    if !text.chars().any(char::is_uppercase) {
        errors.push(FieldError::new(field, "missing_uppercase"));
    }
    if !text.chars().any(|c| c.is_ascii_digit()) {
        errors.push(FieldError::new(field, "missing_digit"));
    }
    if !text.chars().any(is_special) {
        errors.push(FieldError::new(field, "missing_special"));
    }
    if is_common(text) {
        errors.push(FieldError::new(field, "common_password"));
    }
    let lower = text.to_lowercase();
    let local_part = email.local_part();
    if (local_part.chars().count() >= 3 && lower.contains(local_part))
        || lower.contains(username.normalized())
    {
        errors.push(FieldError::new(field, "contains_personal_info"));
    }

    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Anything that is neither a letter, a digit nor white space.
fn is_special(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace()
}

/// Compared case-insensitively after stripping leading and trailing digits and
/// symbols, so `Password123!` and `Qwertyuiop2024#` count as common.
fn is_common(text: &str) -> bool {
    let lower = text.to_lowercase();
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    COMMON_PASSWORDS.contains(lower.as_str())
        || (!core.is_empty() && COMMON_PASSWORDS.contains(core))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(password: &str) -> Vec<&'static str> {
        let email = Email::parse("jane.doe@example.com").unwrap();
        let username = Username::parse("janed").unwrap();
        let password = Password::parse("password", password).unwrap();
        match check("password", &password, &email, &username) {
            Ok(()) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| e.code).collect(),
        }
    }

    #[test]
    fn a_strong_password_passes() {
        assert!(codes("Correct-Horse-Battery-9").is_empty());
        assert!(codes("Pässwörd Ümlaut 12!").is_empty());
    }

    #[test]
    fn every_failed_rule_is_reported() {
        assert_eq!(
            codes("short"),
            vec![
                "too_short",
                "missing_uppercase",
                "missing_digit",
                "missing_special"
            ]
        );
        assert_eq!(
            codes("elevenchar1"),
            vec!["too_short", "missing_uppercase", "missing_special"]
        );
    }

    #[test]
    fn common_passwords_are_refused_after_stripping_digits_and_symbols() {
        assert_eq!(codes("Password123!"), vec!["common_password"]);
        assert_eq!(codes("Qwertyuiop2024#"), vec!["common_password"]);
        assert_eq!(codes("!!Iloveyou1234"), vec!["common_password"]);
    }

    #[test]
    fn personal_information_is_refused() {
        assert_eq!(codes("Jane.Doe-Secure-42"), vec!["contains_personal_info"]);
        assert_eq!(codes("xxJANEDxx-Secure-42"), vec!["contains_personal_info"]);
    }
}
