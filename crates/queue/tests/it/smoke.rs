use crate::support::*;
use sellcast_queue::{ops, NewJob, Outcome, Registry};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

async fn jobs_run_once(b: Backend) {
    let t = TestDb::new(b).await;
    let count = Arc::new(AtomicUsize::new(0));
    let mut reg = Registry::new();
    let c = count.clone();
    reg.register_raw("noop", move |_ctx| {
        let c = c.clone();
        async move {
            c.fetch_add(1, Ordering::SeqCst);
            Outcome::Done
        }
    });
    let handle = worker(&t.db, reg, &[("default", 10)]).start();
    let jobs: Vec<NewJob> = (0..500).map(|i| NewJob::raw("noop", json!({"i": i}))).collect();
    let mut tx = t.db.begin().await.unwrap();
    ops::enqueue_many(tx.conn(), &jobs, chrono::Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
    t.db.job_wakeup().notify_waiters();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let mut c = t.db.read().await.unwrap();
        let counts = ops::counts(c.conn()).await.unwrap();
        drop(c);
        if counts.iter().any(|(_, s, n)| s == "completed" && *n == 500) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{counts:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    handle.shutdown().await;
    assert_eq!(count.load(Ordering::SeqCst), 500);
    t.drop_schema().await;
}

on_both_backends!(jobs_run_once);
