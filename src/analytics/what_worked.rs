//! What worked: a round's replies by the contact that preceded them (the invitation, each
//! reminder, an escalation, a contact attempt, the feedback mail), and the reply curve by
//! day with the days reminders went out.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use entity::mailing::{self, MailKind, MailStatus};
use entity::reply;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

/// What a reply's first submission followed, when nothing was recorded (imported history).
pub const NOT_RECORDED: &str = "not_recorded";

/// Replies that followed one kind of contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ContactReplies {
    /// `invitation`, `reminder_1`, `reminder_2`..., `escalation`, `contact_attempt`,
    /// `feedback`, or `not_recorded`.
    pub contact: String,
    pub replies: u64,
}

/// Replies first submitted on one day (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReplyDay {
    pub day: NaiveDate,
    pub replies: u64,
    /// Replies up to and including that day.
    pub cumulative: u64,
}

/// A round's replies by the contact that preceded them, and by day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WhatWorked {
    /// In the order contacts are made; kinds no reply followed are left out.
    pub by_contact: Vec<ContactReplies>,
    /// Days with replies, in order.
    pub curve: Vec<ReplyDay>,
    /// Days reminders went out (UTC), in order.
    pub reminder_days: Vec<NaiveDate>,
}

impl WhatWorked {
    /// Whether any reply has its preceding contact recorded (not only imported history).
    pub fn recorded(&self) -> bool {
        self.by_contact.iter().any(|c| c.contact != NOT_RECORDED)
    }
}

/// Where a contact sorts: the invitation, the reminders by number, then the rest.
fn position(contact: &str) -> (u32, u32) {
    match contact {
        "invitation" => (0, 0),
        "escalation" => (2, 0),
        "contact_attempt" => (3, 0),
        "feedback" => (4, 0),
        NOT_RECORDED => (5, 0),
        other => (
            1,
            other
                .strip_prefix("reminder_")
                .and_then(|n| n.parse().ok())
                .unwrap_or(u32::MAX),
        ),
    }
}

/// Reads round `round_id`'s replies and reminders: two reads.
pub async fn read(db: &impl ConnectionTrait, round_id: i32) -> Result<WhatWorked, DbErr> {
    let replies = reply::Entity::find()
        .filter(reply::Column::RoundId.eq(round_id))
        .all(db)
        .await?;
    let reminders = mailing::Entity::find()
        .filter(mailing::Column::RoundId.eq(round_id))
        .filter(mailing::Column::Kind.eq(MailKind::Reminder))
        .filter(mailing::Column::Status.eq(MailStatus::Sent))
        .all(db)
        .await?;
    let mut by_contact: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_day: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    for reply in &replies {
        let contact = reply.last_contact.as_deref().unwrap_or(NOT_RECORDED);
        *by_contact.entry(contact.to_owned()).or_default() += 1;
        *by_day
            .entry(reply.first_submitted_at.date_naive())
            .or_default() += 1;
    }
    let mut by_contact: Vec<ContactReplies> = by_contact
        .into_iter()
        .map(|(contact, replies)| ContactReplies { contact, replies })
        .collect();
    by_contact.sort_by_key(|c| position(&c.contact));
    let mut cumulative = 0;
    let curve = by_day
        .into_iter()
        .map(|(day, replies)| {
            cumulative += replies;
            ReplyDay {
                day,
                replies,
                cumulative,
            }
        })
        .collect();
    let mut reminder_days: Vec<NaiveDate> = reminders
        .iter()
        .filter_map(|m| m.sent_at.map(|at| at.date_naive()))
        .collect();
    reminder_days.sort();
    reminder_days.dedup();
    Ok(WhatWorked {
        by_contact,
        curve,
        reminder_days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_sort_in_the_order_they_are_made() {
        let mut contacts = vec![
            "feedback",
            "reminder_10",
            NOT_RECORDED,
            "reminder_2",
            "contact_attempt",
            "invitation",
            "escalation",
        ];
        contacts.sort_by_key(|c| position(c));
        assert_eq!(
            contacts,
            [
                "invitation",
                "reminder_2",
                "reminder_10",
                "escalation",
                "contact_attempt",
                "feedback",
                NOT_RECORDED
            ]
        );
    }
}
