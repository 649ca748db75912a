//! Use cases. Each public function is one transaction; handlers call exactly one of them.

pub mod administrations;
pub mod api_keys;
pub mod audit;
pub mod events;
pub mod feedback;
pub mod good_practices;
pub mod idempotency;
pub mod invitations;
pub mod mail_templates;
pub mod mailings;
pub mod participants;
pub mod privacy;
pub mod questionnaires;
pub mod replies;
pub mod replies_csv;
pub mod rounds;
pub mod seed;
pub mod webhooks;
pub mod workshops;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func, IntoColumnRef, LikeExpr};
use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, PrimaryKeyTrait, QuerySelect, Select,
    SelectorTrait, SqlErr,
};

use crate::pagination::PageRequest;

use crate::domain::InvalidInput;
use crate::domain::version::PreconditionFailed;

/// The ways a registry use case can fail. The registry's use cases (create, read, update,
/// delete of administrations, workshops, participants, keys) share these outcomes, so they
/// share the type; workflows with their own rules get their own enums.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    #[error("{detail}")]
    Conflict {
        field: Option<String>,
        detail: String,
    },
    #[error(transparent)]
    PreconditionFailed(#[from] PreconditionFailed),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ServiceError {
    pub fn conflict(field: &str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            field: Some(field.to_owned()),
            detail: detail.into(),
        }
    }

    pub fn not_found(what: &str, key: impl std::fmt::Display) -> Self {
        Self::NotFound(format!("{what} {key} does not exist"))
    }
}

impl From<DbErr> for ServiceError {
    /// Constraint violations that slipped past a use case's own checks (two requests racing)
    /// are conflicts, never internal errors.
    fn from(error: DbErr) -> Self {
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::Conflict {
                field: None,
                detail: "a record with the same unique values already exists".into(),
            },
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => Self::Conflict {
                field: None,
                detail:
                    "the record is referenced by, or refers to, records that prevent this change"
                        .into(),
            },
            _ => Self::Unexpected(anyhow::Error::new(error).context("database operation failed")),
        }
    }
}

/// Result of a use case that lists records one page at a time.
#[derive(Debug)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub total: u64,
}

impl<T> Listing<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Listing<U> {
        Listing {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
        }
    }
}

/// One page of `query` and the count over all pages.
pub async fn page_of<'db, C, Q>(
    query: Q,
    db: &'db C,
    page: PageRequest,
) -> Result<Listing<<Q::Selector as SelectorTrait>::Item>, ServiceError>
where
    C: ConnectionTrait,
    Q: PaginatorTrait<'db, C>,
{
    let paginator = query.paginate(db, page.per_page);
    let total = paginator.num_items().await?;
    let items = paginator.fetch_page(page.index()).await?;
    Ok(Listing { items, total })
}

/// Reads the record a use case is about to change. On PostgreSQL its row stays locked until
/// the transaction ends, so the version an `If-Match` precondition checks is the version the
/// change replaces; SQLite's write transactions run one at a time anyway.
pub async fn lock_by_id<E>(
    db: &impl ConnectionTrait,
    what: &str,
    id: i32,
) -> Result<E::Model, ServiceError>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    lock(E::find_by_id(id), db)
        .await?
        .ok_or_else(|| ServiceError::not_found(what, id))
}

/// The first record `query` finds, its row locked as in [`lock_by_id`].
pub async fn lock<E: EntityTrait>(
    query: Select<E>,
    db: &impl ConnectionTrait,
) -> Result<Option<E::Model>, DbErr> {
    query.lock_exclusive().one(db).await
}

/// The current time at the precision both databases store (microseconds), so a record
/// reads back exactly as it was written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Case-insensitive "contains" over several text columns, the same on PostgreSQL and SQLite.
pub fn text_search<C: IntoColumnRef + Copy>(columns: &[C], query: &str) -> Condition {
    let escaped = query
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    columns.iter().fold(Condition::any(), |condition, column| {
        condition.add(
            Expr::expr(Func::lower(Expr::col(*column)))
                .like(LikeExpr::new(pattern.clone()).escape('\\')),
        )
    })
}
