//! The one permission check every tenant use case goes through: the caller's role in an org.
//! Kept apart from `orgs` and `audit` because both of them, and every other feature, call it.

use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::App;
use sellcast_domain::{ids, Permission, Role};
use sellcast_store::orgs;

/// The caller's role in `org_id` if it grants `permission`. Not a member → 404 (never reveal
/// that another tenant's org exists); member without the permission → 403.
pub async fn authorize(app: &App, actor: &Actor, org_id: &str, permission: Permission) -> AppResult<Role> {
    let role = member_role(app, actor, org_id).await?;
    if !role.can(permission) {
        return Err(AppError::Forbidden(format!("your role ({role}) does not allow this")));
    }
    Ok(role)
}

/// The caller's role in the org; 404 when not a member.
pub async fn member_role(app: &App, actor: &Actor, org_id: &str) -> AppResult<Role> {
    if !ids::is_valid_id(org_id) {
        return Err(AppError::NotFound("organization"));
    }
    let role = match actor.roles.get(org_id) {
        Some(known) => known,
        None => {
            let mut c = app.db.read().await?;
            let role = orgs::role_of(c.conn(), org_id, &actor.user_id).await?;
            actor.roles.set(org_id, role);
            role
        }
    };
    role.ok_or(AppError::NotFound("organization"))
}
