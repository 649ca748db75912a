//! Privacy: when a participant's name and email were erased, and when a sent mail's body
//! was purged under the retention setting; which link generation a mail carries (its
//! token is derived when the mail is sent, never stored).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Participants::Table)
                    .add_column(timestamp_with_time_zone_null(Participants::ErasedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Mailings::Table)
                    .add_column(timestamp_with_time_zone_null(Mailings::BodyPurgedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Mailings::Table)
                    .add_column(integer_null(Mailings::LinkGeneration))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Mailings::Table)
                    .drop_column(Mailings::LinkGeneration)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Mailings::Table)
                    .drop_column(Mailings::BodyPurgedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Participants::Table)
                    .drop_column(Participants::ErasedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Participants {
    Table,
    ErasedAt,
}

#[derive(DeriveIden)]
enum Mailings {
    Table,
    BodyPurgedAt,
    LinkGeneration,
}
