//! Helpers shared by the `semantics_*` tests: enqueue in a transaction, read a job, poll for
//! a condition, build workers with a custom configuration or clock.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use sellcast_queue::ops::{self, Enqueued, JobFilter};
use sellcast_queue::{system_now, JobRow, JobState, NewJob, Now, Registry, Worker, WorkerConfig};
use sellcast_store::{on, Db};
use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long any wait for a condition may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(25);

/// Enqueue one job in its own committed transaction and wake this process's workers.
pub async fn enqueue(db: &Db, job: &NewJob) -> Enqueued {
    let mut tx = db.begin().await.expect("begin");
    let e = ops::enqueue(tx.conn(), job, Utc::now()).await.expect("enqueue");
    tx.commit().await.expect("commit");
    db.job_wakeup().notify_waiters();
    e
}

pub async fn get(db: &Db, id: i64) -> Option<JobRow> {
    let mut c = db.read().await.expect("read");
    ops::get(c.conn(), id).await.expect("get")
}

pub async fn must_get(db: &Db, id: i64) -> JobRow {
    get(db, id).await.unwrap_or_else(|| panic!("job {id} is missing"))
}

pub async fn list(db: &Db, f: &JobFilter, before: Option<i64>, limit: i64) -> Vec<JobRow> {
    let mut c = db.read().await.expect("read");
    ops::list(c.conn(), f, before, limit).await.expect("list")
}

pub async fn count_jobs(db: &Db) -> i64 {
    let mut c = db.read().await.expect("read");
    on!(c.conn(), c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM jobs").fetch_one(c).await).expect("count")
}

/// Claim up to `limit` jobs of `queue` for `owner` with a lease ending at `lease_until`.
pub async fn claim_as(
    db: &Db,
    queue: &str,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Vec<JobRow> {
    let mut tx = db.begin().await.expect("begin");
    let rows = ops::claim(tx.conn(), queue, 100, owner, now, lease_until).await.expect("claim");
    tx.commit().await.expect("commit");
    rows
}

pub async fn complete_as(db: &Db, owner: &str, ids: &[i64]) -> u64 {
    let mut tx = db.begin().await.expect("begin");
    let n = ops::complete_many(tx.conn(), owner, ids, Utc::now()).await.expect("complete");
    tx.commit().await.expect("commit");
    n
}

/// Poll until `cond` holds for job `id`; returns the row. Fails after [`WAIT`].
pub async fn wait_job(db: &Db, id: i64, what: &str, cond: impl Fn(&JobRow) -> bool) -> JobRow {
    let deadline = Instant::now() + WAIT;
    loop {
        let row = get(db, id).await;
        if let Some(r) = &row {
            if cond(r) {
                return r.clone();
            }
        }
        assert!(Instant::now() < deadline, "job {id} never became {what}: {row:#?}");
        tokio::time::sleep(POLL).await;
    }
}

pub async fn wait_state(db: &Db, id: i64, state: JobState) -> JobRow {
    wait_job(db, id, state.as_str(), |r| r.state == state).await
}

/// Poll an async condition until it holds. Fails after [`WAIT`].
pub async fn wait_until<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + WAIT;
    while !cond().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(POLL).await;
    }
}

/// Test intervals like `crate::support::worker`, with every field open to change.
pub fn config(queues: &[(&str, usize)]) -> WorkerConfig {
    WorkerConfig {
        queues: queues.iter().map(|(q, n)| (q.to_string(), *n)).collect(),
        lease: Duration::from_secs(5),
        heartbeat: Duration::from_secs(1),
        fallback_poll: Duration::from_millis(200),
        shutdown_grace: Duration::from_secs(5),
        maintenance_every: Duration::from_millis(200),
        ..WorkerConfig::default()
    }
}

pub fn worker_with(db: &Db, registry: Registry, config: WorkerConfig, now: Now) -> Worker {
    Worker { db: db.clone(), registry: Arc::new(registry), config, now, metrics: Default::default() }
}

pub fn real_clock() -> Now {
    system_now()
}

/// A clock that runs with the system clock plus an offset the test moves forward.
#[derive(Clone, Default)]
pub struct FakeClock {
    offset_ms: Arc<AtomicI64>,
}

impl FakeClock {
    pub fn now_fn(&self) -> Now {
        let offset = self.offset_ms.clone();
        Arc::new(move || Utc::now() + chrono::Duration::milliseconds(offset.load(Ordering::SeqCst)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.now_fn())()
    }

    pub fn advance(&self, d: Duration) {
        self.offset_ms.fetch_add(d.as_millis() as i64, Ordering::SeqCst);
    }
}

/// |a − b| ≤ tolerance.
pub fn close_to(a: DateTime<Utc>, b: DateTime<Utc>, tolerance: Duration) -> bool {
    (a - b).abs() <= chrono::Duration::from_std(tolerance).expect("tolerance")
}
