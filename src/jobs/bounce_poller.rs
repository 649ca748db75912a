//! The bounce mailbox's poller: one instance at a time (a lease in `job_leases`) reads
//! what came back to the bounce address over IMAP, records it
//! (`services::deliverability::take_returned`) and moves each message out of the folder:
//! to the processed folder once recorded, to the set-aside folder when it is unreadable,
//! too large, or about no mail of ours. A message is recorded once even when a pass dies
//! between recording and moving it (the next pass finds its key recorded). A mailbox that
//! refuses the login, times out or disappears is retried with a growing pause and shown
//! on `/readyz`; it never stops the service.

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Span;
use rand::Rng;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use crate::base::clock::Clock;
use crate::base::lease;
use crate::mail::bounce_mailbox::{Mailbox, MailboxUrl};
use crate::services::deliverability::{self, Returns, Taken};

/// The lease's name; `/readyz` reads its row.
pub const LEASE: &str = deliverability::MAILBOX_LEASE;
/// The longest pause between passes while the mailbox keeps failing.
const LONGEST_PAUSE: Duration = Duration::from_secs(30 * 60);

#[derive(Debug, Clone)]
pub struct BounceSettings {
    pub url: MailboxUrl,
    pub poll: Duration,
    pub lease: Span,
    pub timeout: Duration,
    /// A larger message is set aside unread.
    pub max_message_bytes: u32,
    pub processed_folder: String,
    pub set_aside_folder: String,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BounceReport {
    /// Another instance holds the lease.
    pub not_holder: bool,
    pub recorded: usize,
    pub already_seen: usize,
    pub set_aside: usize,
}

#[derive(Debug, Clone)]
pub struct BouncePoller {
    pub db: DatabaseConnection,
    pub returns: Returns,
    pub clock: Arc<dyn Clock>,
    pub settings: BounceSettings,
    /// Names this instance in the lease.
    pub holder: String,
}

impl BouncePoller {
    pub fn new(
        db: DatabaseConnection,
        returns: Returns,
        clock: Arc<dyn Clock>,
        settings: BounceSettings,
    ) -> Self {
        Self {
            db,
            returns,
            clock,
            settings,
            holder: hex::encode(rand::rng().random::<[u8; 8]>()),
        }
    }

    /// One pass: takes (or renews) the lease, then empties the folder; how it went is
    /// written beside the lease.
    pub async fn run_once(&self) -> anyhow::Result<BounceReport> {
        let now = self.clock.now();
        if !lease::acquire(&self.db, LEASE, &self.holder, now, self.settings.lease).await? {
            return Ok(BounceReport {
                not_holder: true,
                ..BounceReport::default()
            });
        }
        let outcome = self.drain().await;
        let reason = outcome.as_ref().err().map(|e| format!("{e:#}"));
        lease::report(
            &self.db,
            LEASE,
            self.clock.now(),
            reason.as_deref().map_or(Ok(()), Err),
        )
        .await?;
        outcome
    }

    async fn drain(&self) -> anyhow::Result<BounceReport> {
        let settings = &self.settings;
        let mut mailbox = Mailbox::open(&settings.url, settings.timeout).await?;
        mailbox.ensure_folder(&settings.processed_folder).await?;
        mailbox.ensure_folder(&settings.set_aside_folder).await?;
        let mut report = BounceReport::default();
        for entry in mailbox.entries().await? {
            let taken = if entry.size > settings.max_message_bytes {
                tracing::warn!(
                    uid = entry.uid,
                    size = entry.size,
                    limit = settings.max_message_bytes,
                    "a message in the bounce mailbox is too large to read: set aside"
                );
                Taken::Unreadable
            } else {
                let Some(raw) = mailbox.fetch(entry.uid).await? else {
                    continue; // gone meanwhile (another client moved it)
                };
                deliverability::take_returned(&self.db, &self.returns, &raw, self.clock.now())
                    .await?
            };
            let folder = match taken {
                Taken::Recorded => {
                    report.recorded += 1;
                    &settings.processed_folder
                }
                Taken::AlreadySeen => {
                    report.already_seen += 1;
                    &settings.processed_folder
                }
                Taken::Unmatched | Taken::Unreadable => {
                    tracing::warn!(
                        uid = entry.uid,
                        size = entry.size,
                        reason = match taken {
                            Taken::Unmatched =>
                                "about no mail of ours (or a forged bounce address)",
                            _ => "not a bounce, complaint or automatic reply",
                        },
                        folder = settings.set_aside_folder,
                        "a message in the bounce mailbox was set aside"
                    );
                    report.set_aside += 1;
                    &settings.set_aside_folder
                }
            };
            mailbox.move_to(entry.uid, folder).await?;
        }
        mailbox.close().await;
        Ok(report)
    }

    /// Polls until `stop` turns true; after failures the pause doubles, up to half an
    /// hour. The lease is given up on the way out.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut failures: u32 = 0;
        loop {
            match self.run_once().await {
                Ok(report) => {
                    failures = 0;
                    if report.recorded + report.set_aside > 0 {
                        tracing::info!(
                            recorded = report.recorded,
                            set_aside = report.set_aside,
                            "bounce mailbox read"
                        );
                    }
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    tracing::error!(
                        error = format!("{error:#}"),
                        failures,
                        "reading the bounce mailbox failed; will retry"
                    );
                }
            }
            let pause = pause_after(self.settings.poll, failures);
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stop.changed() => break,
            }
            if *stop.borrow() {
                break;
            }
        }
        let _ = lease::release(&self.db, LEASE, &self.holder, self.clock.now()).await;
    }
}

/// The pause before the next pass after `failures` failed passes in a row: `poll`,
/// doubled per failure, at most half an hour (or `poll`, when that is longer).
fn pause_after(poll: Duration, failures: u32) -> Duration {
    poll.saturating_mul(1 << failures.min(10))
        .min(LONGEST_PAUSE.max(poll))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_doubles_with_each_failure_up_to_half_an_hour() {
        let minute = Duration::from_secs(60);
        assert_eq!(pause_after(minute, 0), minute);
        assert_eq!(pause_after(minute, 1), 2 * minute);
        assert_eq!(pause_after(minute, 4), 16 * minute);
        assert_eq!(pause_after(minute, 5), 30 * minute);
        assert_eq!(pause_after(minute, 400), 30 * minute);
        let hour = Duration::from_secs(3600);
        assert_eq!(pause_after(hour, 3), hour);
    }
}
