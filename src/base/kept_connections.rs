//! PostgreSQL connections the participant's reply path keeps between requests, so that a
//! revision's two statements run on one connection with no round trip besides them.
//!
//! sqlx answers every connection taken back into its pool with a `Sync` round trip
//! (`return_to_pool` pings it; that cannot be turned off): two per revision when each
//! statement takes a pooled connection. They cost PostgreSQL a wake-up each: pgbench sending
//! the same two `Sync`s beside a revision's SQL spent 1.11-1.23 ms of PostgreSQL's CPU per
//! revision instead of 0.97 (`scripts/bench-replies.sh`'s figures, 2026-11-30). Here a
//! connection taken from the pool is kept after the request, last in first out (the
//! backends used most stay warm), and the next revision runs on it without asking the pool.
//!
//! What is kept is always clean: a connection goes back to the kept ones only when every
//! statement run on it finished (sqlx reads up to PostgreSQL's `ReadyForQuery`); one whose
//! statement failed, or whose request was dropped in the middle of one, goes back to the
//! pool, which pings it and closes it if broken. At most `most` connections are kept
//! (the pool's other connections stay for everything else); one kept idle for a second or
//! more goes back to the pool rather than being used, so a connection that died while
//! PostgreSQL restarted is tested there first, as the pool tests its own
//! (`db::connect`), and a sweep gives such ones back even when no reply comes. SQLite keeps
//! nothing: its reply path is a transaction.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use futures_util::lock::Mutex as AsyncMutex;
use sea_orm::metric::Info;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::{Executor, Postgres};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult,
    RuntimeErr, Statement, Values,
};
use sea_query_sqlx::SqlxValues;
use tokio::time::MissedTickBehavior;

/// How long a kept connection may sit unused and still be used without a test.
const UNTESTED_FOR: Duration = Duration::from_secs(1);

/// Called with every statement run on a kept connection, like sea-orm's metric callback.
type Observer = Arc<dyn Fn(&Info<'_>) + Send + Sync>;

/// The connections kept, most recently used last.
pub struct KeptConnections {
    idle: Mutex<Vec<(PoolConnection<Postgres>, Instant)>>,
    most: usize,
    observer: Option<Observer>,
}

impl std::fmt::Debug for KeptConnections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptConnections")
            .field("most", &self.most)
            .finish_non_exhaustive()
    }
}

/// A pooled connection goes back to its pool in a task it spawns, which needs a runtime;
/// kept ones dropped without one (a process ending) are closed here instead.
impl Drop for KeptConnections {
    fn drop(&mut self) {
        if tokio::runtime::Handle::try_current().is_err() {
            let idle = self
                .idle
                .get_mut()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for (connection, _) in idle.drain(..) {
                drop(connection.leak());
            }
        }
    }
}

impl KeptConnections {
    /// Keeps at most `most` connections (none: every statement goes through the pool).
    pub fn new(most: usize) -> Self {
        Self {
            idle: Mutex::new(Vec::new()),
            most,
            observer: None,
        }
    }

    /// Calls `observer` with every statement run on a kept connection (the tests count a
    /// revision's statements with it, as with `DatabaseConnection::set_metric_callback`).
    pub fn set_metric_callback(&mut self, observer: impl Fn(&Info<'_>) + Send + Sync + 'static) {
        self.observer = Some(Arc::new(observer));
    }

    /// A connection to run statements on, kept or from `db`'s pool; `None` unless `db` is a
    /// PostgreSQL pool and connections are kept.
    pub async fn take<'a>(&'a self, db: &DatabaseConnection) -> Result<Option<Taken<'a>>, DbErr> {
        if self.most == 0 || db.get_database_backend() != DbBackend::Postgres {
            return Ok(None);
        }
        let connection = match self.fresh() {
            Some(connection) => connection,
            None => db
                .get_postgres_connection_pool()
                .acquire()
                .await
                .map_err(acquire_error)?,
        };
        Ok(Some(Taken {
            connection: AsyncMutex::new(Some(connection)),
            clean: AtomicBool::new(true),
            kept: self,
        }))
    }

    /// The most recently kept connection, once those idle for [`UNTESTED_FOR`] went back to
    /// the pool.
    fn fresh(&self) -> Option<PoolConnection<Postgres>> {
        self.give_back_stale();
        self.idle().pop().map(|(connection, _)| connection)
    }

    fn give_back(&self, connection: PoolConnection<Postgres>) {
        let mut idle = self.idle();
        if idle.len() < self.most {
            idle.push((connection, Instant::now()));
        }
    }

    /// Gives the connections kept idle for [`UNTESTED_FOR`] back to the pool every
    /// `period`, so that a burst of replies does not hold half the pool once it is over.
    /// Stops when the kept connections are dropped.
    pub fn sweep_every(self: &Arc<Self>, period: Duration) {
        let kept = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(kept) = kept.upgrade() else { return };
                kept.give_back_stale();
            }
        });
    }

    /// Gives the connections kept idle for [`UNTESTED_FOR`] back to the pool.
    fn give_back_stale(&self) {
        let stale: Vec<_> = {
            let mut idle = self.idle();
            // Oldest first.
            let fresh_from = idle
                .iter()
                .position(|(_, since)| since.elapsed() < UNTESTED_FOR)
                .unwrap_or(idle.len());
            idle.drain(..fresh_from).collect()
        };
        drop(stale);
    }

    /// How many connections are kept now.
    pub fn kept(&self) -> usize {
        self.idle().len()
    }

    /// The kept connections, most recently used last. A panic elsewhere while the list was
    /// locked leaves it whole: each change is one push, pop or drain.
    fn idle(&self) -> MutexGuard<'_, Vec<(PoolConnection<Postgres>, Instant)>> {
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A connection taken for a few statements (not a transaction: each commits by itself);
/// kept again when dropped, if clean.
pub struct Taken<'a> {
    connection: AsyncMutex<Option<PoolConnection<Postgres>>>,
    /// False while a statement runs, and for good once one failed.
    clean: AtomicBool,
    kept: &'a KeptConnections,
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        let connection = self.connection.get_mut().take();
        if let Some(connection) = connection
            && *self.clean.get_mut()
        {
            self.kept.give_back(connection);
        }
    }
}

impl Taken<'_> {
    /// Runs `work` on the connection; the connection stays clean only if it succeeds.
    async fn run<T>(
        &self,
        statement: &Statement,
        work: impl AsyncFnOnce(&mut PoolConnection<Postgres>) -> Result<T, DbErr>,
    ) -> Result<T, DbErr> {
        let mut guard = self.connection.lock().await;
        let connection = guard
            .as_mut()
            .ok_or_else(|| DbErr::Custom("the kept connection is gone".into()))?;
        let was_clean = self.clean.swap(false, Ordering::SeqCst);
        let started = SystemTime::now();
        let result = work(connection).await;
        if let Some(observer) = &self.kept.observer {
            observer(&Info {
                elapsed: started.elapsed().unwrap_or_default(),
                statement,
                failed: result.is_err(),
            });
        }
        if was_clean && result.is_ok() {
            self.clean.store(true, Ordering::SeqCst);
        }
        result
    }
}

fn query(statement: &Statement) -> sea_orm::sqlx::query::Query<'_, Postgres, SqlxValues> {
    let values = statement.values.clone().unwrap_or(Values(Vec::new()));
    sea_orm::sqlx::query_with(
        sea_orm::sqlx::AssertSqlSafe(statement.sql.as_str()),
        SqlxValues(values),
    )
}

/// As sea-orm reports a connection the pool could not give.
fn acquire_error(error: sea_orm::sqlx::Error) -> DbErr {
    match error {
        sea_orm::sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sea_orm::sqlx::Error::PoolClosed => {
            DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed)
        }
        error => DbErr::Conn(RuntimeErr::SqlxError(error.into())),
    }
}

fn query_error(error: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(error.into()))
}

fn exec_error(error: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(error.into()))
}

#[async_trait::async_trait]
impl ConnectionTrait for Taken<'_> {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Postgres
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        self.run(&statement, async |connection| {
            let done = query(&statement).execute(&mut **connection).await;
            done.map(Into::into).map_err(exec_error)
        })
        .await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let statement = Statement::from_string(DbBackend::Postgres, sql);
        self.run(&statement, async |connection| {
            let sql = sea_orm::sqlx::AssertSqlSafe(sql.to_owned());
            let done = (&mut **connection).execute(sql).await;
            done.map(Into::into).map_err(exec_error)
        })
        .await
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.run(&statement, async |connection| {
            let row = query(&statement).fetch_optional(&mut **connection).await;
            row.map(|row| row.map(Into::into)).map_err(query_error)
        })
        .await
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.run(&statement, async |connection| {
            let rows = query(&statement).fetch_all(&mut **connection).await;
            rows.map(|rows| rows.into_iter().map(Into::into).collect())
                .map_err(query_error)
        })
        .await
    }
}
