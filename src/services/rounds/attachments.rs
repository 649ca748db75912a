//! The workshops subjected to a round, each with its overrides of the round's rules.
//! Attaching a workshop to a scheduled round invites its participants at once; changing
//! its overrides moves its invitations' dates; a workshop with replies stays.

use std::collections::HashMap;

use anyhow::Context;
use chrono::NaiveDate;
use entity::round::{self, RoundState};
use entity::{invitation, reply, round_workshop, workshop};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, Set,
};

use super::schedule::{self, check_rules, effective_rules};
use crate::base::clock::now;
use crate::base::error::{NotFound, ServiceError};
use crate::base::records::{find_by_id, share_by_id};
use crate::db;
use crate::domain::InvalidInput;
use crate::domain::refusal::Refusal;
use crate::services::audit::{self, Actor, Change};

/// A workshop's overrides of the round's rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub opens_on: Option<NaiveDate>,
    pub open_offset_months: Option<u32>,
    pub reply_window_days: Option<u32>,
    pub reminder_offsets_days: Option<Vec<u32>>,
}

/// Some of a workshop's overrides, as a JSON merge patch (RFC 7396) says them: a field left
/// out keeps its value (`None`), `null` goes back to the round's rule (`Some(None)`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverridesPatch {
    pub opens_on: Option<Option<NaiveDate>>,
    pub open_offset_months: Option<Option<u32>>,
    pub reply_window_days: Option<Option<u32>>,
    pub reminder_offsets_days: Option<Option<Vec<u32>>>,
}

/// How the overrides of a workshop change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverridesChange {
    /// Every override replaced (`PUT`): those left out follow the round again.
    Replace(Overrides),
    /// Only those named (`PATCH`).
    Merge(OverridesPatch),
}

impl Overrides {
    /// The overrides stored for `attachment`.
    pub fn of(attachment: &round_workshop::Model) -> Self {
        Self {
            opens_on: attachment.opens_on,
            open_offset_months: attachment
                .open_offset_months
                .and_then(|m| u32::try_from(m).ok()),
            reply_window_days: attachment
                .reply_window_days
                .and_then(|d| u32::try_from(d).ok()),
            reminder_offsets_days: attachment
                .reminder_offsets_days
                .clone()
                .and_then(|json| serde_json::from_value(json).ok()),
        }
    }

    /// These overrides with `change` applied.
    pub fn changed(self, change: OverridesChange) -> Self {
        match change {
            OverridesChange::Replace(all) => all,
            OverridesChange::Merge(patch) => Self {
                opens_on: patch.opens_on.unwrap_or(self.opens_on),
                open_offset_months: patch.open_offset_months.unwrap_or(self.open_offset_months),
                reply_window_days: patch.reply_window_days.unwrap_or(self.reply_window_days),
                reminder_offsets_days: patch
                    .reminder_offsets_days
                    .unwrap_or(self.reminder_offsets_days),
            },
        }
    }
}

/// The round, unless it is closed: a closed round's workshops do not change. Shared until
/// the use case ends, so scheduling waits and then invites the workshop's participants.
async fn open_to_change(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> Result<round::Model, ServiceError> {
    let round = share_by_id::<round::Entity>(db, "round", round_id).await?;
    if round.state == RoundState::Closed {
        return Err(Refusal::RoundClosed {
            number: round.round_number,
        }
        .into());
    }
    Ok(round)
}

/// The workshops of a round, ordered by start date.
pub async fn of_round(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> Result<Vec<(round_workshop::Model, workshop::Model)>, ServiceError> {
    let rows = round_workshop::Entity::find()
        .filter(round_workshop::Column::RoundId.eq(round_id))
        .all(db)
        .await?;
    let mut workshops: HashMap<i32, workshop::Model> = workshop::Entity::find()
        .filter(workshop::Column::Id.is_in(rows.iter().map(|r| r.workshop_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect();
    let mut pairs = rows
        .into_iter()
        .map(|attachment| {
            let workshop = workshops
                .remove(&attachment.workshop_id)
                .context("an attached workshop is missing")?;
            Ok((attachment, workshop))
        })
        .collect::<Result<Vec<_>, anyhow::Error>>()?;
    pairs.sort_by_key(|(_, w)| (w.start_date, w.id));
    Ok(pairs)
}

/// One workshop of a round; 404 when the workshop is not part of the round.
pub async fn get(
    db: &impl ConnectionTrait,
    round_id: i32,
    workshop_id: i32,
) -> Result<(round_workshop::Model, workshop::Model), ServiceError> {
    let attachment = round_workshop::Entity::find_by_id((round_id, workshop_id))
        .one(db)
        .await?
        .ok_or_else(|| {
            NotFound::because(
                "attachment",
                format!("workshop {workshop_id} is not part of round {round_id}"),
            )
        })?;
    let workshop = find_by_id::<workshop::Entity>(db, "workshop", workshop_id).await?;
    Ok((attachment, workshop))
}

fn apply_overrides(
    active: &mut round_workshop::ActiveModel,
    overrides: &Overrides,
) -> Result<(), ServiceError> {
    active.opens_on = Set(overrides.opens_on);
    active.open_offset_months = Set(overrides.open_offset_months.map(|m| m as i32));
    active.reply_window_days = Set(overrides.reply_window_days.map(|d| d as i32));
    active.reminder_offsets_days = Set(overrides
        .reminder_offsets_days
        .as_ref()
        .map(|offsets| {
            let mut sorted = offsets.clone();
            sorted.sort_unstable_by(|a, b| b.cmp(a));
            serde_json::to_value(sorted)
        })
        .transpose()
        .context("reminder offsets as JSON")?);
    Ok(())
}

/// Subjects a workshop to a round. Excluded workshops and workshops of another round are
/// refused. Once the round is scheduled, its participants are invited at once.
pub async fn attach(
    db: &DatabaseConnection,
    actor: &Actor,
    round_id: i32,
    workshop_id: i32,
    overrides: Overrides,
) -> Result<(round_workshop::Model, workshop::Model), ServiceError> {
    let txn = db::begin(db).await?;
    let round = open_to_change(&txn, round_id).await?;
    let workshop = find_by_id::<workshop::Entity>(&txn, "workshop", workshop_id)
        .await
        .map_err(|error| error.missing_as_field("workshop", "workshop_id"))?;
    if workshop.excluded_from_survey {
        return Err(InvalidInput::field(
            "workshop_id",
            "this workshop is excluded from the survey",
        )
        .into());
    }
    if let Some(existing) = round_workshop::Entity::find()
        .filter(round_workshop::Column::WorkshopId.eq(workshop_id))
        .one(&txn)
        .await?
    {
        let other = find_by_id::<round::Entity>(&txn, "round", existing.round_id).await?;
        return Err(Refusal::WorkshopInAnotherRound {
            number: other.round_number,
            title: other.title,
        }
        .into());
    }
    let mut active = round_workshop::ActiveModel {
        round_id: Set(round_id),
        workshop_id: Set(workshop_id),
        attached_at: Set(now()),
        ..Default::default()
    };
    apply_overrides(&mut active, &overrides)?;
    let attachment = active.insert(&txn).await?;
    check_rules(&effective_rules(&round, &attachment))?;
    if matches!(round.state, RoundState::Scheduled | RoundState::Open) {
        schedule::create_for_workshop(&txn, &round, &attachment, &workshop).await?;
    }
    audit::record(
        &txn,
        actor,
        Change::created(
            "round_workshop",
            format!("{round_id}/{workshop_id}"),
            &attachment,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok((attachment, workshop))
}

/// Replaces a workshop's overrides; its invitations' dates follow.
pub async fn update_attachment(
    db: &DatabaseConnection,
    actor: &Actor,
    round_id: i32,
    workshop_id: i32,
    change: OverridesChange,
) -> Result<(round_workshop::Model, workshop::Model), ServiceError> {
    let txn = db::begin(db).await?;
    let round = open_to_change(&txn, round_id).await?;
    // Locked, so two merge patches of one workshop apply one after the other.
    round_workshop::Entity::find_by_id((round_id, workshop_id))
        .lock_exclusive()
        .one(&txn)
        .await?;
    let (before, workshop) = get(&txn, round_id, workshop_id).await?;
    let overrides = Overrides::of(&before).changed(change);
    let mut active: round_workshop::ActiveModel = before.clone().into();
    apply_overrides(&mut active, &overrides)?;
    let after = active.update(&txn).await?;
    check_rules(&effective_rules(&round, &after))?;
    schedule::reschedule(&txn, &round, &[(after.clone(), workshop.clone())]).await?;
    audit::record(
        &txn,
        actor,
        Change::updated(
            "round_workshop",
            format!("{round_id}/{workshop_id}"),
            &before,
            &after,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok((after, workshop))
}

/// Takes a workshop out of a round, with its invitations, unless someone has replied.
pub async fn detach(
    db: &DatabaseConnection,
    actor: &Actor,
    round_id: i32,
    workshop_id: i32,
) -> Result<(), ServiceError> {
    let txn = db::begin(db).await?;
    open_to_change(&txn, round_id).await?;
    let (before, _) = get(&txn, round_id, workshop_id).await?;
    // Submissions lock their invitation: with the workshop's invitations locked, every
    // reply is either counted here or comes after they are gone (and finds no link).
    invitation::Entity::find()
        .filter(invitation::Column::RoundId.eq(round_id))
        .filter(invitation::Column::WorkshopId.eq(workshop_id))
        .lock_exclusive()
        .all(&txn)
        .await?;
    let replies = reply::Entity::find()
        .filter(reply::Column::RoundId.eq(round_id))
        .filter(reply::Column::WorkshopId.eq(workshop_id))
        .count(&txn)
        .await?;
    if replies > 0 {
        return Err(Refusal::WorkshopHasReplies { replies }.into());
    }
    invitation::Entity::delete_many()
        .filter(invitation::Column::RoundId.eq(round_id))
        .filter(invitation::Column::WorkshopId.eq(workshop_id))
        .exec(&txn)
        .await?;
    round_workshop::Entity::delete_by_id((round_id, workshop_id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        actor,
        Change::deleted(
            "round_workshop",
            format!("{round_id}/{workshop_id}"),
            &before,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
