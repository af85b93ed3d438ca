//! Key material derived from the configured secrets (`keys`), secrets
//! sealed at rest with AES-256-GCM (`secret_box`), and the bearer secrets
//! people keep in scripts, stored only as keyed hashes (`bearer_secret`).

pub mod bearer_secret;
pub mod keys;
pub mod secret_box;
