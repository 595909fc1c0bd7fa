//! Per-user secrets for the iCal feed of scheduled posts (only hashes are stored).

use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};

/// Create or replace the user's feed token hash.
pub async fn set_feed(c: Conn<'_>, user_id: &str, token_hash: &str, now: DateTime<Utc>) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query(
            "INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE SET token_hash = $2, created_at = $3"
        )
        .bind(user_id)
        .bind(token_hash)
        .bind(now)
    )?;
    Ok(())
}

pub async fn feed_owner(c: Conn<'_>, token_hash: &str) -> StoreResult<Option<String>> {
    Ok(on!(c, c => sqlx::query_scalar::<_, String>("SELECT user_id FROM calendar_feeds WHERE token_hash = $1")
        .bind(token_hash).fetch_optional(c).await)?)
}

pub async fn delete_feed(c: Conn<'_>, user_id: &str) -> StoreResult<bool> {
    Ok(exec!(c, sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1").bind(user_id))? == 1)
}
