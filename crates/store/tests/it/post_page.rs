//! `post_page::read`: a page of posts with their variants (and channels) and media in one
//! read. On SQLite it runs on a blocking reader (rusqlite) with its own row decoding, so it
//! must give exactly what the sqlx reads give, for every filter and cursor, on both backends.

use crate::support::*;
use sellcast_domain::PostStatus;
use sellcast_store::post_page::{self, PostPage};
use sellcast_store::posts::{self, PostFilter};
use sellcast_store::Db;

/// What the sqlx reads give for the same page.
async fn by_sqlx(db: &Db, org_id: &str, f: &PostFilter<'_>, before: Option<&str>, limit: i64) -> PostPage {
    let mut c = db.read().await.unwrap();
    let posts = posts::list(c.conn(), org_id, f, before, limit).await.unwrap();
    let ids: Vec<String> = posts.iter().map(|p| p.id.clone()).collect();
    let variants = posts::variants_on_channels_of_posts(c.conn(), &ids).await.unwrap();
    let media = posts::media_of_posts(c.conn(), &ids).await.unwrap();
    PostPage { posts, variants, media }
}

fn shown(p: &PostPage) -> serde_json::Value {
    let variants: Vec<serde_json::Value> = p
        .variants
        .iter()
        .map(|v| {
            serde_json::json!({
                "variant": json(&v.variant),
                "channel": [v.channel_org_id, v.channel_platform, v.channel_handle],
            })
        })
        .collect();
    let posts: Vec<serde_json::Value> = p.posts.iter().map(|r| serde_json::json!([json(r), r.search_text])).collect();
    serde_json::json!({"posts": posts, "variants": variants, "media": p.media})
}

async fn a_page_read_at_once_equals_the_reads_one_by_one(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let org = org(db).await;
    let other = crate::support::org(db).await.id; // (`org` is shadowed above)
    let ch = channels(db, &org.id, 3).await;
    let imgs = images(db, &org.id, 2).await;
    let base = now();
    let mut all_posts = Vec::new();
    let mut all_variants = Vec::new();
    for i in 0..7i64 {
        let mut p = post_row(&org.id);
        p.text = format!("Post {i} with 100% cotton_shirts");
        p.search_text = p.text.to_lowercase();
        p.tags = vec!["sale".into(), format!("t{i}")];
        p.status = if i % 2 == 0 { PostStatus::Scheduled } else { PostStatus::Draft };
        p.scheduled_at = (i % 2 == 0).then(|| base + chrono::Duration::hours(i));
        p.published_at = None;
        for c in ch.iter().take(1 + (i as usize % 3)) {
            let mut v = variant_row(&p, c);
            v.media_ids = (i == 2).then(|| vec![imgs[0].clone()]);
            v.options = serde_json::json!({"i": i, "nested": {"ok": true}});
            v.text = (i == 4).then(|| "own text".to_string());
            all_variants.push(v);
        }
        all_posts.push(p);
    }
    insert(db, &all_posts, &all_variants).await;
    {
        let mut tx = db.begin().await.unwrap();
        posts::set_media(tx.conn(), &all_posts[2].id, &imgs).await.unwrap();
        tx.commit().await.unwrap();
    }
    let _ = post_to(db, &other, &channels(db, &other, 1).await).await;
    let mut ids: Vec<String> = all_posts.iter().map(|p| p.id.clone()).collect();
    ids.sort();
    let cursor = ids[4].clone();

    let scheduled = PostFilter { statuses: vec![PostStatus::Scheduled], ..Default::default() };
    let by_channel = PostFilter { channel_id: Some(&ch[2]), ..Default::default() };
    let by_text = PostFilter { text: Some("100% cotton_".into()), ..Default::default() };
    let in_range = PostFilter {
        from: Some(base + chrono::Duration::minutes(30)),
        to: Some(base + chrono::Duration::hours(5)),
        ..Default::default()
    };
    let none = PostFilter { text: Some("nothing like this".into()), ..Default::default() };
    let two_statuses = PostFilter { statuses: vec![PostStatus::Scheduled, PostStatus::Draft], ..Default::default() };
    let tagged = PostFilter { tag: Some("t3"), ..Default::default() };
    let combined = PostFilter {
        statuses: vec![PostStatus::Scheduled],
        channel_id: Some(&ch[1]),
        tag: Some("sale"),
        text: Some("post".into()),
        ..Default::default()
    };
    let cases: Vec<(&str, PostFilter, Option<&str>, i64)> = vec![
        ("everything", PostFilter::default(), None, 50),
        ("a first page", PostFilter::default(), None, 3),
        ("after a cursor", PostFilter::default(), Some(cursor.as_str()), 50),
        ("by status", scheduled, None, 50),
        ("by channel", by_channel, None, 50),
        ("by text, with LIKE's special characters", by_text, None, 50),
        ("in a time range", in_range, None, 50),
        ("nothing", none, None, 50),
        ("by two statuses", two_statuses, None, 50),
        ("by tag", tagged, None, 50),
        ("by status, channel, tag and text after a cursor", combined, Some(cursor.as_str()), 50),
    ];
    for (case, f, before, limit) in cases {
        let at_once = post_page::read(db, &org.id, &f, before, limit).await.unwrap();
        let one_by_one = by_sqlx(db, &org.id, &f, before, limit).await;
        assert_eq!(shown(&at_once), shown(&one_by_one), "{case}");
        if case == "everything" {
            assert_eq!(at_once.posts.len(), 7, "the other org's post is not on the page");
            assert_eq!(at_once.variants.len(), all_variants.len());
            assert_eq!(at_once.media.len(), 2);
        }
        if case == "in a time range" {
            assert_eq!(at_once.posts.len(), 2, "posts 2 and 4 are due within the range");
        }
        if case == "by two statuses" {
            assert_eq!(at_once.posts.len(), 7);
        }
        if case == "by tag" {
            assert_eq!(at_once.posts.len(), 1);
        }
    }
    // One post: the page of that post alone.
    let one = post_page::read_one(db, &org.id, &all_posts[2].id).await.unwrap().expect("the post");
    let mut c = db.read().await.unwrap();
    let row = posts::by_id(c.conn(), &org.id, &all_posts[2].id).await.unwrap().unwrap();
    let ids = vec![row.id.clone()];
    let variants = posts::variants_on_channels_of_posts(c.conn(), &ids).await.unwrap();
    let media = posts::media_of_posts(c.conn(), &ids).await.unwrap();
    drop(c);
    assert_eq!(shown(&one), shown(&PostPage { posts: vec![row], variants, media }));
    assert_eq!(one.media.len(), 2);
    assert!(post_page::read_one(db, &org.id, &new_id()).await.unwrap().is_none(), "no such post");
    assert!(post_page::read_one(db, &other, &all_posts[2].id).await.unwrap().is_none(), "another org's post");
    t.drop_schema().await;
}

on_both_backends!(a_page_read_at_once_equals_the_reads_one_by_one);
