//! Computed figures of closed rounds, kept in memory.
//!
//! A closed round is history: it takes no replies, imports, invitations, links or schedule
//! changes, and no state leads out of `closed`. Its counts are therefore fixed, and what its
//! tables print besides counts (the round's, its workshops' and the administrations' names,
//! and the previous round the report compares with) is read on every request and written
//! into the entry's key. An edit to any of these makes the next request a miss, never a
//! stale answer, and every instance reaches the same figures as the database holds them.
//! Open and scheduled rounds' figures are always computed afresh, from their counted facts
//! (kept while the round's change count holds, `super::kept_facts`).
//!
//! Beside the figures, each instance keeps a closed round's whole report response (JSON,
//! HTML, each table's CSV, the workbook) with the analytics epoch it was made at: a counter
//! every write to rounds, workshops, administrations, good practices and the workshops of
//! rounds raises in its own transaction (triggers of migration 10, so writes of other
//! instances count too). A response is served from memory while the epoch is unchanged:
//! one indexed look-up a request, or none while no change of the epoch can have gone
//! unheard (PostgreSQL notifies every instance of each raise, `crate::base::changes`).

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use entity::administration;
use entity::round::{self, RoundState};
use hashlink::LruCache;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use super::context::RoundContext;
use super::kept_facts::KeptFacts;
use super::report::Figures;
use super::trends::Trends;
use crate::base::error::ServiceError;
use crate::domain::version::EntityTag;

/// What a cached entry was computed from; an entry answers only the same key.
type Key = String;

/// Entries by what they are about (a round, or the rounds of a trend), each with its key.
type Entries<K, V> = Mutex<LruCache<K, (Key, Arc<V>)>>;

/// A kept response's body, with its entity tag digested once when it was kept (rather than
/// on every response: a report is some 300 KB).
#[derive(Debug, Clone)]
pub struct KeptResponse {
    pub body: Arc<[u8]>,
    pub tag: EntityTag,
}

/// A response, the analytics epoch it was made at, and the generation of changes
/// (`crate::base::changes`) at which that epoch was last read.
#[derive(Debug, Clone)]
struct Made {
    epoch: i64,
    response: KeptResponse,
    checked_at: Option<u64>,
}

/// Least recently used entries beyond the capacity are dropped.
#[derive(Debug)]
pub struct AnalyticsCache {
    /// The counted facts of closed rounds: what their reports and the trends over them, and
    /// the reports of the rounds after them, are computed from.
    pub facts: KeptFacts,
    reports: Entries<i32, Figures>,
    trends: Entries<Vec<i32>, Trends>,
    /// Whole responses by round and variant (`json`, `html`, `csv:4`, `xlsx`), with the
    /// epoch they were made at.
    responses: Mutex<LruCache<(i32, String), Made>>,
    capacity: usize,
}

impl AnalyticsCache {
    /// Keeps the figures of up to `rounds` closed rounds (and as many trend ranges); 0 keeps
    /// nothing.
    pub fn new(rounds: usize) -> Self {
        Self {
            facts: KeptFacts::new(rounds),
            reports: Mutex::new(LruCache::new(rounds.max(1))),
            trends: Mutex::new(LruCache::new(rounds.max(1))),
            responses: Mutex::new(LruCache::new(rounds.max(1) * 4)),
            capacity: rounds,
        }
    }

    /// The key of a round's figures, or `None` when they may still change: the round or the
    /// round it is compared with is not closed.
    pub async fn report_key(
        &self,
        db: &impl ConnectionTrait,
        context: &RoundContext,
        previous: Option<&round::Model>,
    ) -> Result<Option<Key>, ServiceError> {
        let settled = |r: &round::Model| r.state == RoundState::Closed;
        if self.capacity == 0 || !settled(&context.round) || !previous.is_none_or(settled) {
            return Ok(None);
        }
        let administrations = administration::Entity::find()
            .order_by_asc(administration::Column::Id)
            .all(db)
            .await?;
        Ok(Some(key_of(&[
            &context.round,
            &previous,
            &context.workshops,
            &administrations,
        ])))
    }

    /// The key of the trends over `rounds`, or `None` unless every one is closed. Trends
    /// print only the rounds' own names besides counts.
    pub fn trends_key(&self, rounds: &[round::Model]) -> Option<Key> {
        (self.capacity > 0 && rounds.iter().all(|r| r.state == RoundState::Closed))
            .then(|| key_of(&[&rounds]))
    }

    /// The response `variant` of round `round_id` made at `epoch`, when this instance keeps
    /// one; it is then known to hold at `generation` too.
    pub fn response(
        &self,
        round_id: i32,
        variant: &str,
        epoch: i64,
        generation: Option<u64>,
    ) -> Option<KeptResponse> {
        let mut map = self.lock_responses();
        let hit = match map.get_mut(&(round_id, variant.to_owned())) {
            Some(made) if made.epoch == epoch => {
                made.checked_at = generation;
                Some(made.response.clone())
            }
            _ => None,
        };
        count_response(hit.is_some());
        hit
    }

    /// The response `variant` of round `round_id` when its epoch was read at `generation`:
    /// no change can have happened since.
    pub fn response_unchanged(
        &self,
        round_id: i32,
        variant: &str,
        generation: u64,
    ) -> Option<KeptResponse> {
        let mut map = self.lock_responses();
        let hit = match map.get(&(round_id, variant.to_owned())) {
            Some(made) if made.checked_at == Some(generation) => Some(made.response.clone()),
            _ => None,
        };
        if hit.is_some() {
            count_response(true);
        }
        hit
    }

    /// Keeps a settled round's response made at `epoch`, read at `generation`, and gives it
    /// back with its tag (not kept when the cache is off).
    pub fn keep_response(
        &self,
        (round_id, variant): (i32, String),
        epoch: i64,
        generation: Option<u64>,
        body: Arc<[u8]>,
    ) -> KeptResponse {
        let response = KeptResponse {
            tag: EntityTag::of_bytes(&body),
            body,
        };
        if self.capacity > 0 {
            let made = Made {
                epoch,
                response: response.clone(),
                checked_at: generation,
            };
            self.lock_responses().insert((round_id, variant), made);
        }
        response
    }

    fn lock_responses(&self) -> std::sync::MutexGuard<'_, LruCache<(i32, String), Made>> {
        self.responses
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn report(&self, round_id: i32, key: &Key) -> Option<Arc<Figures>> {
        lookup(&self.reports, &round_id, key)
    }

    pub fn keep_report(&self, round_id: i32, key: Key, figures: Arc<Figures>) {
        keep(&self.reports, round_id, key, figures);
    }

    pub fn trends(&self, rounds: &[round::Model], key: &Key) -> Option<Arc<Trends>> {
        lookup(&self.trends, &ids(rounds), key)
    }

    pub fn keep_trends(&self, rounds: &[round::Model], key: Key, trends: Arc<Trends>) {
        keep(&self.trends, ids(rounds), key, trends);
    }
}

fn ids(rounds: &[round::Model]) -> Vec<i32> {
    rounds.iter().map(|r| r.id).collect()
}

/// Every field of every part, as `Debug` prints it: exact, and cheap beside the queries it
/// saves.
fn key_of(parts: &[&dyn Debug]) -> Key {
    parts
        .iter()
        .map(|p| format!("{p:?}"))
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

fn lookup<K: std::hash::Hash + Eq, V>(map: &Entries<K, V>, id: &K, key: &Key) -> Option<Arc<V>> {
    let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match map.get(id) {
        Some((stored, value)) if stored == key => {
            metrics::counter!("analytics_cache_hits_total").increment(1);
            Some(value.clone())
        }
        _ => {
            metrics::counter!("analytics_cache_misses_total").increment(1);
            None
        }
    }
}

fn keep<K: std::hash::Hash + Eq, V>(map: &Entries<K, V>, id: K, key: Key, value: Arc<V>) {
    map.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(id, (key, value));
}

fn count_response(hit: bool) {
    let outcome = if hit { "hit" } else { "miss" };
    metrics::counter!("analytics_response_cache_total", "outcome" => outcome).increment(1);
}
