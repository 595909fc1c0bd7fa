//! Organizations and members: who belongs where with which role (the permission check itself
//! is in `authorize`).

use crate::audit::{self, Entry};
use crate::authorize::{authorize, member_role};
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::App;
use chrono::{DateTime, Utc};
use sellcast_domain::pagination::Page;
use sellcast_domain::roles::can_grant;
use sellcast_domain::{ids, validation as v, Permission, Role};
use sellcast_store::orgs::{self, MemberRow, MyOrgRow, OrgRow};
use sellcast_store::Tx;
use serde::Serialize;
use serde_json::json;

/// Create an org with `actor` as owner inside an open transaction.
pub(crate) async fn create_in(tx: &mut Tx, actor: &Actor, name: &str, now: DateTime<Utc>) -> AppResult<OrgRow> {
    let org = OrgRow { id: ids::new_id(), name: name.trim().to_string(), created_at: now, updated_at: now };
    orgs::insert(tx.conn(), &org).await?;
    orgs::add_member(tx.conn(), &org.id, &actor.user_id, Role::Owner, now).await?;
    audit::record(
        tx.conn(),
        Some(actor),
        now,
        Entry {
            org_id: Some(&org.id),
            action: "organization.create",
            entity_type: "organization",
            entity_id: Some(&org.id),
            changes: json!({"name": org.name}),
        },
    )
    .await?;
    Ok(org)
}

pub async fn create(app: &App, actor: &Actor, name: &str) -> AppResult<Org> {
    v::name(name, v::NAME_MAX).map_err(|m| AppError::validation("name", m))?;
    let mut tx = app.db.begin().await?;
    let org = create_in(&mut tx, actor, name, app.clock.now()).await?;
    tx.commit().await?;
    Ok(org.into())
}

pub async fn list_mine(app: &App, actor: &Actor, page: &Page) -> AppResult<(Vec<MyOrg>, Option<String>)> {
    let mut c = app.db.read().await?;
    let rows = orgs::for_user(c.conn(), &actor.user_id, page.before.as_deref(), page.fetch_limit()).await?;
    let (rows, next) = page.finish(rows, |r| &r.id);
    Ok((rows.into_iter().map(MyOrg::from).collect(), next))
}

pub async fn get(app: &App, actor: &Actor, org_id: &str) -> AppResult<(Org, Role)> {
    let role = member_role(app, actor, org_id).await?;
    let mut c = app.db.read().await?;
    let org = orgs::by_id(c.conn(), org_id).await?.ok_or(AppError::NotFound("organization"))?;
    Ok((org.into(), role))
}

pub async fn rename(app: &App, actor: &Actor, org_id: &str, name: &str) -> AppResult<Org> {
    authorize(app, actor, org_id, Permission::SettingsUpdate).await?;
    v::name(name, v::NAME_MAX).map_err(|m| AppError::validation("name", m))?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let before = orgs::by_id(tx.conn(), org_id).await?.ok_or(AppError::NotFound("organization"))?;
    orgs::rename(tx.conn(), org_id, name.trim(), now).await?;
    audit::record(
        tx.conn(),
        Some(actor),
        now,
        Entry {
            org_id: Some(org_id),
            action: "organization.update",
            entity_type: "organization",
            entity_id: Some(org_id),
            changes: json!({"name": {"from": before.name, "to": name.trim()}}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(OrgRow { name: name.trim().to_string(), updated_at: now, ..before }.into())
}

pub async fn delete(app: &App, actor: &Actor, org_id: &str) -> AppResult<()> {
    authorize(app, actor, org_id, Permission::OrgDelete).await?;
    let mut tx = app.db.begin().await?;
    orgs::delete(tx.conn(), org_id).await?;
    // The org's own log goes with it; the deletion is kept on the actor's account log.
    audit::record(
        tx.conn(),
        Some(actor),
        app.clock.now(),
        Entry::account("organization.delete", "organization", org_id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn members(app: &App, actor: &Actor, org_id: &str, page: &Page) -> AppResult<(Vec<Member>, Option<String>)> {
    member_role(app, actor, org_id).await?;
    let mut c = app.db.read().await?;
    let rows = orgs::members(c.conn(), org_id, page.before.as_deref(), page.fetch_limit()).await?;
    let (rows, next) = page.finish(rows, |r| &r.user_id);
    Ok((rows.into_iter().map(Member::from).collect(), next))
}

/// Change a member's role (team:manage). The last owner cannot be demoted.
pub async fn change_role(app: &App, actor: &Actor, org_id: &str, user_id: &str, role: Role) -> AppResult<Member> {
    authorize(app, actor, org_id, Permission::TeamManage).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    orgs::lock(tx.conn(), org_id).await?;
    // Checked again under the lock: a concurrent demotion of the caller must win.
    let mine = locked_role(&mut tx, actor, org_id).await?;
    if !mine.can(Permission::TeamManage) || !can_grant(mine, role) {
        return Err(AppError::Forbidden(format!("your role ({mine}) cannot grant {role}")));
    }
    let member = orgs::member(tx.conn(), org_id, user_id).await?.ok_or(AppError::NotFound("member"))?;
    if member.role == Role::Owner && role != Role::Owner && orgs::count_owners(tx.conn(), org_id).await? <= 1 {
        return Err(AppError::Conflict("the last owner cannot be demoted; make someone else owner first".into()));
    }
    orgs::set_role(tx.conn(), org_id, user_id, role, now).await?;
    audit::record(
        tx.conn(),
        Some(actor),
        now,
        Entry {
            org_id: Some(org_id),
            action: "member.role_change",
            entity_type: "member",
            entity_id: Some(user_id),
            changes: json!({"role": {"from": member.role, "to": role.as_str()}}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(MemberRow { role, updated_at: now, ..member }.into())
}

/// Remove a member (team:manage), or leave (anyone, for themselves). The last owner stays.
pub async fn remove_member(app: &App, actor: &Actor, org_id: &str, user_id: &str) -> AppResult<()> {
    let leaving = user_id == actor.user_id;
    if leaving {
        member_role(app, actor, org_id).await?;
    } else {
        authorize(app, actor, org_id, Permission::TeamManage).await?;
    }
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    orgs::lock(tx.conn(), org_id).await?;
    let mine = locked_role(&mut tx, actor, org_id).await?;
    if !leaving && !mine.can(Permission::TeamManage) {
        return Err(AppError::Forbidden(format!("your role ({mine}) does not allow this")));
    }
    let member = orgs::member(tx.conn(), org_id, user_id).await?.ok_or(AppError::NotFound("member"))?;
    if member.role == Role::Owner && orgs::count_owners(tx.conn(), org_id).await? <= 1 {
        return Err(AppError::Conflict(
            "the last owner cannot leave or be removed; make someone else owner first".into(),
        ));
    }
    orgs::remove_member(tx.conn(), org_id, user_id).await?;
    audit::record(
        tx.conn(),
        Some(actor),
        now,
        Entry {
            org_id: Some(org_id),
            action: if leaving { "member.leave" } else { "member.remove" },
            entity_type: "member",
            entity_id: Some(user_id),
            changes: json!({"email": member.email, "role": member.role}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The caller's role read inside a transaction that holds the org lock.
async fn locked_role(tx: &mut Tx, actor: &Actor, org_id: &str) -> AppResult<Role> {
    let role = orgs::role_of(tx.conn(), org_id, &actor.user_id).await?.ok_or(AppError::NotFound("organization"))?;
    Ok(role)
}

/// An organization (the tenant).
#[derive(Debug, Clone, Serialize)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<OrgRow> for Org {
    fn from(r: OrgRow) -> Self {
        Org { id: r.id, name: r.name, created_at: r.created_at, updated_at: r.updated_at }
    }
}

/// One of the caller's organizations, with the caller's role in it.
#[derive(Debug, Clone, Serialize)]
pub struct MyOrg {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<MyOrgRow> for MyOrg {
    fn from(r: MyOrgRow) -> Self {
        MyOrg { id: r.id, name: r.name, role: r.role, created_at: r.created_at, updated_at: r.updated_at }
    }
}

/// A member of an organization; `created_at` is when they joined.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<MemberRow> for Member {
    fn from(r: MemberRow) -> Self {
        Member {
            user_id: r.user_id,
            email: r.email,
            name: r.name,
            role: r.role,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}
