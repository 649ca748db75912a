//! A workshop's topic becomes optional (its venue already was): the records of a decade of
//! workshops often lack one. PostgreSQL drops the constraint; SQLite, which cannot alter a
//! column, gets a nullable copy in its place. Down, a missing topic becomes empty text.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite: replace column `topic` by a copy declared `declaration`, filled by `value`.
fn sqlite_replace_topic(declaration: &str, value: &str) -> String {
    format!(
        "ALTER TABLE workshops ADD COLUMN topic_replacement {declaration}; \
         UPDATE workshops SET topic_replacement = {value}; \
         ALTER TABLE workshops DROP COLUMN topic; \
         ALTER TABLE workshops RENAME COLUMN topic_replacement TO topic"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let sql = match db.get_database_backend() {
            DatabaseBackend::Postgres => "ALTER TABLE workshops ALTER COLUMN topic DROP NOT NULL; \
                 UPDATE workshops SET topic = NULL WHERE topic = ''"
                .to_owned(),
            _ => sqlite_replace_topic("TEXT NULL", "NULLIF(topic, '')"),
        };
        db.execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let sql = match db.get_database_backend() {
            DatabaseBackend::Postgres => "UPDATE workshops SET topic = '' WHERE topic IS NULL; \
                 ALTER TABLE workshops ALTER COLUMN topic SET NOT NULL"
                .to_owned(),
            _ => sqlite_replace_topic("TEXT NOT NULL DEFAULT ''", "COALESCE(topic, '')"),
        };
        db.execute_unprepared(&sql).await?;
        Ok(())
    }
}
