//! Mail that falls due with time: each invitation when its workshop's survey opens, and a
//! reminder at each offset before the due date to invitations without a reply (unless its
//! moment passed hours before it could go out: see [`REMINDER_GRACE`]). Closed and
//! draft rounds get nothing. Queuing goes through the outbox's dedupe keys, so re-runs,
//! restarts and several instances queue each mail once; each mail is queued in its own
//! transaction with the invitation locked.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entity::invitation::{self, InvitationStatus};
use entity::mailing::{self, MailKind};
use entity::round::{self, RoundState};
use entity::{administration, round_workshop};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;

use super::audit::Actor;
use super::invitations::links;
use super::rounds::schedule::effective_rules;
use super::rounds::states;
use crate::base::error::ServiceError;
use crate::base::records::lock_by_id;
use crate::db;
use crate::domain::TimeZone;
use crate::domain::schedule::{REMINDER_GRACE, local_nine, reminder_follows};
use crate::mail::MailContext;
use crate::mail::compose::{self, Letter};

/// What one pass queued.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DueMail {
    pub invitations: usize,
    pub reminders: usize,
    pub rounds_opened: usize,
}

fn scheduler() -> Actor {
    Actor {
        key_id: None,
        name: "scheduler".into(),
        request_id: None,
    }
}

/// Queues every mail due at `now`, and opens scheduled rounds whose first survey opened.
pub async fn queue_due(
    db: &DatabaseConnection,
    mail: &MailContext,
    now: DateTime<Utc>,
) -> Result<DueMail, ServiceError> {
    let mut due = DueMail::default();
    let active = round::Entity::find()
        .filter(round::Column::State.is_in([RoundState::Scheduled, RoundState::Open]))
        .all(db)
        .await?;
    for round in active {
        due.invitations += queue_invitations(db, mail, &round, now).await?;
        if round.state == RoundState::Scheduled
            && has_opened(db, &round, now).await?
            && states::open_if_scheduled(db, &scheduler(), round.id).await?
        {
            due.rounds_opened += 1;
        }
        due.reminders += queue_reminders(db, mail, &round, now).await?;
    }
    Ok(due)
}

async fn has_opened(
    db: &DatabaseConnection,
    round: &round::Model,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::RoundId.eq(round.id))
        .filter(invitation::Column::OpensAt.lte(now))
        .one(db)
        .await?
        .is_some())
}

/// Invitations whose opening time has come and that have no invitation mail yet. A
/// link staff revoked is not issued again.
async fn queue_invitations(
    db: &DatabaseConnection,
    mail: &MailContext,
    round: &round::Model,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
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
        .all(db)
        .await?;
    let mut queued = 0;
    for id in due {
        let txn = db::begin(db).await?;
        let current = lock_by_id::<invitation::Entity>(&txn, "invitation", id).await?;
        let (current, Some(_)) = links::mail_link(&txn, current, &mail.key).await? else {
            continue; // staff revoked the link
        };
        let key = format!("invitation:{id}");
        let letter = Letter::new(MailKind::Invitation, key, &current);
        if compose::queue(&txn, mail, letter, now).await? {
            queued += 1;
        }
        txn.commit().await?;
    }
    Ok(queued)
}

/// What deciding a round's reminders needs besides the invitation.
struct ReminderRules {
    /// Mail already queued in the round (invitations and reminders): when, by dedupe key.
    queued: HashMap<String, DateTime<Utc>>,
    /// Reminder offsets per workshop.
    offsets: HashMap<i32, Vec<u32>>,
    /// Time zones per administration.
    zones: HashMap<i32, Tz>,
}

impl ReminderRules {
    async fn load(db: &DatabaseConnection, round: &round::Model) -> Result<Self, ServiceError> {
        let queued = mailing::Entity::find()
            .select_only()
            .column(mailing::Column::DedupeKey)
            .column(mailing::Column::CreatedAt)
            .filter(mailing::Column::RoundId.eq(round.id))
            .filter(mailing::Column::Kind.is_in([MailKind::Invitation, MailKind::Reminder]))
            .into_tuple()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let offsets = round_workshop::Entity::find()
            .filter(round_workshop::Column::RoundId.eq(round.id))
            .all(db)
            .await?
            .into_iter()
            .map(|attachment| {
                let offsets = effective_rules(round, &attachment).reminder_offsets_days;
                (attachment.workshop_id, offsets)
            })
            .collect();
        let zones = administration::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.id, TimeZone::of_stored(&a.time_zone)))
            .collect();
        Ok(Self {
            queued,
            offsets,
            zones,
        })
    }

    /// The dedupe key of the latest reminder whose time has come for `candidate` and that
    /// was not queued yet, with its offset. A reminder whose moment came more than
    /// [`REMINDER_GRACE`] ago is not sent (nor is an earlier one, late), nor one less than
    /// a day after the invitation mail ([`reminder_follows`]).
    fn due(&self, candidate: &invitation::Model, now: DateTime<Utc>) -> Option<(String, u32)> {
        // Reminders follow the invitation mail.
        let invited_at = *self.queued.get(&format!("invitation:{}", candidate.id))?;
        let tz = self
            .zones
            .get(&candidate.administration_id)
            .copied()
            .unwrap_or(Tz::UTC);
        let due_on = candidate.due_at.with_timezone(&tz).date_naive();
        let offsets = self.offsets.get(&candidate.workshop_id)?;
        let (at, offset) = offsets
            .iter()
            .filter_map(|offset| {
                let day = due_on.checked_sub_days(chrono::Days::new((*offset).into()))?;
                let at = local_nine(day, tz);
                (at <= now && reminder_follows(at, candidate.opens_at, invited_at))
                    .then_some((at, *offset))
            })
            .max()?;
        let key = format!("reminder:{}:{offset}", candidate.id);
        let stale = now - at > REMINDER_GRACE;
        (!stale && !self.queued.contains_key(&key)).then_some((key, offset))
    }
}

/// For each invitation still waiting for a reply, the latest reminder whose time has come,
/// once per offset.
async fn queue_reminders(
    db: &DatabaseConnection,
    mail: &MailContext,
    round: &round::Model,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let waiting = invitation::Entity::find()
        .filter(invitation::Column::RoundId.eq(round.id))
        .filter(invitation::Column::Status.eq(InvitationStatus::Invited))
        .filter(invitation::Column::ParticipantId.is_not_null())
        .filter(invitation::Column::TokenHash.is_not_null())
        .filter(invitation::Column::DueAt.gt(now))
        .all(db)
        .await?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let rules = ReminderRules::load(db, round).await?;
    let mut queued = 0;
    for candidate in waiting {
        let Some((key, offset)) = rules.due(&candidate, now) else {
            continue;
        };
        let txn = db::begin(db).await?;
        let current = lock_by_id::<invitation::Entity>(&txn, "invitation", candidate.id).await?;
        if current.status != InvitationStatus::Invited {
            continue; // replied meanwhile
        }
        if links::current_token(&current, &mail.key).is_none() {
            continue;
        }
        let letter = Letter {
            extra: json!({"days_left": offset}),
            ..Letter::new(MailKind::Reminder, key, &current)
        };
        if compose::queue(&txn, mail, letter, now).await? {
            queued += 1;
        }
        txn.commit().await?;
    }
    Ok(queued)
}
