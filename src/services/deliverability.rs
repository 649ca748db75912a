//! What came back about the mail sent, and what follows for each address: a bounce from
//! the bounce mailbox or a refusal at send is recorded once, moves the address's state
//! (ok, soft, undeliverable, complained; see `domain::delivery`), suppresses the queued
//! reminders and feedback it stops, and is announced to webhooks. State is kept per
//! address, not per officer: the same officer is invited for several workshops.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::address_state::{self, AddressState};
use entity::delivery_event::{self, Finding, Source};
use entity::mailing::{self, MailKind, MailStatus};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::audit::{self, Actor, Change};
use super::events;
use crate::base::error::{NotFound, ServiceError};
use crate::base::listing::{Listing, PageRequest, page_of};
use crate::db;
use crate::domain::delivery::{Standing, suppresses, suppression};

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
    events::mail_returned(txn, mail, &news, state).await?;
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

/// The state of `address`, if anything came back about it.
pub async fn state_of<C: ConnectionTrait>(
    db: &C,
    address: &str,
) -> Result<Option<address_state::Model>, ServiceError> {
    Ok(address_state::Entity::find_by_id(address_key(address))
        .one(db)
        .await?)
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

/// How mail to an address fares, as staff see it beside an officer, an invitation or a
/// mail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Delivery {
    pub state: AddressState,
    /// The RFC 3463 code of the bounce that set the state, e.g. `5.1.1`.
    pub code: Option<String>,
    /// What the destination said, shortened.
    pub detail: Option<String>,
    /// Soft bounces counted since the address was last fine.
    pub soft_count: i32,
    pub changed_at: DateTime<Utc>,
    /// The latest automatic reply from the address (it often names a colleague).
    pub auto_reply: Option<AutoReply>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AutoReply {
    pub received_at: DateTime<Utc>,
    pub text: Option<String>,
}

/// The delivery of each of `addresses` that anything came back about: two reads.
pub async fn deliveries<C: ConnectionTrait>(
    db: &C,
    addresses: impl IntoIterator<Item = &str>,
) -> Result<HashMap<String, Delivery>, ServiceError> {
    let keys: Vec<String> = addresses.into_iter().map(address_key).collect();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let states = address_state::Entity::find()
        .filter(address_state::Column::Address.is_in(keys.clone()))
        .all(db)
        .await?;
    let replies = delivery_event::Entity::find()
        .filter(delivery_event::Column::Address.is_in(keys))
        .filter(delivery_event::Column::Finding.eq(Finding::AutoReply))
        .order_by_asc(delivery_event::Column::Id)
        .all(db)
        .await?;
    let mut found: HashMap<String, Delivery> = states
        .into_iter()
        .map(|s| {
            let delivery = Delivery {
                state: s.state,
                code: s.code,
                detail: s.detail,
                soft_count: s.soft_count,
                changed_at: s.changed_at,
                auto_reply: None,
            };
            (s.address, delivery)
        })
        .collect();
    for reply in replies {
        let auto_reply = AutoReply {
            received_at: reply.received_at,
            text: reply.detail,
        };
        found
            .entry(reply.address)
            .or_insert_with(|| Delivery {
                state: AddressState::Ok,
                code: None,
                detail: None,
                soft_count: 0,
                changed_at: reply.received_at,
                auto_reply: None,
            })
            .auto_reply = Some(auto_reply);
    }
    Ok(found)
}

/// What came back about each of `mailing_ids`, oldest first.
pub async fn news_of_mailings<C: ConnectionTrait>(
    db: &C,
    mailing_ids: Vec<i32>,
) -> Result<HashMap<i32, Vec<delivery_event::Model>>, ServiceError> {
    let mut by_mailing: HashMap<i32, Vec<delivery_event::Model>> = HashMap::new();
    if mailing_ids.is_empty() {
        return Ok(by_mailing);
    }
    for event in delivery_event::Entity::find()
        .filter(delivery_event::Column::MailingId.is_in(mailing_ids))
        .order_by_asc(delivery_event::Column::Id)
        .all(db)
        .await?
    {
        if let Some(id) = event.mailing_id {
            by_mailing.entry(id).or_default().push(event);
        }
    }
    Ok(by_mailing)
}

/// The addresses in `state` (all but fine ones when `None`), most recently changed first.
pub async fn list(
    db: &DatabaseConnection,
    state: Option<AddressState>,
    page: PageRequest,
) -> Result<Listing<address_state::Model>, ServiceError> {
    let query = match state {
        Some(state) => address_state::Entity::find().filter(address_state::Column::State.eq(state)),
        None => {
            address_state::Entity::find().filter(address_state::Column::State.ne(AddressState::Ok))
        }
    };
    page_of(
        query
            .order_by_desc(address_state::Column::ChangedAt)
            .order_by_asc(address_state::Column::Address),
        db,
        page,
    )
    .await
}

/// One address's state and what came back about it, newest first.
pub async fn get(
    db: &DatabaseConnection,
    address: &str,
) -> Result<(address_state::Model, Vec<delivery_event::Model>), ServiceError> {
    let key = address_key(address);
    let state = address_state::Entity::find_by_id(key.clone())
        .one(db)
        .await?
        .ok_or_else(|| NotFound::record("address", &key))?;
    let events = delivery_event::Entity::find()
        .filter(delivery_event::Column::Address.eq(key))
        .order_by_desc(delivery_event::Column::Id)
        .all(db)
        .await?;
    Ok((state, events))
}

/// Staff clear an address's state (it was fixed, or the bounce was wrong): mail to it is
/// sent again from now on. Audited; what came back stays on record.
pub async fn clear(
    db: &DatabaseConnection,
    actor: &Actor,
    address: &str,
) -> Result<(), ServiceError> {
    let txn = db::begin(db).await?;
    let key = address_key(address);
    let before = crate::base::records::lock(address_state::Entity::find_by_id(key.clone()), &txn)
        .await?
        .ok_or_else(|| NotFound::record("address", &key))?;
    address_state::Entity::delete_by_id(key.clone())
        .exec(&txn)
        .await?;
    audit::record(&txn, actor, Change::deleted("address_state", key, &before)).await?;
    txn.commit().await?;
    Ok(())
}

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
