//! Posts, their tags and ordered media, and one variant per target channel.

use crate::many::select_in;
use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};
use sellcast_domain::{PostStatus, VariantStatus};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct PostRow {
    pub id: String,
    pub org_id: String,
    pub client_id: Option<String>,
    pub author_id: Option<String>,
    pub text: String,
    #[serde(skip)]
    pub search_text: String,
    #[sqlx(json)]
    pub tags: Vec<String>,
    pub campaign: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: PostStatus,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) const COLS: &str =
    "id, org_id, client_id, author_id, text, search_text, tags, campaign, status, scheduled_at, \
    published_at, created_at, updated_at";
pub(crate) const P_COLS: &str =
    "p.id, p.org_id, p.client_id, p.author_id, p.text, p.search_text, p.tags, p.campaign, p.status, \
    p.scheduled_at, p.published_at, p.created_at, p.updated_at";

pub async fn insert(mut c: Conn<'_>, r: &PostRow) -> StoreResult<()> {
    let sql = format!("INSERT INTO posts ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)");
    exec!(
        c.re(),
        sqlx::query(&sql)
            .bind(&r.id)
            .bind(&r.org_id)
            .bind(&r.client_id)
            .bind(&r.author_id)
            .bind(&r.text)
            .bind(&r.search_text)
            .bind(Json(&r.tags))
            .bind(&r.campaign)
            .bind(r.status.as_str())
            .bind(r.scheduled_at)
            .bind(r.published_at)
            .bind(r.created_at)
            .bind(r.updated_at)
    )?;
    set_tags(c, &r.id, &r.tags).await
}

pub async fn update(mut c: Conn<'_>, r: &PostRow) -> StoreResult<()> {
    exec!(
        c.re(),
        sqlx::query(
            "UPDATE posts SET client_id = $1, text = $2, search_text = $3, tags = $4, campaign = $5, status = $6,
             scheduled_at = $7, published_at = $8, updated_at = $9 WHERE org_id = $10 AND id = $11"
        )
        .bind(&r.client_id)
        .bind(&r.text)
        .bind(&r.search_text)
        .bind(Json(&r.tags))
        .bind(&r.campaign)
        .bind(r.status.as_str())
        .bind(r.scheduled_at)
        .bind(r.published_at)
        .bind(r.updated_at)
        .bind(&r.org_id)
        .bind(&r.id)
    )?;
    set_tags(c, &r.id, &r.tags).await
}

/// Only the status (and publish time): what the publisher changes.
pub async fn set_status(
    c: Conn<'_>,
    id: &str,
    status: PostStatus,
    published_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query("UPDATE posts SET status = $1, published_at = $2, updated_at = $3 WHERE id = $4")
            .bind(status.as_str())
            .bind(published_at)
            .bind(now)
            .bind(id)
    )?;
    Ok(())
}

async fn set_tags(mut c: Conn<'_>, post_id: &str, tags: &[String]) -> StoreResult<()> {
    exec!(c.re(), sqlx::query("DELETE FROM post_tags WHERE post_id = $1").bind(post_id))?;
    for tag in tags {
        exec!(c.re(), sqlx::query("INSERT INTO post_tags (post_id, tag) VALUES ($1, $2)").bind(post_id).bind(tag))?;
    }
    Ok(())
}

pub async fn set_media(mut c: Conn<'_>, post_id: &str, media_ids: &[String]) -> StoreResult<()> {
    exec!(c.re(), sqlx::query("DELETE FROM post_media WHERE post_id = $1").bind(post_id))?;
    for (i, m) in media_ids.iter().enumerate() {
        exec!(
            c.re(),
            sqlx::query("INSERT INTO post_media (post_id, position, media_id) VALUES ($1, $2, $3)")
                .bind(post_id)
                .bind(i as i32)
                .bind(m)
        )?;
    }
    Ok(())
}

pub async fn media_of(c: Conn<'_>, post_id: &str) -> StoreResult<Vec<String>> {
    Ok(on!(c, c => sqlx::query_scalar::<_, String>(
        "SELECT media_id FROM post_media WHERE post_id = $1 ORDER BY position").bind(post_id).fetch_all(c).await)?)
}

pub async fn by_id(c: Conn<'_>, org_id: &str, id: &str) -> StoreResult<Option<PostRow>> {
    let sql = format!("SELECT {COLS} FROM posts WHERE org_id = $1 AND id = $2");
    Ok(on!(c, c => sqlx::query_as::<_, PostRow>(&sql).bind(org_id).bind(id).fetch_optional(c).await)?)
}

pub async fn by_id_any_org(c: Conn<'_>, id: &str) -> StoreResult<Option<PostRow>> {
    let sql = format!("SELECT {COLS} FROM posts WHERE id = $1");
    Ok(on!(c, c => sqlx::query_as::<_, PostRow>(&sql).bind(id).fetch_optional(c).await)?)
}

/// Lock the post's row for the rest of the transaction (PostgreSQL; SQLite's single writer
/// already serializes), and read it as it is now.
pub async fn post_for_update(c: Conn<'_>, id: &str) -> StoreResult<Option<PostRow>> {
    let lock = if matches!(c, Conn::Pg(_)) { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT {COLS} FROM posts WHERE id = $1{lock}");
    Ok(on!(c, c => sqlx::query_as::<_, PostRow>(&sql).bind(id).fetch_optional(c).await)?)
}

#[derive(Debug, Default)]
pub struct PostFilter<'a> {
    pub statuses: Vec<PostStatus>,
    pub channel_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub tag: Option<&'a str>,
    /// On `scheduled_at` (or, for unscheduled posts, nothing matches a range).
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// A lower-cased substring of the text.
    pub text: Option<String>,
}

/// One value of a `ListQuery`, bound in order.
pub(crate) enum ListValue {
    Text(String),
    Time(DateTime<Utc>),
    Int(i64),
}

/// The page query of `list`, its text and its values, shared with the blocking reader
/// (`post_page.rs`). Only the filters given appear in the text, so each combination has its own
/// prepared statement whose plan walks `(org_id, id)` and stops after the page (a generic plan
/// of `$n IS NULL OR …` sorts every post of the org on PostgreSQL).
pub(crate) struct ListQuery {
    pub sql: String,
    pub values: Vec<ListValue>,
}

impl ListQuery {
    pub(crate) fn new(org_id: &str, f: &PostFilter<'_>, before: Option<&str>, limit: i64) -> ListQuery {
        let mut q = ListQuery { sql: format!("SELECT {P_COLS} FROM posts p WHERE p.org_id = $1"), values: vec![] };
        q.values.push(ListValue::Text(org_id.to_string()));
        if !f.statuses.is_empty() {
            let marks: Vec<String> =
                f.statuses.iter().map(|s| q.mark(ListValue::Text(s.as_str().to_string()))).collect();
            q.sql.push_str(&format!(" AND p.status IN ({})", marks.join(", ")));
        }
        if let Some(channel) = f.channel_id {
            let m = q.mark(ListValue::Text(channel.to_string()));
            q.sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM post_variants v WHERE v.post_id = p.id AND v.channel_id = {m})"
            ));
        }
        if let Some(client) = f.client_id {
            let m = q.mark(ListValue::Text(client.to_string()));
            q.sql.push_str(&format!(" AND p.client_id = {m}"));
        }
        if let Some(tag) = f.tag {
            let m = q.mark(ListValue::Text(tag.to_string()));
            q.sql.push_str(&format!(" AND EXISTS (SELECT 1 FROM post_tags t WHERE t.post_id = p.id AND t.tag = {m})"));
        }
        if let Some(from) = f.from {
            let m = q.mark(ListValue::Time(from));
            q.sql.push_str(&format!(" AND p.scheduled_at >= {m}"));
        }
        if let Some(to) = f.to {
            let m = q.mark(ListValue::Time(to));
            q.sql.push_str(&format!(" AND p.scheduled_at < {m}"));
        }
        if let Some(text) = &f.text {
            let m = q.mark(ListValue::Text(format!("%{}%", crate::clients::escape_like(text))));
            q.sql.push_str(&format!(" AND p.search_text LIKE {m} ESCAPE '\\'"));
        }
        if let Some(before) = before {
            let m = q.mark(ListValue::Text(before.to_string()));
            q.sql.push_str(&format!(" AND p.id < {m}"));
        }
        let m = q.mark(ListValue::Int(limit));
        q.sql.push_str(&format!(" ORDER BY p.id DESC LIMIT {m}"));
        q
    }

    /// Adds a value; its placeholder.
    fn mark(&mut self, v: ListValue) -> String {
        self.values.push(v);
        format!("${}", self.values.len())
    }
}

pub async fn list(
    c: Conn<'_>,
    org_id: &str,
    f: &PostFilter<'_>,
    before: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<PostRow>> {
    let q = ListQuery::new(org_id, f, before, limit);
    Ok(on!(c, c => {
        let mut query = sqlx::query_as::<_, PostRow>(&q.sql);
        for v in &q.values {
            query = match v {
                ListValue::Text(t) => query.bind(t),
                ListValue::Time(t) => query.bind(t),
                ListValue::Int(i) => query.bind(i),
            };
        }
        query.fetch_all(c).await
    })?)
}

/// Posts scheduled in [from, to) for the calendar, in time order.
pub async fn in_range(
    c: Conn<'_>,
    org_ids: &[String],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<PostRow>> {
    // One org (the calendar page) compares for equality, so (org_id, scheduled_at) serves it;
    // several (a user's iCal feed) match a ",a,b," list.
    let (orgs, org_test) = match org_ids {
        [one] => (one.clone(), "org_id = $1"),
        many => (format!(",{},", many.join(",")), "$1 LIKE '%,' || org_id || ',%'"),
    };
    let sql = format!(
        "SELECT {COLS} FROM posts WHERE {org_test} AND scheduled_at >= $2 AND scheduled_at < $3
         ORDER BY scheduled_at, id LIMIT $4"
    );
    Ok(on!(c, c => sqlx::query_as::<_, PostRow>(&sql).bind(orgs).bind(from).bind(to).bind(limit).fetch_all(c).await)?)
}

pub async fn delete(c: Conn<'_>, org_id: &str, id: &str) -> StoreResult<bool> {
    Ok(exec!(c, sqlx::query("DELETE FROM posts WHERE org_id = $1 AND id = $2").bind(org_id).bind(id))? == 1)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, Deserialize)]
pub struct VariantRow {
    pub id: String,
    pub post_id: String,
    pub org_id: String,
    pub channel_id: String,
    pub text: Option<String>,
    #[sqlx(json(nullable))]
    pub media_ids: Option<Vec<String>>,
    pub first_comment: Option<String>,
    #[sqlx(json)]
    pub options: serde_json::Value,
    #[sqlx(try_from = "String")]
    pub status: VariantStatus,
    pub platform_post_id: Option<String>,
    pub platform_url: Option<String>,
    pub error: Option<String>,
    pub attempts: i32,
    pub first_attempt_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) const V_COLS: &str = "id, post_id, org_id, channel_id, text, media_ids, first_comment, options, status, \
    platform_post_id, platform_url, error, attempts, first_attempt_at, published_at, created_at, updated_at";

pub async fn insert_variant(c: Conn<'_>, r: &VariantRow) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO post_variants ({V_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    );
    exec!(
        c,
        sqlx::query(&sql)
            .bind(&r.id)
            .bind(&r.post_id)
            .bind(&r.org_id)
            .bind(&r.channel_id)
            .bind(&r.text)
            .bind(r.media_ids.as_ref().map(Json))
            .bind(&r.first_comment)
            .bind(Json(&r.options))
            .bind(r.status.as_str())
            .bind(&r.platform_post_id)
            .bind(&r.platform_url)
            .bind(&r.error)
            .bind(r.attempts)
            .bind(r.first_attempt_at)
            .bind(r.published_at)
            .bind(r.created_at)
            .bind(r.updated_at)
    )?;
    Ok(())
}

pub async fn update_variant(c: Conn<'_>, r: &VariantRow) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query(
            "UPDATE post_variants SET text = $1, media_ids = $2, first_comment = $3, options = $4, status = $5,
             platform_post_id = $6, platform_url = $7, error = $8, attempts = $9, first_attempt_at = $10,
             published_at = $11, updated_at = $12 WHERE id = $13"
        )
        .bind(&r.text)
        .bind(r.media_ids.as_ref().map(Json))
        .bind(&r.first_comment)
        .bind(Json(&r.options))
        .bind(r.status.as_str())
        .bind(&r.platform_post_id)
        .bind(&r.platform_url)
        .bind(&r.error)
        .bind(r.attempts)
        .bind(r.first_attempt_at)
        .bind(r.published_at)
        .bind(r.updated_at)
        .bind(&r.id)
    )?;
    Ok(())
}

/// Record the start of a publish attempt (status, error, attempts, first attempt) if the row
/// is still exactly as `before` was read: same status, attempts and `updated_at`, and no
/// platform id. False when anything changed it since (the caller then locks and re-reads).
pub async fn mark_attempt(c: Conn<'_>, r: &VariantRow, before: &VariantRow) -> StoreResult<bool> {
    let n = exec!(
        c,
        sqlx::query(
            "UPDATE post_variants SET status = $1, error = $2, attempts = $3, first_attempt_at = $4, updated_at = $5
             WHERE id = $6 AND status = $7 AND attempts = $8 AND updated_at = $9 AND platform_post_id IS NULL"
        )
        .bind(r.status.as_str())
        .bind(&r.error)
        .bind(r.attempts)
        .bind(r.first_attempt_at)
        .bind(r.updated_at)
        .bind(&r.id)
        .bind(before.status.as_str())
        .bind(before.attempts)
        .bind(before.updated_at)
    )?;
    Ok(n == 1)
}

/// Mark the variant published with the platform's id and URL, unless it already has an id;
/// false when it had one (or is gone).
pub async fn mark_published(
    c: Conn<'_>,
    id: &str,
    platform_post_id: &str,
    url: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let n = exec!(
        c,
        sqlx::query(
            "UPDATE post_variants SET status = 'published', platform_post_id = $1, platform_url = $2, error = NULL,
             published_at = $3, updated_at = $3 WHERE id = $4 AND platform_post_id IS NULL"
        )
        .bind(platform_post_id)
        .bind(url)
        .bind(now)
        .bind(id)
    )?;
    Ok(n == 1)
}

pub async fn variants_of(c: Conn<'_>, post_id: &str) -> StoreResult<Vec<VariantRow>> {
    let sql = format!("SELECT {V_COLS} FROM post_variants WHERE post_id = $1 ORDER BY created_at, id");
    Ok(on!(c, c => sqlx::query_as::<_, VariantRow>(&sql).bind(post_id).fetch_all(c).await)?)
}

pub async fn variant(c: Conn<'_>, id: &str) -> StoreResult<Option<VariantRow>> {
    let sql = format!("SELECT {V_COLS} FROM post_variants WHERE id = $1");
    Ok(on!(c, c => sqlx::query_as::<_, VariantRow>(&sql).bind(id).fetch_optional(c).await)?)
}

/// Lock the variant's row for the rest of the transaction (PostgreSQL; SQLite's single
/// writer already serializes).
pub async fn variant_for_update(c: Conn<'_>, id: &str) -> StoreResult<Option<VariantRow>> {
    let lock = if matches!(c, Conn::Pg(_)) { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT {V_COLS} FROM post_variants WHERE id = $1{lock}");
    Ok(on!(c, c => sqlx::query_as::<_, VariantRow>(&sql).bind(id).fetch_optional(c).await)?)
}

pub async fn delete_variant(c: Conn<'_>, id: &str) -> StoreResult<()> {
    exec!(c, sqlx::query("DELETE FROM post_variants WHERE id = $1").bind(id))?;
    Ok(())
}

/// Variants of a channel in the given status (held posts of a reconnected channel).
pub async fn variants_of_channel(c: Conn<'_>, channel_id: &str, status: VariantStatus) -> StoreResult<Vec<VariantRow>> {
    let sql = format!("SELECT {V_COLS} FROM post_variants WHERE channel_id = $1 AND status = $2 ORDER BY id");
    Ok(on!(c, c => sqlx::query_as::<_, VariantRow>(&sql).bind(channel_id).bind(status.as_str()).fetch_all(c).await)?)
}

/// The variants with these ids (any order; missing ids are left out).
pub async fn variants_by_ids(c: Conn<'_>, ids: &[String]) -> StoreResult<Vec<VariantRow>> {
    select_in(c, &format!("{V_COLS} FROM post_variants"), "id", ids, "").await
}

/// The variants of these posts, each post's in the order `variants_of` gives.
pub async fn variants_of_posts(c: Conn<'_>, post_ids: &[String]) -> StoreResult<Vec<VariantRow>> {
    select_in(c, &format!("{V_COLS} FROM post_variants"), "post_id", post_ids, "ORDER BY post_id, created_at, id").await
}

/// A variant with what a view shows of its channel, read in the same statement.
#[derive(Debug, Clone, sqlx::FromRow, Deserialize)]
pub struct VariantOnChannelRow {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub variant: VariantRow,
    /// None when the channel row is gone.
    pub channel_org_id: Option<String>,
    pub channel_platform: Option<String>,
    pub channel_handle: Option<String>,
}

/// The variants of these posts with their channels' org, platform and handle, grouped by post
/// (each post's in creation order): one statement for a whole page, and no channel secrets read.
pub async fn variants_on_channels_of_posts(c: Conn<'_>, post_ids: &[String]) -> StoreResult<Vec<VariantOnChannelRow>> {
    select_in(c, VARIANTS_ON_CHANNELS, "v.post_id", post_ids, VARIANTS_ON_CHANNELS_ORDER).await
}

/// The columns of `VariantOnChannelRow` (a variant's `V_COLS`, then its channel's three), and
/// the join; shared with the blocking reader (`post_page.rs`), which reads them by position.
pub(crate) const VARIANTS_ON_CHANNELS: &str = "v.id, v.post_id, v.org_id, v.channel_id, v.text, v.media_ids, \
    v.first_comment, v.options, v.status, v.platform_post_id, v.platform_url, v.error, v.attempts, \
    v.first_attempt_at, v.published_at, v.created_at, v.updated_at, \
    ch.org_id AS channel_org_id, ch.platform AS channel_platform, ch.handle AS channel_handle \
    FROM post_variants v LEFT JOIN channels ch ON ch.id = v.channel_id";

pub(crate) const VARIANTS_ON_CHANNELS_ORDER: &str = "ORDER BY v.post_id, v.created_at, v.id";

/// These posts, in id order; `lock`: hold their rows for the rest of the transaction
/// (PostgreSQL; SQLite's one writer already serializes). Locking in id order keeps two
/// publish rounds (of this process or another) from deadlocking on each other.
pub async fn by_ids(c: Conn<'_>, ids: &[String], lock: bool) -> StoreResult<Vec<PostRow>> {
    let rest = if lock && matches!(c, Conn::Pg(_)) { "ORDER BY id FOR UPDATE" } else { "ORDER BY id" };
    select_in(c, &format!("{COLS} FROM posts"), "id", ids, rest).await
}

/// (post id, media id) of these posts' media, each post's in position order.
pub async fn media_of_posts(c: Conn<'_>, post_ids: &[String]) -> StoreResult<Vec<(String, String)>> {
    select_in(c, "post_id, media_id FROM post_media", "post_id", post_ids, "ORDER BY post_id, position").await
}
