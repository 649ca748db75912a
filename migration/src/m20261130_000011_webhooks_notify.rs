//! Each instance keeps the active webhook endpoints in memory, so that a reply's events are
//! fanned out without reading the `webhooks` table (`followup::webhooks::directory`). On
//! PostgreSQL a statement trigger sends `NOTIFY followup_webhooks` with every write to the
//! table, delivered at commit to every instance's `LISTEN` connection, which then forgets
//! its copy; no code path (nor another instance, nor a hand-written UPDATE) can forget it.
//! SQLite serves one embedded instance, which forgets its copy when it writes the table.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The channel the trigger notifies; `followup::webhooks::directory::CHANNEL` listens on it.
const UP: &str = "CREATE FUNCTION notify_webhooks_changed() RETURNS trigger AS $$ \
     BEGIN PERFORM pg_notify('followup_webhooks', ''); RETURN NULL; END \
     $$ LANGUAGE plpgsql; \
     CREATE TRIGGER trg_webhooks_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON webhooks \
     FOR EACH STATEMENT EXECUTE FUNCTION notify_webhooks_changed();";

const DOWN: &str = "DROP TRIGGER IF EXISTS trg_webhooks_notify ON webhooks; \
     DROP FUNCTION IF EXISTS notify_webhooks_changed();";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared(UP).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared(DOWN).await?;
        }
        Ok(())
    }
}
