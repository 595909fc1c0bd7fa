//! Where each polled channel's last poll ended (networks without webhooks) and when the next
//! may run.

use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CursorRow {
    pub channel_id: String,
    pub cursor: Option<String>,
    pub next_poll_at: DateTime<Utc>,
    pub last_polled_at: Option<DateTime<Utc>>,
    pub failures: i32,
    pub last_error: Option<String>,
}

const COLS: &str = "channel_id, cursor, next_poll_at, last_polled_at, failures, last_error";

pub async fn get(c: Conn<'_>, channel_id: &str) -> StoreResult<Option<CursorRow>> {
    let sql = format!("SELECT {COLS} FROM inbox_cursors WHERE channel_id = $1");
    Ok(on!(c, c => sqlx::query_as::<_, CursorRow>(&sql).bind(channel_id).fetch_optional(c).await)?)
}

/// Active channels of `platforms` due for a poll (never polled, or their time has come).
pub async fn due(c: Conn<'_>, platforms: &[&str], now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<String>> {
    let list = platforms.iter().map(|p| format!("'{}'", p.replace('\'', ""))).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT ch.id FROM channels ch LEFT JOIN inbox_cursors k ON k.channel_id = ch.id
         WHERE ch.platform IN ({list}) AND ch.status = 'active' AND (k.next_poll_at IS NULL OR k.next_poll_at <= $1)
         ORDER BY k.next_poll_at NULLS FIRST, ch.id LIMIT $2"
    );
    Ok(on!(c, c => sqlx::query_scalar::<_, String>(&sql).bind(now).bind(limit).fetch_all(c).await)?)
}

/// A poll ended: the new cursor (None keeps the old one), when the next may run, and its error.
pub async fn save(
    c: Conn<'_>,
    channel_id: &str,
    cursor: Option<&str>,
    next_poll_at: DateTime<Utc>,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query(
            "INSERT INTO inbox_cursors (channel_id, cursor, next_poll_at, last_polled_at, failures, last_error)
             VALUES ($1, $2, $3, $4, CASE WHEN $5 IS NULL THEN 0 ELSE 1 END, $5)
             ON CONFLICT (channel_id) DO UPDATE SET
                 cursor = COALESCE(excluded.cursor, inbox_cursors.cursor),
                 next_poll_at = excluded.next_poll_at,
                 last_polled_at = excluded.last_polled_at,
                 failures = CASE WHEN excluded.last_error IS NULL THEN 0 ELSE inbox_cursors.failures + 1 END,
                 last_error = excluded.last_error"
        )
        .bind(channel_id)
        .bind(cursor)
        .bind(next_poll_at)
        .bind(now)
        .bind(error)
    )?;
    Ok(())
}
