//! A round's report lists its approved good practices, read on every report of an open
//! round (`followup::analytics::report::approved_practices`). Found through this index
//! on the round (a bitmap scan of the round's rows, then a sort of the few approved), they
//! cost what the round holds, not what the other rounds of a decade hold: before, every
//! report scanned the good practices of every round.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = "CREATE INDEX idx_good_practices_round ON good_practices (round_id, category, id)";

const DOWN: &str = "DROP INDEX IF EXISTS idx_good_practices_round";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(UP).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(DOWN).await?;
        Ok(())
    }
}
