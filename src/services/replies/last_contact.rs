//! Which contact preceded a reply: the latest, before the reply, of the invitation mail,
//! each reminder (`reminder_1`, `reminder_2`... in the order they went out), an escalation
//! to the officer's administration in the round, a contact attempt by staff, and the
//! feedback mail. Recorded with the first submission, so the report can say which contact
//! brought replies.

use chrono::{DateTime, Utc};
use entity::contact_attempt;
use entity::invitation;
use entity::mailing::{self, MailKind, MailStatus};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::base::error::ServiceError;

/// The contact that preceded a reply to `invitation` submitted at `at`, if any did.
pub async fn last_before(
    db: &impl ConnectionTrait,
    invitation: &invitation::Model,
    at: DateTime<Utc>,
) -> Result<Option<String>, ServiceError> {
    let escalations = format!(
        "escalation:{}:{}:",
        invitation.round_id, invitation.administration_id
    );
    let mails = mailing::Entity::find()
        .filter(mailing::Column::Status.eq(MailStatus::Sent))
        .filter(mailing::Column::SentAt.lte(at))
        .filter(
            mailing::Column::InvitationId
                .eq(invitation.id)
                .or(mailing::Column::RoundId
                    .eq(invitation.round_id)
                    .and(mailing::Column::DedupeKey.starts_with(&escalations))),
        )
        .order_by_asc(mailing::Column::SentAt)
        .order_by_asc(mailing::Column::Id)
        .all(db)
        .await?;
    let mut contacts: Vec<(DateTime<Utc>, String)> = Vec::new();
    let mut reminders = 0;
    for mail in mails {
        let Some(sent_at) = mail.sent_at else {
            continue;
        };
        let contact = match mail.kind {
            MailKind::Invitation => "invitation".to_owned(),
            MailKind::Reminder => {
                reminders += 1;
                format!("reminder_{reminders}")
            }
            MailKind::Escalation => "escalation".to_owned(),
            MailKind::Feedback => "feedback".to_owned(),
            MailKind::ThankYou | MailKind::Digest => continue,
        };
        contacts.push((sent_at, contact));
    }
    let attempt = contact_attempt::Entity::find()
        .filter(contact_attempt::Column::InvitationId.eq(invitation.id))
        .filter(contact_attempt::Column::AttemptedAt.lte(at))
        .order_by_desc(contact_attempt::Column::AttemptedAt)
        .one(db)
        .await?;
    if let Some(attempt) = attempt {
        contacts.push((attempt.attempted_at, "contact_attempt".to_owned()));
    }
    Ok(contacts
        .into_iter()
        .max_by_key(|(when, _)| *when)
        .map(|(_, contact)| contact))
}
