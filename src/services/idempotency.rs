//! Stored responses of requests sent with an `Idempotency-Key`: the first request with a
//! key claims it (a unique row per caller and key) in the transaction it runs in and
//! stores its response there, so the effect and the response commit together or not at
//! all; a retry with the same request gets that response again, one with another request
//! is refused, and one that arrives while the first still runs waits for it. Keys expire.

use chrono::{DateTime, Duration, Utc};
use entity::idempotency_key::{self, KeyState};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TryInsertResult};
use serde_json::Value;

use crate::base::error::ServiceError;

/// A response as stored and replayed.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What a request with a key may do.
#[derive(Debug)]
pub enum Claim {
    /// The request is the first with the key: run it, in the transaction that claimed it.
    Run(i32),
    /// The same request ran before: send its response again.
    Replay(StoredResponse),
    /// The key was used with another request.
    Mismatch,
}

/// One request's claim on a key.
pub struct Request<'a> {
    pub scope: &'a str,
    pub key: &'a str,
    pub fingerprint: &'a str,
}

/// Claims the key in `txn`, the transaction the request then runs in: its row is written
/// there, so another request with the key waits for this one's transaction to end (the
/// unique index of scope and key on PostgreSQL, the one writer on SQLite) and then finds
/// its response, or, when it rolled back, nothing and runs itself. A key's row is thus
/// seen only with its response, or not at all.
pub async fn claim(
    txn: &impl ConnectionTrait,
    request: &Request<'_>,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<Claim, ServiceError> {
    let of_key = || {
        idempotency_key::Entity::find()
            .filter(idempotency_key::Column::Scope.eq(request.scope))
            .filter(idempotency_key::Column::Key.eq(request.key))
    };
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::Scope.eq(request.scope))
        .filter(idempotency_key::Column::Key.eq(request.key))
        .filter(idempotency_key::Column::ExpiresAt.lte(now))
        .exec(txn)
        .await?;
    let row = idempotency_key::ActiveModel {
        scope: Set(request.scope.to_owned()),
        key: Set(request.key.to_owned()),
        fingerprint: Set(request.fingerprint.to_owned()),
        state: Set(KeyState::InProgress),
        response_status: Set(None),
        response_headers: Set(None),
        response_body: Set(None),
        locked_until: Set(now),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        ..Default::default()
    };
    let inserted = idempotency_key::Entity::insert(row)
        .on_conflict_do_nothing_on([idempotency_key::Column::Scope, idempotency_key::Column::Key])
        .exec(txn)
        .await?;
    if let TryInsertResult::Inserted(inserted) = inserted {
        return Ok(Claim::Run(inserted.last_insert_id));
    }
    let row = of_key()
        .one(txn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("an idempotency key conflicted but cannot be read"))?;
    if row.fingerprint != request.fingerprint {
        return Ok(Claim::Mismatch);
    }
    Ok(Claim::Replay(stored(&row)))
}

fn stored(row: &idempotency_key::Model) -> StoredResponse {
    let headers = row
        .response_headers
        .as_ref()
        .and_then(Value::as_object)
        .map(|fields| {
            fields
                .iter()
                .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    StoredResponse {
        status: row
            .response_status
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or(200),
        headers,
        body: row.response_body.clone().unwrap_or_default(),
    }
}

/// Stores the response of the request that claimed the key.
pub async fn complete(
    db: &impl ConnectionTrait,
    id: i32,
    response: &StoredResponse,
) -> Result<(), ServiceError> {
    let headers: serde_json::Map<String, Value> = response
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), Value::String(value.clone())))
        .collect();
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::State,
            Expr::value(KeyState::Completed),
        )
        .col_expr(
            idempotency_key::Column::ResponseStatus,
            Expr::value(i32::from(response.status)),
        )
        .col_expr(
            idempotency_key::Column::ResponseHeaders,
            Expr::value(Value::Object(headers)),
        )
        .col_expr(
            idempotency_key::Column::ResponseBody,
            Expr::value(response.body.clone()),
        )
        .filter(idempotency_key::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Lets the key go: the response is not kept (it carries a secret, or refuses the key).
pub async fn release(db: &impl ConnectionTrait, id: i32) -> Result<(), ServiceError> {
    idempotency_key::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Removes expired keys; returns how many.
pub async fn purge_expired(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, ServiceError> {
    Ok(idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}
