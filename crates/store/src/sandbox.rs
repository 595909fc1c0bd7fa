//! The sandbox network: posts "published" into Sellcast itself.

use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct SandboxPostRow {
    pub id: String,
    pub channel_id: String,
    pub idempotency_key: String,
    pub text: String,
    #[sqlx(json)]
    pub media: serde_json::Value,
    pub reply_to: Option<String>,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

const COLS: &str = "id, channel_id, idempotency_key, text, media, reply_to, created_at, deleted_at";

/// Insert unless a post with the same idempotency key exists; the stored post either way.
pub async fn create(mut c: Conn<'_>, r: &SandboxPostRow) -> StoreResult<SandboxPostRow> {
    let sql = format!(
        "INSERT INTO sandbox_posts ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (channel_id, idempotency_key) DO NOTHING"
    );
    exec!(
        c.re(),
        sqlx::query(&sql)
            .bind(&r.id)
            .bind(&r.channel_id)
            .bind(&r.idempotency_key)
            .bind(&r.text)
            .bind(Json(&r.media))
            .bind(&r.reply_to)
            .bind(r.created_at)
            .bind(r.deleted_at)
    )?;
    by_key(c, &r.channel_id, &r.idempotency_key).await?.ok_or(crate::StoreError::Database(sqlx::Error::RowNotFound))
}

pub async fn by_key(c: Conn<'_>, channel_id: &str, key: &str) -> StoreResult<Option<SandboxPostRow>> {
    let sql = format!("SELECT {COLS} FROM sandbox_posts WHERE channel_id = $1 AND idempotency_key = $2");
    Ok(on!(c, c => sqlx::query_as::<_, SandboxPostRow>(&sql).bind(channel_id).bind(key).fetch_optional(c).await)?)
}

pub async fn by_id(c: Conn<'_>, channel_id: &str, id: &str) -> StoreResult<Option<SandboxPostRow>> {
    let sql = format!("SELECT {COLS} FROM sandbox_posts WHERE channel_id = $1 AND id = $2");
    Ok(on!(c, c => sqlx::query_as::<_, SandboxPostRow>(&sql).bind(channel_id).bind(id).fetch_optional(c).await)?)
}

pub async fn list(c: Conn<'_>, channel_id: &str, before: Option<&str>, limit: i64) -> StoreResult<Vec<SandboxPostRow>> {
    let sql = format!(
        "SELECT {COLS} FROM sandbox_posts WHERE channel_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
    );
    Ok(on!(c, c => sqlx::query_as::<_, SandboxPostRow>(&sql).bind(channel_id).bind(before).bind(limit)
        .fetch_all(c).await)?)
}

pub async fn count(c: Conn<'_>, channel_id: &str) -> StoreResult<i64> {
    Ok(on!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM sandbox_posts WHERE channel_id = $1 AND deleted_at IS NULL")
        .bind(channel_id).fetch_one(c).await)?)
}

pub async fn mark_deleted(c: Conn<'_>, channel_id: &str, id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
    Ok(exec!(
        c,
        sqlx::query(
            "UPDATE sandbox_posts SET deleted_at = $1 WHERE channel_id = $2 AND id = $3 AND deleted_at IS NULL"
        )
        .bind(now)
        .bind(channel_id)
        .bind(id)
    )? == 1)
}

/// A sandbox account as its public profile shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SandboxAccountRow {
    pub account_id: String,
    pub handle: String,
    pub display_name: Option<String>,
}

/// The sandbox account `account_id`, whatever its channel's status. A sandbox channel's
/// account id is the channel's own id (and the `channel_id` of its posts), so this looks the
/// channel up by its primary key.
pub async fn account(c: Conn<'_>, account_id: &str) -> StoreResult<Option<SandboxAccountRow>> {
    let sql = "SELECT account_id, handle, display_name FROM channels
               WHERE id = $1 AND account_id = $1 AND platform = 'sandbox'";
    Ok(on!(c, c => sqlx::query_as::<_, SandboxAccountRow>(sql).bind(account_id).fetch_optional(c).await)?)
}

/// The channel's posts that are not deleted, newest first, at most `limit`.
pub async fn published(c: Conn<'_>, channel_id: &str, limit: i64) -> StoreResult<Vec<SandboxPostRow>> {
    let sql = format!(
        "SELECT {COLS} FROM sandbox_posts WHERE channel_id = $1 AND deleted_at IS NULL
         ORDER BY created_at DESC, id DESC LIMIT $2"
    );
    Ok(on!(c, c => sqlx::query_as::<_, SandboxPostRow>(&sql).bind(channel_id).bind(limit).fetch_all(c).await)?)
}
