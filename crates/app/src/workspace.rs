//! What every signed-in page shows around its content — the viewer's workspaces for the
//! switcher, their unread count and, inside a workspace, the org and the viewer's role — read
//! on one connection in two statements.

use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::orgs::{MyOrg, Org};
use crate::App;
use sellcast_domain::{ids, Role};
use sellcast_store::{notifications, orgs};

/// Workspaces listed in the switcher (a user in more is rare; the rest are a page away).
pub const SWITCHER_ORGS: i64 = 50;

pub struct Frame {
    /// The viewer's workspaces, newest first, at most `SWITCHER_ORGS`.
    pub orgs: Vec<MyOrg>,
    /// Unread notifications (in the current workspace, when there is one).
    pub unread: i64,
    /// The current workspace and the viewer's role in it.
    pub current: Option<(Org, Role)>,
}

/// The frame of a page; `org_id`: the workspace it is in (404 when the viewer is not a member).
pub async fn frame(app: &App, actor: &Actor, org_id: Option<&str>) -> AppResult<Frame> {
    if org_id.is_some_and(|id| !ids::is_valid_id(id)) {
        return Err(AppError::NotFound("organization"));
    }
    let mut c = app.db.read().await?;
    let orgs: Vec<MyOrg> =
        orgs::for_user(c.conn(), &actor.user_id, None, SWITCHER_ORGS).await?.into_iter().map(MyOrg::from).collect();
    let current = match org_id {
        None => None,
        Some(id) => Some(match orgs.iter().find(|o| o.id == id) {
            Some(o) => (
                Org { id: o.id.clone(), name: o.name.clone(), created_at: o.created_at, updated_at: o.updated_at },
                o.role,
            ),
            // Beyond the switcher's first page: read the membership and the org themselves.
            None => {
                let role =
                    orgs::role_of(c.conn(), id, &actor.user_id).await?.ok_or(AppError::NotFound("organization"))?;
                let org = orgs::by_id(c.conn(), id).await?.ok_or(AppError::NotFound("organization"))?;
                (org.into(), role)
            }
        }),
    };
    if let Some((org, role)) = &current {
        // The page's own use cases check this role again: they find it here.
        actor.roles.set(&org.id, Some(*role));
    }
    let unread = notifications::unread_count(c.conn(), &actor.user_id, org_id).await?;
    Ok(Frame { orgs, unread, current })
}
