//! The worker runtime: per-queue claim loops, a batching completer, lease heartbeats,
//! maintenance (rescue expired leases, prune), the periodic scheduler, and graceful shutdown.

use crate::job::{JobError, JobRow, JobState, Outcome};
use crate::metrics::QueueMetrics;
use crate::ops::{self, Transition};
use crate::registry::{JobContext, Registry};
use crate::{Now, QueueResult};
use chrono::{DateTime, Utc};
use sellcast_store::Db;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::{AbortHandle, JoinHandle};

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Unique per process; lease owners are derived from it.
    pub worker_id: String,
    /// (queue, concurrency).
    pub queues: Vec<(String, usize)>,
    /// How long a claim is valid without a heartbeat.
    pub lease: Duration,
    pub heartbeat: Duration,
    /// Look for work at least this often even without a notification.
    pub fallback_poll: Duration,
    /// How long shutdown waits for running jobs before releasing them.
    pub shutdown_grace: Duration,
    /// Finished jobs older than this are deleted.
    pub retention: Duration,
    /// How often expired leases are rescued and old jobs pruned.
    pub maintenance_every: Duration,
    /// Most jobs claimed in one statement.
    pub claim_batch: usize,
    /// Most jobs kept claimed (leased, heartbeated) beyond the free slots, so a busy queue
    /// claims in a few large statements instead of one small one per freed slot.
    pub claim_ahead: usize,
    /// How much work to keep claimed ahead, at the queue's recent rate: fast jobs are claimed
    /// hundreds at a time, slow ones only as slots free up (so other processes share them).
    pub claim_ahead_for: Duration,
    /// After a claim that emptied the due jobs, the next one waits at least this long, so
    /// jobs falling due one by one (a minute of scheduled posts) are claimed a few dozen at a
    /// time rather than each by its own claim.
    pub claim_gap: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            worker_id: format!("{}-{:08x}", std::process::id(), rand::random::<u32>()),
            queues: vec![("default".into(), 10)],
            lease: Duration::from_secs(60),
            heartbeat: Duration::from_secs(15),
            fallback_poll: Duration::from_secs(2),
            shutdown_grace: Duration::from_secs(30),
            retention: Duration::from_secs(7 * 24 * 3600),
            maintenance_every: Duration::from_secs(5),
            claim_batch: 500,
            claim_ahead: 500,
            claim_ahead_for: Duration::from_millis(50),
            claim_gap: Duration::from_millis(10),
        }
    }
}

pub struct Worker {
    pub db: Db,
    pub registry: Arc<Registry>,
    pub config: WorkerConfig,
    pub now: Now,
    pub metrics: Arc<QueueMetrics>,
}

struct Inner {
    db: Db,
    registry: Arc<Registry>,
    config: WorkerConfig,
    now: Now,
    metrics: Arc<QueueMetrics>,
    stop: watch::Receiver<bool>,
    /// Lease owner token → jobs under it not yet settled in the database (running, or done
    /// with the completion still waiting to be written): their leases are kept alive.
    leases: Arc<Mutex<HashMap<String, usize>>>,
    running: AtomicUsize,
    idle: Notify,
    handlers: Mutex<HashMap<i64, AbortHandle>>,
    completions: mpsc::UnboundedSender<Completion>,
}

enum Completion {
    Done(String, i64),
    /// Everything sent before this is written when the sender hears back.
    Flush(tokio::sync::oneshot::Sender<()>),
}

pub struct WorkerHandle {
    inner: Arc<Inner>,
    stop: watch::Sender<bool>,
    loops: Vec<JoinHandle<()>>,
    background: Vec<JoinHandle<()>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Worker {
    pub fn start(self) -> WorkerHandle {
        let (stop_tx, stop_rx) = watch::channel(false);
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            db: self.db,
            registry: self.registry,
            config: self.config,
            now: self.now,
            metrics: self.metrics,
            stop: stop_rx,
            leases: Arc::new(Mutex::new(HashMap::new())),
            running: AtomicUsize::new(0),
            idle: Notify::new(),
            handlers: Mutex::new(HashMap::new()),
            completions: done_tx,
        });
        let loops = inner
            .config
            .queues
            .iter()
            .map(|(q, n)| tokio::spawn(queue_loop(inner.clone(), q.clone(), (*n).max(1))))
            .collect();
        let mut background = vec![
            tokio::spawn(heartbeat_loop(inner.clone())),
            tokio::spawn(maintenance_loop(inner.clone())),
            tokio::spawn(periodic_loop(inner.clone())),
        ];
        if inner.db.pg_pool().is_some() {
            background.push(tokio::spawn(listen_loop(inner.clone())));
        }
        tokio::spawn(completer_loop(inner.db.clone(), inner.now.clone(), inner.leases.clone(), done_rx));
        WorkerHandle { inner, stop: stop_tx, loops, background }
    }
}

impl WorkerHandle {
    /// Stop claiming, let running jobs finish within the grace period, release what is
    /// still running, flush completions.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for l in self.loops {
            let _ = l.await;
        }
        let inner = &self.inner;
        wait_idle(inner, inner.config.shutdown_grace).await;
        // Past the grace period: stop the handlers still running; their jobs are released below.
        for (_, h) in lock(&inner.handlers).drain() {
            h.abort();
        }
        wait_idle(inner, Duration::from_secs(5)).await;
        // Completions already made must be written before leases are handed back, or a
        // finished job would run again.
        let (ack_tx, ack_rx) = tokio::sync::oneshot::channel();
        if inner.completions.send(Completion::Flush(ack_tx)).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(10), ack_rx).await;
        }
        let tokens: Vec<String> = lock(&inner.leases).keys().cloned().collect();
        for token in tokens {
            if let Err(e) = release(inner, &token).await {
                tracing::warn!(error = %e, "releasing leases at shutdown failed");
            }
        }
        for b in &self.background {
            b.abort();
        }
    }
}

async fn wait_idle(inner: &Inner, limit: Duration) {
    let deadline = Instant::now() + limit;
    while inner.running.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        let wait = inner.idle.notified();
        let _ = tokio::time::timeout(Duration::from_millis(50), wait).await;
    }
}

async fn release(inner: &Inner, token: &str) -> QueueResult<()> {
    let mut tx = inner.db.begin().await?;
    ops::release(tx.conn(), token, (inner.now)()).await?;
    tx.commit().await?;
    Ok(())
}

fn stopped(inner: &Inner) -> bool {
    *inner.stop.borrow()
}

async fn queue_loop(inner: Arc<Inner>, queue: String, concurrency: usize) {
    let slots = Arc::new((AtomicUsize::new(0), Notify::new()));
    // Claimed but not yet started; on stop they stay leased and shutdown releases them.
    let mut buffer: VecDeque<(JobRow, String)> = VecDeque::new();
    let mut rate = StartRate::new();
    // The last claim found fewer jobs than it asked for: wait for a wake-up before asking again.
    let mut drained = false;
    let mut seq: u64 = 0;
    let mut last_claim = Instant::now();
    let mut stop = inner.stop.clone();
    loop {
        if stopped(&inner) {
            return;
        }
        // Armed before claiming, so a notification that lands meanwhile is not lost.
        let wake = inner.db.job_wakeup().notified();
        tokio::pin!(wake);
        wake.as_mut().enable();
        let freed = slots.1.notified();
        tokio::pin!(freed);
        freed.as_mut().enable();

        rate.add(dispatch(&inner, &mut buffer, &slots, concurrency));
        let ahead = rate.ahead(inner.config.claim_ahead_for, inner.config.claim_ahead);
        let free = concurrency.saturating_sub(slots.0.load(Ordering::SeqCst));
        // Refill once the buffer has fallen to half of what is kept ahead.
        let want = (free + ahead).saturating_sub(buffer.len()).min(inner.config.claim_batch.max(1));
        let mut claimed_full = false;
        if !drained && (free > 0 || buffer.len() <= ahead / 2) && want > 0 {
            seq += 1;
            last_claim = Instant::now();
            let token = format!("{}:{}:{}", inner.config.worker_id, queue, seq);
            match claim(&inner, &queue, want, &token).await {
                Ok(jobs) => {
                    claimed_full = jobs.len() == want;
                    drained = !claimed_full;
                    if !jobs.is_empty() {
                        lock(&inner.leases).insert(token.clone(), jobs.len());
                        buffer.extend(jobs.into_iter().map(|j| (j, token.clone())));
                        rate.add(dispatch(&inner, &mut buffer, &slots, concurrency));
                    }
                }
                Err(e) => {
                    tracing::warn!(%queue, error = %e, "claiming jobs failed");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            }
        }
        let busy = slots.0.load(Ordering::SeqCst);
        // Slots freed since the dispatch, or a refill due: go round again rather than wait.
        let slots_free = !buffer.is_empty() && busy < concurrency;
        if slots_free || (claimed_full && (busy < concurrency || buffer.len() <= ahead / 2)) {
            continue;
        }
        let sleep_for = if busy < concurrency {
            let gap = inner.config.claim_gap.saturating_sub(last_claim.elapsed());
            until_next_due(&inner, &queue).await.max(gap)
        } else {
            inner.config.fallback_poll
        };
        tokio::select! {
            _ = stop.changed() => {}
            _ = &mut wake => drained = false,
            _ = &mut freed, if busy >= concurrency => {}
            _ = tokio::time::sleep(sleep_for) => drained = false,
        }
    }
}

/// Start buffered jobs while there are free slots; how many were started.
fn dispatch(
    inner: &Arc<Inner>,
    buffer: &mut VecDeque<(JobRow, String)>,
    slots: &Arc<(AtomicUsize, Notify)>,
    concurrency: usize,
) -> usize {
    let mut started = 0;
    while slots.0.load(Ordering::SeqCst) < concurrency {
        let Some((job, token)) = buffer.pop_front() else { break };
        slots.0.fetch_add(1, Ordering::SeqCst);
        inner.running.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(execute(inner.clone(), job, token, slots.clone()));
        started += 1;
    }
    started
}

/// The rate at which a queue starts jobs, smoothed over windows of 100 ms.
struct StartRate {
    since: Instant,
    started: usize,
    per_sec: f64,
}

impl StartRate {
    fn new() -> Self {
        StartRate { since: Instant::now(), started: 0, per_sec: 0.0 }
    }

    fn add(&mut self, n: usize) {
        self.started += n;
        let elapsed = self.since.elapsed();
        if elapsed >= Duration::from_millis(100) {
            let now = self.started as f64 / elapsed.as_secs_f64();
            self.per_sec = if self.per_sec == 0.0 { now } else { 0.5 * self.per_sec + 0.5 * now };
            self.since = Instant::now();
            self.started = 0;
        }
    }

    /// Jobs to keep claimed ahead: `window` of work at the current rate, at most `max`.
    fn ahead(&self, window: Duration, max: usize) -> usize {
        ((self.per_sec * window.as_secs_f64()) as usize).min(max)
    }
}

/// How long until the next job of the queue is due (bounded by the fallback poll).
async fn until_next_due(inner: &Inner, queue: &str) -> Duration {
    let fallback = inner.config.fallback_poll;
    let next = async {
        let mut c = inner.db.read().await?;
        ops::next_run_at(c.conn(), queue).await
    };
    match next.await {
        Ok(Some(at)) => {
            let wait = (at - (inner.now)()).to_std().unwrap_or(Duration::ZERO);
            wait.min(fallback)
        }
        Ok(None) => fallback,
        Err(e) => {
            tracing::warn!(%queue, error = %e, "reading the next due job failed");
            fallback
        }
    }
}

async fn claim(inner: &Inner, queue: &str, want: usize, token: &str) -> QueueResult<Vec<JobRow>> {
    let mut tx = inner.db.begin().await?;
    // Timed after the connection is ours, so waiting for it does not eat into the lease.
    let now = (inner.now)();
    let lease_until = now + chrono::Duration::from_std(inner.config.lease).unwrap_or_default();
    let jobs = ops::claim(tx.conn(), queue, want as i64, token, now, lease_until).await?;
    tx.commit().await?;
    Ok(jobs)
}

async fn execute(inner: Arc<Inner>, job: JobRow, token: String, slots: Arc<(AtomicUsize, Notify)>) {
    let started_at = (inner.now)();
    inner.metrics.observe_lag((started_at - job.run_at).num_milliseconds() as f64 / 1000.0);
    let started = Instant::now();
    let outcome = run_handler(&inner, &job).await;
    inner.metrics.observe_duration(started.elapsed().as_secs_f64());
    let mut settled = true;
    match outcome {
        // Stopped at shutdown: nothing is written; the lease stays listed so shutdown
        // releases it (available again, the attempt not counted).
        None => settled = false,
        Some(Outcome::Done) => {
            // The completer settles it (and releases the lease count) once written.
            settled = inner.completions.send(Completion::Done(token.clone(), job.id)).is_err();
        }
        Some(other) => {
            if matches!(other, Outcome::Retry(_) | Outcome::Discard(_)) {
                inner.metrics.failed(&job.kind);
            }
            if let Err(e) = settle(&inner, &job, &token, other).await {
                tracing::warn!(job_id = job.id, error = %e, "recording a job outcome failed; its lease will expire");
            }
        }
    }
    if settled {
        settle_lease(&inner.leases, &token, 1);
    }
    slots.0.fetch_sub(1, Ordering::SeqCst);
    slots.1.notify_waiters();
    inner.running.fetch_sub(1, Ordering::SeqCst);
    inner.idle.notify_waiters();
}

/// Run the job's handler; None when it was stopped at shutdown.
/// `n` jobs under `token` are settled in the database: stop heartbeating them.
fn settle_lease(leases: &Mutex<HashMap<String, usize>>, token: &str, n: usize) {
    let mut leases = lock(leases);
    if let Some(count) = leases.get_mut(token) {
        *count = count.saturating_sub(n);
    }
}

async fn run_handler(inner: &Inner, job: &JobRow) -> Option<Outcome> {
    let Some(spec) = inner.registry.kinds.get(&job.kind) else {
        return Some(Outcome::Retry(format!("no handler for kind {} in this process", job.kind)));
    };
    let timeout = job.timeout_ms.map(|ms| Duration::from_millis(ms.max(1) as u64)).or(spec.timeout);
    let handle = tokio::spawn((spec.handler)(JobContext { job: job.clone() }));
    lock(&inner.handlers).insert(job.id, handle.abort_handle());
    let abort = handle.abort_handle();
    let result = match timeout {
        Some(t) => match tokio::time::timeout(t, handle).await {
            Ok(r) => r,
            Err(_) => {
                abort.abort();
                lock(&inner.handlers).remove(&job.id);
                return Some(Outcome::Retry(format!("timed out after {:.1}s", t.as_secs_f64())));
            }
        },
        None => handle.await,
    };
    lock(&inner.handlers).remove(&job.id);
    match result {
        Ok(outcome) => Some(outcome),
        Err(e) if e.is_panic() => {
            let payload = e.into_panic();
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            Some(Outcome::Retry(format!("panicked: {msg}")))
        }
        Err(_) => None,
    }
}

/// The transition a non-Done outcome makes.
pub(crate) fn transition_for(
    job: &JobRow,
    outcome: &Outcome,
    backoff: &crate::Backoff,
    now: DateTime<Utc>,
) -> (JobState, DateTime<Utc>, i32, Vec<JobError>, Option<DateTime<Utc>>) {
    let mut errors = job.errors.0.clone();
    let mut note =
        |e: &str| errors.push(JobError { attempt: job.attempt, at: now, error: e.chars().take(2000).collect() });
    match outcome {
        Outcome::Done => (JobState::Completed, job.run_at, job.attempt, errors, Some(now)),
        Outcome::Retry(e) => {
            note(e);
            if job.attempt >= job.max_attempts {
                (JobState::Dead, job.run_at, job.attempt, errors, Some(now))
            } else {
                let wait = chrono::Duration::from_std(backoff.delay(job.attempt)).unwrap_or_default();
                (JobState::Retryable, now + wait, job.attempt, errors, None)
            }
        }
        Outcome::Snooze(at) => (JobState::Scheduled, *at, (job.attempt - 1).max(0), errors, None),
        Outcome::Discard(e) => {
            note(e);
            (JobState::Dead, job.run_at, job.attempt, errors, Some(now))
        }
        Outcome::Cancel(e) => {
            note(e);
            (JobState::Cancelled, job.run_at, job.attempt, errors, Some(now))
        }
    }
}

async fn settle(inner: &Inner, job: &JobRow, owner: &str, outcome: Outcome) -> QueueResult<bool> {
    let now = (inner.now)();
    let backoff = inner.registry.backoff_for(&job.kind);
    let (state, run_at, attempt, errors, finished_at) = transition_for(job, &outcome, &backoff, now);
    let mut tx = inner.db.begin().await?;
    let applied =
        ops::transition(tx.conn(), job.id, owner, &Transition { state, run_at, attempt, errors: &errors, finished_at })
            .await?;
    tx.commit().await?;
    if matches!(state, JobState::Scheduled | JobState::Retryable) {
        inner.db.job_wakeup().notify_waiters();
    }
    Ok(applied)
}

/// Batch completions: one statement for everything finished in the last ~2 ms. Leases stay
/// heartbeated until their completion is written. Ends when every sender is gone.
async fn completer_loop(
    db: Db,
    now: Now,
    leases: Arc<Mutex<HashMap<String, usize>>>,
    mut rx: mpsc::UnboundedReceiver<Completion>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + Duration::from_millis(2);
        while batch.len() < 5000 && !matches!(batch.last(), Some(Completion::Flush(_))) {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(item)) => batch.push(item),
                _ => break,
            }
        }
        let mut done: Vec<(i64, String)> = Vec::new();
        let mut acks = Vec::new();
        for item in batch {
            match item {
                Completion::Done(owner, id) => done.push((id, owner)),
                Completion::Flush(ack) => acks.push(ack),
            }
        }
        if !done.is_empty() {
            // A failed write is retried (the leases are still heartbeated meanwhile).
            let mut result = Err(crate::QueueError::Invalid("not attempted".into()));
            for attempt in 0..5 {
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
                }
                result = async {
                    let mut tx = db.begin().await?;
                    let n = ops::complete_pairs(tx.conn(), &done, now()).await?;
                    tx.commit().await?;
                    QueueResult::Ok(n)
                }
                .await;
                if result.is_ok() {
                    break;
                }
            }
            match result {
                Ok(n) if n < done.len() as u64 => tracing::warn!(
                    lost = done.len() as u64 - n,
                    "completions arrived after their lease was lost; those jobs run again"
                ),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, jobs = done.len(), "recording completions failed; leases will expire")
                }
            }
            let mut per_token: HashMap<&str, usize> = HashMap::new();
            for (_, owner) in &done {
                *per_token.entry(owner.as_str()).or_default() += 1;
            }
            for (token, n) in per_token {
                settle_lease(&leases, token, n);
            }
        }
        for ack in acks {
            let _ = ack.send(());
        }
    }
}

async fn heartbeat_loop(inner: Arc<Inner>) {
    // On PostgreSQL the heartbeat keeps a connection of its own, so busy handlers holding
    // the pool cannot starve it into losing leases. (SQLite writes through its one writer.)
    let mut held: Option<sellcast_store::PoolConn> = None;
    loop {
        tokio::time::sleep(inner.config.heartbeat).await;
        let tokens: Vec<String> = {
            let mut leases = lock(&inner.leases);
            leases.retain(|_, n| *n > 0);
            leases.keys().cloned().collect()
        };
        if tokens.is_empty() {
            continue;
        }
        let lease = chrono::Duration::from_std(inner.config.lease).unwrap_or_default();
        let beat = async {
            if inner.db.pg_pool().is_some() {
                if held.is_none() {
                    held = Some(inner.db.read().await?);
                }
                if let Some(c) = held.as_mut() {
                    // Timed once the connection is ours: waiting must not shorten the lease.
                    ops::heartbeat_all(c.conn(), &tokens, (inner.now)() + lease).await?;
                }
            } else {
                let mut tx = inner.db.begin().await?;
                ops::heartbeat_all(tx.conn(), &tokens, (inner.now)() + lease).await?;
                tx.commit().await?;
            }
            QueueResult::Ok(())
        };
        if let Err(e) = beat.await {
            held = None;
            tracing::warn!(error = %e, "lease heartbeat failed");
        }
    }
}

async fn maintenance_loop(inner: Arc<Inner>) {
    loop {
        if let Err(e) = maintain(&inner).await {
            tracing::warn!(error = %e, "queue maintenance failed");
        }
        tokio::time::sleep(inner.config.maintenance_every).await;
    }
}

/// One maintenance pass: rescue expired leases, prune old finished jobs and ticks.
async fn maintain(inner: &Inner) -> QueueResult<()> {
    let now = (inner.now)();
    let expired = {
        let mut c = inner.db.read().await?;
        ops::expired_leases(c.conn(), now, 500).await?
    };
    let mut rescued = 0;
    for job in expired {
        let Some(owner) = job.lease_owner.clone() else { continue };
        let backoff = inner.registry.backoff_for(&job.kind);
        let outcome = Outcome::Retry("lease expired: the worker stopped or stalled".into());
        let (state, mut run_at, attempt, errors, finished_at) = transition_for(&job, &outcome, &backoff, now);
        // Its worker died or stalled: the job itself did not fail, so it runs again at once (the
        // attempt still counts, so a job that kills its worker every time ends up dead).
        if state == JobState::Retryable {
            run_at = now;
        }
        let mut tx = inner.db.begin().await?;
        let t = Transition { state, run_at, attempt, errors: &errors, finished_at };
        if ops::transition(tx.conn(), job.id, &owner, &t).await? {
            rescued += 1;
        }
        tx.commit().await?;
    }
    if rescued > 0 {
        inner.metrics.rescued(rescued);
        inner.db.job_wakeup().notify_waiters();
        tracing::info!(rescued, "rescued jobs whose lease expired");
    }
    let before = now - chrono::Duration::from_std(inner.config.retention).unwrap_or_default();
    let mut tx = inner.db.begin().await?;
    ops::prune(tx.conn(), before, 5000).await?;
    ops::prune_ticks(tx.conn(), now - chrono::Duration::days(2)).await?;
    tx.commit().await?;
    Ok(())
}

async fn periodic_loop(inner: Arc<Inner>) {
    let periodic = &inner.registry.periodic;
    if periodic.is_empty() {
        return;
    }
    let start = (inner.now)();
    let mut next: Vec<Option<DateTime<Utc>>> = periodic.iter().map(|p| p.next_after(start)).collect();
    loop {
        let Some(soonest) = next.iter().flatten().min().copied() else { return };
        let wait = (soonest - (inner.now)()).to_std().unwrap_or(Duration::ZERO);
        tokio::time::sleep(wait.min(Duration::from_secs(60))).await;
        let now = (inner.now)();
        for (p, tick) in periodic.iter().zip(next.iter_mut()) {
            let Some(t) = *tick else { continue };
            if t > now {
                continue;
            }
            if let Err(e) = p.fire(&inner.db, t, now).await {
                tracing::warn!(periodic = %p.name, error = %e, "enqueueing a periodic job failed");
            }
            *tick = p.next_after(now);
        }
    }
}

/// PostgreSQL: wake on NOTIFY from any process.
async fn listen_loop(inner: Arc<Inner>) {
    let Some(pool) = inner.db.pg_pool().cloned() else { return };
    loop {
        match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                if listener.listen("sellcast_jobs").await.is_ok() {
                    while listener.recv().await.is_ok() {
                        inner.db.job_wakeup().notify_waiters();
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "LISTEN for jobs failed; polling meanwhile"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
