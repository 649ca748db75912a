//! The counted facts of rounds, kept in memory.
//!
//! - A closed round takes no replies, so its facts change only by a hand-written repair,
//!   which comes with a new analytics epoch (`super::cache`): they are kept by the round's
//!   closing time and the epoch.
//! - An open (or scheduled) round's facts are kept by the round's change count and the
//!   epoch: `round_changes` (migration 13) grows in the same transaction as every write of
//!   an invitation, reply, answer or choice of the round, by triggers, so the writes of
//!   another instance and hand-written ones count too. Both are read before the facts, in one
//!   statement with the round's state ([`Stamp`], which the report's route reads first
//!   anyway). While the count holds, no such write has committed since the facts were read,
//!   and they are served from memory; once it moves they are read again. The figures are
//!   still computed from the facts on every request.
//!
//! Only reads through the pool use and keep an open round's facts: a transaction sees its
//! own uncommitted writes (and their counts), which must never be kept for others.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use entity::round::{self, RoundState};
use hashlink::LruCache;
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};

use super::round_data::RoundData;

/// Where a round's facts are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Through the pool, with the analytics epoch when the caller just read it.
    Pooled { epoch: Option<i64> },
    /// Through the pool, with the stamp of the round asked for, read by the caller before
    /// any of its facts.
    Stamped(Stamp),
    /// In the caller's transaction: an open round's facts are read, never kept.
    InTransaction,
}

/// A round's state, the analytics epoch and the round's change count, read together in one
/// statement of primary-key look-ups (the epoch's row, the round's, and the round's slots of
/// `round_changes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub round_id: i32,
    pub closed: bool,
    pub epoch: i64,
    pub changes: i64,
}

impl Stamp {
    /// The stamp of round `round_id`; `None` when there is no such round.
    pub async fn read(db: &impl ConnectionTrait, round_id: i32) -> Result<Option<Self>, DbErr> {
        let backend = db.get_database_backend();
        let parameter = match backend {
            DatabaseBackend::Postgres => "$1",
            _ => "?",
        };
        let sql = format!(
            "SELECT rounds.state, (SELECT value FROM analytics_epoch WHERE id = 1) AS epoch, \
               (SELECT CAST(COALESCE(SUM(value), 0) AS BIGINT) FROM round_changes \
                WHERE round_changes.round_id = rounds.id) AS changes \
             FROM rounds WHERE rounds.id = {parameter}"
        );
        let statement = Statement::from_sql_and_values(backend, sql, [round_id.into()]);
        let Some(row) = db.query_one_raw(statement).await? else {
            return Ok(None);
        };
        let state: String = row.try_get("", "state")?;
        Ok(Some(Self {
            round_id,
            closed: state == crate::domain::wire_name(RoundState::Closed),
            epoch: row.try_get::<Option<i64>>("", "epoch")?.unwrap_or(0),
            changes: row.try_get("", "changes")?,
        }))
    }
}

/// What kept facts were read at; they answer only the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Closed {
        closed_at: Option<DateTime<Utc>>,
        epoch: i64,
    },
    Live {
        changes: i64,
        epoch: i64,
    },
}

/// Up to a number of rounds' facts, least recently used dropped first.
#[derive(Debug)]
pub struct KeptFacts {
    entries: Mutex<LruCache<i32, (Key, Arc<RoundData>)>>,
    capacity: usize,
}

impl KeptFacts {
    /// Keeps up to `rounds` rounds' facts; 0 keeps nothing.
    pub fn new(rounds: usize) -> Self {
        Self {
            entries: Mutex::new(LruCache::new(rounds.max(1))),
            capacity: rounds,
        }
    }

    /// Whether anything is kept.
    pub fn is_on(&self) -> bool {
        self.capacity > 0
    }

    /// The analytics epoch, for [`KeptFacts::round_data`]: one primary-key look-up.
    pub async fn epoch(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
        use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
        let query = Query::select()
            .column(Alias::new("value"))
            .from(Alias::new("analytics_epoch"))
            .and_where(Expr::col(Alias::new("id")).eq(1))
            .to_owned();
        let row = db.query_one(&query).await?;
        row.map_or(Ok(0), |row| row.try_get("", "value"))
    }

    /// The counted facts of `round`: kept when they are known unchanged, else read (and
    /// kept, when `reading` allows).
    pub async fn round_data(
        &self,
        db: &impl ConnectionTrait,
        round: &round::Model,
        reading: Reading,
    ) -> Result<Arc<RoundData>, DbErr> {
        let key = if self.capacity == 0 {
            None
        } else if round.state == RoundState::Closed {
            let epoch = match reading {
                Reading::Pooled { epoch: Some(epoch) } => epoch,
                Reading::Stamped(stamp) => stamp.epoch,
                _ => Self::epoch(db).await?,
            };
            Some(Key::Closed {
                closed_at: round.closed_at,
                epoch,
            })
        } else {
            match reading {
                Reading::InTransaction => None,
                Reading::Stamped(stamp) if stamp.round_id == round.id => Some(stamp.into()),
                _ => match Stamp::read(db, round.id).await? {
                    Some(stamp) => Some(stamp.into()),
                    None => return Err(DbErr::RecordNotFound(format!("round {}", round.id))),
                },
            }
        };
        let Some(key) = key else {
            return Ok(Arc::new(RoundData::load(db, round.id).await?));
        };
        if let Some((kept, data)) = self.lock().get(&round.id)
            && *kept == key
        {
            metrics::counter!("analytics_facts_total", "outcome" => "kept").increment(1);
            return Ok(data.clone());
        }
        metrics::counter!("analytics_facts_total", "outcome" => "read").increment(1);
        let data = Arc::new(RoundData::load(db, round.id).await?);
        self.lock().insert(round.id, (key, data.clone()));
        Ok(data)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<i32, (Key, Arc<RoundData>)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl From<Stamp> for Key {
    fn from(stamp: Stamp) -> Self {
        Self::Live {
            changes: stamp.changes,
            epoch: stamp.epoch,
        }
    }
}
