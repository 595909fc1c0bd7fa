//! The user as the layers above see it (its own module: the request context holds one).

use chrono::{DateTime, Utc};
use sellcast_store::users::UserRow;
use serde::Serialize;

/// A user as the layers above see it: no password hash, no TOTP secret.
#[derive(Debug, Clone, Serialize)]
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

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            email: r.email,
            name: r.name,
            timezone: r.timezone,
            is_instance_admin: r.is_instance_admin,
            mfa_enabled: r.totp_enabled,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}
