//! Parsed identity values: once an `Email` or `Username` exists, it is valid
//! and carries its normalised form for lookups.
//!
//! One mailbox, one account: an address is compared after Unicode NFKC
//! (fullwidth and other compatibility forms fold to their plain letters),
//! with its domain in IDNA ASCII form (`exämple.com` and
//! `xn--exmple-cua.com` are one domain) and everything lower-cased.

use unicode_normalization::UnicodeNormalization;
use validator::ValidateEmail;

use crate::auth::error::FieldError;

const MAX_EMAIL_CHARS: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    display: String,
    normalized: String,
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new("email", "invalid_email");
        let display = raw.trim().nfkc().collect::<String>();
        if display.chars().count() > MAX_EMAIL_CHARS
            || display.chars().any(char::is_control)
            || !display.validate_email()
        {
            return Err(invalid());
        }
        let normalized = normalize(&display).ok_or_else(invalid)?;
        if normalized.len() > MAX_EMAIL_CHARS {
            return Err(invalid());
        }
        Ok(Self {
            normalized,
            display,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.display
    }

    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// The part before the `@`, lower-cased: a password may not contain it.
    pub fn local_part(&self) -> &str {
        self.normalized
            .rsplit_once('@')
            .map_or(&self.normalized, |(local, _)| local)
    }
}

/// The lookup form of an NFKC address: the local part lower-cased, the
/// domain through UTS #46 to ASCII (which also lower-cases it). `None` for
/// a domain IDNA refuses.
fn normalize(address: &str) -> Option<String> {
    let (local, domain) = address.rsplit_once('@')?;
    let domain = idna::domain_to_ascii(domain).ok()?;
    Some(format!("{}@{domain}", local.to_lowercase()))
}

/// Text that may be only part of an address, or not a valid one (an
/// administrator's search, the rate-limit key of an address that does not
/// parse), folded as `Email` folds: trimmed, NFKC, lower-cased, and the
/// part after an `@` in IDNA ASCII form when IDNA takes it. It finds what
/// `Email::normalized` stored, without requiring a whole valid address.
pub fn normalize_loosely(raw: &str) -> String {
    let folded = raw.trim().nfkc().collect::<String>();
    normalize(&folded).unwrap_or_else(|| folded.to_lowercase())
}

/// The forms an administrator's search for part of an address or username
/// is looked for in: `normalize_loosely(raw)` and, for a term without an
/// `@` beyond ASCII, also its IDNA ASCII form, in case it is (part of) a
/// domain (`exämple` finds `xn--exmple-cua.com`). Part of a label does not
/// find its whole: punycode encodes a label at once.
pub fn search_forms(raw: &str) -> Vec<String> {
    let folded = normalize_loosely(raw);
    let domain = (!folded.contains('@') && !folded.is_ascii())
        .then(|| idna::domain_to_ascii(&folded).ok())
        .flatten()
        .filter(|domain| *domain != folded);
    std::iter::once(folded).chain(domain).collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username {
    display: String,
    normalized: String,
}

impl Username {
    /// 3–32 of `[A-Za-z0-9_.-]` (API.md).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let display = raw.trim().to_string();
        let valid_chars = display
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !(3..=32).contains(&display.len()) || !valid_chars {
            return Err(FieldError::new("username", "invalid_username"));
        }
        Ok(Self {
            normalized: display.to_ascii_lowercase(),
            display,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.display
    }

    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_normalised() {
        let email = Email::parse("  Alice.Smith@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Alice.Smith@Example.COM");
        assert_eq!(email.normalized(), "alice.smith@example.com");
        assert_eq!(email.local_part(), "alice.smith");
    }

    #[test]
    fn one_mailbox_has_one_normalised_form() {
        let forms = [
            "Ann@Exämple.com",
            "ann@xn--exmple-cua.com",
            "ANN@EXÄMPLE.COM",
            // Fullwidth letters, at sign and full stop (NFKC folds them).
            "\u{ff21}nn\u{ff20}ex\u{e4}mple\u{ff0e}com",
            // "ä" decomposed: a + combining diaeresis.
            "ann@exa\u{308}mple.com",
        ];
        for form in forms {
            let email = Email::parse(form).unwrap_or_else(|e| panic!("{form:?}: {e:?}"));
            assert_eq!(email.normalized(), "ann@xn--exmple-cua.com", "{form:?}");
        }
    }

    #[test]
    fn partial_addresses_fold_like_whole_ones() {
        let stored = Email::parse("Ann@Exämple.com").unwrap();
        for (term, folded) in [
            (" ANN@EXÄMPLE.COM ", "ann@xn--exmple-cua.com"),
            ("\u{ff21}nn\u{ff20}ex\u{e4}mple", "ann@xn--exmple-cua"),
            ("@exa\u{308}mple.c", "@xn--exmple-cua.c"),
            ("\u{ff21}NN", "ann"),
            ("50%_off", "50%_off"),
        ] {
            assert_eq!(normalize_loosely(term), folded, "{term:?}");
        }
        assert!(stored
            .normalized()
            .contains(&normalize_loosely("ann@EXÄMPLE")));
        assert_eq!(normalize_loosely("Ann@Exämple.com"), stored.normalized());
        assert_eq!(search_forms("EXÄMPLE"), ["exämple", "xn--exmple-cua"]);
        assert_eq!(search_forms("Ann@Exämple"), ["ann@xn--exmple-cua"]);
        assert_eq!(search_forms("Ann"), ["ann"]);
    }

    #[test]
    fn bad_emails_are_refused() {
        for raw in [
            "",
            "no-at-sign",
            "a@",
            "@b.c",
            "a@b@c",
            "x\u{0}@example.com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(300))).is_err());
    }

    #[test]
    fn usernames_follow_the_contract() {
        assert_eq!(
            Username::parse("Bob_1.x-y").unwrap().normalized(),
            "bob_1.x-y"
        );
        for raw in [
            "ab",
            &"a".repeat(33),
            "has space",
            "ünïcode",
            "semi;colon",
            "' OR 1=1 --",
        ] {
            assert!(Username::parse(raw).is_err(), "{raw:?}");
        }
    }
}
