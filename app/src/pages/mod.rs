//! One module per page.

pub mod account;
pub mod activity;
pub mod admin_users;
pub mod api_tokens;
pub mod dev_mailbox;
pub mod forgot_password;
pub mod home;
pub mod login;
pub mod login_two_factor;
pub mod not_found;
pub mod password;
pub mod register;
pub mod reset_password;
pub mod sessions;
pub mod two_factor;
pub mod verify_email;
