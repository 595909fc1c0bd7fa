//! Reading a post the way the use cases hand it out, and what they record beside a change.

use super::input::VariantInput;
use super::view::{PostView, VariantView};
use crate::audit::{self, Entry};
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use sellcast_store::channels::{self, ChannelRow};
use sellcast_store::posts::{self, PostRow, VariantOnChannelRow};
use sellcast_store::Conn;
use serde_json::Value;
use std::collections::HashMap;

/// One post as the use cases hand it out.
pub(crate) async fn load_view(c: Conn<'_>, post: PostRow) -> AppResult<PostView> {
    load_views(c, vec![post]).await?.pop().ok_or_else(|| AppError::internal("a loaded post vanished"))
}

/// These posts as the use cases hand them out, in the same order, in two statements whatever
/// their number: their variants (with what the view shows of each channel), and their media.
pub(crate) async fn load_views(mut c: Conn<'_>, rows: Vec<PostRow>) -> AppResult<Vec<PostView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|p| p.id.clone()).collect();
    let variants = posts::variants_on_channels_of_posts(c.re(), &ids).await?;
    let media = posts::media_of_posts(c, &ids).await?;
    Ok(assemble(rows, variants, media))
}

/// Posts with their variants (grouped by post) and their (post, media) pairs, as views, in the
/// posts' order.
pub(crate) fn assemble(
    rows: Vec<PostRow>,
    variant_rows: Vec<VariantOnChannelRow>,
    media_pairs: Vec<(String, String)>,
) -> Vec<PostView> {
    let mut variants: HashMap<String, Vec<VariantOnChannelRow>> = HashMap::new();
    for v in variant_rows {
        variants.entry(v.variant.post_id.clone()).or_default().push(v);
    }
    let mut media: HashMap<String, Vec<String>> = HashMap::new();
    for (post_id, media_id) in media_pairs {
        media.entry(post_id).or_default().push(media_id);
    }
    rows.into_iter()
        .map(|post| {
            let variants = variants
                .remove(&post.id)
                .unwrap_or_default()
                .into_iter()
                .map(|v| {
                    // A channel of another org is never shown.
                    let shown = v.channel_org_id.as_deref() == Some(post.org_id.as_str());
                    let (platform, channel_handle) = if shown {
                        (v.channel_platform.unwrap_or_default(), v.channel_handle.unwrap_or_default())
                    } else {
                        Default::default()
                    };
                    VariantView { variant: v.variant.into(), platform, channel_handle }
                })
                .collect();
            let media_ids = media.remove(&post.id).unwrap_or_default();
            PostView { post: post.into(), media_ids, variants }
        })
        .collect()
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
