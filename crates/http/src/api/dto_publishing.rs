//! Response shapes of channels, media, posts, calendar and notifications. Credentials, key
//! ids and blob keys never appear in any of them.

use chrono::{DateTime, Utc};
use sellcast_app::calendar::{CalendarChannel, CalendarPost, Day};
use sellcast_app::channels::Health;
use sellcast_app::posts::{PostView, VariantView};
use sellcast_app::{channels, media, notifications};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
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

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelList {
    pub items: Vec<Channel>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

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

/// What an OAuth callback connected.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthConnected {
    pub org_id: String,
    pub channels: Vec<Channel>,
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

/// One derived copy of an image (thumbnail, or the copy a platform receives).
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaVariantInfo {
    pub mime: Option<String>,
    pub width: Option<u64>,
    pub height: Option<u64>,
    pub bytes: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Media {
    pub id: String,
    /// image or video.
    pub kind: String,
    /// Decided by the file's bytes, not its name.
    pub mime: String,
    pub bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub filename: String,
    pub alt_text: String,
    /// processing (variants being made), ready or failed.
    pub status: String,
    /// Why processing failed.
    pub error: Option<String>,
    /// Derived copies by name: `thumbnail` and one per platform.
    pub variants: BTreeMap<String, MediaVariantInfo>,
    pub client_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The original's bytes (needs the bearer token).
    pub url: String,
    /// The thumbnail's bytes (the original until it is made); null for videos.
    pub thumbnail_url: Option<String>,
}

impl Media {
    pub fn from_view(m: media::Media, public_url: &str) -> Self {
        let url = format!("{public_url}/api/v1/orgs/{}/media/{}/content", m.org_id, m.id);
        let thumbnail_url = (m.kind == "image").then(|| format!("{url}?variant=thumbnail"));
        let variants = m
            .variants
            .as_object()
            .map(|map| {
                map.iter()
                    .map(|(name, v)| {
                        let info = MediaVariantInfo {
                            mime: v.get("mime").and_then(Value::as_str).map(str::to_string),
                            width: v.get("width").and_then(Value::as_u64),
                            height: v.get("height").and_then(Value::as_u64),
                            bytes: v.get("bytes").and_then(Value::as_u64),
                        };
                        (name.clone(), info)
                    })
                    .collect()
            })
            .unwrap_or_default();
        Media {
            id: m.id,
            kind: m.kind,
            mime: m.mime,
            bytes: m.bytes,
            width: m.width,
            height: m.height,
            filename: m.filename,
            alt_text: m.alt_text,
            status: m.status.to_string(),
            error: m.error,
            variants,
            client_id: m.client_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            url,
            thumbnail_url,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MediaList {
    pub items: Vec<Media>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The post as it goes to one channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostVariant {
    pub id: String,
    pub channel_id: String,
    pub platform: String,
    pub channel_handle: String,
    /// Null: the post's text.
    pub text: Option<String>,
    /// Null: all the post's media.
    pub media_ids: Option<Vec<String>>,
    pub first_comment: Option<String>,
    /// Platform options.
    #[schema(value_type = Object)]
    pub options: Value,
    /// draft, scheduled, publishing, unconfirmed, held, published or failed.
    pub status: String,
    pub platform_post_id: Option<String>,
    pub platform_url: Option<String>,
    /// The platform's message when publishing failed.
    pub error: Option<String>,
    pub attempts: i32,
    pub first_attempt_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<VariantView> for PostVariant {
    fn from(v: VariantView) -> Self {
        let r = v.variant;
        PostVariant {
            id: r.id,
            channel_id: r.channel_id,
            platform: v.platform,
            channel_handle: v.channel_handle,
            text: r.text,
            media_ids: r.media_ids,
            first_comment: r.first_comment,
            options: r.options,
            status: r.status.to_string(),
            platform_post_id: r.platform_post_id,
            platform_url: r.platform_url,
            error: r.error,
            attempts: r.attempts,
            first_attempt_at: r.first_attempt_at,
            published_at: r.published_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Post {
    pub id: String,
    pub org_id: String,
    pub client_id: Option<String>,
    pub author_id: Option<String>,
    pub text: String,
    pub tags: Vec<String>,
    pub campaign: Option<String>,
    /// draft, scheduled, publishing, published, partially_published or failed.
    pub status: String,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// In order.
    pub media_ids: Vec<String>,
    /// One per target channel.
    pub variants: Vec<PostVariant>,
}

impl From<PostView> for Post {
    fn from(v: PostView) -> Self {
        let p = v.post;
        Post {
            id: p.id,
            org_id: p.org_id,
            client_id: p.client_id,
            author_id: p.author_id,
            text: p.text,
            tags: p.tags,
            campaign: p.campaign,
            status: p.status.to_string(),
            scheduled_at: p.scheduled_at,
            published_at: p.published_at,
            created_at: p.created_at,
            updated_at: p.updated_at,
            media_ids: v.media_ids,
            variants: v.variants.into_iter().map(PostVariant::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostList {
    pub items: Vec<Post>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarChannelEntry {
    pub channel_id: String,
    pub platform: String,
    pub handle: String,
    /// The variant's status on this channel.
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarEntry {
    pub id: String,
    pub status: String,
    pub scheduled_at: DateTime<Utc>,
    /// HH:MM in the requested timezone.
    pub local_time: String,
    /// The first 280 characters.
    pub text: String,
    pub client_id: Option<String>,
    pub channels: Vec<CalendarChannelEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDay {
    /// YYYY-MM-DD in the requested timezone.
    pub date: String,
    pub posts: Vec<CalendarEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Calendar {
    /// The IANA timezone the days are in.
    pub tz: String,
    pub days: Vec<CalendarDay>,
}

fn calendar_channel(c: CalendarChannel) -> CalendarChannelEntry {
    CalendarChannelEntry {
        channel_id: c.channel_id,
        platform: c.platform,
        handle: c.handle,
        status: c.status.to_string(),
    }
}

fn calendar_entry(p: CalendarPost) -> CalendarEntry {
    CalendarEntry {
        id: p.id,
        status: p.status.to_string(),
        scheduled_at: p.scheduled_at,
        local_time: p.local_time,
        text: p.text,
        client_id: p.client_id,
        channels: p.channels.into_iter().map(calendar_channel).collect(),
    }
}

impl Calendar {
    pub fn new(tz: String, days: Vec<Day>) -> Self {
        let days = days
            .into_iter()
            .map(|d| CalendarDay { date: d.date, posts: d.posts.into_iter().map(calendar_entry).collect() })
            .collect();
        Calendar { tz, days }
    }
}

/// The secret iCal URL; shown only in this response.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeed {
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Notification {
    pub id: String,
    pub org_id: Option<String>,
    /// e.g. post.failed, channel.needs_reconnect.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// A path in the web UI.
    pub link: Option<String>,
    #[schema(value_type = Object)]
    pub data: Value,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<notifications::Notification> for Notification {
    fn from(n: notifications::Notification) -> Self {
        Notification {
            id: n.id,
            org_id: n.org_id,
            kind: n.kind,
            title: n.title,
            body: n.body,
            link: n.link,
            data: n.data,
            read_at: n.read_at,
            created_at: n.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<Notification>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Unread notifications in this organization (all pages).
    pub unread_count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    /// How many notifications changed from unread to read.
    pub marked: u64,
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

/// Distinguish "absent" (leave as is) from `null` (clear) in a PATCH body.
pub fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    <Option<String> as serde::Deserialize>::deserialize(d).map(Some)
}

/// A platform name from input, with an error that lists the ones Sellcast knows.
pub fn parse_platform(field: &str, raw: &str) -> Result<sellcast_domain::Platform, crate::error::ApiError> {
    raw.trim().to_ascii_lowercase().parse().map_err(|_| {
        let known: Vec<&str> = sellcast_domain::Platform::ALL.iter().map(|p| p.as_str()).collect();
        crate::error::ApiError::field(field, &format!("must be one of {}", known.join(", ")))
    })
}
