//! Statuses that arrive before their message (webhooks come at least once and in any order):
//! kept until the message is stored, then applied and deleted.

use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};
use sellcast_domain::DeliveryState;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EarlyStatusRow {
    #[sqlx(try_from = "String")]
    pub delivery: DeliveryState,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub reported_at: DateTime<Utc>,
}

pub async fn keep(c: Conn<'_>, channel_id: &str, platform_id: &str, s: &EarlyStatusRow) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query(
            "INSERT INTO early_statuses (channel_id, platform_message_id, delivery, error_code, error_message, reported_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"
        )
        .bind(channel_id)
        .bind(platform_id)
        .bind(s.delivery.as_str())
        .bind(&s.error_code)
        .bind(&s.error_message)
        .bind(s.reported_at)
    )?;
    Ok(())
}

/// The kept statuses of a message, removed.
pub async fn take(mut c: Conn<'_>, channel_id: &str, platform_id: &str) -> StoreResult<Vec<EarlyStatusRow>> {
    let sql = "SELECT delivery, error_code, error_message, reported_at FROM early_statuses
               WHERE channel_id = $1 AND platform_message_id = $2 ORDER BY reported_at";
    let rows = on!(c.re(), c => sqlx::query_as::<_, EarlyStatusRow>(sql).bind(channel_id).bind(platform_id)
        .fetch_all(c).await)?;
    if !rows.is_empty() {
        exec!(
            c,
            sqlx::query("DELETE FROM early_statuses WHERE channel_id = $1 AND platform_message_id = $2")
                .bind(channel_id)
                .bind(platform_id)
        )?;
    }
    Ok(rows)
}
