//! One counter, `analytics_epoch`, raised in the same transaction by every write to a table
//! whose text a closed round's report prints besides its counts (rounds, workshops,
//! administrations, good practices, the workshops of rounds), by triggers, so no code path
//! (nor another instance, nor a hand-written UPDATE) can forget it. Each instance keeps a
//! closed round's whole report response in memory with the epoch it was computed at and
//! serves it while one indexed look-up (`analytics_epoch` by its primary key, joined with the
//! round by its own) still reads the same epoch. A closed round's counts never change.
//!
//! Removed by migration 15, with the copies it served.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables whose writes raise the epoch.
const WATCHED: [&str; 5] = [
    "rounds",
    "workshops",
    "administrations",
    "good_practices",
    "round_workshops",
];

fn postgres_up() -> String {
    let mut sql = String::from(
        "CREATE TABLE analytics_epoch (id INTEGER PRIMARY KEY, value BIGINT NOT NULL); \
         INSERT INTO analytics_epoch (id, value) VALUES (1, 0); \
         CREATE FUNCTION raise_analytics_epoch() RETURNS trigger AS $$ \
         BEGIN UPDATE analytics_epoch SET value = value + 1 WHERE id = 1; RETURN NULL; END \
         $$ LANGUAGE plpgsql; ",
    );
    for table in WATCHED {
        sql.push_str(&format!(
            "CREATE TRIGGER trg_{table}_analytics_epoch AFTER INSERT OR UPDATE OR DELETE ON {table} \
             FOR EACH STATEMENT EXECUTE FUNCTION raise_analytics_epoch(); "
        ));
    }
    sql
}

fn sqlite_up() -> String {
    let mut sql = String::from(
        "CREATE TABLE analytics_epoch (id INTEGER PRIMARY KEY, value INTEGER NOT NULL); \
         INSERT INTO analytics_epoch (id, value) VALUES (1, 0); ",
    );
    for table in WATCHED {
        for event in ["INSERT", "UPDATE", "DELETE"] {
            sql.push_str(&format!(
                "CREATE TRIGGER trg_{table}_analytics_epoch_{} AFTER {event} ON {table} \
                 BEGIN UPDATE analytics_epoch SET value = value + 1 WHERE id = 1; END; ",
                event.to_lowercase()
            ));
        }
    }
    sql
}

fn down(backend: DatabaseBackend) -> String {
    let mut sql = String::new();
    for table in WATCHED {
        match backend {
            DatabaseBackend::Postgres => sql.push_str(&format!(
                "DROP TRIGGER IF EXISTS trg_{table}_analytics_epoch ON {table}; "
            )),
            _ => {
                for event in ["insert", "update", "delete"] {
                    sql.push_str(&format!(
                        "DROP TRIGGER IF EXISTS trg_{table}_analytics_epoch_{event}; "
                    ));
                }
            }
        }
    }
    if backend == DatabaseBackend::Postgres {
        sql.push_str("DROP FUNCTION IF EXISTS raise_analytics_epoch(); ");
    }
    sql.push_str("DROP TABLE IF EXISTS analytics_epoch");
    sql
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let sql = match db.get_database_backend() {
            DatabaseBackend::Postgres => postgres_up(),
            _ => sqlite_up(),
        };
        db.execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&down(db.get_database_backend()))
            .await?;
        Ok(())
    }
}
