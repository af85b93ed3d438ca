//! Backup codes on their way to the settings page, which shows them exactly
//! once. The service returns plaintext codes only when it makes them; a page
//! that must survive a form post without JavaScript (post, redirect, render)
//! keeps them in the cookie session until that render, sealed with
//! AES-256-GCM and bound to the user and device, and then forgets them.
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

/// Whether codes are shown after the setup is confirmed, or right away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    AfterConfirmation,
    Now,
}

fn aad(principal: &Principal) -> Vec<u8> {
    format!(
        "browser-backup-codes:{}:{}",
        principal.user_id, principal.session_id
    )
    .into_bytes()
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

/// Forgets codes that are no longer valid (2FA turned off).
pub async fn discard() -> Result<(), PageError> {
    let cookie = cookie_session().await?;
    cookie.remove_value(PENDING).await.map_err(internal)?;
    cookie.remove_value(READY).await.map_err(internal)?;
    Ok(())
}
