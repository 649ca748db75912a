//! The read a round's report and trends start from (`followup::analytics::round_data`):
//! each reply of the round with its answers and choices aggregated per reply. With these
//! two indexes PostgreSQL answers it by index-only scans of the round's answers and choices
//! in reply order, aggregated without a sort and merge-joined with the round's replies
//! (found by `idx_replies_round_workshop`, migration 2):
//!
//! ```text
//! Merge Left Join
//!   -> Merge Left Join
//!        -> Sort (r.id) -> Hash Join -> Bitmap Heap Scan on replies (idx_replies_round_workshop)
//!        -> GroupAggregate -> Index Only Scan using idx_answers_round_reply on answers
//!   -> GroupAggregate -> Index Only Scan using idx_answer_choices_round_reply on answer_choices
//! ```
//!
//! Every scan is bounded by the round asked for, so the cost follows that round's size,
//! whatever else the database holds (the README's Performance section has the figures).
//! SQLite gets the same columns as a composite index, which covers the read as well.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = "CREATE INDEX idx_answers_round_reply ON answers (round_id, reply_id) \
     INCLUDE (question_code, yes_no); \
     CREATE INDEX idx_answer_choices_round_reply ON answer_choices (round_id, reply_id) \
     INCLUDE (question_code, option_code);";

const SQLITE_UP: &str = "CREATE INDEX idx_answers_round_reply ON answers \
     (round_id, reply_id, question_code, yes_no); \
     CREATE INDEX idx_answer_choices_round_reply ON answer_choices \
     (round_id, reply_id, question_code, option_code);";

const DOWN: &str = "DROP INDEX IF EXISTS idx_answers_round_reply; \
     DROP INDEX IF EXISTS idx_answer_choices_round_reply;";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let sql = match db.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_UP,
            _ => SQLITE_UP,
        };
        db.execute_unprepared(sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(DOWN).await?;
        Ok(())
    }
}
