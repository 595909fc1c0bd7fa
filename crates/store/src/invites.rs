//! Invitations into an organization, redeemed with a single-use token.

use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};
use sellcast_domain::Role;
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct InviteRow {
    pub id: String,
    pub org_id: String,
    pub email: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    #[serde(skip)]
    pub token_hash: String,
    pub invited_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_by: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const COLS: &str =
    "id, org_id, email, role, token_hash, invited_by, created_at, expires_at, accepted_at, accepted_by, revoked_at";

pub async fn insert(c: Conn<'_>, i: &InviteRow) -> StoreResult<()> {
    let sql = format!("INSERT INTO invites ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
    exec!(
        c,
        sqlx::query(&sql)
            .bind(&i.id)
            .bind(&i.org_id)
            .bind(&i.email)
            .bind(i.role.as_str())
            .bind(&i.token_hash)
            .bind(&i.invited_by)
            .bind(i.created_at)
            .bind(i.expires_at)
            .bind(i.accepted_at)
            .bind(&i.accepted_by)
            .bind(i.revoked_at)
    )?;
    Ok(())
}

pub async fn by_id(c: Conn<'_>, org_id: &str, id: &str) -> StoreResult<Option<InviteRow>> {
    let sql = format!("SELECT {COLS} FROM invites WHERE org_id = $1 AND id = $2");
    Ok(on!(c, c => sqlx::query_as::<_, InviteRow>(&sql).bind(org_id).bind(id).fetch_optional(c).await)?)
}

pub async fn by_token(c: Conn<'_>, token_hash: &str) -> StoreResult<Option<InviteRow>> {
    let sql = format!("SELECT {COLS} FROM invites WHERE token_hash = $1");
    Ok(on!(c, c => sqlx::query_as::<_, InviteRow>(&sql).bind(token_hash).fetch_optional(c).await)?)
}

/// The pending (not accepted, not revoked) invite of an email into an org, if any.
pub async fn pending_for(c: Conn<'_>, org_id: &str, email: &str) -> StoreResult<Option<InviteRow>> {
    let sql = format!(
        "SELECT {COLS} FROM invites WHERE org_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL"
    );
    Ok(on!(c, c => sqlx::query_as::<_, InviteRow>(&sql).bind(org_id).bind(email).fetch_optional(c).await)?)
}

/// Pending invites first-class in the list; `include_closed` adds accepted/revoked ones.
pub async fn list(
    c: Conn<'_>,
    org_id: &str,
    include_closed: bool,
    before: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<InviteRow>> {
    let sql = format!(
        "SELECT {COLS} FROM invites WHERE org_id = $1 AND ($2 OR (accepted_at IS NULL AND revoked_at IS NULL))
         AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
    );
    Ok(on!(c, c => sqlx::query_as::<_, InviteRow>(&sql)
        .bind(org_id).bind(include_closed).bind(before).bind(limit).fetch_all(c).await)?)
}

pub async fn revoke(c: Conn<'_>, org_id: &str, id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
    let n = exec!(c, sqlx::query(
        "UPDATE invites SET revoked_at = $1 WHERE org_id = $2 AND id = $3 AND accepted_at IS NULL AND revoked_at IS NULL")
        .bind(now).bind(org_id).bind(id))?;
    Ok(n == 1)
}

/// Mark accepted if still open and unexpired; false when someone got there first.
pub async fn accept(c: Conn<'_>, id: &str, user_id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
    let n = exec!(
        c,
        sqlx::query(
            "UPDATE invites SET accepted_at = $1, accepted_by = $2
         WHERE id = $3 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1"
        )
        .bind(now)
        .bind(user_id)
        .bind(id)
    )?;
    Ok(n == 1)
}

pub async fn sent_by(c: Conn<'_>, user_id: &str) -> StoreResult<Vec<InviteRow>> {
    let sql = format!("SELECT {COLS} FROM invites WHERE invited_by = $1 ORDER BY id");
    Ok(on!(c, c => sqlx::query_as::<_, InviteRow>(&sql).bind(user_id).fetch_all(c).await)?)
}
