//! The email outbox and its worker. A request that sends mail inserts a row
//! (`queue_email`, inside the request's own transaction, so the token a
//! message carries and the message commit or roll back together) and wakes
//! the worker; it never waits for a mail server.
//!
//! The worker (`run_mail_worker`, started by the server) wakes on that
//! signal and on a periodic tick, claims due rows with a conditional UPDATE
//! (so two nodes never send one row), hands each to the `Mailer`, and marks
//! it `sent`; a failure is logged and retried with exponential backoff, and
//! after `MAX_ATTEMPTS` the row is marked `failed` and logged as an error.
//! Nothing is dropped silently: a row leaves `pending` only as `sent`,
//! `kept` (no SMTP: the row is the message) or `failed`.
//!
//! Without SMTP the rows are the development mailbox. Message bodies (which
//! hold single-use links) are logged in development only; a message
//! delivered over SMTP has its bodies removed from the table.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::auth::{clock::rfc3339, error::AuthError, request::meta::RequestMeta, AuthService};
use crate::{
    entities::email_outbox as outbox,
    mail::{Delivery, Email},
    metrics,
    types::MailboxMessage,
};

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
/// Handed to no server: no `SMTP_URL`, so the row itself is the message
/// (the development mailbox).
pub const KEPT: &str = "kept";
pub const FAILED: &str = "failed";

/// Attempts before a message is given up (`failed`).
pub const MAX_ATTEMPTS: i32 = 8;
/// The worker's periodic look at the outbox, for retries that fall due.
pub const MAIL_TICK: StdDuration = StdDuration::from_secs(15);
/// How long a claimed row is left alone by other workers.
const CLAIM_SECONDS: i64 = 120;
const BATCH: u64 = 20;
const MAILBOX_LIMIT: u64 = 200;
/// Sent and kept messages stay this long (the development mailbox's memory).
const KEEP_SENT_DAYS: i64 = 7;
const REDACTED: &str = "(delivered; the body was removed because it held a single-use link)";

/// The wait before attempt `attempts + 1`: 30 s, 1 min, 2 min… at most 1 h.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = attempts.clamp(1, 8) as u32 - 1;
    Duration::seconds((30_i64 << exponent).min(3600))
}

impl AuthService {
    /// Queues `email` on `db` (the caller's transaction). Call `wake_mailer`
    /// after the transaction commits.
    pub(crate) async fn queue_email(
        &self,
        db: &impl ConnectionTrait,
        email: &Email,
    ) -> Result<(), AuthError> {
        let now = self.now();
        outbox::Entity::insert(outbox::ActiveModel::from(outbox::Model {
            id: Uuid::now_v7(),
            recipient: email.to.clone(),
            subject: email.subject.clone(),
            text_body: email.text.clone(),
            html_body: email.html.clone(),
            status: PENDING.to_string(),
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            sent_at: None,
        }))
        .exec_without_returning(db)
        .await?;
        Ok(())
    }

    /// Tells the worker that mail is waiting.
    pub fn wake_mailer(&self) {
        self.mail_wakeup().notify_one();
    }

    /// Delivers the messages that are due; returns how many were handled
    /// (sent or failed an attempt). The worker calls this; tests may too.
    pub async fn deliver_due_mail(&self) -> Result<usize, AuthError> {
        let now = self.now();
        let due: Vec<outbox::Model> = outbox::Entity::find()
            .filter(outbox::Column::Status.eq(PENDING))
            .filter(outbox::Column::NextAttemptAt.lte(now))
            .order_by_asc(outbox::Column::NextAttemptAt)
            .limit(BATCH)
            .all(self.db())
            .await?;
        let mut handled = 0;
        for row in due {
            if self.claim(row.id, now).await? {
                self.deliver_one(row).await?;
                handled += 1;
            }
        }
        Ok(handled)
    }

    /// Runs forever: delivers due mail when woken and on every tick.
    pub async fn run_mail_worker(self) {
        let mut tick = tokio::time::interval(MAIL_TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = self.mail_wakeup().notified() => {}
                _ = tick.tick() => {}
            }
            // Keep going while there is more than one batch due.
            loop {
                match self.deliver_due_mail().await {
                    Ok(handled) if handled as u64 == BATCH => continue,
                    Ok(_) => break,
                    Err(error) => {
                        tracing::warn!(%error, "mail delivery pass failed; will retry");
                        break;
                    }
                }
            }
            self.record_outbox_depth().await;
        }
    }

    /// Sets `gatehouse_mail_outbox_depth` to the pending messages: one
    /// COUNT per pass of the worker, and none while metrics are off.
    async fn record_outbox_depth(&self) {
        if !self.config().metrics.enabled() {
            return;
        }
        let pending = outbox::Entity::find()
            .filter(outbox::Column::Status.eq(PENDING))
            .count(self.db())
            .await;
        match pending {
            Ok(pending) => metrics::mail_outbox_depth(pending),
            Err(error) => tracing::warn!(%error, "counting the mail outbox failed"),
        }
    }

    /// The development mailbox as a request sees it: only for a client on
    /// this machine (the address through trusted proxies is loopback), so a
    /// development server reachable from a network does not hand out reset
    /// links; otherwise `NotFound`.
    pub async fn dev_mailbox_for(
        &self,
        meta: &RequestMeta,
        limit: Option<u64>,
    ) -> Result<Vec<MailboxMessage>, AuthError> {
        let loopback = match meta.ip {
            std::net::IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map_or(v6.is_loopback(), |v4| v4.is_loopback()),
            ip => ip.is_loopback(),
        };
        if !loopback {
            return Err(AuthError::NotFound);
        }
        self.dev_mailbox(limit).await
    }

    /// The newest messages of the development mailbox. Only when
    /// `ENVIRONMENT=development`; otherwise `NotFound`.
    pub async fn dev_mailbox(&self, limit: Option<u64>) -> Result<Vec<MailboxMessage>, AuthError> {
        if !self.config().is_development() {
            return Err(AuthError::NotFound);
        }
        let rows = outbox::Entity::find()
            .order_by_desc(outbox::Column::CreatedAt)
            .order_by_desc(outbox::Column::Id)
            .limit(limit.unwrap_or(50).clamp(1, MAILBOX_LIMIT))
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| MailboxMessage {
                id: row.id.to_string(),
                to: row.recipient,
                subject: row.subject,
                text_body: row.text_body,
                html_body: row.html_body,
                status: row.status,
                attempts: row.attempts,
                last_error: row.last_error,
                created_at: rfc3339(row.created_at),
                sent_at: row.sent_at.map(rfc3339),
            })
            .collect())
    }

    /// Removes sent and kept messages older than a week, and failed ones
    /// older than a month.
    pub(crate) async fn delete_old_mail(&self) -> Result<u64, AuthError> {
        let now = self.now();
        let deleted = outbox::Entity::delete_many()
            .filter(
                outbox::Column::Status
                    .is_in([SENT, KEPT])
                    .and(outbox::Column::CreatedAt.lte(now - Duration::days(KEEP_SENT_DAYS)))
                    .or(outbox::Column::Status
                        .eq(FAILED)
                        .and(outbox::Column::CreatedAt.lte(now - Duration::days(30)))),
            )
            .exec(self.db())
            .await?;
        Ok(deleted.rows_affected)
    }

    /// Takes the row for this worker: one conditional UPDATE moves its next
    /// attempt past now, so a concurrent worker's claim matches nothing. A
    /// worker that dies mid-send leaves the row to be retried after the claim.
    async fn claim(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, AuthError> {
        let claimed = outbox::Entity::update_many()
            .col_expr(
                outbox::Column::NextAttemptAt,
                Expr::value(now + Duration::seconds(CLAIM_SECONDS)),
            )
            .filter(outbox::Column::Id.eq(id))
            .filter(outbox::Column::Status.eq(PENDING))
            .filter(outbox::Column::NextAttemptAt.lte(now))
            .exec(self.db())
            .await?;
        Ok(claimed.rows_affected == 1)
    }

    async fn deliver_one(&self, row: outbox::Model) -> Result<(), AuthError> {
        let email = Email {
            to: row.recipient.clone(),
            subject: row.subject.clone(),
            text: row.text_body.clone(),
            html: row.html_body.clone(),
        };
        let attempts = row.attempts + 1;
        let outcome = self.mailer().deliver(&email).await;
        let now = self.now();
        let update = outbox::Entity::update_many()
            .filter(outbox::Column::Id.eq(row.id))
            .col_expr(outbox::Column::Attempts, Expr::value(attempts));
        match outcome {
            Ok(delivery) => {
                let status = match delivery {
                    Delivery::Sent => SENT,
                    Delivery::KeptInMailbox => KEPT,
                };
                let mut update = update
                    .col_expr(outbox::Column::Status, Expr::value(status))
                    .col_expr(outbox::Column::SentAt, Expr::value(now))
                    .col_expr(
                        outbox::Column::LastError,
                        Expr::value(Option::<String>::None),
                    );
                match delivery {
                    Delivery::Sent => {
                        tracing::info!(mail_id = %row.id, attempts, "email sent");
                        update = update
                            .col_expr(outbox::Column::TextBody, Expr::value(REDACTED))
                            .col_expr(outbox::Column::HtmlBody, Expr::value(REDACTED));
                    }
                    Delivery::KeptInMailbox if self.config().is_development() => {
                        // Development only: the body, with its link, in the log.
                        tracing::info!(
                            mail_id = %row.id,
                            to = %row.recipient,
                            subject = %row.subject,
                            body = %row.text_body,
                            "development mailbox (also at /dev/mailbox)"
                        );
                    }
                    Delivery::KeptInMailbox => {
                        tracing::warn!(
                            mail_id = %row.id,
                            "SMTP_URL is not set: email kept in the email_outbox table, not delivered"
                        );
                    }
                }
                update.exec(self.db()).await?;
            }
            Err(error) if attempts >= MAX_ATTEMPTS => {
                tracing::error!(mail_id = %row.id, attempts, %error, "email delivery failed; giving up");
                update
                    .col_expr(outbox::Column::Status, Expr::value(FAILED))
                    .col_expr(outbox::Column::LastError, Expr::value(error))
                    .exec(self.db())
                    .await?;
            }
            Err(error) => {
                let next = now + backoff(attempts);
                tracing::warn!(
                    mail_id = %row.id,
                    attempts,
                    %error,
                    next_attempt_at = %rfc3339(next),
                    "email delivery failed; will retry"
                );
                update
                    .col_expr(outbox::Column::NextAttemptAt, Expr::value(next))
                    .col_expr(outbox::Column::LastError, Expr::value(error))
                    .exec(self.db())
                    .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(120));
        assert_eq!(backoff(7), Duration::seconds(1920));
        assert_eq!(backoff(8), Duration::seconds(3600));
        assert_eq!(backoff(50), Duration::seconds(3600));
    }
}
