//! The scheduler: queues each invitation when its workshop's survey opens, and a reminder
//! at each offset before the due date to invitations without a reply. Closed and draft
//! rounds get nothing. Queuing goes through the outbox's dedupe keys, so re-runs, restarts
//! and several instances queue each mail once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entity::invitation::{self, InvitationStatus};
use entity::mailing::{self, MailKind};
use entity::round::{self, RoundState};
use entity::{administration, round_workshop};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;
use tokio::sync::watch;

use super::Clock;
use crate::db;
use crate::domain::TimeZone;
use crate::domain::schedule::local_nine;
use crate::mail::{MailContext, compose};
use crate::services::audit::Actor;
use crate::services::{idempotency, invitations, privacy, rounds};

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
}

#[derive(Debug, Clone)]
pub struct Scheduler {
    pub db: DatabaseConnection,
    pub mail: MailContext,
    pub clock: Arc<dyn Clock>,
    /// Sent mail of a round closed longer ago loses its subject and bodies.
    pub mail_retention: chrono::Duration,
}

fn actor() -> Actor {
    Actor {
        key_id: None,
        name: "scheduler".into(),
        request_id: None,
    }
}

impl Scheduler {
    /// Queues what is due now.
    pub async fn tick(&self) -> anyhow::Result<ScheduleReport> {
        let now = self.clock.now();
        let mut report = ScheduleReport::default();
        let active = round::Entity::find()
            .filter(round::Column::State.is_in([RoundState::Scheduled, RoundState::Open]))
            .all(&self.db)
            .await?;
        for round in active {
            let opened = self.queue_invitations(&round, now).await?;
            report.invitations += opened;
            if round.state == RoundState::Scheduled
                && self.has_opened(&round, now).await?
                && rounds::open_if_scheduled(&self.db, &actor(), round.id).await?
            {
                report.rounds_opened += 1;
            }
            report.reminders += self.queue_reminders(&round, now).await?;
        }
        report.idempotency_keys_expired = idempotency::purge_expired(&self.db, now).await?;
        report.mail_bodies_purged =
            privacy::purge_mail_bodies(&self.db, now, self.mail_retention).await?;
        Ok(report)
    }

    async fn has_opened(&self, round: &round::Model, now: DateTime<Utc>) -> anyhow::Result<bool> {
        Ok(invitation::Entity::find()
            .filter(invitation::Column::RoundId.eq(round.id))
            .filter(invitation::Column::OpensAt.lte(now))
            .one(&self.db)
            .await?
            .is_some())
    }

    /// Invitations whose opening time has come and that have no invitation mail yet. A
    /// link staff revoked is not issued again.
    async fn queue_invitations(
        &self,
        round: &round::Model,
        now: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        let mailed = Query::select()
            .column(mailing::Column::InvitationId)
            .from(mailing::Entity)
            .and_where(mailing::Column::Kind.eq(MailKind::Invitation))
            .and_where(mailing::Column::InvitationId.is_not_null())
            .to_owned();
        let due: Vec<i32> = invitation::Entity::find()
            .select_only()
            .column(invitation::Column::Id)
            .filter(invitation::Column::RoundId.eq(round.id))
            .filter(invitation::Column::OpensAt.lte(now))
            .filter(invitation::Column::ParticipantId.is_not_null())
            .filter(invitation::Column::Id.not_in_subquery(mailed))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut queued = 0;
        for id in due {
            let txn = db::begin(&self.db).await?;
            let current = invitations::lock(&txn, id).await?;
            let (current, Some(_)) = invitations::mail_link(&txn, current, &self.mail.key).await?
            else {
                continue; // staff revoked the link
            };
            let key = format!("invitation:{id}");
            if compose::queue(
                &txn,
                &self.mail,
                MailKind::Invitation,
                key,
                &current,
                true,
                json!({}),
            )
            .await?
            {
                queued += 1;
            }
            txn.commit().await?;
        }
        Ok(queued)
    }

    /// For each invitation still waiting for a reply, the latest reminder whose time has
    /// come (a missed earlier one is not sent late), once per offset.
    async fn queue_reminders(
        &self,
        round: &round::Model,
        now: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        let waiting = invitation::Entity::find()
            .filter(invitation::Column::RoundId.eq(round.id))
            .filter(invitation::Column::Status.eq(InvitationStatus::Invited))
            .filter(invitation::Column::ParticipantId.is_not_null())
            .filter(invitation::Column::TokenHash.is_not_null())
            .filter(invitation::Column::DueAt.gt(now))
            .all(&self.db)
            .await?;
        if waiting.is_empty() {
            return Ok(0);
        }
        let sent_keys: HashSet<String> = mailing::Entity::find()
            .select_only()
            .column(mailing::Column::DedupeKey)
            .filter(mailing::Column::RoundId.eq(round.id))
            .filter(mailing::Column::Kind.is_in([MailKind::Invitation, MailKind::Reminder]))
            .into_tuple()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        let rules: HashMap<i32, Vec<u32>> = round_workshop::Entity::find()
            .filter(round_workshop::Column::RoundId.eq(round.id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|attachment| {
                let offsets = rounds::effective_rules(round, &attachment).reminder_offsets_days;
                (attachment.workshop_id, offsets)
            })
            .collect();
        let zones: HashMap<i32, Tz> = administration::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| {
                (
                    a.id,
                    TimeZone::parse(&a.time_zone)
                        .map(TimeZone::tz)
                        .unwrap_or(Tz::UTC),
                )
            })
            .collect();

        let mut queued = 0;
        for candidate in waiting {
            if !sent_keys.contains(&format!("invitation:{}", candidate.id)) {
                continue; // reminders follow the invitation mail
            }
            let tz = zones
                .get(&candidate.administration_id)
                .copied()
                .unwrap_or(Tz::UTC);
            let due_on = candidate.due_at.with_timezone(&tz).date_naive();
            let offsets = rules
                .get(&candidate.workshop_id)
                .cloned()
                .unwrap_or_default();
            let latest = offsets
                .iter()
                .filter_map(|offset| {
                    let day = due_on.checked_sub_days(chrono::Days::new((*offset).into()))?;
                    let at = local_nine(day, tz);
                    (at <= now && at > candidate.opens_at).then_some((at, *offset))
                })
                .max();
            let Some((_, offset)) = latest else { continue };
            let key = format!("reminder:{}:{offset}", candidate.id);
            if sent_keys.contains(&key) {
                continue;
            }
            let txn = db::begin(&self.db).await?;
            let current = invitations::lock(&txn, candidate.id).await?;
            if current.status != InvitationStatus::Invited {
                continue; // replied meanwhile
            }
            if invitations::current_token(&current, &self.mail.key).is_none() {
                continue;
            }
            let extra = json!({"days_left": offset});
            if compose::queue(
                &txn,
                &self.mail,
                MailKind::Reminder,
                key,
                &current,
                true,
                extra,
            )
            .await?
            {
                queued += 1;
            }
            txn.commit().await?;
        }
        Ok(queued)
    }

    /// Ticks every `interval` until `stop` turns true.
    pub async fn run(self, interval: Duration, mut stop: watch::Receiver<bool>) {
        loop {
            match self.tick().await {
                Ok(report) if report != ScheduleReport::default() => {
                    tracing::info!(
                        invitations = report.invitations,
                        reminders = report.reminders,
                        rounds_opened = report.rounds_opened,
                        idempotency_keys_expired = report.idempotency_keys_expired,
                        mail_bodies_purged = report.mail_bodies_purged,
                        "scheduler tick"
                    );
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::error!(error = format!("{error:#}"), "scheduler tick failed")
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.changed() => return,
            }
        }
    }
}
