//! Sending email: one `Mailer` with two real back ends, chosen once from the
//! configuration.
//!
//! - `Smtp`: `lettre` over tokio with rustls, built from `SMTP_URL`
//!   (`smtps://` is TLS from the first byte; `smtp://…?tls=required` or
//!   `?tls=opportunistic` is STARTTLS, as `lettre`'s `from_url` reads it).
//! - `Mailbox`: no SMTP configured; the message stays in the `email_outbox`
//!   table, which is the development mailbox (`/dev/mailbox`).
//!
//! Requests never call the mailer: they insert an outbox row in their own
//! transaction, and the background worker (`crate::auth::outbox`) hands
//! each row to `Mailer::deliver`, retrying with backoff.

pub mod templates;

use lettre::{
    message::{Mailbox, MultiPart},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use secrecy::ExposeSecret;

use crate::config::Config;

/// A message ready to be queued: recipient, subject and both bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Mailbox,
}

/// What happened to a message handed to the mailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Accepted by the SMTP server.
    Sent,
    /// Kept in the outbox table (no SMTP configured).
    KeptInMailbox,
}

/// SMTP connections give up after this long, so one dead server cannot hold
/// the worker.
const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

impl Mailer {
    /// `Smtp` when `SMTP_URL` is set, otherwise `Mailbox`. Fails only on a
    /// URL or sender that `lettre` refuses (the message never repeats the
    /// URL, which may hold a password).
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let Some(url) = &config.smtp_url else {
            return Ok(Self::Mailbox);
        };
        let from = config
            .mail_from
            .parse::<Mailbox>()
            .map_err(|error| format!("MAIL_FROM: {error}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|error| format!("SMTP_URL cannot be used: {error}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self::Smtp { transport, from })
    }

    pub fn is_smtp(&self) -> bool {
        matches!(self, Self::Smtp { .. })
    }

    /// Delivers one message. The error is a sentence for the log and the
    /// outbox row's `last_error`; it never holds the message body.
    pub async fn deliver(&self, email: &Email) -> Result<Delivery, String> {
        let (transport, from) = match self {
            Self::Mailbox => return Ok(Delivery::KeptInMailbox),
            Self::Smtp { transport, from } => (transport, from),
        };
        let to = email
            .to
            .parse::<Mailbox>()
            .map_err(|error| format!("bad recipient address: {error}"))?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(email.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|error| format!("message cannot be built: {error}"))?;
        transport
            .send(message)
            .await
            .map(|_| Delivery::Sent)
            .map_err(|error| format!("SMTP: {error}"))
    }
}
