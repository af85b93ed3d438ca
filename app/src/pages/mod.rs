//! One module per page.

pub mod account;
pub mod activity;
pub mod admin_users;
pub mod home;
pub mod login;
pub mod login_two_factor;
pub mod not_found;
pub mod password;
pub mod register;
pub mod sessions;
pub mod two_factor;
