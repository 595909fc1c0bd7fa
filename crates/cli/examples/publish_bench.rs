//! The publishing benchmark (issue 4, `bench/publish`): N posts due in the same minute,
//! published through the app layer's real publish path to a fake Mastodon and a fake Bluesky
//! that answer every request after a fixed latency. bench/publish/run.sh runs it on SQLite
//! and on PostgreSQL and prints the table; bench/README.md has the results.
//!
//! "Due in the same minute" is read as: due times spread evenly over one minute [T, T + 60 s)
//! (post i is due at T + i × 60 s / N). Users pick minutes and many pick the same one; the
//! product spreads nothing itself. The goals are then: every post published by T + 62 s (the
//! minute plus the 2 s lateness allowance), p99 lateness ≤ 2 s, no duplicates. `--burst`
//! schedules all N at the single instant T instead: a pure throughput measurement (T → all
//! published), with no goal on lateness.
//!
//! ```text
//! cargo run --release -p sellcast --example publish_bench -- --backend sqlite|postgres \
//!     [--posts N] [--concurrency C] [--pool P] [--latency-ms L] [--create-tasks K] \
//!     [--lead-secs S] [--timeout-secs S] [--database-url URL] [--burst]
//! cargo run --release -p sellcast --example publish_bench -- --report RESULT.json...
//! ```
//!
//! One run, in one process: both fakes (latency L ms, default 20) and an `App` opened on a
//! fresh database (a SQLite file in a temporary directory, or a PostgreSQL schema made for the
//! run and dropped after it) with `publish_concurrency` = C (default 200). An owner registers
//! (`accounts::register`), connects Mastodon through OAuth (start → the fake's consent page →
//! `connect::finish`) and Bluesky with an app password. Then N posts (default 100,000), one
//! variant each, alternating between the two channels (N publishes in all), each with its own
//! text, are created as drafts with `posts::create` from K parallel tasks, and scheduled with
//! `posts::schedule::schedule` over [T, T + 60 s) (or all at T with `--burst`), T chosen after the drafts exist: T = now +
//! lead (default 1.6 × the drafting time + 20 s: scheduling took 1.2–1.3 × as long as drafting, and it
//! must end before T). Only then the product's worker (`jobs::worker`) starts. The run waits until the fakes hold N posts and
//! the database N published variants (or until no variant can still go out), and prints one
//! JSON line:
//! - `done_after_t_secs`: the last variant's `published_at` − T (goal: ≤ 62 s when spread);
//! - lateness per variant = `first_attempt_at` − the post's `scheduled_at` (p50, p99, max);
//! - `duplicates` = posts on the fakes − published variants (= posts on the fakes − N when all
//!   went out), plus distinct texts on the fakes and distinct platform ids in the database;
//!   `not_published` and the errors of the variants that did not go out;
//! - peak RSS (VmHWM) of the whole process — app, fakes and harness — over the run, and over
//!   the publishing phase alone (the high-water mark is reset at T through /proc/self/clear_refs);
//! - CPU seconds used while publishing by this process (SQLite's work included) and, on
//!   PostgreSQL, by the server backends of this run's connections (found by application name);
//!   PostgreSQL's per-table counters (scans, updates) for the whole run.
//!
//! `--report` reads such JSON lines (one file per run) and prints the Markdown table with the
//! goals: all published within 60 s of T, p99 lateness ≤ 2 s, no duplicates, none missed.

use chrono::{DateTime, Utc};
use sellcast_app::jobs;
use sellcast_app::Config;
use sellcast_store::{on, Db};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::time::{Duration, Instant};
use world::{create_drafts, open_app, schedule_all, set_up_owner, Fakes, FreshStore};

pub type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Due times spread over this many seconds (the minute), unless `--burst`.
pub const SPREAD_SECS: f64 = 60.0;
/// All published by T + the minute + the lateness allowance.
pub const GOAL_DONE_SECS: f64 = SPREAD_SECS + GOAL_P99_MS / 1000.0;
pub const GOAL_P99_MS: f64 = 2000.0;

macro_rules! log {
    ($($arg:tt)*) => { eprintln!("[publish-bench] {}", format!($($arg)*)) };
}

// After `log!`, which they use.
#[path = "publish_bench/report.rs"]
mod report;
#[path = "publish_bench/world.rs"]
mod world;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Opts {
    backend: Backend,
    posts: usize,
    concurrency: u32,
    /// `database_max_connections` (PostgreSQL pool size; SQLite keeps one writer).
    pool: u32,
    latency_ms: u64,
    create_tasks: usize,
    lead_secs: Option<u64>,
    timeout_secs: u64,
    database_url: String,
    /// All due at T instead of spread over the minute.
    burst: bool,
}

fn usage(msg: &str) -> ! {
    eprintln!("error: {msg}");
    eprintln!(
        "usage: publish_bench --backend sqlite|postgres [--posts N] [--concurrency C] [--pool P] [--latency-ms L] \
         [--create-tasks K] [--lead-secs S] [--timeout-secs S] [--database-url URL] [--burst]\n       publish_bench --report FILE..."
    );
    std::process::exit(2);
}

fn parse_args(args: Vec<String>) -> Opts {
    let mut backend = None;
    let mut o = Opts {
        backend: Backend::Sqlite,
        posts: 100_000,
        concurrency: 200,
        pool: Config::default().database_max_connections,
        latency_ms: 20,
        create_tasks: 8,
        lead_secs: None,
        timeout_secs: 900,
        database_url: std::env::var("SELLCAST_BENCH_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_PG_URL.into()),
        burst: false,
    };
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let Some(name) = arg.strip_prefix("--") else { usage(&format!("unexpected argument {arg}")) };
        if name == "burst" {
            o.burst = true;
            continue;
        }
        let value = it.next().unwrap_or_else(|| usage(&format!("missing value for --{name}")));
        let int = |v: &str| -> u64 { v.parse().unwrap_or_else(|_| usage(&format!("--{name} must be a whole number"))) };
        match name {
            "backend" => {
                backend = Some(match value.as_str() {
                    "sqlite" => Backend::Sqlite,
                    "postgres" => Backend::Postgres,
                    _ => usage("--backend must be sqlite or postgres"),
                })
            }
            "posts" => o.posts = int(&value) as usize,
            "concurrency" => o.concurrency = int(&value) as u32,
            "pool" => o.pool = int(&value) as u32,
            "latency-ms" => o.latency_ms = int(&value),
            "create-tasks" => o.create_tasks = int(&value) as usize,
            "lead-secs" => o.lead_secs = Some(int(&value)),
            "timeout-secs" => o.timeout_secs = int(&value),
            "database-url" => o.database_url = value,
            _ => usage(&format!("unknown option --{name}")),
        }
    }
    o.backend = backend.unwrap_or_else(|| usage("--backend is required"));
    if o.posts < 2 || o.concurrency < 1 || o.create_tasks < 1 || o.pool < 1 {
        usage("--posts must be >= 2; --concurrency, --pool and --create-tasks >= 1");
    }
    o
}

async fn count(db: &Db, sql: &str) -> BoxResult<i64> {
    let mut c = db.read().await?;
    let conn = c.conn();
    Ok(on!(conn, c => sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await)?)
}

async fn status_breakdown(db: &Db) -> BoxResult<String> {
    let mut c = db.read().await?;
    let conn = c.conn();
    let sql = "SELECT status, COUNT(*) FROM post_variants GROUP BY status ORDER BY status";
    let rows = on!(conn, c => sqlx::query_as::<_, (String, i64)>(sql).fetch_all(c).await)?;
    Ok(rows.iter().map(|(s, n)| format!("{s}={n}")).collect::<Vec<_>>().join(" "))
}

/// Variants that may still go out (held ones wait for a reconnect that never comes here).
const UNSETTLED: &str = "SELECT COUNT(*) FROM post_variants WHERE status NOT IN ('published', 'failed', 'held')";

/// Wait until the fakes hold `n` posts and the database `n` published variants, or until no
/// variant is left that could still go out; the moment the database was seen settled (each
/// count is a fresh statement, so it sees every commit made before it started).
async fn wait_published(db: &Db, fakes: &Fakes, n: usize, limit: Duration) -> BoxResult<Instant> {
    let deadline = Instant::now() + limit;
    let (mut last_report, mut last_seen, mut last_progress) = (Instant::now(), 0, Instant::now());
    let mut last_settled_check = Instant::now();
    while fakes.count() < n {
        if Instant::now() >= deadline {
            let (seen, variants) = (fakes.count(), status_breakdown(db).await?);
            return Err(format!("timed out: {seen} of {n} posts on the fakes; {variants}").into());
        }
        let seen = fakes.count();
        if seen != last_seen {
            (last_seen, last_progress) = (seen, Instant::now());
        }
        // A variant that failed for good never reaches the fakes: stop once nothing can move.
        if last_progress.elapsed() >= Duration::from_secs(1) && last_settled_check.elapsed() >= Duration::from_secs(2) {
            let asked = Instant::now();
            if count(db, UNSETTLED).await? == 0 {
                log!("settled with {seen} of {n} posts on the fakes; variants: {}", status_breakdown(db).await?);
                return Ok(asked);
            }
            last_settled_check = Instant::now();
        }
        if last_report.elapsed() >= Duration::from_secs(5) {
            log!("… {seen} of {n} posts on the fakes (load {})", load_average());
            if last_progress.elapsed() >= Duration::from_secs(10) {
                log!("   no progress for 10 s; variants: {}", status_breakdown(db).await?);
            }
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    loop {
        let asked = Instant::now();
        if count(db, UNSETTLED).await? == 0 {
            return Ok(asked);
        }
        if Instant::now() >= deadline {
            return Err(format!("timed out waiting for the database: {}", status_breakdown(db).await?).into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Why variants did not go out: (error, count), most frequent first.
async fn failures(db: &Db) -> BoxResult<Vec<(Option<String>, i64)>> {
    let mut c = db.read().await?;
    let conn = c.conn();
    let sql = "SELECT error, COUNT(*) FROM post_variants WHERE status <> 'published' GROUP BY error ORDER BY 2 DESC";
    Ok(on!(conn, c => sqlx::query_as::<_, (Option<String>, i64)>(sql).fetch_all(c).await)?)
}

/// CPU seconds used so far by each PostgreSQL backend serving this run (found by the
/// application name in the URL; the server runs on this machine). Empty on SQLite.
async fn pg_backend_cpu(db: &Db, app_name: Option<&str>) -> BoxResult<HashMap<i32, f64>> {
    let Some(name) = app_name else { return Ok(HashMap::new()) };
    let mut c = db.read().await?;
    let conn = c.conn();
    let sql = "SELECT pid FROM pg_stat_activity WHERE application_name = $1";
    let pids = on!(conn, c => sqlx::query_scalar::<_, i32>(sql).bind(name).fetch_all(c).await)?;
    Ok(pids.into_iter().map(|pid| (pid, cpu_secs_of(&format!("/proc/{pid}/stat")))).collect())
}

/// One variant's times and outcome, as the database has them.
type VariantTimes = (Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<String>, i32, String);

async fn variant_times(db: &Db) -> BoxResult<Vec<VariantTimes>> {
    let mut c = db.read().await?;
    let conn = c.conn();
    let sql = "SELECT p.scheduled_at, v.first_attempt_at, v.published_at, v.platform_post_id, v.attempts, v.status \
               FROM post_variants v JOIN posts p ON p.id = v.post_id";
    Ok(on!(conn, c => sqlx::query_as::<_, VariantTimes>(sql).fetch_all(c).await)?)
}

/// Texts of the posts on the fakes: (posts, distinct texts, texts not from this run).
fn fake_texts(fakes: &Fakes, run: &str) -> (usize, usize, usize) {
    let mut texts: Vec<String> = fakes.mastodon_state.posts().into_iter().map(|s| s.text).collect();
    texts.extend(
        fakes.bluesky_state.posts().into_iter().map(|r| r.value["text"].as_str().unwrap_or_default().to_string()),
    );
    let foreign = texts.iter().filter(|t| !t.contains(run)).count();
    let distinct = texts.iter().collect::<HashSet<_>>().len();
    (texts.len(), distinct, foreign)
}

fn secs_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6
}

/// Nearest-rank percentile over a sorted slice (as the queue benchmark computes it).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let idx = ((q * sorted.len() as f64).ceil() as usize).saturating_sub(1).min(sorted.len().saturating_sub(1));
    sorted.get(idx).copied().unwrap_or(f64::NAN)
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// A `kB` line of /proc/self/status, in MiB.
fn proc_status_mib(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(round(kb / 1024.0, 1))
}

/// Reset VmHWM to the current RSS (Linux ≥ 4.0), so the next reading is this phase's peak.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// User + system CPU seconds of this process so far.
fn cpu_secs() -> f64 {
    cpu_secs_of("/proc/self/stat")
}

/// User + system CPU seconds of the process whose `stat` file this is (0 when unreadable).
fn cpu_secs_of(stat_path: &str) -> f64 {
    let stat = std::fs::read_to_string(stat_path).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line: 11 and 12 after the name; 100 ticks/s.
    (ticks(11) + ticks(12)) / 100.0
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split(' ').next().map(str::to_string))
        .unwrap_or_default()
}

async fn run(opts: &Opts, store: &FreshStore) -> BoxResult<Value> {
    let n = opts.posts;
    let run_id = format!("{:08x}", rand_suffix());
    let fakes = Fakes::start(Duration::from_millis(opts.latency_ms)).await;
    let app = open_app(opts, store, &fakes).await?;
    let owner = set_up_owner(&app, &fakes).await?;
    log!("owner registered, Mastodon and Bluesky connected; creating {n} drafts from {} tasks", opts.create_tasks);

    let t0 = Instant::now();
    let ids = create_drafts(&app, &owner, n, opts.create_tasks, &run_id).await?;
    let create_secs = t0.elapsed().as_secs_f64();
    let lead = opts.lead_secs.map(|s| s as f64).unwrap_or(1.6 * create_secs + 20.0);
    let t_wall = Utc::now() + chrono::Duration::milliseconds((lead * 1000.0) as i64);
    let spread = if opts.burst { 0.0 } else { SPREAD_SECS };
    log!(
        "{n} drafts in {create_secs:.1}s ({:.0}/s); scheduling over [T, T + {spread}s), T = now + {lead:.1}s",
        n as f64 / create_secs
    );
    let t1 = Instant::now();
    schedule_all(&app, &owner, ids, t_wall, spread, opts.create_tasks).await?;
    let schedule_secs = t1.elapsed().as_secs_f64();
    let before_t = secs_between(Utc::now(), t_wall);
    log!("scheduled in {schedule_secs:.1}s ({:.0}/s), {before_t:.1}s before T", n as f64 / schedule_secs);
    if before_t <= 0.0 {
        return Err(format!("scheduling ended {:.1}s after T; give a larger --lead-secs", -before_t).into());
    }
    let rss_after_creation = proc_status_mib("VmRSS:");
    let peak_rss_creation = proc_status_mib("VmHWM:");

    let handle = jobs::worker(&app).start();
    tokio::time::sleep(Duration::from_secs_f64((before_t - 0.2).max(0.0))).await;
    let peak_reset = reset_peak_rss();
    let (cpu_at_t, load_at_t) = (cpu_secs(), load_average());
    let pg_cpu_at_t = pg_backend_cpu(&app.db, store.app_name.as_deref()).await?;
    let limit = Duration::from_secs(opts.timeout_secs);
    let wait = wait_published(&app.db, &fakes, n, limit).await;
    let (cpu_publishing, load_after) = (cpu_secs() - cpu_at_t, load_average());
    let pg_cpu_publishing = match &store.app_name {
        Some(_) => {
            let now = pg_backend_cpu(&app.db, store.app_name.as_deref()).await?;
            Some(now.iter().map(|(pid, cpu)| cpu - pg_cpu_at_t.get(pid).copied().unwrap_or(0.0)).sum::<f64>())
        }
        None => None,
    };
    let peak_rss_publishing = proc_status_mib("VmHWM:");
    let s0 = Instant::now();
    handle.shutdown().await;
    let shutdown_secs = s0.elapsed().as_secs_f64();
    let seen_complete = wait?;
    let observed_done = secs_between(t_wall, Utc::now()) - seen_complete.elapsed().as_secs_f64();

    let rows = variant_times(&app.db).await?;
    let failures: Vec<Value> =
        failures(&app.db).await?.into_iter().take(5).map(|(e, n)| json!({"error": e, "count": n})).collect();
    let mut lateness: Vec<f64> = Vec::with_capacity(rows.len());
    let (mut last_published, mut first_started) = (None::<DateTime<Utc>>, None::<DateTime<Utc>>);
    let (mut ids, mut attempts, mut not_published, mut off_t) = (HashSet::new(), 0i64, 0usize, 0usize);
    for (due, first_attempt, published, platform_id, tries, status) in &rows {
        // PostgreSQL keeps microseconds: within [T, T + spread], give or take a millisecond.
        if due.is_none_or(|d| secs_between(t_wall, d) < -1e-3 || secs_between(t_wall, d) > spread + 1e-3) {
            off_t += 1;
        }
        if let (Some(due), Some(first)) = (due, first_attempt) {
            lateness.push(secs_between(*due, *first) * 1e3);
            first_started = Some(first_started.map_or(*first, |f| f.min(*first)));
        }
        if let Some(p) = published {
            last_published = Some(last_published.map_or(*p, |l| l.max(*p)));
        }
        if status != "published" {
            not_published += 1;
        }
        ids.extend(platform_id.clone());
        attempts += i64::from(*tries);
    }
    lateness.sort_by(f64::total_cmp);
    let last_published = last_published.ok_or("no variant was published")?;
    let first_started = first_started.ok_or("no variant was attempted")?;
    let (fake_posts, distinct_texts, foreign_texts) = fake_texts(&fakes, &run_id);
    let peak_rss = [proc_status_mib("VmHWM:"), peak_rss_creation].into_iter().flatten().reduce(f64::max);
    app.db.close().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let table_stats = store.table_stats().await;
    let done_after_t = secs_between(t_wall, last_published);
    let publishing_secs = secs_between(first_started, last_published);
    log!(
        "all published {done_after_t:.2}s after T ({:.0}/s once started); lateness p50 {:.0} ms p99 {:.0} ms; \
         {} posts on the fakes; {} CPU-s while publishing; shutdown {shutdown_secs:.2}s",
        n as f64 / publishing_secs,
        percentile(&lateness, 0.5),
        percentile(&lateness, 0.99),
        fake_posts,
        round(cpu_publishing, 1),
    );
    Ok(json!({
        "system": match opts.backend { Backend::Sqlite => "sellcast-sqlite", Backend::Postgres => "sellcast-postgres" },
        "posts": n,
        "publishes": rows.len(),
        "channels": {"mastodon": n.div_ceil(2), "bluesky": n / 2},
        "concurrency": opts.concurrency,
        "pool": opts.pool,
        "latency_ms": opts.latency_ms,
        "create_tasks": opts.create_tasks,
        "create_secs": round(create_secs, 2),
        "schedule_secs": round(schedule_secs, 2),
        "lead_secs": round(lead, 2),
        "mode": if opts.burst { "burst" } else { "spread" },
        "spread_secs": spread,
        "done_after_t_secs": round(done_after_t, 3),
        "observed_done_after_t_secs": round(observed_done, 3),
        "publishes_per_sec": round(n as f64 / publishing_secs, 1),
        "lateness_ms": {
            "min": round(lateness.first().copied().unwrap_or(f64::NAN), 1),
            "p50": round(percentile(&lateness, 0.5), 1),
            "p99": round(percentile(&lateness, 0.99), 1),
            "max": round(lateness.last().copied().unwrap_or(f64::NAN), 1),
        },
        // Posts on the platforms beyond one per published variant (fake posts − N when all went out).
        "duplicates": fake_posts as i64 - (rows.len() - not_published) as i64,
        "fake_posts": {"mastodon": fakes.mastodon_state.count(), "bluesky": fakes.bluesky_state.count()},
        "distinct_texts_on_fakes": distinct_texts,
        "foreign_texts_on_fakes": foreign_texts,
        "distinct_platform_ids": ids.len(),
        "not_published": not_published,
        "scheduled_off_t": off_t,
        "extra_attempts": attempts - rows.len() as i64,
        "peak_rss_mib": peak_rss,
        "peak_rss_creation_mib": peak_rss_creation,
        "rss_after_creation_mib": rss_after_creation,
        "peak_rss_publishing_mib": if peak_reset { peak_rss_publishing } else { None },
        "cpu_secs_publishing": round(cpu_publishing, 2),
        "postgres_cpu_secs_publishing": pg_cpu_publishing.map(|c| round(c, 2)),
        "failures": failures,
        // Creation and publishing together.
        "postgres_tables": table_stats,
        "shutdown_secs": round(shutdown_secs, 2),
        "load_at_t": load_at_t,
        "load_after": load_after,
    }))
}

fn rand_suffix() -> u32 {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    nanos ^ std::process::id().rotate_left(16)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--report") {
        std::process::exit(report::print(&args[1..]));
    }
    let opts = parse_args(args);
    // The product's warnings and errors (failed publishes, retries) go to stderr.
    let filter = tracing_subscriber::EnvFilter::try_from_env("SELLCAST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    log!(
        "{:?}: {} posts, publish_concurrency {}, pool {}, fake latency {} ms (load {})",
        opts.backend,
        opts.posts,
        opts.concurrency,
        opts.pool,
        opts.latency_ms,
        load_average()
    );
    let store = match FreshStore::new(&opts).await {
        Ok(s) => s,
        Err(e) => {
            log!("FAILED to prepare the database: {e}");
            std::process::exit(1);
        }
    };
    let result = run(&opts, &store).await;
    store.remove().await;
    match result {
        Ok(v) => println!("{v}"),
        Err(e) => {
            log!("FAILED: {e}");
            std::process::exit(1);
        }
    }
}
