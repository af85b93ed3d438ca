//! Gatehouse's pages, server functions and the types both sides share.
//!
//! With the `ssr` feature (the server build) this crate also holds what the
//! server alone may know: configuration, the database connection and, in later
//! layers, the service. None of it is compiled into the wasm.

pub mod components;
pub mod error_code;
pub mod messages;
pub mod page_error;
pub mod pages;
mod root;
pub mod types;
pub mod url_path;
pub mod user_agent;

pub use root::{shell, App};

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod metrics;
#[cfg(feature = "ssr")]
pub mod page_context;
#[cfg(feature = "ssr")]
pub mod security;
