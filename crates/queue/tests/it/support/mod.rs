//! A fresh database per test: a SQLite file in a temp dir, or a PostgreSQL schema.
#![allow(dead_code)]

use sellcast_queue::{system_now, Registry, Worker, WorkerConfig};
use sellcast_store::{Db, DbOptions};
use std::sync::Arc;
use std::time::Duration;

pub use sellcast_testkit::{drop_pg_schema, fresh_pg_schema, on_both_backends, postgres_url_in, Backend};

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
                let name = fresh_pg_schema().await;
                (postgres_url_in(&name), Some(name))
            }
        };
        let db = Db::connect(&DbOptions { url: url.clone(), max_connections: 10 }).await.expect("connect");
        db.migrate().await.expect("migrate");
        TestDb { db, url, _dir: dir, schema }
    }

    pub async fn drop_schema(self) {
        self.db.close().await;
        if let Some(s) = self.schema {
            drop_pg_schema(&s).await;
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
