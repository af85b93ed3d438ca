//! The Gatehouse server as a library: [`startup::Application`] builds the
//! whole axum application from a [`app::config::Config`], so `main.rs` stays
//! a few lines and integration tests run the real thing on a random port.

pub mod cli;
pub mod http;
pub mod shutdown;
pub mod startup;
pub mod state;
pub mod telemetry;
