//! Scheduling: priorities, per-queue concurrency limits, scheduled jobs, periodic jobs with
//! two schedulers racing, pruning of finished jobs, and the admin retry/cancel operations.

use crate::helpers::*;
use crate::support::*;
use chrono::{DateTime, Utc};
use sellcast_queue::ops::{self, JobFilter, Transition};
use sellcast_queue::{JobState, NewJob, Outcome, Registry};
use sellcast_store::{on, Db, DbOptions};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

async fn lower_priority_number_runs_first(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    // Enqueued before any worker runs, all with the same run_at.
    let now = Utc::now();
    let mut jobs = Vec::new();
    let mut tx = db.begin().await.unwrap();
    for p in [5i16, 5, 0, 3, 0, 10, 1] {
        let e = ops::enqueue(tx.conn(), &NewJob::raw("p", json!({})).queue("pq").priority(p), now).await.unwrap();
        jobs.push((p, e.id));
    }
    tx.commit().await.unwrap();

    let order = Arc::new(Mutex::new(Vec::new()));
    let mut reg = Registry::new();
    let o = order.clone();
    reg.register_raw("p", move |ctx| {
        let o = o.clone();
        async move {
            o.lock().unwrap().push((ctx.job.priority, ctx.job.id));
            Outcome::Done
        }
    });
    let h = worker(db, reg, &[("pq", 1)]).start();
    wait_until("every job to run", || async { order.lock().unwrap().len() == jobs.len() }).await;
    h.shutdown().await;
    jobs.sort();
    assert_eq!(*order.lock().unwrap(), jobs, "by priority, then in insertion order");
    t.drop_schema().await;
}

/// Counts how many handlers of one kind run at once, and the most ever seen.
#[derive(Default)]
struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
}

fn sleeper(reg: &mut Registry, kind: &str, gauge: Arc<Gauge>) {
    reg.register_raw(kind, move |_ctx| {
        let g = gauge.clone();
        async move {
            let n = g.now.fetch_add(1, Ordering::SeqCst) + 1;
            g.max.fetch_max(n, Ordering::SeqCst);
            tokio::time::sleep(ms(200)).await;
            g.now.fetch_sub(1, Ordering::SeqCst);
            Outcome::Done
        }
    });
}

async fn per_queue_concurrency_limits(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let (wide, narrow) = (Arc::new(Gauge::default()), Arc::new(Gauge::default()));
    let mut reg = Registry::new();
    sleeper(&mut reg, "wide", wide.clone());
    sleeper(&mut reg, "narrow", narrow.clone());
    let jobs: Vec<NewJob> = (0..10)
        .map(|_| NewJob::raw("wide", json!({})).queue("three"))
        .chain((0..4).map(|_| NewJob::raw("narrow", json!({})).queue("one")))
        .collect();
    let mut tx = db.begin().await.unwrap();
    ops::enqueue_many(tx.conn(), &jobs, Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
    let h = worker(db, reg, &[("three", 3), ("one", 1)]).start();
    wait_until("all 14 jobs to complete", || async {
        let f = JobFilter { state: Some(JobState::Completed), ..Default::default() };
        list(db, &f, None, 100).await.len() == 14
    })
    .await;
    h.shutdown().await;
    assert_eq!(wide.max.load(Ordering::SeqCst), 3, "queue 'three' ran exactly 3 at once at most");
    assert_eq!(narrow.max.load(Ordering::SeqCst), 1, "queue 'one' never ran two at once");
    t.drop_schema().await;
}

async fn scheduled_jobs_run_when_due(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let ran_at = Arc::new(Mutex::new(HashMap::new()));
    let mut reg = Registry::new();
    let r = ran_at.clone();
    reg.register_raw("later", move |ctx| {
        let r = r.clone();
        async move {
            r.lock().unwrap().insert(ctx.job.id, Utc::now());
            Outcome::Done
        }
    });
    let h = worker(db, reg, &[("default", 2)]).start();
    let due = Utc::now() + chrono::Duration::milliseconds(700);
    let e = enqueue(db, &NewJob::raw("later", json!({})).run_at(due)).await;
    assert_eq!(must_get(db, e.id).await.state, JobState::Scheduled);
    wait_state(db, e.id, JobState::Completed).await;
    let ran = ran_at.lock().unwrap()[&e.id];
    assert!(ran >= due, "ran at {ran}, due {due}");
    assert!(ran < due + chrono::Duration::seconds(3), "ran at {ran}, due {due}");
    h.shutdown().await;
    t.drop_schema().await;
}

/// Two Workers (two connections to the database, as two processes would have) share an
/// every-second periodic job: each tick is enqueued exactly once.
async fn periodic_ticks_are_enqueued_once_across_schedulers(b: Backend) {
    let t = TestDb::new(b).await;
    let other = Db::connect(&DbOptions { url: t.url.clone(), max_connections: 10 }).await.unwrap();
    let registry = || {
        let mut reg = Registry::new();
        reg.register_raw("tick-job", |_ctx| async move { Outcome::Done });
        reg.periodic("every-second", "* * * * * *", NewJob::raw("tick-job", json!({"from": "cron"}))).unwrap();
        reg
    };
    let a = worker(&t.db, registry(), &[("default", 2)]).start();
    let b2 = worker(&other, registry(), &[("default", 2)]).start();
    tokio::time::sleep(ms(3500)).await;
    a.shutdown().await;
    b2.shutdown().await;
    other.close().await;

    let db = &t.db;
    let mut c = db.read().await.unwrap();
    let ticks: Vec<(String, DateTime<Utc>, Option<i64>)> = on!(c.conn(), c =>
        sqlx::query_as("SELECT name, tick_at, job_id FROM periodic_ticks ORDER BY tick_at").fetch_all(c).await)
    .unwrap();
    drop(c);
    let f = JobFilter { kind: Some("tick-job".into()), ..Default::default() };
    let jobs = list(db, &f, None, 1000).await;

    assert!((2..=5).contains(&ticks.len()), "about one tick a second for 3.5 s: {ticks:?}");
    let distinct: BTreeSet<DateTime<Utc>> = ticks.iter().map(|(_, at, _)| *at).collect();
    assert_eq!(distinct.len(), ticks.len(), "one row per tick: {ticks:?}");
    assert_eq!(
        jobs.len(),
        ticks.len(),
        "one job per tick: {ticks:?} {:?}",
        jobs.iter().map(|j| &j.meta.0).collect::<Vec<_>>()
    );
    let mut job_ticks = BTreeSet::new();
    for j in &jobs {
        assert_eq!(j.meta.0["periodic"], json!("every-second"));
        assert_eq!(j.args.0, json!({"from": "cron"}));
        let tick: DateTime<Utc> = serde_json::from_value(j.meta.0["tick"].clone()).unwrap();
        assert!(job_ticks.insert(tick), "two jobs for tick {tick}");
    }
    assert_eq!(job_ticks, distinct, "the jobs' ticks are the recorded ticks");
    for (name, at, job_id) in &ticks {
        assert_eq!(name, "every-second");
        assert_eq!(at.timestamp_subsec_nanos(), 0, "ticks fall on whole seconds");
        let id = job_id.expect("the tick records its job");
        let job = jobs.iter().find(|j| j.id == id).expect("the tick's job exists");
        assert_eq!(serde_json::from_value::<DateTime<Utc>>(job.meta.0["tick"].clone()).unwrap(), *at);
    }
    t.drop_schema().await;
}

async fn finished_jobs_past_retention_are_pruned(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let now = Utc::now();
    let old = now - chrono::Duration::hours(2);
    let raw = |q: &str| NewJob::raw("x", json!({})).queue(q);
    let done_old = enqueue(db, &raw("a")).await;
    let done_new = enqueue(db, &raw("b")).await;
    let dead_old = enqueue(db, &raw("c")).await;
    let cancelled_old = enqueue(db, &raw("d")).await;
    let cancelled_new = enqueue(db, &raw("d")).await;
    // Unfinished jobs are kept however old they are.
    let mut tx = db.begin().await.unwrap();
    let waiting_old =
        ops::enqueue(tx.conn(), &raw("idle").run_at(now + chrono::Duration::hours(1)), old).await.unwrap();
    let mut c = tx.conn();
    let claim_now = Utc::now();
    ops::claim(c.re(), "a", 1, "w", claim_now, claim_now + chrono::Duration::minutes(1)).await.unwrap();
    ops::claim(c.re(), "b", 1, "w", claim_now, claim_now + chrono::Duration::minutes(1)).await.unwrap();
    ops::claim(c.re(), "c", 1, "w", claim_now, claim_now + chrono::Duration::minutes(1)).await.unwrap();
    assert_eq!(ops::complete_many(c.re(), "w", &[done_old.id], old).await.unwrap(), 1);
    assert_eq!(ops::complete_many(c.re(), "w", &[done_new.id], now).await.unwrap(), 1);
    let dead = Transition { state: JobState::Dead, run_at: old, attempt: 1, errors: &[], finished_at: Some(old) };
    assert!(ops::transition(c.re(), dead_old.id, "w", &dead).await.unwrap());
    assert!(ops::cancel(c.re(), cancelled_old.id, old).await.unwrap());
    assert!(ops::cancel(c.re(), cancelled_new.id, now).await.unwrap());
    // Periodic ticks older than two days go too.
    assert!(ops::claim_tick(c.re(), "p", now - chrono::Duration::days(3)).await.unwrap());
    assert!(ops::claim_tick(c.re(), "p", now - chrono::Duration::hours(3)).await.unwrap());
    tx.commit().await.unwrap();

    let cfg = sellcast_queue::WorkerConfig { retention: Duration::from_secs(3600), ..config(&[("unused", 1)]) };
    let h = worker_with(db, Registry::new(), cfg, real_clock()).start();
    wait_until("old finished jobs to be pruned", || async { count_jobs(db).await == 3 }).await;
    tokio::time::sleep(ms(400)).await; // more maintenance passes change nothing
    h.shutdown().await;
    for gone in [done_old.id, dead_old.id, cancelled_old.id] {
        assert!(get(db, gone).await.is_none(), "job {gone} pruned");
    }
    assert_eq!(must_get(db, done_new.id).await.state, JobState::Completed);
    assert_eq!(must_get(db, cancelled_new.id).await.state, JobState::Cancelled);
    assert_eq!(must_get(db, waiting_old.id).await.state, JobState::Scheduled);
    let mut c = db.read().await.unwrap();
    let ticks: i64 =
        on!(c.conn(), c => sqlx::query_scalar("SELECT COUNT(*) FROM periodic_ticks").fetch_one(c).await).unwrap();
    assert_eq!(ticks, 1, "only the recent tick is kept");
    drop(c);
    t.drop_schema().await;
}

async fn admin_retry_and_cancel(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let calls = Arc::new(Mutex::new(HashMap::<i64, usize>::new()));
    let mut reg = Registry::new();
    let c = calls.clone();
    reg.register_raw("once-fails", move |ctx| {
        let c = c.clone();
        async move {
            let n = {
                let mut m = c.lock().unwrap();
                let n = m.entry(ctx.job.id).or_insert(0);
                *n += 1;
                *n
            };
            if n == 1 {
                Outcome::Retry("first run fails".into())
            } else {
                Outcome::Done
            }
        }
    });
    let calls_of = |id: i64| calls.lock().unwrap().get(&id).copied().unwrap_or(0);

    // Cancelled before any worker looks: never runs.
    let cancelled = enqueue(db, &NewJob::raw("once-fails", json!({})).queue("q")).await;
    let scheduled =
        enqueue(db, &NewJob::raw("once-fails", json!({})).queue("q").run_at(Utc::now() + chrono::Duration::hours(1)))
            .await;
    let mut tx = db.begin().await.unwrap();
    assert!(ops::cancel(tx.conn(), cancelled.id, Utc::now()).await.unwrap());
    assert!(!ops::cancel(tx.conn(), cancelled.id, Utc::now()).await.unwrap(), "already finished");
    assert!(ops::cancel(tx.conn(), scheduled.id, Utc::now()).await.unwrap());
    assert!(!ops::cancel(tx.conn(), i64::MAX, Utc::now()).await.unwrap(), "no such job");
    assert!(!ops::retry(tx.conn(), i64::MAX, Utc::now()).await.unwrap(), "no such job");
    tx.commit().await.unwrap();
    let row = must_get(db, cancelled.id).await;
    assert_eq!(row.state, JobState::Cancelled);
    assert!(row.finished_at.is_some());

    let h = worker(db, reg, &[("q", 2)]).start();
    // A dead job (one attempt, failed) is retried by hand with one more attempt.
    let dead = enqueue(db, &NewJob::raw("once-fails", json!({})).queue("q").max_attempts(1)).await;
    let row = wait_state(db, dead.id, JobState::Dead).await;
    assert_eq!((row.attempt, row.max_attempts), (1, 1));
    let mut tx = db.begin().await.unwrap();
    assert!(ops::retry(tx.conn(), dead.id, Utc::now()).await.unwrap());
    tx.commit().await.unwrap();
    db.job_wakeup().notify_waiters();
    let row = wait_state(db, dead.id, JobState::Completed).await;
    assert_eq!((row.attempt, row.max_attempts), (2, 2), "one more attempt was granted");
    assert_eq!(
        row.errors.0.iter().map(|e| e.error.as_str()).collect::<Vec<_>>(),
        vec!["first run fails"],
        "history kept"
    );
    assert_eq!(calls_of(dead.id), 2);

    // A sentinel on the same queue proves the worker was serving it.
    let sentinel = enqueue(db, &NewJob::raw("once-fails", json!({})).queue("q").max_attempts(3)).await;
    wait_state(db, sentinel.id, JobState::Completed).await;
    assert_eq!(calls_of(cancelled.id), 0, "a cancelled job never runs");
    assert_eq!(must_get(db, cancelled.id).await.state, JobState::Cancelled);

    // A cancelled job can be retried by hand: it runs then.
    let mut tx = db.begin().await.unwrap();
    assert!(ops::retry(tx.conn(), scheduled.id, Utc::now()).await.unwrap());
    tx.commit().await.unwrap();
    db.job_wakeup().notify_waiters();
    let row = wait_job(db, scheduled.id, "run after retry", |r| r.attempt >= 1 && r.state != JobState::Running).await;
    assert_eq!(row.state, JobState::Retryable, "its first run fails: {row:#?}");
    assert_eq!(calls_of(scheduled.id), 1);
    h.shutdown().await;
    t.drop_schema().await;
}

on_both_backends!(
    lower_priority_number_runs_first,
    per_queue_concurrency_limits,
    scheduled_jobs_run_when_due,
    periodic_ticks_are_enqueued_once_across_schedulers,
    finished_jobs_past_retention_are_pruned,
    admin_retry_and_cancel,
);
