//! A page of posts with everything its views show, read at once: the posts, their variants
//! with their channels, their media. On a SQLite file database the three statements run on one
//! blocking reader (`readers.rs`, ADR 0013); otherwise on one pooled sqlx connection.

use crate::many::marks;
use crate::posts::{self, ListQuery, ListValue, PostFilter, PostRow, VariantOnChannelRow, VariantRow};
use crate::readers::{json, json_opt, time, time_opt, word};
use crate::{Conn, Db, StoreResult};
use rusqlite::{Connection, Row, ToSql};
use std::sync::LazyLock;

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
    let q = ListQuery::new(org_id, f, before, limit);
    if let Some(readers) = db.readers() {
        return readers.run(move |c| read_blocking(c, &q)).await;
    }
    let mut c = db.read().await?;
    let posts = posts::list(c.conn(), org_id, f, before, limit).await?;
    related_by_sqlx(c.conn(), posts).await
}

/// The page of these posts through sqlx: their variants with their channels, and their media.
async fn related_by_sqlx(mut c: Conn<'_>, posts: Vec<PostRow>) -> StoreResult<PostPage> {
    let ids: Vec<String> = posts.iter().map(|p| p.id.clone()).collect();
    let variants = posts::variants_on_channels_of_posts(c.re(), &ids).await?;
    let media = posts::media_of_posts(c, &ids).await?;
    Ok(PostPage { posts, variants, media })
}

/// The post `id` of the org and what its view needs (None when there is no such post).
pub async fn read_one(db: &Db, org_id: &str, id: &str) -> StoreResult<Option<PostPage>> {
    let page = if let Some(readers) = db.readers() {
        let (org, id) = (org_id.to_string(), id.to_string());
        readers
            .run(move |c| {
                let posts = c
                    .prepare_cached(&ONE_POST)?
                    .query_map([&org, &id], post_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                related(c, posts)
            })
            .await?
    } else {
        let mut c = db.read().await?;
        if let Conn::Pg(c) = c.conn() {
            return read_one_pg(c, org_id, id).await;
        }
        let posts: Vec<PostRow> = posts::by_id(c.conn(), org_id, id).await?.into_iter().collect();
        related_by_sqlx(c.conn(), posts).await?
    };
    Ok(Some(page).filter(|p| !p.posts.is_empty()))
}

/// Built once, like every statement text below: the statement caches key on it.
static ONE_POST: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {} FROM posts p WHERE p.org_id = $1 AND p.id = $2", posts::P_COLS));

static ONE_POST_WITH_RELATED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {},
           COALESCE((SELECT json_agg(json_build_object({VARIANT_FIELDS}) ORDER BY v.created_at, v.id)
                     FROM post_variants v LEFT JOIN channels ch ON ch.id = v.channel_id
                     WHERE v.post_id = p.id), '[]') AS variants,
           COALESCE((SELECT json_agg(m.media_id ORDER BY m.position) FROM post_media m
                     WHERE m.post_id = p.id), '[]') AS media
         FROM posts p WHERE p.org_id = $1 AND p.id = $2",
        posts::P_COLS
    )
});

/// A post with its variants (and their channels) and media as JSON arrays, as PostgreSQL builds them.
#[derive(sqlx::FromRow)]
struct PostWithRelated {
    #[sqlx(flatten)]
    post: PostRow,
    #[sqlx(json)]
    variants: Vec<VariantOnChannelRow>,
    #[sqlx(json)]
    media: Vec<String>,
}

/// On PostgreSQL one post is one statement: its variants and media aggregated as JSON beside it
/// (two round trips fewer: 1,562 → 2,005 req/s in bench/api). Not for pages: building JSON
/// for every variant of a page cost PostgreSQL more than the round trips saved (posts-100:
/// 244 → 142 req/s; bench/README.md).
async fn read_one_pg(c: &mut sqlx::PgConnection, org_id: &str, id: &str) -> StoreResult<Option<PostPage>> {
    let row = sqlx::query_as::<_, PostWithRelated>(ONE_POST_WITH_RELATED.as_str())
        .bind(org_id)
        .bind(id)
        .fetch_optional(c)
        .await?;
    Ok(row.map(|row| PostPage {
        media: row.media.into_iter().map(|m| (row.post.id.clone(), m)).collect(),
        variants: row.variants,
        posts: vec![row.post],
    }))
}

/// `VariantOnChannelRow`'s fields as `json_build_object` arguments.
const VARIANT_FIELDS: &str = "'id', v.id, 'post_id', v.post_id, 'org_id', v.org_id, 'channel_id', v.channel_id, \
    'text', v.text, 'media_ids', v.media_ids, 'first_comment', v.first_comment, 'options', v.options, \
    'status', v.status, 'platform_post_id', v.platform_post_id, 'platform_url', v.platform_url, \
    'error', v.error, 'attempts', v.attempts, 'first_attempt_at', v.first_attempt_at, \
    'published_at', v.published_at, 'created_at', v.created_at, 'updated_at', v.updated_at, \
    'channel_org_id', ch.org_id, 'channel_platform', ch.platform, 'channel_handle', ch.handle";

fn read_blocking(c: &Connection, q: &ListQuery) -> rusqlite::Result<PostPage> {
    // sqlx writes timestamps as RFC 3339 text; the range compares text, so bind the same text.
    let values: Vec<Box<dyn ToSql + '_>> = q
        .values
        .iter()
        .map(|v| -> Box<dyn ToSql + '_> {
            match v {
                ListValue::Text(t) => Box::new(t.as_str()),
                ListValue::Time(t) => Box::new(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)),
                ListValue::Int(i) => Box::new(*i),
            }
        })
        .collect();
    let mut stmt = c.prepare_cached(&q.sql)?;
    let posts =
        stmt.query_map(rusqlite::params_from_iter(values.iter()), post_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    related(c, posts)
}

/// The page of these posts: their variants with their channels, and their media.
fn related(c: &Connection, posts: Vec<PostRow>) -> rusqlite::Result<PostPage> {
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
