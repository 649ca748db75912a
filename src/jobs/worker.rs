//! The delivery worker: claims due mail from the outbox, sends it and records the outcome.
//! Transient failures retry with exponential backoff up to a number of attempts;
//! permanent ones fail at once. Several workers (processes) may share one database.

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Span;
use entity::mailing;
use futures_util::{StreamExt, stream};
use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use super::poll::poll_until_stopped;
use crate::base::clock::Clock;
use crate::base::queue::backoff;
use crate::db;
use crate::domain::TokenKey;
use crate::mail::send_error::SendError;
use crate::mail::transport::Transport;
use crate::mail::{Sender, outbox};
use crate::services::mailings;

#[derive(Debug, Clone)]
pub struct DeliverySettings {
    pub max_attempts: u32,
    pub retry_base: Span,
    pub lease: Span,
    pub batch_size: u64,
    pub concurrency: usize,
    pub send_timeout: Duration,
}

impl DeliverySettings {
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        let secs = |s: u64| Span::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000));
        Self {
            max_attempts: settings.mail_max_attempts.max(1),
            retry_base: secs(settings.mail_retry_base_secs),
            lease: secs(settings.mail_lease_secs),
            batch_size: settings.mail_batch_size.max(1),
            concurrency: settings.mail_concurrency.max(1),
            send_timeout: Duration::from_secs(settings.smtp_timeout_secs.max(1)),
        }
    }
}

/// What became of one claimed mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    Retried,
    Failed,
    /// Withdrawn or erased after it was claimed, before it was written: nothing sent.
    Withdrawn,
}

/// What one pass of the worker did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub withdrawn: usize,
}

impl DeliveryReport {
    pub fn handled(&self) -> usize {
        self.sent + self.retried + self.failed + self.withdrawn
    }
}

#[derive(Debug, Clone)]
pub struct Worker {
    pub db: DatabaseConnection,
    pub transport: Arc<Transport>,
    pub sender: Sender,
    /// Derives the link tokens the queued bodies stand in for.
    pub key: TokenKey,
    pub clock: Arc<dyn Clock>,
    pub settings: DeliverySettings,
}

impl Worker {
    /// Claims one batch of due mail and delivers it.
    pub async fn run_once(&self) -> anyhow::Result<DeliveryReport> {
        let now = self.clock.now();
        let claimed =
            outbox::claim(&self.db, now, self.settings.lease, self.settings.batch_size).await?;
        let outcomes: Vec<anyhow::Result<Outcome>> = stream::iter(claimed)
            .map(|mail| self.deliver(mail))
            .buffer_unordered(self.settings.concurrency)
            .collect()
            .await;
        let mut report = DeliveryReport::default();
        for outcome in outcomes {
            match outcome? {
                Outcome::Sent => report.sent += 1,
                Outcome::Retried => report.retried += 1,
                Outcome::Failed => report.failed += 1,
                Outcome::Withdrawn => report.withdrawn += 1,
            }
        }
        Ok(report)
    }

    /// Sends one claimed mail and records what came of it.
    pub async fn deliver(&self, mail: mailing::Model) -> anyhow::Result<Outcome> {
        if matches!(*self.transport, Transport::Files(_)) {
            return self.write_file(mail).await;
        }
        let sent = self.send(&mail).await;
        self.record(&mail, sent).await
    }

    /// Hands `mail`, its link's token in place, to the transport.
    async fn send(&self, mail: &mailing::Model) -> Result<(), SendError> {
        self.transport
            .send(
                &with_link(mail, &self.key),
                &self.sender,
                self.settings.send_timeout,
            )
            .await
    }

    /// A mail written to a file (the embedded default's transport, a file under the data
    /// folder holding the officer's name, address and link) is written under its outbox
    /// row's lock and marked sent in the same transaction. An erasure of its officer locks
    /// that row too: either it comes first, and the mail is withdrawn and never written,
    /// or it waits until the file is there, and removes it. (Over SMTP nothing stays on
    /// this machine, and no transaction is held while a server answers.)
    async fn write_file(&self, mail: mailing::Model) -> anyhow::Result<Outcome> {
        let txn = db::begin(&self.db).await?;
        let Some(queued) = outbox::lock_queued(&txn, mail.id).await? else {
            txn.rollback().await?;
            tracing::info!(mailing = mail.id, "a mail withdrawn before it was written");
            return Ok(Outcome::Withdrawn);
        };
        let written = self.send(&queued).await;
        if written.is_ok() {
            outbox::mark_sent(&txn, mail.id, self.clock.now()).await?;
            txn.commit().await?;
            return Ok(Outcome::Sent);
        }
        txn.rollback().await?;
        self.record(&mail, written).await
    }

    async fn record(
        &self,
        mail: &mailing::Model,
        sent: Result<(), SendError>,
    ) -> anyhow::Result<Outcome> {
        let now = self.clock.now();
        Ok(match sent {
            Ok(()) => {
                if !outbox::mark_sent(&self.db, mail.id, now).await? {
                    tracing::info!(
                        mailing = mail.id,
                        "a mail withdrawn while it was sent went out"
                    );
                }
                Outcome::Sent
            }
            // The logs get the classified reason; the server's words may quote the address.
            Err(error)
                if error.transient && (mail.attempts as u32) < self.settings.max_attempts =>
            {
                let retry_at = now + backoff(self.settings.retry_base, mail.attempts);
                tracing::warn!(
                    mailing = mail.id,
                    attempts = mail.attempts,
                    reason = error.reason,
                    smtp_code = error.code,
                    "delivery failed; will retry"
                );
                outbox::mark_retry(&self.db, mail.id, retry_at, &error.detail).await?;
                Outcome::Retried
            }
            Err(error) => {
                tracing::error!(
                    mailing = mail.id,
                    attempts = mail.attempts,
                    reason = error.reason,
                    smtp_code = error.code,
                    "delivery failed for good"
                );
                mailings::fail(&self.db, mail, &error.detail, error.code).await?;
                Outcome::Failed
            }
        })
    }

    /// Delivers until `stop` turns true.
    pub async fn run(self, poll: Duration, stop: watch::Receiver<bool>) {
        let worker = &self;
        poll_until_stopped("delivery", poll, stop, move || async move {
            Ok(worker.run_once().await?.handled())
        })
        .await
    }
}

/// The mail as it goes out: the token of its link generation in place of the placeholder.
fn with_link(mail: &mailing::Model, key: &TokenKey) -> mailing::Model {
    let mut mail = mail.clone();
    if let (Some(invitation_id), Some(generation)) = (mail.invitation_id, mail.link_generation) {
        let token = key.token(invitation_id, generation);
        mail.body_text = crate::mail::with_token(&mail.body_text, &token);
        mail.body_html = crate::mail::with_token(&mail.body_html, &token);
    }
    mail
}
