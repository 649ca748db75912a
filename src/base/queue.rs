//! What the mail outbox and the webhook queue share: claiming due rows under a lease, and
//! the wait before the next attempt.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{DatabaseBackend, DbErr, EntityTrait, Statement};

/// Claims up to `limit` due rows of a queue table (columns `status`, `next_attempt_at`,
/// `leased_until`, `attempts`) for `lease`, counting an attempt for each. On PostgreSQL
/// `FOR UPDATE SKIP LOCKED` lets several instances claim side by side; SQLite has one
/// writer at a time, so the statement alone is the claim.
pub async fn claim_due<E: EntityTrait>(
    db: &impl sea_orm::ConnectionTrait,
    at: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<E::Model>, DbErr> {
    let table = E::default().table_name().to_owned();
    let backend = db.get_database_backend();
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let (sql, values): (String, Vec<sea_orm::Value>) = match backend {
        DatabaseBackend::Postgres => (
            format!(
                "UPDATE {table} SET leased_until = $1, attempts = attempts + 1 \
                 WHERE id IN (SELECT id FROM {table} \
                     WHERE status = 'queued' AND next_attempt_at <= $2 \
                       AND (leased_until IS NULL OR leased_until <= $2) \
                     ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
                 RETURNING *"
            ),
            vec![(at + lease).into(), at.into(), limit.into()],
        ),
        _ => (
            format!(
                "UPDATE {table} SET leased_until = ?, attempts = attempts + 1 \
                 WHERE id IN (SELECT id FROM {table} \
                     WHERE status = 'queued' AND next_attempt_at <= ? \
                       AND (leased_until IS NULL OR leased_until <= ?) \
                     ORDER BY next_attempt_at, id LIMIT ?) \
                 RETURNING *"
            ),
            vec![(at + lease).into(), at.into(), at.into(), limit.into()],
        ),
    };
    E::find()
        .from_raw_sql(Statement::from_sql_and_values(backend, sql, values))
        .all(db)
        .await
}

/// Wait before attempt `attempts + 1`: `base`, doubled per attempt, at most an hour.
pub fn backoff(base: Duration, attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    (base * 2_i32.pow(doublings)).min(Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let base = Duration::seconds(30);
        assert_eq!(backoff(base, 1), Duration::seconds(30));
        assert_eq!(backoff(base, 2), Duration::seconds(60));
        assert_eq!(backoff(base, 4), Duration::seconds(240));
        assert_eq!(backoff(base, 40), Duration::hours(1));
    }
}
