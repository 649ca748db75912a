//! The personal link of an invitation: issued with the invitation mail or by staff, shown
//! once, stored only as a digest of its token, revoked, or handed over to another officer
//! of the same administration (`super::hand_over`). A new link ends the old one, and mail
//! still queued carries the new one (or is withdrawn with a revoked one). The token opens
//! the participant's answering page and nothing else.

use entity::invitation::{self, InvitationStatus};
use entity::mailing::{self, MailKind, MailStatus};
use entity::round::{self, RoundState};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, Set,
};

use super::views::{self, InvitationRow};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::records::{find_by_id, lock_by_id};
use crate::db;
use crate::domain::refusal::Refusal;
use crate::domain::{Token, TokenKey, token};
use crate::mail::{MailContext, compose};
use crate::services::audit::{self, Actor, Change};

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

pub(crate) async fn round_accepting_links(
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
pub(super) fn with_new_link(
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
            let issued = active.update(db).await?;
            follow_link(db, &issued).await?;
            Ok((issued, token))
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
    follow_link(&txn, &after).await?;
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
    let officer = compose::officer_of(&txn, &before).await?;
    if officer.is_none_or(|officer| officer.erased_at.is_some()) {
        return Err(Refusal::NoOfficer.into());
    }
    let (current, _) = ensure_link(&txn, before.clone(), &mail.key).await?;
    let key = format!(
        "invitation:{id}:resend:{}",
        hex::encode(rand::random::<[u8; 8]>())
    );
    let letter = compose::Letter::new(MailKind::Invitation, key.clone(), &current);
    compose::queue(&txn, mail, letter, now()).await?;
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
    let withdrawn = follow_link(&txn, &after).await?;
    let mut change = Change {
        action: "revoke_link",
        ..Change::updated("invitation", id, &before, &after)
    };
    if withdrawn > 0 {
        change.after = change.after.map(|mut after| {
            after["mail_withdrawn"] = withdrawn.into();
            after
        });
    }
    audit::record(&txn, actor, change).await?;
    let row = views::get(&txn, id).await?;
    txn.commit().await?;
    Ok(row)
}

/// Points the invitation's queued mail at its current link, or withdraws the mail when the
/// link was revoked (a mail with a dead link helps nobody). Returns how many were withdrawn.
pub async fn follow_link(
    txn: &impl ConnectionTrait,
    invitation: &invitation::Model,
) -> Result<u64, ServiceError> {
    let carrying_a_link = Condition::all()
        .add(mailing::Column::InvitationId.eq(invitation.id))
        .add(mailing::Column::Status.eq(MailStatus::Queued))
        .add(mailing::Column::LinkGeneration.is_not_null());
    let update = mailing::Entity::update_many().filter(carrying_a_link);
    let changed = if invitation.token_hash.is_some() {
        update
            .col_expr(
                mailing::Column::LinkGeneration,
                Expr::value(invitation.token_generation),
            )
            .exec(txn)
            .await?;
        0
    } else {
        update
            .col_expr(mailing::Column::Status, Expr::value(MailStatus::Cancelled))
            .exec(txn)
            .await?
            .rows_affected
    };
    Ok(changed)
}
