//! The publisher's many-row writes (`publishing::mark_attempts`, `mark_published`,
//! `set_post_statuses`): `unnest` arrays on PostgreSQL, a `VALUES` list on SQLite; each row
//! keeps its own condition and only the columns each statement names are written.

use crate::support::*;
use sellcast_domain::{PostStatus, VariantStatus};
use sellcast_store::posts::{self, PostRow, VariantRow};
use sellcast_store::publishing::{self, AttemptMark, PostStatusMark, PublishedMark};
use sellcast_store::Db;

/// Write `v` back as it is (the changes a concurrent writer made since the publisher read it).
async fn rewrite(db: &Db, v: &VariantRow) {
    let mut tx = db.begin().await.unwrap();
    posts::update_variant(tx.conn(), v).await.unwrap();
    tx.commit().await.unwrap();
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

async fn attempt_marks_write_only_rows_still_as_read(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let org = org(db).await;
    let ch = channels(db, &org.id, 6).await;
    let post = post_row(&org.id);
    let mut rows: Vec<VariantRow> = ch.iter().map(|c| variant_row(&post, c)).collect();
    rows[5].error = Some("the last attempt failed".into());
    rows[5].attempts = 1;
    insert(db, std::slice::from_ref(&post), &rows).await;
    let mut read = Vec::new();
    for v in &rows {
        read.push(stored_variant(db, &v.id).await);
    }

    // Since the read, one change to each of rows 1–4, each touching one compared column.
    let later = read[3].updated_at + chrono::Duration::seconds(1);
    rewrite(db, &VariantRow { status: VariantStatus::Held, ..read[1].clone() }).await;
    rewrite(db, &VariantRow { attempts: 7, ..read[2].clone() }).await;
    rewrite(db, &VariantRow { updated_at: later, ..read[3].clone() }).await;
    rewrite(db, &VariantRow { platform_post_id: Some("already-there".into()), ..read[4].clone() }).await;
    let mut changed = Vec::new();
    for v in &rows {
        changed.push(stored_variant(db, &v.id).await);
    }

    let t0 = now();
    let after: Vec<VariantRow> = read
        .iter()
        .map(|r| VariantRow {
            status: VariantStatus::Publishing,
            error: if r.error.is_some() { None } else { Some("retrying".into()) },
            attempts: r.attempts + 1,
            first_attempt_at: Some(t0 - chrono::Duration::minutes(1)),
            // Not among the columns a mark writes: these must stay as stored.
            text: Some("not written".into()),
            updated_at: t0 - chrono::Duration::hours(1),
            ..r.clone()
        })
        .collect();
    let marks: Vec<AttemptMark<'_>> =
        after.iter().zip(&read).map(|(after, before)| AttemptMark { after, before }).collect();
    let mut tx = db.begin().await.unwrap();
    let marked = publishing::mark_attempts(tx.conn(), &marks, t0).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(sorted(marked), sorted(vec![rows[0].id.clone(), rows[5].id.clone()]));

    for i in [0, 5] {
        let expected = VariantRow {
            status: after[i].status,
            error: after[i].error.clone(),
            attempts: after[i].attempts,
            first_attempt_at: after[i].first_attempt_at,
            updated_at: t0,
            ..read[i].clone()
        };
        assert_eq!(json(&stored_variant(db, &rows[i].id).await), json(&expected), "row {i}");
    }
    for i in 1..5 {
        assert_eq!(json(&stored_variant(db, &rows[i].id).await), json(&changed[i]), "row {i} changed since read");
    }
    let mut tx = db.begin().await.unwrap();
    assert!(publishing::mark_attempts(tx.conn(), &[], t0).await.unwrap().is_empty());
    assert!(publishing::mark_attempts(tx.conn(), &marks, t0).await.unwrap().is_empty(), "no row is as read any more");
    tx.commit().await.unwrap();
    t.drop_schema().await;
}

async fn results_apply_only_to_variants_without_a_platform_id(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let org = org(db).await;
    let ch = channels(db, &org.id, 3).await;
    let post = post_row(&org.id);
    let mut rows: Vec<VariantRow> = ch.iter().map(|c| variant_row(&post, c)).collect();
    rows[0].status = VariantStatus::Publishing;
    rows[0].error = Some("timed out".into());
    rows[1].status = VariantStatus::Unconfirmed;
    rows[1].platform_post_id = Some("first-id".into());
    insert(db, std::slice::from_ref(&post), &rows).await;
    let had_id = stored_variant(db, &rows[1].id).await;

    let t0 = now();
    let results = [
        PublishedMark { variant_id: &rows[0].id, platform_post_id: "p-0", url: Some("https://example.test/p-0") },
        PublishedMark { variant_id: &rows[1].id, platform_post_id: "p-1", url: None },
        PublishedMark { variant_id: &rows[2].id, platform_post_id: "p-2", url: None },
        PublishedMark { variant_id: "no-such-variant", platform_post_id: "p-x", url: None },
    ];
    let mut tx = db.begin().await.unwrap();
    let written = publishing::mark_published(tx.conn(), &results, t0).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(sorted(written), sorted(vec![rows[0].id.clone(), rows[2].id.clone()]));

    let v0 = stored_variant(db, &rows[0].id).await;
    let expected = VariantRow {
        status: VariantStatus::Published,
        platform_post_id: Some("p-0".into()),
        platform_url: Some("https://example.test/p-0".into()),
        error: None,
        published_at: Some(t0),
        updated_at: t0,
        ..rows[0].clone()
    };
    assert_eq!(json(&v0), json(&expected));
    let v2 = stored_variant(db, &rows[2].id).await;
    assert_eq!((v2.platform_post_id.as_deref(), v2.platform_url.as_deref()), (Some("p-2"), None));
    assert_eq!(json(&stored_variant(db, &rows[1].id).await), json(&had_id), "the first platform id stays");

    // A second answer for a published variant changes nothing.
    let mut tx = db.begin().await.unwrap();
    assert!(publishing::mark_published(tx.conn(), &results, t0).await.unwrap().is_empty());
    assert!(publishing::mark_published(tx.conn(), &[], t0).await.unwrap().is_empty());
    tx.commit().await.unwrap();
    assert_eq!(json(&stored_variant(db, &rows[0].id).await), json(&v0));
    t.drop_schema().await;
}

async fn post_statuses_are_written_per_post(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let org = org(db).await;
    let earlier = now() - chrono::Duration::hours(2);
    let publishing_ = post_row(&org.id);
    let republished = PostRow { status: PostStatus::Published, published_at: Some(earlier), ..post_row(&org.id) };
    let untouched = post_row(&org.id);
    insert(db, &[publishing_.clone(), republished.clone(), untouched.clone()], &[]).await;
    let untouched = stored_post(db, &untouched.id).await;

    let t0 = now();
    let marks = [
        PostStatusMark { post_id: &publishing_.id, status: PostStatus::Publishing, published_at: None },
        PostStatusMark { post_id: &republished.id, status: PostStatus::Failed, published_at: None },
        PostStatusMark { post_id: "no-such-post", status: PostStatus::Published, published_at: Some(t0) },
    ];
    let mut tx = db.begin().await.unwrap();
    assert_eq!(publishing::set_post_statuses(tx.conn(), &marks, t0).await.unwrap(), 2);
    assert_eq!(publishing::set_post_statuses(tx.conn(), &[], t0).await.unwrap(), 0);
    tx.commit().await.unwrap();
    let expected = PostRow { status: PostStatus::Publishing, updated_at: t0, ..publishing_.clone() };
    assert_eq!(json(&stored_post(db, &publishing_.id).await), json(&expected));
    let failed = stored_post(db, &republished.id).await;
    assert_eq!((failed.status.as_str(), failed.published_at), ("failed", None), "the publish time is cleared");
    assert_eq!(json(&stored_post(db, &untouched.id).await), json(&untouched));

    let t1 = now();
    let done = [PostStatusMark { post_id: &publishing_.id, status: PostStatus::Published, published_at: Some(t1) }];
    let mut tx = db.begin().await.unwrap();
    assert_eq!(publishing::set_post_statuses(tx.conn(), &done, t1).await.unwrap(), 1);
    tx.commit().await.unwrap();
    let published = stored_post(db, &publishing_.id).await;
    assert_eq!((published.status.as_str(), published.published_at, published.updated_at), ("published", Some(t1), t1));
    t.drop_schema().await;
}

/// A full round of the group commit (256 requests, its limit) in one statement of each kind.
async fn a_full_round_fits_one_statement_each(b: Backend) {
    const ROUND: usize = 256;
    let t = TestDb::new(b).await;
    let db = &t.db;
    let org = org(db).await;
    let ch = channels(db, &org.id, 1).await;
    let all_posts: Vec<PostRow> = (0..ROUND).map(|_| post_row(&org.id)).collect();
    let rows: Vec<VariantRow> = all_posts.iter().map(|p| variant_row(p, &ch[0])).collect();
    insert(db, &all_posts, &rows).await;
    let post_ids: Vec<String> = all_posts.iter().map(|p| p.id.clone()).collect();
    let ids: Vec<String> = rows.iter().map(|v| v.id.clone()).collect();

    let t0 = now();
    let mut tx = db.begin().await.unwrap();
    let read = posts::variants_by_ids(tx.conn(), &ids).await.unwrap();
    assert_eq!(read.len(), ROUND);
    assert_eq!(posts::by_ids(tx.conn(), &post_ids, true).await.unwrap().len(), ROUND);
    let after: Vec<VariantRow> =
        read.iter().map(|r| VariantRow { status: VariantStatus::Publishing, attempts: 1, ..r.clone() }).collect();
    let marks: Vec<AttemptMark<'_>> =
        after.iter().zip(&read).map(|(after, before)| AttemptMark { after, before }).collect();
    assert_eq!(publishing::mark_attempts(tx.conn(), &marks, t0).await.unwrap().len(), ROUND);
    let platform_ids: Vec<String> = (0..ROUND).map(|i| format!("p-{i}")).collect();
    let results: Vec<PublishedMark<'_>> = ids
        .iter()
        .zip(&platform_ids)
        .map(|(id, p)| PublishedMark { variant_id: id, platform_post_id: p, url: None })
        .collect();
    assert_eq!(publishing::mark_published(tx.conn(), &results, t0).await.unwrap().len(), ROUND);
    let statuses: Vec<PostStatusMark<'_>> = post_ids
        .iter()
        .map(|id| PostStatusMark { post_id: id, status: PostStatus::Published, published_at: Some(t0) })
        .collect();
    assert_eq!(publishing::set_post_statuses(tx.conn(), &statuses, t0).await.unwrap(), ROUND as u64);
    tx.commit().await.unwrap();

    let mut c = db.read().await.unwrap();
    let stored = posts::variants_of_posts(c.conn(), &post_ids).await.unwrap();
    assert!(stored.iter().all(|v| v.status == "published" && v.attempts == 1), "every row of the round");
    let by_variant: std::collections::HashMap<&str, &str> =
        ids.iter().map(String::as_str).zip(platform_ids.iter().map(String::as_str)).collect();
    assert!(stored.iter().all(|v| v.platform_post_id.as_deref() == by_variant.get(v.id.as_str()).copied()));
    let posts_now = posts::by_ids(c.conn(), &post_ids, false).await.unwrap();
    assert!(posts_now.iter().all(|p| p.status == "published" && p.published_at == Some(t0)));
    drop(c); // an open connection would keep the pool from closing
    t.drop_schema().await;
}

on_both_backends!(
    attempt_marks_write_only_rows_still_as_read,
    results_apply_only_to_variants_without_a_platform_id,
    post_statuses_are_written_per_post,
    a_full_round_fits_one_statement_each,
);
