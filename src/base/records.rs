//! Reading one record by its id, as every use case does first: 404 when it does not
//! exist, and on PostgreSQL a row lock when the use case is about to change it; and
//! writing many new records in few statements.

use anyhow::Context;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, PrimaryKeyTrait, QuerySelect, Select,
};

use super::error::{NotFound, ServiceError};

/// The record `what` with `id`; [`NotFound`] when there is none.
pub async fn find_by_id<E>(
    db: &impl ConnectionTrait,
    what: &'static str,
    id: i32,
) -> Result<E::Model, ServiceError>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    found(E::find_by_id(id).one(db).await, "reading", what, id)
}

/// Reads the record a use case is about to change. On PostgreSQL its row stays locked until
/// the transaction ends, so the version an `If-Match` precondition checks is the version the
/// change replaces; SQLite's write transactions run one at a time anyway.
pub async fn lock_by_id<E>(
    db: &impl ConnectionTrait,
    what: &'static str,
    id: i32,
) -> Result<E::Model, ServiceError>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    found(lock(E::find_by_id(id), db).await, "locking", what, id)
}

/// Reads a record a use case depends on but does not change (the round a workshop or a
/// participant joins). On PostgreSQL its row is share-locked until the transaction ends:
/// a change of it (the round being scheduled or closed) waits for this use case and then
/// sees what it wrote, while such readers never wait for each other.
pub async fn share_by_id<E>(
    db: &impl ConnectionTrait,
    what: &'static str,
    id: i32,
) -> Result<E::Model, ServiceError>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    let read = E::find_by_id(id).lock_shared().one(db).await;
    found(read, "share-locking", what, id)
}

/// The record a look-up by id read: the database error with what was `doing`, or
/// [`NotFound`] when there is none.
fn found<M>(
    read: Result<Option<M>, DbErr>,
    doing: &str,
    what: &'static str,
    id: i32,
) -> Result<M, ServiceError> {
    read.with_context(|| format!("{doing} {what} {id}"))?
        .ok_or_else(|| NotFound::record(what, id).into())
}

/// The first record `query` finds, its row locked as in [`lock_by_id`].
pub async fn lock<E: EntityTrait>(
    query: Select<E>,
    db: &impl ConnectionTrait,
) -> Result<Option<E::Model>, DbErr> {
    query.lock_exclusive().one(db).await
}

/// Rows an insert statement writes: far below the bound parameters either database takes
/// (PostgreSQL 65,535; SQLite 32,766) at the dozen columns a row of ours has at most.
const ROWS_PER_INSERT: usize = 1000;

/// Inserts `rows`, [`ROWS_PER_INSERT`] a statement.
pub async fn insert_in_chunks<A: ActiveModelTrait + Send>(
    db: &impl ConnectionTrait,
    rows: Vec<A>,
) -> Result<(), DbErr> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        A::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}
