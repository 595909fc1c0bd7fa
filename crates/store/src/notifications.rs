//! In-app notifications, per user.

use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct NotificationRow {
    pub id: String,
    pub org_id: Option<String>,
    pub user_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    #[sqlx(json)]
    pub data: serde_json::Value,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const COLS: &str = "id, org_id, user_id, kind, title, body, link, data, read_at, created_at";

pub async fn insert(c: Conn<'_>, r: &NotificationRow) -> StoreResult<()> {
    let sql = format!("INSERT INTO notifications ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
    exec!(
        c,
        sqlx::query(&sql)
            .bind(&r.id)
            .bind(&r.org_id)
            .bind(&r.user_id)
            .bind(&r.kind)
            .bind(&r.title)
            .bind(&r.body)
            .bind(&r.link)
            .bind(Json(&r.data))
            .bind(r.read_at)
            .bind(r.created_at)
    )?;
    Ok(())
}

pub async fn list(
    c: Conn<'_>,
    user_id: &str,
    org_id: Option<&str>,
    unread_only: bool,
    before: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<NotificationRow>> {
    let sql = format!(
        "SELECT {COLS} FROM notifications WHERE user_id = $1 AND ($2 IS NULL OR org_id = $2)
         AND ($3 = FALSE OR read_at IS NULL) AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5"
    );
    Ok(on!(c, c => sqlx::query_as::<_, NotificationRow>(&sql)
        .bind(user_id).bind(org_id).bind(unread_only).bind(before).bind(limit).fetch_all(c).await)?)
}

pub async fn unread_count(c: Conn<'_>, user_id: &str, org_id: Option<&str>) -> StoreResult<i64> {
    Ok(on!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND ($2 IS NULL OR org_id = $2) AND read_at IS NULL")
        .bind(user_id).bind(org_id).fetch_one(c).await)?)
}

/// Mark read: one (`id`) or all of the user's (in the org, when given).
pub async fn mark_read(
    c: Conn<'_>,
    user_id: &str,
    org_id: Option<&str>,
    id: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(exec!(
        c,
        sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND ($3 IS NULL OR org_id = $3)
             AND ($4 IS NULL OR id = $4) AND read_at IS NULL"
        )
        .bind(now)
        .bind(user_id)
        .bind(org_id)
        .bind(id)
    )?)
}
