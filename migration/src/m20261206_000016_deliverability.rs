//! Deliverability: the state of every address mail went to (ok, soft, undeliverable,
//! complained), what came back about each mail (bounces, blocks, complaints, automatic
//! replies, refusals at send), mail written as suppressed with its reason, and the leases
//! of jobs only one instance may run at a time (the bounce mailbox's poller).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AddressStates::Table)
                    .col(string_len(AddressStates::Address, 320).primary_key())
                    .col(string_len(AddressStates::State, 16))
                    .col(integer(AddressStates::SoftCount).default(0))
                    .col(timestamp_with_time_zone_null(AddressStates::SoftSince))
                    .col(string_len_null(AddressStates::Code, 16))
                    .col(text_null(AddressStates::Detail))
                    .col(integer_null(AddressStates::ComplainedRoundId))
                    .col(timestamp_with_time_zone(AddressStates::ChangedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_address_states_state")
                    .table(AddressStates::Table)
                    .col(AddressStates::State)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DeliveryEvents::Table)
                    .col(pk_auto(DeliveryEvents::Id))
                    .col(integer_null(DeliveryEvents::MailingId))
                    .col(string_len(DeliveryEvents::Address, 320))
                    .col(string_len(DeliveryEvents::Finding, 16))
                    .col(string_len_null(DeliveryEvents::Code, 16))
                    .col(text_null(DeliveryEvents::Detail))
                    .col(string_len(DeliveryEvents::Source, 16))
                    .col(string_null(DeliveryEvents::SourceKey).unique_key())
                    .col(timestamp_with_time_zone(DeliveryEvents::ReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_delivery_events_mailing")
                            .from(DeliveryEvents::Table, DeliveryEvents::MailingId)
                            .to(Mailings::Table, Mailings::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_delivery_events_address", DeliveryEvents::Address),
            ("idx_delivery_events_mailing", DeliveryEvents::MailingId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(DeliveryEvents::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Mailings::Table)
                    .add_column(text_null(Mailings::SuppressedReason))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobLeases::Table)
                    .col(string_len(JobLeases::Name, 64).primary_key())
                    .col(string_len(JobLeases::Holder, 64))
                    .col(timestamp_with_time_zone(JobLeases::LeasedUntil))
                    .col(timestamp_with_time_zone_null(JobLeases::LastSuccessAt))
                    .col(timestamp_with_time_zone_null(JobLeases::LastFailureAt))
                    .col(integer(JobLeases::Failures).default(0))
                    .col(string_len_null(JobLeases::LastError, 200))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JobLeases::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Mailings::Table)
                    .drop_column(Mailings::SuppressedReason)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(DeliveryEvents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AddressStates::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AddressStates {
    Table,
    Address,
    State,
    SoftCount,
    SoftSince,
    Code,
    Detail,
    ComplainedRoundId,
    ChangedAt,
}

#[derive(DeriveIden)]
enum DeliveryEvents {
    Table,
    Id,
    MailingId,
    Address,
    Finding,
    Code,
    Detail,
    Source,
    SourceKey,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Mailings {
    Table,
    Id,
    SuppressedReason,
}

#[derive(DeriveIden)]
enum JobLeases {
    Table,
    Name,
    Holder,
    LeasedUntil,
    LastSuccessAt,
    LastFailureAt,
    Failures,
    LastError,
}
