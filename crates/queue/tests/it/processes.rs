//! The queue across real processes (`queue_fixture`, this test binary run again): a worker killed with
//! SIGKILL mid-run loses nothing and duplicates only what its lost leases explain, and
//! several worker processes share 20,000 jobs running each exactly once.

use crate::support::*;
use sellcast_queue::ops::{self, JobFilter};
use sellcast_queue::{JobRow, JobState, NewJob};
use sellcast_store::{on, Db};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::queue_fixture::{self, KIND};

/// These tests start several busy processes each; one at a time keeps a small machine from
/// starving heartbeats (a stalled heartbeat loses a lease, and a lost lease is a legitimate
/// second run that the exactly-once assertions would count).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One fixture process; killed (SIGKILL) and reaped on drop, so none outlives its test.
struct Fixture {
    name: String,
    child: Option<Child>,
    log: PathBuf,
    /// PostgreSQL: the application_name of its connections, to see them gone after a kill.
    app_name: String,
}

impl Fixture {
    fn start(
        url: &str,
        logs: &Path,
        name: &str,
        concurrency: usize,
        handler_ms: &str,
        exit_when_idle: bool,
    ) -> Fixture {
        let log = logs.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).expect("fixture log");
        let err = out.try_clone().expect("fixture log");
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let app_name = format!("queue_fixture_{name}_{}_{nanos}", std::process::id());
        let url = if url.starts_with("postgres") {
            format!("{url}{}application_name={app_name}", if url.contains('?') { '&' } else { '?' })
        } else {
            url.to_string()
        };
        let concurrency = concurrency.to_string();
        let mut args = vec!["--worker-id", name, "--concurrency", &concurrency, "--handler-ms", handler_ms];
        if exit_when_idle {
            args.push("--exit-when-idle");
        }
        let mut cmd = queue_fixture::command(&args);
        cmd.env("FIXTURE_DATABASE_URL", &url).stdin(Stdio::null()).stdout(out).stderr(err);
        let child = cmd.spawn().expect("start queue_fixture");
        Fixture { name: name.to_string(), child: Some(child), log, app_name }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its log's queue and sqlx events (rescues, failures, slow statements), at most `max` lines.
    fn events(&self, max: usize) -> String {
        let log = self.log();
        let lines: Vec<&str> =
            log.lines().filter(|l| l.contains(" WARN ") || l.contains(" ERROR ") || l.contains(" INFO ")).collect();
        let skipped = lines.len().saturating_sub(max);
        let mut out = lines[..lines.len().min(max)].join("\n");
        if skipped > 0 {
            out.push_str(&format!("\n… {skipped} more"));
        }
        out
    }

    /// Its exit status if it has exited.
    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.as_mut().and_then(|c| c.try_wait().expect("try_wait"))
    }

    /// SIGKILL, then reap.
    fn kill9(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        child.kill().expect("kill -9");
        child.wait().expect("wait")
    }

    /// PostgreSQL: wait until the server has dropped every connection of this (killed)
    /// process, so whatever it had sent before dying is committed or rolled back.
    async fn wait_disconnected(&self, db: &Db) {
        if db.pg_pool().is_none() {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut c = db.read().await.unwrap();
            let n: i64 = on!(c.conn(), c => sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1")
                .bind(&self.app_name).fetch_one(c).await)
            .unwrap();
            if n == 0 {
                return;
            }
            assert!(Instant::now() < deadline, "{} connections of {} still open", n, self.name);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Wait for it to exit by itself; panics (and the guard kills it) past `limit`.
    async fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.exited() {
                return status;
            }
            assert!(Instant::now() < deadline, "{} did not exit within {limit:?}; its log:\n{}", self.name, self.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

async fn enqueue(db: &Db, n: usize) {
    let jobs: Vec<NewJob> = (0..n).map(|i| NewJob::raw(KIND, json!({ "i": i }))).collect();
    let mut tx = db.begin().await.unwrap();
    assert_eq!(ops::enqueue_many(tx.conn(), &jobs, chrono::Utc::now()).await.unwrap(), n);
    tx.commit().await.unwrap();
}

/// Rows of fixture_runs so far; 0 while the fixture has not created the table yet.
async fn run_count(db: &Db) -> i64 {
    let Ok(mut c) = db.read().await else { return 0 };
    let n: Result<i64, _> =
        on!(c.conn(), c => sqlx::query_scalar("SELECT COUNT(*) FROM fixture_runs").fetch_one(c).await);
    n.unwrap_or(0)
}

/// Every recorded handler run: (job_id, worker_id, attempt).
async fn runs(db: &Db) -> Vec<(i64, String, i32)> {
    let mut c = db.read().await.unwrap();
    on!(c.conn(), c => sqlx::query_as("SELECT job_id, worker_id, attempt FROM fixture_runs ORDER BY job_id, attempt")
        .fetch_all(c).await)
    .unwrap()
}

/// Every recorded handler run: (job_id, worker_id, attempt, finished_at).
async fn all_runs_timed(db: &Db) -> Vec<(i64, String, i32, String)> {
    let mut c = db.read().await.unwrap();
    on!(c.conn(), c => sqlx::query_as(
        "SELECT job_id, worker_id, attempt, finished_at FROM fixture_runs ORDER BY job_id, attempt")
        .fetch_all(c).await)
    .unwrap()
}

async fn state_counts(db: &Db) -> BTreeMap<String, i64> {
    let mut c = db.read().await.unwrap();
    ops::counts(c.conn()).await.unwrap().into_iter().map(|(_, s, n)| (s, n)).collect()
}

async fn jobs_in(db: &Db, state: JobState) -> Vec<JobRow> {
    let mut c = db.read().await.unwrap();
    let f = JobFilter { state: Some(state), ..Default::default() };
    ops::list(c.conn(), &f, None, 100_000).await.unwrap()
}

fn lease_expired_at(job: &JobRow, attempt: i32) -> bool {
    job.errors.0.iter().any(|e| e.attempt == attempt && e.error.contains("lease expired"))
}

const CRASH_JOBS: usize = 2000;
const CONCURRENCY: usize = 16;

/// Process A runs the jobs and is killed with SIGKILL mid-run; process B finishes them.
/// Every job completes; a job runs its handler to completion twice only when A ran it and
/// A's lease on it expired (A died before its completion was written).
async fn crash_safety(b: Backend) {
    let _serial = ONE_AT_A_TIME.lock().await;
    let t = TestDb::new(b).await;
    let logs = tempfile::tempdir().unwrap();
    let began = Instant::now();
    enqueue(&t.db, CRASH_JOBS).await;

    let mut a = Fixture::start(&t.url, logs.path(), "A", CONCURRENCY, "0-20", false);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if run_count(&t.db).await >= 300 {
            break;
        }
        if let Some(status) = a.exited() {
            panic!("A exited early ({status}); its log:\n{}", a.log());
        }
        assert!(Instant::now() < deadline, "A recorded fewer than 300 runs in 60 s; its log:\n{}", a.log());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let killed = a.kill9();
    assert!(!killed.success(), "A was killed, not stopped: {killed}");
    a.wait_disconnected(&t.db).await;

    // What A left behind: its recorded runs, and the jobs still running under its leases.
    let runs_at_kill = run_count(&t.db).await;
    let states_at_kill = state_counts(&t.db).await;
    let held_by_a: HashMap<i64, i32> = jobs_in(&t.db, JobState::Running)
        .await
        .into_iter()
        .map(|j| {
            let owner = j.lease_owner.clone().unwrap_or_default();
            assert!(owner.starts_with("A."), "job {} is running under {owner:?}, not A's lease", j.id);
            (j.id, j.attempt)
        })
        .collect();
    assert!(
        (runs_at_kill as usize) < CRASH_JOBS
            && states_at_kill.get("completed").copied().unwrap_or(0) < CRASH_JOBS as i64,
        "A was killed after finishing everything, not mid-run: {runs_at_kill} runs, {states_at_kill:?}"
    );

    let mut bp = Fixture::start(&t.url, logs.path(), "B", CONCURRENCY, "0-20", true);
    let status = bp.wait_exit(Duration::from_secs(120)).await;
    assert!(status.success(), "B failed ({status}); its log:\n{}", bp.log());
    let b_log = bp.log();

    // Every job completed, nothing else left.
    let states = state_counts(&t.db).await;
    assert_eq!(states.get("completed").copied(), Some(CRASH_JOBS as i64), "{states:?}\nB's log:\n{b_log}");
    assert_eq!(states.values().sum::<i64>(), CRASH_JOBS as i64, "{states:?}");
    let jobs: HashMap<i64, JobRow> = jobs_in(&t.db, JobState::Completed).await.into_iter().map(|j| (j.id, j)).collect();
    assert_eq!(jobs.len(), CRASH_JOBS);

    // Runs by job, in attempt order.
    let all_runs = runs(&t.db).await;
    let mut by_job: BTreeMap<i64, Vec<(i32, String)>> = BTreeMap::new();
    for (job_id, worker, attempt) in &all_runs {
        by_job.entry(*job_id).or_default().push((*attempt, worker.clone()));
    }
    for (id, job) in &jobs {
        let Some(rs) = by_job.get(id) else { panic!("job {id} is completed but its handler never recorded a run") };
        let attempts: HashSet<i32> = rs.iter().map(|r| r.0).collect();
        assert_eq!(attempts.len(), rs.len(), "job {id}: two runs under the same attempt (one claim ran twice): {rs:?}");
        // The run that completed the job is the last claim's, and it recorded itself.
        let (last_attempt, _) = rs.last().unwrap();
        assert_eq!(*last_attempt, job.attempt, "job {id}: the completing attempt recorded no run: {rs:?}");
    }
    assert!(by_job.keys().all(|id| jobs.contains_key(id)), "runs recorded for unknown jobs");

    // Duplicates: every run but the last was A's, of a job A still held when killed, and the
    // queue rescued that attempt because its lease expired.
    let duplicates: Vec<(&i64, &Vec<(i32, String)>)> = by_job.iter().filter(|(_, rs)| rs.len() > 1).collect();
    for (id, rs) in &duplicates {
        let job = &jobs[*id];
        for (attempt, worker) in &rs[..rs.len() - 1] {
            assert!(
                worker == "A" && held_by_a.get(*id) == Some(attempt),
                "job {id} ran to completion twice, and the earlier run (attempt {attempt} by {worker}) was not \
                 A's lost lease; runs {rs:?}, lease expiry recorded for that attempt: {}, errors {:?}",
                lease_expired_at(job, *attempt),
                job.errors.0
            );
            assert!(lease_expired_at(job, *attempt), "job {id}: duplicate without a lease expiry: {:?}", job.errors.0);
        }
    }
    // Every job A held was rescued through a lease expiry.
    for (id, attempt) in &held_by_a {
        assert!(lease_expired_at(&jobs[id], *attempt), "job {id} held by A was not rescued: {:?}", jobs[id].errors.0);
    }
    let other_expiries = jobs
        .values()
        .filter(|j| !held_by_a.contains_key(&j.id) && j.errors.0.iter().any(|e| e.error.contains("lease expired")))
        .count();
    let by_worker = all_runs.iter().fold(BTreeMap::<&str, usize>::new(), |mut m, r| {
        *m.entry(r.1.as_str()).or_default() += 1;
        m
    });
    eprintln!(
        "crash safety on {b:?}: {} s; A recorded {runs_at_kill} runs before SIGKILL and held {} leases \
         ({states_at_kill:?}); runs by worker {by_worker:?}; {} jobs ran twice; {other_expiries} other lease expiries",
        began.elapsed().as_secs_f64().round(),
        held_by_a.len(),
        duplicates.len(),
    );
    assert!(duplicates.len() <= held_by_a.len());
    assert!(duplicates.len() <= 200, "{} duplicates", duplicates.len());
    assert_eq!(all_runs.len(), CRASH_JOBS + duplicates.iter().map(|(_, rs)| rs.len() - 1).sum::<usize>());
    t.drop_schema().await;
}

on_both_backends!(crash_safety);

const MANY_JOBS: i64 = 20_000;

/// Four worker processes share 20,000 jobs on PostgreSQL; each job's handler runs exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_workers_on_postgres() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let t = TestDb::new(Backend::Postgres).await;
    let logs = tempfile::tempdir().unwrap();
    let began = Instant::now();
    enqueue(&t.db, MANY_JOBS as usize).await;

    let mut workers: Vec<Fixture> =
        (1..=4).map(|i| Fixture::start(&t.url, logs.path(), &format!("W{i}"), 8, "0", true)).collect();
    // Meanwhile, how many jobs are `running` at once: more than the 32 slots means
    // completions made but not yet written (their jobs still hold a lease).
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut most_running = 0;
    loop {
        let mut all_exited = true;
        for w in &mut workers {
            match w.exited() {
                Some(status) => assert!(status.success(), "{} failed ({status}); its log:\n{}", w.name, w.log()),
                None => all_exited = false,
            }
        }
        if all_exited {
            break;
        }
        assert!(Instant::now() < deadline, "the workers did not finish within 300 s: {:?}", state_counts(&t.db).await);
        most_running = most_running.max(state_counts(&t.db).await.get("running").copied().unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let states = state_counts(&t.db).await;
    assert_eq!(states.get("completed").copied(), Some(MANY_JOBS), "{states:?}");
    assert_eq!(states.values().sum::<i64>(), MANY_JOBS, "{states:?}");

    let mut c = t.db.read().await.unwrap();
    let (rows, distinct): (i64, i64) = on!(c.conn(), c => sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT job_id) FROM fixture_runs").fetch_one(c).await)
    .unwrap();
    let per_worker: Vec<(String, i64)> = on!(c.conn(), c => sqlx::query_as(
        "SELECT worker_id, COUNT(*) FROM fixture_runs GROUP BY worker_id ORDER BY worker_id").fetch_all(c).await)
    .unwrap();
    drop(c);

    // Jobs whose handler ran more than once, and why: was the earlier attempt rescued because
    // its lease expired, and how long after that run had recorded itself?
    let mut by_job: BTreeMap<i64, Vec<(i32, String, String)>> = BTreeMap::new();
    for (job_id, worker, attempt, at) in all_runs_timed(&t.db).await {
        by_job.entry(job_id).or_default().push((attempt, worker, at));
    }
    by_job.retain(|_, rs| rs.len() > 1);
    let (mut explained, mut gaps, mut first_by) = (0, Vec::new(), BTreeMap::<String, usize>::new());
    for (id, rs) in &by_job {
        let mut c = t.db.read().await.unwrap();
        let job = ops::get(c.conn(), *id).await.unwrap().expect("job");
        let (attempt, worker, at) = &rs[0];
        *first_by.entry(worker.clone()).or_default() += 1;
        if let Some(e) = job.errors.0.iter().find(|e| e.attempt == *attempt && e.error.contains("lease expired")) {
            explained += 1;
            if let Ok(ran) = chrono::DateTime::parse_from_rfc3339(at) {
                gaps.push((e.at - ran.with_timezone(&chrono::Utc)).num_milliseconds());
            }
        }
    }
    gaps.sort_unstable();
    let sample: Vec<_> = by_job.iter().take(5).collect();
    eprintln!(
        "many workers on PostgreSQL: {} s; {rows} runs of {distinct} jobs; per worker {per_worker:?}; \
         at most {most_running} jobs running at once (4 × 8 slots); {} jobs ran twice",
        began.elapsed().as_secs_f64().round(),
        by_job.len()
    );
    if !by_job.is_empty() {
        for w in &workers {
            eprintln!("--- {} events:\n{}", w.name, w.events(40));
        }
    }
    assert!(
        by_job.is_empty(),
        "{} jobs ran their handler to completion more than once; for {explained} of them the queue had rescued \
         the earlier attempt as lease expired, {}–{} ms after that attempt's handler had finished (the lease is \
         2 s); earlier runs by worker {first_by:?}; at most {most_running} jobs were running at once for 32 slots; \
         e.g. (job, [(attempt, worker, finished_at)]) {sample:?}",
        by_job.len(),
        gaps.first().copied().unwrap_or(0),
        gaps.last().copied().unwrap_or(0),
    );
    assert_eq!((rows, distinct), (MANY_JOBS, MANY_JOBS), "each job completed exactly once");
    let busy = per_worker.iter().filter(|(_, n)| *n > 0).count();
    assert!(busy > 1, "the work was not shared: {per_worker:?}");
    drop(workers);
    t.drop_schema().await;
}
