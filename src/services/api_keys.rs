//! API keys: created once with their secret shown once, stored as a SHA-256 digest.

use entity::api_key::{self, Role};
use rand::Rng;
use rand::distr::Alphanumeric;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use sha2::{Digest, Sha256};

use super::audit::{self, Actor, Change};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::base::listing::PageRequest;
use crate::base::listing::{Listing, page_of};
use crate::base::records::{find_by_id, lock_by_id};
use crate::db;
use crate::domain::refusal::Refusal;

const KEY_PREFIX: &str = "fu_";
const SECRET_CHARS: usize = 40; // 40 alphanumerics: about 238 bits
const SHOWN_PREFIX_CHARS: usize = 8;
/// `last_used_at` is refreshed at most this often, so reads stay reads.
const LAST_USED_RESOLUTION: chrono::Duration = chrono::Duration::minutes(1);

/// A key just created, with the only copy of its secret.
#[derive(Debug)]
pub struct IssuedKey {
    pub key: api_key::Model,
    pub secret: String,
}

pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn generate_secret() -> String {
    let random: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(SECRET_CHARS)
        .map(char::from)
        .collect();
    format!("{KEY_PREFIX}{random}")
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    name: String,
    role: Role,
) -> Result<IssuedKey, ServiceError> {
    let secret = generate_secret();
    let txn = db::begin(db).await?;
    let key = api_key::ActiveModel {
        name: Set(name),
        role: Set(role),
        prefix: Set(secret[..SHOWN_PREFIX_CHARS].to_owned()),
        key_hash: Set(digest(&secret)),
        created_at: Set(now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, actor, Change::created("api_key", key.id, &key)).await?;
    txn.commit().await?;
    Ok(IssuedKey { key, secret })
}

/// The active key with this secret, if any, read from the database on every request (a
/// look-up of its digest's unique index): a key revoked by any instance, or by the command
/// line, is refused by every instance on its next request.
pub async fn authenticate(
    db: &DatabaseConnection,
    secret: &str,
) -> Result<Option<api_key::Model>, ServiceError> {
    let Some(mut key) = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(digest(secret)))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let at = now();
    let stale = key
        .last_used_at
        .is_none_or(|used| at - used > LAST_USED_RESOLUTION);
    if stale {
        api_key::Entity::update_many()
            .col_expr(
                api_key::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(at),
            )
            .filter(api_key::Column::Id.eq(key.id))
            .exec(db)
            .await?;
        key.last_used_at = Some(at);
    }
    Ok(Some(key))
}

/// Whether any admin key can still be used; without one, only the command line can
/// issue keys.
pub async fn has_active_admin(db: &DatabaseConnection) -> Result<bool, ServiceError> {
    let active = api_key::Entity::find()
        .filter(api_key::Column::Role.eq(Role::Admin))
        .filter(api_key::Column::RevokedAt.is_null())
        .count(db)
        .await?;
    Ok(active > 0)
}

pub async fn list(
    db: &DatabaseConnection,
    page: PageRequest,
) -> Result<Listing<api_key::Model>, ServiceError> {
    page_of(
        api_key::Entity::find().order_by_asc(api_key::Column::Id),
        db,
        page,
    )
    .await
}

pub async fn get(db: &DatabaseConnection, id: i32) -> Result<api_key::Model, ServiceError> {
    find_by_id::<api_key::Entity>(db, "API key", id).await
}

/// Revokes a key at once. The last active admin key cannot be revoked, so the service
/// never locks its administrators out, and a key cannot revoke itself.
pub async fn revoke(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<api_key::Model, ServiceError> {
    if actor.key_id == Some(id) {
        return Err(Refusal::RevokeOwnKey.into());
    }
    let txn = db::begin(db).await?;
    let key = lock_by_id::<api_key::Entity>(&txn, "API key", id).await?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    if key.role == Role::Admin {
        // Locking every active admin key makes two revocations take turns, so the second
        // counts what the first left (PostgreSQL; SQLite's write lock already does).
        let active_admins = api_key::Entity::find()
            .filter(api_key::Column::Role.eq(Role::Admin))
            .filter(api_key::Column::RevokedAt.is_null())
            .lock_exclusive()
            .all(&txn)
            .await?
            .len();
        if active_admins <= 1 {
            return Err(Refusal::LastAdminKey.into());
        }
    }
    let mut active: api_key::ActiveModel = key.clone().into();
    active.revoked_at = Set(Some(now()));
    let revoked = active.update(&txn).await?;
    let change = Change {
        action: "revoke",
        ..Change::updated("api_key", id, &key, &revoked)
    };
    audit::record(&txn, actor, change).await?;
    txn.commit().await?;
    Ok(revoked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_prefixed() {
        let a = generate_secret();
        let b = generate_secret();
        assert!(a.starts_with(KEY_PREFIX));
        assert_eq!(a.len(), KEY_PREFIX.len() + SECRET_CHARS);
        assert_ne!(a, b);
    }

    #[test]
    fn the_digest_is_sha256_hex() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
