//! Data both sides need: what the service returns and the pages show. Plain
//! serde types, compiled into the wasm too, so nothing here may be secret
//! beyond what the user is meant to see.

use serde::{Deserialize, Serialize};

mod tokens;
pub use tokens::*;

/// The shortest password the policy accepts; the pages' hints and input
/// constraints read it from here, the policy (`auth::password::policy`) too.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The longest password accepted, checked before any hashing (ASVS 2.1.2).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// A freshly issued access and refresh token pair.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RegisteredUser {
    pub user_id: String,
    pub email: String,
    pub username: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserProfile {
    pub id: String,
    pub email: String,
    pub username: String,
    pub is_active: bool,
    pub totp_enabled: bool,
    pub email_verified: bool,
    pub roles: Vec<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub last_login: Option<String>,
}

/// One signed-in device.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub id: String,
    pub device_name: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: String,
    pub last_activity: String,
    pub expires_at: String,
    /// The session the request was made with.
    pub current: bool,
}

/// One security event from the caller's own audit trail.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActivityEvent {
    pub id: i64,
    pub action: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActivityPage {
    pub events: Vec<ActivityEvent>,
    /// Pass as `before` to get the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

/// An account as an administrator sees it: the profile, plus its lockout
/// state.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminUser {
    #[serde(flatten)]
    pub profile: UserProfile,
    pub failed_login_attempts: i32,
    /// Set while the account is locked.
    pub locked_until: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminUserPage {
    pub users: Vec<AdminUser>,
    /// Matching accounts in all pages.
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
}

/// One entry of the whole audit log, for administrators.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub user_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
    pub created_at: String,
}

/// What the owner sees of an audit entry about them: the entry without
/// the ids (both are theirs, or an administrator's they need not know).
impl From<AuditEntry> for ActivityEvent {
    fn from(entry: AuditEntry) -> Self {
        Self {
            id: entry.id,
            action: entry.action,
            ip_address: entry.ip_address,
            user_agent: entry.user_agent,
            details: entry.details,
            created_at: entry.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next_before: Option<i64>,
}

/// What `setup-2fa` returns: everything needed to add the account to an
/// authenticator app, and the backup codes, shown this once.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TwoFactorSetup {
    /// The shared secret in base32, for manual entry.
    pub secret: String,
    pub provisioning_uri: String,
    /// A `data:image/svg+xml;base64,…` URL of a QR code of `provisioning_uri`.
    pub qr_code_url: String,
    pub backup_codes: Vec<String>,
}

/// A setup in progress as the settings page shows it again: what an
/// authenticator app needs, without the backup codes (those are shown once).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorEnrollment {
    /// The shared secret in base32, for manual entry.
    pub secret: String,
    pub provisioning_uri: String,
    /// A `data:image/svg+xml;base64,…` URL of a QR code of `provisioning_uri`.
    pub qr_code_url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BackupCodesStatus {
    pub remaining: u64,
    pub total: u64,
}

/// The first step of a sign-in for an account with 2FA on: no tokens yet.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TwoFactorChallenge {
    /// Always `true`.
    pub requires_2fa: bool,
    /// Present it with a TOTP or backup code; useless for anything else.
    pub challenge_token: String,
    /// Seconds until the challenge expires.
    pub expires_in: u64,
}

/// A password sign-in either completes or asks for the second factor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum LoginOutcome {
    Tokens(TokenPair),
    TwoFactorRequired(TwoFactorChallenge),
}

/// What forgot-password answers for every address, known or not (both
/// transports show this sentence).
pub const FORGOT_PASSWORD_MESSAGE: &str = "If an account exists for that address, we have sent \
    it a link to reset the password. The link works once and expires soon.";

/// One message of the development mailbox (`/dev/mailbox`): what Gatehouse
/// sent, or would send, by email. Only listed when `ENVIRONMENT=development`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxMessage {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// `pending` (queued or waiting for a retry), `sent` (accepted by the
    /// SMTP server), `kept` (no SMTP: only in this mailbox) or `failed`
    /// (gave up; see `last_error`).
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub sent_at: Option<String>,
}

/// Backup codes as they are made: shown to their owner once, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct BackupCodes(pub Vec<String>);

// What carries a token, a secret or a code prints without it: a `{:?}` in
// a log line or a panic message must not leak one.

/// Shown instead of a secret in `Debug` output.
pub(crate) const REDACTED: &str = "[redacted]";

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &REDACTED)
            .field("refresh_token", &REDACTED)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

impl std::fmt::Debug for TwoFactorSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoFactorSetup")
            .field("secret", &REDACTED)
            .field("provisioning_uri", &REDACTED)
            .field("qr_code_url", &REDACTED)
            .field("backup_codes", &BackupCodes(self.backup_codes.clone()))
            .finish()
    }
}

impl std::fmt::Debug for TwoFactorEnrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoFactorEnrollment")
            .field("secret", &REDACTED)
            .field("provisioning_uri", &REDACTED)
            .field("qr_code_url", &REDACTED)
            .finish()
    }
}

impl std::fmt::Debug for TwoFactorChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoFactorChallenge")
            .field("requires_2fa", &self.requires_2fa)
            .field("challenge_token", &REDACTED)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

impl std::fmt::Debug for BackupCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BackupCodes({} codes, {REDACTED})", self.0.len())
    }
}
