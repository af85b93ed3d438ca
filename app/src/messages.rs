//! Every sentence Gatehouse shows for a failed action, keyed by a stable
//! code: the pages' messages, and the field messages of both transports
//! (`auth::FieldError` takes its sentence from here). A page error travels from the server to the page as codes only (in
//! a server function's answer, or in the `__err` query parameter Leptos
//! puts in the address after a form post without JavaScript); the page
//! turns the codes back into these sentences. So an address crafted by
//! someone else can at most make a page show one of our own messages,
//! never a text of the attacker's ("call this number to unlock…").

use crate::types::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};

/// The code shown for anything not in this table.
pub const UNKNOWN: &str = "request_failed";

/// The status and the sentence for a page error `code`. `retry_after` (in
/// seconds) fills in the wait where the message names one.
pub fn describe(code: &str, retry_after: Option<u64>) -> Option<(u16, String)> {
    let wait = || minutes(retry_after.unwrap_or(60));
    let (status, message): (u16, String) = match code {
        "invalid_credentials" => (401, "The email or password is incorrect.".into()),
        // A signed-in person re-entering their password: only it can be wrong.
        "wrong_password" => (401, "That is not your password.".into()),
        "account_locked" => (
            429,
            format!(
                "Too many failed sign-ins: this account is locked for {}. \
                 Try again later, or ask an administrator to unlock it.",
                match retry_after.unwrap_or(60).div_ceil(60) {
                    0 | 1 => "1 more minute".to_string(),
                    n => format!("{n} more minutes"),
                }
            ),
        ),
        "account_disabled" => (
            403,
            "This account is disabled. Contact an administrator.".into(),
        ),
        "email_not_verified" => (
            403,
            "Please confirm your email address first: open the link we sent you. \
             No email? Use \"Forgot password\" to get a link that also confirms it."
                .into(),
        ),
        "email_already_verified" => (409, "Your email address is already confirmed.".into()),
        "invalid_reset_token" => (
            400,
            "This password reset link is invalid, expired or was already used. \
             Ask for a new one."
                .into(),
        ),
        "invalid_verification_token" => (
            400,
            "This confirmation link is invalid, expired or was already used. \
             Sign in and ask for a new one."
                .into(),
        ),
        "validation_error" | "weak_password" => (400, "Some fields need attention.".into()),
        "password_mismatch" => (400, "The new password and its confirmation differ.".into()),
        "password_reused" => (400, "Choose a password you have not used recently.".into()),
        "email_taken" => (
            409,
            "An account with this email address already exists. Sign in instead?".into(),
        ),
        "username_taken" => (409, "This username is taken; choose another.".into()),
        "signed_out" => (401, "Your session has ended. Please sign in again.".into()),
        "sign_in_expired" => (
            401,
            "Your sign-in has expired. Enter your email and password again.".into(),
        ),
        "forbidden" => (403, "You do not have permission to do this.".into()),
        "reauthentication_required" => (
            403,
            "Enter your current password to confirm it is you.".into(),
        ),
        "not_found" => (404, "That no longer exists.".into()),
        "account_not_found" => (404, "That account no longer exists.".into()),
        "device_not_found" => (404, "That device is no longer signed in.".into()),
        "rate_limited" => (
            429,
            format!(
                "Too many requests from your network. Wait {} and try again.",
                wait()
            ),
        ),
        "invalid_code" => (
            401,
            "That code is wrong or was already used. Enter the current code.".into(),
        ),
        "two_factor_already_enabled" => (409, "Two-factor authentication is already on.".into()),
        "two_factor_not_enabled" => (400, "Two-factor authentication is off.".into()),
        "two_factor_setup_required" => (400, "Start the setup again.".into()),
        "too_many_attempts" => (
            429,
            format!("Too many wrong codes. Try again in {}.", wait()),
        ),
        "overloaded" => (
            503,
            "Too many sign-ins are being checked right now. Try again in a moment.".into(),
        ),
        "hashing_busy" => (
            429,
            "Your previous attempt is still being checked. Wait a moment and try again.".into(),
        ),
        "unavailable" => (
            503,
            "The service is temporarily unavailable. Try again shortly.".into(),
        ),
        "network" => (
            503,
            "The server could not be reached. Check your connection and try again.".into(),
        ),
        "internal_error" => (
            500,
            "Something went wrong on our side. Please try again.".into(),
        ),
        UNKNOWN => (500, "Something went wrong. Please try again.".into()),
        _ => return None,
    };
    Some((status, message))
}

/// The sentence under a form field for a field error `code`.
pub fn field_message(field: &str, code: &str) -> String {
    let password_field = field.contains("password");
    match code {
        "invalid_email" => "Enter an email address such as name@example.com.".into(),
        "invalid_username" => "Use 3 to 32 letters, digits, dots, dashes or underscores.".into(),
        "required" if password_field => "Enter a password.".into(),
        "required" => "Fill in this field.".into(),
        "too_long" if password_field => format!("Use at most {MAX_PASSWORD_BYTES} bytes."),
        "too_short" => format!("Use at least {MIN_PASSWORD_CHARS} characters."),
        "missing_uppercase" => "Include at least one uppercase letter.".into(),
        "missing_digit" => "Include at least one digit.".into(),
        "missing_special" => "Include at least one special character, such as ! or #.".into(),
        "common_password" => "This password is too common; choose something less guessable.".into(),
        "contains_personal_info" => {
            "Do not use your username or the name part of your email address.".into()
        }
        "invalid_credentials" if field == "current_password" => {
            "That is not your current password.".into()
        }
        "invalid_credentials" => "That is not your password.".into(),
        "password_mismatch" => "Type the same new password twice.".into(),
        "reauthentication_required" => "Enter your current password.".into(),
        "unknown_role" => "Choose roles from the list.".into(),
        "last_admin" => "This is the last administrator; promote someone else first.".into(),
        _ => "Check this field.".into(),
    }
}

/// "a minute", "3 minutes": a wait rounded up to whole minutes.
fn minutes(seconds: u64) -> String {
    match seconds.div_ceil(60) {
        0 | 1 => "a minute".to_string(),
        n => format!("{n} minutes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_whole_minutes_rounded_up() {
        assert_eq!(minutes(0), "a minute");
        assert_eq!(minutes(60), "a minute");
        assert_eq!(minutes(61), "2 minutes");
        let (status, message) = describe("rate_limited", Some(900)).unwrap();
        assert_eq!(status, 429);
        assert!(message.contains("15 minutes"), "{message}");
        let (_, locked) = describe("account_locked", Some(1800)).unwrap();
        assert!(locked.contains("locked for 30 more minutes"), "{locked}");
    }

    #[test]
    fn an_unknown_code_has_no_entry_and_unknown_has_one() {
        assert!(describe("call_555_0100_to_unlock", None).is_none());
        assert_eq!(describe(UNKNOWN, None).unwrap().0, 500);
    }
}
