//! Sessions (a refresh-token family) and their rotating refresh tokens.

use crate::users::UserRow;
use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

const COLS: &str = "id, user_id, created_at, last_used_at, expires_at, revoked_at, revoked_reason, ip, user_agent";

pub async fn insert(c: Conn<'_>, s: &SessionRow) -> StoreResult<()> {
    let sql = format!("INSERT INTO sessions ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
    exec!(
        c,
        sqlx::query(&sql)
            .bind(&s.id)
            .bind(&s.user_id)
            .bind(s.created_at)
            .bind(s.last_used_at)
            .bind(s.expires_at)
            .bind(s.revoked_at)
            .bind(&s.revoked_reason)
            .bind(&s.ip)
            .bind(&s.user_agent)
    )?;
    Ok(())
}

/// A session with its user, read in one statement: what every authenticated request checks.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionUserRow {
    pub session_id: String,
    pub session_user_id: String,
    pub session_last_used_at: DateTime<Utc>,
    pub session_expires_at: DateTime<Utc>,
    pub session_revoked_at: Option<DateTime<Utc>>,
    #[sqlx(flatten)]
    pub user: UserRow,
}

pub async fn by_id(c: Conn<'_>, id: &str) -> StoreResult<Option<SessionRow>> {
    let sql = format!("SELECT {COLS} FROM sessions WHERE id = $1");
    Ok(on!(c, c => sqlx::query_as::<_, SessionRow>(&sql).bind(id).fetch_optional(c).await)?)
}

/// A user's sessions, newest first, below the cursor id.
pub async fn for_user(c: Conn<'_>, user_id: &str, before: Option<&str>, limit: i64) -> StoreResult<Vec<SessionRow>> {
    let sql =
        format!("SELECT {COLS} FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3");
    Ok(on!(c, c => sqlx::query_as::<_, SessionRow>(&sql).bind(user_id).bind(before).bind(limit).fetch_all(c).await)?)
}

pub async fn touch(c: Conn<'_>, id: &str, now: DateTime<Utc>) -> StoreResult<()> {
    exec!(c, sqlx::query("UPDATE sessions SET last_used_at = $1 WHERE id = $2").bind(now).bind(id))?;
    Ok(())
}

pub async fn revoke(c: Conn<'_>, id: &str, reason: &str, now: DateTime<Utc>) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query("UPDATE sessions SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(reason)
            .bind(id)
    )?;
    Ok(())
}

pub async fn revoke_all_for_user(c: Conn<'_>, user_id: &str, reason: &str, now: DateTime<Utc>) -> StoreResult<u64> {
    Ok(exec!(
        c,
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1, revoked_reason = $2 WHERE user_id = $3 AND revoked_at IS NULL"
        )
        .bind(now)
        .bind(reason)
        .bind(user_id)
    )?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshTokenRow {
    pub id: String,
    pub session_id: String,
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

pub async fn insert_refresh(c: Conn<'_>, t: &RefreshTokenRow) -> StoreResult<()> {
    exec!(c, sqlx::query(
        "INSERT INTO refresh_tokens (id, session_id, token_hash, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&t.id).bind(&t.session_id).bind(&t.token_hash).bind(t.created_at).bind(t.expires_at).bind(t.used_at))?;
    Ok(())
}

pub async fn refresh_by_hash(c: Conn<'_>, hash: &str) -> StoreResult<Option<RefreshTokenRow>> {
    Ok(on!(c, c => sqlx::query_as::<_, RefreshTokenRow>(
        "SELECT id, session_id, token_hash, created_at, expires_at, used_at FROM refresh_tokens WHERE token_hash = $1")
        .bind(hash).fetch_optional(c).await)?)
}

/// Mark a refresh token used; false if someone else used it first (a replay).
pub async fn use_refresh(c: Conn<'_>, id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
    let n = exec!(
        c,
        sqlx::query("UPDATE refresh_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL").bind(now).bind(id)
    )?;
    Ok(n == 1)
}

/// Delete sessions that expired, or were revoked more than 30 days ago (their refresh
/// tokens go with them).
pub async fn prune(c: Conn<'_>, now: DateTime<Utc>) -> StoreResult<u64> {
    Ok(exec!(
        c,
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $2")
            .bind(now)
            .bind(now - chrono::Duration::days(30))
    )?)
}
