//! Secrets on their way to the page that shows them exactly once: backup
//! codes (`/account/2fa`) and a new personal API token (`/account/tokens`).
//! The service returns plaintext only when it makes it; a page that must
//! survive a form post without JavaScript (post, redirect, render) keeps it
//! in the cookie session until that render, sealed with AES-256-GCM and
//! bound to its purpose, the user and the device, and then forgets it.
//!
//! Codes made at setup wait under `pending` until the first code confirms
//! the setup: only then is it useful (and safe) to show them.

use crate::{
    auth::{AuthService, Principal},
    page_error::PageError,
};

use super::{cookie_session, internal};

const PENDING: &str = "backup_codes_pending";
const READY: &str = "backup_codes_ready";
const API_TOKEN: &str = "api_token_ready";

/// Whether codes are shown after the setup is confirmed, or right away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    AfterConfirmation,
    Now,
}

fn aad(principal: &Principal) -> Vec<u8> {
    bound_to("browser-backup-codes", principal)
}

fn bound_to(purpose: &str, principal: &Principal) -> Vec<u8> {
    format!("{purpose}:{}:{}", principal.user_id, principal.session_id).into_bytes()
}

/// Keeps freshly made codes for the next render of the settings page.
pub async fn keep(
    auth: &AuthService,
    principal: &Principal,
    codes: &[String],
    when: When,
) -> Result<(), PageError> {
    let plaintext = serde_json::to_vec(codes).map_err(internal)?;
    let sealed = auth.keys().sealer.seal(&plaintext, &aad(principal))?;
    let cookie = cookie_session().await?;
    cookie.remove_value(PENDING).await.map_err(internal)?;
    let key = match when {
        When::AfterConfirmation => PENDING,
        When::Now => READY,
    };
    cookie.insert(key, sealed).await.map_err(internal)
}

/// The setup was confirmed: its codes may now be shown.
pub async fn release_pending() -> Result<(), PageError> {
    let cookie = cookie_session().await?;
    if let Some(sealed) = cookie.remove::<String>(PENDING).await.map_err(internal)? {
        cookie.insert(READY, sealed).await.map_err(internal)?;
    }
    Ok(())
}

/// The codes to show now, if any; they are gone from the session afterwards.
pub async fn take(
    auth: &AuthService,
    principal: &Principal,
) -> Result<Option<Vec<String>>, PageError> {
    let cookie = cookie_session().await?;
    let Some(sealed) = cookie.remove::<String>(READY).await.map_err(internal)? else {
        return Ok(None);
    };
    // Sealed for another user or device (or under a retired key): nothing to
    // show; the user can make a new set.
    let Ok(plaintext) = auth.keys().sealer.open(&sealed, &aad(principal)) else {
        return Ok(None);
    };
    use secrecy::ExposeSecret;
    Ok(serde_json::from_slice(plaintext.expose_secret()).ok())
}

/// Keeps a new API token's text for the next render of the tokens page.
pub async fn keep_api_token(
    auth: &AuthService,
    principal: &Principal,
    token: &str,
) -> Result<(), PageError> {
    let sealed = auth
        .keys()
        .sealer
        .seal(token.as_bytes(), &bound_to("browser-api-token", principal))?;
    cookie_session()
        .await?
        .insert(API_TOKEN, sealed)
        .await
        .map_err(internal)
}

/// The new API token to show now, if any; gone from the session afterwards.
pub async fn take_api_token(
    auth: &AuthService,
    principal: &Principal,
) -> Result<Option<String>, PageError> {
    let cookie = cookie_session().await?;
    let Some(sealed) = cookie.remove::<String>(API_TOKEN).await.map_err(internal)? else {
        return Ok(None);
    };
    let aad = bound_to("browser-api-token", principal);
    let Ok(plaintext) = auth.keys().sealer.open(&sealed, &aad) else {
        return Ok(None);
    };
    use secrecy::ExposeSecret;
    Ok(String::from_utf8(plaintext.expose_secret().to_vec()).ok())
}

/// Forgets codes that are no longer valid (2FA turned off).
pub async fn discard() -> Result<(), PageError> {
    let cookie = cookie_session().await?;
    cookie.remove_value(PENDING).await.map_err(internal)?;
    cookie.remove_value(READY).await.map_err(internal)?;
    Ok(())
}
