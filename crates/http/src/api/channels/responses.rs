//! What the channels endpoints answer (and the sandbox network's public post). Credentials
//! and key ids never appear in them.

use crate::api::shared::list_of;
use chrono::{DateTime, Utc};
use sellcast_app::channels::{self, Health};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A connected platform account.
#[derive(Debug, Serialize, ToSchema)]
pub struct Channel {
    pub id: String,
    /// sandbox, bluesky, mastodon, x, linkedin, facebook, instagram or threads.
    pub platform: String,
    /// The account's id on the platform.
    pub account_id: String,
    /// The Mastodon instance or Bluesky PDS; null for platforms with one server.
    pub server_url: Option<String>,
    pub handle: String,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
    pub profile_url: Option<String>,
    /// active, needs_reconnect or disconnected.
    pub status: String,
    pub client_id: Option<String>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub last_refresh_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<channels::Channel> for Channel {
    fn from(c: channels::Channel) -> Self {
        Channel {
            id: c.id,
            platform: c.platform,
            account_id: c.account_id,
            server_url: Some(c.server_url).filter(|s| !s.is_empty()),
            handle: c.handle,
            display_name: c.display_name,
            avatar_url: c.avatar_url,
            profile_url: c.profile_url,
            status: c.status.to_string(),
            client_id: c.client_id,
            token_expires_at: c.token_expires_at,
            last_refresh_at: c.last_refresh_at,
            last_error: c.last_error,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

list_of!(ChannelList, Channel);

/// Channels connected at once (sandbox, Bluesky) or by an OAuth callback.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectedChannels {
    pub channels: Vec<Channel>,
}

/// Where to send the user to authorize Sellcast on the platform.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorizeRedirect {
    pub authorize_url: String,
    /// The authorization must be finished before this time.
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelHealth {
    pub status: String,
    /// The platform answered a profile request with the stored token just now.
    pub reachable: bool,
    /// Why it is not reachable.
    pub detail: Option<String>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub last_refresh_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl From<Health> for ChannelHealth {
    fn from(h: Health) -> Self {
        ChannelHealth {
            status: h.status.to_string(),
            reachable: h.reachable,
            detail: h.detail,
            token_expires_at: h.token_expires_at,
            last_refresh_at: h.last_refresh_at,
            last_error: h.last_error,
        }
    }
}

/// A post on the sandbox network, as "published".
#[derive(Debug, Serialize, ToSchema)]
pub struct SandboxPost {
    pub id: String,
    pub channel_id: String,
    pub text: String,
    /// The attachments as received: mime, bytes, url, alt.
    #[schema(value_type = Vec<Object>)]
    pub media: Value,
    /// The post this one replies to (a first comment).
    pub reply_to: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<channels::sandbox::SandboxPost> for SandboxPost {
    fn from(p: channels::sandbox::SandboxPost) -> Self {
        SandboxPost {
            id: p.id,
            channel_id: p.channel_id,
            text: p.text,
            media: p.media,
            reply_to: p.reply_to,
            created_at: p.created_at,
        }
    }
}

/// A platform name from input, with an error that lists the ones Sellcast knows.
pub fn parse_platform(field: &str, raw: &str) -> Result<sellcast_domain::Platform, crate::error::ApiError> {
    raw.trim().to_ascii_lowercase().parse().map_err(|_| {
        let known: Vec<&str> = sellcast_domain::Platform::ALL.iter().map(|p| p.as_str()).collect();
        crate::error::ApiError::field(field, &format!("must be one of {}", known.join(", ")))
    })
}
