//! The worker process of the queue's multi-process tests (`processes.rs`), for those tests
//! only: the test binary runs itself again with `command` to start one, so the library crate
//! ships no binary for its tests.
//!
//! It runs a `sellcast_queue::Worker` with a handler for kind `fixture.record` that sleeps for
//! the given duration and then records its execution as a row of `fixture_runs (job_id,
//! worker_id, attempt, finished_at)` before answering `Outcome::Done`. The tests kill it with
//! SIGKILL mid-run, or run several side by side, and then compare `fixture_runs` with the
//! jobs table.
//!
//! ```text
//! FIXTURE_DATABASE_URL=sqlite:///tmp/q.db \
//! QUEUE_FIXTURE_ARGS='--worker-id A --concurrency 16 --handler-ms 0-20 [--exit-when-idle] [--lease-ms 2000] [--pool 8]' \
//!     <this test binary> --exact queue_fixture::worker_process --ignored --nocapture
//! ```
//!
//! It stops gracefully on SIGTERM or ctrl-c, or, with `--exit-when-idle`, once no
//! `fixture.record` job has been unfinished for about a second. Bad input (arguments, the
//! URL, a database that cannot be opened) prints a message and exits with code 2.

use rand::Rng;
use sellcast_queue::{system_now, Backoff, JobContext, Outcome, Registry, Worker, WorkerConfig};
use sellcast_store::{exec, on, Db, DbOptions};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const KIND: &str = "fixture.record";

/// The fixture's arguments, separated by whitespace (the test harness owns the command line).
const ARGS_VAR: &str = "QUEUE_FIXTURE_ARGS";
/// The entry below, by its full name in this test binary.
const ENTRY: &str = "queue_fixture::worker_process";

const USAGE: &str = "usage: FIXTURE_DATABASE_URL=<sqlite://path | postgres://…> \
QUEUE_FIXTURE_ARGS='--worker-id <id> [--concurrency <n>] [--handler-ms <ms | min-max>] [--exit-when-idle] \
[--lease-ms <ms>] [--pool <n>] [--database-url <url>]' <test binary> --exact queue_fixture::worker_process \
--ignored --nocapture";

/// A command that starts a fixture process with `args`: this test binary, running only the
/// entry below (`--nocapture`: its output goes straight to the process's stdout and stderr,
/// which the harness would otherwise hold back and lose at `exit`).
pub fn command(args: &[&str]) -> Command {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = Command::new(exe);
    cmd.args(["--exact", ENTRY, "--ignored", "--nocapture", "--test-threads", "1"]).env(ARGS_VAR, args.join(" "));
    cmd
}

/// The fixture's entry: a test that only `command` runs (ignored otherwise). It ends the
/// process itself, with the fixture's exit code.
#[test]
#[ignore = "the worker process of processes.rs; those tests start it with queue_fixture::command"]
fn worker_process() {
    let Some(argv) = std::env::var_os(ARGS_VAR) else {
        eprintln!("{ENTRY} runs only as a fixture process started by processes.rs ({ARGS_VAR} is not set)");
        return;
    };
    let code = match argv.into_string() {
        Ok(argv) => main_with(argv.split_whitespace().map(str::to_string).collect()),
        Err(a) => {
            eprintln!("queue_fixture: {ARGS_VAR} {a:?} is not UTF-8");
            2
        }
    };
    std::process::exit(code)
}

/// Portable across SQLite and PostgreSQL; `finished_at` is RFC 3339 text.
const CREATE_RUNS: &str = "CREATE TABLE IF NOT EXISTS fixture_runs (
    job_id BIGINT NOT NULL,
    worker_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    finished_at TEXT NOT NULL
)";

#[derive(Debug)]
struct Args {
    url: String,
    worker_id: String,
    concurrency: usize,
    /// The handler sleeps a uniformly random whole number of milliseconds in this range.
    handler_ms: (u64, u64),
    exit_when_idle: bool,
    lease: Duration,
    pool: u32,
}

fn number<T>(flag: &str, value: &str, min: T, max: T) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let n: T = value.trim().parse().map_err(|_| format!("{flag} takes a whole number, not {value:?}"))?;
    if n < min || n > max {
        return Err(format!("{flag} must be between {min} and {max}, not {n}"));
    }
    Ok(n)
}

fn parse(argv: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut url = match std::env::var("FIXTURE_DATABASE_URL") {
        Ok(u) => Some(u),
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(_)) => return Err("FIXTURE_DATABASE_URL is not UTF-8".into()),
    };
    let mut worker_id = None;
    let mut concurrency = 8;
    let mut handler_ms = (0, 0);
    let mut exit_when_idle = false;
    let mut lease_ms = 2000;
    let mut pool = 8;
    let mut it = argv.into_iter();
    while let Some(arg) = it.next() {
        // `--flag=value` and `--flag value` both work.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = || -> Result<String, String> {
            match inline.clone().or_else(|| it.next()) {
                Some(v) => Ok(v),
                None => Err(format!("{flag} needs a value")),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--database-url" => url = Some(value()?),
            "--worker-id" => {
                let v = value()?;
                if v.is_empty() || v.len() > 100 || !v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
                    return Err(format!("--worker-id takes 1 to 100 letters, digits, '-', '_' or '.', not {v:?}"));
                }
                worker_id = Some(v);
            }
            "--concurrency" => concurrency = number("--concurrency", &value()?, 1usize, 1000)?,
            "--handler-ms" => {
                let v = value()?;
                handler_ms = match v.split_once('-') {
                    Some((lo, hi)) => {
                        let lo = number("--handler-ms", lo, 0u64, 600_000)?;
                        let hi = number("--handler-ms", hi, 0u64, 600_000)?;
                        if lo > hi {
                            return Err(format!("--handler-ms range {v:?} has its minimum above its maximum"));
                        }
                        (lo, hi)
                    }
                    None => {
                        let n = number("--handler-ms", &v, 0u64, 600_000)?;
                        (n, n)
                    }
                };
            }
            "--exit-when-idle" => {
                if inline.is_some() {
                    return Err("--exit-when-idle takes no value".into());
                }
                exit_when_idle = true;
            }
            "--lease-ms" => lease_ms = number("--lease-ms", &value()?, 200u64, 3_600_000)?,
            "--pool" => pool = number("--pool", &value()?, 1u32, 100)?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let url = url.filter(|u| !u.trim().is_empty()).ok_or("set FIXTURE_DATABASE_URL (or pass --database-url)")?;
    if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(format!("the database URL must start with sqlite:, postgres:// or postgresql://, not {url:?}"));
    }
    let worker_id = worker_id.ok_or("--worker-id is required")?;
    Ok(Some(Args {
        url,
        worker_id,
        concurrency,
        handler_ms,
        exit_when_idle,
        lease: Duration::from_millis(lease_ms),
        pool,
    }))
}

/// Run the fixture with `argv`; the process's exit code.
fn main_with(argv: Vec<String>) -> i32 {
    let args = match parse(argv) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return 0;
        }
        Err(e) => {
            eprintln!("queue_fixture: {e}\n{USAGE}");
            return 2;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("queue_fixture: cannot start the async runtime: {e}");
            return 2;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("queue_fixture: {e}");
            2
        }
    }
}

/// The queue's and sqlx's INFO, WARN and ERROR events on stderr (lease rescues, failed
/// completions, slow statements), with a timestamp; the crate has no tracing-subscriber.
struct StderrEvents;

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write;
        let _ = match field.name() {
            "message" => write!(self.0, " {value:?}"),
            name => write!(self.0, " {name}={value:?}"),
        };
    }
}

impl tracing::Subscriber for StderrEvents {
    fn enabled(&self, meta: &tracing::Metadata<'_>) -> bool {
        *meta.level() <= tracing::Level::INFO
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        eprintln!("{at} {} {}:{}", event.metadata().level(), event.metadata().target(), fields.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

async fn open(args: &Args) -> Result<Db, String> {
    let db = Db::connect(&DbOptions { url: args.url.clone(), max_connections: args.pool })
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    db.migrate().await.map_err(|e| format!("cannot migrate the database: {e}"))?;
    // Several fixtures may start at once; PostgreSQL's CREATE TABLE IF NOT EXISTS can still
    // race on its catalog, and the loser's retry then finds the table.
    let mut last = String::new();
    for _ in 0..5 {
        let created = async {
            let mut tx = db.begin().await?;
            exec!(tx.conn(), sqlx::query(CREATE_RUNS))?;
            tx.commit().await?;
            Ok::<_, sellcast_store::StoreError>(())
        };
        match created.await {
            Ok(()) => return Ok(db),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("cannot create fixture_runs: {last}"))
}

async fn record(db: &Db, job_id: i64, worker_id: &str, attempt: i32) -> Result<(), sellcast_store::StoreError> {
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let mut tx = db.begin().await?;
    exec!(
        tx.conn(),
        sqlx::query("INSERT INTO fixture_runs (job_id, worker_id, attempt, finished_at) VALUES ($1, $2, $3, $4)")
            .bind(job_id)
            .bind(worker_id)
            .bind(attempt)
            .bind(&at)
    )?;
    tx.commit().await?;
    Ok(())
}

async fn run(args: Args) -> Result<(), String> {
    let _ = tracing::subscriber::set_global_default(StderrEvents);
    let db = open(&args).await?;
    let recorded = Arc::new(AtomicU64::new(0));

    let mut registry = Registry::new();
    {
        let (db, worker_id, recorded, (lo, hi)) =
            (db.clone(), args.worker_id.clone(), recorded.clone(), args.handler_ms);
        registry
            .register_raw(KIND, move |ctx: JobContext| {
                let (db, worker_id, recorded) = (db.clone(), worker_id.clone(), recorded.clone());
                async move {
                    let ms = if hi > lo { rand::thread_rng().gen_range(lo..=hi) } else { lo };
                    if ms > 0 {
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                    }
                    // A run that could not record itself must not count as done.
                    match record(&db, ctx.job.id, &worker_id, ctx.job.attempt).await {
                        Ok(()) => {
                            recorded.fetch_add(1, Ordering::Relaxed);
                            Outcome::Done
                        }
                        Err(e) => Outcome::Retry(format!("recording the run failed: {e}")),
                    }
                }
            })
            // A rescued job runs again soon, so a test's second process picks it up quickly.
            .backoff(Backoff::Schedule(vec![Duration::from_millis(100)]));
    }

    let worker = Worker {
        db: db.clone(),
        registry: Arc::new(registry),
        config: WorkerConfig {
            // The process id keeps lease owners distinct if a worker id is reused after a crash.
            worker_id: format!("{}.{}", args.worker_id, std::process::id()),
            queues: vec![("default".into(), args.concurrency)],
            lease: args.lease,
            heartbeat: (args.lease / 4).max(Duration::from_millis(50)),
            fallback_poll: Duration::from_millis(200),
            shutdown_grace: Duration::from_secs(10),
            maintenance_every: Duration::from_millis(250),
            ..WorkerConfig::default()
        },
        now: system_now(),
        metrics: Default::default(),
    };
    let handle = worker.start();
    eprintln!(
        "queue_fixture[{}]: running (pid {}, {:?}, concurrency {}, handler {}-{} ms, lease {:?})",
        args.worker_id,
        std::process::id(),
        db.backend(),
        args.concurrency,
        args.handler_ms.0,
        args.handler_ms.1,
        args.lease
    );

    let why = tokio::select! {
        _ = terminated() => "signal",
        _ = idle(&db), if args.exit_when_idle => "idle",
    };
    handle.shutdown().await;
    db.close().await;
    eprintln!(
        "queue_fixture[{}]: stopped ({why}) after recording {} runs",
        args.worker_id,
        recorded.load(Ordering::Relaxed)
    );
    Ok(())
}

/// SIGTERM or ctrl-c.
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Returns once no `fixture.record` job has been unfinished for about a second.
async fn idle(db: &Db) {
    let mut since: Option<Instant> = None;
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let unfinished = async {
            let mut c = db.read().await?;
            let n: i64 = on!(c.conn(), c => sqlx::query_scalar(
                "SELECT COUNT(*) FROM jobs WHERE kind = $1 AND state NOT IN ('completed', 'cancelled', 'dead')")
                .bind(KIND).fetch_one(c).await)?;
            Ok::<_, sellcast_store::StoreError>(n)
        };
        match unfinished.await {
            Ok(0) => {
                if since.get_or_insert_with(Instant::now).elapsed() >= Duration::from_secs(1) {
                    return;
                }
            }
            Ok(_) => since = None,
            Err(e) => {
                eprintln!("queue_fixture: counting unfinished jobs failed: {e}");
                since = None;
            }
        }
    }
}
