//! Password hashing: Argon2id with OWASP's parameters (m = 19 MiB, t = 2,
//! p = 1) in PHC strings. Legacy PBKDF2-SHA256 PHC hashes (the original
//! design's scheme) still verify and are flagged for re-hashing.
//!
//! Hashing is deliberately slow, so it never runs on the async runtime's
//! worker threads: it goes to the blocking pool, at most `concurrency` at a
//! time (one per core by default), so a login storm queues here instead of
//! starving every other request.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, Version};
use password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use tokio::sync::Semaphore;

use super::Password;
use crate::auth::error::AuthError;

/// OWASP Password Storage Cheat Sheet, Argon2id option 2 (19 MiB, 2 passes).
const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
const ARGON2_ITERATIONS: u32 = 2;
const ARGON2_PARALLELISM: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Mismatch,
    /// `rehash`: the stored hash uses an old scheme or old parameters.
    Match {
        rehash: bool,
    },
}

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Verified against when the account does not exist, so an unknown email
    /// costs the same work as a wrong password.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> Self {
        let dummy = hash_now("gatehouse: no such account").expect("hashing a constant works");
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: dummy.into(),
        }
    }

    pub async fn hash(&self, password: &Password) -> Result<String, AuthError> {
        let password = password.clone();
        self.run_blocking(move || hash_now(password.expose()))
            .await?
    }

    /// `stored` is `None` for an unknown account: the dummy hash is verified
    /// instead and the answer is always a mismatch.
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<&str>,
    ) -> Result<Verification, AuthError> {
        let password = password.clone();
        let known = stored.is_some();
        let phc = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_string);
        let verification = self
            .run_blocking(move || verify_now(password.expose(), &phc))
            .await??;
        Ok(if known {
            verification
        } else {
            Verification::Mismatch
        })
    }

    async fn run_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let _permit = self.permits.acquire().await.map_err(AuthError::internal)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(AuthError::internal)
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(
        ARGON2_MEMORY_KIB,
        ARGON2_ITERATIONS,
        ARGON2_PARALLELISM,
        None,
    )
    .expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(password: &str) -> Result<String, AuthError> {
    // 128-bit random salt from the OS generator (ASVS 2.4.1).
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(AuthError::internal)
}

fn verify_now(password: &str, phc: &str) -> Result<Verification, AuthError> {
    let parsed = PasswordHash::new(phc).map_err(AuthError::internal)?;
    let algorithm = parsed.algorithm.as_str();
    let result = match algorithm {
        "argon2id" | "argon2i" | "argon2d" => {
            argon2().verify_password(password.as_bytes(), &parsed)
        }
        "pbkdf2-sha256" | "pbkdf2-sha512" | "pbkdf2" => {
            pbkdf2::Pbkdf2.verify_password(password.as_bytes(), &parsed)
        }
        other => {
            return Err(AuthError::Internal(format!(
                "unsupported hash scheme {other}"
            )))
        }
    };
    match result {
        Ok(()) => Ok(Verification::Match {
            rehash: needs_rehash(&parsed),
        }),
        Err(password_hash::Error::Password) => Ok(Verification::Mismatch),
        Err(error) => Err(AuthError::internal(error)),
    }
}

fn needs_rehash(parsed: &PasswordHash<'_>) -> bool {
    if parsed.algorithm.as_str() != "argon2id" {
        return true;
    }
    match Params::try_from(parsed) {
        Ok(params) => {
            params.m_cost() != ARGON2_MEMORY_KIB
                || params.t_cost() != ARGON2_ITERATIONS
                || params.p_cost() != ARGON2_PARALLELISM
        }
        Err(_) => true,
    }
}

/// A PBKDF2-SHA256 PHC hash as the original design stored them (480,000
/// iterations); public so tests can seed legacy accounts.
pub fn legacy_pbkdf2_hash(password: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let params = pbkdf2::Params {
        rounds: 480_000,
        output_length: 32,
    };
    pbkdf2::Pbkdf2
        .hash_password_customized(
            password.as_bytes(),
            Some(pbkdf2::Algorithm::Pbkdf2Sha256.ident()),
            None,
            params,
            &salt,
        )
        .expect("PBKDF2 hashing works")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(text: &str) -> Password {
        Password::parse("password", text).unwrap()
    }

    #[tokio::test]
    async fn argon2id_round_trip_with_owasp_parameters() {
        let hasher = PasswordHasher::new(2);
        let hash = hasher.hash(&password("Correct-Horse-9")).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert_eq!(
            hasher
                .verify(&password("Correct-Horse-9"), Some(&hash))
                .await
                .unwrap(),
            Verification::Match { rehash: false }
        );
        assert_eq!(
            hasher
                .verify(&password("Correct-Horse-8"), Some(&hash))
                .await
                .unwrap(),
            Verification::Mismatch
        );
    }

    #[tokio::test]
    async fn same_password_gets_different_salts() {
        let hasher = PasswordHasher::new(2);
        let a = hasher.hash(&password("Correct-Horse-9")).await.unwrap();
        let b = hasher.hash(&password("Correct-Horse-9")).await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn legacy_pbkdf2_verifies_and_asks_for_a_rehash() {
        let hasher = PasswordHasher::new(2);
        let legacy = legacy_pbkdf2_hash("Old-Scheme-Pass-1");
        assert!(
            legacy.starts_with("$pbkdf2-sha256$i=480000,l=32$"),
            "{legacy}"
        );
        assert_eq!(
            hasher
                .verify(&password("Old-Scheme-Pass-1"), Some(&legacy))
                .await
                .unwrap(),
            Verification::Match { rehash: true }
        );
        assert_eq!(
            hasher
                .verify(&password("Old-Scheme-Pass-2"), Some(&legacy))
                .await
                .unwrap(),
            Verification::Mismatch
        );
    }

    #[tokio::test]
    async fn unknown_accounts_never_match() {
        let hasher = PasswordHasher::new(1);
        assert_eq!(
            hasher
                .verify(&password("gatehouse: no such account"), None)
                .await
                .unwrap(),
            Verification::Mismatch
        );
    }
}
