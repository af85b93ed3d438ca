//! Secrets at rest (TOTP secrets, for one): AES-256-GCM under a key derived
//! from the configured encryption root, stored as text
//! `v{version}:{base64url(nonce ‖ ciphertext ‖ tag)}`.
//!
//! - Every seal draws a fresh 96-bit nonce from the OS: with random nonces a
//!   key stays safe for far more values than we will ever store (NIST SP
//!   800-38D §8.3 allows 2^32 per key), and two seals of one value differ.
//! - The version names the root key, so the root can be rotated: values sealed
//!   under an older root still open while it is configured, and
//!   [`SecretSealer::needs_reseal`] tells which rows to rewrite lazily.
//! - Each version gets its own AES key, `derive(root, "gatehouse/secrets-at-rest/v{n}")`,
//!   so a root is never used directly and versions never share a key.
//! - Callers pass associated data naming the purpose and row (for example
//!   `b"totp-secret\0" ‖ user id`): a ciphertext copied into another row or
//!   column fails to open instead of decrypting there.
//!
//! Errors are `AuthError::Internal` with a fixed message: never the secret,
//! never the ciphertext.

use std::collections::BTreeMap;

use aes_gcm::{
    aead::{AeadInPlace, KeyInit},
    Aes256Gcm, Key, Nonce, Tag,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use secrecy::{zeroize::Zeroizing, ExposeSecret, SecretSlice};

use crate::auth::{crypto::keys, error::AuthError};

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Seals and opens secrets at rest. Holds one AES-256-GCM key per configured
/// root-key version; `Debug` shows the versions only.
pub struct SecretSealer {
    current: u32,
    ciphers: BTreeMap<u32, Aes256Gcm>,
}

impl SecretSealer {
    /// A sealer with a single root key, as version 1 (no rotation yet).
    pub fn new(root: &[u8; 32]) -> Self {
        Self::with_rotation(1, root, &[]).expect("version 1 alone is a valid key set")
    }

    /// A sealer after one or more rotations.
    ///
    /// `current_root` is the root key of `current_version`, the one new seals
    /// use. `previous_roots` lists `(version, root)` for every older version
    /// whose values must still open; a version left out here can no longer be
    /// opened, so drop one only after every row sealed under it was resealed.
    ///
    /// Versions start at 1. Version 0, or a version given twice, is a
    /// configuration error.
    pub fn with_rotation(
        current_version: u32,
        current_root: &[u8; 32],
        previous_roots: &[(u32, &[u8; 32])],
    ) -> Result<Self, AuthError> {
        let mut ciphers = BTreeMap::new();
        for &(version, root) in
            std::iter::once(&(current_version, current_root)).chain(previous_roots.iter())
        {
            if version == 0 {
                return Err(AuthError::internal(
                    "secret sealer: key versions start at 1",
                ));
            }
            if ciphers.insert(version, cipher_for(version, root)).is_some() {
                return Err(AuthError::Internal(format!(
                    "secret sealer: key version {version} is configured twice"
                )));
            }
        }
        Ok(Self {
            current: current_version,
            ciphers,
        })
    }

    /// The version new seals are made under.
    pub fn current_version(&self) -> u32 {
        self.current
    }

    /// Encrypts `plaintext` under the current version, bound to `aad`.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<String, AuthError> {
        let cipher = &self.ciphers[&self.current];
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);

        // One buffer, sized up front so it never reallocates and leaves a
        // stray copy of the plaintext behind: nonce ‖ ciphertext ‖ tag.
        let mut sealed = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(plaintext);
        let tag = cipher
            .encrypt_in_place_detached(Nonce::from_slice(&nonce), aad, &mut sealed[NONCE_LEN..])
            .map_err(|_| AuthError::internal("secret sealer: encryption failed"))?;
        sealed.extend_from_slice(&tag);
        Ok(format!(
            "v{}:{}",
            self.current,
            URL_SAFE_NO_PAD.encode(sealed)
        ))
    }

    /// Decrypts a value made by [`seal`](Self::seal) with the same `aad`.
    /// Fails on an unknown version, a malformed text, a wrong `aad` or any
    /// change to the stored text.
    pub fn open(&self, sealed: &str, aad: &[u8]) -> Result<SecretSlice<u8>, AuthError> {
        let (version, body) = parse(sealed)?;
        let cipher = self
            .ciphers
            .get(&version)
            .ok_or_else(|| AuthError::internal("secret sealer: unknown key version"))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| AuthError::internal("secret sealer: malformed sealed value"))?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(AuthError::internal("secret sealer: malformed sealed value"));
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);

        // Decrypted in a buffer that is wiped when dropped; the copy handed
        // out has exactly its length, so boxing it does not reallocate.
        let mut plaintext = Zeroizing::new(ciphertext.to_vec());
        cipher
            .decrypt_in_place_detached(
                Nonce::from_slice(nonce),
                aad,
                &mut plaintext,
                Tag::from_slice(tag),
            )
            .map_err(|_| {
                AuthError::internal("secret sealer: sealed value failed authentication")
            })?;
        Ok(SecretSlice::from(plaintext.to_vec()))
    }

    /// Whether `sealed` was made under an older version than the current one
    /// (or is unreadable): such a value should be opened and sealed again.
    pub fn needs_reseal(&self, sealed: &str) -> bool {
        parse(sealed).map_or(true, |(version, _)| version != self.current)
    }
}

impl std::fmt::Debug for SecretSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretSealer")
            .field("current", &self.current)
            .field("versions", &self.ciphers.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn cipher_for(version: u32, root: &[u8; 32]) -> Aes256Gcm {
    let key = keys::derive(root, &format!("gatehouse/secrets-at-rest/v{version}"));
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.expose_secret()))
}

/// Splits `v{version}:{body}`. The version must be written canonically
/// (digits only, no leading zero) so each version has one spelling.
fn parse(sealed: &str) -> Result<(u32, &str), AuthError> {
    let malformed = || AuthError::internal("secret sealer: malformed sealed value");
    let (prefix, body) = sealed.split_once(':').ok_or_else(malformed)?;
    let digits = prefix.strip_prefix('v').ok_or_else(malformed)?;
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if !canonical {
        return Err(malformed());
    }
    let version = digits.parse().map_err(|_| malformed())?;
    Ok((version, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT_1: [u8; 32] = [7; 32];
    const ROOT_2: [u8; 32] = [9; 32];
    const SECRET: &[u8] = b"JBSWY3DPEHPK3PXP-a-totp-secret";
    const AAD: &[u8] = b"totp-secret\0user-1";

    #[test]
    fn round_trip() {
        let sealer = SecretSealer::new(&ROOT_1);
        let sealed = sealer.seal(SECRET, AAD).unwrap();
        assert!(sealed.starts_with("v1:"));
        assert_eq!(sealer.open(&sealed, AAD).unwrap().expose_secret(), SECRET);
        assert!(!sealer.needs_reseal(&sealed));
    }

    #[test]
    fn two_seals_of_one_value_differ() {
        let sealer = SecretSealer::new(&ROOT_1);
        assert_ne!(
            sealer.seal(SECRET, AAD).unwrap(),
            sealer.seal(SECRET, AAD).unwrap()
        );
    }

    #[test]
    fn the_stored_text_does_not_contain_the_plaintext() {
        let sealer = SecretSealer::new(&ROOT_1);
        let plaintext = "JBSWY3DPEHPK3PXP";
        let sealed = sealer.seal(plaintext.as_bytes(), AAD).unwrap();
        assert!(!sealed.contains(plaintext));
        assert!(!sealed.contains(&URL_SAFE_NO_PAD.encode(plaintext)));
        let body = URL_SAFE_NO_PAD.decode(&sealed[3..]).unwrap();
        assert!(!body
            .windows(plaintext.len())
            .any(|w| w == plaintext.as_bytes()));
    }

    #[test]
    fn tampering_and_wrong_context_fail() {
        let sealer = SecretSealer::new(&ROOT_1);
        let sealed = sealer.seal(SECRET, AAD).unwrap();
        assert!(sealer.open(&sealed, b"totp-secret\0user-2").is_err());

        let bytes = URL_SAFE_NO_PAD.decode(&sealed[3..]).unwrap();
        for position in [0, NONCE_LEN, bytes.len() - 1] {
            let mut flipped = bytes.clone();
            flipped[position] ^= 1;
            let forged = format!("v1:{}", URL_SAFE_NO_PAD.encode(flipped));
            assert!(sealer.open(&forged, AAD).is_err(), "flip at {position}");
        }
        let truncated = format!(
            "v1:{}",
            URL_SAFE_NO_PAD.encode(&bytes[..NONCE_LEN + TAG_LEN - 1])
        );
        for bad in [
            truncated.as_str(),
            "",
            "v1",
            "v1:",
            "1:abc",
            "v01:abc",
            "v1:!!",
        ] {
            assert!(sealer.open(bad, AAD).is_err(), "{bad:?}");
        }
        // Another root key cannot open it.
        assert!(SecretSealer::new(&ROOT_2).open(&sealed, AAD).is_err());
    }

    #[test]
    fn unknown_version_fails_and_errors_never_hold_the_secret() {
        let sealer = SecretSealer::new(&ROOT_1);
        let sealed = sealer.seal(SECRET, AAD).unwrap();
        let relabelled = sealed.replacen("v1:", "v2:", 1);
        let error = sealer.open(&relabelled, AAD).unwrap_err();
        assert!(matches!(error, AuthError::Internal(_)));
        for error in [error, sealer.open(&sealed, b"other").unwrap_err()] {
            let message = error.to_string();
            assert!(!message.contains("JBSWY3DPEHPK3PXP"), "{message}");
            assert!(!message.contains(&sealed[3..]), "{message}");
        }
    }

    #[test]
    fn values_sealed_before_a_rotation_still_open() {
        let before = SecretSealer::new(&ROOT_1);
        let old = before.seal(SECRET, AAD).unwrap();

        let after = SecretSealer::with_rotation(2, &ROOT_2, &[(1, &ROOT_1)]).unwrap();
        assert_eq!(after.current_version(), 2);
        assert_eq!(after.open(&old, AAD).unwrap().expose_secret(), SECRET);
        assert!(after.needs_reseal(&old));

        let new = after.seal(SECRET, AAD).unwrap();
        assert!(new.starts_with("v2:"));
        assert!(!after.needs_reseal(&new));
        // The old sealer cannot read what the new key sealed.
        assert!(before.open(&new, AAD).is_err());
    }

    #[test]
    fn versions_get_distinct_keys_even_from_one_root() {
        let sealer = SecretSealer::with_rotation(2, &ROOT_1, &[(1, &ROOT_1)]).unwrap();
        let sealed = sealer.seal(SECRET, AAD).unwrap();
        let relabelled = sealed.replacen("v2:", "v1:", 1);
        assert!(sealer.open(&relabelled, AAD).is_err());
    }

    #[test]
    fn bad_key_sets_are_refused() {
        assert!(SecretSealer::with_rotation(0, &ROOT_1, &[]).is_err());
        assert!(SecretSealer::with_rotation(2, &ROOT_2, &[(2, &ROOT_1)]).is_err());
        assert!(SecretSealer::with_rotation(3, &ROOT_2, &[(1, &ROOT_1), (1, &ROOT_2)]).is_err());
        assert_eq!(
            format!(
                "{:?}",
                SecretSealer::with_rotation(2, &ROOT_2, &[(1, &ROOT_1)]).unwrap()
            ),
            "SecretSealer { current: 2, versions: [1, 2] }"
        );
    }
}
