//! How mail fares at each address, as staff see it: beside an officer, an invitation or a
//! mail, the list of addresses, and clearing one.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::address_state::{self, AddressState};
use entity::delivery_event::{self, Finding};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::news::address_key;
use crate::base::error::{NotFound, ServiceError};
use crate::base::listing::{Listing, PageRequest, page_of};
use crate::db;
use crate::services::audit::{self, Actor, Change};

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
