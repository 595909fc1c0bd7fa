//! The `post:status` event: a post's overall status and each variant's, written to the org's
//! stream in the transaction that changed any of them.

use super::view::PostView;
use crate::error::AppResult;
use crate::events::{emit, EventData};
use chrono::{DateTime, Utc};
use sellcast_domain::{PostStatus, VariantStatus};
use sellcast_store::posts::{PostRow, VariantRow};
use sellcast_store::Conn;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PostStatusChanged {
    pub post_id: String,
    pub status: PostStatus,
    pub variants: Vec<VariantState>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VariantState {
    pub id: String,
    pub channel_id: String,
    pub status: VariantStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl EventData for PostStatusChanged {
    const KIND: &'static str = "post:status";
}

impl PostStatusChanged {
    /// The event for a post as a use case returns it.
    pub fn of_view(view: &PostView) -> PostStatusChanged {
        PostStatusChanged {
            post_id: view.post.id.clone(),
            status: view.post.status,
            variants: view
                .variants
                .iter()
                .map(|v| VariantState {
                    id: v.variant.id.clone(),
                    channel_id: v.variant.channel_id.clone(),
                    status: v.variant.status,
                    platform_url: v.variant.platform_url.clone(),
                    error: v.variant.error.clone(),
                })
                .collect(),
        }
    }

    /// The event for `post` with these (current) variants.
    pub fn of<'v>(post: &PostRow, variants: impl IntoIterator<Item = &'v VariantRow>) -> PostStatusChanged {
        PostStatusChanged {
            post_id: post.id.clone(),
            status: post.status,
            variants: variants
                .into_iter()
                .map(|v| VariantState {
                    id: v.id.clone(),
                    channel_id: v.channel_id.clone(),
                    status: v.status,
                    platform_url: v.platform_url.clone(),
                    error: v.error.clone(),
                })
                .collect(),
        }
    }
}

/// Emit `post:status` for `post` with these (current) variants.
pub(crate) async fn emit_for_rows<'v>(
    c: Conn<'_>,
    post: &PostRow,
    variants: impl IntoIterator<Item = &'v VariantRow>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    emit(c, &post.org_id, None, &PostStatusChanged::of(post, variants), now).await
}

/// Emit `post:status` for a post as a use case returns it.
pub(crate) async fn emit_for_view(c: Conn<'_>, view: &PostView, now: DateTime<Utc>) -> AppResult<()> {
    emit(c, &view.post.org_id, None, &PostStatusChanged::of_view(view), now).await
}
