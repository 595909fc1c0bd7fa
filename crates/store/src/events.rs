//! The organizations' event stream: rows written in the transaction of the change they
//! report, read by subscribers in id order. On PostgreSQL each insert also sends
//! `NOTIFY sellcast_events, '<org_id> <id>'`, which PostgreSQL delivers at commit, to every
//! listening process, in commit order.

use crate::{exec, Conn, StoreResult};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;

/// The NOTIFY channel; the payload is `<org_id> <event id>`.
pub const CHANNEL: &str = "sellcast_events";

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct EventRow {
    pub id: i64,
    pub org_id: String,
    /// Only this member sees the event; None: every member.
    pub user_id: Option<String>,
    pub kind: String,
    #[sqlx(json)]
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

const COLS: &str = "id, org_id, user_id, kind, data, created_at";

/// Insert an event; its id.
pub async fn insert(
    c: Conn<'_>,
    org_id: &str,
    user_id: Option<&str>,
    kind: &str,
    data: &serde_json::Value,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let data = Json(data);
    Ok(match c {
        Conn::Sqlite(c) => {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO org_events (org_id, user_id, kind, data, created_at) VALUES ($1, $2, $3, $4, $5)
                 RETURNING id",
            )
            .bind(org_id)
            .bind(user_id)
            .bind(kind)
            .bind(data)
            .bind(now)
            .fetch_one(c)
            .await?
        }
        // One round trip: the insert and its NOTIFY (joined so the NOTIFY is evaluated).
        Conn::Pg(c) => {
            sqlx::query_scalar::<_, i64>(
                "WITH e AS (INSERT INTO org_events (org_id, user_id, kind, data, created_at)
                            VALUES ($1, $2, $3, $4, $5) RETURNING id),
                      n AS (SELECT pg_notify('sellcast_events', $1 || ' ' || e.id) FROM e)
                 SELECT e.id FROM e, n",
            )
            .bind(org_id)
            .bind(user_id)
            .bind(kind)
            .bind(data)
            .bind(now)
            .fetch_one(c)
            .await?
        }
    })
}

/// An event to insert with `insert_many`.
pub struct NewEvent<'a> {
    pub org_id: &'a str,
    pub user_id: Option<&'a str>,
    pub kind: &'a str,
    pub data: serde_json::Value,
}

/// Insert many events in one statement (with one NOTIFY each on PostgreSQL); how many.
pub async fn insert_many(c: Conn<'_>, events: &[NewEvent<'_>], now: DateTime<Utc>) -> StoreResult<u64> {
    if events.is_empty() {
        return Ok(0);
    }
    Ok(match c {
        Conn::Sqlite(c) => {
            let one = "(?, ?, ?, ?, ?)";
            let sql = format!(
                "INSERT INTO org_events (org_id, user_id, kind, data, created_at) VALUES {}",
                vec![one; events.len()].join(", ")
            );
            let mut q = sqlx::query(&sql);
            for e in events {
                q = q.bind(e.org_id).bind(e.user_id).bind(e.kind).bind(Json(&e.data)).bind(now);
            }
            q.execute(c).await?.rows_affected()
        }
        // The NOTIFY per inserted row is a lateral call, so each row is notified exactly once.
        Conn::Pg(c) => {
            let data: Vec<String> = events.iter().map(|e| e.data.to_string()).collect();
            let ids: Vec<i64> = sqlx::query_scalar(
                "WITH e AS (INSERT INTO org_events (org_id, user_id, kind, data, created_at)
                            SELECT o, u, k, d::jsonb, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
                                 AS x(o, u, k, d)
                            RETURNING id, org_id)
                 SELECT e.id FROM e CROSS JOIN LATERAL (SELECT pg_notify('sellcast_events', e.org_id || ' ' || e.id)) n",
            )
            .bind(events.iter().map(|e| e.org_id).collect::<Vec<_>>())
            .bind(events.iter().map(|e| e.user_id).collect::<Vec<_>>())
            .bind(events.iter().map(|e| e.kind).collect::<Vec<_>>())
            .bind(data)
            .bind(now)
            .fetch_all(c)
            .await?;
            ids.len() as u64
        }
    })
}

/// The org's events after `after` that `user_id` may see, oldest first.
pub async fn after(c: Conn<'_>, org_id: &str, user_id: &str, after: i64, limit: i64) -> StoreResult<Vec<EventRow>> {
    let sql = format!(
        "SELECT {COLS} FROM org_events WHERE org_id = $1 AND id > $2 AND (user_id IS NULL OR user_id = $3)
         ORDER BY id LIMIT $4"
    );
    Ok(crate::on!(c, c => sqlx::query_as::<_, EventRow>(&sql)
        .bind(org_id).bind(after).bind(user_id).bind(limit).fetch_all(c).await)?)
}

/// One event of the org that `user_id` may see.
pub async fn one(c: Conn<'_>, org_id: &str, user_id: &str, id: i64) -> StoreResult<Option<EventRow>> {
    let sql =
        format!("SELECT {COLS} FROM org_events WHERE id = $1 AND org_id = $2 AND (user_id IS NULL OR user_id = $3)");
    Ok(crate::on!(c, c => sqlx::query_as::<_, EventRow>(&sql)
        .bind(id).bind(org_id).bind(user_id).fetch_optional(c).await)?)
}

/// The highest event id (0 when there is none).
pub async fn max_id(c: Conn<'_>) -> StoreResult<i64> {
    Ok(crate::on!(c, c => sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(id), 0) FROM org_events")
        .fetch_one(c).await)?)
}

/// Delete events written before `before`; how many.
pub async fn prune(c: Conn<'_>, before: DateTime<Utc>) -> StoreResult<u64> {
    Ok(exec!(c, sqlx::query("DELETE FROM org_events WHERE created_at < $1").bind(before))?)
}
