//! The API's request and response shapes (the contract; store rows never leak through).

use chrono::{DateTime, Utc};
use sellcast_app::{accounts, audit, clients, invites, me, orgs};
use sellcast_domain::pagination::Page;
use sellcast_domain::Role;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

pub fn page(limit: Option<i64>, cursor: Option<&str>) -> Result<Page, ApiError> {
    Page::parse(limit, cursor).map_err(|(field, msg)| ApiError::field(field, &msg))
}

macro_rules! list_of {
    ($name:ident, $item:ty) => {
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; null on the last page.
            pub next_cursor: Option<String>,
        }

        impl $name {
            pub fn new<R>((rows, next_cursor): (Vec<R>, Option<String>)) -> Self
            where
                $item: From<R>,
            {
                $name { items: rows.into_iter().map(<$item>::from).collect(), next_cursor }
            }
        }
    };
}

#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub timezone: String,
    pub is_instance_admin: bool,
    pub mfa_enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<accounts::User> for User {
    fn from(u: accounts::User) -> Self {
        User {
            id: u.id,
            email: u.email,
            name: u.name,
            timezone: u.timezone,
            is_instance_admin: u.is_instance_admin,
            mfa_enabled: u.mfa_enabled,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Organization {
    pub id: String,
    pub name: String,
    /// The caller's role in this organization.
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Organization {
    pub fn with_role(o: orgs::Org, role: Role) -> Self {
        Organization { id: o.id, name: o.name, role, created_at: o.created_at, updated_at: o.updated_at }
    }
}

impl From<orgs::MyOrg> for Organization {
    fn from(o: orgs::MyOrg) -> Self {
        Organization { id: o.id, name: o.name, role: o.role, created_at: o.created_at, updated_at: o.updated_at }
    }
}
list_of!(OrganizationList, Organization);

#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<orgs::Member> for Member {
    fn from(m: orgs::Member) -> Self {
        Member {
            user_id: m.user_id,
            email: m.email,
            name: m.name,
            role: m.role,
            joined_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}
list_of!(MemberList, Member);

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InviteStatus {
    Pending,
    Accepted,
    Revoked,
    Expired,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Invite {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub role: Role,
    pub status: InviteStatus,
    pub invited_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    /// Present only in the response that created the invite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl Invite {
    /// The invite as of `now` (the app clock, the one accept and preview use).
    pub fn at(i: invites::Invite, now: DateTime<Utc>) -> Self {
        let status = if i.accepted_at.is_some() {
            InviteStatus::Accepted
        } else if i.revoked_at.is_some() {
            InviteStatus::Revoked
        } else if i.expires_at <= now {
            InviteStatus::Expired
        } else {
            InviteStatus::Pending
        };
        Invite {
            id: i.id,
            org_id: i.org_id,
            email: i.email,
            role: i.role,
            status,
            invited_by: i.invited_by,
            created_at: i.created_at,
            expires_at: i.expires_at,
            accepted_at: i.accepted_at,
            token: None,
        }
    }
}
list_of!(InviteList, Invite);

#[derive(Debug, Serialize, ToSchema)]
pub struct Client {
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

impl From<clients::Client> for Client {
    fn from(c: clients::Client) -> Self {
        Client {
            id: c.id,
            org_id: c.org_id,
            name: c.name,
            email: c.email,
            phone: c.phone,
            website: c.website,
            notes: c.notes,
            archived: c.archived,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}
list_of!(ClientList, Client);

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub org_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    /// What changed; secrets are never recorded.
    #[schema(value_type = Object)]
    pub changes: Value,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<audit::AuditEntry> for AuditEntry {
    fn from(a: audit::AuditEntry) -> Self {
        AuditEntry {
            id: a.id,
            org_id: a.org_id,
            actor_id: a.actor_id,
            action: a.action,
            entity_type: a.entity_type,
            entity_id: a.entity_id,
            changes: a.changes,
            ip: a.ip,
            user_agent: a.user_agent,
            request_id: a.request_id,
            created_at: a.created_at,
        }
    }
}
list_of!(AuditList, AuditEntry);

#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session of the access token making this request.
    pub current: bool,
}

impl Session {
    pub fn from_view(s: me::Session, current: Option<&str>) -> Self {
        Session {
            current: current == Some(s.id.as_str()),
            id: s.id,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
            revoked_at: s.revoked_at,
            ip: s.ip,
            user_agent: s.user_agent,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<Session>,
    pub next_cursor: Option<String>,
}
