//! Recording what came back about a mail: the event once, the address's new state, the
//! queued mail it suppresses, and the webhook event.

use chrono::{DateTime, Utc};
use entity::address_state::{self, AddressState};
use entity::delivery_event::{self, Finding, Source};
use entity::mailing::{self, MailKind, MailStatus};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::base::error::ServiceError;
use crate::domain::delivery::{Standing, suppresses, suppression};
use crate::services::events;

/// One thing that came back about one mail.
#[derive(Debug, Clone)]
pub struct News {
    pub finding: Finding,
    pub code: Option<String>,
    pub detail: Option<String>,
    pub source: Source,
    /// The returned message and report it came from: recorded once.
    pub source_key: Option<String>,
    pub at: DateTime<Utc>,
}

/// The address a mail went to, as states are kept: trimmed and lowercase.
pub fn address_key(recipient: &str) -> String {
    recipient.trim().to_lowercase()
}

/// Records `news` about `mail` in `txn`; `false` when its source was recorded before.
pub async fn record<C: ConnectionTrait>(
    txn: &C,
    mail: &mailing::Model,
    news: News,
) -> Result<bool, ServiceError> {
    let address = address_key(&mail.recipient);
    let inserted = delivery_event::Entity::insert(delivery_event::ActiveModel {
        mailing_id: Set(Some(mail.id)),
        address: Set(address.clone()),
        finding: Set(news.finding),
        code: Set(news.code.clone()),
        detail: Set(news.detail.clone()),
        source: Set(news.source),
        source_key: Set(news.source_key.clone()),
        received_at: Set(news.at),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(delivery_event::Column::SourceKey)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    if inserted == 0 {
        return Ok(false);
    }
    let state = match news.finding {
        Finding::Undeliverable | Finding::Soft | Finding::Complaint => {
            Some(move_state(txn, &address, mail, &news).await?)
        }
        Finding::Blocked => {
            // The office's sender setup fails for that domain: say so loudly (the domain
            // names nobody).
            let domain = address.rsplit_once('@').map_or("", |(_, d)| d);
            tracing::error!(
                mailing = mail.id,
                domain,
                code = news.code.as_deref().unwrap_or(""),
                "mail blocked by the destination's policy: check the sender's SPF, DKIM and DMARC for this domain"
            );
            None
        }
        Finding::AutoReply | Finding::Notice => None,
    };
    let returned = events::Returned {
        finding: news.finding,
        code: news.code.as_deref(),
        detail: news.detail.as_deref(),
        address_state: state,
    };
    events::mail_returned(txn, mail, returned).await?;
    Ok(true)
}

/// The address's state after `news`, stored; queued mail it stops is suppressed.
async fn move_state<C: ConnectionTrait>(
    txn: &C,
    address: &str,
    mail: &mailing::Model,
    news: &News,
) -> Result<AddressState, ServiceError> {
    let before =
        crate::base::records::lock(address_state::Entity::find_by_id(address.to_owned()), txn)
            .await?;
    let standing = before
        .as_ref()
        .map_or_else(Standing::default, |row| Standing {
            state: row.state,
            soft_count: row.soft_count,
            soft_since: row.soft_since,
        });
    let after = standing.after(news.finding, news.at);
    let row = address_state::ActiveModel {
        address: Set(address.to_owned()),
        state: Set(after.state),
        soft_count: Set(after.soft_count),
        soft_since: Set(after.soft_since),
        code: Set(news.code.clone()),
        detail: Set(news.detail.clone()),
        complained_round_id: Set(match news.finding {
            Finding::Complaint => mail.round_id,
            _ => before.as_ref().and_then(|b| b.complained_round_id),
        }),
        changed_at: Set(news.at),
    };
    if before.is_some() {
        row.update(txn).await?;
    } else {
        row.insert(txn).await?;
    }
    if suppresses(after.state) && standing.state != after.state {
        let stored = address_state::Entity::find_by_id(address.to_owned())
            .one(txn)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the address state just written is gone"))?;
        suppress_queued(txn, &stored).await?;
    }
    Ok(after.state)
}

/// Marks the queued reminders and feedback to the address that its state stops as
/// suppressed, with the reason.
async fn suppress_queued<C: ConnectionTrait>(
    txn: &C,
    state: &address_state::Model,
) -> Result<(), ServiceError> {
    let queued = mailing::Entity::find()
        .filter(mailing::Column::Status.eq(MailStatus::Queued))
        .filter(mailing::Column::Kind.is_in([MailKind::Reminder, MailKind::Feedback]))
        .filter(mailing::Column::Recipient.eq(&state.address))
        .all(txn)
        .await?;
    for mail in queued {
        if let Some(reason) = suppression(state, mail.kind, mail.round_id) {
            mailing::Entity::update_many()
                .col_expr(mailing::Column::Status, Expr::value(MailStatus::Suppressed))
                .col_expr(mailing::Column::SuppressedReason, Expr::value(reason))
                .filter(mailing::Column::Id.eq(mail.id))
                .filter(mailing::Column::Status.eq(MailStatus::Queued))
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}
