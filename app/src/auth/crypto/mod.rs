//! Key material derived from the configured secrets (`keys`) and secrets
//! sealed at rest with AES-256-GCM (`secret_box`).

pub mod keys;
pub mod secret_box;
