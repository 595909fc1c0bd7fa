//! Leases: fencing of completions and transitions, rescue of expired leases by maintenance,
//! heartbeats, cancelling a running job, and graceful shutdown.

use crate::helpers::*;
use crate::support::*;
use chrono::Utc;
use sellcast_queue::job::JobError;
use sellcast_queue::ops::{self, Transition};
use sellcast_queue::{Backoff, JobState, NewJob, Outcome, Registry};
use sellcast_store::Db;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

async fn transition_as(db: &Db, id: i64, owner: &str, t: &Transition<'_>) -> bool {
    let mut tx = db.begin().await.unwrap();
    let applied = ops::transition(tx.conn(), id, owner, t).await.unwrap();
    tx.commit().await.unwrap();
    applied
}

async fn heartbeat_as(db: &Db, owner: &str, until: chrono::DateTime<Utc>) -> u64 {
    let mut tx = db.begin().await.unwrap();
    let n = ops::heartbeat(tx.conn(), owner, until).await.unwrap();
    tx.commit().await.unwrap();
    n
}

/// The lease-relevant part of a row, to show that a rejected write changed nothing.
fn lease_view(r: &sellcast_queue::JobRow) -> (String, i32, Option<String>, Option<i64>, usize, Option<i64>) {
    (
        r.state.to_string(),
        r.attempt,
        r.lease_owner.clone(),
        r.lease_expires_at.map(|t| t.timestamp_micros()),
        r.errors.0.len(),
        r.finished_at.map(|t| t.timestamp_micros()),
    )
}

async fn fencing_rejects_a_lost_lease(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let e = enqueue(db, &NewJob::raw("f", json!({})).queue("fq").max_attempts(3)).await;
    let now = Utc::now();
    let claimed = claim_as(db, "fq", "owner-a", now, now + secs(60)).await;
    assert_eq!(claimed.len(), 1);

    // B never held the lease: it can neither settle, complete nor extend the job.
    let held = must_get(db, e.id).await;
    let errs = vec![JobError { attempt: 1, at: now, error: "b's failure".into() }];
    let dead = Transition { state: JobState::Dead, run_at: now, attempt: 1, errors: &errs, finished_at: Some(now) };
    let done = Transition { state: JobState::Completed, run_at: now, attempt: 1, errors: &[], finished_at: Some(now) };
    assert!(!transition_as(db, e.id, "owner-b", &dead).await);
    assert!(!transition_as(db, e.id, "owner-b", &done).await);
    assert_eq!(complete_as(db, "owner-b", &[e.id]).await, 0);
    assert_eq!(heartbeat_as(db, "owner-b", now + secs(600)).await, 0);
    assert_eq!(lease_view(&must_get(db, e.id).await), lease_view(&held), "nothing changed");

    // The lease is not expired yet: nothing to rescue.
    let mut c = db.read().await.unwrap();
    assert!(ops::expired_leases(c.conn(), Utc::now(), 100).await.unwrap().iter().all(|j| j.id != e.id));
    // A's lease runs out; rescue it as maintenance does (with the owner it read).
    let later = now + secs(61);
    let expired = ops::expired_leases(c.conn(), later, 100).await.unwrap();
    drop(c);
    let stale = expired.iter().find(|j| j.id == e.id).expect("the job's lease expired");
    let errs = vec![JobError { attempt: 1, at: later, error: "lease expired".into() }];
    let rescue = Transition { state: JobState::Retryable, run_at: later, attempt: 1, errors: &errs, finished_at: None };
    assert!(transition_as(db, e.id, stale.lease_owner.as_deref().unwrap(), &rescue).await);
    assert!(!transition_as(db, e.id, "owner-a", &rescue).await, "rescue happens once");

    // B takes the job over; A, waking up late, cannot overwrite B's outcome.
    let b_claim = claim_as(db, "fq", "owner-b", later + secs(1), later + secs(60)).await;
    assert_eq!(b_claim.iter().map(|j| (j.id, j.attempt)).collect::<Vec<_>>(), vec![(e.id, 2)]);
    let taken = must_get(db, e.id).await;
    assert_eq!(complete_as(db, "owner-a", &[e.id]).await, 0);
    assert!(!transition_as(db, e.id, "owner-a", &dead).await);
    assert_eq!(heartbeat_as(db, "owner-a", now + secs(600)).await, 0);
    assert_eq!(lease_view(&must_get(db, e.id).await), lease_view(&taken));
    assert_eq!(heartbeat_as(db, "owner-b", later + secs(120)).await, 1, "the holder may extend its lease");

    assert_eq!(complete_as(db, "owner-b", &[e.id]).await, 1);
    let row = must_get(db, e.id).await;
    assert_eq!(row.state, JobState::Completed);
    assert_eq!(row.attempt, 2);
    assert!(row.lease_owner.is_none() && row.finished_at.is_some());
    assert_eq!(row.errors.0.len(), 1, "only the rescue's error; B's and A's rejected failures left no trace");
    // Finished: nobody can move it any more, not even its last holder.
    assert!(!transition_as(db, e.id, "owner-b", &dead).await);
    assert_eq!(complete_as(db, "owner-b", &[e.id]).await, 0);
    t.drop_schema().await;
}

async fn maintenance_rescues_expired_leases(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let again = enqueue(db, &NewJob::raw("ghostly", json!({})).queue("ghostq").max_attempts(3)).await;
    let last = enqueue(db, &NewJob::raw("ghostly", json!({})).queue("ghostq").max_attempts(1)).await;
    let now = Utc::now();
    // A worker that died: claimed both, its lease already over.
    assert_eq!(claim_as(db, "ghostq", "ghost", now, now - secs(1)).await.len(), 2);
    // A live holder's lease is left alone.
    let alive = enqueue(db, &NewJob::raw("ghostly", json!({})).queue("ghostq")).await;
    assert_eq!(claim_as(db, "ghostq", "alive", Utc::now(), Utc::now() + secs(600)).await.len(), 1);

    // A worker serving another queue: only its maintenance is involved.
    let h = worker(db, Registry::new(), &[("other", 1)]).start();
    let row = wait_state(db, again.id, JobState::Retryable).await;
    assert_eq!(row.attempt, 1, "the lost attempt counts");
    assert!(row.lease_owner.is_none() && row.lease_expires_at.is_none() && row.finished_at.is_none());
    assert_eq!(row.errors.0.len(), 1);
    assert_eq!(row.errors.0[0].attempt, 1);
    assert!(row.errors.0[0].error.contains("lease expired"), "{:?}", row.errors);
    // The job did not fail, its worker did: it runs again at once, no backoff.
    assert!(row.run_at <= row.errors.0[0].at, "rescued jobs run again at once");

    let row = wait_state(db, last.id, JobState::Dead).await;
    assert_eq!(row.attempt, 1);
    assert!(row.finished_at.is_some() && row.lease_owner.is_none());
    assert!(row.errors.0[0].error.contains("lease expired"), "{:?}", row.errors);

    tokio::time::sleep(ms(500)).await; // a few more maintenance passes
    let row = must_get(db, alive.id).await;
    assert_eq!(row.state, JobState::Running);
    assert_eq!(row.lease_owner.as_deref(), Some("alive"));
    assert_eq!(complete_as(db, "ghost", &[again.id, last.id]).await, 0, "the dead worker is fenced out");
    assert_eq!(complete_as(db, "alive", &[alive.id]).await, 1);
    h.shutdown().await;
    t.drop_schema().await;
}

/// A worker whose attempt outlives its lease (no heartbeats) loses the job to a second
/// attempt; the stalled attempt's late outcome is discarded.
async fn late_outcome_of_a_stalled_attempt_is_fenced(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let stalled_done = Arc::new(AtomicUsize::new(0));
    let mut reg = Registry::new();
    let sd = stalled_done.clone();
    // Attempt 1 stalls, then reports a failure; attempt 2 succeeds.
    reg.register_raw("stall-retry", move |ctx| {
        let sd = sd.clone();
        async move {
            if ctx.job.attempt == 1 {
                tokio::time::sleep(ms(1500)).await;
                sd.fetch_add(1, Ordering::SeqCst);
                Outcome::Retry("late failure from the stalled attempt".into())
            } else {
                Outcome::Done
            }
        }
    })
    .backoff(Backoff::Schedule(vec![ms(50)]));
    // Attempt 1 stalls, then reports success; attempt 2 cancels the job.
    let sd = stalled_done.clone();
    reg.register_raw("stall-done", move |ctx| {
        let sd = sd.clone();
        async move {
            if ctx.job.attempt == 1 {
                tokio::time::sleep(ms(1500)).await;
                sd.fetch_add(1, Ordering::SeqCst);
                Outcome::Done
            } else {
                Outcome::Cancel("the second attempt cancels".into())
            }
        }
    })
    .backoff(Backoff::Schedule(vec![ms(50)]));
    let cfg = sellcast_queue::WorkerConfig {
        lease: ms(400),
        heartbeat: Duration::from_secs(600),
        maintenance_every: ms(100),
        ..config(&[("default", 4)])
    };
    let h = worker_with(db, reg, cfg, real_clock()).start();
    let r = enqueue(db, &NewJob::raw("stall-retry", json!({})).max_attempts(5)).await;
    let d = enqueue(db, &NewJob::raw("stall-done", json!({})).max_attempts(5)).await;

    let row = wait_state(db, r.id, JobState::Completed).await;
    assert_eq!(row.attempt, 2);
    wait_state(db, d.id, JobState::Cancelled).await;
    wait_until("both stalled attempts to finish", || async { stalled_done.load(Ordering::SeqCst) == 2 }).await;
    tokio::time::sleep(ms(300)).await; // let the late outcomes reach the database, if they could

    let row = must_get(db, r.id).await;
    assert_eq!(row.state, JobState::Completed, "the late Retry did not overwrite the completion");
    assert_eq!(row.attempt, 2);
    assert_eq!(row.errors.0.len(), 1, "{:?}", row.errors);
    assert!(row.errors.0[0].error.contains("lease expired"));
    let row = must_get(db, d.id).await;
    assert_eq!(row.state, JobState::Cancelled, "the late Done did not overwrite the cancellation");
    assert_eq!(row.attempt, 2);
    h.shutdown().await;
    t.drop_schema().await;
}

async fn heartbeats_keep_a_long_job_leased(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let mut reg = Registry::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    reg.register_raw("long", move |_ctx| {
        let c = c.clone();
        async move {
            c.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(ms(2000)).await;
            Outcome::Done
        }
    });
    let cfg = sellcast_queue::WorkerConfig {
        lease: ms(700),
        heartbeat: ms(100),
        maintenance_every: ms(100),
        ..config(&[("default", 2)])
    };
    let h = worker_with(db, reg, cfg, real_clock()).start();
    let e = enqueue(db, &NewJob::raw("long", json!({}))).await;
    let row = wait_state(db, e.id, JobState::Completed).await;
    assert_eq!(row.attempt, 1, "never rescued");
    assert!(row.errors.0.is_empty(), "{:?}", row.errors);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    h.shutdown().await;
    t.drop_schema().await;
}

async fn cancelling_a_running_job_discards_its_result(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let started = Arc::new(AtomicBool::new(false));
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let mut reg = Registry::new();
    let (s, g) = (started.clone(), gate.clone());
    reg.register_raw("gated", move |_ctx| {
        let (s, g) = (s.clone(), g.clone());
        async move {
            s.store(true, Ordering::SeqCst);
            let _permit = g.acquire().await.unwrap();
            Outcome::Done
        }
    });
    let h = worker(db, reg, &[("default", 2)]).start();
    let e = enqueue(db, &NewJob::raw("gated", json!({}))).await;
    wait_until("the handler to start", || async { started.load(Ordering::SeqCst) }).await;
    let mut tx = db.begin().await.unwrap();
    assert!(ops::cancel(tx.conn(), e.id, Utc::now()).await.unwrap());
    tx.commit().await.unwrap();
    let cancelled = must_get(db, e.id).await;
    assert_eq!(cancelled.state, JobState::Cancelled);
    assert!(cancelled.lease_owner.is_none() && cancelled.finished_at.is_some());
    gate.add_permits(1);
    tokio::time::sleep(ms(500)).await;
    let row = must_get(db, e.id).await;
    assert_eq!(row.state, JobState::Cancelled, "the handler's Done was fenced out");
    assert_eq!(row.finished_at, cancelled.finished_at);
    h.shutdown().await;
    t.drop_schema().await;
}

async fn graceful_shutdown_releases_or_completes(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;

    // A job still running after the grace period is released: available, attempt not counted.
    let started = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicBool::new(false));
    let mut reg = Registry::new();
    let (s, f) = (started.clone(), finished.clone());
    reg.register_raw("long", move |_ctx| {
        let (s, f) = (s.clone(), f.clone());
        async move {
            s.store(true, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(10)).await;
            f.store(true, Ordering::SeqCst);
            Outcome::Done
        }
    });
    let cfg = sellcast_queue::WorkerConfig {
        shutdown_grace: ms(300),
        heartbeat: Duration::from_secs(30),
        lease: Duration::from_secs(60),
        ..config(&[("lq", 1)])
    };
    let h = worker_with(db, reg, cfg, real_clock()).start();
    let long = enqueue(db, &NewJob::raw("long", json!({})).queue("lq")).await;
    wait_until("the long handler to start", || async { started.load(Ordering::SeqCst) }).await;
    assert_eq!(must_get(db, long.id).await.attempt, 1);
    let t0 = Instant::now();
    h.shutdown().await;
    assert!(t0.elapsed() < Duration::from_secs(5), "shutdown took {:?}", t0.elapsed());
    let row = must_get(db, long.id).await;
    assert_eq!(row.state, JobState::Available, "{row:#?}");
    assert_eq!(row.attempt, 0, "the interrupted attempt is not counted");
    assert!(row.lease_owner.is_none() && row.lease_expires_at.is_none() && row.finished_at.is_none());
    assert!(row.errors.0.is_empty());
    assert!(!finished.load(Ordering::SeqCst));

    // A job that finishes within the grace period completes; shutdown waits for it.
    let started = Arc::new(AtomicBool::new(false));
    let mut reg = Registry::new();
    let s = started.clone();
    reg.register_raw("short", move |_ctx| {
        let s = s.clone();
        async move {
            s.store(true, Ordering::SeqCst);
            tokio::time::sleep(ms(300)).await;
            Outcome::Done
        }
    });
    let cfg = sellcast_queue::WorkerConfig { shutdown_grace: Duration::from_secs(5), ..config(&[("sq", 1)]) };
    let h = worker_with(db, reg, cfg, real_clock()).start();
    let short = enqueue(db, &NewJob::raw("short", json!({})).queue("sq")).await;
    wait_until("the short handler to start", || async { started.load(Ordering::SeqCst) }).await;
    h.shutdown().await;
    let row = must_get(db, short.id).await;
    assert_eq!(row.state, JobState::Completed, "completed before shutdown returned: {row:#?}");
    assert_eq!(row.attempt, 1);
    // The released job is still waiting, untouched by the second worker (other queue).
    assert_eq!(must_get(db, long.id).await.state, JobState::Available);
    t.drop_schema().await;
}

/// A job stopped at shutdown is always released, even when heartbeats tick in between the
/// abort and the release (they once dropped its lease from the list, leaving it `running`
/// until its lease expired). A 1 ms heartbeat makes that window wide.
async fn shutdown_releases_even_with_frequent_heartbeats(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let mut stuck = Vec::new();
    for i in 0..10 {
        let started = Arc::new(AtomicBool::new(false));
        let mut reg = Registry::new();
        let s = started.clone();
        reg.register_raw("long", move |_ctx| {
            let s = s.clone();
            async move {
                s.store(true, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(10)).await;
                Outcome::Done
            }
        });
        let cfg = sellcast_queue::WorkerConfig {
            shutdown_grace: ms(100),
            heartbeat: ms(1),
            lease: Duration::from_secs(60),
            ..config(&[("lq", 1)])
        };
        let h = worker_with(db, reg, cfg, real_clock()).start();
        let e = enqueue(db, &NewJob::raw("long", json!({"i": i})).queue("lq")).await;
        wait_until("the handler to start", || async { started.load(Ordering::SeqCst) }).await;
        h.shutdown().await;
        let row = must_get(db, e.id).await;
        if row.state != JobState::Available || row.attempt != 0 {
            stuck.push((i, row.state, row.attempt, row.lease_owner.clone()));
        }
        // Out of the next round's way.
        let mut tx = db.begin().await.unwrap();
        ops::cancel(tx.conn(), e.id, Utc::now()).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert!(stuck.is_empty(), "jobs left running after shutdown: {stuck:?}");
    t.drop_schema().await;
}

/// Jobs claimed ahead of free slots are leased like running ones and, at shutdown, handed
/// back untouched: available again, attempt not counted, handler never run for them.
async fn claimed_ahead_jobs_are_released_at_shutdown(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let ran = Arc::new(AtomicUsize::new(0));
    let mut reg = Registry::new();
    let r = ran.clone();
    reg.register_raw("step", move |_ctx| {
        let r = r.clone();
        async move {
            r.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(ms(20)).await;
            Outcome::Done
        }
    });
    let mut ids = Vec::new();
    for i in 0..300 {
        ids.push(enqueue(db, &NewJob::raw("step", json!({"i": i})).queue("aq")).await.id);
    }
    // Ten seconds of work at ~50 jobs/s is more than the 100 allowed ahead: 100 are buffered.
    let cfg = sellcast_queue::WorkerConfig {
        claim_ahead: 100,
        claim_ahead_for: Duration::from_secs(10),
        shutdown_grace: Duration::from_secs(5),
        ..config(&[("aq", 1)])
    };
    let h = worker_with(db, reg, cfg, real_clock()).start();
    wait_until("jobs to be claimed ahead", || async {
        let running = list(db, &Default::default(), None, 500).await;
        running.iter().filter(|j| j.state == JobState::Running).count() > 20
    })
    .await;
    h.shutdown().await;
    let rows = list(db, &Default::default(), None, 500).await;
    let completed = rows.iter().filter(|j| j.state == JobState::Completed).count();
    assert_eq!(completed, ran.load(Ordering::SeqCst), "every handler run is recorded, no more");
    for row in rows.iter().filter(|j| j.state != JobState::Completed) {
        assert_eq!(row.state, JobState::Available, "{row:#?}");
        assert_eq!(row.attempt, 0, "a buffered job's claim is not an attempt: {row:#?}");
        assert!(row.lease_owner.is_none());
    }
    assert_eq!(rows.len(), ids.len());
    t.drop_schema().await;
}

on_both_backends!(
    claimed_ahead_jobs_are_released_at_shutdown,
    shutdown_releases_even_with_frequent_heartbeats,
    fencing_rejects_a_lost_lease,
    maintenance_rescues_expired_leases,
    late_outcome_of_a_stalled_attempt_is_fenced,
    heartbeats_keep_a_long_job_leased,
    cancelling_a_running_job_discards_its_result,
    graceful_shutdown_releases_or_completes,
);
