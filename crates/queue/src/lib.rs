//! The durable job queue: jobs live in the application's database, so a business write and
//! the job it needs commit together (or not at all). At-least-once execution with leases,
//! heartbeats, rescue of expired leases, fenced completion, retries with backoff, a dead
//! state, unique keys, periodic (cron) jobs, priorities and per-queue concurrency.
//! Design references: River (Go), Oban (Elixir). See docs/adr/0005-job-queue.md.

pub mod backoff;
pub mod job;
pub mod metrics;
pub mod ops;
pub mod periodic;
pub mod registry;
pub mod worker;

pub use backoff::Backoff;
pub use job::{JobArgs, JobRow, JobState, NewJob, Outcome};
pub use registry::{JobContext, Registry};
pub use worker::{Worker, WorkerConfig, WorkerHandle};

use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Where "now" comes from; tests move it.
pub type Now = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub fn system_now() -> Now {
    Arc::new(Utc::now)
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Store(#[from] sellcast_store::StoreError),
    #[error("invalid job: {0}")]
    Invalid(String),
}

impl From<sqlx::Error> for QueueError {
    fn from(e: sqlx::Error) -> Self {
        QueueError::Store(e.into())
    }
}

pub type QueueResult<T> = Result<T, QueueError>;
