//! The connections the reply path keeps (`base::kept_connections`): a connection is kept
//! only when every statement on it finished, reused last in first out, at most as many as
//! asked, never used after a second idle and given back to the pool by then; SQLite keeps
//! none.

use std::sync::Arc;
use std::time::Duration;

use followup::base::kept_connections::KeptConnections;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::helpers::{Backend, spawn_app};

/// The PostgreSQL backend serving `db`'s next statement.
async fn backend_pid(db: &impl ConnectionTrait) -> i32 {
    let statement = Statement::from_string(DbBackend::Postgres, "SELECT pg_backend_pid() AS pid");
    let row = db.query_one_raw(statement).await.unwrap().unwrap();
    row.try_get("", "pid").unwrap()
}

/// A connection taken from `kept`, which must be PostgreSQL's.
async fn taken_pid(kept: &KeptConnections, db: &DatabaseConnection) -> i32 {
    let taken = kept
        .take(db)
        .await
        .unwrap()
        .expect("a connection on PostgreSQL");
    backend_pid(&taken).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_kept_clean_last_in_first_out_and_at_most_as_many_as_asked() {
    let app = spawn_app(Backend::Postgres).await;
    let kept = KeptConnections::new(2);
    assert_eq!(kept.kept(), 0);

    let first = taken_pid(&kept, &app.db).await;
    assert_eq!(kept.kept(), 1);
    // The kept one serves the next statements, every one of them.
    let taken = kept.take(&app.db).await.unwrap().unwrap();
    assert_eq!(kept.kept(), 0);
    assert_eq!(backend_pid(&taken).await, first);
    assert_eq!(backend_pid(&taken).await, first);

    // Two taken at once: the second comes from the pool; the last given back is the next
    // taken.
    let other = kept.take(&app.db).await.unwrap().unwrap();
    let second = backend_pid(&other).await;
    assert_ne!(second, first);
    drop(taken);
    drop(other);
    assert_eq!(kept.kept(), 2);
    assert_eq!(
        taken_pid(&kept, &app.db).await,
        second,
        "last in, first out"
    );

    // No more are kept than asked for.
    let one = KeptConnections::new(1);
    let (a, b) = (
        one.take(&app.db).await.unwrap(),
        one.take(&app.db).await.unwrap(),
    );
    backend_pid(&a.unwrap()).await;
    backend_pid(&b.unwrap()).await;
    assert_eq!(one.kept(), 1);
    drop(kept);

    // A failed statement: the connection goes back to the pool, not to the kept ones.
    let kept = KeptConnections::new(1);
    let second = taken_pid(&kept, &app.db).await;
    let taken = kept.take(&app.db).await.unwrap().unwrap();
    let failed = taken.execute_unprepared("SELECT 1 / 0").await;
    assert!(failed.is_err());
    assert_eq!(
        backend_pid(&taken).await,
        second,
        "the same connection still answers"
    );
    drop(taken);
    assert_eq!(kept.kept(), 0);

    // A statement dropped before it finished: the same.
    let taken = kept.take(&app.db).await.unwrap().unwrap();
    let sleep = taken.execute_unprepared("SELECT pg_sleep(2)");
    assert!(
        tokio::time::timeout(Duration::from_millis(200), sleep)
            .await
            .is_err()
    );
    drop(taken);
    assert_eq!(kept.kept(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_idle_for_a_second_goes_back_to_the_pool() {
    let app = spawn_app(Backend::Postgres).await;
    let kept = KeptConnections::new(2);
    let one = kept.take(&app.db).await.unwrap().unwrap();
    let two = kept.take(&app.db).await.unwrap().unwrap();
    backend_pid(&one).await;
    backend_pid(&two).await;
    drop((one, two));
    assert_eq!(kept.kept(), 2);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let taken = kept.take(&app.db).await.unwrap().unwrap();
    assert_eq!(kept.kept(), 0, "both stale ones went back to the pool");
    backend_pid(&taken).await;
    drop(taken);
    assert_eq!(kept.kept(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_gives_idle_ones_back_without_a_reply() {
    let app = spawn_app(Backend::Postgres).await;
    let kept = Arc::new(KeptConnections::new(2));
    kept.sweep_every(Duration::from_millis(100));
    let one = kept.take(&app.db).await.unwrap().unwrap();
    backend_pid(&one).await;
    drop(one);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(kept.kept(), 1, "not yet idle for a second");
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(kept.kept(), 0, "given back to the pool");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_ones_dropped_outside_a_runtime_are_closed_without_a_panic() {
    let app = spawn_app(Backend::Postgres).await;
    let kept = KeptConnections::new(1);
    taken_pid(&kept, &app.db).await;
    assert_eq!(kept.kept(), 1);
    std::thread::spawn(move || drop(kept))
        .join()
        .expect("dropped without a panic");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn none_are_kept_on_sqlite_or_when_none_are_asked_for() {
    let app = spawn_app(Backend::Sqlite).await;
    assert!(
        KeptConnections::new(4)
            .take(&app.db)
            .await
            .unwrap()
            .is_none()
    );
    let app = spawn_app(Backend::Postgres).await;
    assert!(
        KeptConnections::new(0)
            .take(&app.db)
            .await
            .unwrap()
            .is_none()
    );
}
