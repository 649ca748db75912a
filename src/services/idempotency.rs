//! Stored responses of requests sent with an `Idempotency-Key`: the first request with a
//! key claims it (a unique row per caller and key), runs, and stores its response; a retry
//! with the same request gets that response again, one with another request is refused,
//! and one that arrives while the first still runs waits for it. Keys expire.

use chrono::{DateTime, Duration, Utc};
use entity::idempotency_key::{self, KeyState};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, SqlErr,
};
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
    /// The request is the first with the key (or takes over from one that crashed): run it.
    Run(i32),
    /// The same request ran before: send its response again.
    Replay(StoredResponse),
    /// The key was used with another request.
    Mismatch,
    /// The first request with the key is still running.
    Busy,
}

/// One request's claim on a key.
pub struct Request<'a> {
    pub scope: &'a str,
    pub key: &'a str,
    pub fingerprint: &'a str,
}

pub async fn claim(
    db: &DatabaseConnection,
    request: &Request<'_>,
    now: DateTime<Utc>,
    ttl: Duration,
    lease: Duration,
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
        .exec(db)
        .await?;
    let inserted = idempotency_key::ActiveModel {
        scope: Set(request.scope.to_owned()),
        key: Set(request.key.to_owned()),
        fingerprint: Set(request.fingerprint.to_owned()),
        state: Set(KeyState::InProgress),
        response_status: Set(None),
        response_headers: Set(None),
        response_body: Set(None),
        locked_until: Set(now + lease),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(row) => return Ok(Claim::Run(row.id)),
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {}
        Err(error) => return Err(error.into()),
    }
    let Some(row) = of_key().one(db).await? else {
        return Ok(Claim::Busy); // expired and removed meanwhile: the retry claims it
    };
    if row.fingerprint != request.fingerprint {
        return Ok(Claim::Mismatch);
    }
    match row.state {
        KeyState::Completed => Ok(Claim::Replay(stored(&row))),
        KeyState::InProgress if row.locked_until <= now => {
            // The first request died without an answer; take its place, once.
            let taken = idempotency_key::Entity::update_many()
                .col_expr(
                    idempotency_key::Column::LockedUntil,
                    Expr::value(now + lease),
                )
                .filter(idempotency_key::Column::Id.eq(row.id))
                .filter(idempotency_key::Column::LockedUntil.eq(row.locked_until))
                .exec(db)
                .await?;
            Ok(if taken.rows_affected == 1 {
                Claim::Run(row.id)
            } else {
                Claim::Busy
            })
        }
        KeyState::InProgress => Ok(Claim::Busy),
    }
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

/// Lets the key go: the request failed in a way a retry may not (a server error).
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
