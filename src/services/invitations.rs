//! Invitations: one per participant of each workshop of a scheduled round, with opening
//! and due times in the participant's administration's time zone, and a personal link
//! whose token is stored only as a digest.

use anyhow::Context;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entity::invitation::{self, InvitationStatus};
use entity::mailing::{self, MailKind};
use entity::round::{self, RoundState};
use entity::{administration, participant, reply, round_workshop, workshop};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
    Select, Set,
};

use super::audit::{self, Actor, Change};
use super::participants::{self, ParticipantInput};
use super::{Listing, ServiceError, now, page_of, rounds};
use crate::db;
use crate::domain::schedule::WorkshopDates;
use crate::domain::{AdministrationCode, Email, InvalidInput, TimeZone, Token, TokenKey, token};
use crate::mail::{MailContext, compose};
use crate::pagination::PageRequest;

/// The officer an invitation is handed over to; they represent the invitation's
/// administration.
#[derive(Debug, Clone)]
pub struct Officer {
    pub name: String,
    pub email: Email,
    pub position: Option<String>,
}

/// What staff see of an invitation.
#[derive(Debug, Clone, FromQueryResult)]
pub struct InvitationRow {
    pub id: i32,
    pub round_id: i32,
    pub workshop_id: i32,
    pub administration_code: String,
    pub participant_id: Option<i32>,
    pub participant_name: Option<String>,
    pub participant_email: Option<String>,
    pub status: InvitationStatus,
    pub link_active: bool,
    pub token_issued_at: Option<DateTime<Utc>>,
    pub opens_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub reply_id: Option<i32>,
    pub late: Option<bool>,
}

/// The status shown to staff: a late reply shows as `late`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShownStatus {
    Pending,
    Invited,
    Replied,
    Late,
}

impl InvitationRow {
    pub fn shown_status(&self) -> ShownStatus {
        match (self.status, self.late) {
            (_, Some(true)) => ShownStatus::Late,
            (InvitationStatus::Replied, _) => ShownStatus::Replied,
            (InvitationStatus::Invited, _) => ShownStatus::Invited,
            (InvitationStatus::Pending, _) => ShownStatus::Pending,
        }
    }
}

#[derive(Debug, Default)]
pub struct InvitationFilter {
    pub workshop_id: Option<i32>,
    pub administration: Option<AdministrationCode>,
    pub status: Option<ShownStatus>,
}

fn rows() -> Select<invitation::Entity> {
    invitation::Entity::find()
        .select_only()
        .columns([
            invitation::Column::Id,
            invitation::Column::RoundId,
            invitation::Column::WorkshopId,
            invitation::Column::ParticipantId,
            invitation::Column::Status,
            invitation::Column::TokenIssuedAt,
            invitation::Column::OpensAt,
            invitation::Column::DueAt,
        ])
        .column_as(administration::Column::Code, "administration_code")
        .column_as(participant::Column::Name, "participant_name")
        .column_as(participant::Column::Email, "participant_email")
        .column_as(reply::Column::Id, "reply_id")
        .column_as(reply::Column::Late, "late")
        .column_as(
            Expr::col((invitation::Entity, invitation::Column::TokenHash)).is_not_null(),
            "link_active",
        )
        .join(
            JoinType::InnerJoin,
            invitation::Relation::Administration.def(),
        )
        .join(JoinType::LeftJoin, invitation::Relation::Participant.def())
        .join(JoinType::LeftJoin, invitation::Relation::Reply.def())
}

pub async fn list(
    db: &DatabaseConnection,
    round_id: i32,
    filter: InvitationFilter,
    page: PageRequest,
) -> Result<Listing<InvitationRow>, ServiceError> {
    rounds::get(db, round_id).await?;
    let mut query = rows().filter(invitation::Column::RoundId.eq(round_id));
    if let Some(workshop_id) = filter.workshop_id {
        query = query.filter(invitation::Column::WorkshopId.eq(workshop_id));
    }
    if let Some(code) = filter.administration {
        query = query.filter(administration::Column::Code.eq(code.as_str()));
    }
    query = match filter.status {
        None => query,
        Some(ShownStatus::Pending) => {
            query.filter(invitation::Column::Status.eq(InvitationStatus::Pending))
        }
        Some(ShownStatus::Invited) => {
            query.filter(invitation::Column::Status.eq(InvitationStatus::Invited))
        }
        Some(ShownStatus::Replied) => query.filter(reply::Column::Late.eq(false)),
        Some(ShownStatus::Late) => query.filter(reply::Column::Late.eq(true)),
    };
    page_of(
        query
            .order_by_asc(invitation::Column::WorkshopId)
            .order_by_asc(administration::Column::Code)
            .order_by_asc(invitation::Column::Id)
            .into_model::<InvitationRow>(),
        db,
        page,
    )
    .await
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<InvitationRow, ServiceError> {
    rows()
        .filter(invitation::Column::Id.eq(id))
        .into_model::<InvitationRow>()
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found("invitation", id))
}

/// The invitation a token opens, if the token is current.
pub async fn find_by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<invitation::Model>, ServiceError> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(token::digest(token)))
        .one(db)
        .await?)
}

/// Like [`find_by_token`], locking the row for the rest of the transaction so concurrent
/// submissions with one token take turns (PostgreSQL; SQLite's write lock already does).
pub async fn lock_by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<invitation::Model>, ServiceError> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(token::digest(token)))
        .lock_exclusive()
        .one(db)
        .await?)
}

pub async fn lock(db: &impl ConnectionTrait, id: i32) -> Result<invitation::Model, ServiceError> {
    invitation::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found("invitation", id))
}

fn time_zone(administration: &administration::Model) -> Tz {
    TimeZone::parse(&administration.time_zone)
        .map(TimeZone::tz)
        .unwrap_or(Tz::UTC)
}

fn dates(
    round: &round::Model,
    attachment: &round_workshop::Model,
    workshop: &workshop::Model,
) -> WorkshopDates {
    WorkshopDates::compute(
        workshop.end_date,
        attachment.opens_on,
        &rounds::effective_rules(round, attachment),
    )
}

fn new_invitation(
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
    let round = rounds::get(db, attachment.round_id).await?;
    if !matches!(round.state, RoundState::Scheduled | RoundState::Open) {
        return Ok(());
    }
    let workshop = super::workshops::get(db, participant.workshop_id).await?;
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

/// Recomputes opening and due times after a change of rules (of one workshop, or all).
pub async fn reschedule(
    db: &impl ConnectionTrait,
    round: &round::Model,
    workshop_id: Option<i32>,
) -> Result<(), ServiceError> {
    for (attachment, workshop) in rounds::attachments(db, round.id).await? {
        if workshop_id.is_some_and(|id| id != workshop.id) {
            continue;
        }
        let dates = dates(round, &attachment, &workshop);
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
) -> Result<(), ServiceError> {
    let pending = invitation::Entity::find()
        .filter(invitation::Column::ParticipantId.eq(participant.id))
        .filter(invitation::Column::Status.ne(InvitationStatus::Replied))
        .all(db)
        .await?;
    for invitation in pending {
        let round = rounds::get(db, invitation.round_id).await?;
        if round.state == RoundState::Closed {
            continue;
        }
        let mut active: invitation::ActiveModel = invitation.into();
        active.administration_id = Set(participant.administration_id);
        active.update(db).await?;
        reschedule(db, &round, Some(participant.workshop_id)).await?;
    }
    Ok(())
}

async fn round_accepting_links(
    db: &impl ConnectionTrait,
    invitation: &invitation::Model,
) -> Result<round::Model, ServiceError> {
    let round = rounds::get(db, invitation.round_id).await?;
    if round.state == RoundState::Closed {
        return Err(ServiceError::Conflict {
            field: None,
            detail: "the round is closed; its invitations take no new links".into(),
        });
    }
    Ok(round)
}

/// A new generation of the invitation's link: any earlier link stops working.
fn with_new_link(
    invitation: invitation::Model,
    key: &TokenKey,
) -> (invitation::ActiveModel, Token) {
    let generation = invitation.token_generation + 1;
    let token = key.token(invitation.id, generation);
    let replied = invitation.status == InvitationStatus::Replied;
    let mut active: invitation::ActiveModel = invitation.into();
    active.token_generation = Set(generation);
    active.token_hash = Set(Some(token.digest()));
    active.token_issued_at = Set(Some(now()));
    if !replied {
        active.status = Set(InvitationStatus::Invited);
    }
    active.updated_at = Set(now());
    (active, token)
}

/// The token of the invitation's current link, if one is valid.
pub fn current_token(invitation: &invitation::Model, key: &TokenKey) -> Option<Token> {
    let hash = invitation.token_hash.as_deref()?;
    let token = key.token(invitation.id, invitation.token_generation);
    (token.digest() == hash).then_some(token)
}

/// The link to put in a mail: the current one, a first one when none was ever issued, or
/// none when staff revoked it (a revoked link is not brought back by mail).
pub async fn mail_link(
    db: &impl ConnectionTrait,
    invitation: invitation::Model,
    key: &TokenKey,
) -> Result<(invitation::Model, Option<Token>), ServiceError> {
    let revoked = invitation.token_hash.is_none() && invitation.token_generation > 0;
    if revoked {
        return Ok((invitation, None));
    }
    let (invitation, token) = ensure_link(db, invitation, key).await?;
    Ok((invitation, Some(token)))
}

/// The current link of an invitation, issuing one when none is valid (for mail).
pub async fn ensure_link(
    db: &impl ConnectionTrait,
    invitation: invitation::Model,
    key: &TokenKey,
) -> Result<(invitation::Model, Token), ServiceError> {
    match current_token(&invitation, key) {
        Some(token) => {
            if invitation.status == InvitationStatus::Pending {
                let mut active: invitation::ActiveModel = invitation.into();
                active.status = Set(InvitationStatus::Invited);
                active.updated_at = Set(now());
                return Ok((active.update(db).await?, token));
            }
            Ok((invitation, token))
        }
        None => {
            let (active, token) = with_new_link(invitation, key);
            Ok((active.update(db).await?, token))
        }
    }
}

/// Issues a new link; any earlier link stops working. The token is returned once.
pub async fn issue_link(
    db: &DatabaseConnection,
    actor: &Actor,
    key: &TokenKey,
    id: i32,
) -> Result<(InvitationRow, Token), ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock(&txn, id).await?;
    round_accepting_links(&txn, &before).await?;
    let (active, token) = with_new_link(before.clone(), key);
    let after = active.update(&txn).await?;
    let change = Change {
        action: "issue_link",
        ..Change::updated("invitation", id, &before, &after)
    };
    audit::record(&txn, actor, change).await?;
    let row = get(&txn, id).await?;
    txn.commit().await?;
    Ok((row, token))
}

/// Queues the invitation mail again, with the current link (a new one when none is
/// valid), for an officer who lost it.
pub async fn resend(
    db: &DatabaseConnection,
    mail: &MailContext,
    actor: &Actor,
    id: i32,
) -> Result<mailing::Model, ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock(&txn, id).await?;
    round_accepting_links(&txn, &before).await?;
    let officer = match before.participant_id {
        Some(id) => participant::Entity::find_by_id(id).one(&txn).await?,
        None => None,
    };
    if officer.is_none_or(|officer| officer.erased_at.is_some()) {
        return Err(ServiceError::Conflict {
            field: None,
            detail: "the invitation has no officer to write to (none, or erased on request); hand it over first".into(),
        });
    }
    let (current, _) = ensure_link(&txn, before.clone(), &mail.key).await?;
    let key = format!(
        "invitation:{id}:resend:{}",
        hex::encode(rand::random::<[u8; 8]>())
    );
    compose::queue(
        &txn,
        mail,
        MailKind::Invitation,
        key.clone(),
        &current,
        true,
        serde_json::json!({}),
    )
    .await?;
    let queued = mailing::Entity::find()
        .filter(mailing::Column::DedupeKey.eq(key))
        .one(&txn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the resent invitation was not queued"))?;
    let change = Change {
        action: "resend_invitation",
        ..Change::new(
            "update",
            "invitation",
            id,
            None,
            Some(serde_json::json!({"mailing_id": queued.id})),
        )
    };
    audit::record(&txn, actor, change).await?;
    txn.commit().await?;
    Ok(queued)
}

/// Revokes the current link: it then opens nothing, like a token that never existed.
pub async fn revoke_link(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<InvitationRow, ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock(&txn, id).await?;
    let mut active: invitation::ActiveModel = before.clone().into();
    active.token_hash = Set(None);
    active.token_generation = Set(before.token_generation + 1);
    active.updated_at = Set(now());
    let after = active.update(&txn).await?;
    let change = Change {
        action: "revoke_link",
        ..Change::updated("invitation", id, &before, &after)
    };
    audit::record(&txn, actor, change).await?;
    let row = get(&txn, id).await?;
    txn.commit().await?;
    Ok(row)
}

/// Hands an invitation over to another officer of the same administration: the officer
/// is found by email among the workshop's participants or added; the old link stops
/// working and a new one is returned; any reply stays with the administration.
pub async fn hand_over(
    db: &DatabaseConnection,
    actor: &Actor,
    key: &TokenKey,
    id: i32,
    officer: Officer,
) -> Result<(InvitationRow, Token), ServiceError> {
    let txn = db::begin(db).await?;
    let before = lock(&txn, id).await?;
    round_accepting_links(&txn, &before).await?;
    let administration = administration::Entity::find_by_id(before.administration_id)
        .one(&txn)
        .await?
        .context("the invitation's administration is missing")?;
    let existing = participant::Entity::find()
        .filter(participant::Column::WorkshopId.eq(before.workshop_id))
        .filter(participant::Column::Email.eq(officer.email.as_str()))
        .one(&txn)
        .await?;
    let successor = match existing {
        Some(found) if found.administration_id != administration.id => {
            return Err(InvalidInput::field(
                "email",
                "this address belongs to a participant of another administration",
            )
            .into());
        }
        Some(found) => found,
        None => {
            let input = ParticipantInput {
                name: officer.name,
                email: officer.email,
                position: officer.position,
                administration: AdministrationCode::parse(&administration.code)
                    .map_err(|m| anyhow::anyhow!("stored administration code: {m}"))?,
            };
            participants::insert(&txn, actor, before.workshop_id, &administration, input)
                .await?
                .record
        }
    };
    if Some(successor.id) == before.participant_id {
        return Err(ServiceError::conflict(
            "email",
            "the invitation is already this officer's",
        ));
    }
    let taken = invitation::Entity::find()
        .filter(invitation::Column::RoundId.eq(before.round_id))
        .filter(invitation::Column::ParticipantId.eq(successor.id))
        .count(&txn)
        .await?;
    if taken > 0 {
        return Err(ServiceError::conflict(
            "email",
            "this officer has an invitation of their own in the round",
        ));
    }
    let (mut active, token) = with_new_link(before.clone(), key);
    active.participant_id = Set(Some(successor.id));
    let after = active.update(&txn).await?;
    let change = Change {
        action: "hand_over",
        ..Change::updated("invitation", id, &before, &after)
    };
    audit::record(&txn, actor, change).await?;
    let row = get(&txn, id).await?;
    txn.commit().await?;
    Ok((row, token))
}
