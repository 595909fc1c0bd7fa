//! Jobs: what is stored, how one is described before insert, and what a handler answers.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::types::Json;
use std::time::Duration;

pub use sellcast_domain::JobState;

/// One entry of a job's error history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobError {
    pub attempt: i32,
    pub at: DateTime<Utc>,
    pub error: String,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub queue: String,
    pub args: Json<Value>,
    pub priority: i16,
    #[sqlx(try_from = "String")]
    pub state: JobState,
    pub run_at: DateTime<Utc>,
    pub attempt: i32,
    pub max_attempts: i32,
    pub errors: Json<Vec<JobError>>,
    pub unique_key: Option<String>,
    pub timeout_ms: Option<i64>,
    pub tags: Json<Vec<String>>,
    pub meta: Json<Value>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub attempted_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Typed job arguments: one type per kind.
pub trait JobArgs: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The kind name stored with the job and used to find its handler.
    const KIND: &'static str;
    const QUEUE: &'static str = "default";
    const MAX_ATTEMPTS: i32 = 20;
}

/// A job to insert.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub args: Value,
    pub queue: String,
    /// Lower runs first (0 is the default and most urgent usual value).
    pub priority: i16,
    /// None: now.
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: i32,
    /// While a job with this key is unfinished, inserting another returns it instead.
    pub unique_key: Option<String>,
    pub timeout: Option<Duration>,
    pub tags: Vec<String>,
    pub meta: Value,
}

impl NewJob {
    pub fn of<A: JobArgs>(args: &A) -> NewJob {
        NewJob {
            kind: A::KIND.to_string(),
            args: serde_json::to_value(args).unwrap_or(Value::Null),
            queue: A::QUEUE.to_string(),
            priority: 0,
            run_at: None,
            max_attempts: A::MAX_ATTEMPTS,
            unique_key: None,
            timeout: None,
            tags: Vec::new(),
            meta: Value::Object(Default::default()),
        }
    }

    /// An untyped job (CLI, tests, benchmarks).
    pub fn raw(kind: &str, args: Value) -> NewJob {
        NewJob {
            kind: kind.to_string(),
            args,
            queue: "default".into(),
            priority: 0,
            run_at: None,
            max_attempts: 20,
            unique_key: None,
            timeout: None,
            tags: Vec::new(),
            meta: Value::Object(Default::default()),
        }
    }

    pub fn queue(mut self, q: &str) -> Self {
        self.queue = q.to_string();
        self
    }

    pub fn priority(mut self, p: i16) -> Self {
        self.priority = p;
        self
    }

    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = n;
        self
    }

    pub fn unique_key(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }

    pub fn tags(mut self, tags: &[&str]) -> Self {
        self.tags = tags.iter().map(|t| t.to_string()).collect();
        self
    }

    pub fn meta(mut self, meta: Value) -> Self {
        self.meta = meta;
        self
    }
}

/// What a handler answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Done,
    /// Failed this attempt; retried after the kind's backoff, or dead when out of attempts.
    Retry(String),
    /// Run again at this time; not counted as an attempt.
    Snooze(DateTime<Utc>),
    /// Permanent failure: straight to dead.
    Discard(String),
    /// Stop: the job is cancelled.
    Cancel(String),
}
