//! Uploaded media: what was stored, where, and its derived variants.

use crate::many::select_in;
use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};
use sellcast_domain::MediaStatus;
use serde::Serialize;
use sqlx::types::Json;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct MediaRow {
    pub id: String,
    pub org_id: String,
    pub client_id: Option<String>,
    pub uploaded_by: Option<String>,
    pub kind: String,
    pub mime: String,
    pub bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub filename: String,
    pub alt_text: String,
    #[serde(skip)]
    pub blob_key: String,
    pub sha256: String,
    #[sqlx(try_from = "String")]
    pub status: MediaStatus,
    /// name → {key, mime, width, height, bytes}
    #[sqlx(json)]
    pub variants: serde_json::Value,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLS: &str = "id, org_id, client_id, uploaded_by, kind, mime, bytes, width, height, filename, alt_text, \
    blob_key, sha256, status, variants, error, created_at, updated_at";

pub async fn insert(c: Conn<'_>, r: &MediaRow) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO media ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
    );
    exec!(
        c,
        sqlx::query(&sql)
            .bind(&r.id)
            .bind(&r.org_id)
            .bind(&r.client_id)
            .bind(&r.uploaded_by)
            .bind(&r.kind)
            .bind(&r.mime)
            .bind(r.bytes)
            .bind(r.width)
            .bind(r.height)
            .bind(&r.filename)
            .bind(&r.alt_text)
            .bind(&r.blob_key)
            .bind(&r.sha256)
            .bind(r.status.as_str())
            .bind(Json(&r.variants))
            .bind(&r.error)
            .bind(r.created_at)
            .bind(r.updated_at)
    )?;
    Ok(())
}

pub async fn update(c: Conn<'_>, r: &MediaRow) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query(
            "UPDATE media SET client_id = $1, alt_text = $2, width = $3, height = $4, status = $5, variants = $6,
             error = $7, updated_at = $8 WHERE org_id = $9 AND id = $10"
        )
        .bind(&r.client_id)
        .bind(&r.alt_text)
        .bind(r.width)
        .bind(r.height)
        .bind(r.status.as_str())
        .bind(Json(&r.variants))
        .bind(&r.error)
        .bind(r.updated_at)
        .bind(&r.org_id)
        .bind(&r.id)
    )?;
    Ok(())
}

pub async fn by_id(c: Conn<'_>, org_id: &str, id: &str) -> StoreResult<Option<MediaRow>> {
    let sql = format!("SELECT {COLS} FROM media WHERE org_id = $1 AND id = $2");
    Ok(on!(c, c => sqlx::query_as::<_, MediaRow>(&sql).bind(org_id).bind(id).fetch_optional(c).await)?)
}

/// For jobs and signed public links, which know only the id.
/// The org's media with these ids (any order; missing or other orgs' ids are left out).
pub async fn by_ids(c: Conn<'_>, org_id: &str, ids: &[String]) -> StoreResult<Vec<MediaRow>> {
    let rows: Vec<MediaRow> = select_in(c, &format!("{COLS} FROM media"), "id", ids, "").await?;
    Ok(rows.into_iter().filter(|m| m.org_id == org_id).collect())
}

pub async fn by_id_any_org(c: Conn<'_>, id: &str) -> StoreResult<Option<MediaRow>> {
    let sql = format!("SELECT {COLS} FROM media WHERE id = $1");
    Ok(on!(c, c => sqlx::query_as::<_, MediaRow>(&sql).bind(id).fetch_optional(c).await)?)
}

pub async fn list(
    c: Conn<'_>,
    org_id: &str,
    kind: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<MediaRow>> {
    let sql = format!(
        "SELECT {COLS} FROM media WHERE org_id = $1 AND ($2 IS NULL OR kind = $2) AND ($3 IS NULL OR id < $3)
         ORDER BY id DESC LIMIT $4"
    );
    Ok(on!(c, c => sqlx::query_as::<_, MediaRow>(&sql).bind(org_id).bind(kind).bind(before).bind(limit)
        .fetch_all(c).await)?)
}

/// Posts waiting to go out (or going out) that use this media: it must not be deleted.
pub async fn scheduled_users(c: Conn<'_>, media_id: &str) -> StoreResult<Vec<String>> {
    Ok(on!(c, c => sqlx::query_scalar::<_, String>(
        "SELECT DISTINCT p.id FROM post_media pm JOIN posts p ON p.id = pm.post_id
         WHERE pm.media_id = $1 AND p.status IN ('scheduled', 'publishing', 'pending_approval', 'approved')
         ORDER BY p.id LIMIT 20")
        .bind(media_id).fetch_all(c).await)?)
}

pub async fn delete(c: Conn<'_>, org_id: &str, id: &str) -> StoreResult<bool> {
    Ok(exec!(c, sqlx::query("DELETE FROM media WHERE org_id = $1 AND id = $2").bind(org_id).bind(id))? == 1)
}

/// Every post that lists this media (whatever its status).
pub async fn posts_using(c: Conn<'_>, media_id: &str) -> StoreResult<Vec<String>> {
    Ok(on!(c, c => sqlx::query_scalar::<_, String>(
        "SELECT DISTINCT post_id FROM post_media WHERE media_id = $1 ORDER BY post_id")
        .bind(media_id).fetch_all(c).await)?)
}
