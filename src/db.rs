//! Connecting to the database (PostgreSQL, or the embedded SQLite file), migrating it and
//! starting write transactions that behave the same on both.

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

/// Starts a transaction for a use case that writes. On SQLite it takes the write lock at
/// once, so two writers queue instead of failing on lock upgrade; PostgreSQL ignores the mode.
pub async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}
