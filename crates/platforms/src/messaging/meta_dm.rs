//! Instagram and Messenger conversations through the Graph API: direct messages
//! (`POST /{page-or-ig-id}/messages`), private replies to a comment (recipient `comment_id`),
//! public replies under a comment, and the Page's webhook subscription.
//!
//! A message answers someone who wrote in the last 24 hours (`messaging_type: RESPONSE`); the
//! `HUMAN_AGENT` tag (`messaging_type: MESSAGE_TAG`) stretches that to 7 days for replies a
//! person writes. Outside it the networks answer code 10 (subcode 2018278 on Messenger,
//! 2534022 on Instagram): `super::is_outside_window` tells.

use super::{check_text, post_json, require_success, SentMessage};
use crate::client::{Effect, HttpClient};
use crate::error::{PlatformError, PlatformResult};
use crate::meta::{node_id, MetaConfig};
use sellcast_domain::Platform;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Messenger's text limit (Instagram's is 1,000 bytes, checked by Instagram).
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// Instagram comments; Facebook takes longer ones, Sellcast keeps one limit.
pub const MAX_COMMENT_CHARS: usize = 2200;

/// The tag for replies written by a person, up to 7 days after the customer's last message.
pub const HUMAN_AGENT: &str = "HUMAN_AGENT";

/// `attachment.type` of the Send API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentType {
    Image,
    Audio,
    Video,
    /// A document (Messenger; Instagram refuses it).
    File,
}

impl AttachmentType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentType::Image => "image",
            AttachmentType::Audio => "audio",
            AttachmentType::Video => "video",
            AttachmentType::File => "file",
        }
    }
}

/// A text to someone who wrote to the Page or the Instagram account (`recipient_id`: PSID or IGSID).
#[allow(clippy::too_many_arguments)]
pub async fn send_text(
    http: &HttpClient,
    cfg: &MetaConfig,
    token: &str,
    account_or_page_id: &str,
    recipient_id: &str,
    text: &str,
    tag: Option<&str>,
) -> PlatformResult<SentMessage> {
    check_text(text, MAX_MESSAGE_CHARS, "message")?;
    send(http, cfg, token, account_or_page_id, recipient_id, json!({ "text": text }), tag).await
}

/// An image, audio, video or file by public URL (the network fetches it).
#[allow(clippy::too_many_arguments)]
pub async fn send_attachment(
    http: &HttpClient,
    cfg: &MetaConfig,
    token: &str,
    account_or_page_id: &str,
    recipient_id: &str,
    kind: AttachmentType,
    url: &str,
    tag: Option<&str>,
) -> PlatformResult<SentMessage> {
    if url.trim().is_empty() {
        return Err(PlatformError::permanent(None, "the attachment URL is missing"));
    }
    let message = json!({ "attachment": { "type": kind.as_str(), "payload": { "url": url } } });
    send(http, cfg, token, account_or_page_id, recipient_id, message, tag).await
}

async fn send(
    http: &HttpClient,
    cfg: &MetaConfig,
    token: &str,
    account_or_page_id: &str,
    recipient_id: &str,
    message: Value,
    tag: Option<&str>,
) -> PlatformResult<SentMessage> {
    if recipient_id.trim().is_empty() {
        return Err(PlatformError::permanent(None, "the message recipient is missing"));
    }
    let mut body = json!({ "recipient": { "id": recipient_id }, "message": message, "messaging_type": "RESPONSE" });
    if let Some(tag) = tag {
        // Tags are upper-case words (HUMAN_AGENT, ACCOUNT_UPDATE…).
        if tag.is_empty() || !tag.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            return Err(PlatformError::permanent(None, format!("{tag:?} is not a message tag")));
        }
        body["messaging_type"] = json!("MESSAGE_TAG");
        body["tag"] = json!(tag);
    }
    post_message(http, cfg, token, account_or_page_id, &body).await
}

/// One private message to the author of a comment on the Page's (or its Instagram account's)
/// post, within 7 days of the comment; one per comment.
pub async fn private_reply(
    http: &HttpClient,
    cfg: &MetaConfig,
    token: &str,
    page_id: &str,
    comment_id: &str,
    text: &str,
) -> PlatformResult<SentMessage> {
    check_text(text, MAX_MESSAGE_CHARS, "private reply")?;
    let body = json!({ "recipient": { "comment_id": node_id(comment_id)? }, "message": { "text": text } });
    post_message(http, cfg, token, page_id, &body).await
}

async fn post_message(
    http: &HttpClient,
    cfg: &MetaConfig,
    token: &str,
    account_or_page_id: &str,
    body: &Value,
) -> PlatformResult<SentMessage> {
    let url = cfg.graph(&format!("{}/messages", node_id(account_or_page_id)?));
    let answer: Value = post_json(http, &url, token, body, Effect::Create).await?;
    match answer.get("message_id").and_then(Value::as_str).filter(|id| !id.is_empty()) {
        Some(id) => Ok(SentMessage { platform_message_id: id.to_string() }),
        None => Err(PlatformError::unknown(format!("the message was accepted without an id: {answer}"))),
    }
}

/// A public reply under a comment: Instagram `POST /{comment-id}/replies`, Facebook
/// `POST /{comment-id}/comments`, both with `message`. The answer's `id` is the new comment.
pub async fn reply_to_comment(
    http: &HttpClient,
    cfg: &MetaConfig,
    token: &str,
    platform: Platform,
    comment_id: &str,
    text: &str,
) -> PlatformResult<SentMessage> {
    check_text(text, MAX_COMMENT_CHARS, "comment reply")?;
    let edge = match platform {
        Platform::Instagram => "replies",
        Platform::Facebook => "comments",
        other => return Err(PlatformError::unsupported(format!("{} comments cannot be answered here", other.label()))),
    };
    let url = cfg.graph(&format!("{}/{edge}", node_id(comment_id)?));
    let answer: Value = post_json(http, &url, token, &json!({ "message": text }), Effect::Create).await?;
    match answer.get("id").and_then(Value::as_str).filter(|id| !id.is_empty()) {
        Some(id) => Ok(SentMessage { platform_message_id: id.to_string() }),
        None => Err(PlatformError::unknown(format!("the reply was accepted without an id: {answer}"))),
    }
}

/// Subscribe the app to the Page's webhook fields (e.g. `messages`, `feed`); an Instagram
/// account linked to the Page is reached through the same subscription.
pub async fn subscribe(
    http: &HttpClient,
    cfg: &MetaConfig,
    token: &str,
    page_id: &str,
    fields: &[&str],
) -> PlatformResult<()> {
    let valid = |f: &&str| !f.is_empty() && f.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    if fields.is_empty() || !fields.iter().all(valid) {
        return Err(PlatformError::permanent(None, format!("invalid webhook fields {fields:?}")));
    }
    let url = cfg.graph(&format!("{}/subscribed_apps", node_id(page_id)?));
    let body = json!({ "subscribed_fields": fields.join(",") });
    let answer: Value = post_json(http, &url, token, &body, Effect::Read).await?;
    require_success(&answer, "subscribing to the Page's webhooks")
}
