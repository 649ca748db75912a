//! The schedule of a round: its rules, a workshop's overrides of them, and the opening and
//! due times of each invitation, at 09:00 in the participant's administration's time zone.
//! Invitations are created here when a round is scheduled, a workshop attached to a
//! scheduled round, or a participant added to one; their times follow every change of rules.

use anyhow::Context;
use chrono_tz::Tz;
use entity::invitation::{self, InvitationStatus};
use entity::round::{self, RoundState};
use entity::{administration, participant, round_workshop, workshop};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};

use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::records::{find_by_id, share_by_id};
use crate::domain::schedule::{ScheduleRules, WorkshopDates};
use crate::domain::{InvalidInput, TimeZone};

/// The round's own rules.
pub fn rules(round: &round::Model) -> ScheduleRules {
    ScheduleRules {
        open_offset_months: u32::try_from(round.open_offset_months).unwrap_or_default(),
        reply_window_days: u32::try_from(round.reply_window_days).unwrap_or_default(),
        reminder_offsets_days: serde_json::from_value(round.reminder_offsets_days.clone())
            .unwrap_or_default(),
    }
}

/// The rules that apply to one workshop: the round's, overridden by the workshop's.
pub fn effective_rules(round: &round::Model, attachment: &round_workshop::Model) -> ScheduleRules {
    let base = rules(round);
    ScheduleRules {
        open_offset_months: attachment
            .open_offset_months
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(base.open_offset_months),
        reply_window_days: attachment
            .reply_window_days
            .and_then(|d| u32::try_from(d).ok())
            .unwrap_or(base.reply_window_days),
        reminder_offsets_days: attachment
            .reminder_offsets_days
            .clone()
            .and_then(|json| serde_json::from_value(json).ok())
            .unwrap_or(base.reminder_offsets_days),
    }
}

/// Rules that break no limit (a reminder after the due date, a window of no days).
pub fn check_rules(rules: &ScheduleRules) -> Result<(), ServiceError> {
    rules
        .check()
        .map_err(|(field, message)| InvalidInput::field(field, message).into())
}

fn time_zone(administration: &administration::Model) -> Tz {
    TimeZone::of_stored(&administration.time_zone)
}

/// The dates of `workshop` in `round`.
pub fn dates(
    round: &round::Model,
    attachment: &round_workshop::Model,
    workshop: &workshop::Model,
) -> WorkshopDates {
    WorkshopDates::compute(
        workshop.end_date,
        attachment.opens_on,
        &effective_rules(round, attachment),
    )
}

/// An invitation to write, pending, with the times of `dates` in the administration's zone.
pub fn new_invitation(
    round_id: i32,
    workshop_id: i32,
    participant_id: Option<i32>,
    administration: &administration::Model,
    dates: &WorkshopDates,
) -> invitation::ActiveModel {
    let at = now();
    let tz = time_zone(administration);
    invitation::ActiveModel {
        round_id: Set(round_id),
        workshop_id: Set(workshop_id),
        administration_id: Set(administration.id),
        participant_id: Set(participant_id),
        token_hash: Set(None),
        token_issued_at: Set(None),
        status: Set(InvitationStatus::Pending),
        opens_at: Set(dates.opens_at(tz)),
        due_at: Set(dates.due_at(tz)),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
}

/// Invites every participant of `workshop` not yet invited in `round`.
pub async fn create_for_workshop(
    db: &impl ConnectionTrait,
    round: &round::Model,
    attachment: &round_workshop::Model,
    workshop: &workshop::Model,
) -> Result<usize, ServiceError> {
    let dates = dates(round, attachment, workshop);
    let invited: Vec<Option<i32>> = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::ParticipantId)
        .filter(invitation::Column::RoundId.eq(round.id))
        .filter(invitation::Column::WorkshopId.eq(workshop.id))
        .into_tuple()
        .all(db)
        .await?;
    let participants = participant::Entity::find()
        .find_also_related(administration::Entity)
        .filter(participant::Column::WorkshopId.eq(workshop.id))
        .all(db)
        .await?;
    let new: Vec<_> = participants
        .into_iter()
        .filter(|(p, _)| !invited.contains(&Some(p.id)))
        .filter_map(|(p, a)| {
            a.map(|administration| {
                new_invitation(round.id, workshop.id, Some(p.id), &administration, &dates)
            })
        })
        .collect();
    let count = new.len();
    if count > 0 {
        invitation::Entity::insert_many(new)
            .exec_without_returning(db)
            .await?;
    }
    Ok(count)
}

/// Invites a participant added to a workshop of a scheduled or open round.
pub async fn create_for_participant(
    db: &impl ConnectionTrait,
    participant: &participant::Model,
    administration: &administration::Model,
) -> Result<(), ServiceError> {
    let Some(attachment) = round_workshop::Entity::find()
        .filter(round_workshop::Column::WorkshopId.eq(participant.workshop_id))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    // Shared until the participant is written, so a round being scheduled meanwhile waits
    // and then invites them.
    let round = share_by_id::<round::Entity>(db, "round", attachment.round_id).await?;
    if !matches!(round.state, RoundState::Scheduled | RoundState::Open) {
        return Ok(());
    }
    let workshop = find_by_id::<workshop::Entity>(db, "workshop", participant.workshop_id).await?;
    let dates = dates(&round, &attachment, &workshop);
    new_invitation(
        round.id,
        workshop.id,
        Some(participant.id),
        administration,
        &dates,
    )
    .insert(db)
    .await?;
    Ok(())
}

/// Recomputes the opening and due times of the invitations of `attached` workshops after
/// a change of rules.
pub async fn reschedule(
    db: &impl ConnectionTrait,
    round: &round::Model,
    attached: &[(round_workshop::Model, workshop::Model)],
) -> Result<(), ServiceError> {
    for (attachment, workshop) in attached {
        let dates = dates(round, attachment, workshop);
        let affected = invitation::Entity::find()
            .find_also_related(administration::Entity)
            .filter(invitation::Column::RoundId.eq(round.id))
            .filter(invitation::Column::WorkshopId.eq(workshop.id))
            .all(db)
            .await?;
        for (invitation, administration) in affected {
            let Some(administration) = administration else {
                continue;
            };
            let tz = time_zone(&administration);
            let mut active: invitation::ActiveModel = invitation.into();
            active.opens_at = Set(dates.opens_at(tz));
            active.due_at = Set(dates.due_at(tz));
            active.updated_at = Set(now());
            active.update(db).await?;
        }
    }
    Ok(())
}

/// A participant moved to another administration: their invitations without a reply
/// follow, with times in the new administration's time zone. Those of closed rounds stay
/// as they were: a closed round is history.
pub async fn follow_administration(
    db: &impl ConnectionTrait,
    participant: &participant::Model,
    administration: &administration::Model,
) -> Result<(), ServiceError> {
    let pending = invitation::Entity::find()
        .filter(invitation::Column::ParticipantId.eq(participant.id))
        .filter(invitation::Column::Status.ne(InvitationStatus::Replied))
        .all(db)
        .await?;
    for invitation in pending {
        let round = find_by_id::<round::Entity>(db, "round", invitation.round_id).await?;
        if round.state == RoundState::Closed {
            continue;
        }
        let attachment =
            round_workshop::Entity::find_by_id((invitation.round_id, invitation.workshop_id))
                .one(db)
                .await?
                .context("the invitation's workshop is not part of its round")?;
        let workshop =
            find_by_id::<workshop::Entity>(db, "workshop", invitation.workshop_id).await?;
        let dates = dates(&round, &attachment, &workshop);
        let tz = time_zone(administration);
        let mut active: invitation::ActiveModel = invitation.into();
        active.administration_id = Set(administration.id);
        active.opens_at = Set(dates.opens_at(tz));
        active.due_at = Set(dates.due_at(tz));
        active.updated_at = Set(now());
        active.update(db).await?;
    }
    Ok(())
}
