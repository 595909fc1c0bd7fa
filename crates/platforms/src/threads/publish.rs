//! Threads publishing: container(s), wait, `threads_publish`, then the first comment as a reply.

use super::{ThreadsConfig, MAX_CAROUSEL_ITEMS, MAX_TEXT_CHARS};
use crate::adapter::{MediaItem, MediaKind, PublishRequest, Published};
use crate::client::{Effect, HttpClient};
use crate::error::{PlatformError, PlatformResult};
use crate::meta::{graph_get, graph_post, node_id, wait_for_container, ContainerKind, ContainerPolling, Created};
use serde_json::Value;

/// One Threads account's publishing calls.
struct Publisher<'a> {
    http: &'a HttpClient,
    config: &'a ThreadsConfig,
    polling: ContainerPolling,
    user: &'a str,
    token: &'a str,
}

pub(super) async fn publish(
    http: &HttpClient,
    config: &ThreadsConfig,
    polling: ContainerPolling,
    user: &str,
    token: &str,
    req: &PublishRequest,
) -> PlatformResult<Published> {
    check_request(req)?;
    let p = Publisher { http, config, polling, user, token };
    let container = match req.media.as_slice() {
        [] => p.create(&[("media_type", "TEXT".into()), ("text", req.text.clone())]).await?,
        [single] => {
            let mut fields = media_fields(single);
            fields.push(("text", req.text.clone()));
            p.create(&fields).await?
        }
        many => {
            let mut children = Vec::with_capacity(many.len());
            for item in many {
                let mut fields = media_fields(item);
                fields.push(("is_carousel_item", "true".into()));
                let child = p.create(&fields).await?;
                p.wait(&child).await?;
                children.push(child);
            }
            let fields =
                [("media_type", "CAROUSEL".into()), ("children", children.join(",")), ("text", req.text.clone())];
            p.create(&fields).await?
        }
    };
    let id = p.publish(container).await?;

    // The post exists from here on: nothing below may fail the publish.
    let permalink = p.permalink(&id).await;
    if let Some(reply) = req.first_comment.as_deref().filter(|c| !c.trim().is_empty()) {
        if let Err(e) = p.reply(&id, reply).await {
            tracing::warn!(platform = "threads", post_id = %id, error = %e, "the first comment could not be posted");
        }
    }
    Ok(Published { platform_post_id: id, url: permalink })
}

fn check_request(req: &PublishRequest) -> PlatformResult<()> {
    let chars = req.text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(PlatformError::permanent(
            None,
            format!("Threads posts are limited to {MAX_TEXT_CHARS} characters ({chars} given)"),
        ));
    }
    if req.media.len() > MAX_CAROUSEL_ITEMS {
        return Err(PlatformError::permanent(
            None,
            format!("a Threads carousel holds at most {MAX_CAROUSEL_ITEMS} items ({} given)", req.media.len()),
        ));
    }
    if req.media.is_empty() && req.text.trim().is_empty() {
        return Err(PlatformError::permanent(None, "a Threads post needs text or media"));
    }
    Ok(())
}

fn media_fields(item: &MediaItem) -> Vec<(&'static str, String)> {
    match item.kind {
        MediaKind::Image => vec![("media_type", "IMAGE".into()), ("image_url", item.public_url.clone())],
        MediaKind::Video => vec![("media_type", "VIDEO".into()), ("video_url", item.public_url.clone())],
    }
}

impl Publisher<'_> {
    /// Containers are invisible until published, so a lost answer here is simply retried.
    async fn create(&self, fields: &[(&str, String)]) -> PlatformResult<String> {
        let url = self.config.api(&format!("{}/threads", self.user));
        let created: Created = graph_post(self.http, &url, self.token, fields, Effect::Read).await?;
        Ok(created.id)
    }

    async fn wait(&self, container: &str) -> PlatformResult<()> {
        let url = self.config.api(node_id(container)?);
        wait_for_container(self.http, &url, self.token, ContainerKind::Threads, self.polling).await
    }

    /// Wait for the container, then publish it: the call whose lost answer is an unknown outcome.
    async fn publish(&self, container: String) -> PlatformResult<String> {
        self.wait(&container).await?;
        let url = self.config.api(&format!("{}/threads_publish", self.user));
        let published: Created =
            graph_post(self.http, &url, self.token, &[("creation_id", container)], Effect::Create).await?;
        Ok(published.id)
    }

    async fn permalink(&self, id: &str) -> Option<String> {
        let url = self.config.api(node_id(id).ok()?);
        let v: Value = graph_get(self.http, &url, self.token, &[("fields", "permalink")]).await.ok()?;
        v.get("permalink").and_then(Value::as_str).map(str::to_string)
    }

    /// https://developers.facebook.com/docs/threads/reply-management#respond-to-replies
    async fn reply(&self, to: &str, text: &str) -> PlatformResult<String> {
        let fields = [("media_type", "TEXT".into()), ("text", text.to_string()), ("reply_to_id", to.to_string())];
        let container = self.create(&fields).await?;
        self.publish(container).await
    }
}
