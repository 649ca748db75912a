//! Administrations, workshops, participants, API keys and the audit log.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Administrations::Table)
                    .col(pk_auto(Administrations::Id))
                    .col(string_len_uniq(Administrations::Code, 8))
                    .col(string(Administrations::Name))
                    .col(string(Administrations::SubRegion))
                    .col(string(Administrations::TimeZone))
                    .col(timestamp_with_time_zone(Administrations::CreatedAt))
                    .col(timestamp_with_time_zone(Administrations::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Workshops::Table)
                    .col(pk_auto(Workshops::Id))
                    .col(string(Workshops::Title))
                    .col(string(Workshops::Topic))
                    .col(string_len(Workshops::Scope, 16))
                    .col(date(Workshops::StartDate))
                    .col(date(Workshops::EndDate))
                    .col(string_null(Workshops::Venue))
                    .col(boolean(Workshops::IsVirtual))
                    .col(boolean(Workshops::ExcludedFromSurvey))
                    .col(integer(Workshops::FiscalYear))
                    .col(timestamp_with_time_zone(Workshops::CreatedAt))
                    .col(timestamp_with_time_zone(Workshops::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_workshops_fiscal_year_start")
                    .table(Workshops::Table)
                    .col(Workshops::FiscalYear)
                    .col(Workshops::StartDate)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Participants::Table)
                    .col(pk_auto(Participants::Id))
                    .col(integer(Participants::WorkshopId))
                    .col(integer(Participants::AdministrationId))
                    .col(string(Participants::Name))
                    .col(string(Participants::Email))
                    .col(string_null(Participants::Position))
                    .col(timestamp_with_time_zone(Participants::CreatedAt))
                    .col(timestamp_with_time_zone(Participants::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_participants_workshop")
                            .from(Participants::Table, Participants::WorkshopId)
                            .to(Workshops::Table, Workshops::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_participants_administration")
                            .from(Participants::Table, Participants::AdministrationId)
                            .to(Administrations::Table, Administrations::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_participants_workshop_email")
                    .table(Participants::Table)
                    .col(Participants::WorkshopId)
                    .col(Participants::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_participants_administration")
                    .table(Participants::Table)
                    .col(Participants::AdministrationId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(pk_auto(ApiKeys::Id))
                    .col(string(ApiKeys::Name))
                    .col(string_len(ApiKeys::Role, 16))
                    .col(string_len(ApiKeys::Prefix, 16))
                    .col(string_len_uniq(ApiKeys::KeyHash, 64))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::OccurredAt))
                    .col(integer_null(AuditLog::ActorKeyId))
                    .col(string(AuditLog::ActorName))
                    .col(string(AuditLog::Action))
                    .col(string(AuditLog::EntityType))
                    .col(string(AuditLog::EntityId))
                    .col(string_null(AuditLog::RequestId))
                    .col(json_binary_null(AuditLog::Before))
                    .col(json_binary_null(AuditLog::After))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_entity")
                    .table(AuditLog::Table)
                    .col(AuditLog::EntityType)
                    .col(AuditLog::EntityId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditLog::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Participants::Table.into_iden(),
            Workshops::Table.into_iden(),
            Administrations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Administrations {
    Table,
    Id,
    Code,
    Name,
    SubRegion,
    TimeZone,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Workshops {
    Table,
    Id,
    Title,
    Topic,
    Scope,
    StartDate,
    EndDate,
    Venue,
    IsVirtual,
    ExcludedFromSurvey,
    FiscalYear,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Participants {
    Table,
    Id,
    WorkshopId,
    AdministrationId,
    Name,
    Email,
    Position,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    Name,
    Role,
    Prefix,
    KeyHash,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    OccurredAt,
    ActorKeyId,
    ActorName,
    Action,
    EntityType,
    EntityId,
    RequestId,
    Before,
    After,
}
