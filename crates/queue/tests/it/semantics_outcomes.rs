//! Handler outcomes through a real Worker: Done, Retry (backoff, error history, dead when
//! out of attempts), Discard, Cancel, Snooze, panics, per-kind and per-job timeouts, the
//! publish backoff schedule, and kinds without a handler.

use crate::helpers::*;
use crate::support::*;
use chrono::{DateTime, Utc};
use sellcast_queue::ops;
use sellcast_queue::{Backoff, JobArgs, JobState, NewJob, Outcome, Registry};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A handler that counts its calls and answers `f(call number starting at 1, job attempt)`.
fn counting<'r>(
    reg: &'r mut Registry,
    kind: &str,
    f: impl Fn(usize, i32) -> Outcome + Send + Sync + 'static,
) -> (Arc<AtomicUsize>, &'r mut sellcast_queue::registry::KindSpec) {
    let calls = Arc::new(AtomicUsize::new(0));
    let (c, f) = (calls.clone(), Arc::new(f));
    let spec = reg.register_raw(kind, move |ctx| {
        let (c, f) = (c.clone(), f.clone());
        async move {
            let n = c.fetch_add(1, Ordering::SeqCst) + 1;
            f(n, ctx.job.attempt)
        }
    });
    (calls, spec)
}

async fn done_completes_and_unknown_kinds_retry(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let mut reg = Registry::new();
    let (calls, _) = counting(&mut reg, "ok", |_, _| Outcome::Done);
    let h = worker(db, reg, &[("default", 4)]).start();
    let before = Utc::now();
    let e = enqueue(db, &NewJob::raw("ok", json!({}))).await;
    let row = wait_state(db, e.id, JobState::Completed).await;
    assert_eq!(row.attempt, 1);
    let finished = row.finished_at.expect("finished_at set");
    assert!(finished >= before && finished <= Utc::now());
    assert!(row.attempted_at.is_some());
    assert!(row.lease_owner.is_none() && row.lease_expires_at.is_none());
    assert!(row.errors.0.is_empty());

    // No handler for a kind in this process: a failed attempt, retried later.
    let n = enqueue(db, &NewJob::raw("nobody", json!({}))).await;
    let row = wait_state(db, n.id, JobState::Retryable).await;
    assert_eq!(row.attempt, 1);
    assert!(row.errors.0[0].error.contains("no handler for kind nobody"), "{:?}", row.errors);
    h.shutdown().await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    t.drop_schema().await;
}

async fn retry_backs_off_and_records_errors(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let mut reg = Registry::new();
    // Fails once, then waits a minute: stays retryable for us to look at.
    counting(&mut reg, "slow-retry", |_, _| Outcome::Retry("upstream said 503".into()))
        .1
        .backoff(Backoff::Schedule(vec![Duration::from_secs(60)]));
    // Fails twice, then succeeds, with short waits.
    counting(
        &mut reg,
        "flaky",
        |_, attempt| {
            if attempt < 3 {
                Outcome::Retry(format!("failure {attempt}"))
            } else {
                Outcome::Done
            }
        },
    )
    .1
    .backoff(Backoff::Schedule(vec![ms(100), ms(150)]));
    // Always fails: dead after max_attempts.
    let (always_calls, spec) = counting(&mut reg, "always", |_, attempt| Outcome::Retry(format!("nope {attempt}")));
    spec.backoff(Backoff::Schedule(vec![ms(50)]));
    let h = worker(db, reg, &[("default", 4)]).start();

    let before = Utc::now();
    let slow = enqueue(db, &NewJob::raw("slow-retry", json!({})).max_attempts(3)).await;
    let flaky = enqueue(db, &NewJob::raw("flaky", json!({})).max_attempts(5)).await;
    let always = enqueue(db, &NewJob::raw("always", json!({})).max_attempts(2)).await;

    let row = wait_state(db, slow.id, JobState::Retryable).await;
    let after = Utc::now();
    assert_eq!(row.attempt, 1);
    assert_eq!(row.errors.0.len(), 1);
    let err = &row.errors.0[0];
    assert_eq!((err.attempt, err.error.as_str()), (1, "upstream said 503"));
    assert!(err.at >= before - chrono::Duration::milliseconds(1) && err.at <= after, "{}", err.at);
    assert!(close_to(row.run_at, err.at + chrono::Duration::seconds(60), ms(5)), "run_at {} at {}", row.run_at, err.at);
    assert!(row.finished_at.is_none() && row.lease_owner.is_none());

    let row = wait_state(db, flaky.id, JobState::Completed).await;
    assert_eq!(row.attempt, 3);
    let history: Vec<(i32, &str)> = row.errors.0.iter().map(|e| (e.attempt, e.error.as_str())).collect();
    assert_eq!(history, vec![(1, "failure 1"), (2, "failure 2")]);
    assert!(row.errors.0[0].at < row.errors.0[1].at);
    assert!(row.finished_at.is_some());

    let row = wait_state(db, always.id, JobState::Dead).await;
    assert_eq!(row.attempt, 2);
    let history: Vec<(i32, &str)> = row.errors.0.iter().map(|e| (e.attempt, e.error.as_str())).collect();
    assert_eq!(history, vec![(1, "nope 1"), (2, "nope 2")]);
    assert!(row.finished_at.is_some() && row.lease_owner.is_none());
    tokio::time::sleep(ms(400)).await;
    assert_eq!(always_calls.load(Ordering::SeqCst), 2, "a dead job does not run again");
    h.shutdown().await;
    t.drop_schema().await;
}

#[derive(Serialize, Deserialize)]
struct Typed {
    n: u32,
}

impl JobArgs for Typed {
    const KIND: &'static str = "typed";
}

async fn discard_and_cancel_finish_at_once(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let mut reg = Registry::new();
    let (discards, _) = counting(&mut reg, "discard", |_, _| Outcome::Discard("malformed listing".into()));
    let (cancels, _) = counting(&mut reg, "cancel", |_, _| Outcome::Cancel("listing was deleted".into()));
    let typed_calls = Arc::new(AtomicUsize::new(0));
    let tc = typed_calls.clone();
    reg.register::<Typed, _, _>(move |_ctx, args| {
        let tc = tc.clone();
        async move {
            tc.fetch_add(1, Ordering::SeqCst);
            assert_eq!(args.n, 7);
            Outcome::Done
        }
    });
    let h = worker(db, reg, &[("default", 4)]).start();
    let d = enqueue(db, &NewJob::raw("discard", json!({})).max_attempts(5)).await;
    let c = enqueue(db, &NewJob::raw("cancel", json!({})).max_attempts(5)).await;
    let good = enqueue(db, &NewJob::of(&Typed { n: 7 })).await;
    let bad = enqueue(db, &NewJob::raw("typed", json!({"n": "not a number"}))).await;

    let row = wait_state(db, d.id, JobState::Dead).await;
    assert_eq!(row.attempt, 1, "discard does not use up the remaining attempts by retrying");
    assert_eq!(row.errors.0.len(), 1);
    assert_eq!((row.errors.0[0].attempt, row.errors.0[0].error.as_str()), (1, "malformed listing"));
    assert!(row.finished_at.is_some() && row.lease_owner.is_none());

    let row = wait_state(db, c.id, JobState::Cancelled).await;
    assert_eq!(row.attempt, 1);
    assert_eq!(row.errors.0.iter().map(|e| e.error.as_str()).collect::<Vec<_>>(), vec!["listing was deleted"]);
    assert!(row.finished_at.is_some() && row.lease_owner.is_none());

    wait_state(db, good.id, JobState::Completed).await;
    let row = wait_state(db, bad.id, JobState::Dead).await;
    assert!(row.errors.0[0].error.contains("do not decode"), "{:?}", row.errors);
    tokio::time::sleep(ms(300)).await;
    assert_eq!(discards.load(Ordering::SeqCst), 1);
    assert_eq!(cancels.load(Ordering::SeqCst), 1);
    assert_eq!(typed_calls.load(Ordering::SeqCst), 1, "undecodable arguments never reach the handler");
    h.shutdown().await;
    t.drop_schema().await;
}

async fn snooze_reschedules_without_counting_an_attempt(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let mut reg = Registry::new();
    // "long": snooze to the time given in the arguments, then (after an admin retry) Done.
    let long_calls = Arc::new(AtomicUsize::new(0));
    let lc = long_calls.clone();
    reg.register_raw("long", move |ctx| {
        let lc = lc.clone();
        async move {
            if lc.fetch_add(1, Ordering::SeqCst) == 0 {
                let until: DateTime<Utc> = serde_json::from_value(ctx.job.args.0["until"].clone()).unwrap();
                Outcome::Snooze(until)
            } else {
                Outcome::Done
            }
        }
    });
    // "short": three short snoozes, one failure, then Done; max_attempts 2 would be spent
    // long before if snoozes counted.
    let (short_calls, spec) = counting(&mut reg, "short", |n, _| match n {
        1..=3 => Outcome::Snooze(Utc::now() + chrono::Duration::milliseconds(100)),
        4 => Outcome::Retry("one real failure".into()),
        _ => Outcome::Done,
    });
    spec.backoff(Backoff::Schedule(vec![ms(100)]));
    let h = worker(db, reg, &[("default", 2)]).start();

    let until = Utc::now() + chrono::Duration::hours(1);
    let long = enqueue(db, &NewJob::raw("long", json!({ "until": until })).max_attempts(1)).await;
    let row = wait_state(db, long.id, JobState::Scheduled).await;
    assert!(close_to(row.run_at, until, ms(1)), "{} vs {until}", row.run_at);
    assert_eq!(row.attempt, 0, "a snooze is not an attempt");
    assert!(row.errors.0.is_empty() && row.finished_at.is_none() && row.lease_owner.is_none());

    let short = enqueue(db, &NewJob::raw("short", json!({})).max_attempts(2)).await;
    let row = wait_state(db, short.id, JobState::Completed).await;
    assert_eq!(short_calls.load(Ordering::SeqCst), 5);
    assert_eq!(row.attempt, 2, "three snoozes, one failure, one success");
    assert_eq!(
        row.errors.0.iter().map(|e| (e.attempt, e.error.as_str())).collect::<Vec<_>>(),
        vec![(1, "one real failure")]
    );

    // Still snoozed an hour out: run it now by hand; its single attempt is still unspent.
    assert_eq!(must_get(db, long.id).await.state, JobState::Scheduled);
    let mut tx = db.begin().await.unwrap();
    assert!(ops::retry(tx.conn(), long.id, Utc::now()).await.unwrap());
    tx.commit().await.unwrap();
    db.job_wakeup().notify_waiters();
    let row = wait_state(db, long.id, JobState::Completed).await;
    assert_eq!((row.attempt, row.max_attempts), (1, 1));
    assert_eq!(long_calls.load(Ordering::SeqCst), 2);
    h.shutdown().await;
    t.drop_schema().await;
}

async fn panics_are_failed_attempts(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let mut reg = Registry::new();
    reg.register_raw("panics", |ctx| async move {
        if ctx.job.attempt >= 1 {
            panic!("boom in job {}", ctx.job.id);
        }
        Outcome::Done
    })
    .backoff(Backoff::Schedule(vec![Duration::from_secs(60)]));
    reg.register_raw("panics-once", |ctx| async move {
        if ctx.job.attempt == 1 {
            panic!("static boom");
        }
        Outcome::Done
    })
    .backoff(Backoff::Schedule(vec![ms(100)]));
    let (ok_calls, _) = counting(&mut reg, "ok", |_, _| Outcome::Done);
    let h = worker(db, reg, &[("default", 1)]).start();

    let p = enqueue(db, &NewJob::raw("panics", json!({}))).await;
    let row = wait_state(db, p.id, JobState::Retryable).await;
    assert_eq!(row.attempt, 1);
    assert_eq!(row.errors.0.len(), 1);
    assert!(row.errors.0[0].error.contains(&format!("boom in job {}", p.id)), "{:?}", row.errors);
    assert!(row.run_at > Utc::now() + chrono::Duration::seconds(50), "backoff applies");
    assert!(row.lease_owner.is_none());

    let once = enqueue(db, &NewJob::raw("panics-once", json!({}))).await;
    let row = wait_state(db, once.id, JobState::Completed).await;
    assert_eq!(row.attempt, 2);
    assert!(row.errors.0[0].error.contains("static boom"), "{:?}", row.errors);

    // The worker survived both panics (its only slot is free again).
    let ok = enqueue(db, &NewJob::raw("ok", json!({}))).await;
    wait_state(db, ok.id, JobState::Completed).await;
    assert_eq!(ok_calls.load(Ordering::SeqCst), 1);
    h.shutdown().await;
    t.drop_schema().await;
}

async fn timeouts_fail_the_attempt(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let mut reg = Registry::new();
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    reg.register_raw("slow", move |_ctx| {
        let f = f.clone();
        async move {
            tokio::time::sleep(ms(700)).await;
            f.store(true, Ordering::SeqCst);
            Outcome::Done
        }
    })
    .timeout(ms(200))
    .backoff(Backoff::Schedule(vec![Duration::from_secs(60)]));
    // The kind allows 30 s, but the job's own timeout wins.
    reg.register_raw("patient", |_ctx| async move {
        tokio::time::sleep(Duration::from_secs(20)).await;
        Outcome::Done
    })
    .timeout(Duration::from_secs(30))
    .backoff(Backoff::Schedule(vec![Duration::from_secs(60)]));
    // Within its timeout: completes.
    reg.register_raw("quick", |_ctx| async move {
        tokio::time::sleep(ms(50)).await;
        Outcome::Done
    })
    .timeout(Duration::from_secs(5));
    let h = worker(db, reg, &[("default", 4)]).start();

    let started = Instant::now();
    let slow = enqueue(db, &NewJob::raw("slow", json!({}))).await;
    let patient = enqueue(db, &NewJob::raw("patient", json!({})).timeout(ms(150))).await;
    let quick = enqueue(db, &NewJob::raw("quick", json!({}))).await;
    let row = wait_state(db, slow.id, JobState::Retryable).await;
    assert_eq!(row.attempt, 1);
    assert!(row.errors.0[0].error.contains("timed out"), "{:?}", row.errors);
    let row = wait_state(db, patient.id, JobState::Retryable).await;
    assert!(row.errors.0[0].error.contains("timed out"), "{:?}", row.errors);
    assert!(started.elapsed() < Duration::from_secs(5), "the job's 150 ms timeout applied, not the kind's 30 s");
    wait_state(db, quick.id, JobState::Completed).await;
    // The timed-out handler was stopped, not left running in the background.
    tokio::time::sleep(ms(900)).await;
    assert!(!finished.load(Ordering::SeqCst), "a timed-out handler is aborted");
    assert_eq!(must_get(db, slow.id).await.state, JobState::Retryable);
    h.shutdown().await;
    t.drop_schema().await;
}

/// The publishing schedule (30 s, 2 min, 10 min, 30 min, 1 h, then dead), run on a clock
/// the test moves forward.
async fn publish_backoff_schedule_then_dead(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let clock = FakeClock::default();
    let mut reg = Registry::new();
    let (calls, spec) = counting(&mut reg, "publish", |_, _| Outcome::Retry("platform unavailable".into()));
    spec.backoff(Backoff::publish());
    let h = worker_with(db, reg, config(&[("default", 1)]), clock.now_fn()).start();
    let e = enqueue(db, &NewJob::raw("publish", json!({})).max_attempts(6)).await;
    for (i, wait) in [30u64, 120, 600, 1800, 3600].into_iter().enumerate() {
        let attempt = i as i32 + 1;
        let row =
            wait_job(db, e.id, "retryable after attempt", |r| r.state == JobState::Retryable && r.attempt == attempt)
                .await;
        let last = row.errors.0.last().unwrap();
        assert_eq!(last.attempt, attempt);
        let delay = row.run_at - last.at;
        assert!(
            (delay - chrono::Duration::seconds(wait as i64)).abs() < chrono::Duration::seconds(1),
            "attempt {attempt}: waited {delay} instead of {wait}s"
        );
        clock.advance(Duration::from_secs(wait + 1));
        db.job_wakeup().notify_waiters();
    }
    let row = wait_state(db, e.id, JobState::Dead).await;
    assert_eq!(row.attempt, 6);
    assert_eq!(row.errors.0.iter().map(|e| e.attempt).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(calls.load(Ordering::SeqCst), 6);
    h.shutdown().await;
    t.drop_schema().await;
}

on_both_backends!(
    done_completes_and_unknown_kinds_retry,
    retry_backs_off_and_records_errors,
    discard_and_cancel_finish_at_once,
    snooze_reschedules_without_counting_an_attempt,
    panics_are_failed_attempts,
    timeouts_fail_the_attempt,
    publish_backoff_schedule_then_dead,
);
