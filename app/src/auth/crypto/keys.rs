//! Key material, derived once at start from the two configured master
//! secrets with HKDF-SHA-256 and a distinct label per purpose, so one
//! purpose's key never doubles as another's.

use hkdf::Hkdf;
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;

use crate::auth::{crypto::secret_box::SecretSealer, error::AuthError};
use crate::config::Config;

/// The HMAC key for backup-code hashes, from the encryption root.
pub fn backup_code_key(encryption_root: &[u8; 32]) -> SecretBox<[u8; 32]> {
    derive(encryption_root, "gatehouse/backup-codes/v1")
}

/// Everything derived from configuration. The access-token signing keys are
/// not here: they may live in the database (`signing_keys`).
pub struct Keys {
    /// MACs refresh tokens (see `tokens::refresh`).
    pub refresh_mac: SecretBox<[u8; 32]>,
    /// Hashes the secret half of 2FA challenge tokens.
    pub challenge_mac: SecretBox<[u8; 32]>,
    /// Hashes emailed single-use tokens (password reset, email verification).
    pub account_token_mac: SecretBox<[u8; 32]>,
    /// Hashes personal API tokens.
    pub api_token_mac: SecretBox<[u8; 32]>,
    /// Hashes resource servers' introspection secrets.
    pub resource_server_mac: SecretBox<[u8; 32]>,
    /// Root for secrets at rest (TOTP encryption, backup-code hashing).
    pub encryption_root: SecretBox<[u8; 32]>,
    /// Encrypts TOTP secrets under the current key version; opens older ones.
    pub sealer: SecretSealer,
    /// Backup-code HMAC keys by encryption-key version, current first.
    pub backup_code_keys: Vec<crate::config::VersionedKey>,
}

impl Keys {
    pub fn derive(config: &Config) -> Result<Self, AuthError> {
        let jwt_secret = config.jwt_secret.expose_secret().as_bytes();
        let root = config.encryption_key.expose_secret();
        let previous: Vec<(u32, &[u8; 32])> = config
            .previous_encryption_keys
            .iter()
            .map(|(version, key)| (*version, key.expose_secret()))
            .collect();
        let sealer = SecretSealer::with_rotation(config.encryption_key_version, root, &previous)?;
        let backup_code_keys = std::iter::once((config.encryption_key_version, root))
            .chain(previous.iter().copied())
            .map(|(version, root)| (version, backup_code_key(root)))
            .collect();
        Ok(Self {
            refresh_mac: derive(jwt_secret, "gatehouse/refresh-token/v1"),
            challenge_mac: derive(jwt_secret, "gatehouse/2fa-challenge/v1"),
            account_token_mac: derive(jwt_secret, "gatehouse/account-token/v1"),
            api_token_mac: derive(jwt_secret, "gatehouse/api-token/v1"),
            resource_server_mac: derive(jwt_secret, "gatehouse/resource-server/v1"),
            encryption_root: SecretBox::new(Box::new(*root)),
            sealer,
            backup_code_keys,
        })
    }
}

pub(crate) fn derive(master: &[u8], label: &str) -> SecretBox<[u8; 32]> {
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(None, master)
        .expand(label.as_bytes(), &mut key)
        .expect("32 bytes is a valid HKDF-SHA-256 output length");
    SecretBox::new(Box::new(key))
}
