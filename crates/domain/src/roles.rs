//! Roles and the permission matrix (seed 002, "Permission System"), kept in this one place.
//! Sellcast adds permissions the seed's product lacked (clients, audit log, org deletion);
//! each is granted in the spirit of the seed's tiers.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Manager,
    Editor,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Owner, Role::Admin, Role::Manager, Role::Editor, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }

    /// Rank for "at least" comparisons: owner 4 … viewer 0.
    pub fn rank(self) -> u8 {
        match self {
            Role::Owner => 4,
            Role::Admin => 3,
            Role::Manager => 2,
            Role::Editor => 1,
            Role::Viewer => 0,
        }
    }

    pub fn can(self, permission: Permission) -> bool {
        permissions_of(self).contains(&permission)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or(())
    }
}

/// What the store decodes a role column with.
impl TryFrom<String> for Role {
    type Error = crate::text_enum::UnknownValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse().map_err(|()| crate::text_enum::UnknownValue {
            kind: "Role",
            value: s.chars().take(40).collect(),
            expected: &["owner", "admin", "manager", "editor", "viewer"],
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    #[serde(rename = "post:create")]
    PostCreate,
    #[serde(rename = "post:read")]
    PostRead,
    #[serde(rename = "post:update")]
    PostUpdate,
    #[serde(rename = "post:delete")]
    PostDelete,
    #[serde(rename = "post:publish")]
    PostPublish,
    #[serde(rename = "analytics:view")]
    AnalyticsView,
    #[serde(rename = "analytics:export")]
    AnalyticsExport,
    #[serde(rename = "team:invite")]
    TeamInvite,
    #[serde(rename = "team:manage")]
    TeamManage,
    #[serde(rename = "settings:view")]
    SettingsView,
    #[serde(rename = "settings:update")]
    SettingsUpdate,
    #[serde(rename = "billing:view")]
    BillingView,
    #[serde(rename = "billing:manage")]
    BillingManage,
    // Sellcast additions.
    #[serde(rename = "client:read")]
    ClientRead,
    #[serde(rename = "client:manage")]
    ClientManage,
    #[serde(rename = "audit:view")]
    AuditView,
    #[serde(rename = "org:delete")]
    OrgDelete,
    /// See the inbox: conversations and messages.
    #[serde(rename = "inbox:read")]
    InboxRead,
    /// Answer customers and triage conversations (status, read marks).
    #[serde(rename = "inbox:reply")]
    InboxReply,
}

use Permission::*;

const OWNER: &[Permission] = &[
    PostCreate,
    PostRead,
    PostUpdate,
    PostDelete,
    PostPublish,
    AnalyticsView,
    AnalyticsExport,
    TeamInvite,
    TeamManage,
    SettingsView,
    SettingsUpdate,
    BillingView,
    BillingManage,
    ClientRead,
    ClientManage,
    AuditView,
    OrgDelete,
    InboxRead,
    InboxReply,
];
const ADMIN: &[Permission] = &[
    PostCreate,
    PostRead,
    PostUpdate,
    PostDelete,
    PostPublish,
    AnalyticsView,
    AnalyticsExport,
    TeamInvite,
    SettingsView,
    SettingsUpdate,
    ClientRead,
    ClientManage,
    AuditView,
    InboxRead,
    InboxReply,
];
const MANAGER: &[Permission] = &[
    PostCreate,
    PostRead,
    PostUpdate,
    PostPublish,
    AnalyticsView,
    TeamInvite,
    ClientRead,
    ClientManage,
    InboxRead,
    InboxReply,
];
const EDITOR: &[Permission] = &[PostCreate, PostRead, PostUpdate, AnalyticsView, ClientRead, InboxRead, InboxReply];
const VIEWER: &[Permission] = &[PostRead, AnalyticsView, ClientRead, InboxRead];

pub fn permissions_of(role: Role) -> &'static [Permission] {
    match role {
        Role::Owner => OWNER,
        Role::Admin => ADMIN,
        Role::Manager => MANAGER,
        Role::Editor => EDITOR,
        Role::Viewer => VIEWER,
    }
}

/// Who may hand out which role: nobody grants a role above their own, and only owners
/// (team:manage) create owners.
pub fn can_grant(granter: Role, role: Role) -> bool {
    if role == Role::Owner {
        return granter == Role::Owner;
    }
    granter.can(TeamInvite) && granter.rank() >= role.rank()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole matrix as a table: role → permissions, x = granted.
    #[test]
    fn permission_matrix_matches_seed_002() {
        let table: &[(Permission, [bool; 5])] = &[
            //                 owner  admin  manager editor viewer
            (PostCreate, [true, true, true, true, false]),
            (PostRead, [true, true, true, true, true]),
            (PostUpdate, [true, true, true, true, false]),
            (PostDelete, [true, true, false, false, false]),
            (PostPublish, [true, true, true, false, false]),
            (AnalyticsView, [true, true, true, true, true]),
            (AnalyticsExport, [true, true, false, false, false]),
            (TeamInvite, [true, true, true, false, false]),
            (TeamManage, [true, false, false, false, false]),
            (SettingsView, [true, true, false, false, false]),
            (SettingsUpdate, [true, true, false, false, false]),
            (BillingView, [true, false, false, false, false]),
            (BillingManage, [true, false, false, false, false]),
            (ClientRead, [true, true, true, true, true]),
            (ClientManage, [true, true, true, false, false]),
            (AuditView, [true, true, false, false, false]),
            (OrgDelete, [true, false, false, false, false]),
            (InboxRead, [true, true, true, true, true]),
            (InboxReply, [true, true, true, true, false]),
        ];
        for (perm, row) in table {
            for (role, expected) in Role::ALL.iter().zip(row) {
                assert_eq!(role.can(*perm), *expected, "{role} / {perm:?}");
            }
        }
        let listed: usize = Role::ALL.iter().map(|r| permissions_of(*r).len()).sum();
        let expected: usize = table.iter().map(|(_, r)| r.iter().filter(|x| **x).count()).sum();
        assert_eq!(listed, expected, "matrix has permissions the table does not cover");
    }

    #[test]
    fn granting_never_exceeds_own_role() {
        assert!(can_grant(Role::Owner, Role::Owner));
        assert!(!can_grant(Role::Admin, Role::Owner));
        assert!(can_grant(Role::Admin, Role::Admin));
        assert!(can_grant(Role::Manager, Role::Editor));
        assert!(!can_grant(Role::Manager, Role::Admin));
        assert!(!can_grant(Role::Editor, Role::Viewer));
        assert!(!can_grant(Role::Viewer, Role::Viewer));
    }

    #[test]
    fn roles_round_trip_as_text() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
