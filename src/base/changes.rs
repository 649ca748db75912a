//! What an instance keeps in memory about tables that other instances may write: the
//! active webhook endpoints, API keys, and whether a kept report response still holds.
//! Such a copy is used only while this instance is sure to hear of every change: each is
//! kept with the generation it was read at, and the generation is raised whenever one of
//! those tables may have changed.
//!
//! On PostgreSQL, statement triggers send `NOTIFY followup_changes` with every write to
//! `webhooks`, to `api_keys` (but for the last-use time) and to `analytics_epoch` (itself
//! raised by every write a closed round's report depends on), delivered at commit to every
//! instance's `LISTEN` connection (migration `m20261130_000011_change_notices`). While that
//! connection is down (at start, or PostgreSQL restarting) no copy is used, and the
//! generation is raised once it is back, as notices may have been missed meanwhile. A
//! change made on another instance reaches this one when its notice arrives, milliseconds
//! after its commit. SQLite serves one embedded instance, whose own writes (raised by
//! [`Changes::changed`]) are all there is to hear of the webhooks; API keys and reports are
//! not kept on SQLite, as the command line may write them beside the running service.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{DatabaseBackend, DatabaseConnection};

/// The channel the triggers notify.
pub const CHANNEL: &str = "followup_changes";

/// How long the listener waits before connecting again after losing its connection.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// This instance's view of changes; clones share it.
#[derive(Debug, Clone)]
pub struct Changes {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Whether other processes' changes are heard at all (PostgreSQL).
    listens: bool,
    generation: AtomicU64,
    /// Whether copies may be used: always on SQLite, while listening on PostgreSQL.
    heard: AtomicBool,
}

impl Changes {
    /// Changes of a database on `backend`: on PostgreSQL heard only once
    /// [`Changes::listen`] has connected.
    pub fn new(backend: DatabaseBackend) -> Self {
        Self {
            inner: Arc::new(Inner {
                listens: backend == DatabaseBackend::Postgres,
                generation: AtomicU64::new(0),
                heard: AtomicBool::new(backend != DatabaseBackend::Postgres),
            }),
        }
    }

    /// The current generation, when every change is heard; `None` while copies must not
    /// be used. A copy read after taking the generation is good while it stays the same.
    pub fn generation(&self) -> Option<u64> {
        let generation = self.inner.generation.load(Ordering::Acquire);
        self.inner
            .heard
            .load(Ordering::Acquire)
            .then_some(generation)
    }

    /// The current generation when changes made by other processes are heard too: on
    /// PostgreSQL while listening; never on SQLite, whose file the command line may write
    /// while the service runs (a key revoked there must stop working at once).
    pub fn generation_across_processes(&self) -> Option<u64> {
        self.generation().filter(|_| self.inner.listens)
    }

    /// Whether copies are used (on PostgreSQL, only while listening).
    pub fn heard(&self) -> bool {
        self.inner.heard.load(Ordering::Acquire)
    }

    /// This instance wrote one of the tables: every copy is read again.
    pub fn changed(&self) {
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// On PostgreSQL, listens for changes made by any instance until the runtime stops,
    /// connecting again whenever the connection is lost. Nothing to do on SQLite.
    pub fn listen(&self, db: &DatabaseConnection) {
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return;
        }
        let pool = db.get_postgres_connection_pool().clone();
        let changes = self.clone();
        tokio::spawn(async move {
            // A failure is logged once until listening works again, not every second.
            let mut told = false;
            loop {
                match changes.listen_once(&pool).await {
                    Ok(()) => {
                        tracing::warn!("the connection listening for changes was lost");
                        told = false;
                    }
                    Err(error) if !told => {
                        tracing::warn!(%error, "not listening for changes: copies kept in memory are not used");
                        told = true;
                    }
                    Err(error) => tracing::debug!(%error, "still not listening for changes"),
                }
                changes.inner.heard.store(false, Ordering::Release);
                changes.changed();
                tokio::time::sleep(RECONNECT_DELAY).await;
            }
        });
    }

    /// One connection's life: heard from `LISTEN` until the connection is lost.
    async fn listen_once(&self, pool: &sea_orm::sqlx::PgPool) -> Result<(), sea_orm::sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        self.changed();
        self.inner.heard.store(true, Ordering::Release);
        // `try_recv` answers `None` when the connection was lost.
        while listener.try_recv().await?.is_some() {
            self.changed();
        }
        Ok(())
    }
}

/// Whose changes a kind of copy must hear before it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// This process's, and on PostgreSQL every instance's ([`Changes::generation`]).
    ByThisProcess,
    /// Every process's, the command line's too ([`Changes::generation_across_processes`]).
    ByEveryProcess,
}

/// Copies of rows other instances may change, by key, each with the generation of changes
/// it was read at: a copy answers only while that generation is current. Clones share them.
#[derive(Debug, Clone)]
pub struct Copies<K, V> {
    changes: Changes,
    heard: Heard,
    kept: Arc<Mutex<HashMap<K, (u64, V)>>>,
}

impl<K: Hash + Eq, V: Clone> Copies<K, V> {
    pub fn new(changes: Changes, heard: Heard) -> Self {
        Self {
            changes,
            heard,
            kept: Arc::default(),
        }
    }

    /// The generation to read at and keep with, or `None` while copies must not be used;
    /// take it before reading.
    pub fn generation(&self) -> Option<u64> {
        match self.heard {
            Heard::ByThisProcess => self.changes.generation(),
            Heard::ByEveryProcess => self.changes.generation_across_processes(),
        }
    }

    /// The copy of `key` read at `generation`; copies of older generations are dropped.
    pub fn get(&self, key: &K, generation: u64) -> Option<V> {
        let mut kept = self.lock();
        match kept.get(key) {
            Some((at, value)) if *at == generation => Some(value.clone()),
            Some(_) => {
                kept.clear(); // every copy is older: each is read again
                None
            }
            None => None,
        }
    }

    /// Keeps `value`, read at `generation` (from [`Copies::generation`]).
    pub fn keep(&self, key: K, generation: u64, value: V) {
        self.lock().insert(key, (generation, value));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (u64, V)>> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}
