//! The audit log: who did what to which entity, from where.

use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct AuditRow {
    pub id: String,
    pub org_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    #[sqlx(json)]
    pub changes: Value,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

const COLS: &str =
    "id, org_id, actor_id, action, entity_type, entity_id, changes, ip, user_agent, request_id, created_at";

pub async fn insert(c: Conn<'_>, a: &AuditRow) -> StoreResult<()> {
    let sql = format!("INSERT INTO audit_log ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
    exec!(
        c,
        sqlx::query(&sql)
            .bind(&a.id)
            .bind(&a.org_id)
            .bind(&a.actor_id)
            .bind(&a.action)
            .bind(&a.entity_type)
            .bind(&a.entity_id)
            .bind(Json(&a.changes))
            .bind(&a.ip)
            .bind(&a.user_agent)
            .bind(&a.request_id)
            .bind(a.created_at)
    )?;
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

pub async fn list(
    c: Conn<'_>,
    org_id: &str,
    f: &AuditFilter,
    before: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<AuditRow>> {
    let sql = format!(
        "SELECT {COLS} FROM audit_log WHERE org_id = $1
         AND ($2 IS NULL OR actor_id = $2) AND ($3 IS NULL OR action = $3)
         AND ($4 IS NULL OR entity_type = $4) AND ($5 IS NULL OR entity_id = $5)
         AND ($6 IS NULL OR created_at >= $6) AND ($7 IS NULL OR created_at < $7)
         AND ($8 IS NULL OR id < $8) ORDER BY id DESC LIMIT $9"
    );
    Ok(on!(c, c => sqlx::query_as::<_, AuditRow>(&sql)
        .bind(org_id).bind(&f.actor_id).bind(&f.action).bind(&f.entity_type).bind(&f.entity_id)
        .bind(f.since).bind(f.until).bind(before).bind(limit)
        .fetch_all(c).await)?)
}

pub async fn by_actor(c: Conn<'_>, actor_id: &str) -> StoreResult<Vec<AuditRow>> {
    let sql = format!("SELECT {COLS} FROM audit_log WHERE actor_id = $1 ORDER BY id");
    Ok(on!(c, c => sqlx::query_as::<_, AuditRow>(&sql).bind(actor_id).fetch_all(c).await)?)
}

/// Erase a deleted user from the log: their account-level entries go, and their entries in
/// organizations keep only the (now dangling) actor id, without IP or user agent.
pub async fn forget_actor(mut c: Conn<'_>, actor_id: &str) -> StoreResult<()> {
    exec!(c.re(), sqlx::query("DELETE FROM audit_log WHERE actor_id = $1 AND org_id IS NULL").bind(actor_id))?;
    exec!(c.re(), sqlx::query("UPDATE audit_log SET ip = NULL, user_agent = NULL WHERE actor_id = $1").bind(actor_id))?;
    Ok(())
}
