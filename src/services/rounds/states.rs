//! The life of a round, `draft` -> `scheduled` -> `open` -> `closed`: each transition
//! checked against the state it leaves, announced as an event and audited. Scheduling
//! invites every participant of every attached workshop.

use entity::round::{self, RoundState};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set};

use super::{attachments, schedule};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::records::lock_by_id;
use crate::db;
use crate::domain::refusal::Refusal;
use crate::domain::wire_name;
use crate::services::audit::{self, Actor, Change};
use crate::services::events;

/// A state change of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Schedule,
    Open,
    Close,
}

impl Transition {
    pub fn name(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Open => "open",
            Self::Close => "close",
        }
    }

    /// The word for a round that went through it: `scheduled`, `opened`, `closed`.
    pub fn done(self) -> &'static str {
        match self {
            Self::Schedule => "scheduled",
            Self::Open => "opened",
            Self::Close => "closed",
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
        return Err(Refusal::IllegalTransition {
            state: wire_name(before.state),
            transition: transition.done(),
        }
        .into());
    };
    let at = now();
    let mut active: round::ActiveModel = before.clone().into();
    active.state = Set(target);
    active.updated_at = Set(at);
    match transition {
        Transition::Schedule => {
            let attached = attachments::of_round(txn, id).await?;
            if attached.is_empty() {
                return Err(Refusal::NoWorkshopAttached.into());
            }
            for (attachment, workshop) in &attached {
                schedule::create_for_workshop(txn, &before, attachment, workshop).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    const STATES: [RoundState; 4] = [
        RoundState::Draft,
        RoundState::Scheduled,
        RoundState::Open,
        RoundState::Closed,
    ];

    /// Every refusal of a state change, as staff read it.
    #[test]
    fn every_refused_transition_reads_as_plain_english() {
        let mut texts = Vec::new();
        for transition in [Transition::Schedule, Transition::Open, Transition::Close] {
            for state in STATES {
                if transition.target(state).is_none() {
                    let refusal = Refusal::IllegalTransition {
                        state: wire_name(state),
                        transition: transition.done(),
                    };
                    texts.push(refusal.to_string());
                }
            }
        }
        assert_eq!(
            texts,
            [
                "a scheduled round cannot be scheduled",
                "an open round cannot be scheduled",
                "a closed round cannot be scheduled",
                "a draft round cannot be opened",
                "an open round cannot be opened",
                "a closed round cannot be opened",
                "a draft round cannot be closed",
                "a closed round cannot be closed",
            ]
        );
    }
}
