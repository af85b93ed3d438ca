//! The two master secrets: `JWT_SECRET_KEY` (signs tokens) and
//! `DATABASE_ENCRYPTION_KEY` (the root of the keys that encrypt and MAC
//! secrets at rest). Production accepts only strong, non-placeholder values;
//! development fills in missing ones from the data folder.

use std::path::Path;

use base64::Engine;
use secrecy::{SecretBox, SecretString};

use super::{dev_secrets::DevSecrets, parse::Vars, ConfigError, Environment};

pub(super) const JWT_SECRET_KEY: &str = "JWT_SECRET_KEY";
pub(super) const DATABASE_ENCRYPTION_KEY: &str = "DATABASE_ENCRYPTION_KEY";

/// 256 bits, the HS256 key size (RFC 7518 §3.2, RFC 8725 §3.5).
const MIN_JWT_SECRET_BYTES: usize = 32;

/// Words that mark a value copied from an example rather than generated.
const PLACEHOLDER_WORDS: &[&str] = &[
    "secret",
    "change",
    "placeholder",
    "example",
    "your-",
    "your_",
    "dummy",
    "default",
    "password",
    "insecure",
];

pub(super) fn load(
    vars: &Vars<'_>,
    environment: Environment,
    data_dir: &Path,
    warnings: &mut Vec<String>,
) -> Result<(SecretString, SecretBox<[u8; 32]>), ConfigError> {
    let jwt = vars.string(JWT_SECRET_KEY);
    let encryption = vars.string(DATABASE_ENCRYPTION_KEY);

    if environment == Environment::Production {
        let jwt = jwt.ok_or_else(|| missing(JWT_SECRET_KEY))?;
        check_jwt_secret(&jwt)?;
        let encryption = encryption.ok_or_else(|| missing(DATABASE_ENCRYPTION_KEY))?;
        let key = decode_encryption_key(&encryption)?;
        check_encryption_key(&encryption, &key)?;
        return Ok((SecretString::from(jwt), SecretBox::new(Box::new(key))));
    }

    // Development: generate what is missing, warn about what is weak.
    let mut dev = match (&jwt, &encryption) {
        (Some(_), Some(_)) => None,
        _ => Some(DevSecrets::load(data_dir)?),
    };

    let jwt = match jwt {
        Some(value) => {
            if let Err(problem) = check_jwt_secret(&value) {
                warnings.push(format!("{problem} (accepted only in development)"));
            }
            value
        }
        None => dev
            .as_mut()
            .expect("loaded when a secret is missing")
            .get_or_generate(JWT_SECRET_KEY, generate_jwt_secret, warnings)?,
    };
    let encryption = match encryption {
        Some(value) => value,
        None => dev
            .as_mut()
            .expect("loaded when a secret is missing")
            .get_or_generate(DATABASE_ENCRYPTION_KEY, generate_encryption_key, warnings)?,
    };
    let key = decode_encryption_key(&encryption)?;
    if let Err(problem) = check_encryption_key(&encryption, &key) {
        warnings.push(format!("{problem} (accepted only in development)"));
    }
    Ok((SecretString::from(jwt), SecretBox::new(Box::new(key))))
}

pub(super) const PREVIOUS_KEYS: &str = "DATABASE_ENCRYPTION_PREVIOUS_KEYS";

/// Older encryption keys, `version:key` separated by commas, each key written
/// as `DATABASE_ENCRYPTION_KEY` is. Versions are distinct and differ from the
/// current one.
pub(super) fn previous_keys(
    vars: &Vars<'_>,
    current_version: u32,
) -> Result<Vec<super::VersionedKey>, ConfigError> {
    let Some(raw) = vars.string(PREVIOUS_KEYS) else {
        return Ok(Vec::new());
    };
    let mut keys: Vec<super::VersionedKey> = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let invalid = |why: &str| ConfigError::new(PREVIOUS_KEYS, why.to_string());
        let (version, key) = entry
            .split_once(':')
            .ok_or_else(|| invalid("each entry must be version:key, e.g. 1:BASE64KEY"))?;
        let version: u32 = version
            .trim()
            .parse()
            .ok()
            .filter(|v| *v >= 1)
            .ok_or_else(|| invalid("versions are whole numbers from 1"))?;
        if version == current_version || keys.iter().any(|(v, _)| *v == version) {
            return Err(invalid(
                "each version may appear once and must differ from DATABASE_ENCRYPTION_KEY_VERSION",
            ));
        }
        let key = decode_encryption_key(key.trim())
            .map_err(|_| invalid("each key must be 32 bytes as base64 or 64 hex digits"))?;
        keys.push((version, SecretBox::new(Box::new(key))));
    }
    Ok(keys)
}

fn missing(name: &str) -> ConfigError {
    ConfigError::new(
        name,
        "is not set; production needs a random secret (e.g. `openssl rand -base64 32`)",
    )
}

fn check_jwt_secret(value: &str) -> Result<(), ConfigError> {
    if value.len() < MIN_JWT_SECRET_BYTES {
        return Err(ConfigError::new(
            JWT_SECRET_KEY,
            format!(
                "is too short ({} bytes); use at least {MIN_JWT_SECRET_BYTES} random bytes",
                value.len()
            ),
        ));
    }
    if looks_like_placeholder(value) {
        return Err(ConfigError::new(
            JWT_SECRET_KEY,
            "looks like a placeholder; generate a random secret",
        ));
    }
    Ok(())
}

fn check_encryption_key(text: &str, key: &[u8; 32]) -> Result<(), ConfigError> {
    if looks_like_placeholder(text) || distinct_values(key) < 8 {
        return Err(ConfigError::new(
            DATABASE_ENCRYPTION_KEY,
            "looks like a placeholder; generate 32 random bytes",
        ));
    }
    Ok(())
}

/// 32 bytes as 64 hex digits or as base64 (standard or URL-safe, padded or not).
pub(super) fn decode_encryption_key(text: &str) -> Result<[u8; 32], ConfigError> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

    let decoded = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(text).ok()
    } else {
        [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
    };
    decoded
        .and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok())
        .ok_or_else(|| {
            ConfigError::new(
                DATABASE_ENCRYPTION_KEY,
                "must be exactly 32 bytes, written as base64 or as 64 hex digits",
            )
        })
}

/// A placeholder word as people write it (`secret`, `SECRET`, `Secret`), or
/// too few distinct characters (`xxxxxxxx…`). Matching exact-case forms, not
/// case-blind, matters: a random base64 secret holds some case variant of a
/// short word now and then (a case-blind "xxxx" refused one in about 17,000),
/// but one of these exact forms about once in a billion.
fn looks_like_placeholder(value: &str) -> bool {
    let forms = |word: &str| {
        let mut capitalised = word.to_string();
        capitalised[..1].make_ascii_uppercase();
        [word.to_string(), word.to_ascii_uppercase(), capitalised]
    };
    PLACEHOLDER_WORDS
        .iter()
        .any(|word| forms(word).iter().any(|form| value.contains(form.as_str())))
        || distinct_values(value.as_bytes()) < 8
}

fn distinct_values(bytes: &[u8]) -> usize {
    let mut seen = [false; 256];
    bytes.iter().for_each(|&b| seen[b as usize] = true);
    seen.iter().filter(|&&s| s).count()
}

fn generate_jwt_secret() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<48>())
}

fn generate_encryption_key() -> String {
    base64::engine::general_purpose::STANDARD.encode(random_bytes::<32>())
}

fn random_bytes<const N: usize>() -> [u8; N] {
    use rand::RngCore;
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encryption_key_accepts_hex_and_base64() {
        let key: [u8; 32] = std::array::from_fn(|i| i as u8 * 7);
        let hex_text = hex::encode(key);
        let b64_text = base64::engine::general_purpose::STANDARD.encode(key);
        let url_text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key);
        for text in [hex_text, b64_text, url_text] {
            assert_eq!(decode_encryption_key(&text).unwrap(), key, "{text}");
        }
    }

    #[test]
    fn encryption_key_must_be_32_bytes() {
        let short = base64::engine::general_purpose::STANDARD.encode([1u8; 16]);
        assert!(decode_encryption_key(&short).is_err());
        assert!(decode_encryption_key("not base64 at all!").is_err());
    }

    #[test]
    fn generated_secrets_pass_the_production_checks() {
        for _ in 0..50 {
            let jwt = generate_jwt_secret();
            check_jwt_secret(&jwt).unwrap();
            let text = generate_encryption_key();
            let key = decode_encryption_key(&text).unwrap();
            check_encryption_key(&text, &key).unwrap();
        }
    }

    #[test]
    fn random_secrets_are_never_taken_for_placeholders() {
        use base64::Engine;
        for _ in 0..20_000 {
            let text = base64::engine::general_purpose::STANDARD.encode(random_bytes::<48>());
            assert!(!looks_like_placeholder(&text), "{text}");
        }
    }

    #[test]
    fn placeholders_are_recognised() {
        assert!(check_jwt_secret("secret-key-please-change-me-in-production!!").is_err());
        assert!(check_jwt_secret("CHANGE_ME_CHANGE_ME_CHANGE_ME_CHANGE_ME_1234").is_err());
        assert!(check_jwt_secret("Your-Insecure-Default-Key-For-Testing-Only-0").is_err());
        assert!(check_jwt_secret(&"x".repeat(64)).is_err());
        assert!(check_jwt_secret(&"a".repeat(64)).is_err());
        assert!(check_jwt_secret("short").is_err());
        let zeros = hex::encode([0u8; 32]);
        let key = decode_encryption_key(&zeros).unwrap();
        assert!(check_encryption_key(&zeros, &key).is_err());
    }
}
