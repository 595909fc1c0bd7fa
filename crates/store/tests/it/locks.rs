//! Row locks taken for the rest of a transaction, which differ per backend: `FOR UPDATE` on
//! PostgreSQL, nothing on SQLite, whose one writer already serializes. On both, a second
//! transaction taking the same lock goes on only after the first has ended, and plain reads
//! never wait for it.

use crate::support::*;
use sellcast_store::{orgs, posts, Conn, Db};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// One of the store's locking reads.
#[derive(Clone, Debug)]
enum Lock {
    /// `posts::by_ids(…, lock = true)`
    Posts(Vec<String>),
    /// `posts::post_for_update`
    Post(String),
    /// `posts::variant_for_update`
    Variant(String),
    /// `orgs::lock`
    Org(String),
}

async fn take(c: Conn<'_>, lock: &Lock) {
    match lock {
        Lock::Posts(ids) => assert_eq!(posts::by_ids(c, ids, true).await.unwrap().len(), ids.len()),
        Lock::Post(id) => assert!(posts::post_for_update(c, id).await.unwrap().is_some()),
        Lock::Variant(id) => assert!(posts::variant_for_update(c, id).await.unwrap().is_some()),
        Lock::Org(id) => orgs::lock(c, id).await.unwrap(),
    }
}

/// Start a transaction that takes `lock`; it answers whether `released` was already set when
/// it got the lock.
fn second_taker(db: &Db, lock: &Lock, released: &Arc<AtomicBool>) -> tokio::task::JoinHandle<bool> {
    let (db, lock, released) = (db.clone(), lock.clone(), released.clone());
    tokio::spawn(async move {
        let mut tx = db.begin().await.unwrap();
        take(tx.conn(), &lock).await;
        let after_release = released.load(Ordering::SeqCst);
        tx.commit().await.unwrap();
        after_release
    })
}

async fn a_lock_holds_until_its_transaction_ends(db: &Db, lock: &Lock, plain_read: &[String]) {
    let mut first = db.begin().await.unwrap();
    take(first.conn(), lock).await;
    let released = Arc::new(AtomicBool::new(false));
    let second = second_taker(db, lock, &released);
    // A plain read of the same rows does not wait for the lock.
    let mut c = db.read().await.unwrap();
    let read = tokio::time::timeout(WAIT, posts::by_ids(c.conn(), plain_read, false)).await;
    assert_eq!(read.expect("a plain read waited for a lock").unwrap().len(), plain_read.len());
    drop(c);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "{lock:?} was taken twice at once");
    released.store(true, Ordering::SeqCst);
    first.commit().await.unwrap();
    let after_release = tokio::time::timeout(WAIT, second).await.expect("the second lock was never granted").unwrap();
    assert!(after_release, "{lock:?} was granted before the first transaction ended");
}

async fn locking_reads_hold_their_rows_until_commit(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let org = org(db).await;
    let ch = channels(db, &org.id, 1).await;
    let (p0, v0) = post_to(db, &org.id, &ch).await;
    let (p1, _) = post_to(db, &org.id, &ch).await;
    let both = vec![p1.id.clone(), p0.id.clone()];
    for lock in [
        Lock::Posts(both.clone()),
        Lock::Post(p0.id.clone()),
        Lock::Variant(v0[0].id.clone()),
        Lock::Org(org.id.clone()),
    ] {
        a_lock_holds_until_its_transaction_ends(db, &lock, &both).await;
    }

    if b == Backend::Postgres {
        // Row locks, not a table lock: another post's lock is granted while the first is held.
        // (On SQLite the second transaction waits for the one writer whatever it touches.)
        let mut first = db.begin().await.unwrap();
        take(first.conn(), &Lock::Posts(vec![p0.id.clone()])).await;
        let released = Arc::new(AtomicBool::new(false));
        let other = second_taker(db, &Lock::Posts(vec![p1.id.clone()]), &released);
        let after_release = tokio::time::timeout(WAIT, other).await.expect("another post's lock waited").unwrap();
        assert!(!after_release);
        first.commit().await.unwrap();
    }
    t.drop_schema().await;
}

on_both_backends!(locking_reads_hold_their_rows_until_commit);
