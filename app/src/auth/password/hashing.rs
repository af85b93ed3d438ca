//! Password hashing: Argon2id with OWASP's parameters (m = 19 MiB, t = 2,
//! p = 1) in PHC strings. Legacy PBKDF2-SHA256 PHC hashes (the original
//! design's scheme) still verify and are flagged for re-hashing.
//!
//! Hashing is deliberately slow, so it never runs on the async runtime's
//! worker threads: it goes to a dedicated pool of `concurrency` threads (one
//! per core by default), so a login storm queues here instead of starving
//! every other request. The queue is bounded, capped per account and per IP,
//! fair, and forgets abandoned requests (`hash_queue`).
//!
//! Each hashing thread keeps its 19 MiB of Argon2 working memory and reuses
//! it for every verification: allocating and faulting in fresh pages per
//! hash cost about as much as the hash itself (docs/BENCHMARKS.md). Memory
//! stays bounded at one block set per hashing thread.

use std::{cell::RefCell, future::Future, sync::Arc};

use argon2::{Algorithm, Argon2, Block, Params, Version};
use password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use subtle::ConstantTimeEq;

pub use super::hash_queue::{HashOwner, QueueLimits};
use super::{
    hash_queue::{Admission, HashQueue},
    Password,
};
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

thread_local! {
    /// This hashing thread's Argon2 working memory, reused by each hash.
    static ARGON2_MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

#[derive(Clone)]
pub struct PasswordHasher {
    pool: Arc<rayon::ThreadPool>,
    queue: Arc<HashQueue>,
    /// Verified against when the account does not exist, so an unknown email
    /// costs the same work as a wrong password.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> Self {
        Self::with_limits(concurrency, QueueLimits::for_threads(concurrency))
    }

    pub fn with_limits(concurrency: usize, limits: QueueLimits) -> Self {
        let dummy = hash_now("gatehouse: no such account").expect("hashing a constant works");
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(concurrency.max(1))
            .thread_name(|i| format!("password-hash-{i}"))
            .build()
            .expect("the password hashing threads start");
        Self {
            pool: Arc::new(pool),
            queue: Arc::new(HashQueue::new(limits, concurrency.max(1))),
            dummy_hash: dummy.into(),
        }
    }

    /// Takes a place on the hashing threads for one hash by `owner`, or
    /// refuses at once (503 `overloaded`, 429 `hashing_busy`). A caller that
    /// must commit to something before hashing (a lockout attempt) takes
    /// the ticket first, so a busy hasher never costs it that commitment.
    pub fn admit(&self, owner: HashOwner) -> Result<HashTicket, AuthError> {
        Ok(HashTicket {
            hasher: self.clone(),
            admission: self.queue.admit(owner)?,
        })
    }

    pub async fn hash(&self, password: &Password, owner: HashOwner) -> Result<String, AuthError> {
        self.admit(owner)?.hash(password).await
    }

    /// `stored` is `None` for an unknown account: the dummy hash is verified
    /// instead and the answer is always a mismatch.
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<&str>,
        owner: HashOwner,
    ) -> Result<Verification, AuthError> {
        self.admit(owner)?.verify(password, stored).await
    }

    /// Admits and queues `work` at once (tests of the queue).
    #[cfg(test)]
    fn run_blocking<T: Send + 'static>(
        &self,
        owner: HashOwner,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<impl Future<Output = Result<T, AuthError>>, AuthError> {
        Ok(self.admit(owner)?.run(work))
    }
}

/// An admitted place for one hash; dropped unused, it frees the place.
pub struct HashTicket {
    hasher: PasswordHasher,
    admission: Admission,
}

impl HashTicket {
    pub async fn hash(self, password: &Password) -> Result<String, AuthError> {
        let password = password.clone();
        self.run(move || hash_now(password.expose())).await?
    }

    /// As `PasswordHasher::verify`, in this place.
    pub async fn verify(
        self,
        password: &Password,
        stored: Option<&str>,
    ) -> Result<Verification, AuthError> {
        let password = password.clone();
        let known = stored.is_some();
        let phc = stored.map_or_else(|| self.hasher.dummy_hash.to_string(), str::to_string);
        let verification = self
            .run(move || verify_now(password.expose(), &phc))
            .await??;
        Ok(if known {
            verification
        } else {
            Verification::Mismatch
        })
    }

    /// Queues `work` for a hashing thread. The returned future waits
    /// without holding a runtime thread; dropping it abandons `work` if it
    /// has not started.
    fn run<T: Send + 'static>(
        self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = Result<T, AuthError>> {
        let (done, result) = tokio::sync::oneshot::channel();
        let abandon = self.admission.submit(Box::new(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            Box::new(move || {
                let _ = done.send(outcome);
            })
        }));
        let queue = Arc::clone(&self.hasher.queue);
        self.hasher.pool.spawn(move || queue.run_next());
        async move {
            let _abandon_if_dropped = abandon;
            match result.await {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(_)) => Err(AuthError::Internal("password hashing panicked".into())),
                Err(error) => Err(AuthError::internal(error)),
            }
        }
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
        "argon2id" | "argon2i" | "argon2d" => verify_argon2(password.as_bytes(), &parsed),
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

/// Argon2 verification with this thread's reusable working memory: the same
/// computation as `Argon2::verify_password`, without a 19 MiB allocation per
/// call. The comparison is constant-time.
fn verify_argon2(password: &[u8], parsed: &PasswordHash<'_>) -> password_hash::Result<()> {
    let algorithm = Algorithm::try_from(parsed.algorithm)?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()?
        .unwrap_or_default();
    let params = Params::try_from(parsed)?;
    let expected = parsed.hash.ok_or(password_hash::Error::Password)?;
    let salt = parsed.salt.ok_or(password_hash::Error::SaltInvalid(
        password_hash::errors::InvalidValue::Malformed,
    ))?;
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes)?;

    let mut computed = vec![0u8; expected.len()];
    let block_count = params.block_count();
    let hasher = Argon2::new(algorithm, version, params);
    ARGON2_MEMORY.with_borrow_mut(|blocks| {
        if blocks.len() < block_count {
            blocks.resize(block_count, Block::default());
        }
        hasher.hash_password_into_with_memory(password, salt, &mut computed, &mut blocks[..])
    })?;
    if bool::from(computed.as_slice().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(password_hash::Error::Password)
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
mod tests;
