//! Questionnaires, rounds, invitations, replies, good practices and the event log.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Questionnaires::Table)
                    .col(pk_auto(Questionnaires::Id))
                    .col(integer_uniq(Questionnaires::Version))
                    .col(string(Questionnaires::Title))
                    .col(text_null(Questionnaires::Description))
                    .col(json_binary(Questionnaires::Questions))
                    .col(timestamp_with_time_zone(Questionnaires::CreatedAt))
                    .col(timestamp_with_time_zone(Questionnaires::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Rounds::Table)
                    .col(pk_auto(Rounds::Id))
                    .col(string(Rounds::Title))
                    .col(integer_uniq(Rounds::RoundNumber))
                    .col(integer(Rounds::FiscalYear))
                    .col(integer(Rounds::QuestionnaireId))
                    .col(string_len(Rounds::State, 16))
                    .col(integer(Rounds::OpenOffsetMonths))
                    .col(integer(Rounds::ReplyWindowDays))
                    .col(json_binary(Rounds::ReminderOffsetsDays))
                    .col(timestamp_with_time_zone(Rounds::CreatedAt))
                    .col(timestamp_with_time_zone(Rounds::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Rounds::ScheduledAt))
                    .col(timestamp_with_time_zone_null(Rounds::OpenedAt))
                    .col(timestamp_with_time_zone_null(Rounds::ClosedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rounds_questionnaire")
                            .from(Rounds::Table, Rounds::QuestionnaireId)
                            .to(Questionnaires::Table, Questionnaires::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoundWorkshops::Table)
                    .col(integer(RoundWorkshops::RoundId))
                    .col(integer_uniq(RoundWorkshops::WorkshopId))
                    .col(date_null(RoundWorkshops::OpensOn))
                    .col(integer_null(RoundWorkshops::OpenOffsetMonths))
                    .col(integer_null(RoundWorkshops::ReplyWindowDays))
                    .col(json_binary_null(RoundWorkshops::ReminderOffsetsDays))
                    .col(timestamp_with_time_zone(RoundWorkshops::AttachedAt))
                    .primary_key(
                        Index::create()
                            .col(RoundWorkshops::RoundId)
                            .col(RoundWorkshops::WorkshopId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_round_workshops_round")
                            .from(RoundWorkshops::Table, RoundWorkshops::RoundId)
                            .to(Rounds::Table, Rounds::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_round_workshops_workshop")
                            .from(RoundWorkshops::Table, RoundWorkshops::WorkshopId)
                            .to(Workshops::Table, Workshops::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .col(pk_auto(Invitations::Id))
                    .col(integer(Invitations::RoundId))
                    .col(integer(Invitations::WorkshopId))
                    .col(integer(Invitations::AdministrationId))
                    .col(integer_null(Invitations::ParticipantId))
                    .col(string_len_null(Invitations::TokenHash, 64))
                    .col(timestamp_with_time_zone_null(Invitations::TokenIssuedAt))
                    .col(string_len(Invitations::Status, 16))
                    .col(timestamp_with_time_zone(Invitations::OpensAt))
                    .col(timestamp_with_time_zone(Invitations::DueAt))
                    .col(timestamp_with_time_zone(Invitations::CreatedAt))
                    .col(timestamp_with_time_zone(Invitations::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invitations_round")
                            .from(Invitations::Table, Invitations::RoundId)
                            .to(Rounds::Table, Rounds::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invitations_workshop")
                            .from(Invitations::Table, Invitations::WorkshopId)
                            .to(Workshops::Table, Workshops::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invitations_administration")
                            .from(Invitations::Table, Invitations::AdministrationId)
                            .to(Administrations::Table, Administrations::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invitations_participant")
                            .from(Invitations::Table, Invitations::ParticipantId)
                            .to(Participants::Table, Participants::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            (
                "uq_invitations_token_hash",
                vec![Invitations::TokenHash],
                true,
            ),
            (
                "uq_invitations_round_participant",
                vec![Invitations::RoundId, Invitations::ParticipantId],
                true,
            ),
            (
                "idx_invitations_round_workshop",
                vec![Invitations::RoundId, Invitations::WorkshopId],
                false,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Invitations::Table);
            for column in columns {
                index.col(column);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Replies::Table)
                    .col(pk_auto(Replies::Id))
                    .col(integer_uniq(Replies::InvitationId))
                    .col(integer(Replies::RoundId))
                    .col(integer(Replies::WorkshopId))
                    .col(integer(Replies::AdministrationId))
                    .col(timestamp_with_time_zone(Replies::FirstSubmittedAt))
                    .col(timestamp_with_time_zone(Replies::LastSubmittedAt))
                    .col(boolean(Replies::Late))
                    .col(string_len(Replies::Provenance, 16))
                    .col(integer(Replies::Revision))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_replies_invitation")
                            .from(Replies::Table, Replies::InvitationId)
                            .to(Invitations::Table, Invitations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_replies_round_workshop")
                    .table(Replies::Table)
                    .col(Replies::RoundId)
                    .col(Replies::WorkshopId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Answers::Table)
                    .col(integer(Answers::ReplyId))
                    .col(string_len(Answers::QuestionCode, 64))
                    .col(boolean_null(Answers::YesNo))
                    .col(integer_null(Answers::ScaleValue))
                    .col(text_null(Answers::TextValue))
                    .col(text_null(Answers::OtherText))
                    .col(text_null(Answers::Comment))
                    .primary_key(
                        Index::create()
                            .col(Answers::ReplyId)
                            .col(Answers::QuestionCode),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_answers_reply")
                            .from(Answers::Table, Answers::ReplyId)
                            .to(Replies::Table, Replies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AnswerChoices::Table)
                    .col(integer(AnswerChoices::ReplyId))
                    .col(string_len(AnswerChoices::QuestionCode, 64))
                    .col(string_len(AnswerChoices::OptionCode, 64))
                    .primary_key(
                        Index::create()
                            .col(AnswerChoices::ReplyId)
                            .col(AnswerChoices::QuestionCode)
                            .col(AnswerChoices::OptionCode),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_answer_choices_reply")
                            .from(AnswerChoices::Table, AnswerChoices::ReplyId)
                            .to(Replies::Table, Replies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReplyRevisions::Table)
                    .col(pk_auto(ReplyRevisions::Id))
                    .col(integer(ReplyRevisions::ReplyId))
                    .col(integer(ReplyRevisions::Revision))
                    .col(timestamp_with_time_zone(ReplyRevisions::SubmittedAt))
                    .col(string_len(ReplyRevisions::Provenance, 16))
                    .col(string(ReplyRevisions::SubmittedBy))
                    .col(json_binary(ReplyRevisions::Answers))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reply_revisions_reply")
                            .from(ReplyRevisions::Table, ReplyRevisions::ReplyId)
                            .to(Replies::Table, Replies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_reply_revisions_reply_revision")
                    .table(ReplyRevisions::Table)
                    .col(ReplyRevisions::ReplyId)
                    .col(ReplyRevisions::Revision)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(GoodPractices::Table)
                    .col(pk_auto(GoodPractices::Id))
                    .col(integer(GoodPractices::RoundId))
                    .col(integer_null(GoodPractices::ReplyId))
                    .col(string_len_null(GoodPractices::QuestionCode, 64))
                    .col(text(GoodPractices::Quote))
                    .col(text(GoodPractices::Text))
                    .col(string_len(GoodPractices::Category, 32))
                    .col(integer(GoodPractices::AdministrationId))
                    .col(integer(GoodPractices::WorkshopId))
                    .col(boolean(GoodPractices::ApprovedForReport))
                    .col(boolean(GoodPractices::ApprovedForFeedback))
                    .col(timestamp_with_time_zone(GoodPractices::CreatedAt))
                    .col(timestamp_with_time_zone(GoodPractices::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_good_practices_round")
                            .from(GoodPractices::Table, GoodPractices::RoundId)
                            .to(Rounds::Table, Rounds::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_good_practices_reply")
                            .from(GoodPractices::Table, GoodPractices::ReplyId)
                            .to(Replies::Table, Replies::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_good_practices_administration")
                            .from(GoodPractices::Table, GoodPractices::AdministrationId)
                            .to(Administrations::Table, Administrations::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_good_practices_workshop")
                            .from(GoodPractices::Table, GoodPractices::WorkshopId)
                            .to(Workshops::Table, Workshops::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(pk_auto(Events::Id))
                    .col(string_len(Events::Kind, 64))
                    .col(timestamp_with_time_zone(Events::OccurredAt))
                    .col(json_binary(Events::Payload))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Events::Table.into_iden(),
            GoodPractices::Table.into_iden(),
            ReplyRevisions::Table.into_iden(),
            AnswerChoices::Table.into_iden(),
            Answers::Table.into_iden(),
            Replies::Table.into_iden(),
            Invitations::Table.into_iden(),
            RoundWorkshops::Table.into_iden(),
            Rounds::Table.into_iden(),
            Questionnaires::Table.into_iden(),
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
}

#[derive(DeriveIden)]
enum Workshops {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Participants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Questionnaires {
    Table,
    Id,
    Version,
    Title,
    Description,
    Questions,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Rounds {
    Table,
    Id,
    Title,
    RoundNumber,
    FiscalYear,
    QuestionnaireId,
    State,
    OpenOffsetMonths,
    ReplyWindowDays,
    ReminderOffsetsDays,
    CreatedAt,
    UpdatedAt,
    ScheduledAt,
    OpenedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum RoundWorkshops {
    Table,
    RoundId,
    WorkshopId,
    OpensOn,
    OpenOffsetMonths,
    ReplyWindowDays,
    ReminderOffsetsDays,
    AttachedAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    RoundId,
    WorkshopId,
    AdministrationId,
    ParticipantId,
    TokenHash,
    TokenIssuedAt,
    Status,
    OpensAt,
    DueAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Replies {
    Table,
    Id,
    InvitationId,
    RoundId,
    WorkshopId,
    AdministrationId,
    FirstSubmittedAt,
    LastSubmittedAt,
    Late,
    Provenance,
    Revision,
}

#[derive(DeriveIden)]
enum Answers {
    Table,
    ReplyId,
    QuestionCode,
    YesNo,
    ScaleValue,
    TextValue,
    OtherText,
    Comment,
}

#[derive(DeriveIden)]
enum AnswerChoices {
    Table,
    ReplyId,
    QuestionCode,
    OptionCode,
}

#[derive(DeriveIden)]
enum ReplyRevisions {
    Table,
    Id,
    ReplyId,
    Revision,
    SubmittedAt,
    Provenance,
    SubmittedBy,
    Answers,
}

#[derive(DeriveIden)]
enum GoodPractices {
    Table,
    Id,
    RoundId,
    ReplyId,
    QuestionCode,
    Quote,
    Text,
    Category,
    AdministrationId,
    WorkshopId,
    ApprovedForReport,
    ApprovedForFeedback,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    Kind,
    OccurredAt,
    Payload,
}
