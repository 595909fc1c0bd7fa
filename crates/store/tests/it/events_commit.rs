//! How subscribers learn of committed events, which differs per backend: SQLite's writer
//! notes an insert into `org_events` and announces it after the commit
//! (`Db::events_committed`); PostgreSQL sends one NOTIFY per event, delivered at commit. Only
//! committed events are announced, and a post's status and its `post:status` event commit or
//! roll back together.

use crate::support::*;
use sellcast_store::events::{self, NewEvent};
use sellcast_store::posts;
use sellcast_store::publishing::{self, PostStatusMark};
use serde_json::json;
use sqlx::postgres::PgListener;
use std::time::{Duration, Instant};

/// The event ids NOTIFYed for `org_id` (other tests' orgs share the channel), until `want`
/// arrived or `wait` passed.
async fn heard(listener: &mut PgListener, org_id: &str, want: usize, wait: Duration) -> Vec<i64> {
    let deadline = Instant::now() + wait;
    let mut ids = Vec::new();
    while ids.len() < want {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(received) = tokio::time::timeout(left, listener.recv()).await else { break };
        let note = received.expect("the LISTEN connection");
        if let Some((org, id)) = note.payload().split_once(' ') {
            if org == org_id {
                ids.push(id.parse().expect("an event id"));
            }
        }
    }
    ids
}

async fn only_committed_events_are_announced(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let org = org(db).await;
    let ch = channels(db, &org.id, 1).await;
    let (post, _) = post_to(db, &org.id, &ch).await;
    let mut committed = db.events_committed();
    committed.mark_unchanged();
    let mut listener = match b {
        Backend::Postgres => {
            let mut l = PgListener::connect(&t.url).await.unwrap();
            l.listen(events::CHANNEL).await.unwrap();
            Some(l)
        }
        Backend::Sqlite => None,
    };
    let t0 = now();
    let status =
        [PostStatusMark { post_id: &post.id, status: sellcast_domain::PostStatus::Publishing, published_at: None }];
    let event = |i: i32| NewEvent { org_id: &org.id, user_id: None, kind: "post:status", data: json!({"i": i}) };

    // A status and its event, rolled back: neither is stored, nothing is announced.
    let mut tx = db.begin().await.unwrap();
    assert_eq!(publishing::set_post_statuses(tx.conn(), &status, t0).await.unwrap(), 1);
    assert_eq!(events::insert_many(tx.conn(), &[event(0)], t0).await.unwrap(), 1);
    drop(tx);
    // Then a transaction that writes no event commits (on SQLite: the rolled-back
    // transaction's note of an insert must not be taken for this one's).
    let mut tx = db.begin().await.unwrap();
    posts::set_status(tx.conn(), &post.id, sellcast_domain::PostStatus::Scheduled, None, t0).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(stored_post(db, &post.id).await.status, "scheduled");
    let mut c = db.read().await.unwrap();
    assert!(events::after(c.conn(), &org.id, &org.owner_id, 0, 10).await.unwrap().is_empty());
    drop(c);
    assert!(!committed.has_changed().unwrap(), "nothing committed an event");
    if let Some(l) = listener.as_mut() {
        assert!(heard(l, &org.id, 1, Duration::from_millis(300)).await.is_empty());
    }

    // The status and three events (one-row and many-row inserts), committed together.
    let mut tx = db.begin().await.unwrap();
    assert_eq!(publishing::set_post_statuses(tx.conn(), &status, t0).await.unwrap(), 1);
    events::insert(tx.conn(), &org.id, None, "post:status", &json!({"i": 1}), t0).await.unwrap();
    assert_eq!(events::insert_many(tx.conn(), &[event(2), event(3)], t0).await.unwrap(), 2);
    if let Some(l) = listener.as_mut() {
        assert!(heard(l, &org.id, 1, Duration::from_millis(300)).await.is_empty(), "NOTIFY waits for the commit");
    }
    assert!(!committed.has_changed().unwrap(), "not before the commit");
    tx.commit().await.unwrap();
    assert_eq!(stored_post(db, &post.id).await.status, "publishing");
    let mut c = db.read().await.unwrap();
    let stored: Vec<i64> =
        events::after(c.conn(), &org.id, &org.owner_id, 0, 10).await.unwrap().iter().map(|e| e.id).collect();
    drop(c);
    assert_eq!(stored.len(), 3);
    match listener.as_mut() {
        Some(l) => {
            assert_eq!(heard(l, &org.id, 3, Duration::from_secs(10)).await, stored, "one NOTIFY per event, in order");
            assert!(!committed.has_changed().unwrap(), "PostgreSQL processes LISTEN instead");
        }
        None => {
            assert!(committed.has_changed().unwrap(), "the commit is announced");
            committed.mark_unchanged();
            assert!(!committed.has_changed().unwrap(), "once");
        }
    }
    t.drop_schema().await;
}

on_both_backends!(only_committed_events_are_announced);
