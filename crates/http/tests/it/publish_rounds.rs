//! The publisher's many-row statements (store `publishing`, used by the group commit) keep
//! each row's own condition, on both backends: an attempt is marked only on the row as it was
//! read, a result only on a variant without a platform id.

use crate::common::tenancy::org;
use crate::common::*;
use crate::publishing::*;
use reqwest::StatusCode;
use sellcast_store::events;
use sellcast_store::posts::{self, VariantRow};
use sellcast_store::publishing::{self as bulk, AttemptMark, PostStatusMark, PublishedMark};
use serde_json::json;

/// Three posts to two sandbox channels, scheduled for tomorrow; their ids.
async fn scheduled_posts(srv: &TestServer, owner: &Account) -> Vec<String> {
    let a = s(&sandbox_channel(srv, owner, "Shop A").await["id"]);
    let b = s(&sandbox_channel(srv, owner, "Shop B").await["id"]);
    let mut ids = Vec::new();
    for i in 0..3 {
        let body = json!({
            "text": format!("Round post {i}"),
            "variants": [{"channel_id": a}, {"channel_id": b}],
            "scheduled_at": rfc3339_in(chrono::Duration::days(1)),
        });
        let r = srv.post(&org(&owner.org_id, "/posts"), Some(&owner.token), body).await;
        r.expect(StatusCode::CREATED, None);
        assert_eq!(r.body["status"], "scheduled", "{}", r.body);
        ids.push(s(&r.body["id"]));
    }
    ids
}

async fn variants(srv: &TestServer, post_ids: &[String]) -> Vec<VariantRow> {
    let mut c = srv.app.db.read().await.unwrap();
    bulk::variants_of_posts(c.conn(), post_ids).await.unwrap()
}

async fn many_row_statements_keep_each_rows_condition(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("rounds@publish.test").await;
    let post_ids = scheduled_posts(&srv, &owner).await;
    let before = variants(&srv, &post_ids).await;
    assert_eq!(before.len(), 6);
    assert!(before.windows(2).all(|w| w[0].post_id <= w[1].post_id), "grouped by post");
    assert!(before.iter().all(|v| v.status == "scheduled" && v.attempts == 0));
    {
        let mut c = srv.app.db.read().await.unwrap();
        let ids: Vec<String> = before.iter().map(|v| v.id.clone()).chain(["nope".to_string()]).collect();
        assert_eq!(bulk::variants_by_ids(c.conn(), &ids).await.unwrap().len(), 6, "unknown ids are left out");
        let found = bulk::posts_by_ids(c.conn(), &post_ids, false).await.unwrap();
        let mut sorted = post_ids.clone();
        sorted.sort();
        assert_eq!(found.iter().map(|p| p.id.clone()).collect::<Vec<_>>(), sorted, "in id order");
        assert!(bulk::media_of_posts(c.conn(), &post_ids).await.unwrap().is_empty());
    }

    // Attempts: the first two rows as read, the third as read before someone changed it.
    let now = chrono::Utc::now();
    let started: Vec<VariantRow> = before
        .iter()
        .take(3)
        .map(|v| VariantRow {
            status: sellcast_domain::VariantStatus::Publishing,
            attempts: v.attempts + 1,
            first_attempt_at: Some(now),
            updated_at: now,
            ..v.clone()
        })
        .collect();
    let mut stale = before[2].clone();
    stale.updated_at -= chrono::Duration::seconds(5);
    let marks = [
        AttemptMark { after: &started[0], before: &before[0] },
        AttemptMark { after: &started[1], before: &before[1] },
        AttemptMark { after: &started[2], before: &stale },
    ];
    let mut tx = srv.app.db.begin().await.unwrap();
    let mut marked = bulk::mark_attempts(tx.conn(), &marks, now).await.unwrap();
    tx.commit().await.unwrap();
    marked.sort();
    let mut expected = vec![before[0].id.clone(), before[1].id.clone()];
    expected.sort();
    assert_eq!(marked, expected, "the changed row is not marked");
    let after = variants(&srv, &post_ids).await;
    let by_id = |id: &str| after.iter().find(|v| v.id == id).unwrap().clone();
    assert_eq!(by_id(&before[0].id).status, "publishing");
    assert_eq!(by_id(&before[0].id).attempts, 1);
    assert!(by_id(&before[0].id).first_attempt_at.is_some());
    assert_eq!(by_id(&before[2].id).status, "scheduled", "untouched");
    assert_eq!(by_id(&before[2].id).attempts, 0);

    // Results: a variant keeps the first platform id it gets.
    let first = [PublishedMark { variant_id: &before[0].id, platform_post_id: "p-1", url: Some("https://x/p-1") }];
    let again = [
        PublishedMark { variant_id: &before[0].id, platform_post_id: "p-2", url: None },
        PublishedMark { variant_id: &before[1].id, platform_post_id: "p-3", url: None },
    ];
    let mut tx = srv.app.db.begin().await.unwrap();
    assert_eq!(bulk::mark_published(tx.conn(), &first, now).await.unwrap(), vec![before[0].id.clone()]);
    assert_eq!(bulk::mark_published(tx.conn(), &again, now).await.unwrap(), vec![before[1].id.clone()]);
    tx.commit().await.unwrap();
    let after = variants(&srv, &post_ids).await;
    let v0 = after.iter().find(|v| v.id == before[0].id).unwrap();
    assert_eq!((v0.status.as_str(), v0.platform_post_id.as_deref()), ("published", Some("p-1")));
    assert_eq!(v0.platform_url.as_deref(), Some("https://x/p-1"));
    assert!(v0.published_at.is_some());

    // Post statuses and events, many at once.
    let statuses = [
        PostStatusMark { post_id: &post_ids[0], status: sellcast_domain::PostStatus::Publishing, published_at: None },
        PostStatusMark {
            post_id: &post_ids[1],
            status: sellcast_domain::PostStatus::Published,
            published_at: Some(now),
        },
    ];
    let new_events: Vec<events::NewEvent<'_>> = post_ids
        .iter()
        .map(|id| events::NewEvent {
            org_id: &owner.org_id,
            user_id: None,
            kind: "post:status",
            data: json!({"post_id": id}),
        })
        .collect();
    let mut tx = srv.app.db.begin().await.unwrap();
    let last_before = events::max_id(tx.conn()).await.unwrap();
    assert_eq!(bulk::set_post_statuses(tx.conn(), &statuses, now).await.unwrap(), 2);
    assert_eq!(events::insert_many(tx.conn(), &new_events, now).await.unwrap(), 3);
    tx.commit().await.unwrap();
    let mut c = srv.app.db.read().await.unwrap();
    let p1 = posts::by_id(c.conn(), &owner.org_id, &post_ids[1]).await.unwrap().unwrap();
    assert_eq!(p1.status, "published");
    assert!(p1.published_at.is_some());
    let p2 = posts::by_id(c.conn(), &owner.org_id, &post_ids[2]).await.unwrap().unwrap();
    assert_eq!(p2.status, "scheduled", "untouched");
    let written = events::after(c.conn(), &owner.org_id, &owner.user_id, last_before, 10).await.unwrap();
    let data: Vec<String> = written.iter().map(|e| e.data["post_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(data, post_ids, "one event per post, in order");
    drop(c);
    srv.stop().await;
}

on_both_backends!(many_row_statements_keep_each_rows_condition);
