//! Reading a post the way the use cases hand it out, and what they record beside a change.

use super::input::VariantInput;
use super::view::{PostView, VariantView};
use crate::audit::{self, Entry};
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use sellcast_store::channels::{self, ChannelRow};
use sellcast_store::posts::{self, PostRow};
use sellcast_store::Conn;
use serde_json::Value;

pub(crate) async fn load_view(mut c: Conn<'_>, post: PostRow) -> AppResult<PostView> {
    let media_ids = posts::media_of(c.re(), &post.id).await?;
    let mut variants = Vec::new();
    for v in posts::variants_of(c.re(), &post.id).await? {
        let ch = channels::by_id(c.re(), &post.org_id, &v.channel_id).await?;
        let (platform, channel_handle) = ch.map(|c| (c.platform, c.handle)).unwrap_or_default();
        variants.push(VariantView { variant: v.into(), platform, channel_handle });
    }
    Ok(PostView { post: post.into(), media_ids, variants })
}

pub(crate) async fn current_inputs(c: Conn<'_>, post_id: &str) -> AppResult<Vec<VariantInput>> {
    Ok(posts::variants_of(c, post_id)
        .await?
        .into_iter()
        .map(|v| VariantInput {
            channel_id: v.channel_id,
            text: v.text,
            media_ids: v.media_ids,
            first_comment: v.first_comment,
            options: Some(v.options),
        })
        .collect())
}

pub(crate) async fn record(c: Conn<'_>, actor: &Actor, post: &PostRow, action: &str, changes: Value) -> AppResult<()> {
    audit::record(
        c,
        Some(actor),
        post.updated_at,
        Entry { org_id: Some(&post.org_id), action, entity_type: "post", entity_id: Some(&post.id), changes },
    )
    .await
}

/// The channels of the org by id (for validation and views).
pub(crate) async fn channel(c: Conn<'_>, org_id: &str, id: &str) -> AppResult<ChannelRow> {
    channels::by_id(c, org_id, id)
        .await?
        .ok_or_else(|| AppError::validation("variants", format!("channel {id} is not connected to this organization")))
}
