//! What the posts endpoints answer: a post with its variants, one per channel.

use crate::api::shared::list_of;
use chrono::{DateTime, Utc};
use sellcast_app::posts::{PostView, VariantView};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

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

list_of!(PostList, Post);
