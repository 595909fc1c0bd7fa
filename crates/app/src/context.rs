//! Who is asking and from where: carried into every use case for permission checks and the
//! audit log.

use sellcast_domain::Role;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// An authenticated user making a request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub session_id: Option<String>,
    pub is_instance_admin: bool,
    pub meta: RequestMeta,
    /// The org role this request already read (an Actor lives for one request).
    pub roles: RoleMemo,
    /// The account as authentication read it in this request (`/me` answers from it).
    pub signed_in: Option<Arc<crate::user::User>>,
}

/// The caller's role (None: not a member) in the last org this request checked, so a page that
/// calls several use cases reads the membership once; authentication fills it for the org the
/// request's path names. Shared by the clones of one Actor.
#[derive(Debug, Clone, Default)]
pub struct RoleMemo(Arc<Mutex<Option<RoleSeen>>>);

#[derive(Debug)]
struct RoleSeen {
    org_id: String,
    role: Option<Role>,
}

impl RoleMemo {
    /// Outer None: not read yet for this org.
    pub fn get(&self, org_id: &str) -> Option<Option<Role>> {
        let memo = self.0.lock().unwrap_or_else(|p| p.into_inner());
        memo.as_ref().filter(|seen| seen.org_id == org_id).map(|seen| seen.role)
    }

    pub fn set(&self, org_id: &str, role: Option<Role>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(RoleSeen { org_id: org_id.to_string(), role });
    }

    pub fn of(org_id: Option<&str>, role: Option<Role>) -> RoleMemo {
        let memo = RoleMemo::default();
        if let Some(org) = org_id {
            memo.set(org, role);
        }
        memo
    }
}

impl Actor {
    /// A user acting outside an authenticated request (sign-up, sign-in, reset, CLI): what
    /// the audit log needs, no session, no instance-admin rights.
    pub fn of(user_id: &str, meta: &RequestMeta) -> Actor {
        Actor {
            user_id: user_id.to_string(),
            session_id: None,
            is_instance_admin: false,
            meta: meta.clone(),
            roles: RoleMemo::default(),
            signed_in: None,
        }
    }
}
