//! The queue's claim, completion, failure, heartbeat and release statements called directly,
//! without a worker, on both backends: what each promises row by row (due time, priority
//! order, queue scoping, the claim limit, one claimer per job, only the lease holder settles).

use crate::helpers::*;
use crate::support::*;
use chrono::{DateTime, SubsecRound, Utc};
use sellcast_queue::job::JobError;
use sellcast_queue::ops::{self, Transition};
use sellcast_queue::{JobRow, JobState, NewJob};
use sellcast_store::Db;
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

/// Now to the microsecond (what PostgreSQL keeps), so a time compares equal once stored.
fn now_us() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Enqueue these jobs in one committed transaction as if it were `now`; their ids.
async fn enqueue_at(db: &Db, jobs: &[NewJob], now: DateTime<Utc>) -> Vec<i64> {
    let mut tx = db.begin().await.unwrap();
    let mut ids = Vec::new();
    for job in jobs {
        ids.push(ops::enqueue(tx.conn(), job, now).await.unwrap().id);
    }
    tx.commit().await.unwrap();
    ids
}

/// Claim up to `limit` jobs of `queue` for `owner` at `now` (a 60 s lease), in its own transaction.
async fn claim_n(db: &Db, queue: &str, limit: i64, owner: &str, now: DateTime<Utc>) -> Vec<JobRow> {
    let mut tx = db.begin().await.unwrap();
    let rows = ops::claim(tx.conn(), queue, limit, owner, now, now + secs(60)).await.unwrap();
    tx.commit().await.unwrap();
    rows
}

fn ids(rows: &[JobRow]) -> Vec<i64> {
    rows.iter().map(|j| j.id).collect()
}

async fn claims_follow_priority_then_run_at_and_stop_at_the_limit(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let now = now_us();
    let job = |p: i16, at: DateTime<Utc>| NewJob::raw("k", json!({})).queue("pq").priority(p).run_at(at);
    let ids_ = enqueue_at(
        db,
        &[
            job(2, now - secs(10)),                          // 0: least urgent, longest waiting
            job(0, now - secs(1)),                           // 1
            job(0, now - secs(5)),                           // 2
            job(1, now),                                     // 3: due exactly now
            job(0, now + chrono::Duration::milliseconds(1)), // 4: not due yet
            job(0, now - secs(5)),                           // 5: same time as 2, inserted later
        ],
        now,
    )
    .await;
    assert_eq!(must_get(db, ids_[4]).await.state, JobState::Scheduled);

    assert!(claim_n(db, "pq", 0, "w0", now).await.is_empty(), "a zero limit claims nothing");
    // The limit holds across priorities: the most urgent priority is used up first.
    let first = claim_n(db, "pq", 4, "w1", now).await;
    assert_eq!(ids(&first), vec![ids_[2], ids_[5], ids_[1], ids_[3]], "priority, then run_at, then id");
    let rest = claim_n(db, "pq", 10, "w2", now).await;
    assert_eq!(ids(&rest), vec![ids_[0]], "the job due later stays");
    assert_eq!(must_get(db, ids_[4]).await.state, JobState::Scheduled);

    // A scheduled job is claimable from its run_at on, with nothing moving its state first.
    let due = now + chrono::Duration::milliseconds(1);
    let mut c = db.read().await.unwrap();
    assert_eq!(ops::next_run_at(c.conn(), "pq").await.unwrap(), Some(due));
    drop(c);
    assert_eq!(ids(&claim_n(db, "pq", 10, "w3", due).await), vec![ids_[4]]);
    let mut c = db.read().await.unwrap();
    assert_eq!(ops::next_run_at(c.conn(), "pq").await.unwrap(), None, "nothing waits");
    drop(c);
    t.drop_schema().await;
}

async fn claims_and_due_times_are_scoped_to_their_queue(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let now = now_us();
    let ids_ = enqueue_at(
        db,
        &[
            NewJob::raw("k", json!({})).queue("mine").priority(5).run_at(now - secs(1)),
            NewJob::raw("k", json!({})).queue("mine").priority(5).run_at(now + secs(30)),
            // More urgent and older, but another queue's: they neither fill the limit nor shadow.
            NewJob::raw("k", json!({})).queue("theirs").priority(0).run_at(now - secs(60)),
            NewJob::raw("k", json!({})).queue("theirs").priority(0).run_at(now + secs(10)),
        ],
        now,
    )
    .await;
    let mut c = db.read().await.unwrap();
    assert_eq!(ops::next_run_at(c.conn(), "mine").await.unwrap(), Some(now - secs(1)));
    assert_eq!(ops::next_run_at(c.conn(), "nobody").await.unwrap(), None);
    drop(c);
    assert_eq!(ids(&claim_n(db, "mine", 1, "w", now).await), vec![ids_[0]]);
    let mut c = db.read().await.unwrap();
    assert_eq!(ops::next_run_at(c.conn(), "mine").await.unwrap(), Some(now + secs(30)), "not the other queue's");
    drop(c);
    assert_eq!(must_get(db, ids_[2]).await.state, JobState::Available);
    t.drop_schema().await;
}

async fn a_failed_attempt_is_claimed_again_at_its_run_at(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let now = now_us();
    let id = enqueue_at(db, &[NewJob::raw("k", json!({})).queue("rq")], now).await[0];
    assert_eq!(ids(&claim_n(db, "rq", 1, "w1", now).await), vec![id]);
    let retry_at = now + secs(30);
    let errors = vec![JobError { attempt: 1, at: now, error: "boom".into() }];
    let fail =
        Transition { state: JobState::Retryable, run_at: retry_at, attempt: 1, errors: &errors, finished_at: None };
    let mut tx = db.begin().await.unwrap();
    assert!(ops::transition(tx.conn(), id, "w1", &fail).await.unwrap());
    tx.commit().await.unwrap();
    let row = must_get(db, id).await;
    assert_eq!((row.state, row.lease_owner.as_deref(), row.errors.0.len()), (JobState::Retryable, None, 1));

    assert!(claim_n(db, "rq", 1, "w2", retry_at - chrono::Duration::milliseconds(1)).await.is_empty());
    let again = claim_n(db, "rq", 1, "w2", retry_at).await;
    assert_eq!(again.iter().map(|j| (j.id, j.attempt)).collect::<Vec<_>>(), vec![(id, 2)]);
    // Out of attempts: the holder writes it dead, and no claim takes a dead job.
    let dead = Transition {
        state: JobState::Dead,
        run_at: retry_at,
        attempt: 2,
        errors: &errors,
        finished_at: Some(retry_at),
    };
    let mut tx = db.begin().await.unwrap();
    assert!(ops::transition(tx.conn(), id, "w2", &dead).await.unwrap());
    tx.commit().await.unwrap();
    assert!(claim_n(db, "rq", 1, "w3", retry_at + secs(3600)).await.is_empty());
    assert_eq!(must_get(db, id).await.state, JobState::Dead);
    t.drop_schema().await;
}

/// A claim inside a transaction that is still open, and a second claimer beside it.
async fn a_second_claimer_skips_or_waits_for_an_open_claim(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let now = now_us();
    let all =
        enqueue_at(db, &(0..6).map(|i| NewJob::raw("k", json!({ "i": i })).queue("cc")).collect::<Vec<_>>(), now).await;
    let mut first = db.begin().await.unwrap();
    let a = ops::claim(first.conn(), "cc", 3, "a", now, now + secs(60)).await.unwrap();
    let committed = Arc::new(AtomicBool::new(false));
    let second = {
        let (db, committed) = (db.clone(), committed.clone());
        tokio::spawn(async move {
            let rows = claim_n(&db, "cc", 10, "b", now).await;
            (rows, committed.load(Ordering::SeqCst))
        })
    };
    if b == Backend::Postgres {
        // FOR UPDATE SKIP LOCKED: the rows the open claim holds are passed over, not waited for.
        let (rows, after_commit) = tokio::time::timeout(WAIT, second).await.expect("the second claim waited").unwrap();
        assert!(!after_commit);
        assert_eq!(ids(&rows), all[3..].to_vec(), "only the rows nobody holds");
        committed.store(true, Ordering::SeqCst);
        first.commit().await.unwrap();
    } else {
        // SQLite's one writer: the second claim runs once the first has committed.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!second.is_finished(), "the second claim waits for the writer");
        committed.store(true, Ordering::SeqCst);
        first.commit().await.unwrap();
        let (rows, after_commit) = tokio::time::timeout(WAIT, second).await.expect("the second claim ran").unwrap();
        assert!(after_commit);
        assert_eq!(ids(&rows), all[3..].to_vec(), "the first claim's jobs were already running");
    }
    assert_eq!(ids(&a), all[..3].to_vec());
    t.drop_schema().await;
}

async fn concurrent_claimers_never_share_a_job(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let now = now_us();
    let jobs: Vec<NewJob> = (0..300).map(|i| NewJob::raw("k", json!({ "i": i })).queue("race")).collect();
    let mut tx = db.begin().await.unwrap();
    ops::enqueue_many(tx.conn(), &jobs, now).await.unwrap();
    tx.commit().await.unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(6));
    let claimers: Vec<_> = (0..6)
        .map(|w| {
            let (db, barrier) = (db.clone(), barrier.clone());
            tokio::spawn(async move {
                let owner = format!("w{w}");
                barrier.wait().await;
                let mut got = Vec::new();
                loop {
                    let rows = claim_n(&db, "race", 7, &owner, now).await;
                    if rows.is_empty() {
                        return got;
                    }
                    got.extend(rows.into_iter().map(|r| (r.id, owner.clone())));
                }
            })
        })
        .collect();
    let mut holder: HashMap<i64, String> = HashMap::new();
    for c in claimers {
        for (id, owner) in c.await.unwrap() {
            assert!(holder.insert(id, owner).is_none(), "job {id} was claimed twice");
        }
    }
    assert_eq!(holder.len(), 300, "every job was claimed");
    for (id, owner) in holder.iter().take(20) {
        let row = must_get(db, *id).await;
        assert_eq!((row.attempt, row.lease_owner.as_deref()), (1, Some(owner.as_str())));
    }
    t.drop_schema().await;
}

async fn completions_apply_per_pair_only_for_the_lease_holder(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let now = now_us();
    let all = enqueue_at(db, &(0..4).map(|_| NewJob::raw("k", json!({})).queue("cq")).collect::<Vec<_>>(), now).await;
    claim_n(db, "cq", 2, "a", now).await;
    claim_n(db, "cq", 1, "b", now).await;
    let (a1, a2, b1, waiting) = (all[0], all[1], all[2], all[3]);

    let pairs = vec![(a1, "a".to_string()), (a2, "b".to_string()), (b1, "b".to_string()), (waiting, "a".to_string())];
    let mut tx = db.begin().await.unwrap();
    assert_eq!(ops::complete_pairs(tx.conn(), &pairs, now).await.unwrap(), 2, "a1 by a and b1 by b");
    tx.commit().await.unwrap();
    for id in [a1, b1] {
        let row = must_get(db, id).await;
        assert_eq!(row.state, JobState::Completed);
        assert_eq!((row.lease_owner, row.lease_expires_at, row.finished_at), (None, None, Some(now)));
    }
    let a2_row = must_get(db, a2).await;
    assert_eq!((a2_row.state, a2_row.lease_owner.as_deref()), (JobState::Running, Some("a")), "b never held a2");
    assert_eq!(must_get(db, waiting).await.state, JobState::Available, "an unclaimed job is not completed");
    assert_eq!(complete_as(db, "a", &[a1]).await, 0, "a finished job is not completed twice");
    t.drop_schema().await;
}

/// Past 1,000 pairs or owners the statements are split; every chunk keeps the same condition.
async fn completions_and_heartbeats_span_their_chunks(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let now = now_us();
    let jobs: Vec<NewJob> = (0..1001).map(|_| NewJob::raw("k", json!({})).queue("big")).collect();
    let mut tx = db.begin().await.unwrap();
    ops::enqueue_many(tx.conn(), &jobs, now).await.unwrap();
    tx.commit().await.unwrap();
    let claimed = claim_n(db, "big", 1001, "bulk", now).await;
    assert_eq!(claimed.len(), 1001);

    // The one real owner is the 1,001st: it sits in the second chunk.
    let mut owners: Vec<String> = (0..1000).map(|i| format!("nobody-{i}")).collect();
    owners.push("bulk".into());
    let until = now + secs(600);
    let mut tx = db.begin().await.unwrap();
    assert_eq!(ops::heartbeat_all(tx.conn(), &owners, until).await.unwrap(), 1001);
    tx.commit().await.unwrap();
    assert_eq!(must_get(db, claimed[1000].id).await.lease_expires_at, Some(until));

    let mut pairs: Vec<(i64, String)> = claimed.iter().map(|j| (j.id, "bulk".to_string())).collect();
    pairs.insert(500, (claimed[0].id, "nobody".into()));
    let mut tx = db.begin().await.unwrap();
    assert_eq!(ops::complete_pairs(tx.conn(), &pairs, now).await.unwrap(), 1001);
    tx.commit().await.unwrap();
    let mut c = db.read().await.unwrap();
    let counts = ops::counts(c.conn()).await.unwrap();
    assert_eq!(counts, vec![("big".to_string(), "completed".to_string(), 1001)]);
    drop(c);
    t.drop_schema().await;
}

async fn heartbeats_extend_only_the_holders_running_jobs(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let now = now_us();
    let all = enqueue_at(db, &(0..4).map(|_| NewJob::raw("k", json!({})).queue("hq")).collect::<Vec<_>>(), now).await;
    claim_n(db, "hq", 2, "a", now).await;
    claim_n(db, "hq", 1, "b", now).await;
    claim_n(db, "hq", 1, "c", now).await;
    let (finishing, a2, b1, c1) = (all[0], all[1], all[2], all[3]);
    let lease = now + secs(60);

    // a's first job is being completed in a transaction still open when the heartbeat comes.
    let mut completing = db.begin().await.unwrap();
    assert_eq!(ops::complete_many(completing.conn(), "a", &[finishing], now).await.unwrap(), 1);
    let until = now + secs(300);
    let owners = vec!["a".to_string(), "b".to_string()];
    let beat = {
        let (db, owners) = (db.clone(), owners.clone());
        tokio::spawn(async move {
            let mut tx = db.begin().await.unwrap();
            let n = ops::heartbeat_all(tx.conn(), &owners, until).await.unwrap();
            tx.commit().await.unwrap();
            n
        })
    };
    let extended = if b == Backend::Postgres {
        // SKIP LOCKED: the heartbeat passes over the row being completed instead of waiting.
        let n = tokio::time::timeout(WAIT, beat).await.expect("the heartbeat waited for the completion").unwrap();
        completing.commit().await.unwrap();
        n
    } else {
        // SQLite's one writer: the heartbeat runs after the completion, which took the job.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!beat.is_finished(), "the heartbeat waits for the writer");
        completing.commit().await.unwrap();
        tokio::time::timeout(WAIT, beat).await.expect("the heartbeat ran").unwrap()
    };
    assert_eq!(extended, 2, "a2 and b1; not the job being completed");
    for id in [a2, b1] {
        assert_eq!(must_get(db, id).await.lease_expires_at, Some(until));
    }
    assert_eq!(must_get(db, c1).await.lease_expires_at, Some(lease), "c was not named");
    let done = must_get(db, finishing).await;
    assert_eq!((done.state, done.lease_expires_at), (JobState::Completed, None));

    let mut tx = db.begin().await.unwrap();
    assert_eq!(ops::heartbeat(tx.conn(), "c", until).await.unwrap(), 1);
    assert_eq!(ops::heartbeat(tx.conn(), "gone", until).await.unwrap(), 0);
    tx.commit().await.unwrap();
    assert_eq!(must_get(db, c1).await.lease_expires_at, Some(until));
    t.drop_schema().await;
}

async fn release_gives_back_only_the_owners_jobs(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let now = now_us();
    let all = enqueue_at(db, &(0..3).map(|_| NewJob::raw("k", json!({})).queue("lq")).collect::<Vec<_>>(), now).await;
    claim_n(db, "lq", 2, "a", now).await;
    claim_n(db, "lq", 1, "b", now).await;
    let later = now + secs(5);
    let mut tx = db.begin().await.unwrap();
    assert_eq!(ops::release(tx.conn(), "a", later).await.unwrap(), 2);
    tx.commit().await.unwrap();
    for id in &all[..2] {
        let row = must_get(db, *id).await;
        assert_eq!(row.state, JobState::Available);
        assert_eq!((row.attempt, row.run_at, row.lease_owner), (0, later, None), "the attempt is not counted");
    }
    let b_row = must_get(db, all[2]).await;
    assert_eq!((b_row.state, b_row.lease_owner.as_deref()), (JobState::Running, Some("b")));
    assert_eq!(ids(&claim_n(db, "lq", 10, "c", later).await), all[..2].to_vec(), "released jobs are claimable");
    t.drop_schema().await;
}

on_both_backends!(
    claims_follow_priority_then_run_at_and_stop_at_the_limit,
    claims_and_due_times_are_scoped_to_their_queue,
    a_failed_attempt_is_claimed_again_at_its_run_at,
    a_second_claimer_skips_or_waits_for_an_open_claim,
    concurrent_claimers_never_share_a_job,
    completions_apply_per_pair_only_for_the_lease_holder,
    completions_and_heartbeats_span_their_chunks,
    heartbeats_extend_only_the_holders_running_jobs,
    release_gives_back_only_the_owners_jobs,
);
