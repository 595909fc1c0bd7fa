//! Instagram publishing: check the quota, build the container(s), wait, publish, comment.

use super::{MAX_CAPTION_CHARS, MAX_CAROUSEL_ITEMS, MAX_HASHTAGS};
use crate::adapter::{Credentials, MediaItem, MediaKind, PublishRequest, Published};
use crate::client::{Effect, HttpClient};
use crate::error::{PlatformError, PlatformResult};
use crate::meta::{
    graph_get, graph_post, node_id, wait_for_container, ContainerKind, ContainerPolling, Created, MetaConfig,
};
use chrono::Utc;
use serde_json::Value;

pub(super) async fn publish(
    http: &HttpClient,
    config: &MetaConfig,
    polling: ContainerPolling,
    creds: &Credentials,
    req: &PublishRequest,
) -> PlatformResult<Published> {
    let ig = node_id(&creds.account_id)?;
    let token = creds.access_token.as_str();
    check_request(req)?;
    check_publishing_limit(http, config, ig, token).await?;

    let creation_id = if let [single] = req.media.as_slice() {
        let reel = req.options.get("reel").and_then(Value::as_bool).unwrap_or(false);
        if reel && single.kind != MediaKind::Video {
            return Err(PlatformError::permanent(None, "an Instagram reel needs a video"));
        }
        create_container(http, config, ig, token, &single_fields(single, &req.text)).await?
    } else {
        let mut children = Vec::with_capacity(req.media.len());
        for item in &req.media {
            let child = create_container(http, config, ig, token, &child_fields(item)).await?;
            wait(http, config, &child, token, polling).await?;
            children.push(child);
        }
        let fields = vec![
            ("media_type", "CAROUSEL".to_string()),
            ("children", children.join(",")),
            ("caption", req.text.clone()),
        ];
        create_container(http, config, ig, token, &fields).await?
    };
    wait(http, config, &creation_id, token, polling).await?;

    // The one call that makes the post visible: a lost answer is an unknown outcome.
    let published: Created = graph_post(
        http,
        &config.graph(&format!("{ig}/media_publish")),
        token,
        &[("creation_id", creation_id)],
        Effect::Create,
    )
    .await?;
    let media_id = published.id;

    // From here on the post exists: nothing below may fail the publish.
    let permalink = match node_id(&media_id) {
        Ok(id) => graph_get::<Value>(http, &config.graph(id), token, &[("fields", "permalink")])
            .await
            .ok()
            .and_then(|v| v.get("permalink").and_then(Value::as_str).map(str::to_string)),
        Err(_) => None,
    };
    if let Some(comment) = req.first_comment.as_deref().filter(|c| !c.trim().is_empty()) {
        if let Err(e) = comment_on(http, config, &media_id, token, comment).await {
            tracing::warn!(platform = "instagram", post_id = %media_id, error = %e, "the first comment could not be posted");
        }
    }
    Ok(Published { platform_post_id: media_id, url: permalink })
}

/// What Instagram would refuse anyway, refused before any call.
fn check_request(req: &PublishRequest) -> PlatformResult<()> {
    if req.media.is_empty() {
        return Err(PlatformError::permanent(None, "Instagram posts need at least one image or video"));
    }
    if req.media.len() > MAX_CAROUSEL_ITEMS {
        return Err(PlatformError::permanent(
            None,
            format!("an Instagram carousel holds at most {MAX_CAROUSEL_ITEMS} items ({} given)", req.media.len()),
        ));
    }
    let chars = req.text.chars().count();
    if chars > MAX_CAPTION_CHARS {
        return Err(PlatformError::permanent(
            None,
            format!("Instagram captions are limited to {MAX_CAPTION_CHARS} characters ({chars} given)"),
        ));
    }
    let hashtags = req.text.split_whitespace().filter(|w| w.starts_with('#') && w.chars().count() > 1).count();
    if hashtags > MAX_HASHTAGS {
        return Err(PlatformError::permanent(
            None,
            format!("Instagram allows at most {MAX_HASHTAGS} hashtags per post ({hashtags} given)"),
        ));
    }
    Ok(())
}

/// `GET /{ig-user-id}/content_publishing_limit`: `{"data": [{"quota_usage": n,
/// "config": {"quota_total": m, "quota_duration": 86400}}]}`. The window is a moving 24 hours
/// and the answer does not say when a slot frees up, so Sellcast looks again in an hour.
async fn check_publishing_limit(http: &HttpClient, config: &MetaConfig, ig: &str, token: &str) -> PlatformResult<()> {
    let v: Value = graph_get(
        http,
        &config.graph(&format!("{ig}/content_publishing_limit")),
        token,
        &[("fields", "quota_usage,config")],
    )
    .await?;
    let Some(entry) = v.get("data").and_then(Value::as_array).and_then(|d| d.first()) else { return Ok(()) };
    let usage = entry.get("quota_usage").and_then(Value::as_u64);
    let total = entry.pointer("/config/quota_total").and_then(Value::as_u64);
    if let (Some(usage), Some(total)) = (usage, total) {
        if usage >= total {
            return Err(PlatformError::RateLimited {
                message: format!(
                    "this Instagram account has used its {total} API-published posts of the last 24 hours"
                ),
                retry_at: Some(Utc::now() + chrono::Duration::hours(1)),
            });
        }
    }
    Ok(())
}

fn single_fields(item: &MediaItem, caption: &str) -> Vec<(&'static str, String)> {
    let mut fields = match item.kind {
        MediaKind::Image => vec![("image_url", item.public_url.clone())],
        // Feed videos are published as reels (media_type=VIDEO is no longer accepted for the feed).
        MediaKind::Video => vec![("media_type", "REELS".to_string()), ("video_url", item.public_url.clone())],
    };
    fields.push(("caption", caption.to_string()));
    fields
}

fn child_fields(item: &MediaItem) -> Vec<(&'static str, String)> {
    let mut fields = match item.kind {
        MediaKind::Image => vec![("image_url", item.public_url.clone())],
        MediaKind::Video => vec![("media_type", "VIDEO".to_string()), ("video_url", item.public_url.clone())],
    };
    fields.push(("is_carousel_item", "true".to_string()));
    fields
}

/// Containers are invisible until published, so a lost answer here is simply retried.
async fn create_container(
    http: &HttpClient,
    config: &MetaConfig,
    ig: &str,
    token: &str,
    fields: &[(&str, String)],
) -> PlatformResult<String> {
    let created: Created = graph_post(http, &config.graph(&format!("{ig}/media")), token, fields, Effect::Read).await?;
    Ok(created.id)
}

async fn wait(
    http: &HttpClient,
    config: &MetaConfig,
    container: &str,
    token: &str,
    polling: ContainerPolling,
) -> PlatformResult<()> {
    let url = config.graph(node_id(container)?);
    wait_for_container(http, &url, token, ContainerKind::Instagram, polling).await
}

async fn comment_on(
    http: &HttpClient,
    config: &MetaConfig,
    media_id: &str,
    token: &str,
    text: &str,
) -> PlatformResult<()> {
    let url = config.graph(&format!("{}/comments", node_id(media_id)?));
    let _: Value = graph_post(http, &url, token, &[("message", text.to_string())], Effect::Create).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn request(text: &str, media: usize) -> PublishRequest {
        PublishRequest {
            text: text.into(),
            media: (0..media)
                .map(|i| MediaItem {
                    kind: MediaKind::Image,
                    mime: "image/jpeg".into(),
                    bytes: Arc::new(vec![]),
                    public_url: format!("https://media.example/{i}.jpg"),
                    width: None,
                    height: None,
                    alt_text: None,
                })
                .collect(),
            first_comment: None,
            options: serde_json::json!({}),
            idempotency_key: "k".into(),
            first_attempt_at: Utc::now(),
        }
    }

    #[test]
    fn requests_instagram_would_refuse_are_permanent() {
        assert!(check_request(&request("hi", 1)).is_ok());
        assert!(matches!(check_request(&request("hi", 0)), Err(PlatformError::Permanent { .. })));
        assert!(matches!(check_request(&request("hi", 11)), Err(PlatformError::Permanent { .. })));
        assert!(check_request(&request(&"a".repeat(2200), 1)).is_ok());
        assert!(check_request(&request(&"a".repeat(2201), 1)).is_err());
        let tags: Vec<String> = (0..31).map(|i| format!("#t{i}")).collect();
        assert!(check_request(&request(&tags[..30].join(" "), 1)).is_ok());
        assert!(check_request(&request(&tags.join(" "), 1)).is_err());
    }
}
