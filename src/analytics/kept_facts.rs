//! The counted facts of closed rounds, kept in memory: a closed round takes no replies, so
//! its facts change only by a hand-written repair, which comes with a new analytics epoch
//! (`super::cache`). The report of the round after it, and the trends over it, then read
//! only the rounds still open.

use std::sync::{Arc, Mutex};

use entity::round::{self, RoundState};
use hashlink::LruCache;
use sea_orm::{ConnectionTrait, DbErr};

use super::round_data::RoundData;

/// Up to a number of closed rounds' facts, least recently used dropped first; each with
/// the round's closing time and the epoch it was read at.
#[derive(Debug)]
pub struct KeptFacts {
    entries: Mutex<LruCache<i32, (Key, Arc<RoundData>)>>,
    capacity: usize,
}

type Key = (Option<chrono::DateTime<chrono::Utc>>, i64);

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

    /// The counted facts of `round`: kept when it is closed, else read. The `epoch` is
    /// read here when not given and needed.
    pub async fn round_data(
        &self,
        db: &impl ConnectionTrait,
        round: &round::Model,
        epoch: Option<i64>,
    ) -> Result<Arc<RoundData>, DbErr> {
        if self.capacity == 0 || round.state != RoundState::Closed {
            return Ok(Arc::new(RoundData::load(db, round.id).await?));
        }
        let epoch = match epoch {
            Some(epoch) => epoch,
            None => Self::epoch(db).await?,
        };
        let key = (round.closed_at, epoch);
        if let Some((kept, data)) = self.lock().get(&round.id)
            && *kept == key
        {
            return Ok(data.clone());
        }
        let data = Arc::new(RoundData::load(db, round.id).await?);
        self.lock().insert(round.id, (key, data.clone()));
        Ok(data)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<i32, (Key, Arc<RoundData>)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
