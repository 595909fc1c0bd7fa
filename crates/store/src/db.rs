use crate::error::StoreResult;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteOperation, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct DbOptions {
    /// `sqlite://path`, `sqlite::memory:` or `postgres://…`.
    pub url: String,
    /// PostgreSQL pool size (SQLite always has one writer and a few readers).
    pub max_connections: u32,
}

/// SQLite gets one writer connection and a pool of readers: WAL lets readers run beside the
/// writer, and funnelling every write through one connection means a write waits its turn
/// instead of failing with `database is locked`.
#[derive(Clone)]
enum Pools {
    Sqlite { write: SqlitePool, read: SqlitePool },
    Pg(PgPool),
}

#[derive(Clone)]
pub struct Db {
    pools: Pools,
    /// SQLite only, file databases only: blocking readers for whole page reads (`readers.rs`).
    readers: Option<Arc<crate::readers::Readers>>,
    /// Wakes this process's job workers when a job is enqueued here (PostgreSQL also
    /// notifies other processes with NOTIFY).
    job_wakeup: std::sync::Arc<tokio::sync::Notify>,
    events: Arc<EventsCommitted>,
}

/// SQLite's after-commit hook for the event stream: the writer's update hook notes an insert
/// into `org_events`, and the commit of that transaction bumps `committed`. (PostgreSQL needs
/// none: its NOTIFY is delivered at commit.)
#[derive(Debug)]
pub struct EventsCommitted {
    inserted: AtomicBool,
    committed: tokio::sync::watch::Sender<u64>,
}

impl EventsCommitted {
    fn after_commit(&self) {
        if self.inserted.swap(false, Ordering::AcqRel) {
            self.committed.send_modify(|n| *n = n.wrapping_add(1));
        }
    }
}

pub enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Pg(&'c mut PgConnection),
}

pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>, Arc<EventsCommitted>),
    Pg(Transaction<'static, Postgres>),
}

pub enum PoolConn {
    Sqlite(PoolConnection<Sqlite>),
    Pg(PoolConnection<Postgres>),
}

impl Conn<'_> {
    /// Borrow this connection again for one more call, keeping it for later ones.
    pub fn re(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Pg(c) => Conn::Pg(c),
        }
    }
}

impl Tx {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t, _) => Conn::Sqlite(t),
            Tx::Pg(t) => Conn::Pg(t),
        }
    }

    pub async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(t, events) => {
                t.commit().await?;
                events.after_commit();
            }
            Tx::Pg(t) => t.commit().await?,
        }
        Ok(())
    }
}

impl PoolConn {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            PoolConn::Sqlite(c) => Conn::Sqlite(c),
            PoolConn::Pg(c) => Conn::Pg(c),
        }
    }
}

/// SQLite counts every allocation under one process-wide mutex unless told otherwise; with
/// several readers decoding rows at once it was the read path's hottest lock (bench/README.md).
fn sqlite_without_memory_statistics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config must come before the library initialises; every connection of
        // this process is opened after this once-only call. Were SQLite already initialised, it
        // would return SQLITE_MISUSE and change nothing.
        let rc =
            unsafe { libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int) };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::debug!(rc, "SQLite's memory statistics stay on");
        }
    });
}

impl Db {
    pub async fn connect(opts: &DbOptions) -> StoreResult<Db> {
        sqlite_without_memory_statistics();
        let events = Arc::new(EventsCommitted {
            inserted: AtomicBool::new(false),
            committed: tokio::sync::watch::Sender::new(0),
        });
        let mut readers = None;
        let pools = if opts.url.starts_with("postgres://") || opts.url.starts_with("postgresql://") {
            // Tests isolate themselves with `?options[search_path]=<schema>` in the URL.
            let connect = PgConnectOptions::from_str(&opts.url)?;
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections.max(1))
                // No ping round trip before every statement (ADR 0014); a dead connection fails one
                // statement and is dropped.
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(connect)
                .await?;
            Pools::Pg(pool)
        } else {
            let base = SqliteConnectOptions::from_str(&opts.url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30));
            let hook = events.clone();
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                // A file connection cannot drop; the ping would be one more thread hop per statement.
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(60))
                .after_connect(move |conn, _| {
                    let hook = hook.clone();
                    Box::pin(async move {
                        conn.lock_handle().await?.set_update_hook(move |r| {
                            if r.table == "org_events" && matches!(r.operation, SqliteOperation::Insert) {
                                hook.inserted.store(true, Ordering::Release);
                            }
                        });
                        Ok(())
                    })
                })
                .connect_with(base.clone())
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(8)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(base.clone().read_only(true))
                .await?;
            readers = crate::readers::Readers::for_file(base.get_filename(), &opts.url);
            Pools::Sqlite { write, read }
        };
        Ok(Db { pools, readers, job_wakeup: Default::default(), events })
    }

    pub fn job_wakeup(&self) -> &tokio::sync::Notify {
        &self.job_wakeup
    }

    /// Changes after each commit on this process's SQLite writer that wrote to `org_events`
    /// (never on PostgreSQL, whose processes LISTEN instead).
    pub fn events_committed(&self) -> tokio::sync::watch::Receiver<u64> {
        self.events.committed.subscribe()
    }

    /// The PostgreSQL pool, for LISTEN (None on SQLite).
    pub fn pg_pool(&self) -> Option<&PgPool> {
        match &self.pools {
            Pools::Pg(p) => Some(p),
            Pools::Sqlite { .. } => None,
        }
    }

    /// `close` was called (the process is stopping).
    pub fn is_closed(&self) -> bool {
        match &self.pools {
            Pools::Pg(p) => p.is_closed(),
            Pools::Sqlite { write, .. } => write.is_closed(),
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Pg(_) => Backend::Postgres,
        }
    }

    /// Apply the embedded migrations of this backend; idempotent.
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.pools {
            Pools::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await?,
            Pools::Pg(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// A transaction on the writer (SQLite) or a pooled connection (PostgreSQL).
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(match &self.pools {
            // IMMEDIATE takes the write lock at once (waiting up to busy_timeout): a deferred
            // transaction that reads first fails at its first write with `database is locked`
            // when another process (`sellcast worker` beside `serve --no-workers`) wrote since.
            Pools::Sqlite { write, .. } => {
                let t = write.begin_with("BEGIN IMMEDIATE").await?;
                // The one writer is ours now: a note left by a rolled-back transaction goes.
                self.events.inserted.store(false, Ordering::Release);
                Tx::Sqlite(t, self.events.clone())
            }
            Pools::Pg(p) => Tx::Pg(p.begin().await?),
        })
    }

    /// A connection for reads; on SQLite a read-only one that never waits for the writer.
    pub async fn read(&self) -> StoreResult<PoolConn> {
        Ok(match &self.pools {
            Pools::Sqlite { read, .. } => PoolConn::Sqlite(read.acquire().await?),
            Pools::Pg(p) => PoolConn::Pg(p.acquire().await?),
        })
    }

    /// The blocking SQLite readers, when this is a SQLite file database.
    pub(crate) fn readers(&self) -> Option<&Arc<crate::readers::Readers>> {
        self.readers.as_ref()
    }

    /// Readiness: the database answers a trivial query.
    pub async fn ping(&self) -> StoreResult<()> {
        let mut c = self.read().await?;
        crate::exec!(c.conn(), sqlx::query("SELECT 1"))?;
        Ok(())
    }

    /// Pool gauges for /metrics: (size, idle) summed over the pools.
    pub fn pool_stats(&self) -> (u32, u32) {
        match &self.pools {
            Pools::Sqlite { write, read } => (write.size() + read.size(), (write.num_idle() + read.num_idle()) as u32),
            Pools::Pg(p) => (p.size(), p.num_idle() as u32),
        }
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { write, read } => {
                read.close().await;
                write.close().await;
            }
            Pools::Pg(p) => p.close().await,
        }
    }
}
