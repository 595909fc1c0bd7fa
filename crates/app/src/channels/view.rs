//! What the layers above see of a channel: everything but its sealed credentials and key id.

use chrono::{DateTime, Utc};
use sellcast_domain::ChannelStatus;
use sellcast_store::channels::{ChannelFilter, ChannelRow};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Channel {
    pub id: String,
    pub org_id: String,
    pub client_id: Option<String>,
    /// The `Platform`'s name.
    pub platform: String,
    pub account_id: String,
    /// The Mastodon instance or Bluesky PDS; empty for platforms with one server.
    pub server_url: String,
    pub handle: String,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
    pub profile_url: Option<String>,
    pub status: ChannelStatus,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub token_issued_at: Option<DateTime<Utc>>,
    pub last_refresh_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub connected_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Channel {
    /// Posts can target it (WhatsApp channels are for conversations only).
    pub fn publishes(&self) -> bool {
        self.platform.parse::<sellcast_domain::Platform>().is_ok_and(|p| p.publishes())
    }
}

impl From<ChannelRow> for Channel {
    fn from(r: ChannelRow) -> Self {
        Channel {
            id: r.id,
            org_id: r.org_id,
            client_id: r.client_id,
            platform: r.platform,
            account_id: r.account_id,
            server_url: r.server_url,
            handle: r.handle,
            display_name: r.display_name,
            avatar_url: r.avatar_url,
            profile_url: r.profile_url,
            status: r.status,
            token_expires_at: r.token_expires_at,
            token_issued_at: r.token_issued_at,
            last_refresh_at: r.last_refresh_at,
            last_error: r.last_error,
            connected_by: r.connected_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Which channels of an org to list; every field narrows.
#[derive(Debug, Default, Clone, Copy)]
pub struct ChannelQuery<'a> {
    pub platform: Option<&'a str>,
    pub status: Option<ChannelStatus>,
    pub client_id: Option<&'a str>,
}

impl<'a> From<&ChannelQuery<'a>> for ChannelFilter<'a> {
    fn from(q: &ChannelQuery<'a>) -> Self {
        ChannelFilter { platform: q.platform, status: q.status, client_id: q.client_id }
    }
}
