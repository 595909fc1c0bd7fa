//! A fresh database per test: a SQLite file in a temp dir, or a PostgreSQL schema.
#![allow(dead_code)]

use sellcast_queue::{system_now, Registry, Worker, WorkerConfig};
use sellcast_store::{Db, DbOptions};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generate `mod NAME { sqlite(); postgres(); }` running `async fn NAME(Backend)` on both.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::support::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::support::Backend::Postgres).await
            }
        }
    )* };
}

pub fn postgres_url() -> String {
    std::env::var("SELLCAST_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub struct TestDb {
    pub db: Db,
    pub url: String,
    _dir: tempfile::TempDir,
    schema: Option<String>,
}

impl TestDb {
    pub async fn new(b: Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("tempdir");
        let (url, schema) = match b {
            Backend::Sqlite => (format!("sqlite://{}", dir.path().join("q.db").display()), None),
            Backend::Postgres => {
                use sqlx::Connection;
                let mut conn =
                    sqlx::PgConnection::connect(&postgres_url()).await.expect("PostgreSQL must be reachable");
                let now = chrono::Utc::now().timestamp();
                let name = format!("sctest_{now}_{}", uuid::Uuid::now_v7().simple());
                sqlx::query(&format!("CREATE SCHEMA \"{name}\"")).execute(&mut conn).await.expect("schema");
                (format!("{}?options[search_path]={name}", postgres_url()), Some(name))
            }
        };
        let db = Db::connect(&DbOptions { url: url.clone(), max_connections: 10 }).await.expect("connect");
        db.migrate().await.expect("migrate");
        TestDb { db, url, _dir: dir, schema }
    }

    pub async fn drop_schema(self) {
        self.db.close().await;
        if let Some(s) = self.schema {
            use sqlx::Connection;
            if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_url()).await {
                let _ = sqlx::query(&format!("DROP SCHEMA \"{s}\" CASCADE")).execute(&mut conn).await;
            }
        }
    }
}

/// A worker with short intervals, suited to tests.
pub fn worker(db: &Db, registry: Registry, queues: &[(&str, usize)]) -> Worker {
    Worker {
        db: db.clone(),
        registry: Arc::new(registry),
        config: WorkerConfig {
            queues: queues.iter().map(|(q, n)| (q.to_string(), *n)).collect(),
            lease: Duration::from_secs(5),
            heartbeat: Duration::from_secs(1),
            fallback_poll: Duration::from_millis(200),
            shutdown_grace: Duration::from_secs(5),
            maintenance_every: Duration::from_millis(200),
            ..WorkerConfig::default()
        },
        now: system_now(),
        metrics: Default::default(),
    }
}
