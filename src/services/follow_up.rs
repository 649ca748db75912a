//! The follow-up list of a round: one row per invitation without a reply, with what staff
//! need to chase it (the officer, how mail to them fares, the reminders sent, the last
//! contact attempt, the administration's contact points) and a next step suggested by
//! plain rules, first that applies:
//!
//! 0. the officer said the survey is not for them and named a colleague: decide the
//!    hand-over;
//! 1. mail does not reach the officer (undeliverable or complained address), or the last
//!    attempt found the wrong person or that the officer left: ask the administration's
//!    contact point for the current officer (or find one, when none is on record);
//! 2. the due date has passed (the last reminder went): phone or write personally;
//! 3. otherwise: the reminders are still to come.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::address_state::AddressState;
use entity::contact_attempt::{self, Channel, Outcome};
use entity::contact_point::{self, ContactRole};
use entity::mailing::{self, MailKind, MailStatus};
use entity::{administration, round};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;

use super::contact_points;
use super::deliverability::{self, Delivery};
use super::invitations::views::{self, InvitationRow};
use crate::base::error::ServiceError;
use crate::base::records::find_by_id;

/// What staff should do next about an invitation without a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NextStep {
    /// The officer said the survey is not for them and named a colleague: accept or
    /// reject the hand-over request.
    DecideHandover,
    /// Mail does not reach the officer: ask the administration's contact point who the
    /// current officer is.
    AskContactPoint,
    /// Mail does not reach the officer and the administration has no active contact point:
    /// find one, or the officer's current address, another way.
    FindCurrentOfficer,
    /// The due date passed without a reply: phone or write to the officer personally.
    PhoneOrWritePersonally,
    /// The reminders are still to come.
    WaitForReminders,
}

/// The officer an invitation is addressed to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowUpOfficer {
    pub id: i32,
    pub name: String,
    pub email: String,
}

/// An active contact point of the officer's administration.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactPointRef {
    pub id: i32,
    pub name: String,
    pub email: String,
    pub role: ContactRole,
}

impl From<&contact_point::Model> for ContactPointRef {
    fn from(point: &contact_point::Model) -> Self {
        Self {
            id: point.id,
            name: point.name.clone(),
            email: point.email.clone(),
            role: point.role,
        }
    }
}

/// The last contact attempt on an invitation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptRef {
    pub channel: Channel,
    pub outcome: Outcome,
    pub note: Option<String>,
    pub attempted_at: DateTime<Utc>,
}

/// One invitation without a reply.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowUpRow {
    pub invitation_id: i32,
    pub workshop_id: i32,
    pub workshop: String,
    /// The administration's code.
    pub administration: String,
    /// Absent once the officer was erased.
    pub officer: Option<FollowUpOfficer>,
    pub due_at: DateTime<Utc>,
    /// Whole days since the due date; negative before it.
    pub days_after_due: i64,
    /// How mail to the officer's address fares, when anything came back about it.
    pub delivery: Option<Delivery>,
    pub reminders_sent: u64,
    pub last_attempt: Option<AttemptRef>,
    /// The administration's active contact points.
    pub contact_points: Vec<ContactPointRef>,
    pub next_step: NextStep,
}

/// Everything a round's follow-up list reads, in one read per kind.
struct Facts {
    titles: HashMap<i32, String>,
    deliveries: HashMap<String, Delivery>,
    reminders: HashMap<i32, u64>,
    attempts: HashMap<i32, contact_attempt::Model>,
    points: HashMap<String, Vec<contact_point::Model>>,
    /// Invitations with a pending hand-over request.
    handovers: std::collections::HashSet<i32>,
}

/// The invitations of round `id` without a reply, by workshop, administration and id.
pub async fn of_round(
    db: &DatabaseConnection,
    id: i32,
    now: DateTime<Utc>,
) -> Result<Vec<FollowUpRow>, ServiceError> {
    find_by_id::<round::Entity>(db, "round", id).await?;
    let rows = views::without_reply(db, id).await?;
    let facts = read_facts(db, id, &rows).await?;
    Ok(rows
        .into_iter()
        .map(|row| follow_up_row(row, &facts, now))
        .collect())
}

async fn read_facts(
    db: &DatabaseConnection,
    round_id: i32,
    rows: &[InvitationRow],
) -> Result<Facts, ServiceError> {
    let invitation_ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let titles = super::workshops::titles(db, rows.iter().map(|r| r.workshop_id)).await?;
    let deliveries = deliverability::deliveries(
        db,
        rows.iter().filter_map(|r| r.participant_email.as_deref()),
    )
    .await?;
    let reminders: HashMap<i32, u64> = mailing::Entity::find()
        .select_only()
        .column(mailing::Column::InvitationId)
        .column_as(Expr::col(mailing::Column::Id).count(), "n")
        .filter(mailing::Column::RoundId.eq(round_id))
        .filter(mailing::Column::Kind.eq(MailKind::Reminder))
        .filter(mailing::Column::Status.eq(MailStatus::Sent))
        .group_by(mailing::Column::InvitationId)
        .into_tuple::<(Option<i32>, i64)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(id, n)| Some((id?, u64::try_from(n).unwrap_or(0))))
        .collect();
    let handovers = entity::handover_request::Entity::find()
        .filter(entity::handover_request::Column::InvitationId.is_in(invitation_ids.clone()))
        .filter(
            entity::handover_request::Column::Status
                .eq(entity::handover_request::HandoverStatus::Pending),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|h| h.invitation_id)
        .collect();
    let attempts = contact_attempt::Entity::find()
        .filter(contact_attempt::Column::InvitationId.is_in(invitation_ids))
        .order_by_asc(contact_attempt::Column::AttemptedAt)
        .order_by_asc(contact_attempt::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.invitation_id, a))
        .collect();
    let administrations: HashMap<i32, String> = administration::Entity::find()
        .filter(
            administration::Column::Code.is_in(rows.iter().map(|r| r.administration_code.clone())),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.code))
        .collect();
    let points = contact_points::active_of(db, administrations.keys().copied())
        .await?
        .into_iter()
        .filter_map(|(id, points)| Some((administrations.get(&id)?.clone(), points)))
        .collect();
    Ok(Facts {
        titles,
        deliveries,
        reminders,
        attempts,
        points,
        handovers,
    })
}

fn follow_up_row(row: InvitationRow, facts: &Facts, now: DateTime<Utc>) -> FollowUpRow {
    let delivery = row
        .participant_email
        .as_ref()
        .and_then(|email| facts.deliveries.get(email))
        .cloned();
    let attempt = facts.attempts.get(&row.id);
    let points: Vec<ContactPointRef> = facts
        .points
        .get(&row.administration_code)
        .map(|points| points.iter().map(ContactPointRef::from).collect())
        .unwrap_or_default();
    let days_after_due = (now - row.due_at).num_days();
    let unreachable = delivery.as_ref().is_some_and(|d| {
        matches!(
            d.state,
            AddressState::Undeliverable | AddressState::Complained
        )
    }) || attempt.is_some_and(|a| {
        matches!(
            a.outcome,
            Outcome::WrongPerson | Outcome::LeftAdministration
        )
    });
    let next_step = match (unreachable, points.is_empty()) {
        _ if facts.handovers.contains(&row.id) => NextStep::DecideHandover,
        (true, false) => NextStep::AskContactPoint,
        (true, true) => NextStep::FindCurrentOfficer,
        _ if now >= row.due_at => NextStep::PhoneOrWritePersonally,
        _ => NextStep::WaitForReminders,
    };
    let officer = match (
        row.participant_id,
        row.participant_name,
        row.participant_email,
    ) {
        (Some(id), Some(name), Some(email)) => Some(FollowUpOfficer { id, name, email }),
        _ => None,
    };
    FollowUpRow {
        invitation_id: row.id,
        workshop_id: row.workshop_id,
        workshop: facts
            .titles
            .get(&row.workshop_id)
            .cloned()
            .unwrap_or_default(),
        administration: row.administration_code,
        officer,
        due_at: row.due_at,
        days_after_due,
        delivery,
        reminders_sent: facts.reminders.get(&row.id).copied().unwrap_or(0),
        last_attempt: attempt.map(|a| AttemptRef {
            channel: a.channel,
            outcome: a.outcome,
            note: a.note.clone(),
            attempted_at: a.attempted_at,
        }),
        contact_points: points,
        next_step,
    }
}
