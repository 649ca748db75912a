//! The feedback mailing: once a workshop's due date has passed, staff release it and every
//! invitation of the workshop gets one, replied or not, with the round's headline figures
//! and the good practices approved for it. Releasing again sends nothing twice.

use chrono::{DateTime, Utc};
use entity::mailing::MailKind;
use entity::round::{self, RoundState};
use entity::{administration, good_practice, invitation, workshop};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};

use super::audit::{self, Actor, Change};
use super::invitations::links;
use super::questionnaires::QuestionCache;
use super::reports;
use super::rounds::attachments;
use crate::analytics::stats::Proportion;
use crate::base::error::ServiceError;
use crate::base::records::find_by_id;
use crate::db;
use crate::domain::refusal::Refusal;
use crate::mail::{MailContext, compose};

/// What a release queued.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FeedbackSummary {
    pub queued: usize,
    /// Invitations that already had their feedback.
    pub already_queued: usize,
    /// Invitations with no officer to write to (imported history, removed officers).
    pub without_officer: usize,
}

fn figures(rate: &Proportion) -> Value {
    json!({"invited": rate.base, "replied": rate.count, "rate_percent": rate.percent})
}

async fn approved_practices(
    db: &impl ConnectionTrait,
    round_id: i32,
) -> Result<Value, ServiceError> {
    let practices = good_practice::Entity::find()
        .filter(good_practice::Column::RoundId.eq(round_id))
        .filter(good_practice::Column::ApprovedForFeedback.eq(true))
        .order_by_asc(good_practice::Column::Id)
        .all(db)
        .await?;
    let mut items = Vec::with_capacity(practices.len());
    for practice in practices {
        let administration = administration::Entity::find_by_id(practice.administration_id)
            .one(db)
            .await?
            .map(|a| a.name)
            .unwrap_or_default();
        let workshop = workshop::Entity::find_by_id(practice.workshop_id)
            .one(db)
            .await?
            .map(|w| w.title)
            .unwrap_or_default();
        items.push(
            json!({"text": practice.text, "administration": administration, "workshop": workshop}),
        );
    }
    Ok(Value::Array(items))
}

/// Queues the feedback of a round, or of one of its workshops, as of `now`.
pub async fn release(
    db: &DatabaseConnection,
    mail: &MailContext,
    questions: &QuestionCache,
    actor: &Actor,
    round_id: i32,
    workshop_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<FeedbackSummary, ServiceError> {
    let txn = db::begin(db).await?;
    let round = find_by_id::<round::Entity>(&txn, "round", round_id).await?;
    if round.state == RoundState::Draft {
        return Err(Refusal::FeedbackOfDraft.into());
    }
    let scope = match workshop_id {
        Some(id) => vec![attachments::get(&txn, round_id, id).await?],
        None => attachments::of_round(&txn, round_id).await?,
    };
    let headline = reports::headline(&txn, questions, round_id).await?;
    let rates = headline.rates;
    let round_figures = figures(&rates.total);
    let findings = headline.findings;
    let practices = approved_practices(&txn, round_id).await?;
    let mut summary = FeedbackSummary::default();
    for (_, workshop) in &scope {
        let members = invitation::Entity::find()
            .filter(invitation::Column::RoundId.eq(round_id))
            .filter(invitation::Column::WorkshopId.eq(workshop.id))
            .all(&txn)
            .await?;
        if let Some(due) = members.iter().map(|i| i.due_at).max()
            && due > now
        {
            return Err(Refusal::FeedbackBeforeDueDate {
                workshop: workshop.title.clone(),
                due: due.format("%Y-%m-%d %H:%M UTC").to_string(),
                workshop_asked: workshop_id.is_some(),
            }
            .into());
        }
        let workshop_figures = rates
            .rows
            .iter()
            .find(|row| row.workshop.id == workshop.id)
            .map_or_else(|| figures(&Proportion::new(0, 0)), |row| figures(&row.rate));
        for member in members {
            if member.participant_id.is_none() {
                summary.without_officer += 1;
                continue;
            }
            let replied = member.status == invitation::InvitationStatus::Replied;
            let (member, token) = if round.state == RoundState::Closed {
                (member, None)
            } else {
                links::mail_link(&txn, member, &mail.key).await?
            };
            let extra = json!({
                "figures": round_figures,
                "findings": findings,
                "workshop_figures": workshop_figures,
                "practices": practices,
                "replied": replied,
            });
            let key = format!("feedback:{}", member.id);
            if compose::queue(
                &txn,
                mail,
                MailKind::Feedback,
                key,
                &member,
                token.is_some(),
                extra,
            )
            .await?
            {
                summary.queued += 1;
            } else {
                summary.already_queued += 1;
            }
        }
    }
    audit::record(
        &txn,
        actor,
        Change::new(
            "release_feedback",
            "round",
            round_id,
            None,
            Some(json!({"workshop_id": workshop_id, "summary": summary})),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(summary)
}
