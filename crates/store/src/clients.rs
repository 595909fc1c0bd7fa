//! Clients (seed 000): the brands or customers an organization manages.

use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ClientRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub notes: String,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLS: &str = "id, org_id, name, email, phone, website, notes, archived, created_at, updated_at";

pub async fn insert(c: Conn<'_>, r: &ClientRow) -> StoreResult<()> {
    let sql = format!("INSERT INTO clients ({COLS}, name_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
    exec!(
        c,
        sqlx::query(&sql)
            .bind(&r.id)
            .bind(&r.org_id)
            .bind(&r.name)
            .bind(&r.email)
            .bind(&r.phone)
            .bind(&r.website)
            .bind(&r.notes)
            .bind(r.archived)
            .bind(r.created_at)
            .bind(r.updated_at)
            .bind(name_key(&r.name))
    )?;
    Ok(())
}

pub async fn update(c: Conn<'_>, r: &ClientRow) -> StoreResult<()> {
    exec!(c, sqlx::query(
        "UPDATE clients SET name = $1, email = $2, phone = $3, website = $4, notes = $5, archived = $6, updated_at = $7,
         name_key = $10 WHERE org_id = $8 AND id = $9")
        .bind(&r.name).bind(&r.email).bind(&r.phone).bind(&r.website).bind(&r.notes).bind(r.archived)
        .bind(r.updated_at).bind(&r.org_id).bind(&r.id).bind(name_key(&r.name)))?;
    Ok(())
}

pub async fn by_id(c: Conn<'_>, org_id: &str, id: &str) -> StoreResult<Option<ClientRow>> {
    let sql = format!("SELECT {COLS} FROM clients WHERE org_id = $1 AND id = $2");
    Ok(on!(c, c => sqlx::query_as::<_, ClientRow>(&sql).bind(org_id).bind(id).fetch_optional(c).await)?)
}

pub struct ClientFilter<'a> {
    pub archived: Option<bool>,
    /// Case-insensitive substring of the name.
    pub q: Option<&'a str>,
}

pub async fn list(
    c: Conn<'_>,
    org_id: &str,
    f: &ClientFilter<'_>,
    before: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<ClientRow>> {
    let pattern = f.q.map(|q| format!("%{}%", escape_like(&name_key(q))));
    let sql = format!(
        "SELECT {COLS} FROM clients WHERE org_id = $1 AND ($2 IS NULL OR archived = $2)
         AND ($3 IS NULL OR name_key LIKE $3 ESCAPE '\\') AND ($4 IS NULL OR id < $4)
         ORDER BY id DESC LIMIT $5"
    );
    Ok(on!(c, c => sqlx::query_as::<_, ClientRow>(&sql)
        .bind(org_id).bind(f.archived).bind(pattern.as_deref()).bind(before).bind(limit)
        .fetch_all(c).await)?)
}

pub async fn delete(c: Conn<'_>, org_id: &str, id: &str) -> StoreResult<bool> {
    let n = exec!(c, sqlx::query("DELETE FROM clients WHERE org_id = $1 AND id = $2").bind(org_id).bind(id))?;
    Ok(n == 1)
}

/// The comparable form of a name: Unicode lower case (SQLite's lower() only knows ASCII).
fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Escape LIKE wildcards so user text matches literally.
pub(crate) fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
