//! The durable outbox. Mail is queued in the transaction of the change that causes it,
//! once per dedupe key; workers claim due mail with a lease (on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`, so instances never claim the same mail), send it and record
//! the outcome. A worker that dies mid-send loses its lease and the mail is sent again,
//! with the same Message-ID.

use chrono::{DateTime, Duration, Utc};
use entity::address_state;
use entity::mailing::{self, MailKind, MailStatus};
use rand::Rng;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::templates::Rendered;
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::domain::delivery::suppression;

/// A mail to queue.
#[derive(Debug, Clone)]
pub struct NewMail {
    pub kind: MailKind,
    /// One mail per key, ever: e.g. `reminder:<invitation>:<offset>`.
    pub dedupe_key: String,
    pub round_id: Option<i32>,
    pub invitation_id: Option<i32>,
    pub recipient: String,
    pub rendered: Rendered,
    /// The link generation whose token replaces the placeholder in the bodies when sent.
    pub link_generation: Option<i32>,
    /// The officer it is addressed to.
    pub participant_id: Option<i32>,
    /// When it is queued, as the use case's clock reads it (the scheduler's, in tests one
    /// they move): reminders keep a day from the invitation by it.
    pub at: DateTime<Utc>,
}

/// Queues `mail` unless its key was queued before; `true` when queued now.
pub async fn queue(
    db: &impl ConnectionTrait,
    sender_domain: &str,
    mail: NewMail,
) -> Result<bool, ServiceError> {
    let message_id = format!(
        "<{}.{}@{}>",
        hex::encode(rand::rng().random::<[u8; 12]>()),
        sea_orm::ActiveEnum::to_value(&mail.kind),
        sender_domain
    );
    let suppressed_reason = match mail.kind {
        MailKind::Reminder | MailKind::Feedback => {
            address_state::Entity::find_by_id(mail.recipient.clone())
                .one(db)
                .await?
                .and_then(|state| suppression(&state, mail.kind, mail.round_id))
        }
        MailKind::Invitation | MailKind::ThankYou | MailKind::Escalation | MailKind::Digest => None,
    };
    let inserted = mailing::Entity::insert(mailing::ActiveModel {
        kind: Set(mail.kind),
        dedupe_key: Set(mail.dedupe_key),
        round_id: Set(mail.round_id),
        invitation_id: Set(mail.invitation_id),
        recipient: Set(mail.recipient),
        subject: Set(mail.rendered.subject),
        body_text: Set(mail.rendered.text),
        body_html: Set(mail.rendered.html),
        message_id: Set(message_id),
        // Written, not sent, when the address is undeliverable or complained: staff see why.
        status: Set(match suppressed_reason {
            Some(_) => MailStatus::Suppressed,
            None => MailStatus::Queued,
        }),
        suppressed_reason: Set(suppressed_reason),
        attempts: Set(0),
        // Due at once, as the worker's clock reads it.
        next_attempt_at: Set(now()),
        leased_until: Set(None),
        last_error: Set(None),
        created_at: Set(mail.at),
        sent_at: Set(None),
        link_generation: Set(mail.link_generation),
        participant_id: Set(mail.participant_id),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(mailing::Column::DedupeKey)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(inserted > 0)
}

/// Withdraws the queued reminders of an invitation (it has a reply now).
pub async fn cancel_reminders(db: &impl ConnectionTrait, invitation_id: i32) -> Result<u64, DbErr> {
    let result = mailing::Entity::update_many()
        .col_expr(mailing::Column::Status, Expr::value(MailStatus::Cancelled))
        .filter(mailing::Column::InvitationId.eq(invitation_id))
        .filter(mailing::Column::Kind.eq(MailKind::Reminder))
        .filter(mailing::Column::Status.eq(MailStatus::Queued))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Claims up to `limit` due mails for `lease`, counting an attempt for each.
pub async fn claim(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<mailing::Model>, DbErr> {
    let mut claimed =
        crate::base::queue::claim_due::<mailing::Entity>(db, at, lease, limit).await?;
    claimed.sort_by_key(|m| (m.next_attempt_at, m.id));
    Ok(claimed)
}

/// The mail `id`, locked until the transaction ends, while it is still queued: `None` once
/// it was withdrawn or erased.
pub async fn lock_queued(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<mailing::Model>, DbErr> {
    let queued =
        mailing::Entity::find_by_id(id).filter(mailing::Column::Status.eq(MailStatus::Queued));
    crate::base::records::lock(queued, db).await
}

/// Delivered; `false` when the mail was no longer queued (withdrawn, or erased, while it
/// was sent), which keeps its status.
pub async fn mark_sent(
    db: &impl ConnectionTrait,
    id: i32,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let updated = mailing::Entity::update_many()
        .col_expr(mailing::Column::Status, Expr::value(MailStatus::Sent))
        .col_expr(mailing::Column::SentAt, Expr::value(at))
        .col_expr(
            mailing::Column::LeasedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            mailing::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(mailing::Column::Id.eq(id))
        .filter(mailing::Column::Status.eq(MailStatus::Queued))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Not delivered this time; try again at `retry_at`.
pub async fn mark_retry(
    db: &impl ConnectionTrait,
    id: i32,
    retry_at: DateTime<Utc>,
    error: &str,
) -> Result<(), DbErr> {
    mailing::Entity::update_many()
        .col_expr(mailing::Column::NextAttemptAt, Expr::value(retry_at))
        .col_expr(
            mailing::Column::LeasedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(mailing::Column::LastError, Expr::value(error))
        .filter(mailing::Column::Id.eq(id))
        .filter(mailing::Column::Status.eq(MailStatus::Queued))
        .exec(db)
        .await?;
    Ok(())
}

/// Given up on; `false` when the mail was no longer queued (withdrawn while it was sent).
pub async fn mark_failed(db: &impl ConnectionTrait, id: i32, error: &str) -> Result<bool, DbErr> {
    let updated = mailing::Entity::update_many()
        .col_expr(mailing::Column::Status, Expr::value(MailStatus::Failed))
        .col_expr(
            mailing::Column::LeasedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(mailing::Column::LastError, Expr::value(error))
        .filter(mailing::Column::Id.eq(id))
        .filter(mailing::Column::Status.eq(MailStatus::Queued))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}
