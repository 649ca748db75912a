//! Survey rounds: their rules, the workshops subjected to them, and their life
//! `draft` -> `scheduled` -> `open` -> `closed`, each transition checked and audited.

use anyhow::Context;
use chrono::NaiveDate;
use entity::round::{self, RoundState};
use entity::{invitation, reply, round_workshop, workshop};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::audit::{self, Actor, Change};
use super::{
    Listing, ServiceError, events, invitations, lock_by_id, now, page_of, questionnaires, workshops,
};
use crate::db;
use crate::domain::schedule::ScheduleRules;
use crate::domain::version::Precondition;
use crate::domain::{FiscalYear, InvalidInput};
use crate::pagination::PageRequest;

/// A valid round to create, or the new state of one.
#[derive(Debug, Clone)]
pub struct RoundInput {
    pub title: String,
    pub round_number: i32,
    pub fiscal_year: FiscalYear,
    pub questionnaire_id: i32,
    pub rules: ScheduleRules,
}

/// A workshop's overrides of the round's rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub opens_on: Option<NaiveDate>,
    pub open_offset_months: Option<u32>,
    pub reply_window_days: Option<u32>,
    pub reminder_offsets_days: Option<Vec<u32>>,
}

#[derive(Debug, Default)]
pub struct RoundFilter {
    pub fiscal_year: Option<FiscalYear>,
    pub state: Option<RoundState>,
}

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

fn check_rules(rules: &ScheduleRules) -> Result<(), ServiceError> {
    rules
        .check()
        .map_err(|(field, message)| InvalidInput::field(field, message).into())
}

pub async fn list(
    db: &DatabaseConnection,
    filter: RoundFilter,
    page: PageRequest,
) -> Result<Listing<round::Model>, ServiceError> {
    let mut query = round::Entity::find();
    if let Some(year) = filter.fiscal_year {
        query = query.filter(round::Column::FiscalYear.eq(year.start_year()));
    }
    if let Some(state) = filter.state {
        query = query.filter(round::Column::State.eq(state));
    }
    page_of(query.order_by_desc(round::Column::RoundNumber), db, page).await
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<round::Model, ServiceError> {
    round::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found("round", id))
}

async fn ensure_number_free(
    db: &impl ConnectionTrait,
    number: i32,
    except: Option<i32>,
) -> Result<(), ServiceError> {
    let mut query = round::Entity::find().filter(round::Column::RoundNumber.eq(number));
    if let Some(id) = except {
        query = query.filter(round::Column::Id.ne(id));
    }
    if query.count(db).await? > 0 {
        return Err(ServiceError::conflict(
            "round_number",
            format!("round number {number} is taken"),
        ));
    }
    Ok(())
}

async fn ensure_questionnaire(db: &impl ConnectionTrait, id: i32) -> Result<(), ServiceError> {
    questionnaires::get(db, id)
        .await
        .map(|_| ())
        .map_err(|error| match error {
            ServiceError::NotFound(message) => {
                InvalidInput::field("questionnaire_id", message).into()
            }
            other => other,
        })
}

fn apply(active: &mut round::ActiveModel, input: &RoundInput) -> Result<(), ServiceError> {
    let rules = input.rules.clone().normalized();
    active.title = Set(input.title.clone());
    active.round_number = Set(input.round_number);
    active.fiscal_year = Set(input.fiscal_year.start_year());
    active.questionnaire_id = Set(input.questionnaire_id);
    active.open_offset_months = Set(rules.open_offset_months as i32);
    active.reply_window_days = Set(rules.reply_window_days as i32);
    active.reminder_offsets_days =
        Set(serde_json::to_value(&rules.reminder_offsets_days)
            .context("reminder offsets as JSON")?);
    active.updated_at = Set(now());
    Ok(())
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: RoundInput,
) -> Result<round::Model, ServiceError> {
    check_rules(&input.rules)?;
    let txn = db::begin(db).await?;
    ensure_questionnaire(&txn, input.questionnaire_id).await?;
    ensure_number_free(&txn, input.round_number, None).await?;
    let mut active = round::ActiveModel {
        state: Set(RoundState::Draft),
        created_at: Set(now()),
        scheduled_at: Set(None),
        opened_at: Set(None),
        closed_at: Set(None),
        ..Default::default()
    };
    apply(&mut active, &input)?;
    let created = active.insert(&txn).await?;
    audit::record(&txn, actor, Change::created("round", created.id, &created)).await?;
    txn.commit().await?;
    Ok(created)
}

/// Changes a round. The questionnaire can change only in `draft`; the rules only until the
/// round opens (invitation dates follow); a closed round does not change.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    input: RoundInput,
    precondition: &Precondition,
) -> Result<round::Model, ServiceError> {
    check_rules(&input.rules)?;
    let txn = db::begin(db).await?;
    let before = lock_by_id::<round::Entity>(&txn, "round", id).await?;
    precondition.check("round", &before)?;
    if before.state == RoundState::Closed {
        return Err(closed(&before));
    }
    if input.questionnaire_id != before.questionnaire_id {
        if before.state != RoundState::Draft {
            return Err(ServiceError::conflict(
                "questionnaire_id",
                "the questionnaire can change only while the round is a draft",
            ));
        }
        ensure_questionnaire(&txn, input.questionnaire_id).await?;
    }
    let rules_change = input.rules.clone().normalized() != rules(&before);
    if rules_change && before.state == RoundState::Open {
        return Err(ServiceError::conflict(
            "reply_window_days",
            "the schedule rules cannot change once the round is open; override them per workshop",
        ));
    }
    ensure_number_free(&txn, input.round_number, Some(id)).await?;
    let mut active: round::ActiveModel = before.clone().into();
    apply(&mut active, &input)?;
    let after = active.update(&txn).await?;
    if rules_change {
        invitations::reschedule(&txn, &after, None).await?;
    }
    audit::record(&txn, actor, Change::updated("round", id, &before, &after)).await?;
    txn.commit().await?;
    Ok(after)
}

/// Only a draft round can be deleted.
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    precondition: &Precondition,
) -> Result<(), ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock_by_id::<round::Entity>(&txn, "round", id).await?;
    precondition.check("round", &before)?;
    if before.state != RoundState::Draft {
        return Err(ServiceError::Conflict {
            field: None,
            detail: format!(
                "only a draft round can be deleted; this one is {:?}",
                before.state
            )
            .to_lowercase(),
        });
    }
    round::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(&txn, actor, Change::deleted("round", id, &before)).await?;
    txn.commit().await?;
    Ok(())
}

fn closed(round: &round::Model) -> ServiceError {
    ServiceError::Conflict {
        field: None,
        detail: format!("round {} is closed; its data are final", round.round_number),
    }
}

/// The workshops of a round, ordered by start date.
pub async fn attachments(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> Result<Vec<(round_workshop::Model, workshop::Model)>, ServiceError> {
    let rows = round_workshop::Entity::find()
        .filter(round_workshop::Column::RoundId.eq(round_id))
        .all(db)
        .await?;
    let mut pairs = Vec::with_capacity(rows.len());
    for attachment in rows {
        let workshop = workshops::get(db, attachment.workshop_id).await?;
        pairs.push((attachment, workshop));
    }
    pairs.sort_by_key(|(_, w)| (w.start_date, w.id));
    Ok(pairs)
}

pub async fn attachment(
    db: &impl ConnectionTrait,
    round_id: i32,
    workshop_id: i32,
) -> Result<(round_workshop::Model, workshop::Model), ServiceError> {
    let attachment = round_workshop::Entity::find_by_id((round_id, workshop_id))
        .one(db)
        .await?
        .ok_or_else(|| {
            ServiceError::NotFound(format!(
                "workshop {workshop_id} is not part of round {round_id}"
            ))
        })?;
    let workshop = workshops::get(db, workshop_id).await?;
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
    let round = get(&txn, round_id).await?;
    if round.state == RoundState::Closed {
        return Err(closed(&round));
    }
    let workshop = workshops::get(&txn, workshop_id)
        .await
        .map_err(|error| match error {
            ServiceError::NotFound(message) => InvalidInput::field("workshop_id", message).into(),
            other => other,
        })?;
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
        let other = get(&txn, existing.round_id).await?;
        return Err(ServiceError::conflict(
            "workshop_id",
            format!(
                "the workshop is already part of round {} ({})",
                other.round_number, other.title
            ),
        ));
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
        invitations::create_for_workshop(&txn, &round, &attachment, &workshop).await?;
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
    overrides: Overrides,
) -> Result<(round_workshop::Model, workshop::Model), ServiceError> {
    let txn = db::begin(db).await?;
    let round = get(&txn, round_id).await?;
    if round.state == RoundState::Closed {
        return Err(closed(&round));
    }
    let (before, workshop) = attachment(&txn, round_id, workshop_id).await?;
    let mut active: round_workshop::ActiveModel = before.clone().into();
    apply_overrides(&mut active, &overrides)?;
    let after = active.update(&txn).await?;
    check_rules(&effective_rules(&round, &after))?;
    invitations::reschedule(&txn, &round, Some(workshop_id)).await?;
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
    let round = get(&txn, round_id).await?;
    if round.state == RoundState::Closed {
        return Err(closed(&round));
    }
    let (before, _) = attachment(&txn, round_id, workshop_id).await?;
    let replies = reply::Entity::find()
        .filter(reply::Column::RoundId.eq(round_id))
        .filter(reply::Column::WorkshopId.eq(workshop_id))
        .count(&txn)
        .await?;
    if replies > 0 {
        return Err(ServiceError::Conflict {
            field: None,
            detail: format!("{replies} repl(ies) came in for this workshop; it stays in the round"),
        });
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

/// A state change of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Schedule,
    Open,
    Close,
}

impl Transition {
    fn name(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Open => "open",
            Self::Close => "close",
        }
    }

    /// The state reached from `from`, when the transition is legal there.
    pub fn target(self, from: RoundState) -> Option<RoundState> {
        match (self, from) {
            (Self::Schedule, RoundState::Draft) => Some(RoundState::Scheduled),
            (Self::Open, RoundState::Scheduled) => Some(RoundState::Open),
            (Self::Close, RoundState::Scheduled | RoundState::Open) => Some(RoundState::Closed),
            _ => None,
        }
    }
}

/// Moves a round to its next state. Scheduling needs at least one workshop and invites
/// every participant of every workshop.
pub async fn transition(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    transition: Transition,
) -> Result<round::Model, ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock_by_id::<round::Entity>(&txn, "round", id).await?;
    let after = change_state(&txn, actor, before, transition).await?;
    txn.commit().await?;
    Ok(after)
}

/// Opens a round that is still scheduled (the scheduler, when its first workshop opens;
/// another instance may have done it already). `Ok(false)` when there was nothing to do.
pub async fn open_if_scheduled(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<bool, ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock_by_id::<round::Entity>(&txn, "round", id).await?;
    if before.state != RoundState::Scheduled {
        return Ok(false);
    }
    change_state(&txn, actor, before, Transition::Open).await?;
    txn.commit().await?;
    Ok(true)
}

async fn change_state(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    before: round::Model,
    transition: Transition,
) -> Result<round::Model, ServiceError> {
    let id = before.id;
    let Some(target) = transition.target(before.state) else {
        return Err(ServiceError::Conflict {
            field: None,
            detail: format!(
                "a {} round cannot {}",
                serde_json::to_value(before.state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                transition.name()
            ),
        });
    };
    let at = now();
    let mut active: round::ActiveModel = before.clone().into();
    active.state = Set(target);
    active.updated_at = Set(at);
    match transition {
        Transition::Schedule => {
            let attached = attachments(txn, id).await?;
            if attached.is_empty() {
                return Err(ServiceError::Conflict {
                    field: None,
                    detail: "attach at least one workshop before scheduling".into(),
                });
            }
            for (attachment, workshop) in &attached {
                invitations::create_for_workshop(txn, &before, attachment, workshop).await?;
            }
            active.scheduled_at = Set(Some(at));
        }
        Transition::Open => active.opened_at = Set(Some(at)),
        Transition::Close => active.closed_at = Set(Some(at)),
    }
    let after = active.update(txn).await?;
    events::round_changed(txn, &after).await?;
    let change = Change {
        action: transition.name(),
        ..Change::updated("round", id, &before, &after)
    };
    audit::record(txn, actor, change).await?;
    Ok(after)
}

/// The round numbered just before `round`, if any (the report compares with it).
pub async fn previous(
    db: &impl ConnectionTrait,
    round: &round::Model,
) -> Result<Option<round::Model>, ServiceError> {
    Ok(round::Entity::find()
        .filter(round::Column::RoundNumber.lt(round.round_number))
        .filter(round::Column::State.ne(RoundState::Draft))
        .order_by_desc(round::Column::RoundNumber)
        .one(db)
        .await?)
}
