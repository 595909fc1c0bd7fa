//! Many-row reads (`posts::variants_by_ids`, `posts::by_ids`, `channels::by_ids`,
//! `*_of_posts`, `variants_on_channels_of_posts`), used by page reads and the publisher's rounds: `= ANY($1)` on PostgreSQL, an
//! `IN (?, …)` list on SQLite; each finds every id asked for once, in the order its doc gives,
//! with the same columns as the one-row reads.

use crate::support::*;
use sellcast_store::{channels, posts};

async fn many_row_reads_find_each_id_once_in_order(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let org = org(db).await;
    let ch = channels(db, &org.id, 3).await;
    // Each post's variants are created in the reverse of their id order, so the order
    // `posts::variants_of` gives (created_at, id) is not the id order.
    let mut all_posts = Vec::new();
    let mut all_variants = Vec::new();
    for _ in 0..3 {
        let post = post_row(&org.id);
        let base = now();
        for (i, c) in ch.iter().enumerate() {
            let created_at = base - chrono::Duration::seconds(i as i64);
            all_variants.push(posts::VariantRow { created_at, ..variant_row(&post, c) });
        }
        all_posts.push(post);
    }
    insert(db, &all_posts, &all_variants).await;
    let mut post_ids: Vec<String> = all_posts.iter().map(|p| p.id.clone()).collect();
    post_ids.reverse(); // asked for out of order
    let variant_ids: Vec<String> = all_variants.iter().map(|v| v.id.clone()).collect();

    let mut c = db.read().await.unwrap();
    // Unknown and repeated ids: each found row once.
    let mut asked = variant_ids.clone();
    asked.push("no-such-variant".into());
    asked.push(variant_ids[0].clone());
    let found = posts::variants_by_ids(c.conn(), &asked).await.unwrap();
    let mut found_ids: Vec<String> = found.iter().map(|v| v.id.clone()).collect();
    found_ids.sort();
    let mut expected = variant_ids.clone();
    expected.sort();
    assert_eq!(found_ids, expected);
    for v in &found {
        let one = posts::variant(c.conn(), &v.id).await.unwrap().unwrap();
        assert_eq!(json(v), json(&one), "the same columns as the one-row read");
    }
    assert!(posts::variants_by_ids(c.conn(), &[]).await.unwrap().is_empty());

    // Grouped by post (in post id order), each post's variants in `variants_of` order.
    let grouped = posts::variants_of_posts(c.conn(), &post_ids).await.unwrap();
    let mut sorted_posts = post_ids.clone();
    sorted_posts.sort();
    let mut expected = Vec::new();
    for p in &sorted_posts {
        expected.extend(posts::variants_of(c.conn(), p).await.unwrap().into_iter().map(|v| v.id));
    }
    assert_eq!(grouped.iter().map(|v| v.id.clone()).collect::<Vec<_>>(), expected);
    let first_post: Vec<&str> = all_variants[..3].iter().rev().map(|v| v.id.as_str()).collect();
    let of_first: Vec<&str> = grouped.iter().filter(|v| v.post_id == all_posts[0].id).map(|v| v.id.as_str()).collect();
    assert_eq!(of_first, first_post, "oldest first within a post");

    // The same rows with their channels joined: the same order, the same variant columns, and
    // each channel's org, platform and handle.
    let channel_rows = channels::by_ids(c.conn(), &ch).await.unwrap();
    let joined = posts::variants_on_channels_of_posts(c.conn(), &post_ids).await.unwrap();
    assert_eq!(joined.iter().map(|v| v.variant.id.clone()).collect::<Vec<_>>(), expected);
    for (j, v) in joined.iter().zip(&grouped) {
        assert_eq!(json(&j.variant), json(v));
        let channel = channel_rows.iter().find(|c| c.id == v.channel_id).unwrap();
        assert_eq!(j.channel_org_id.as_deref(), Some(org.id.as_str()));
        assert_eq!(j.channel_platform.as_deref(), Some(channel.platform.as_str()));
        assert_eq!(j.channel_handle.as_deref(), Some(channel.handle.as_str()));
    }
    assert!(posts::variants_on_channels_of_posts(c.conn(), &[]).await.unwrap().is_empty());

    // Posts in id order whatever the order asked; unknown ids left out.
    let mut asked = post_ids.clone();
    asked.push("no-such-post".into());
    let found = posts::by_ids(c.conn(), &asked, false).await.unwrap();
    assert_eq!(found.iter().map(|p| p.id.clone()).collect::<Vec<_>>(), sorted_posts);
    let one = posts::by_id(c.conn(), &org.id, &found[0].id).await.unwrap().unwrap();
    assert_eq!(json(&found[0]), json(&one));
    assert!(posts::by_ids(c.conn(), &[], false).await.unwrap().is_empty());
    drop(c); // an open connection would keep the pool from closing
    t.drop_schema().await;
}

async fn channels_are_found_in_any_org(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let (mine, theirs) = (org(db).await, org(db).await);
    let mut ids = channels(db, &mine.id, 2).await;
    ids.extend(channels(db, &theirs.id, 1).await);
    let mut c = db.read().await.unwrap();
    let mut asked = ids.clone();
    asked.push("no-such-channel".into());
    let found = channels::by_ids(c.conn(), &asked).await.unwrap();
    let mut found_ids: Vec<String> = found.iter().map(|ch| ch.id.clone()).collect();
    found_ids.sort();
    ids.sort();
    assert_eq!(found_ids, ids, "background jobs know only the id, not the org");
    for ch in &found {
        let one = channels::by_id_any_org(c.conn(), &ch.id).await.unwrap().unwrap();
        assert_eq!(json(ch), json(&one));
    }
    drop(c); // an open connection would keep the pool from closing
    t.drop_schema().await;
}

async fn media_of_posts_are_grouped_by_post_in_position_order(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let org = org(db).await;
    let m = images(db, &org.id, 3).await;
    let ch = channels(db, &org.id, 1).await;
    let (p0, _) = post_to(db, &org.id, &ch).await;
    let (p1, _) = post_to(db, &org.id, &ch).await;
    let (bare, _) = post_to(db, &org.id, &ch).await;
    let mut tx = db.begin().await.unwrap();
    posts::set_media(tx.conn(), &p0.id, &[m[2].clone(), m[0].clone(), m[1].clone()]).await.unwrap();
    posts::set_media(tx.conn(), &p1.id, &[m[1].clone()]).await.unwrap();
    tx.commit().await.unwrap();

    let mut c = db.read().await.unwrap();
    let asked = [bare.id.clone(), p1.id.clone(), p0.id.clone()];
    let got = posts::media_of_posts(c.conn(), &asked).await.unwrap();
    let pair = |p: &str, media: &str| (p.to_string(), media.to_string());
    let (first, second) = if p0.id < p1.id { (&p0, &p1) } else { (&p1, &p0) };
    let mut expected: Vec<(String, String)> = Vec::new();
    for p in [first, second] {
        expected.extend(posts::media_of(c.conn(), &p.id).await.unwrap().iter().map(|media| pair(&p.id, media)));
    }
    assert_eq!(got, expected);
    let of_p0: Vec<&str> = got.iter().filter(|(p, _)| *p == p0.id).map(|(_, media)| media.as_str()).collect();
    assert_eq!(of_p0, vec![m[2].as_str(), m[0].as_str(), m[1].as_str()], "in position order");
    assert!(posts::media_of_posts(c.conn(), std::slice::from_ref(&bare.id)).await.unwrap().is_empty());
    drop(c); // an open connection would keep the pool from closing
    t.drop_schema().await;
}

on_both_backends!(
    many_row_reads_find_each_id_once_in_order,
    channels_are_found_in_any_org,
    media_of_posts_are_grouped_by_post_in_position_order,
);
