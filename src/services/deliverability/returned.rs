//! Messages of the bounce mailbox: each read, led back to the mail it is about, and
//! recorded in one transaction; the poller's lease and how its passes fare.

use chrono::{DateTime, Utc};
use entity::delivery_event::Source;
use entity::mailing;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::news::{News, record};
use crate::base::error::ServiceError;
use crate::db;

/// The lease the bounce mailbox's poller holds; its row tells how reading fares.
pub const MAILBOX_LEASE: &str = "bounce-mailbox";

/// How the last passes over the bounce mailbox went, once it was ever read.
pub async fn mailbox_health<C: ConnectionTrait>(
    db: &C,
) -> Result<Option<entity::job_lease::Model>, ServiceError> {
    Ok(crate::base::lease::status(db, MAILBOX_LEASE).await?)
}

/// What became of one message of the bounce mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// Read and recorded (or only notices): it goes to the processed folder.
    Recorded,
    /// Recorded before (a pass that died before moving it): processed folder.
    AlreadySeen,
    /// Not about any mail of ours (a forged or foreign bounce address, no known
    /// Message-ID): set aside.
    Unmatched,
    /// Not a bounce, complaint nor automatic reply, or not a message at all: set aside.
    Unreadable,
}

/// Where returned mail leads back to our mail: the bounce address (VERP) and the key.
#[derive(Debug, Clone)]
pub struct Returns {
    pub bounce: Option<lettre::Address>,
    pub key: crate::domain::TokenKey,
}

/// Reads one returned message and records what it says, in one transaction.
pub async fn take_returned(
    db: &DatabaseConnection,
    returns: &Returns,
    raw: &[u8],
    at: DateTime<Utc>,
) -> Result<Taken, ServiceError> {
    let Ok(returned) = crate::mail::returned::read(raw) else {
        return Ok(Taken::Unreadable);
    };
    let Some(mail) = mailing_returned(db, returns, &returned).await? else {
        return Ok(Taken::Unmatched);
    };
    let txn = db::begin(db).await?;
    let mut recorded = false;
    for (index, report) in returned.reports.into_iter().enumerate() {
        let news = News {
            finding: report.finding,
            code: report.code,
            detail: report.detail,
            source: Source::Mailbox,
            source_key: Some(format!("{}#{index}", returned.key)),
            at,
        };
        recorded |= record(&txn, &mail, news).await?;
    }
    txn.commit().await?;
    Ok(if recorded {
        Taken::Recorded
    } else {
        Taken::AlreadySeen
    })
}

/// The mail a returned message is about: by the bounce address it came back to (its MAC
/// checked), else by the Message-ID of ours it quotes.
async fn mailing_returned(
    db: &DatabaseConnection,
    returns: &Returns,
    returned: &crate::mail::returned::Returned,
) -> Result<Option<mailing::Model>, ServiceError> {
    let by_address = returns.bounce.as_ref().and_then(|bounce| {
        returned
            .addressed_to
            .iter()
            .find_map(|to| crate::mail::verp::mailing_of(to, bounce, &returns.key))
    });
    if let Some(id) = by_address
        && let Some(mail) = mailing::Entity::find_by_id(id).one(db).await?
    {
        return Ok(Some(mail));
    }
    let ids: Vec<String> = returned
        .refers_to
        .iter()
        .map(|id| format!("<{id}>"))
        .collect();
    if ids.is_empty() {
        return Ok(None);
    }
    Ok(mailing::Entity::find()
        .filter(mailing::Column::MessageId.is_in(ids))
        .one(db)
        .await?)
}
