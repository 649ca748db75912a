//! Retention: some days after a round closed, the subject and bodies of its sent mail
//! are removed, and the `.eml` files of the file transport with them.

use chrono::{DateTime, Duration, Utc};
use entity::mailing::{self, MailStatus};
use entity::round::{self, RoundState};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::erase::remove_mail_files;
use crate::base::error::ServiceError;
use crate::mail::MailContext;

/// Removes the subject and bodies of sent mail of rounds closed longer than `retention`
/// ago, and its files; how many mails lost their content.
pub async fn purge_mail_bodies(
    db: &impl ConnectionTrait,
    mail: &MailContext,
    now: DateTime<Utc>,
    retention: Duration,
) -> Result<u64, ServiceError> {
    let closed_long_ago: Vec<i32> = round::Entity::find()
        .select_only()
        .column(round::Column::Id)
        .filter(round::Column::State.eq(RoundState::Closed))
        .filter(round::Column::ClosedAt.lte(now - retention))
        .into_tuple()
        .all(db)
        .await?;
    if closed_long_ago.is_empty() {
        return Ok(0);
    }
    let due = mailing::Column::Status
        .ne(MailStatus::Queued)
        .and(mailing::Column::BodyPurgedAt.is_null())
        .and(mailing::Column::RoundId.is_in(closed_long_ago));
    let message_ids: Vec<String> = mailing::Entity::find()
        .select_only()
        .column(mailing::Column::MessageId)
        .filter(due.clone())
        .into_tuple()
        .all(db)
        .await?;
    let purged = mailing::Entity::update_many()
        .col_expr(mailing::Column::Subject, Expr::value(""))
        .col_expr(mailing::Column::BodyText, Expr::value(""))
        .col_expr(mailing::Column::BodyHtml, Expr::value(""))
        .col_expr(mailing::Column::BodyPurgedAt, Expr::value(Some(now)))
        .filter(due)
        .exec(db)
        .await?
        .rows_affected;
    remove_mail_files(mail, &message_ids);
    Ok(purged)
}
