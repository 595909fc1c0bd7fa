//! Extractors that load what a signed-in page needs: the viewer, the frame (`Shell`) and, under
//! `/o/{org_id}/…`, the workspace with the viewer's role (non-members get a 404, as in the API).

use super::error::{WebError, WebResult};
use super::layout::{OrgNav, Shell};
use super::session::Viewer;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sellcast_app::orgs::Org;
use sellcast_app::{workspace, Actor, AppError};
use sellcast_domain::{Permission, Role};
use std::collections::HashMap;

/// The frame around the viewer's pages: who they are, their workspaces, their unread count.
fn shell(viewer: &Viewer, org: Option<OrgNav>, orgs: Vec<(String, String)>, unread: i64) -> Shell {
    Shell {
        user_name: viewer.user.name.clone(),
        user_email: viewer.user.email.clone(),
        is_instance_admin: viewer.user.is_instance_admin,
        csrf: viewer.csrf.clone(),
        flash: viewer.flash.clone(),
        org,
        orgs,
        unread,
        timezone: viewer.user.timezone.clone(),
    }
}

/// A signed-in page outside any workspace (account, notifications, admin).
pub struct Signed {
    pub viewer: Viewer,
    pub shell: Shell,
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> WebResult<Self> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        let frame = workspace::frame(&state.app, &viewer.actor, None).await?;
        let orgs = frame.orgs.into_iter().map(|o| (o.id, o.name)).collect();
        let shell = shell(&viewer, None, orgs, frame.unread);
        Ok(Signed { viewer, shell })
    }
}

/// A page under `/o/{org_id}/…`.
pub struct OrgScope {
    pub viewer: Viewer,
    pub org: Org,
    pub role: Role,
    pub shell: Shell,
}

impl OrgScope {
    pub fn actor(&self) -> &Actor {
        &self.viewer.actor
    }

    pub fn org_id(&self) -> &str {
        &self.org.id
    }

    /// 403 page unless the viewer's role allows `p` (the app layer checks again).
    pub fn require(&self, p: Permission) -> WebResult<()> {
        if self.role.can(p) {
            Ok(())
        } else {
            Err(WebError::forbidden(format!("Your role ({}) does not allow this in {}.", self.role, self.org.name)))
        }
    }

    pub fn path(&self, rest: &str) -> String {
        format!("/o/{}{rest}", self.org.id)
    }
}

impl FromRequestParts<AppState> for OrgScope {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> WebResult<Self> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        let params = axum::extract::Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| WebError::not_found())?;
        let org_id = params.0.get("org_id").cloned().ok_or_else(WebError::not_found)?;
        let frame = workspace::frame(&state.app, &viewer.actor, Some(&org_id)).await.map_err(|e| match e {
            AppError::NotFound(_) | AppError::Forbidden(_) => WebError::not_found(),
            other => other.into(),
        })?;
        let (org, role) = frame.current.ok_or_else(WebError::not_found)?;
        let orgs = frame.orgs.into_iter().map(|o| (o.id, o.name)).collect();
        let nav = OrgNav { id: org.id.clone(), name: org.name.clone(), role };
        let shell = shell(&viewer, Some(nav), orgs, frame.unread);
        Ok(OrgScope { viewer, org, role, shell })
    }
}
