//! The analytics epoch (migration 10), the change notices (migration 11) and the rounds'
//! change counts (migration 13) are gone: they served copies of keys, webhook endpoints,
//! figures and report responses that instances kept in memory, and nothing is kept there
//! any more. Every request reads what it needs from the database, so no write needs to
//! raise a counter or notify anyone. `up` undoes those migrations, `down` makes them again,
//! each through the migration's own statements.
use sea_orm_migration::prelude::*;

use crate::{
    m20261130_000010_analytics_epoch as analytics_epoch,
    m20261130_000011_change_notices as change_notices,
    m20261130_000013_round_changes as round_changes,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The change counts' triggers use the epoch's function: they go first.
        round_changes::Migration.down(manager).await?;
        change_notices::Migration.down(manager).await?;
        analytics_epoch::Migration.down(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        analytics_epoch::Migration.up(manager).await?;
        change_notices::Migration.up(manager).await?;
        round_changes::Migration.up(manager).await
    }
}
