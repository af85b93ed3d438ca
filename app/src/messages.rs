//! The sentence under a form field for each field error code, for both
//! transports (`auth::FieldError` takes its sentence from here). Like the
//! error codes' sentences (`error_code`), it is compiled into the wasm: a
//! page error travels from the server to the page as codes only (in a
//! server function's answer, or in the `__err` query parameter Leptos puts
//! in the address after a form post without JavaScript), and the page turns
//! the codes back into these sentences. So an address crafted by someone
//! else can at most make a page show one of our own messages, never a text
//! of the attacker's ("call this number to unlock…").

use crate::types::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};

/// The sentence under a form field for a field error `code`.
pub fn field_message(field: &str, code: &str) -> String {
    let password_field = field.contains("password");
    match code {
        "invalid_email" => "Enter an email address such as name@example.com.".into(),
        "invalid_username" => "Use 3 to 32 letters, digits, dots, dashes or underscores.".into(),
        "required" if password_field => "Enter a password.".into(),
        "required" if field == "scopes" => "Choose at least one scope.".into(),
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
        "unknown_scope" => "Choose scopes from the list.".into(),
        "scope_not_held" => "A token can only be given what you may do yourself.".into(),
        "out_of_range" => "Choose a value from the list.".into(),
        "invalid_token_name" => "Use at most 64 characters, on one line.".into(),
        "last_admin" => "This is the last administrator; promote someone else first.".into(),
        _ => "Check this field.".into(),
    }
}
