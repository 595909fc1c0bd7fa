//! Many-row reads and writes for the publisher's group commit: one statement for the variants,
//! posts or events of every publish attempt gathered in a round, instead of one per attempt.
//! PostgreSQL binds one array per column (`unnest`, `= ANY`), so each statement's text — and
//! its prepared plan — is the same whatever the batch size; SQLite gets multi-row `VALUES` and
//! `IN` lists with positional `?` parameters (each `$N` costs SQLite a linear name lookup).

use crate::channels::{self, ChannelRow};
use crate::posts::{self, PostRow, VariantRow};
use crate::{Conn, StoreResult};
use chrono::{DateTime, Utc};
use sellcast_domain::PostStatus;

/// `?, ?, …` (n of them).
fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// `(?, …), (?, …), …`: `rows` tuples of `cols` positional parameters.
fn tuples(rows: usize, cols: usize) -> String {
    let one = format!("({})", marks(cols));
    vec![one; rows].join(", ")
}

/// `SELECT {select} WHERE {column} IN ids {rest}`: the rows whose `column` is one of `ids`.
async fn select_in<T>(c: Conn<'_>, select: &str, column: &str, ids: &[String], rest: &str) -> StoreResult<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(match c {
        Conn::Pg(c) => {
            let sql = format!("SELECT {select} WHERE {column} = ANY($1) {rest}");
            sqlx::query_as(&sql).bind(ids).fetch_all(c).await?
        }
        Conn::Sqlite(c) => {
            let sql = format!("SELECT {select} WHERE {column} IN ({}) {rest}", marks(ids.len()));
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(c).await?
        }
    })
}

/// The variants with these ids (any order; missing ids are left out).
pub async fn variants_by_ids(c: Conn<'_>, ids: &[String]) -> StoreResult<Vec<VariantRow>> {
    select_in(c, &format!("{} FROM post_variants", posts::V_COLS), "id", ids, "").await
}

/// The variants of these posts, each post's in the order `posts::variants_of` gives.
pub async fn variants_of_posts(c: Conn<'_>, post_ids: &[String]) -> StoreResult<Vec<VariantRow>> {
    let select = format!("{} FROM post_variants", posts::V_COLS);
    select_in(c, &select, "post_id", post_ids, "ORDER BY post_id, created_at, id").await
}

/// These posts, in id order; `lock`: hold their rows for the rest of the transaction
/// (PostgreSQL; SQLite's one writer already serializes). Locking in id order keeps two
/// rounds (of this process or another) from deadlocking on each other.
pub async fn posts_by_ids(c: Conn<'_>, ids: &[String], lock: bool) -> StoreResult<Vec<PostRow>> {
    let rest = if lock && matches!(c, Conn::Pg(_)) { "ORDER BY id FOR UPDATE" } else { "ORDER BY id" };
    select_in(c, &format!("{} FROM posts", posts::COLS), "id", ids, rest).await
}

/// The channels with these ids, whatever their org (background jobs know only the id).
pub async fn channels_by_ids(c: Conn<'_>, ids: &[String]) -> StoreResult<Vec<ChannelRow>> {
    select_in(c, &format!("{} FROM channels", channels::COLS), "id", ids, "").await
}

/// (post id, media id) of these posts' media, each post's in position order.
pub async fn media_of_posts(c: Conn<'_>, post_ids: &[String]) -> StoreResult<Vec<(String, String)>> {
    select_in(c, "post_id, media_id FROM post_media", "post_id", post_ids, "ORDER BY post_id, position").await
}

/// The start of a publish attempt, as `posts::mark_attempt` records it for one variant.
pub struct AttemptMark<'a> {
    /// The row to write (status, error, attempts, first attempt; `updated_at` = now).
    pub after: &'a VariantRow,
    /// The row as it was read: written only if it is still exactly so.
    pub before: &'a VariantRow,
}

/// `posts::mark_attempt` for many variants in one statement; the ids of those written (the
/// others changed since they were read, or got a platform id).
pub async fn mark_attempts(c: Conn<'_>, marks_: &[AttemptMark<'_>], now: DateTime<Utc>) -> StoreResult<Vec<String>> {
    if marks_.is_empty() {
        return Ok(Vec::new());
    }
    let set = "status = v.status, error = v.error, attempts = v.attempts, first_attempt_at = v.first_attempt_at";
    let unchanged = "p.id = v.id AND p.status = v.old_status AND p.attempts = v.old_attempts \
        AND p.updated_at = v.old_updated_at AND p.platform_post_id IS NULL";
    Ok(match c {
        Conn::Pg(c) => {
            let sql = format!(
                "UPDATE post_variants AS p SET {set}, updated_at = $9
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::timestamptz[], $6::text[], $7::int4[],
                             $8::timestamptz[])
                      AS v(id, status, error, attempts, first_attempt_at, old_status, old_attempts, old_updated_at)
                 WHERE {unchanged} RETURNING p.id"
            );
            let col = |f: fn(&AttemptMark<'_>) -> String| marks_.iter().map(f).collect::<Vec<_>>();
            sqlx::query_scalar(&sql)
                .bind(col(|m| m.after.id.clone()))
                .bind(marks_.iter().map(|m| m.after.status.as_str()).collect::<Vec<_>>())
                .bind(marks_.iter().map(|m| m.after.error.clone()).collect::<Vec<_>>())
                .bind(marks_.iter().map(|m| m.after.attempts).collect::<Vec<_>>())
                .bind(marks_.iter().map(|m| m.after.first_attempt_at).collect::<Vec<_>>())
                .bind(marks_.iter().map(|m| m.before.status.as_str()).collect::<Vec<_>>())
                .bind(marks_.iter().map(|m| m.before.attempts).collect::<Vec<_>>())
                .bind(marks_.iter().map(|m| m.before.updated_at).collect::<Vec<_>>())
                .bind(now)
                .fetch_all(c)
                .await?
        }
        // SQLite's RETURNING takes no table alias: its names are the updated table's.
        Conn::Sqlite(c) => {
            let sql = format!(
                "WITH v(id, status, error, attempts, first_attempt_at, old_status, old_attempts, old_updated_at)
                      AS (VALUES {})
                 UPDATE post_variants AS p SET {set}, updated_at = ? FROM v WHERE {unchanged} RETURNING id",
                tuples(marks_.len(), 8)
            );
            let mut q = sqlx::query_scalar(&sql);
            for m in marks_ {
                q = q
                    .bind(&m.after.id)
                    .bind(m.after.status.as_str())
                    .bind(&m.after.error)
                    .bind(m.after.attempts)
                    .bind(m.after.first_attempt_at)
                    .bind(m.before.status.as_str())
                    .bind(m.before.attempts)
                    .bind(m.before.updated_at);
            }
            q.bind(now).fetch_all(c).await?
        }
    })
}

/// A platform's answer to record: the variant, the platform's post id and URL.
pub struct PublishedMark<'a> {
    pub variant_id: &'a str,
    pub platform_post_id: &'a str,
    pub url: Option<&'a str>,
}

/// `posts::mark_published` for many variants in one statement (each only if it has no
/// platform id yet); the ids of those written.
pub async fn mark_published(c: Conn<'_>, rows: &[PublishedMark<'_>], now: DateTime<Utc>) -> StoreResult<Vec<String>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let set = "status = 'published', platform_post_id = v.platform_post_id, platform_url = v.url, error = NULL";
    Ok(match c {
        Conn::Pg(c) => {
            let sql = format!(
                "UPDATE post_variants AS p SET {set}, published_at = $4, updated_at = $4
                 FROM unnest($1::text[], $2::text[], $3::text[]) AS v(id, platform_post_id, url)
                 WHERE p.id = v.id AND p.platform_post_id IS NULL RETURNING p.id"
            );
            sqlx::query_scalar(&sql)
                .bind(rows.iter().map(|r| r.variant_id).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.platform_post_id).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.url).collect::<Vec<_>>())
                .bind(now)
                .fetch_all(c)
                .await?
        }
        Conn::Sqlite(c) => {
            let sql = format!(
                "WITH v(id, platform_post_id, url) AS (VALUES {})
                 UPDATE post_variants AS p SET {set}, published_at = ?, updated_at = ?
                 FROM v WHERE p.id = v.id AND p.platform_post_id IS NULL RETURNING id",
                tuples(rows.len(), 3)
            );
            let mut q = sqlx::query_scalar(&sql);
            for r in rows {
                q = q.bind(r.variant_id).bind(r.platform_post_id).bind(r.url);
            }
            q.bind(now).bind(now).fetch_all(c).await?
        }
    })
}

/// A post's new status (and publish time), as `posts::set_status` writes it.
pub struct PostStatusMark<'a> {
    pub post_id: &'a str,
    pub status: PostStatus,
    pub published_at: Option<DateTime<Utc>>,
}

/// `posts::set_status` for many posts in one statement; how many were written.
pub async fn set_post_statuses(c: Conn<'_>, rows: &[PostStatusMark<'_>], now: DateTime<Utc>) -> StoreResult<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let set = "status = v.status, published_at = v.published_at";
    Ok(match c {
        Conn::Pg(c) => {
            let sql = format!(
                "UPDATE posts AS p SET {set}, updated_at = $4
                 FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS v(id, status, published_at) WHERE p.id = v.id"
            );
            sqlx::query(&sql)
                .bind(rows.iter().map(|r| r.post_id).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.published_at).collect::<Vec<_>>())
                .bind(now)
                .execute(c)
                .await?
                .rows_affected()
        }
        Conn::Sqlite(c) => {
            let sql = format!(
                "WITH v(id, status, published_at) AS (VALUES {})
                 UPDATE posts AS p SET {set}, updated_at = ? FROM v WHERE p.id = v.id",
                tuples(rows.len(), 3)
            );
            let mut q = sqlx::query(&sql);
            for r in rows {
                q = q.bind(r.post_id).bind(r.status.as_str()).bind(r.published_at);
            }
            q.bind(now).execute(c).await?.rows_affected()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_positional() {
        assert_eq!(marks(3), "?, ?, ?");
        assert_eq!(tuples(2, 2), "(?, ?), (?, ?)");
    }
}
