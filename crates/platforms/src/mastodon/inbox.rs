//! The inbox side of Mastodon, which has no webhooks for a user's app: mentions (public ones,
//! replies to the account and direct statuses all arrive as `mention` notifications) read from
//! `GET /api/v1/notifications`, and replies posted with `POST /api/v1/statuses`.
//!
//! The first poll reads the newest page. Later polls read forward from the stored notification
//! id with `min_id` (the page right after it; `since_id` would give the newest page and leave a
//! gap behind it), following the `Link` header's `rel="prev"` to the next newer page.

use super::api::{self, checked_id, Api};
use super::text::plain_text;
use super::MastodonAdapter;
use crate::adapter::{Credentials, Published};
use crate::client::{self, Effect};
use crate::error::{PlatformError, PlatformResult};
use crate::inbound::{Attachment, AttachmentKind, InboundEvent, InboundItem, InboundMessage, Participant};
use crate::inbound::{Polled, ReplyRequest};
use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use sellcast_domain::{ConversationKind, MessageDirection, Platform};
use serde::Deserialize;
use serde_json::{json, Value};
use std::cmp::Ordering;

const PAGE_SIZE: usize = 40;
/// Pages read per poll; the next poll goes on from where this one stopped.
const MAX_PAGES: usize = 5;
/// When a 429 names no reset time (Mastodon's windows are five minutes).
const DEFAULT_PAUSE: chrono::Duration = chrono::Duration::minutes(5);

#[derive(Debug, Deserialize)]
struct Notification {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    status: Option<Status>,
}

#[derive(Debug, Deserialize)]
struct Status {
    id: String,
    created_at: DateTime<Utc>,
    #[serde(default)]
    content: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    in_reply_to_id: Option<String>,
    #[serde(default)]
    in_reply_to_account_id: Option<String>,
    account: Sender,
    #[serde(default)]
    media_attachments: Vec<Value>,
}

#[derive(Debug, Deserialize)]
struct Sender {
    id: String,
    acct: String,
    #[serde(default)]
    display_name: Option<String>,
}

pub(super) async fn poll(m: &MastodonAdapter, creds: &Credentials, cursor: Option<&str>) -> PlatformResult<Polled> {
    let api = m.api(creds)?;
    let mut min_id = match cursor.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(checked_id(c, "notification")?.to_string()),
        None => None,
    };
    let first_poll = min_id.is_none();
    let mut notifications: Vec<Notification> = Vec::new();
    let mut not_before = None;
    for _ in 0..MAX_PAGES {
        let limit = PAGE_SIZE.to_string();
        let mut query = vec![("types[]", "mention"), ("limit", limit.as_str())];
        if let Some(min) = min_id.as_deref() {
            query.push(("min_id", min));
        }
        let resp = client::send(api.get("/api/v1/notifications").query(&query), Effect::Read).await?;
        let resp = match api::checked(resp).await {
            Ok(resp) => resp,
            // What was read so far is contiguous with the cursor: keep it, pause the rest.
            Err(PlatformError::RateLimited { retry_at, .. }) => {
                not_before = Some(retry_at.unwrap_or_else(|| Utc::now() + DEFAULT_PAUSE));
                break;
            }
            Err(e) => return Err(e),
        };
        not_before = budget_spent(resp.headers());
        let newer_page = min_id_of_prev_link(resp.headers());
        let page: Vec<Value> = client::json(resp, Effect::Read).await?;
        let full = page.len() >= PAGE_SIZE;
        notifications.extend(page.into_iter().filter_map(|raw| match serde_json::from_value::<Notification>(raw) {
            Ok(n) => Some(n),
            Err(e) => {
                tracing::warn!(platform = "mastodon", error = %e, "skipped a notification of an unexpected shape");
                None
            }
        }));
        // The first poll reads one page: recent items, never the whole history.
        if first_poll || !full || not_before.is_some() {
            break;
        }
        match newer_page {
            Some(next) => min_id = Some(next),
            None => break,
        }
    }
    notifications.sort_by(|a, b| compare_ids(&a.id, &b.id));
    notifications.dedup_by(|a, b| a.id == b.id);
    let cursor = notifications.last().map(|n| n.id.clone());
    let items = notifications.into_iter().filter_map(|n| to_item(&creds.account_id, n)).collect();
    Ok(Polled { items, cursor, not_before })
}

/// A status answering `req.parent_id`, public unless the conversation is direct. The text is
/// posted as given: Mastodon notifies only the accounts it mentions, so the caller starts it
/// with `@acct` of the person answered.
pub(super) async fn reply(m: &MastodonAdapter, creds: &Credentials, req: &ReplyRequest) -> PlatformResult<Published> {
    let parent = checked_id(&req.parent_id, "status")?;
    if req.text.trim().is_empty() {
        return Err(PlatformError::permanent(None, "a Mastodon reply needs text"));
    }
    let api: Api<'_> = m.api(creds)?;
    let visibility = if req.direct { "direct" } else { "public" };
    let body = json!({ "status": req.text, "in_reply_to_id": parent, "visibility": visibility });
    let status = m.create_status(&api, &body, &req.idempotency_key).await?;
    Ok(status.published())
}

fn to_item(account_id: &str, n: Notification) -> Option<InboundItem> {
    let status = n.status.filter(|_| n.kind == "mention")?;
    if status.account.id == account_id {
        return None;
    }
    let (kind, thread_root_id, parent_id, reply_to_id) = if status.visibility == "direct" {
        (ConversationKind::Direct, None, None, status.in_reply_to_id)
    } else if status.in_reply_to_account_id.as_deref() == Some(account_id) {
        (ConversationKind::Comment, status.in_reply_to_id.clone(), status.in_reply_to_id, None)
    } else {
        (ConversationKind::Mention, None, None, status.in_reply_to_id)
    };
    let message = InboundMessage {
        platform_message_id: status.id,
        kind,
        direction: MessageDirection::Inbound,
        participant: Participant {
            id: status.account.id,
            name: status.account.display_name.filter(|d| !d.is_empty()),
            username: Some(status.account.acct),
        },
        thread_root_id,
        parent_id,
        reply_to_id,
        text: Some(plain_text(&status.content)),
        attachments: status.media_attachments.iter().filter_map(attachment).collect(),
        sent_at: status.created_at,
        shape: n.kind,
    };
    Some(InboundItem {
        platform: Platform::Mastodon,
        account_id: account_id.to_string(),
        event: InboundEvent::Message(message),
    })
}

fn attachment(media: &Value) -> Option<Attachment> {
    let kind = match media.get("type").and_then(Value::as_str)? {
        "image" => AttachmentKind::Image,
        "video" | "gifv" => AttachmentKind::Video,
        "audio" => AttachmentKind::Audio,
        _ => AttachmentKind::File,
    };
    let text = |k: &str| media.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    Some(Attachment {
        kind,
        url: text("url").or_else(|| text("remote_url")),
        media_id: text("id"),
        mime_type: None,
        filename: None,
        caption: text("description"),
        extra: None,
    })
}

/// Mastodon ids are decimal strings of varying length: compare them as numbers.
fn compare_ids(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The `min_id` of the `Link` header's `rel="prev"` URL: where the next newer page starts.
/// Only the id is taken, so the bearer token never follows a link to another host.
fn min_id_of_prev_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    let prev = link.split(',').find(|part| part.contains("rel=\"prev\""))?;
    let url = prev.split(';').next()?.trim().trim_start_matches('<').trim_end_matches('>');
    let parsed = url::Url::parse(url).ok()?;
    let min_id = parsed.query_pairs().find(|(k, _)| k == "min_id").map(|(_, v)| v.into_owned())?;
    checked_id(&min_id, "notification").ok().map(str::to_string)
}

/// The reset time when the response says the budget is spent (`X-RateLimit-Remaining: 0`).
fn budget_spent(headers: &HeaderMap) -> Option<DateTime<Utc>> {
    let remaining = headers.get("x-ratelimit-remaining").and_then(|v| v.to_str().ok()).map(str::trim);
    let now = Utc::now();
    (remaining == Some("0")).then(|| client::rate_limit_reset(headers, now).unwrap_or(now + DEFAULT_PAUSE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn ids_compare_as_numbers() {
        assert_eq!(compare_ids("99", "100"), Ordering::Less);
        assert_eq!(compare_ids("110", "109"), Ordering::Greater);
    }

    #[test]
    fn prev_link_gives_the_next_min_id() {
        let mut h = HeaderMap::new();
        h.insert(
            "link",
            HeaderValue::from_static(
                "<https://m.example/api/v1/notifications?max_id=7&types%5B%5D=mention>; rel=\"next\", \
                 <https://m.example/api/v1/notifications?min_id=42&types%5B%5D=mention>; rel=\"prev\"",
            ),
        );
        assert_eq!(min_id_of_prev_link(&h).as_deref(), Some("42"));
        assert_eq!(min_id_of_prev_link(&HeaderMap::new()), None);
    }
}
