//! What the layers above see of a post: its content, status and one variant per target channel
//! with that channel's platform and handle.

use chrono::{DateTime, Utc};
use sellcast_domain::{PostStatus, VariantStatus};
use sellcast_store::posts::{PostFilter, PostRow, VariantRow};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
pub struct Post {
    pub id: String,
    pub org_id: String,
    pub client_id: Option<String>,
    pub author_id: Option<String>,
    pub text: String,
    pub tags: Vec<String>,
    pub campaign: Option<String>,
    pub status: PostStatus,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<PostRow> for Post {
    fn from(r: PostRow) -> Self {
        Post {
            id: r.id,
            org_id: r.org_id,
            client_id: r.client_id,
            author_id: r.author_id,
            text: r.text,
            tags: r.tags,
            campaign: r.campaign,
            status: r.status,
            scheduled_at: r.scheduled_at,
            published_at: r.published_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The post as it goes to one channel.
#[derive(Debug, Clone, Serialize)]
pub struct Variant {
    pub id: String,
    pub post_id: String,
    pub org_id: String,
    pub channel_id: String,
    /// None: the post's text.
    pub text: Option<String>,
    /// None: all the post's media.
    pub media_ids: Option<Vec<String>>,
    pub first_comment: Option<String>,
    pub options: Value,
    pub status: VariantStatus,
    pub platform_post_id: Option<String>,
    pub platform_url: Option<String>,
    pub error: Option<String>,
    pub attempts: i32,
    pub first_attempt_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<VariantRow> for Variant {
    fn from(r: VariantRow) -> Self {
        Variant {
            id: r.id,
            post_id: r.post_id,
            org_id: r.org_id,
            channel_id: r.channel_id,
            text: r.text,
            media_ids: r.media_ids,
            first_comment: r.first_comment,
            options: r.options,
            status: r.status,
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

/// A variant with what the reader needs about its channel.
#[derive(Debug, Clone, Serialize)]
pub struct VariantView {
    #[serde(flatten)]
    pub variant: Variant,
    pub platform: String,
    pub channel_handle: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PostView {
    #[serde(flatten)]
    pub post: Post,
    pub media_ids: Vec<String>,
    pub variants: Vec<VariantView>,
}

/// Which posts of an org to list; every field narrows.
#[derive(Debug, Default, Clone)]
pub struct PostQuery<'a> {
    /// Any of these (all when empty).
    pub statuses: Vec<PostStatus>,
    pub channel_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub tag: Option<&'a str>,
    /// On `scheduled_at` (unscheduled posts match no range).
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// A lower-cased substring of the text.
    pub text: Option<String>,
}

impl<'a> From<&PostQuery<'a>> for PostFilter<'a> {
    fn from(q: &PostQuery<'a>) -> Self {
        PostFilter {
            statuses: q.statuses.clone(),
            channel_id: q.channel_id,
            client_id: q.client_id,
            tag: q.tag,
            from: q.from,
            to: q.to,
            text: q.text.clone(),
        }
    }
}
