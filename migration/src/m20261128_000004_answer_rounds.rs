//! Answers and chosen options carry their reply's round, so analytics read one round's
//! rows through an index instead of scanning every round's.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Answers::Table.into_iden(), AnswerChoices::Table.into_iden()] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table.clone())
                        .add_column(integer(Answers::RoundId).default(0))
                        .to_owned(),
                )
                .await?;
            let backfill = Query::update()
                .table(table.clone())
                .value(
                    Answers::RoundId,
                    Expr::expr(SimpleExpr::SubQuery(
                        None,
                        Box::new(
                            Query::select()
                                .column((Replies::Table, Replies::RoundId))
                                .from(Replies::Table)
                                .and_where(
                                    Expr::col((Replies::Table, Replies::Id))
                                        .equals((table.clone(), Answers::ReplyId)),
                                )
                                .to_owned()
                                .into_sub_query_statement(),
                        ),
                    )),
                )
                .to_owned();
            manager.exec_stmt(backfill).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_answers_round_question")
                    .table(Answers::Table)
                    .col(Answers::RoundId)
                    .col(Answers::QuestionCode)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_answer_choices_round_question")
                    .table(AnswerChoices::Table)
                    .col(Answers::RoundId)
                    .col(AnswerChoices::QuestionCode)
                    .col(AnswerChoices::OptionCode)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (index, table) in [
            ("idx_answers_round_question", Answers::Table.into_iden()),
            (
                "idx_answer_choices_round_question",
                AnswerChoices::Table.into_iden(),
            ),
        ] {
            manager
                .drop_index(Index::drop().name(index).table(table.clone()).to_owned())
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column(Answers::RoundId)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Answers {
    Table,
    ReplyId,
    RoundId,
    QuestionCode,
}

#[derive(DeriveIden)]
enum AnswerChoices {
    Table,
    QuestionCode,
    OptionCode,
}

#[derive(DeriveIden)]
enum Replies {
    Table,
    Id,
    RoundId,
}
