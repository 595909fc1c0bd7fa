//! Sellcast side of the job-queue benchmark (bench/queue/run.sh runs it beside BullMQ's
//! bench/queue/bullmq/bench.js and prints the comparison; bench/README.md has the results).
//!
//! ```text
//! cargo run --release -p sellcast-queue --example queue_bench -- \
//!     --backend sqlite|postgres --mode throughput|precision --jobs N --concurrency C \
//!     [--database-url URL] [--delay-ms D] [--batch B] [--pool P] [--timeout-secs S] [--analyze 1|0]
//! ```
//!
//! Prints exactly one line of JSON, in the shape bench.js prints (`system` is
//! `sellcast-sqlite` or `sellcast-postgres`, plus a few extra diagnostic fields); every
//! diagnostic goes to stderr. Each run uses a fresh database: a SQLite file in a temporary
//! directory, or a PostgreSQL schema created for the run and dropped after it.
//!
//! - throughput: enqueue N no-op jobs with `ops::enqueue_many`, B jobs per committed
//!   transaction; then start one Worker with concurrency C. `process_secs` runs from the
//!   worker's start until every job is `completed` in the database (the handler counts to N,
//!   then the remaining unfinished rows are polled down to 0); after shutdown the completed
//!   count is checked to be N.
//! - precision: every job is due at T = now + D ms (enqueued as `scheduled`); the worker is
//!   started right after enqueueing. Lateness = handler start − T (monotonic clock);
//!   `last_done_after_t_ms` is when the last completion was committed, relative to T.

use chrono::{DateTime, Utc};
use sellcast_queue::{ops, system_now, NewJob, Outcome, Registry, Worker, WorkerConfig};
use sellcast_store::{exec, on, Db, DbOptions};
use serde_json::{json, Value};
use std::error::Error;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const UNFINISHED: &str = "('scheduled', 'available', 'running', 'retryable')";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Throughput,
    Precision,
}

#[derive(Debug, Clone)]
struct Opts {
    backend: Backend,
    mode: Mode,
    jobs: usize,
    concurrency: usize,
    database_url: String,
    delay_ms: u64,
    batch: usize,
    pool: u32,
    timeout_secs: u64,
    /// Refresh the planner's statistics after enqueueing (see `analyze`); off by default.
    analyze: bool,
    /// `WorkerConfig::claim_batch` and `claim_ahead` (the worker's defaults unless given).
    claim_batch: Option<usize>,
    claim_ahead: Option<usize>,
}

macro_rules! log {
    ($($arg:tt)*) => { eprintln!("[bench-sellcast] {}", format!($($arg)*)) };
}

fn usage(msg: &str) -> ! {
    if !msg.is_empty() {
        eprintln!("error: {msg}");
    }
    eprintln!(
        "usage: queue_bench --backend sqlite|postgres --mode throughput|precision --jobs N --concurrency C \
         [--database-url URL] [--delay-ms D] [--batch B] [--pool P] [--timeout-secs S] [--analyze 1|0] [--claim-batch N] [--claim-ahead N]"
    );
    std::process::exit(2);
}

fn parse_args() -> Opts {
    let mut backend = None;
    let mut mode = None;
    let mut jobs = None;
    let mut concurrency = None;
    let mut database_url = std::env::var("SELLCAST_BENCH_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_PG_URL.into());
    let mut delay_ms = 3000u64;
    let mut batch = 5000usize;
    let mut pool = 10u32;
    let mut timeout_secs = 900u64;
    let mut analyze = false;
    let mut claim_batch = None;
    let mut claim_ahead = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let Some(name) = arg.strip_prefix("--") else { usage(&format!("unexpected argument {arg}")) };
        let (name, value) = match name.split_once('=') {
            Some((n, v)) => (n.to_string(), v.to_string()),
            None => {
                let v = args.next().unwrap_or_else(|| usage(&format!("missing value for --{name}")));
                (name.to_string(), v)
            }
        };
        let int = |v: &str| -> u64 {
            v.parse().unwrap_or_else(|_| usage(&format!("--{name} must be a non-negative integer")))
        };
        match name.as_str() {
            "backend" => {
                backend = Some(match value.as_str() {
                    "sqlite" => Backend::Sqlite,
                    "postgres" => Backend::Postgres,
                    _ => usage("--backend must be sqlite or postgres"),
                })
            }
            "mode" => {
                mode = Some(match value.as_str() {
                    "throughput" => Mode::Throughput,
                    "precision" => Mode::Precision,
                    _ => usage("--mode must be throughput or precision"),
                })
            }
            "jobs" => jobs = Some(int(&value) as usize),
            "concurrency" => concurrency = Some(int(&value) as usize),
            "database-url" => database_url = value,
            "delay-ms" => delay_ms = int(&value),
            "batch" => batch = int(&value) as usize,
            "pool" => pool = int(&value) as u32,
            "timeout-secs" => timeout_secs = int(&value),
            "analyze" => analyze = int(&value) != 0,
            "claim-batch" => claim_batch = Some(int(&value) as usize),
            "claim-ahead" => claim_ahead = Some(int(&value) as usize),
            _ => usage(&format!("unknown option --{name}")),
        }
    }
    let opts = Opts {
        backend: backend.unwrap_or_else(|| usage("--backend is required")),
        mode: mode.unwrap_or_else(|| usage("--mode is required")),
        jobs: jobs.unwrap_or_else(|| usage("--jobs is required")),
        concurrency: concurrency.unwrap_or_else(|| usage("--concurrency is required")),
        database_url,
        delay_ms,
        batch,
        pool,
        timeout_secs,
        analyze,
        claim_batch,
        claim_ahead,
    };
    if opts.jobs < 1 || opts.concurrency < 1 || opts.batch < 1 || opts.pool < 1 {
        usage("--jobs, --concurrency, --batch and --pool must be >= 1");
    }
    opts
}

/// A database made for this run and removed after it.
struct FreshDb {
    db: Db,
    _dir: Option<tempfile::TempDir>,
    /// (admin URL, schema) to drop on PostgreSQL.
    schema: Option<(String, String)>,
}

impl FreshDb {
    async fn new(opts: &Opts) -> BoxResult<FreshDb> {
        let (url, dir, schema) = match opts.backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}", dir.path().join("queue.db").display());
                (url, Some(dir), None)
            }
            Backend::Postgres => {
                use sqlx::Connection;
                let base = opts.database_url.clone();
                let mut conn = sqlx::PgConnection::connect(&base).await?;
                let name = format!("sellcast_bench_{}_{}", std::process::id(), Utc::now().timestamp_millis());
                sqlx::query(&format!("CREATE SCHEMA \"{name}\"")).execute(&mut conn).await?;
                conn.close().await?;
                let sep = if base.contains('?') { '&' } else { '?' };
                (format!("{base}{sep}options[search_path]={name}"), None, Some((base, name)))
            }
        };
        let fresh =
            FreshDb { db: Db::connect(&DbOptions { url, max_connections: opts.pool }).await?, _dir: dir, schema };
        fresh.db.migrate().await?;
        Ok(fresh)
    }

    async fn remove(self) {
        self.db.close().await;
        if let Some((base, name)) = self.schema {
            use sqlx::Connection;
            match sqlx::PgConnection::connect(&base).await {
                Ok(mut conn) => {
                    if let Err(e) = sqlx::query(&format!("DROP SCHEMA \"{name}\" CASCADE")).execute(&mut conn).await {
                        log!("dropping schema {name} failed: {e}");
                    }
                }
                Err(e) => log!("connecting to drop schema {name} failed: {e}"),
            }
        }
    }
}

/// What the handler records: starts (lateness against T), completions, and the moment the
/// last one finished.
struct Probe {
    n: usize,
    t: Option<Instant>,
    started: AtomicUsize,
    done: AtomicUsize,
    lateness_ns: Vec<AtomicI64>,
    /// When the last handler finished, and its job's id.
    last_done: Mutex<Option<(Instant, i64)>>,
    all_done: Notify,
}

impl Probe {
    fn new(n: usize, t: Option<Instant>) -> Probe {
        Probe {
            n,
            t,
            started: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            lateness_ns: if t.is_some() { (0..n).map(|_| AtomicI64::new(0)).collect() } else { Vec::new() },
            last_done: Mutex::new(None),
            all_done: Notify::new(),
        }
    }

    fn on_start(&self) {
        let i = self.started.fetch_add(1, Ordering::Relaxed);
        if let Some(t) = self.t {
            let now = Instant::now();
            let late = if now >= t { (now - t).as_nanos() as i64 } else { -((t - now).as_nanos() as i64) };
            if let Some(slot) = self.lateness_ns.get(i) {
                slot.store(late, Ordering::Relaxed);
            }
        }
    }

    fn on_done(&self, id: i64) {
        if self.done.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            *self.last_done.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), id));
            // notify_one keeps a permit, so a waiter arriving later still sees it.
            self.all_done.notify_one();
        }
    }
}

fn worker_config(opts: &Opts) -> WorkerConfig {
    let defaults = WorkerConfig::default();
    WorkerConfig {
        queues: vec![("default".into(), opts.concurrency)],
        claim_batch: opts.claim_batch.unwrap_or(defaults.claim_batch),
        claim_ahead: opts.claim_ahead.unwrap_or(defaults.claim_ahead),
        // Wake-ups come from job_wakeup (and NOTIFY on PostgreSQL) and from the next due
        // run_at; the poll is only the safety net.
        fallback_poll: Duration::from_secs(1),
        ..defaults
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// Nearest-rank percentile over a sorted slice (as bench.js computes it).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let idx = ((q * sorted.len() as f64).ceil() as usize).saturating_sub(1).min(sorted.len() - 1);
    sorted[idx]
}

async fn scalar(db: &Db, sql: &str) -> BoxResult<i64> {
    let mut c = db.read().await?;
    let conn = c.conn();
    Ok(on!(conn, c => sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await)?)
}

/// Enqueue `n` no-op jobs, `batch` per committed transaction; seconds taken.
async fn enqueue(db: &Db, n: usize, batch: usize, run_at: Option<DateTime<Utc>>) -> BoxResult<f64> {
    let t0 = Instant::now();
    let mut done = 0;
    while done < n {
        let count = batch.min(n - done);
        let jobs: Vec<NewJob> = (0..count)
            .map(|_| {
                let job = NewJob::raw("noop", json!({})).max_attempts(1);
                match run_at {
                    Some(at) => job.run_at(at),
                    None => job,
                }
            })
            .collect();
        let mut tx = db.begin().await?;
        ops::enqueue_many(tx.conn(), &jobs, Utc::now()).await?;
        tx.commit().await?;
        db.job_wakeup().notify_waiters();
        done += count;
    }
    Ok(t0.elapsed().as_secs_f64())
}

/// Wait until the handler has run `n` times, then until no unfinished row is left (the
/// batched completions are committed). Returns (handlers done, all committed).
async fn wait_finished(db: &Db, probe: &Probe, limit: Duration) -> BoxResult<(Instant, Instant)> {
    let deadline = Instant::now() + limit;
    let mut last_report = Instant::now();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("timed out: {} of {} handlers ran", probe.done.load(Ordering::SeqCst), probe.n).into());
        }
        if tokio::time::timeout(left.min(Duration::from_secs(5)), probe.all_done.notified()).await.is_ok() {
            break;
        }
        if last_report.elapsed() >= Duration::from_secs(5) {
            log!("… {} of {} handlers ran", probe.done.load(Ordering::SeqCst), probe.n);
            last_report = Instant::now();
        }
    }
    let (handlers_done, last_id) =
        probe.last_done.lock().unwrap_or_else(|p| p.into_inner()).ok_or("no completion recorded")?;
    // The completer writes completions in the order they were made, a few ms apart: wait
    // cheaply (by primary key) for the last handler's job, then confirm that no unfinished
    // row is left. A statement's snapshot is taken when it starts, so a count of 0 proves
    // that every completion was committed before `asked`.
    // By primary key only: with a state predicate the planner may pick a state index and
    // walk every row in that state.
    let row = format!("SELECT COUNT(*) FROM jobs WHERE id = {last_id} AND finished_at IS NOT NULL");
    let unfinished = format!("SELECT COUNT(*) FROM jobs WHERE state IN {UNFINISHED}");
    while scalar(db, &row).await? == 0 {
        if Instant::now() >= deadline {
            return Err("timed out waiting for the last completion to be committed".into());
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    loop {
        let asked = Instant::now();
        if scalar(db, &unfinished).await? == 0 {
            return Ok((handlers_done, asked));
        }
        if Instant::now() >= deadline {
            return Err("timed out waiting for completions to be committed".into());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// `--analyze 1`: refresh the planner's statistics of the freshly filled table, as
/// autovacuum's autoanalyze would on a long-lived database (this machine's PostgreSQL runs
/// with autovacuum off, and a table created empty moments ago has none). Not timed. With
/// statistics that see no `running` row, PostgreSQL plans the completion UPDATE through the
/// `state` index (see bench/README.md), which makes it slower as completions back up.
async fn analyze(db: &Db) -> BoxResult<f64> {
    let t0 = Instant::now();
    let mut tx = db.begin().await?;
    exec!(tx.conn(), sqlx::query("ANALYZE jobs"))?;
    tx.commit().await?;
    Ok(t0.elapsed().as_secs_f64())
}

/// After shutdown: every job completed exactly as counted; how many claim statements and
/// completion batches there were (distinct attempted_at / finished_at timestamps: a claim
/// stamps its own `now`, the completer one `now` per batch).
async fn check_and_diagnose(db: &Db, probe: &Probe) -> BoxResult<(i64, i64)> {
    let completed = scalar(db, "SELECT COUNT(*) FROM jobs WHERE state = 'completed'").await?;
    let total = scalar(db, "SELECT COUNT(*) FROM jobs").await?;
    let ran = probe.started.load(Ordering::SeqCst);
    if completed != probe.n as i64 || total != probe.n as i64 || ran != probe.n {
        return Err(format!(
            "expected {} completed jobs; the database has {completed} of {total}, the handler ran {ran} times",
            probe.n
        )
        .into());
    }
    let claims = scalar(db, "SELECT COUNT(DISTINCT attempted_at) FROM jobs").await?;
    let completions = scalar(db, "SELECT COUNT(DISTINCT finished_at) FROM jobs").await?;
    Ok((claims, completions))
}

fn registry(probe: &Arc<Probe>) -> Registry {
    let mut reg = Registry::new();
    let p = probe.clone();
    reg.register_raw("noop", move |ctx| {
        let p = p.clone();
        async move {
            p.on_start();
            p.on_done(ctx.job.id);
            Outcome::Done
        }
    });
    reg
}

async fn run(opts: &Opts, db: &Db, system: &str) -> BoxResult<Value> {
    let config = worker_config(opts);
    let config_json = json!({
        "claim_batch": config.claim_batch,
        "claim_ahead": config.claim_ahead,
        "fallback_poll_ms": config.fallback_poll.as_millis() as u64,
        "enqueue_batch": opts.batch,
        "pool": opts.pool,
        "analyze": opts.analyze,
    });
    let limit = Duration::from_secs(opts.timeout_secs);
    match opts.mode {
        Mode::Throughput => {
            let enqueue_secs = enqueue(db, opts.jobs, opts.batch, None).await?;
            log!("enqueued {} jobs in {enqueue_secs:.3}s", opts.jobs);
            if opts.analyze {
                log!("ANALYZE jobs took {:.3}s", analyze(db).await?);
            }
            let probe = Arc::new(Probe::new(opts.jobs, None));
            let worker = Worker {
                db: db.clone(),
                registry: Arc::new(registry(&probe)),
                config,
                now: system_now(),
                metrics: Default::default(),
            };
            let t0 = Instant::now();
            let handle = worker.start();
            let (handlers_done, committed) = wait_finished(db, &probe, limit).await?;
            let s0 = Instant::now();
            handle.shutdown().await;
            let shutdown_secs = s0.elapsed().as_secs_f64();
            let (claims, completions) = check_and_diagnose(db, &probe).await?;
            let process_secs = (committed - t0).as_secs_f64();
            log!(
                "processed in {process_secs:.3}s (handlers done after {:.3}s); {claims} claim statements \
                 (avg {:.1} jobs), {completions} completion batches (avg {:.1} jobs); shutdown {shutdown_secs:.3}s",
                (handlers_done - t0).as_secs_f64(),
                opts.jobs as f64 / claims.max(1) as f64,
                opts.jobs as f64 / completions.max(1) as f64,
            );
            Ok(json!({
                "system": system,
                "mode": "throughput",
                "jobs": opts.jobs,
                "concurrency": opts.concurrency,
                "enqueue_secs": round(enqueue_secs, 4),
                "process_secs": round(process_secs, 4),
                "jobs_per_sec": round(opts.jobs as f64 / process_secs, 1),
                "handlers_done_secs": round((handlers_done - t0).as_secs_f64(), 4),
                "shutdown_secs": round(shutdown_secs, 4),
                "claim_statements": claims,
                "completion_batches": completions,
                "config": config_json,
            }))
        }
        Mode::Precision => {
            let delay = Duration::from_millis(opts.delay_ms);
            let t = Instant::now() + delay;
            let t_wall = Utc::now() + chrono::Duration::from_std(delay)?;
            let enqueue_secs = enqueue(db, opts.jobs, opts.batch, Some(t_wall)).await?;
            let before_t = t.saturating_duration_since(Instant::now());
            log!("enqueued {} scheduled jobs in {enqueue_secs:.3}s, {} ms before T", opts.jobs, before_t.as_millis());
            if opts.analyze {
                log!("ANALYZE jobs took {:.3}s", analyze(db).await?);
            }
            if Instant::now() >= t {
                log!("WARNING: enqueueing ended after T; increase --delay-ms");
            }
            let probe = Arc::new(Probe::new(opts.jobs, Some(t)));
            let worker = Worker {
                db: db.clone(),
                registry: Arc::new(registry(&probe)),
                config,
                now: system_now(),
                metrics: Default::default(),
            };
            let handle = worker.start();
            let (handlers_done, committed) = wait_finished(db, &probe, limit + delay).await?;
            handle.shutdown().await;
            let (claims, completions) = check_and_diagnose(db, &probe).await?;
            let mut sorted: Vec<f64> =
                probe.lateness_ns.iter().map(|x| x.load(Ordering::Relaxed) as f64 / 1e6).collect();
            sorted.sort_by(f64::total_cmp);
            let signed_ms = |i: Instant| {
                if i >= t {
                    (i - t).as_secs_f64() * 1e3
                } else {
                    -(t - i).as_secs_f64() * 1e3
                }
            };
            log!(
                "lateness min {:.3} ms, {} job(s) started before T; handlers done {:.1} ms after T, committed {:.1} ms \
                 after T; {claims} claim statements, {completions} completion batches",
                sorted[0],
                sorted.iter().filter(|x| **x < 0.0).count(),
                signed_ms(handlers_done),
                signed_ms(committed),
            );
            Ok(json!({
                "system": system,
                "mode": "precision",
                "jobs": opts.jobs,
                "concurrency": opts.concurrency,
                "delay_ms": opts.delay_ms,
                "enqueue_secs": round(enqueue_secs, 4),
                "last_done_after_t_ms": round(signed_ms(committed), 3),
                "lateness_ms": {
                    "p50": round(percentile(&sorted, 0.5), 3),
                    "p99": round(percentile(&sorted, 0.99), 3),
                    "max": round(sorted[sorted.len() - 1], 3),
                },
                "handlers_done_after_t_ms": round(signed_ms(handlers_done), 3),
                "claim_statements": claims,
                "completion_batches": completions,
                "config": config_json,
            }))
        }
    }
}

#[tokio::main]
async fn main() {
    let opts = parse_args();
    let system = match opts.backend {
        Backend::Sqlite => "sellcast-sqlite",
        Backend::Postgres => "sellcast-postgres",
    };
    log!(
        "{system}, mode={:?} jobs={} concurrency={} enqueue batch={}",
        opts.mode,
        opts.jobs,
        opts.concurrency,
        opts.batch
    );
    let fresh = match FreshDb::new(&opts).await {
        Ok(f) => f,
        Err(e) => {
            log!("FAILED to prepare the database: {e}");
            std::process::exit(1);
        }
    };
    let result = run(&opts, &fresh.db, system).await;
    fresh.remove().await;
    match result {
        Ok(v) => println!("{v}"),
        Err(e) => {
            log!("FAILED: {e}");
            std::process::exit(1);
        }
    }
}
