//! Organizations and their members.

use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};
use sellcast_domain::Role;
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An org as one of its members sees it: with their role.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct MyOrgRow {
    pub id: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct MemberRow {
    pub user_id: String,
    pub email: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn insert(c: Conn<'_>, o: &OrgRow) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query("INSERT INTO organizations (id, name, created_at, updated_at) VALUES ($1, $2, $3, $4)")
            .bind(&o.id)
            .bind(&o.name)
            .bind(o.created_at)
            .bind(o.updated_at)
    )?;
    Ok(())
}

pub async fn by_id(c: Conn<'_>, id: &str) -> StoreResult<Option<OrgRow>> {
    Ok(on!(c, c => sqlx::query_as::<_, OrgRow>(
        "SELECT id, name, created_at, updated_at FROM organizations WHERE id = $1")
        .bind(id).fetch_optional(c).await)?)
}

pub async fn rename(c: Conn<'_>, id: &str, name: &str, now: DateTime<Utc>) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query("UPDATE organizations SET name = $1, updated_at = $2 WHERE id = $3").bind(name).bind(now).bind(id)
    )?;
    Ok(())
}

pub async fn delete(c: Conn<'_>, id: &str) -> StoreResult<()> {
    exec!(c, sqlx::query("DELETE FROM organizations WHERE id = $1").bind(id))?;
    Ok(())
}

/// Every org with its member count, oldest first (CLI `admin list-orgs`).
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct OrgSummary {
    pub id: String,
    pub name: String,
    pub members: i64,
    pub created_at: DateTime<Utc>,
}

pub async fn list_all(c: Conn<'_>) -> StoreResult<Vec<OrgSummary>> {
    Ok(on!(c, c => sqlx::query_as::<_, OrgSummary>(
        "SELECT o.id, o.name, (SELECT COUNT(*) FROM memberships m WHERE m.org_id = o.id) AS members, o.created_at
         FROM organizations o ORDER BY o.id")
        .fetch_all(c).await)?)
}

pub async fn for_user(c: Conn<'_>, user_id: &str, before: Option<&str>, limit: i64) -> StoreResult<Vec<MyOrgRow>> {
    Ok(on!(c, c => sqlx::query_as::<_, MyOrgRow>(
        "SELECT o.id, o.name, m.role, o.created_at, o.updated_at
         FROM memberships m JOIN organizations o ON o.id = m.org_id
         WHERE m.user_id = $1 AND ($2 IS NULL OR o.id < $2) ORDER BY o.id DESC LIMIT $3")
        .bind(user_id).bind(before).bind(limit).fetch_all(c).await)?)
}

pub async fn role_of(c: Conn<'_>, org_id: &str, user_id: &str) -> StoreResult<Option<Role>> {
    #[derive(sqlx::FromRow)]
    struct RoleRow {
        #[sqlx(try_from = "String")]
        role: Role,
    }
    let row = on!(c, c => sqlx::query_as::<_, RoleRow>(
        "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org_id).bind(user_id).fetch_optional(c).await)?;
    Ok(row.map(|r| r.role))
}

pub async fn add_member(c: Conn<'_>, org_id: &str, user_id: &str, role: Role, now: DateTime<Utc>) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query(
            "INSERT INTO memberships (org_id, user_id, role, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)"
        )
        .bind(org_id)
        .bind(user_id)
        .bind(role.as_str())
        .bind(now)
    )?;
    Ok(())
}

pub async fn member(c: Conn<'_>, org_id: &str, user_id: &str) -> StoreResult<Option<MemberRow>> {
    Ok(on!(c, c => sqlx::query_as::<_, MemberRow>(
        "SELECT m.user_id, u.email, u.name, m.role, m.created_at, m.updated_at
         FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND m.user_id = $2")
        .bind(org_id).bind(user_id).fetch_optional(c).await)?)
}

pub async fn members(c: Conn<'_>, org_id: &str, before: Option<&str>, limit: i64) -> StoreResult<Vec<MemberRow>> {
    Ok(on!(c, c => sqlx::query_as::<_, MemberRow>(
        "SELECT m.user_id, u.email, u.name, m.role, m.created_at, m.updated_at
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.org_id = $1 AND ($2 IS NULL OR m.user_id < $2) ORDER BY m.user_id DESC LIMIT $3")
        .bind(org_id).bind(before).bind(limit).fetch_all(c).await)?)
}

pub async fn set_role(c: Conn<'_>, org_id: &str, user_id: &str, role: Role, now: DateTime<Utc>) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query("UPDATE memberships SET role = $1, updated_at = $2 WHERE org_id = $3 AND user_id = $4")
            .bind(role.as_str())
            .bind(now)
            .bind(org_id)
            .bind(user_id)
    )?;
    Ok(())
}

pub async fn remove_member(c: Conn<'_>, org_id: &str, user_id: &str) -> StoreResult<()> {
    exec!(c, sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2").bind(org_id).bind(user_id))?;
    Ok(())
}

/// Hold the org's row until the transaction ends, so membership changes of one org run one
/// at a time and "the last owner stays" cannot be raced on PostgreSQL (SQLite already has a
/// single writer).
pub async fn lock(c: Conn<'_>, org_id: &str) -> StoreResult<()> {
    if let Conn::Pg(c) = c {
        sqlx::query("SELECT id FROM organizations WHERE id = $1 FOR UPDATE").bind(org_id).fetch_optional(c).await?;
    }
    Ok(())
}

pub async fn count_owners(c: Conn<'_>, org_id: &str) -> StoreResult<i64> {
    Ok(on!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'owner'")
        .bind(org_id).fetch_one(c).await)?)
}

pub async fn count_members(c: Conn<'_>, org_id: &str) -> StoreResult<i64> {
    Ok(on!(c, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM memberships WHERE org_id = $1")
        .bind(org_id).fetch_one(c).await)?)
}

/// Memberships of a user with the org's owner and member counts, for account deletion.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MembershipStanding {
    pub org_id: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub owners: i64,
    pub members: i64,
}

pub async fn standing_of(c: Conn<'_>, user_id: &str) -> StoreResult<Vec<MembershipStanding>> {
    Ok(on!(c, c => sqlx::query_as::<_, MembershipStanding>(
        "SELECT m.org_id, m.role,
            (SELECT COUNT(*) FROM memberships o WHERE o.org_id = m.org_id AND o.role = 'owner') AS owners,
            (SELECT COUNT(*) FROM memberships a WHERE a.org_id = m.org_id) AS members
         FROM memberships m WHERE m.user_id = $1")
        .bind(user_id).fetch_all(c).await)?)
}
