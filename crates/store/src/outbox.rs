//! Outgoing email, stored before it is sent so nothing is lost when SMTP is down or absent.

use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct EmailRow {
    pub id: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub last_error: Option<String>,
}

const COLS: &str = "id, to_address, subject, body_text, created_at, sent_at, attempts, last_error";

pub async fn insert(c: Conn<'_>, e: &EmailRow) -> StoreResult<()> {
    let sql = format!("INSERT INTO email_outbox ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    exec!(
        c,
        sqlx::query(&sql)
            .bind(&e.id)
            .bind(&e.to_address)
            .bind(&e.subject)
            .bind(&e.body_text)
            .bind(e.created_at)
            .bind(e.sent_at)
            .bind(e.attempts)
            .bind(&e.last_error)
    )?;
    Ok(())
}

pub async fn by_id(c: Conn<'_>, id: &str) -> StoreResult<Option<EmailRow>> {
    let sql = format!("SELECT {COLS} FROM email_outbox WHERE id = $1");
    Ok(on!(c, c => sqlx::query_as::<_, EmailRow>(&sql).bind(id).fetch_optional(c).await)?)
}

/// Newest first, for `sellcast admin outbox`.
pub async fn recent(c: Conn<'_>, limit: i64) -> StoreResult<Vec<EmailRow>> {
    let sql = format!("SELECT {COLS} FROM email_outbox ORDER BY id DESC LIMIT $1");
    Ok(on!(c, c => sqlx::query_as::<_, EmailRow>(&sql).bind(limit).fetch_all(c).await)?)
}

pub async fn to_address(c: Conn<'_>, address: &str) -> StoreResult<Vec<EmailRow>> {
    let sql = format!("SELECT {COLS} FROM email_outbox WHERE to_address = $1 ORDER BY id");
    Ok(on!(c, c => sqlx::query_as::<_, EmailRow>(&sql).bind(address).fetch_all(c).await)?)
}

pub async fn mark_sent(c: Conn<'_>, id: &str, now: DateTime<Utc>) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query("UPDATE email_outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2")
            .bind(now)
            .bind(id)
    )?;
    Ok(())
}

pub async fn mark_failed(c: Conn<'_>, id: &str, error: &str) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query("UPDATE email_outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2")
            .bind(error)
            .bind(id)
    )?;
    Ok(())
}
