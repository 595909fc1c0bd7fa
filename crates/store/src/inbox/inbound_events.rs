//! Inbound events: each webhook delivery (or sandbox "receive") exactly as it came, stored
//! before it is acknowledged, then processed by a queue job. Rows stay for instance admins:
//! dead ones with their error, and those with items no channel claimed or shapes not known.

use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};
use sellcast_domain::InboundState;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InboundEventRow {
    pub id: i64,
    pub source: String,
    pub body: Vec<u8>,
    #[sqlx(try_from = "String")]
    pub state: InboundState,
    pub items: i32,
    pub unmatched_items: i32,
    pub unknown_items: i32,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub received_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
}

const COLS: &str =
    "id, source, body, state, items, unmatched_items, unknown_items, attempts, last_error, received_at, processed_at";

/// Store one delivery as received; its id.
pub async fn insert(c: Conn<'_>, source: &str, body: &[u8], now: DateTime<Utc>) -> StoreResult<i64> {
    let sql =
        "INSERT INTO inbound_events (source, body, state, received_at) VALUES ($1, $2, 'pending', $3) RETURNING id";
    Ok(on!(c, c => sqlx::query_scalar::<_, i64>(sql).bind(source).bind(body).bind(now).fetch_one(c).await)?)
}

pub async fn get(c: Conn<'_>, id: i64) -> StoreResult<Option<InboundEventRow>> {
    let sql = format!("SELECT {COLS} FROM inbound_events WHERE id = $1");
    Ok(on!(c, c => sqlx::query_as::<_, InboundEventRow>(&sql).bind(id).fetch_optional(c).await)?)
}

/// What processing found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub items: i32,
    pub unmatched: i32,
    pub unknown: i32,
}

/// Processed: the counts of what it held.
pub async fn finish(c: Conn<'_>, id: i64, n: Counts, now: DateTime<Utc>) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query(
            "UPDATE inbound_events SET state = 'processed', items = $1, unmatched_items = $2, unknown_items = $3,
                    attempts = attempts + 1, last_error = NULL, processed_at = $4
             WHERE id = $5"
        )
        .bind(n.items)
        .bind(n.unmatched)
        .bind(n.unknown)
        .bind(now)
        .bind(id)
    )?;
    Ok(())
}

/// An attempt failed; `dead`: it will not be tried again.
pub async fn fail(c: Conn<'_>, id: i64, error: &str, dead: bool, now: DateTime<Utc>) -> StoreResult<()> {
    let state = if dead { InboundState::Dead } else { InboundState::Pending };
    exec!(
        c,
        sqlx::query(
            "UPDATE inbound_events SET state = $1, attempts = attempts + 1, last_error = $2,
                    processed_at = CASE WHEN $1 = 'dead' THEN $3 ELSE processed_at END
             WHERE id = $4"
        )
        .bind(state.as_str())
        .bind(error)
        .bind(now)
        .bind(id)
    )?;
    Ok(())
}

/// What an admin looks at: dead events and events with items no channel claimed or of
/// shapes not known, newest first.
pub async fn flagged(c: Conn<'_>, before: Option<i64>, limit: i64) -> StoreResult<Vec<InboundEventRow>> {
    let sql = format!(
        "SELECT {COLS} FROM inbound_events
         WHERE (state = 'dead' OR unmatched_items > 0 OR unknown_items > 0) AND ($1 IS NULL OR id < $1)
         ORDER BY id DESC LIMIT $2"
    );
    Ok(on!(c, c => sqlx::query_as::<_, InboundEventRow>(&sql).bind(before).bind(limit).fetch_all(c).await)?)
}

/// Events still waiting (after a crash, the queue has their jobs; this is for checks and tests).
pub async fn count_in(c: Conn<'_>, state: InboundState) -> StoreResult<i64> {
    let sql = "SELECT COUNT(*) FROM inbound_events WHERE state = $1";
    Ok(on!(c, c => sqlx::query_scalar::<_, i64>(sql).bind(state.as_str()).fetch_one(c).await)?)
}
