//! What each member has read: a mark per conversation; unread while a customer message is
//! newer than it.

use crate::{exec, Conn, StoreResult};
use chrono::{DateTime, Utc};

/// Mark read up to `at` for the member (never moving the mark back).
pub async fn mark_read(c: Conn<'_>, conversation_ids: &[String], user_id: &str, at: DateTime<Utc>) -> StoreResult<()> {
    let mut c = c;
    for id in conversation_ids {
        exec!(
            c.re(),
            sqlx::query(
                "INSERT INTO conversation_reads (conversation_id, user_id, read_at) VALUES ($1, $2, $3)
                 ON CONFLICT (conversation_id, user_id) DO UPDATE SET read_at =
                     CASE WHEN excluded.read_at > conversation_reads.read_at THEN excluded.read_at
                          ELSE conversation_reads.read_at END"
            )
            .bind(id)
            .bind(user_id)
            .bind(at)
        )?;
    }
    Ok(())
}

/// Unread again for the member.
pub async fn mark_unread(c: Conn<'_>, conversation_ids: &[String], user_id: &str) -> StoreResult<()> {
    let mut c = c;
    for id in conversation_ids {
        exec!(
            c.re(),
            sqlx::query("DELETE FROM conversation_reads WHERE conversation_id = $1 AND user_id = $2")
                .bind(id)
                .bind(user_id)
        )?;
    }
    Ok(())
}
