//! Long-lived bearer secrets that people paste into scripts and config
//! files: personal API tokens (`gatehouse_pat_…`) and resource-server
//! secrets (`gatehouse_rs_…`).
//!
//! A secret is a recognisable prefix and 32 random bytes in lower-case
//! base32 (52 characters of `a-z2-7`): the prefix lets secret scanners find
//! a leaked one (`gatehouse_pat_[a-z2-7]{52}`), the alphabet survives
//! copying, URLs and double-click selection. Only an HMAC-SHA-256 of the
//! whole text under a key of its own purpose is stored.

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;
use subtle::ConstantTimeEq;

const RANDOM_BYTES: usize = 32;
/// Characters after the prefix: 32 bytes in unpadded base32.
pub const BODY_CHARS: usize = 52;

/// A fresh secret: `prefix` and 256 random bits.
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; RANDOM_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        BASE32_NOPAD.encode(&bytes).to_ascii_lowercase()
    )
}

/// Whether `text` has the shape of a secret with `prefix` (nothing checked
/// beyond the shape).
pub fn has_shape(prefix: &str, text: &str) -> bool {
    text.strip_prefix(prefix).is_some_and(|body| {
        body.len() == BODY_CHARS && body.bytes().all(|b| matches!(b, b'a'..=b'z' | b'2'..=b'7'))
    })
}

/// The stored form of `text`: HMAC-SHA-256 under `key`, in hex.
pub fn keyed_hash(key: &SecretBox<[u8; 32]>, text: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.expose_secret()).expect("HMAC accepts any key length");
    mac.update(text.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `text` hashes to `stored`, compared in constant time.
pub fn matches(key: &SecretBox<[u8; 32]>, text: &str, stored: &str) -> bool {
    keyed_hash(key, text)
        .as_bytes()
        .ct_eq(stored.as_bytes())
        .into()
}

/// The last four characters, shown in lists to tell secrets apart.
pub fn hint(text: &str) -> String {
    text.chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretBox<[u8; 32]> {
        SecretBox::new(Box::new([byte; 32]))
    }

    #[test]
    fn secrets_have_the_scannable_shape_and_differ() {
        let one = generate("gatehouse_pat_");
        let two = generate("gatehouse_pat_");
        assert_ne!(one, two);
        assert!(has_shape("gatehouse_pat_", &one), "{one}");
        assert!(!has_shape("gatehouse_rs_", &one));
        assert!(!has_shape("gatehouse_pat_", &one[..one.len() - 1]));
        assert!(!has_shape("gatehouse_pat_", &one.to_uppercase()));
        assert_eq!(hint(&one), &one[one.len() - 4..]);
    }

    #[test]
    fn hashes_are_keyed_and_compared_whole() {
        let secret = generate("gatehouse_rs_");
        let stored = keyed_hash(&key(1), &secret);
        assert!(matches(&key(1), &secret, &stored));
        assert!(!matches(&key(2), &secret, &stored));
        assert!(!matches(&key(1), &format!("{secret}x"), &stored));
        assert!(!matches(&key(1), &secret, &stored[..10]));
    }
}
