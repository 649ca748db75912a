//! Escalation to the administrations: one mail per administration with unanswered
//! invitations in a round, to each of its active contact points, naming the officers who
//! have not replied and their workshops, never their links or answers. Once per round
//! and administration, unless staff repeat it explicitly; the template is edited like the
//! others (`escalation`).

use std::collections::BTreeMap;

use entity::administration;
use entity::contact_point;
use entity::mailing::{self, MailKind};
use entity::round::{self, RoundState};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;

use super::audit::{self, Actor, Change};
use super::contact_points;
use super::invitations::views;
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::records::lock_by_id;
use crate::db;
use crate::domain::refusal::Refusal;
use crate::domain::wire_name;
use crate::mail::compose::OFFICE;
use crate::mail::outbox::{self, NewMail};
use crate::mail::{MailContext, templates};

/// What an escalation queued.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Escalated {
    /// Mails queued, one per contact point.
    pub queued: usize,
    /// Administrations written to.
    pub administrations: Vec<String>,
    /// Administrations with unanswered invitations but no active contact point.
    pub without_contact_point: Vec<String>,
    /// Administrations escalated to before in this round (not repeated).
    pub already_escalated: Vec<String>,
}

/// Queues the escalation of round `round_id`; `repeat` writes again to administrations
/// escalated to before.
pub async fn escalate(
    db: &DatabaseConnection,
    mail: &MailContext,
    actor: &Actor,
    round_id: i32,
    repeat: bool,
) -> Result<Escalated, ServiceError> {
    let txn = db::begin(db).await?;
    let round = lock_by_id::<round::Entity>(&txn, "round", round_id).await?;
    // Only while officers can still answer, after their invitations went out.
    if round.state != RoundState::Open {
        return Err(Refusal::IllegalTransition {
            state: wire_name(round.state),
            transition: "escalated",
        }
        .into());
    }
    let unanswered = unanswered_officers(&txn, round_id).await?;
    let administrations = administration::Entity::find()
        .filter(administration::Column::Code.is_in(unanswered.keys().cloned()))
        .all(&txn)
        .await?;
    let points = contact_points::active_of(&txn, administrations.iter().map(|a| a.id)).await?;
    let (parts, _) = templates::effective(&txn, MailKind::Escalation).await?;
    let mut escalated = Escalated::default();
    for administration in administrations {
        let code = administration.code.clone();
        let Some(points) = points.get(&administration.id) else {
            escalated.without_contact_point.push(code);
            continue;
        };
        let earlier = earlier_escalations(&txn, round_id, administration.id).await?;
        if earlier > 0 && !repeat {
            escalated.already_escalated.push(code);
            continue;
        }
        let letter = Escalation {
            round: &round,
            administration: &administration,
            officers: unanswered.get(&code).cloned().unwrap_or_default(),
            batch: earlier + 1,
        };
        for point in points {
            escalated.queued += usize::from(queue_to(&txn, mail, &parts, &letter, point).await?);
        }
        escalated.administrations.push(code);
    }
    let change = Change::new(
        "escalate",
        "round",
        round_id,
        None,
        Some(json!({
            "administrations": escalated.administrations,
            "queued": escalated.queued,
            "repeat": repeat,
        })),
    );
    audit::record(&txn, actor, change).await?;
    txn.commit().await?;
    Ok(escalated)
}

/// The officers of each administration (by code) who have not replied in round
/// `round_id`, with their workshops: names only, never links or answers.
async fn unanswered_officers(
    txn: &impl sea_orm::ConnectionTrait,
    round_id: i32,
) -> Result<BTreeMap<String, Vec<serde_json::Value>>, ServiceError> {
    let mut unanswered: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    let rows = views::without_reply(txn, round_id).await?;
    let titles = super::workshops::titles(txn, rows.iter().map(|r| r.workshop_id)).await?;
    for row in rows {
        if let Some(name) = row.participant_name {
            let workshop = titles.get(&row.workshop_id).cloned().unwrap_or_default();
            unanswered
                .entry(row.administration_code)
                .or_default()
                .push(json!({"name": name, "workshop": workshop}));
        }
    }
    Ok(unanswered)
}

/// One administration's escalation.
struct Escalation<'a> {
    round: &'a round::Model,
    administration: &'a administration::Model,
    officers: Vec<serde_json::Value>,
    /// 1 for the first escalation of the round to the administration.
    batch: u32,
}

/// Queues `letter` to the contact point `point`; `false` when it was queued before.
async fn queue_to(
    txn: &impl sea_orm::ConnectionTrait,
    mail: &MailContext,
    parts: &templates::TemplateParts,
    letter: &Escalation<'_>,
    point: &contact_point::Model,
) -> Result<bool, ServiceError> {
    let Escalation {
        round,
        administration,
        officers,
        batch,
    } = letter;
    let context = json!({
        "contact_name": point.name,
        "administration_name": administration.name,
        "administration_code": administration.code,
        "round_title": round.title,
        "officers": officers,
        "office": OFFICE,
    });
    let rendered = templates::render(parts, &context).await.map_err(|error| {
        anyhow::anyhow!("the escalation template does not render: {}", error.message)
    })?;
    let new_mail = NewMail {
        kind: MailKind::Escalation,
        dedupe_key: format!(
            "escalation:{}:{}:{batch}:{}",
            round.id, administration.id, point.id
        ),
        round_id: Some(round.id),
        invitation_id: None,
        recipient: point.email.clone(),
        rendered,
        link_generation: None,
        participant_id: None,
        at: now(),
    };
    outbox::queue(txn, mail.from.email.domain(), new_mail).await
}

/// How many times round `round_id` was escalated to administration `administration_id`.
async fn earlier_escalations(
    txn: &impl sea_orm::ConnectionTrait,
    round_id: i32,
    administration_id: i32,
) -> Result<u32, ServiceError> {
    let prefix = format!("escalation:{round_id}:{administration_id}:");
    let keys: Vec<String> = mailing::Entity::find()
        .filter(mailing::Column::RoundId.eq(round_id))
        .filter(mailing::Column::Kind.eq(MailKind::Escalation))
        .filter(mailing::Column::DedupeKey.starts_with(&prefix))
        .all(txn)
        .await?
        .into_iter()
        .map(|m| m.dedupe_key)
        .collect();
    let batches: std::collections::BTreeSet<&str> = keys
        .iter()
        .filter_map(|key| key.strip_prefix(&prefix)?.split(':').next())
        .collect();
    Ok(u32::try_from(batches.len()).unwrap_or(u32::MAX))
}
