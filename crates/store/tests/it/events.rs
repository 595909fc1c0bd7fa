//! The organizations' event stream (`store::events`): one-row and many-row inserts (a
//! `VALUES` list on SQLite; `unnest` with a NOTIFY per row on PostgreSQL), replay after an id
//! with per-member visibility, and pruning.

use crate::support::*;
use chrono::{DateTime, Utc};
use sellcast_store::events::{self, EventRow, NewEvent};
use sellcast_store::Db;
use serde_json::json;

async fn insert_one(db: &Db, org_id: &str, user_id: Option<&str>, data: serde_json::Value, at: DateTime<Utc>) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let id = events::insert(tx.conn(), org_id, user_id, "test:event", &data, at).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn insert_many(db: &Db, batch: &[NewEvent<'_>], at: DateTime<Utc>) -> u64 {
    let mut tx = db.begin().await.unwrap();
    let n = events::insert_many(tx.conn(), batch, at).await.unwrap();
    tx.commit().await.unwrap();
    n
}

async fn replay(db: &Db, org_id: &str, user_id: &str, after: i64, limit: i64) -> Vec<EventRow> {
    let mut c = db.read().await.unwrap();
    events::after(c.conn(), org_id, user_id, after, limit).await.unwrap()
}

fn ids(rows: &[EventRow]) -> Vec<i64> {
    rows.iter().map(|e| e.id).collect()
}

async fn events_replay_after_an_id_in_order_for_whom_they_are_meant(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let other_org = org(db).await;
    let org = org(db).await;
    let member = member(db, &org.id, sellcast_domain::Role::Editor).await;
    let t0 = now();

    let rich = json!({"post_id": "p-1", "text": "Ünïcode ✓ \"quoted\"", "n": 12345678901_i64, "nested": {"a": [1, null, true]}});
    let first = insert_one(db, &org.id, None, rich.clone(), t0).await;
    let batch = [
        NewEvent { org_id: &org.id, user_id: None, kind: "post:status", data: json!({"i": 0}) },
        NewEvent { org_id: &org.id, user_id: Some(&member), kind: "notification", data: json!({"i": 1}) },
        NewEvent { org_id: &other_org.id, user_id: None, kind: "post:status", data: json!({"i": 2}) },
        NewEvent { org_id: &org.id, user_id: Some(&org.owner_id), kind: "notification", data: json!({"i": 3}) },
        NewEvent { org_id: &org.id, user_id: None, kind: "post:status", data: json!({"i": 4}) },
    ];
    assert_eq!(insert_many(db, &batch, t0).await, 5);
    assert_eq!(insert_many(db, &[], t0).await, 0);

    // The owner sees the org's events for everyone and their own, in insert order.
    let seen = replay(db, &org.id, &org.owner_id, 0, 100).await;
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0].id, first);
    assert!(seen.windows(2).all(|w| w[0].id < w[1].id), "ascending ids");
    let order: Vec<serde_json::Value> = seen[1..].iter().map(|e| e.data["i"].clone()).collect();
    assert_eq!(order, vec![json!(0), json!(3), json!(4)], "the batch's rows in their order");
    assert_eq!(seen[0].data, rich, "the data round-trips");
    assert_eq!((seen[0].kind.as_str(), seen[0].created_at, seen[0].user_id.as_deref()), ("test:event", t0, None));
    assert_eq!((seen[2].kind.as_str(), seen[2].user_id.as_deref()), ("notification", Some(org.owner_id.as_str())));
    // The member sees their own notification, not the owner's.
    let theirs: Vec<serde_json::Value> = replay(db, &org.id, &member, 0, 100)
        .await
        .iter()
        .map(|e| e.data.get("i").cloned().unwrap_or_default())
        .collect();
    assert_eq!(theirs, vec![json!(null), json!(0), json!(1), json!(4)]);

    // Replay resumes after the last id seen, and pages with the limit.
    assert_eq!(ids(&replay(db, &org.id, &org.owner_id, seen[1].id, 100).await), ids(&seen[2..]));
    assert_eq!(ids(&replay(db, &org.id, &org.owner_id, 0, 2).await), ids(&seen[..2]));
    assert!(replay(db, &org.id, &org.owner_id, seen[3].id, 100).await.is_empty());
    let elsewhere = replay(db, &other_org.id, &other_org.owner_id, 0, 100).await;
    assert_eq!(elsewhere.iter().map(|e| e.data["i"].clone()).collect::<Vec<_>>(), vec![json!(2)]);

    // One event, under the same visibility.
    let mut c = db.read().await.unwrap();
    let mine = seen[2].id;
    assert_eq!(events::one(c.conn(), &org.id, &org.owner_id, mine).await.unwrap().map(|e| e.id), Some(mine));
    assert!(events::one(c.conn(), &org.id, &member, mine).await.unwrap().is_none(), "another member's");
    assert!(events::one(c.conn(), &other_org.id, &org.owner_id, first).await.unwrap().is_none(), "another org's");
    assert_eq!(events::max_id(c.conn()).await.unwrap(), seen[3].id);
    drop(c);
    t.drop_schema().await;
}

async fn pruning_deletes_older_events_and_ids_keep_growing(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let org = org(db).await;
    let t0 = now();
    let old = t0 - chrono::Duration::days(10);
    let old_batch: Vec<NewEvent<'_>> =
        (0..3).map(|i| NewEvent { org_id: &org.id, user_id: None, kind: "old", data: json!({"i": i}) }).collect();
    insert_many(db, &old_batch, old).await;
    let fresh = insert_one(db, &org.id, None, json!({"fresh": true}), t0).await;

    let mut tx = db.begin().await.unwrap();
    assert_eq!(events::prune(tx.conn(), t0 - chrono::Duration::days(1)).await.unwrap(), 3);
    assert_eq!(events::prune(tx.conn(), t0).await.unwrap(), 0, "written at the cut-off: kept");
    tx.commit().await.unwrap();
    assert_eq!(ids(&replay(db, &org.id, &org.owner_id, 0, 100).await), vec![fresh]);

    // Emptied, the table still hands out ids above every id handed out before, so a
    // subscriber resuming after an old id misses nothing new.
    let mut tx = db.begin().await.unwrap();
    assert_eq!(events::prune(tx.conn(), t0 + chrono::Duration::seconds(1)).await.unwrap(), 1);
    assert_eq!(events::max_id(tx.conn()).await.unwrap(), 0, "empty");
    tx.commit().await.unwrap();
    let next = insert_one(db, &org.id, None, json!({}), t0).await;
    assert!(next > fresh, "id {next} after {fresh}");
    assert_eq!(ids(&replay(db, &org.id, &org.owner_id, fresh, 100).await), vec![next]);
    t.drop_schema().await;
}

on_both_backends!(
    events_replay_after_an_id_in_order_for_whom_they_are_meant,
    pruning_deletes_older_events_and_ids_keep_growing,
);
