//! A page of posts with everything its views show, read at once: the posts, their variants
//! with their channels, their media. On a SQLite file database the three statements run on one
//! blocking reader (`readers.rs`, ADR 0013); otherwise on one pooled sqlx connection.

use crate::many::marks;
use crate::posts::{self, ListQuery, PostFilter, PostRow, VariantOnChannelRow, VariantRow};
use crate::readers::{json, json_opt, time, time_opt, word};
use crate::{Db, StoreResult};
use rusqlite::{Connection, Row, ToSql};

#[derive(Debug, Default)]
pub struct PostPage {
    /// Newest first, as `posts::list`.
    pub posts: Vec<PostRow>,
    /// Grouped by post, as `posts::variants_on_channels_of_posts`.
    pub variants: Vec<VariantOnChannelRow>,
    /// (post id, media id), as `posts::media_of_posts`.
    pub media: Vec<(String, String)>,
}

/// `posts::list` and what its views need, in one go.
pub async fn read(
    db: &Db,
    org_id: &str,
    f: &PostFilter<'_>,
    before: Option<&str>,
    limit: i64,
) -> StoreResult<PostPage> {
    if let Some(readers) = db.readers() {
        let q = ListQuery::new(org_id, f, before, limit);
        return readers.run(move |c| read_blocking(c, &q)).await;
    }
    let mut c = db.read().await?;
    let posts = posts::list(c.conn(), org_id, f, before, limit).await?;
    let ids: Vec<String> = posts.iter().map(|p| p.id.clone()).collect();
    let variants = posts::variants_on_channels_of_posts(c.conn(), &ids).await?;
    let media = posts::media_of_posts(c.conn(), &ids).await?;
    Ok(PostPage { posts, variants, media })
}

fn read_blocking(c: &Connection, q: &ListQuery) -> rusqlite::Result<PostPage> {
    // sqlx writes timestamps as RFC 3339 text; the range compares text, so bind the same text.
    let stamp =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false));
    let (from, to) = (stamp(q.from), stamp(q.to));
    let named: [(&str, &dyn ToSql); 10] = [
        ("$1", &q.org_id),
        ("$2", &q.statuses),
        ("$3", &q.channel_id),
        ("$4", &q.client_id),
        ("$5", &q.tag),
        ("$6", &from),
        ("$7", &to),
        ("$8", &q.pattern),
        ("$9", &q.before),
        ("$10", &q.limit),
    ];
    let mut stmt = c.prepare_cached(&q.sql)?;
    let posts = stmt.query_map(&named[..], post_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    if posts.is_empty() {
        return Ok(PostPage::default());
    }
    let ids: Vec<&str> = posts.iter().map(|p| p.id.as_str()).collect();
    let sql = format!(
        "SELECT {} WHERE v.post_id IN ({}) {}",
        posts::VARIANTS_ON_CHANNELS,
        marks(ids.len()),
        posts::VARIANTS_ON_CHANNELS_ORDER
    );
    let variants = c
        .prepare_cached(&sql)?
        .query_map(rusqlite::params_from_iter(&ids), variant_on_channel_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let sql = format!(
        "SELECT post_id, media_id FROM post_media WHERE post_id IN ({}) ORDER BY post_id, position",
        marks(ids.len())
    );
    let media = c
        .prepare_cached(&sql)?
        .query_map(rusqlite::params_from_iter(&ids), |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(PostPage { posts, variants, media })
}

/// A `PostRow` from the columns of `posts::P_COLS`, in order.
fn post_row(r: &Row) -> rusqlite::Result<PostRow> {
    Ok(PostRow {
        id: r.get(0)?,
        org_id: r.get(1)?,
        client_id: r.get(2)?,
        author_id: r.get(3)?,
        text: r.get(4)?,
        search_text: r.get(5)?,
        tags: json(r, 6)?,
        campaign: r.get(7)?,
        status: word(r, 8)?,
        scheduled_at: time_opt(r, 9)?,
        published_at: time_opt(r, 10)?,
        created_at: time(r, 11)?,
        updated_at: time(r, 12)?,
    })
}

/// A `VariantOnChannelRow` from `posts::VARIANTS_ON_CHANNELS`' columns, in order.
fn variant_on_channel_row(r: &Row) -> rusqlite::Result<VariantOnChannelRow> {
    Ok(VariantOnChannelRow {
        variant: VariantRow {
            id: r.get(0)?,
            post_id: r.get(1)?,
            org_id: r.get(2)?,
            channel_id: r.get(3)?,
            text: r.get(4)?,
            media_ids: json_opt(r, 5)?,
            first_comment: r.get(6)?,
            options: json(r, 7)?,
            status: word(r, 8)?,
            platform_post_id: r.get(9)?,
            platform_url: r.get(10)?,
            error: r.get(11)?,
            attempts: r.get(12)?,
            first_attempt_at: time_opt(r, 13)?,
            published_at: time_opt(r, 14)?,
            created_at: time(r, 15)?,
            updated_at: time(r, 16)?,
        },
        channel_org_id: r.get(17)?,
        channel_platform: r.get(18)?,
        channel_handle: r.get(19)?,
    })
}
