//! Integration tests: the real application, in-process on a random port, over
//! HTTP, against a fresh database per test — a temporary SQLite file and a
//! freshly created PostgreSQL database.

mod helpers;

mod config_startup;
mod health;
mod migrations;
mod pages;
