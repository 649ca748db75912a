//! Which officer a mail was addressed to, and which officer submitted a revision through
//! their link: personal-data export and erasure then follow the officer, not the
//! invitation, which a hand-over gives to someone else. Older rows have none.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Mailings::Table)
                    .add_column(integer_null(Mailings::ParticipantId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ReplyRevisions::Table)
                    .add_column(integer_null(ReplyRevisions::ParticipantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mailings_participant")
                    .table(Mailings::Table)
                    .col(Mailings::ParticipantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_reply_revisions_participant")
                    .table(ReplyRevisions::Table)
                    .col(ReplyRevisions::ParticipantId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_reply_revisions_participant")
                    .table(ReplyRevisions::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_mailings_participant")
                    .table(Mailings::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ReplyRevisions::Table)
                    .drop_column(ReplyRevisions::ParticipantId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Mailings::Table)
                    .drop_column(Mailings::ParticipantId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Mailings {
    Table,
    ParticipantId,
}

#[derive(DeriveIden)]
enum ReplyRevisions {
    Table,
    ParticipantId,
}
