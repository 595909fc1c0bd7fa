//! Enqueue semantics: transactional insert, CHECK constraints, unique keys (also under
//! concurrent inserts), what a claim writes, and the admin listing.

use crate::helpers::*;
use crate::support::*;
use chrono::{DateTime, Utc};
use sellcast_queue::job::JobError;
use sellcast_queue::ops::{self, JobFilter, Transition};
use sellcast_queue::{JobState, NewJob, QueueError};
use sellcast_store::{on, Db};
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

async fn enqueue_is_transactional(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;

    // Rolled back (the Tx dropped without commit): the job never existed, its key is free.
    let mut tx = db.begin().await.unwrap();
    let e =
        ops::enqueue(tx.conn(), &NewJob::raw("k", json!({"n": 1})).unique_key("order-1"), Utc::now()).await.unwrap();
    assert!(e.inserted);
    assert!(ops::get(tx.conn(), e.id).await.unwrap().is_some(), "visible inside its own transaction");
    assert!(get(db, e.id).await.is_none(), "invisible to others before commit");
    drop(tx);
    assert!(get(db, e.id).await.is_none(), "gone after rollback");
    assert_eq!(count_jobs(db).await, 0);

    // Committed: available, with every field as given.
    let now = Utc::now();
    let job = NewJob::raw("k", json!({"n": 2}))
        .unique_key("order-1")
        .queue("q1")
        .priority(3)
        .max_attempts(4)
        .tags(&["a", "b"])
        .meta(json!({"m": 1}))
        .timeout(Duration::from_millis(1500));
    let mut tx = db.begin().await.unwrap();
    let e = ops::enqueue(tx.conn(), &job, now).await.unwrap();
    assert!(e.inserted, "a rolled-back job does not hold its unique key");
    assert!(get(db, e.id).await.is_none(), "invisible before commit");
    tx.commit().await.unwrap();
    let row = must_get(db, e.id).await;
    assert_eq!(row.state, JobState::Available);
    assert_eq!((row.kind.as_str(), row.queue.as_str(), row.priority), ("k", "q1", 3));
    assert_eq!((row.attempt, row.max_attempts), (0, 4));
    assert_eq!(row.args.0, json!({"n": 2}));
    assert_eq!(row.tags.0, vec!["a".to_string(), "b".to_string()]);
    assert_eq!(row.meta.0, json!({"m": 1}));
    assert_eq!(row.unique_key.as_deref(), Some("order-1"));
    assert_eq!(row.timeout_ms, Some(1500));
    assert!(row.errors.0.is_empty());
    assert!(row.lease_owner.is_none() && row.lease_expires_at.is_none());
    assert!(row.attempted_at.is_none() && row.finished_at.is_none());
    assert!(close_to(row.run_at, now, Duration::from_millis(1)), "{} vs {now}", row.run_at);

    // run_at in the future: scheduled; in the past: available.
    let at = now + secs(3600);
    let s = enqueue(db, &NewJob::raw("k", json!({})).run_at(at)).await;
    let row = must_get(db, s.id).await;
    assert_eq!(row.state, JobState::Scheduled);
    assert!(close_to(row.run_at, at, Duration::from_millis(1)));
    let p = enqueue(db, &NewJob::raw("k", json!({})).run_at(now - secs(60))).await;
    assert_eq!(must_get(db, p.id).await.state, JobState::Available);

    // Invalid jobs are refused before touching the database.
    let mut tx = db.begin().await.unwrap();
    for bad in
        [NewJob::raw("k", json!({})).max_attempts(0), NewJob::raw("", json!({})), NewJob::raw("k", json!({})).queue("")]
    {
        assert!(matches!(ops::enqueue(tx.conn(), &bad, now).await, Err(QueueError::Invalid(_))));
    }
    drop(tx);
    assert_eq!(count_jobs(db).await, 3);
    t.drop_schema().await;
}

/// Insert a row by hand, bypassing the queue code, to exercise the table's constraints.
async fn raw_insert(
    db: &Db,
    state: &str,
    attempt: i32,
    max_attempts: i32,
    owner: Option<&str>,
) -> Result<u64, sqlx::Error> {
    let sql = "INSERT INTO jobs (kind, queue, args, priority, state, run_at, attempt, max_attempts, errors, tags, meta,
               created_at, lease_owner) VALUES ('k', 'q', '{}', 0, $1, $2, $3, $4, '[]', '[]', '{}', $2, $5)";
    let mut tx = db.begin().await.unwrap();
    let now: DateTime<Utc> = Utc::now();
    let n = on!(tx.conn(), c => sqlx::query(sql).bind(state).bind(now).bind(attempt).bind(max_attempts).bind(owner)
        .execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await.unwrap();
    Ok(n)
}

async fn check_constraints_guard_states(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    assert_eq!(raw_insert(db, "available", 0, 1, None).await.unwrap(), 1, "the template itself is valid");
    assert_eq!(raw_insert(db, "running", 1, 1, Some("w")).await.unwrap(), 1);
    for state in JobState::ALL.iter().copied() {
        let owner = (state == JobState::Running).then_some("w");
        assert!(raw_insert(db, state.as_str(), 0, 1, owner).await.is_ok(), "{state:?} is allowed");
    }
    assert!(raw_insert(db, "bogus", 0, 1, None).await.is_err(), "unknown state");
    assert!(raw_insert(db, "running", 1, 1, None).await.is_err(), "running without a lease");
    assert!(raw_insert(db, "available", 0, 1, Some("w")).await.is_err(), "a lease outside running");
    assert!(raw_insert(db, "available", -1, 1, None).await.is_err(), "negative attempt");
    assert!(raw_insert(db, "available", 0, 0, None).await.is_err(), "max_attempts 0");
    assert_eq!(count_jobs(db).await, 2 + JobState::ALL.len() as i64);
    t.drop_schema().await;
}

async fn unique_key_under_concurrent_inserts(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(50));
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let db = db.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let mut tx = db.begin().await.unwrap();
                let job = NewJob::raw("uniq", json!({"i": i})).unique_key("order-42");
                let e = ops::enqueue(tx.conn(), &job, Utc::now()).await.unwrap();
                // Hold the transaction open a little so the others meet an uncommitted row.
                tokio::time::sleep(Duration::from_millis(5)).await;
                tx.commit().await.unwrap();
                (i, e)
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    let ids: HashSet<i64> = results.iter().map(|(_, e)| e.id).collect();
    assert_eq!(ids.len(), 1, "every caller gets the same job: {results:?}");
    let winners: Vec<i64> = results.iter().filter(|(_, e)| e.inserted).map(|(i, _)| *i).collect();
    assert_eq!(winners.len(), 1, "exactly one insert: {results:?}");
    assert_eq!(count_jobs(db).await, 1);
    let id = *ids.iter().next().unwrap();
    assert_eq!(must_get(db, id).await.args.0, json!({"i": winners[0]}), "the row is the winner's");

    // Once the holder is finished, the key is free again: a new job with a new id.
    let now = Utc::now();
    let claimed = claim_as(db, "default", "w", now, now + secs(60)).await;
    assert_eq!(claimed.len(), 1);
    let again = enqueue(db, &NewJob::raw("uniq", json!({})).unique_key("order-42")).await;
    assert_eq!(again, ops::Enqueued { id, inserted: false }, "a running job still holds the key");
    assert_eq!(complete_as(db, "w", &[id]).await, 1);
    let fresh = enqueue(db, &NewJob::raw("uniq", json!({})).unique_key("order-42")).await;
    assert!(fresh.inserted);
    assert_ne!(fresh.id, id);
    assert_eq!(count_jobs(db).await, 2);
    t.drop_schema().await;
}

async fn unique_key_waits_for_an_uncommitted_holder(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let job = NewJob::raw("uniq", json!({"who": "holder"})).unique_key("k1");
    let mut holder = db.begin().await.unwrap();
    let first = ops::enqueue(holder.conn(), &job, Utc::now()).await.unwrap();
    assert!(first.inserted);
    let contender = {
        let db = db.clone();
        let job = NewJob::raw("uniq", json!({"who": "contender"})).unique_key("k1");
        tokio::spawn(async move {
            let mut tx = db.begin().await.unwrap();
            let e = ops::enqueue(tx.conn(), &job, Utc::now()).await.unwrap();
            tx.commit().await.unwrap();
            e
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!contender.is_finished(), "the contender waits for the holder's transaction");
    drop(holder); // rolls back: the contender must insert its own job
    let second = tokio::time::timeout(WAIT, contender).await.expect("contender finished").unwrap();
    assert!(second.inserted, "the key was freed by the rollback");
    assert_eq!(count_jobs(db).await, 1);
    // (SQLite may hand the rolled-back id out again, so compare contents, not ids.)
    assert_eq!(must_get(db, second.id).await.args.0, json!({"who": "contender"}));
    t.drop_schema().await;
}

async fn unique_key_is_held_only_by_unfinished_jobs(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let now = Utc::now();
    let keyed = |k: &str| NewJob::raw("uniq", json!({})).unique_key(k).queue("uq");

    // scheduled holds; cancelled frees.
    let s = enqueue(db, &keyed("a").run_at(now + secs(3600))).await;
    assert_eq!(enqueue(db, &keyed("a")).await, ops::Enqueued { id: s.id, inserted: false });
    let mut tx = db.begin().await.unwrap();
    assert!(ops::cancel(tx.conn(), s.id, now).await.unwrap());
    tx.commit().await.unwrap();
    let a2 = enqueue(db, &keyed("a")).await;
    assert!(a2.inserted && a2.id != s.id);

    // available, then running, then retryable hold; dead frees.
    let r = enqueue(db, &keyed("b")).await;
    assert!(!enqueue(db, &keyed("b")).await.inserted, "available holds the key");
    let claimed = claim_as(db, "uq", "w", now + secs(1), now + secs(60)).await;
    assert!(claimed.iter().any(|j| j.id == r.id));
    assert!(!enqueue(db, &keyed("b")).await.inserted, "running holds the key");
    let errs = vec![JobError { attempt: 1, at: now, error: "x".into() }];
    let to = |state| Transition { state, run_at: now + secs(3600), attempt: 1, errors: &errs, finished_at: None };
    let mut tx = db.begin().await.unwrap();
    assert!(ops::transition(tx.conn(), r.id, "w", &to(JobState::Retryable)).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(enqueue(db, &keyed("b")).await, ops::Enqueued { id: r.id, inserted: false }, "retryable holds");
    let again = claim_as(db, "uq", "w2", now + secs(7200), now + secs(7300)).await;
    assert!(again.iter().any(|j| j.id == r.id));
    let dead = Transition { finished_at: Some(now), ..to(JobState::Dead) };
    let mut tx = db.begin().await.unwrap();
    assert!(ops::transition(tx.conn(), r.id, "w2", &dead).await.unwrap());
    tx.commit().await.unwrap();
    assert!(enqueue(db, &keyed("b")).await.inserted, "dead frees the key");

    // Jobs without a key never collide.
    let x = enqueue(db, &NewJob::raw("uniq", json!({}))).await;
    let y = enqueue(db, &NewJob::raw("uniq", json!({}))).await;
    assert!(x.inserted && y.inserted && x.id != y.id);
    t.drop_schema().await;
}

async fn claim_takes_a_lease(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let now = Utc::now();
    let due = enqueue(db, &NewJob::raw("k", json!({})).queue("cq")).await;
    let later = enqueue(db, &NewJob::raw("k", json!({})).queue("cq").run_at(now + secs(3600))).await;
    let other = enqueue(db, &NewJob::raw("k", json!({})).queue("elsewhere")).await;

    let claim_now = Utc::now();
    let lease_until = claim_now + secs(30);
    let got = claim_as(db, "cq", "owner-a", claim_now, lease_until).await;
    assert_eq!(got.iter().map(|j| j.id).collect::<Vec<_>>(), vec![due.id], "only due jobs of this queue");
    let row = must_get(db, due.id).await;
    assert_eq!(row.state, JobState::Running);
    assert_eq!(row.attempt, 1);
    assert_eq!(row.lease_owner.as_deref(), Some("owner-a"));
    assert!(close_to(row.lease_expires_at.unwrap(), lease_until, Duration::from_millis(1)));
    assert!(close_to(row.attempted_at.unwrap(), claim_now, Duration::from_millis(1)));
    assert!(
        claim_as(db, "cq", "owner-b", claim_now, lease_until).await.is_empty(),
        "a leased job is not claimed twice"
    );
    assert_eq!(must_get(db, later.id).await.state, JobState::Scheduled);
    assert_eq!(must_get(db, other.id).await.state, JobState::Available);
    t.drop_schema().await;
}

async fn admin_list_filters_and_pages(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let mut ids = Vec::new();
    for i in 0..12 {
        let kind = if i % 2 == 0 { "even" } else { "odd" };
        let queue = if i % 3 == 0 { "q3" } else { "qx" };
        ids.push(enqueue(db, &NewJob::raw(kind, json!({"i": i})).queue(queue)).await.id);
    }
    let mut tx = db.begin().await.unwrap();
    for id in [ids[0], ids[1], ids[6]] {
        assert!(ops::cancel(tx.conn(), id, Utc::now()).await.unwrap());
    }
    tx.commit().await.unwrap();
    let ids_of = |rows: Vec<sellcast_queue::JobRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let desc = |v: Vec<i64>| {
        let mut v = v;
        v.sort_unstable_by(|a, b| b.cmp(a));
        v
    };

    let all = ids_of(list(db, &JobFilter::default(), None, 100).await);
    assert_eq!(all, desc(ids.clone()), "newest first");
    let f = JobFilter { state: Some(JobState::Cancelled), ..Default::default() };
    assert_eq!(ids_of(list(db, &f, None, 100).await), desc(vec![ids[0], ids[1], ids[6]]));
    let f = JobFilter { kind: Some("odd".into()), ..Default::default() };
    assert_eq!(ids_of(list(db, &f, None, 100).await), desc(ids.iter().copied().skip(1).step_by(2).collect()));
    let f = JobFilter { queue: Some("q3".into()), ..Default::default() };
    assert_eq!(ids_of(list(db, &f, None, 100).await), desc(vec![ids[0], ids[3], ids[6], ids[9]]));
    let f = JobFilter { state: Some(JobState::Available), kind: Some("even".into()), queue: Some("q3".into()) };
    assert!(ids_of(list(db, &f, None, 100).await).is_empty(), "the even q3 jobs are cancelled");
    let f = JobFilter { state: Some(JobState::Cancelled), kind: Some("even".into()), queue: Some("q3".into()) };
    assert_eq!(ids_of(list(db, &f, None, 100).await), desc(vec![ids[0], ids[6]]));

    // Paging by id: pages of 5 cover everything once, in order.
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = ids_of(list(db, &JobFilter::default(), before, 5).await);
        assert!(page.len() <= 5);
        if page.is_empty() {
            break;
        }
        before = page.last().copied();
        seen.extend(page);
    }
    assert_eq!(seen, desc(ids.clone()));
    let f = JobFilter { kind: Some("odd".into()), ..Default::default() };
    let first = ids_of(list(db, &f, None, 2).await);
    let second = ids_of(list(db, &f, first.last().copied(), 2).await);
    assert_eq!(first, vec![ids[11], ids[9]]);
    assert_eq!(second, vec![ids[7], ids[5]]);
    t.drop_schema().await;
}

on_both_backends!(
    enqueue_is_transactional,
    check_constraints_guard_states,
    unique_key_under_concurrent_inserts,
    unique_key_waits_for_an_uncommitted_holder,
    unique_key_is_held_only_by_unfinished_jobs,
    claim_takes_a_lease,
    admin_list_filters_and_pages,
);
