//! How many times each round's counted facts changed: `round_changes`, raised in the same
//! transaction by every write of a row the analytics count (`followup::analytics::round_data`
//! reads invitations per workshop, and replies with their administration, answers and
//! choices), by row triggers, so no code path, other instance or hand-written statement can
//! forget it. An instance keeps an open round's facts with the sum it read before reading
//! them, and reads them again only when the sum has moved: one look-up of the round's few
//! rows by the primary key.
//!
//! The counter of a round is split into slots by the writing backend's process id (32 on
//! PostgreSQL), so concurrent replies to one round never wait for each other's commit on
//! one row; every slot only ever grows, so the sum of a round grows with each committed
//! write and never comes back to an earlier value. On PostgreSQL a transaction raises a
//! round once, at its first counted row (the rounds it raised are noted in a setting local
//! to the transaction, undone with it or with a savepoint rolled back): raising one row for
//! every row of a bulk write would lengthen that row's chain of versions within the
//! transaction, each raise walking it. Only the columns the facts read raise it (an
//! invitation's mail status or a reply's submission time do not). `TRUNCATE`, which fires
//! no row triggers, raises the analytics epoch instead (migration 10), which every kept
//! entry is also keyed by. Migration 15 removes all of it: nothing is kept any more.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each counted table, with the columns whose change changes the facts.
const COUNTED: [(&str, &str); 4] = [
    ("invitations", "round_id, workshop_id"),
    ("replies", "round_id, workshop_id, administration_id"),
    ("answers", "round_id, reply_id, question_code, yes_no"),
    (
        "answer_choices",
        "round_id, reply_id, question_code, option_code",
    ),
];

fn postgres_up() -> String {
    let mut sql = String::from(
        "CREATE TABLE round_changes (round_id INTEGER NOT NULL, slot SMALLINT NOT NULL, \
           value BIGINT NOT NULL, PRIMARY KEY (round_id, slot)); \
         CREATE FUNCTION count_round_change() RETURNS trigger AS $$ \
         DECLARE \
           counted TEXT := coalesce(current_setting('followup.counted_rounds', true), ''); \
           changed INTEGER; \
         BEGIN \
           FOR changed IN SELECT unnest(CASE \
               WHEN TG_OP = 'INSERT' THEN ARRAY[NEW.round_id] \
               WHEN TG_OP = 'DELETE' OR NEW.round_id = OLD.round_id THEN ARRAY[OLD.round_id] \
               ELSE ARRAY[OLD.round_id, NEW.round_id] END) LOOP \
             IF position(',' || changed || ',' IN counted) = 0 THEN \
               INSERT INTO round_changes AS c (round_id, slot, value) \
                 VALUES (changed, pg_backend_pid() % 32, 1) \
                 ON CONFLICT (round_id, slot) DO UPDATE SET value = c.value + 1; \
               counted := counted || ',' || changed || ','; \
               PERFORM set_config('followup.counted_rounds', counted, true); \
             END IF; \
           END LOOP; \
           RETURN NULL; \
         END $$ LANGUAGE plpgsql; ",
    );
    for (table, columns) in COUNTED {
        sql.push_str(&format!(
            "CREATE TRIGGER trg_{table}_round_changes \
               AFTER INSERT OR DELETE OR UPDATE OF {columns} ON {table} \
               FOR EACH ROW EXECUTE FUNCTION count_round_change(); \
             CREATE TRIGGER trg_{table}_truncate_analytics_epoch AFTER TRUNCATE ON {table} \
               FOR EACH STATEMENT EXECUTE FUNCTION raise_analytics_epoch(); "
        ));
    }
    sql
}

/// SQLite has one writer at a time: one slot.
fn sqlite_up() -> String {
    let mut sql = String::from(
        "CREATE TABLE round_changes (round_id INTEGER NOT NULL, slot INTEGER NOT NULL, \
           value INTEGER NOT NULL, PRIMARY KEY (round_id, slot)); ",
    );
    // SQLite parses `INSERT ... SELECT ... ON CONFLICT` only with a WHERE clause.
    let count = |row: &str, only_when: &str| {
        format!(
            "INSERT INTO round_changes (round_id, slot, value) \
               SELECT {row}.round_id, 0, 1 WHERE {only_when} \
               ON CONFLICT (round_id, slot) DO UPDATE SET value = value + 1;"
        )
    };
    for (table, columns) in COUNTED {
        sql.push_str(&format!(
            "CREATE TRIGGER trg_{table}_round_changes_insert AFTER INSERT ON {table} \
               BEGIN {new} END; \
             CREATE TRIGGER trg_{table}_round_changes_delete AFTER DELETE ON {table} \
               BEGIN {old} END; \
             CREATE TRIGGER trg_{table}_round_changes_update AFTER UPDATE OF {columns} ON {table} \
               BEGIN {old} {moved} END; ",
            new = count("NEW", "true"),
            old = count("OLD", "true"),
            moved = count("NEW", "NEW.round_id <> OLD.round_id"),
        ));
    }
    sql
}

fn down(backend: DatabaseBackend) -> String {
    let mut sql = String::new();
    for (table, _) in COUNTED {
        match backend {
            DatabaseBackend::Postgres => sql.push_str(&format!(
                "DROP TRIGGER IF EXISTS trg_{table}_round_changes ON {table}; \
                 DROP TRIGGER IF EXISTS trg_{table}_truncate_analytics_epoch ON {table}; "
            )),
            _ => {
                for event in ["insert", "update", "delete"] {
                    sql.push_str(&format!(
                        "DROP TRIGGER IF EXISTS trg_{table}_round_changes_{event}; "
                    ));
                }
            }
        }
    }
    if backend == DatabaseBackend::Postgres {
        sql.push_str("DROP FUNCTION IF EXISTS count_round_change(); ");
    }
    sql.push_str("DROP TABLE IF EXISTS round_changes");
    sql
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let sql = match db.get_database_backend() {
            DatabaseBackend::Postgres => postgres_up(),
            _ => sqlite_up(),
        };
        db.execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&down(db.get_database_backend()))
            .await?;
        Ok(())
    }
}
