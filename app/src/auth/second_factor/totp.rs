//! Time-based one-time passwords (RFC 6238) as every authenticator app
//! implements them: HMAC-SHA-1, 6 digits, 30-second steps.
//!
//! The codes come from `totp-rs`; the window is walked here, one step at a
//! time, because the service needs the matched time step itself: it stores
//! the last step used per user and refuses any step at or before it, so a
//! code works once (ASVS 2.8.4).
//!
//! SHA-1 is what the apps support; its collision weakness does not touch
//! HMAC. A code is accepted for the current step and one step either side
//! (clock drift and typing time), never further (SECURITY.md M3).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rand::RngCore;
use subtle::ConstantTimeEq;

pub const DIGITS: usize = 6;
pub const STEP_SECONDS: i64 = 30;
/// Steps accepted either side of the current one.
pub const SKEW_STEPS: i64 = 1;
/// 256 bits: RFC 4226 asks for at least 128 and recommends 160.
pub const SECRET_LEN: usize = 32;

/// Left as they are in the provisioning URI: RFC 3986 unreserved characters
/// and `@` (allowed in a path and a query, and what an email looks like in the
/// Key URI Format's own examples). Everything else, `:`, `&`, `=`, `+` and
/// space included, is percent-encoded, so the issuer/account separator and
/// the query stay unambiguous.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// A new shared secret from the OS's CSPRNG.
pub fn generate_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_LEN];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    secret
}

/// RFC 4648 base32, uppercase, without padding: the form authenticator apps
/// take for manual entry and in the `secret` parameter.
pub fn encode_base32(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

/// `otpauth://totp/ISSUER:EMAIL?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30`
/// (API.md), with issuer and email percent-encoded (a space becomes `%20`).
pub fn provisioning_uri(issuer: &str, account_email: &str, secret: &[u8]) -> String {
    let issuer = utf8_percent_encode(issuer, URI_COMPONENT);
    let account = utf8_percent_encode(account_email, URI_COMPONENT);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}\
         &algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        secret = encode_base32(secret),
    )
}

/// The time step a Unix time falls in.
pub fn step_at(now_unix: i64) -> i64 {
    now_unix.div_euclid(STEP_SECONDS)
}

/// The 6-digit code of one time step.
pub fn code_at(secret: &[u8], step: i64) -> String {
    hotp(secret, step, DIGITS)
}

/// The time step `code` belongs to, if it is the code of the current step or
/// of one step either side and that step is after `last_used_step`.
///
/// The caller stores the returned step as the new `last_used_step` (with a
/// conditional update, so two concurrent uses of one code cannot both win).
/// A code is refused unless it is exactly 6 ASCII digits once surrounding
/// spaces are trimmed. Every candidate is computed and compared in constant
/// time, whether or not an earlier one matched.
pub fn verify(
    secret: &[u8],
    code: &str,
    now_unix: i64,
    last_used_step: Option<i64>,
) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(now_unix);
    let mut matched = None;
    for step in now - SKEW_STEPS..=now + SKEW_STEPS {
        let equal = bool::from(code_at(secret, step).as_bytes().ct_eq(code.as_bytes()));
        let unused = step >= 0 && last_used_step.is_none_or(|last| step > last);
        if equal && unused && matched.is_none() {
            matched = Some(step);
        }
    }
    matched
}

/// RFC 4226 HOTP of `counter`: the TOTP of the time `counter` steps after
/// the epoch, as `totp-rs` computes it.
fn hotp(secret: &[u8], counter: i64, digits: usize) -> String {
    let totp = totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        digits,
        0,
        STEP_SECONDS as u64,
        secret.to_vec(),
    );
    totp.generate(counter.max(0) as u64 * STEP_SECONDS as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed of RFC 4226 appendix D and RFC 6238 appendix B (SHA-1).
    const RFC_SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_known_answers() {
        let vectors = [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ];
        for (time, expected) in vectors {
            let step = step_at(time);
            assert_eq!(hotp(RFC_SEED, step, 8), expected, "t = {time}");
            assert_eq!(code_at(RFC_SEED, step), expected[2..], "t = {time}");
            assert_eq!(verify(RFC_SEED, &expected[2..], time, None), Some(step));
        }
    }

    #[test]
    fn rfc_4226_known_answers() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(
                code_at(RFC_SEED, counter as i64),
                *code,
                "counter {counter}"
            );
        }
    }

    #[test]
    fn one_step_either_side_is_accepted_and_no_further() {
        let now = 1_111_111_111;
        let step = step_at(now);
        for offset in -1..=1 {
            let code = code_at(RFC_SEED, step + offset);
            assert_eq!(verify(RFC_SEED, &code, now, None), Some(step + offset));
        }
        for offset in [-3, -2, 2, 3] {
            let code = code_at(RFC_SEED, step + offset);
            assert_eq!(verify(RFC_SEED, &code, now, None), None, "offset {offset}");
        }
    }

    #[test]
    fn a_used_step_is_refused() {
        let now = 1_234_567_890;
        let code = code_at(RFC_SEED, step_at(now));
        let used = verify(RFC_SEED, &code, now, None).unwrap();
        assert_eq!(verify(RFC_SEED, &code, now, Some(used)), None);
        assert_eq!(verify(RFC_SEED, &code, now + 5, Some(used)), None);
        // An older, still-in-window code is refused once a later step was used.
        let previous = code_at(RFC_SEED, used - 1);
        assert_eq!(verify(RFC_SEED, &previous, now, Some(used)), None);
        // The next step's code is still fine.
        let next = code_at(RFC_SEED, used + 1);
        assert_eq!(verify(RFC_SEED, &next, now, Some(used)), Some(used + 1));
    }

    #[test]
    fn only_six_ascii_digits_are_accepted() {
        let now = 59;
        let code = code_at(RFC_SEED, step_at(now));
        assert_eq!(code, "287082");
        assert_eq!(verify(RFC_SEED, " 287082 ", now, None), Some(1));
        for bad in [
            "",
            "28708",
            "2870820",
            "94287082",
            "287 082",
            "28708a",
            "+87082",
            "-87082",
            "２８７０８２",
        ] {
            assert_eq!(verify(RFC_SEED, bad, now, None), None, "{bad:?}");
        }
    }

    #[test]
    fn secrets_are_random_and_long_enough() {
        let (a, b) = (generate_secret(), generate_secret());
        assert_eq!(a.len(), 32);
        assert!(a.len() * 8 >= 160);
        assert_ne!(a, b);
        let encoded = encode_base32(&a);
        assert_eq!(encoded.len(), 52);
        assert!(encoded
            .bytes()
            .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c)));
    }

    #[test]
    fn base32_is_rfc_4648_without_padding() {
        assert_eq!(encode_base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(encode_base32(b"f"), "MY");
        assert_eq!(encode_base32(RFC_SEED), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn provisioning_uri_is_exact() {
        assert_eq!(
            provisioning_uri("GLAD Labs", "a.b@example.com", RFC_SEED),
            "otpauth://totp/GLAD%20Labs:a.b@example.com\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=GLAD%20Labs\
             &algorithm=SHA1&digits=6&period=30"
        );
        // Separators inside either part cannot split the label or the query.
        assert_eq!(
            provisioning_uri("A:B&C=D", "x+y@example.com", b"f"),
            "otpauth://totp/A%3AB%26C%3DD:x%2By@example.com\
             ?secret=MY&issuer=A%3AB%26C%3DD&algorithm=SHA1&digits=6&period=30"
        );
    }
}
