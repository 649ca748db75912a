//! The active webhook endpoints, kept in memory so that the events of a reply are fanned
//! out without reading the `webhooks` table on every submission.
//!
//! The copy is forgotten whenever the table may have changed: by this instance after it
//! writes an endpoint ([`Directory::forget`]), and on PostgreSQL by a `LISTEN` connection
//! that hears the `NOTIFY` a statement trigger sends at the commit of any write, from any
//! instance (migration `m20261130_000011_webhooks_notify`). While that connection is down
//! (at start, or PostgreSQL restarting) the copy is not used and every fan-out reads the
//! table, and it is forgotten once the connection is back, as notifications may have been
//! missed meanwhile. An endpoint created on another instance reaches this one's fan-outs
//! once its notification arrives (milliseconds after its commit). SQLite serves one
//! embedded instance, whose own writes are all there is to hear.
//!
//! A copy read while the table changed is never kept: a generation counter, raised by every
//! forgetting, must be the same before and after the read.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entity::webhook;
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter,
};

/// The channel the trigger notifies.
pub const CHANNEL: &str = "followup_webhooks";

/// How long the listener waits before connecting again after losing its connection.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// This instance's copy of the active endpoints; clones share it.
#[derive(Debug, Clone)]
pub struct Directory {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    generation: AtomicU64,
    /// Whether the copy may be used: always on SQLite, while listening on PostgreSQL.
    trusted: AtomicBool,
    kept: Mutex<Option<Kept>>,
}

#[derive(Debug)]
struct Kept {
    generation: u64,
    endpoints: Arc<Vec<webhook::Model>>,
}

impl Directory {
    /// A directory for `backend`: on PostgreSQL its copy is used only once [`Directory::listen`]
    /// has connected.
    pub fn new(backend: DatabaseBackend) -> Self {
        Self {
            inner: Arc::new(Inner {
                generation: AtomicU64::new(0),
                trusted: AtomicBool::new(backend != DatabaseBackend::Postgres),
                kept: Mutex::new(None),
            }),
        }
    }

    /// Whether fan-outs use the copy (on PostgreSQL, only while listening for changes).
    pub fn in_use(&self) -> bool {
        self.inner.trusted.load(Ordering::Acquire)
    }

    /// Drops the copy: the next fan-out reads the table.
    pub fn forget(&self) {
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        *self.lock() = None;
    }

    /// The active endpoints: the copy when it may be used, else read (and kept when the
    /// table did not change meanwhile).
    pub async fn active(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<Arc<Vec<webhook::Model>>, DbErr> {
        let generation = self.inner.generation.load(Ordering::Acquire);
        let trusted = self.inner.trusted.load(Ordering::Acquire);
        if trusted
            && let Some(kept) = self.lock().as_ref()
            && kept.generation == generation
        {
            return Ok(kept.endpoints.clone());
        }
        let endpoints = Arc::new(read_active(db).await?);
        if trusted && self.inner.trusted.load(Ordering::Acquire) {
            let mut kept = self.lock();
            if self.inner.generation.load(Ordering::Acquire) == generation {
                *kept = Some(Kept {
                    generation,
                    endpoints: endpoints.clone(),
                });
            }
        }
        Ok(endpoints)
    }

    /// On PostgreSQL, listens for changes made by any instance until the runtime stops,
    /// connecting again whenever the connection is lost. Nothing to do on SQLite.
    pub fn listen(&self, db: &DatabaseConnection) {
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return;
        }
        let pool = db.get_postgres_connection_pool().clone();
        let directory = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(error) = directory.listen_once(&pool).await {
                    tracing::warn!(%error, "webhook endpoints: not listening for changes");
                }
                directory.distrust();
                tokio::time::sleep(RECONNECT_DELAY).await;
            }
        });
    }

    /// One connection's life: trusted from `LISTEN` until the connection is lost.
    async fn listen_once(&self, pool: &sea_orm::sqlx::PgPool) -> Result<(), sea_orm::sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        self.forget();
        self.inner.trusted.store(true, Ordering::Release);
        // `try_recv` answers `None` when the connection was lost.
        while listener.try_recv().await?.is_some() {
            self.forget();
        }
        Ok(())
    }

    fn distrust(&self) {
        self.inner.trusted.store(false, Ordering::Release);
        self.forget();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Kept>> {
        self.inner.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

async fn read_active(db: &impl ConnectionTrait) -> Result<Vec<webhook::Model>, DbErr> {
    webhook::Entity::find()
        .filter(webhook::Column::Active.eq(true))
        .all(db)
        .await
}
