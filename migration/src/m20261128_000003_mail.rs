//! The mail outbox, edited mail templates, and link generations of invitations.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Invitations::Table)
                    .add_column(integer(Invitations::TokenGeneration).default(0))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Mailings::Table)
                    .col(pk_auto(Mailings::Id))
                    .col(string_len(Mailings::Kind, 16))
                    .col(string_uniq(Mailings::DedupeKey))
                    .col(integer_null(Mailings::RoundId))
                    .col(integer_null(Mailings::InvitationId))
                    .col(string(Mailings::Recipient))
                    .col(text(Mailings::Subject))
                    .col(text(Mailings::BodyText))
                    .col(text(Mailings::BodyHtml))
                    .col(string_uniq(Mailings::MessageId))
                    .col(string_len(Mailings::Status, 16))
                    .col(integer(Mailings::Attempts))
                    .col(timestamp_with_time_zone(Mailings::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Mailings::LeasedUntil))
                    .col(text_null(Mailings::LastError))
                    .col(timestamp_with_time_zone(Mailings::CreatedAt))
                    .col(timestamp_with_time_zone_null(Mailings::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mailings_round")
                            .from(Mailings::Table, Mailings::RoundId)
                            .to(Rounds::Table, Rounds::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mailings_invitation")
                            .from(Mailings::Table, Mailings::InvitationId)
                            .to(Invitations::Table, Invitations::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mailings_due")
                    .table(Mailings::Table)
                    .col(Mailings::Status)
                    .col(Mailings::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mailings_invitation_kind")
                    .table(Mailings::Table)
                    .col(Mailings::InvitationId)
                    .col(Mailings::Kind)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MailTemplates::Table)
                    .col(string_len(MailTemplates::Kind, 16).primary_key())
                    .col(text(MailTemplates::Subject))
                    .col(text(MailTemplates::BodyText))
                    .col(text(MailTemplates::BodyHtml))
                    .col(timestamp_with_time_zone(MailTemplates::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MailTemplates::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Mailings::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Invitations::Table)
                    .drop_column(Invitations::TokenGeneration)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    TokenGeneration,
}

#[derive(DeriveIden)]
enum Rounds {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Mailings {
    Table,
    Id,
    Kind,
    DedupeKey,
    RoundId,
    InvitationId,
    Recipient,
    Subject,
    BodyText,
    BodyHtml,
    MessageId,
    Status,
    Attempts,
    NextAttemptAt,
    LeasedUntil,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum MailTemplates {
    Table,
    Kind,
    Subject,
    BodyText,
    BodyHtml,
    UpdatedAt,
}
