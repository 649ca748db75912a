//! The feedback mailing: once a workshop's due date has passed (or the round is closed,
//! which ends the answering period early), staff release it and every
//! invitation of the workshop gets one, replied or not, with the round's headline figures
//! and the good practices approved for it. Releasing again sends nothing twice.

use chrono::{DateTime, Utc};
use entity::mailing::MailKind;
use entity::round::{self, RoundState};
use entity::{invitation, workshop};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::audit::{self, Actor, Change};
use super::invitations::links;
use super::reports::{self, Analysis};
use super::rounds::attachments;
use crate::analytics::findings::MinBase;
use crate::analytics::report::{self, Approval};
use crate::analytics::stats::Share;
use crate::analytics::tables::ReplyRates;
use crate::base::error::ServiceError;
use crate::base::records::find_by_id;
use crate::db;
use crate::domain::refusal::Refusal;
use crate::mail::MailContext;
use crate::mail::compose::{self, Letter};

/// What a release queued.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FeedbackSummary {
    pub queued: usize,
    /// Invitations that already had their feedback.
    pub already_queued: usize,
    /// Invitations with no officer to write to (imported history, removed officers).
    pub without_officer: usize,
}

/// A reply rate for the template; the percentage only from `min` invitations up.
fn figures(rate: &Share, min: MinBase) -> Value {
    let percent = min.allows(rate.base).then_some(rate.percent);
    json!({"invited": rate.base, "replied": rate.count, "rate_percent": percent})
}

/// Queues the feedback of a round, or of one of its workshops, as of `now`.
pub async fn release(
    db: &DatabaseConnection,
    mail: &MailContext,
    analysis: Analysis<'_>,
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
    let headline = reports::headline(&txn, analysis, round_id).await?;
    let quoted = Quoted {
        min: analysis.min_base,
        figures: figures(&headline.rates.total, analysis.min_base),
        findings: headline.findings,
        practices: report::approved_practices(&txn, round_id, Approval::ForFeedback)
            .await?
            .into_iter()
            .map(|p| {
                json!({"text": p.text, "administration": p.administration_name, "workshop": p.workshop})
            })
            .collect(),
        rates: headline.rates,
    };
    let mut summary = FeedbackSummary::default();
    for (_, workshop) in &scope {
        let members = invitation::Entity::find()
            .filter(invitation::Column::RoundId.eq(round_id))
            .filter(invitation::Column::WorkshopId.eq(workshop.id))
            .all(&txn)
            .await?;
        // Closing a round ends its answering period, whatever the due dates said.
        if let Some(due) = members.iter().map(|i| i.due_at).max()
            && due > now
            && round.state != RoundState::Closed
        {
            return Err(Refusal::FeedbackBeforeDueDate {
                workshop: workshop.title.clone(),
                due: due.format("%Y-%m-%d %H:%M UTC").to_string(),
                workshop_asked: workshop_id.is_some(),
            }
            .into());
        }
        let to = Recipients {
            round: &round,
            at: now,
            workshop,
            members,
        };
        queue_workshop(&txn, mail, &quoted, to, &mut summary).await?;
    }
    let change = Change::new(
        "release_feedback",
        "round",
        round_id,
        None,
        Some(json!({"workshop_id": workshop_id, "summary": summary})),
    );
    audit::record(&txn, actor, change).await?;
    txn.commit().await?;
    Ok(summary)
}

/// What every feedback mail of a release quotes.
struct Quoted {
    min: MinBase,
    figures: Value,
    findings: Vec<String>,
    practices: Value,
    rates: ReplyRates,
}

/// The invitations of one workshop of the round.
struct Recipients<'a> {
    round: &'a round::Model,
    /// When the release queues them.
    at: DateTime<Utc>,
    workshop: &'a workshop::Model,
    members: Vec<invitation::Model>,
}

/// Queues the feedback of every invitation of a workshop that has an officer, with the
/// link while the round is not closed.
async fn queue_workshop(
    txn: &impl ConnectionTrait,
    mail: &MailContext,
    quoted: &Quoted,
    to: Recipients<'_>,
    summary: &mut FeedbackSummary,
) -> Result<(), ServiceError> {
    let workshop_figures = quoted
        .rates
        .rows
        .iter()
        .find(|row| row.workshop.id == to.workshop.id)
        .map_or_else(
            || figures(&Share::new(0, 0), quoted.min),
            |row| figures(&row.rate, quoted.min),
        );
    for member in to.members {
        if member.participant_id.is_none() {
            summary.without_officer += 1;
            continue;
        }
        let replied = member.status == invitation::InvitationStatus::Replied;
        let (member, token) = if to.round.state == RoundState::Closed {
            (member, None)
        } else {
            links::mail_link(txn, member, &mail.key).await?
        };
        let extra = json!({
            "figures": quoted.figures,
            "findings": quoted.findings,
            "workshop_figures": workshop_figures,
            "practices": quoted.practices,
            "replied": replied,
            "min_base": quoted.min.0,
            "reportable": quoted.min.allows(quoted.rates.total.count),
        });
        let key = format!("feedback:{}", member.id);
        let letter = Letter {
            with_link: token.is_some(),
            extra,
            ..Letter::new(MailKind::Feedback, key, &member)
        };
        if compose::queue(txn, mail, letter, to.at).await? {
            summary.queued += 1;
        } else {
            summary.already_queued += 1;
        }
    }
    Ok(())
}
