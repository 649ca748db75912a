//! Connecting to the database (PostgreSQL, or the embedded SQLite file), migrating it and
//! starting write transactions that behave the same on both, and within a request whose
//! response is kept with its effect, inside that request's transaction.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use secrecy::ExposeSecret;

use std::os::unix::fs::PermissionsExt;

use crate::config::DatabaseSettings;
use crate::config::private_dir;

/// Opens a pool on the configured database.
pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    let url = settings.url();
    let is_sqlite = url.expose_secret().starts_with("sqlite:");
    let embedded = settings.sqlite_file();
    if let Some(dir) = embedded.as_deref().and_then(std::path::Path::parent) {
        private_dir(dir)?;
    }
    let mut options = ConnectOptions::new(url.expose_secret().to_owned());
    options
        .max_connections(settings.max_connections)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(settings.acquire_timeout_secs))
        // A connection in use under load is not pinged before each transaction (a round
        // trip each); one idle for a second is, so connections that died while PostgreSQL
        // restarted are replaced before a request gets them.
        .test_before_acquire_if_idle_for(Duration::from_secs(1))
        .sqlx_logging(false);
    if is_sqlite {
        // WAL lets readers run beside the one writer; write transactions start IMMEDIATE
        // (see `begin`) and wait for each other up to the busy timeout.
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
                // Freed space is overwritten: erased personal data leaves no copy in the file.
                .pragma("secure_delete", "ON")
        });
    }
    let db = Database::connect(options)
        .await
        .context("connecting to the database")?;
    if let Some(file) = embedded {
        // The embedded database holds personal data: its owner reads it, nobody else.
        // SQLite gives its -wal and -shm files the same permissions.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("restricting {}", file.display()))?;
    }
    Ok(db)
}

/// Applies pending schema migrations.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("migrating the database schema")
}

tokio::task_local! {
    /// The transaction of the request being served, when the request's response is kept
    /// with its effect (`Idempotency-Key`, `crate::http::idempotency`).
    static REQUEST_TRANSACTION: RequestTransaction;
}

/// A request's transaction, and what is to be done once it committed.
struct RequestTransaction {
    transaction: Arc<DatabaseTransaction>,
    after_commit: Arc<Mutex<Vec<AfterCommit>>>,
}

/// Work for once a transaction committed (files of erased data removed, say).
pub type AfterCommit = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Starts a transaction for a use case that writes. On SQLite it takes the write lock at
/// once, so two writers queue instead of failing on lock upgrade; PostgreSQL ignores the
/// mode. Within [`within_request_transaction`] it is a savepoint of the request's
/// transaction: the use case's effect commits when the request's does.
pub async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    if let Ok(request) = REQUEST_TRANSACTION.try_with(|r| Arc::clone(&r.transaction)) {
        return request.begin().await;
    }
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Runs `work` (a request's handling) with `transaction` as the one every use case in it
/// writes in ([`begin`]); gives the transaction back for its caller to commit or roll back,
/// with what is to run once it committed ([`after_commit`]).
pub async fn within_request_transaction<F: Future>(
    transaction: DatabaseTransaction,
    work: F,
) -> (F::Output, DatabaseTransaction, Vec<AfterCommit>) {
    let shared = Arc::new(transaction);
    let after_commit = Arc::new(Mutex::new(Vec::new()));
    let request = RequestTransaction {
        transaction: shared.clone(),
        after_commit: after_commit.clone(),
    };
    let output = REQUEST_TRANSACTION.scope(request, work).await;
    let transaction = Arc::into_inner(shared)
        .expect("the request's use cases are done with its transaction once it has answered");
    let jobs = std::mem::take(&mut *after_commit.lock().unwrap_or_else(|e| e.into_inner()));
    (output, transaction, jobs)
}

/// Runs `job` once what the calling use case wrote is committed: at once, or after the
/// request's transaction when the use case runs within one.
pub async fn after_commit(job: impl Future<Output = ()> + Send + 'static) {
    let mut job = Some(job);
    let _ = REQUEST_TRANSACTION.try_with(|request| {
        if let Some(job) = job.take() {
            let mut jobs = request
                .after_commit
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            jobs.push(Box::pin(job));
        }
    });
    if let Some(job) = job {
        job.await;
    }
}
