//! Following up missing replies: the contact points of each administration, the contact
//! attempts staff record on an invitation, and the contact that preceded each reply.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ContactPoints::Table)
                    .col(pk_auto(ContactPoints::Id))
                    .col(integer(ContactPoints::AdministrationId))
                    .col(string(ContactPoints::Name))
                    .col(string_len(ContactPoints::Email, 320))
                    .col(string_len(ContactPoints::Role, 32))
                    .col(boolean(ContactPoints::Active).default(true))
                    .col(timestamp_with_time_zone(ContactPoints::CreatedAt))
                    .col(timestamp_with_time_zone(ContactPoints::UpdatedAt))
                    .col(timestamp_with_time_zone_null(ContactPoints::ErasedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contact_points_administration")
                            .from(ContactPoints::Table, ContactPoints::AdministrationId)
                            .to(Administrations::Table, Administrations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_contact_points_administration")
                    .table(ContactPoints::Table)
                    .col(ContactPoints::AdministrationId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContactAttempts::Table)
                    .col(pk_auto(ContactAttempts::Id))
                    .col(integer(ContactAttempts::InvitationId))
                    .col(string_len(ContactAttempts::Channel, 32))
                    .col(string_len(ContactAttempts::Outcome, 32))
                    .col(text_null(ContactAttempts::Note))
                    .col(timestamp_with_time_zone(ContactAttempts::AttemptedAt))
                    .col(string(ContactAttempts::RecordedBy))
                    .col(timestamp_with_time_zone(ContactAttempts::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contact_attempts_invitation")
                            .from(ContactAttempts::Table, ContactAttempts::InvitationId)
                            .to(Invitations::Table, Invitations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_contact_attempts_invitation")
                    .table(ContactAttempts::Table)
                    .col(ContactAttempts::InvitationId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Replies::Table)
                    .add_column(string_len_null(Replies::LastContact, 32))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HandoverRequests::Table)
                    .col(pk_auto(HandoverRequests::Id))
                    .col(integer(HandoverRequests::InvitationId))
                    .col(string(HandoverRequests::ColleagueName))
                    .col(string_len(HandoverRequests::ColleagueEmail, 320))
                    .col(text_null(HandoverRequests::Note))
                    .col(string_len(HandoverRequests::Status, 16))
                    .col(timestamp_with_time_zone(HandoverRequests::CreatedAt))
                    .col(timestamp_with_time_zone_null(HandoverRequests::DecidedAt))
                    .col(string_null(HandoverRequests::DecidedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_handover_requests_invitation")
                            .from(HandoverRequests::Table, HandoverRequests::InvitationId)
                            .to(Invitations::Table, Invitations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_handover_requests_status")
                    .table(HandoverRequests::Table)
                    .col(HandoverRequests::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(HandoverRequests::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Replies::Table)
                    .drop_column(Replies::LastContact)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ContactAttempts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ContactPoints::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ContactPoints {
    Table,
    Id,
    AdministrationId,
    Name,
    Email,
    Role,
    Active,
    CreatedAt,
    UpdatedAt,
    ErasedAt,
}

#[derive(DeriveIden)]
enum ContactAttempts {
    Table,
    Id,
    InvitationId,
    Channel,
    Outcome,
    Note,
    AttemptedAt,
    RecordedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Administrations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Replies {
    Table,
    LastContact,
}

#[derive(DeriveIden)]
enum HandoverRequests {
    Table,
    Id,
    InvitationId,
    ColleagueName,
    ColleagueEmail,
    Note,
    Status,
    CreatedAt,
    DecidedAt,
    DecidedBy,
}
