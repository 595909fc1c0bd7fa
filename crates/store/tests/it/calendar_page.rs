//! `calendar_page::read`: a range's posts (the columns an entry shows) and their channels in one
//! read. It must show what the full reads show: the same posts in the same order, the text cut
//! to the same characters, the same variants with their channels, on both backends.

use crate::support::*;
use chrono::Duration;
use sellcast_domain::PostStatus;
use sellcast_store::calendar_page::{self, Range, TEXT_CHARS};
use sellcast_store::{clients, posts, Db};

/// What the full reads give: (id, status, at, text cut, client) and (post, channel, status,
/// channel org, platform, handle).
async fn by_full_reads(db: &Db, r: &Range<'_>) -> serde_json::Value {
    let mut c = db.read().await.unwrap();
    let rows: Vec<_> = posts::in_range(c.conn(), &[r.org_id.to_string()], r.from, r.to, r.limit)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| r.client_id.is_none_or(|id| p.client_id.as_deref() == Some(id)))
        .collect();
    let ids: Vec<String> = rows.iter().map(|p| p.id.clone()).collect();
    let variants = posts::variants_on_channels_of_posts(c.conn(), &ids).await.unwrap();
    serde_json::json!({
        "entries": rows.iter().map(|p| serde_json::json!([
            p.id, p.status, p.scheduled_at, p.text.chars().take(TEXT_CHARS).collect::<String>(), p.client_id
        ])).collect::<Vec<_>>(),
        "targets": variants.iter().map(|v| serde_json::json!([
            v.variant.post_id, v.variant.channel_id, v.variant.status, v.channel_org_id, v.channel_platform, v.channel_handle
        ])).collect::<Vec<_>>(),
    })
}

fn shown(p: &calendar_page::CalendarPage) -> serde_json::Value {
    serde_json::json!({
        "entries": p.entries.iter().map(|e| serde_json::json!([e.id, e.status, e.scheduled_at, e.text, e.client_id])).collect::<Vec<_>>(),
        "targets": p.targets.iter().map(|t| serde_json::json!([
            t.post_id, t.channel_id, t.status, t.channel_org_id, t.channel_platform, t.channel_handle
        ])).collect::<Vec<_>>(),
    })
}

async fn a_calendar_range_read_at_once_equals_the_full_reads(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let org = org(db).await;
    let other = crate::support::org(db).await.id; // (`org` is shadowed above)
    let ch = channels(db, &org.id, 3).await;
    let client = new_id();
    {
        let now = now();
        let row = clients::ClientRow {
            id: client.clone(),
            org_id: org.id.clone(),
            name: "Client".into(),
            email: None,
            phone: None,
            website: None,
            notes: String::new(),
            archived: false,
            created_at: now,
            updated_at: now,
        };
        let mut tx = db.begin().await.unwrap();
        clients::insert(tx.conn(), &row).await.unwrap();
        tx.commit().await.unwrap();
    }
    let base = now();
    let (mut all_posts, mut all_variants) = (Vec::new(), Vec::new());
    for i in 0..9i64 {
        let mut p = post_row(&org.id);
        // Longer than an entry shows, in characters of several bytes.
        p.text = if i == 3 { format!("Été {}", "ü€😀".repeat(200)) } else { format!("Post {i}") };
        p.status = if i % 3 == 0 { PostStatus::Published } else { PostStatus::Scheduled };
        p.scheduled_at = (i != 8).then(|| base + Duration::hours(i * 5));
        p.client_id = (i % 2 == 0).then(|| client.clone());
        for c in ch.iter().take(1 + (i as usize % 3)) {
            all_variants.push(variant_row(&p, c));
        }
        all_posts.push(p);
    }
    insert(db, &all_posts, &all_variants).await;
    let _ = post_to(db, &other, &channels(db, &other, 1).await).await;

    // (case, from and to in hours from the first post)
    let cases = [("the whole range", -1, 50), ("part of it", 9, 21), ("nothing in it", 100, 120)];
    for (case, from, to) in cases {
        for client_id in [None, Some(client.as_str())] {
            let r = Range {
                org_id: &org.id,
                from: base + Duration::hours(from),
                to: base + Duration::hours(to),
                client_id,
                limit: 5000,
            };
            let at_once = calendar_page::read(db, &r).await.unwrap();
            assert_eq!(shown(&at_once), by_full_reads(db, &r).await, "{case}, client {client_id:?}");
            if case == "the whole range" && client_id.is_none() {
                assert_eq!(at_once.entries.len(), 8, "the unscheduled post and the other org's are not in it");
                let long = at_once.entries.iter().find(|e| e.id == all_posts[3].id).unwrap();
                assert_eq!(long.text.chars().count(), TEXT_CHARS);
            }
            if case == "the whole range" && client_id.is_some() {
                assert_eq!(at_once.entries.len(), 4, "posts 0, 2, 4 and 6");
            }
        }
    }
    let limited = Range {
        org_id: &org.id,
        from: base - Duration::hours(1),
        to: base + Duration::hours(50),
        client_id: None,
        limit: 2,
    };
    assert_eq!(shown(&calendar_page::read(db, &limited).await.unwrap()), by_full_reads(db, &limited).await);
    t.drop_schema().await;
}

on_both_backends!(a_calendar_range_read_at_once_equals_the_full_reads);
