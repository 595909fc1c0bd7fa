//! Many-row writes for the publisher's group commit: one statement for the attempt marks,
//! results or post statuses of every publish attempt gathered in a round, instead of one per
//! attempt (the round's reads are the many-id reads of `posts` and `channels`). PostgreSQL
//! binds one array per column (`unnest`), so each statement's text — and its prepared plan —
//! is the same whatever the batch size; SQLite gets multi-row `VALUES` with positional `?`.

use crate::many::tuples;
use crate::posts::VariantRow;
use crate::{Conn, StoreResult};
use chrono::{DateTime, Utc};
use sellcast_domain::PostStatus;

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
