//! Each instance keeps in memory what it reads on nearly every request of some kinds: the
//! active webhook endpoints (a reply's events), API keys (every staff request), and
//! whether a closed round's kept report still holds (`followup::base::changes`). On
//! PostgreSQL statement triggers send `NOTIFY followup_changes` with every write to
//! `webhooks`, to `api_keys` (but for `last_used_at`, refreshed once a minute) and to
//! `analytics_epoch` (raised by every write a closed round's report depends on, migration
//! 10), delivered at commit to every instance's `LISTEN` connection, which then reads its
//! copies again. No code path (nor another instance, nor a hand-written UPDATE) can forget
//! it. SQLite serves one embedded instance, which hears its own writes.
//!
//! Removed by migration 15, with the copies it served.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The channel is `followup::base::changes::CHANNEL`.
const UP: &str = "CREATE FUNCTION notify_changes() RETURNS trigger AS $$ \
     BEGIN PERFORM pg_notify('followup_changes', TG_TABLE_NAME); RETURN NULL; END \
     $$ LANGUAGE plpgsql; \
     CREATE TRIGGER trg_webhooks_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON webhooks \
     FOR EACH STATEMENT EXECUTE FUNCTION notify_changes(); \
     CREATE TRIGGER trg_api_keys_notify \
     AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF id, name, role, prefix, key_hash, created_at, revoked_at \
     ON api_keys FOR EACH STATEMENT EXECUTE FUNCTION notify_changes(); \
     CREATE TRIGGER trg_analytics_epoch_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE \
     ON analytics_epoch FOR EACH STATEMENT EXECUTE FUNCTION notify_changes();";

const DOWN: &str = "DROP TRIGGER IF EXISTS trg_webhooks_notify ON webhooks; \
     DROP TRIGGER IF EXISTS trg_api_keys_notify ON api_keys; \
     DROP TRIGGER IF EXISTS trg_analytics_epoch_notify ON analytics_epoch; \
     DROP FUNCTION IF EXISTS notify_changes();";

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
