//! The scheduler: on every tick it queues the mail that fell due (invitations when a
//! survey opens, reminders before the due date; `crate::services::due_mail`), opens rounds
//! whose first survey opened, removes expired `Idempotency-Key` responses, and strips the
//! bodies of sent mail past the retention period.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use super::poll::poll_until_stopped;
use crate::base::clock::Clock;
use crate::mail::MailContext;
use crate::services::digest::{self, DigestSettings};
use crate::services::privacy::retention;
use crate::services::{due_mail, idempotency};

/// What one tick queued.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleReport {
    pub invitations: usize,
    pub reminders: usize,
    pub rounds_opened: usize,
    /// Stored `Idempotency-Key` responses past their time, removed.
    pub idempotency_keys_expired: u64,
    /// Sent mails whose subject and bodies were removed under the retention setting.
    pub mail_bodies_purged: u64,
    /// Weekly digests queued.
    pub digests: usize,
}

#[derive(Debug, Clone)]
pub struct Scheduler {
    pub db: DatabaseConnection,
    pub mail: MailContext,
    pub clock: Arc<dyn Clock>,
    /// Sent mail of a round closed longer ago loses its subject and bodies.
    pub mail_retention: chrono::Duration,
    /// The weekly digest, when it has recipients.
    pub digest: Option<DigestSettings>,
}

impl Scheduler {
    /// Queues what is due now.
    pub async fn tick(&self) -> anyhow::Result<ScheduleReport> {
        let now = self.clock.now();
        let due = due_mail::queue_due(&self.db, &self.mail, now).await?;
        Ok(ScheduleReport {
            invitations: due.invitations,
            reminders: due.reminders,
            rounds_opened: due.rounds_opened,
            idempotency_keys_expired: idempotency::purge_expired(&self.db, now).await?,
            mail_bodies_purged: retention::purge_mail_bodies(
                &self.db,
                &self.mail,
                now,
                self.mail_retention,
            )
            .await?,
            digests: match &self.digest {
                Some(digest) => digest::queue_due(&self.db, &self.mail, digest, now).await?,
                None => 0,
            },
        })
    }

    /// Ticks every `interval` until `stop` turns true.
    pub async fn run(self, interval: Duration, stop: watch::Receiver<bool>) {
        let scheduler = &self;
        // A tick always waits for the next: what it queued is the worker's to send.
        poll_until_stopped("scheduler", interval, stop, move || async move {
            let report = scheduler.tick().await?;
            if report != ScheduleReport::default() {
                tracing::info!(
                    invitations = report.invitations,
                    reminders = report.reminders,
                    rounds_opened = report.rounds_opened,
                    idempotency_keys_expired = report.idempotency_keys_expired,
                    mail_bodies_purged = report.mail_bodies_purged,
                    digests = report.digests,
                    "scheduler tick"
                );
            }
            Ok(0)
        })
        .await
    }
}
