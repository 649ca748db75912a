//! The weekly digest for the office while a round is open: on the weekday the settings
//! name, from 09:00 in the office's time zone, one mail per open round and recipient with
//! the replies since the last digest (and how many came late), the replies in all,
//! what is still unanswered by workshop, the officers mail does not reach, and the "not
//! for me" requests waiting for staff. Queued
//! under a key of the round, the ISO week and the recipient: once a week, however many
//! instances tick.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use entity::address_state::{self, AddressState};
use entity::mailing::{self, MailKind};
use entity::reply;
use entity::round::{self, RoundState};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde_json::json;

use super::invitations::views;
use crate::analytics::queries;
use crate::base::error::ServiceError;
use crate::mail::compose::OFFICE;
use crate::mail::outbox::{self, NewMail};
use crate::mail::{MailContext, templates};

/// Who gets the digest, and when.
#[derive(Debug, Clone)]
pub struct DigestSettings {
    pub recipients: Vec<String>,
    pub weekday: Weekday,
    /// The office's time zone: the digest goes out from 09:00 there.
    pub zone: chrono_tz::Tz,
}

/// Queues the digests due at `now`; how many were queued.
pub async fn queue_due(
    db: &DatabaseConnection,
    mail: &MailContext,
    digest: &DigestSettings,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let local = now.with_timezone(&digest.zone);
    if digest.recipients.is_empty() || local.weekday() != digest.weekday || local.hour() < 9 {
        return Ok(0);
    }
    let week = local.iso_week();
    let rounds = round::Entity::find()
        .filter(round::Column::State.eq(RoundState::Open))
        .order_by_asc(round::Column::Id)
        .all(db)
        .await?;
    let (parts, _) = templates::effective(db, MailKind::Digest).await?;
    let mut queued = 0;
    for round in rounds {
        let facts = RoundFacts::read(db, &round).await?;
        for recipient in &digest.recipients {
            let since = last_digest(db, round.id, recipient)
                .await?
                .or(round.opened_at)
                .unwrap_or(now - Duration::days(7));
            let (replies_since, late_since) = replies_since(db, round.id, since).await?;
            let context = json!({
                "round_title": round.title,
                "since": since.with_timezone(&digest.zone).format("%A %-d %B %Y").to_string(),
                "replies_since": replies_since,
                "late_since": late_since,
                "replied": facts.replied,
                "invited": facts.invited,
                "workshops": facts.workshops,
                "undeliverable": facts.undeliverable,
                "handovers_pending": facts.handovers_pending,
                "office": OFFICE,
            });
            let rendered = templates::render(&parts, &context).await.map_err(|error| {
                anyhow::anyhow!("the digest template does not render: {}", error.message)
            })?;
            let new_mail = NewMail {
                kind: MailKind::Digest,
                dedupe_key: format!(
                    "digest:{}:{}-W{:02}:{recipient}",
                    round.id,
                    week.year(),
                    week.week()
                ),
                round_id: Some(round.id),
                invitation_id: None,
                recipient: recipient.clone(),
                rendered,
                link_generation: None,
                participant_id: None,
                at: now,
            };
            queued += usize::from(outbox::queue(db, mail.from.email.domain(), new_mail).await?);
        }
    }
    Ok(queued)
}

/// What a round's digest says whoever reads it.
struct RoundFacts {
    invited: u64,
    replied: u64,
    /// `{title, unanswered, invited}` of each workshop with unanswered invitations.
    workshops: Vec<serde_json::Value>,
    /// Officers without a reply whose address is undeliverable or complained.
    undeliverable: usize,
    /// "Not for me" requests waiting for staff.
    handovers_pending: u64,
}

impl RoundFacts {
    async fn read(db: &DatabaseConnection, round: &round::Model) -> Result<Self, ServiceError> {
        let invited_per_workshop = queries::invited_per_workshop(db, round.id).await?;
        let rows = views::without_reply(db, round.id).await?;
        let titles = super::workshops::titles(db, invited_per_workshop.keys().copied()).await?;
        let mut unanswered: BTreeMap<i32, u64> = BTreeMap::new();
        for row in &rows {
            *unanswered.entry(row.workshop_id).or_default() += 1;
        }
        let emails: Vec<String> = rows
            .iter()
            .filter_map(|r| r.participant_email.clone())
            .collect();
        let unreachable: HashSet<String> = address_state::Entity::find()
            .filter(address_state::Column::Address.is_in(emails.clone()))
            .filter(
                address_state::Column::State
                    .is_in([AddressState::Undeliverable, AddressState::Complained]),
            )
            .all(db)
            .await?
            .into_iter()
            .map(|s| s.address)
            .collect();
        let invited: u64 = invited_per_workshop.values().sum();
        let handovers_pending = entity::handover_request::Entity::find()
            .filter(entity::handover_request::Column::InvitationId.is_in(rows.iter().map(|r| r.id)))
            .filter(
                entity::handover_request::Column::Status
                    .eq(entity::handover_request::HandoverStatus::Pending),
            )
            .count(db)
            .await?;
        Ok(Self {
            invited,
            replied: invited.saturating_sub(rows.len() as u64),
            workshops: unanswered
                .iter()
                .map(|(id, count)| {
                    json!({
                        "title": titles.get(id).cloned().unwrap_or_default(),
                        "unanswered": count,
                        "invited": invited_per_workshop.get(id).copied().unwrap_or_default(),
                    })
                })
                .collect(),
            undeliverable: emails.iter().filter(|e| unreachable.contains(*e)).count(),
            handovers_pending,
        })
    }
}

/// When the last digest of `round_id` to `recipient` was queued.
async fn last_digest(
    db: &impl ConnectionTrait,
    round_id: i32,
    recipient: &str,
) -> Result<Option<DateTime<Utc>>, ServiceError> {
    Ok(mailing::Entity::find()
        .filter(mailing::Column::RoundId.eq(round_id))
        .filter(mailing::Column::Kind.eq(MailKind::Digest))
        .filter(mailing::Column::Recipient.eq(recipient))
        .order_by_desc(mailing::Column::CreatedAt)
        .one(db)
        .await?
        .map(|m| m.created_at))
}

/// Replies first submitted since `since`, and how many of them late.
async fn replies_since(
    db: &impl ConnectionTrait,
    round_id: i32,
    since: DateTime<Utc>,
) -> Result<(u64, u64), ServiceError> {
    let recent = reply::Entity::find()
        .filter(reply::Column::RoundId.eq(round_id))
        .filter(reply::Column::FirstSubmittedAt.gte(since));
    let all = recent.clone().count(db).await?;
    let late = recent
        .filter(reply::Column::Late.eq(true))
        .count(db)
        .await?;
    Ok((all, late))
}
