//! A reply is never deleted with its invitation: the foreign key from replies to
//! invitations restricts instead of cascading. PostgreSQL changes the constraint; SQLite,
//! which cannot alter one, gets a trigger with the same effect (its writes are serial, so
//! this is a second line there).
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_TRIGGER: &str = "CREATE TRIGGER IF NOT EXISTS trg_replies_keep_invitation \
     BEFORE DELETE ON invitations \
     WHEN EXISTS (SELECT 1 FROM replies WHERE invitation_id = OLD.id) \
     BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END";

/// The PostgreSQL constraint from replies to invitations with `on_delete`.
fn replies_foreign_key(on_delete: &str) -> String {
    format!(
        "ALTER TABLE replies DROP CONSTRAINT fk_replies_invitation; \
         ALTER TABLE replies ADD CONSTRAINT fk_replies_invitation \
         FOREIGN KEY (invitation_id) REFERENCES invitations (id) ON DELETE {on_delete}"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let sql = match db.get_database_backend() {
            DatabaseBackend::Postgres => replies_foreign_key("RESTRICT"),
            _ => SQLITE_TRIGGER.to_owned(),
        };
        db.execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let sql = match db.get_database_backend() {
            DatabaseBackend::Postgres => replies_foreign_key("CASCADE"),
            _ => "DROP TRIGGER IF EXISTS trg_replies_keep_invitation".to_owned(),
        };
        db.execute_unprepared(&sql).await?;
        Ok(())
    }
}
