//! The personal link of an invitation: issued with the invitation mail or by staff, shown
//! once, stored only as a digest of its token, revoked, or handed over to another officer
//! of the same administration. A new link ends the old one. The token opens the
//! participant's answering page and nothing else.

use anyhow::Context;
use entity::invitation::{self, InvitationStatus};
use entity::mailing::{self, MailKind};
use entity::round::{self, RoundState};
use entity::{administration, participant};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, Set,
};

use super::views::{self, InvitationRow};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::records::{find_by_id, lock_by_id};
use crate::db;
use crate::domain::refusal::Refusal;
use crate::domain::{AdministrationCode, Email, InvalidInput, Token, TokenKey, token};
use crate::mail::{MailContext, compose};
use crate::services::audit::{self, Actor, Change};
use crate::services::participants::{self, ParticipantInput};

/// The officer an invitation is handed over to; they represent the invitation's
/// administration.
#[derive(Debug, Clone)]
pub struct Officer {
    pub name: String,
    pub email: Email,
    pub position: Option<String>,
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

async fn round_accepting_links(
    db: &impl ConnectionTrait,
    invitation: &invitation::Model,
) -> Result<round::Model, ServiceError> {
    let round = find_by_id::<round::Entity>(db, "round", invitation.round_id).await?;
    if round.state == RoundState::Closed {
        return Err(Refusal::NoLinksInClosedRound.into());
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
    let before = lock_by_id::<invitation::Entity>(&txn, "invitation", id).await?;
    round_accepting_links(&txn, &before).await?;
    let (active, token) = with_new_link(before.clone(), key);
    let after = active.update(&txn).await?;
    let change = Change {
        action: "issue_link",
        ..Change::updated("invitation", id, &before, &after)
    };
    audit::record(&txn, actor, change).await?;
    let row = views::get(&txn, id).await?;
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
    let before = lock_by_id::<invitation::Entity>(&txn, "invitation", id).await?;
    round_accepting_links(&txn, &before).await?;
    let officer = match before.participant_id {
        Some(id) => participant::Entity::find_by_id(id).one(&txn).await?,
        None => None,
    };
    if officer.is_none_or(|officer| officer.erased_at.is_some()) {
        return Err(Refusal::NoOfficer.into());
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
    let before = lock_by_id::<invitation::Entity>(&txn, "invitation", id).await?;
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
    let row = views::get(&txn, id).await?;
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
    let before = lock_by_id::<invitation::Entity>(&txn, "invitation", id).await?;
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
        return Err(Refusal::AlreadyTheOfficers.into());
    }
    let taken = invitation::Entity::find()
        .filter(invitation::Column::RoundId.eq(before.round_id))
        .filter(invitation::Column::ParticipantId.eq(successor.id))
        .count(&txn)
        .await?;
    if taken > 0 {
        return Err(Refusal::OfficerHasOwnInvitation.into());
    }
    let (mut active, token) = with_new_link(before.clone(), key);
    active.participant_id = Set(Some(successor.id));
    let after = active.update(&txn).await?;
    let change = Change {
        action: "hand_over",
        ..Change::updated("invitation", id, &before, &after)
    };
    audit::record(&txn, actor, change).await?;
    let row = views::get(&txn, id).await?;
    txn.commit().await?;
    Ok((row, token))
}
