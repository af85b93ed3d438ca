//! Backup codes: one-time codes of uppercase letters and digits, shown to the
//! user once and stored only as keyed hashes (SECURITY.md M6).
//!
//! The hash is HMAC-SHA-256 under a key derived from the encryption root, not
//! a password hash: a code carries ~41 bits (8 of 36 symbols), too few to
//! resist offline guessing by any salted hash, but a keyed hash is useless to
//! someone who stole the database without the key. Being deterministic, it
//! also lets a code be found and spent with one conditional UPDATE.
//!
//! Input is forgiving (any case, spaces and dashes) and is normalised before
//! hashing, so `abcd efgh` and `ABCD-EFGH` are the same code.

use std::collections::HashSet;

use hmac::{Hmac, Mac};
use rand::{distributions::Uniform, Rng};
use sha2::Sha256;
use subtle::ConstantTimeEq;

const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Characters per group in [`display`].
const GROUP: usize = 4;

/// `count` distinct codes of `length` symbols, each drawn uniformly from
/// `A–Z0–9` by the OS's CSPRNG.
///
/// # Panics
/// If `length` leaves too few possible codes for `count` distinct ones (fewer
/// than twice `count`); configuration should never ask for that.
pub fn generate(count: usize, length: usize) -> Vec<String> {
    let space = u32::try_from(length)
        .ok()
        .and_then(|length| 36u128.checked_pow(length))
        .unwrap_or(u128::MAX);
    assert!(
        space >= 2 * count as u128,
        "{count} backup codes cannot be distinct with {length} symbols"
    );
    // `Uniform` rejects out-of-range samples instead of taking a modulus, so
    // every symbol is equally likely.
    let symbols = Uniform::from(0..ALPHABET.len());
    let mut rng = rand::rngs::OsRng;
    let mut seen = HashSet::with_capacity(count);
    let mut codes = Vec::with_capacity(count);
    while codes.len() < count {
        let code: String = (&mut rng)
            .sample_iter(symbols)
            .take(length)
            .map(|i| char::from(ALPHABET[i]))
            .collect();
        // A repeat is astronomically unlikely at real lengths, but two equal
        // codes would share one hash and one spend.
        if seen.insert(code.clone()) {
            codes.push(code);
        }
    }
    codes
}

/// The canonical form of a typed code: uppercase, without spaces or dashes,
/// exactly `length` symbols of `A–Z0–9`; `None` for anything else.
pub fn normalize(input: &str, length: usize) -> Option<String> {
    // Generous for separators, but bounded, so junk is refused cheaply.
    if input.len() > 4 * length + 16 {
        return None;
    }
    let code: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid = code.len() == length
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    valid.then_some(code)
}

/// Lowercase hex HMAC-SHA-256 of a normalised code: what is stored.
pub fn hash(key: &[u8; 32], normalized: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(normalized.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether a normalised code hashes to `stored`, compared in constant time.
pub fn matches(key: &[u8; 32], normalized: &str, stored: &str) -> bool {
    hash(key, normalized)
        .as_bytes()
        .ct_eq(stored.as_bytes())
        .into()
}

/// A code as shown to the user: groups of four joined by dashes
/// (`ABCD-EFGH`). `normalize` accepts this form back.
pub fn display(code: &str) -> String {
    code.chars()
        .collect::<Vec<_>>()
        .chunks(GROUP)
        .map(String::from_iter)
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn codes_have_the_alphabet_and_length() {
        let codes = generate(10, 8);
        assert_eq!(codes.len(), 10);
        for code in &codes {
            assert_eq!(code.len(), 8);
            assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
            assert_eq!(normalize(code, 8).as_deref(), Some(code.as_str()));
        }
        assert_eq!(
            generate(3, 12).iter().map(String::len).collect::<Vec<_>>(),
            [12; 3]
        );
        assert!(generate(0, 8).is_empty());
    }

    #[test]
    fn codes_in_a_set_are_distinct_and_symbols_all_appear() {
        let codes = generate(200, 8);
        assert_eq!(codes.iter().collect::<HashSet<_>>().len(), 200);
        // 1,600 draws from 36 symbols: each is expected ~44 times, so a
        // missing one would point at a broken alphabet, not bad luck.
        let used: HashSet<u8> = codes.iter().flat_map(|c| c.bytes()).collect();
        assert_eq!(used.len(), 36);
        // Small spaces still give distinct codes.
        let small = generate(600, 2);
        assert_eq!(small.iter().collect::<HashSet<_>>().len(), 600);
    }

    #[test]
    #[should_panic(expected = "cannot be distinct")]
    fn impossible_sets_are_refused() {
        generate(20, 1);
    }

    #[test]
    fn input_is_normalised() {
        for input in [
            "abcd efgh",
            "ABCD-EFGH",
            " AbCd-eFgH ",
            "ABCDEFGH",
            "ab-cd ef\tgh",
        ] {
            assert_eq!(
                normalize(input, 8).as_deref(),
                Some("ABCDEFGH"),
                "{input:?}"
            );
        }
        assert_eq!(normalize("a1b2-c3d4", 8).as_deref(), Some("A1B2C3D4"));
    }

    #[test]
    fn wrong_lengths_and_symbols_are_refused() {
        for input in [
            "",
            "ABCDEFG",
            "ABCDEFGHI",
            "ABCD_EFGH",
            "ABCD.EFGH",
            "ABCD+EFGH",
            "ÀBCDEFGH",
            "ABCDEFGĦ",
            "ＡBCDEFGH",
            "----------",
            &"A-".repeat(100),
        ] {
            assert_eq!(normalize(input, 8), None, "{input:?}");
        }
    }

    #[test]
    fn hashes_are_stable_and_depend_on_the_key() {
        let key = crate::auth::crypto::keys::backup_code_key(&[1; 32]);
        let key = key.expose_secret();
        let other = crate::auth::crypto::keys::backup_code_key(&[2; 32]);
        let first = hash(key, "ABCDEFGH");
        assert_eq!(first.len(), 64);
        assert!(first
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(hash(key, "ABCDEFGH"), first);
        assert_ne!(hash(key, "ABCDEFGI"), first);
        assert_ne!(hash(other.expose_secret(), "ABCDEFGH"), first);
        // The root itself is not the key: the derivation is applied.
        assert_ne!(hash(&[1; 32], "ABCDEFGH"), first);

        assert!(matches(key, "ABCDEFGH", &first));
        assert!(!matches(key, "ABCDEFGI", &first));
        assert!(!matches(key, "ABCDEFGH", &first[..63]));
    }

    #[test]
    fn codes_are_displayed_in_groups_of_four() {
        assert_eq!(display("ABCDEFGH"), "ABCD-EFGH");
        assert_eq!(display("ABCDEFGHIJ"), "ABCD-EFGH-IJ");
        assert_eq!(display("ABC"), "ABC");
        assert_eq!(
            normalize(&display("A1B2C3D4"), 8).as_deref(),
            Some("A1B2C3D4")
        );
    }
}
