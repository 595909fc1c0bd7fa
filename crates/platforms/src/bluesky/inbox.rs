//! The inbox side of Bluesky, which has no webhooks: mentions, replies and quotes read from
//! `app.bsky.notification.listNotifications` (through the PDS, which forwards it to its
//! AppView), and replies posted as `app.bsky.feed.post` records threaded under the post
//! answered, at a record key derived from the reply's idempotency key.
//!
//! Notifications come newest first and the API has no "since": a poll reads pages from the top
//! until it reaches the newest `indexedAt` the previous poll delivered (the stored cursor).

use super::record::{self, StrongRef, POST_COLLECTION};
use super::tid::{self, Role};
use super::xrpc::{Xrpc, XrpcFailure};
use super::BlueskyAdapter;
use crate::adapter::{Credentials, Published};
use crate::client;
use crate::error::{PlatformError, PlatformResult};
use crate::inbound::{Attachment, AttachmentKind, InboundEvent, InboundItem, InboundMessage, Participant};
use crate::inbound::{Polled, ReplyRequest};
use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use sellcast_domain::{ConversationKind, MessageDirection, Platform};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashSet;

const PAGE_SIZE: &str = "50";
/// Pages read per poll; what lies further back is skipped (logged) rather than read forever.
const MAX_PAGES: usize = 5;
const REASONS: [&str; 3] = ["mention", "reply", "quote"];
/// When a 429 names no reset time.
const DEFAULT_PAUSE: chrono::Duration = chrono::Duration::minutes(1);

#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    notifications: Vec<Value>,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    uri: String,
    author: Author,
    reason: String,
    #[serde(default)]
    record: Value,
    indexed_at: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Author {
    did: String,
    #[serde(default)]
    handle: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Posts {
    posts: Vec<PostView>,
}

#[derive(Debug, Deserialize)]
struct PostView {
    uri: String,
    cid: String,
    #[serde(default)]
    record: Value,
}

pub(super) async fn poll(a: &BlueskyAdapter, creds: &Credentials, cursor: Option<&str>) -> PlatformResult<Polled> {
    let did = BlueskyAdapter::did(creds)?;
    let server = a.server(creds);
    let x = Xrpc::new(&a.http, &server, Some(&creds.access_token));
    let since = cursor.map(str::trim).filter(|c| !c.is_empty());
    let mut fresh: Vec<Notification> = Vec::new();
    let mut newest: Option<String> = None;
    let mut page_cursor: Option<String> = None;
    let mut not_before = None;
    for page_number in 1..=MAX_PAGES {
        let mut params = vec![("limit", PAGE_SIZE)];
        params.extend(REASONS.iter().map(|r| ("reasons", *r)));
        if let Some(c) = page_cursor.as_deref() {
            params.push(("cursor", c));
        }
        let (page, headers) =
            match x.query_with_headers::<Page>("app.bsky.notification.listNotifications", &params).await {
                Ok(answer) => answer,
                Err(XrpcFailure { error: PlatformError::RateLimited { retry_at, .. }, .. }) => {
                    return Ok(paused(retry_at));
                }
                Err(f) => return Err(f.error),
            };
        not_before = budget_spent(&headers);
        let count = page.notifications.len();
        let mut reached_cursor = false;
        for raw in page.notifications {
            let Ok(n) = serde_json::from_value::<Notification>(raw) else {
                tracing::warn!(platform = "bluesky", "skipped a notification of an unexpected shape");
                continue;
            };
            if since.is_some_and(|s| !is_newer(&n.indexed_at, s)) {
                reached_cursor = true;
                break;
            }
            if newest.as_deref().is_none_or(|m| is_newer(&n.indexed_at, m)) {
                newest = Some(n.indexed_at.clone());
            }
            fresh.push(n);
        }
        // The first poll reads one page: recent items, never the whole history.
        let more = page.cursor.filter(|c| !c.is_empty() && count > 0);
        if reached_cursor || since.is_none() || more.is_none() {
            break;
        }
        if not_before.is_some() {
            // Newest first: stopping here would skip the older part for good, so deliver
            // nothing and read it all again after the reset.
            return Ok(Polled { items: Vec::new(), cursor: None, not_before });
        }
        if page_number == MAX_PAGES {
            tracing::warn!(platform = "bluesky", "more notifications than one poll reads: the oldest are skipped");
        }
        page_cursor = more;
    }
    // Oldest first; one post can be notified twice (a reply that also mentions the account).
    let mut seen = HashSet::new();
    let items = fresh.iter().rev().filter(|n| seen.insert(n.uri.as_str())).filter_map(|n| to_item(did, n)).collect();
    Ok(Polled { items, cursor: newest, not_before })
}

/// A reply under `req.parent_id`. The record key comes from the idempotency key and the parent,
/// so a retry lands on the same key and finds the reply there instead of posting it twice.
pub(super) async fn reply(a: &BlueskyAdapter, creds: &Credentials, req: &ReplyRequest) -> PlatformResult<Published> {
    let did = BlueskyAdapter::did(creds)?;
    record::parse_at_uri(&req.parent_id)?;
    if req.text.trim().is_empty() {
        return Err(PlatformError::permanent(None, "a Bluesky reply needs text"));
    }
    let server = a.server(creds);
    let x = Xrpc::new(&a.http, &server, Some(&creds.access_token));
    let parent = parent_post(&x, &req.parent_id).await?;
    let parent_ref = StrongRef { uri: parent.uri.clone(), cid: parent.cid.clone() };
    let root_ref = strong_ref(parent.record.pointer("/reply/root")).unwrap_or_else(|| parent_ref.clone());
    // The parent's own time, not ours: every attempt must compute the same key.
    let parent_time = parent
        .record
        .get("createdAt")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or(DateTime::UNIX_EPOCH, |t| t.with_timezone(&Utc));
    let key_source = format!("reply\0{}\0{}", req.parent_id, req.idempotency_key);
    let rkey = tid::record_key(&key_source, parent_time, Role::Post);
    let facets = BlueskyAdapter::facets(&x, &req.text).await?;
    let post = record::post(&req.text, facets, None, Some((&root_ref, &parent_ref)), None, Utc::now());
    let created = BlueskyAdapter::create_or_adopt(&x, did, &rkey, &post, 0, Some(&parent_ref.uri)).await?;
    Ok(Published { platform_post_id: created.uri, url: Some(record::web_url(did, &rkey)) })
}

/// The post answered, from the AppView; from the repo when there is no AppView (a lone PDS
/// holding the parent's repo).
async fn parent_post(x: &Xrpc<'_>, uri: &str) -> PlatformResult<PostView> {
    let not_found = || PlatformError::permanent(Some(404), "the post answered is not on Bluesky (deleted?)");
    match x.query::<Posts>("app.bsky.feed.getPosts", &[("uris", uri)]).await {
        Ok(posts) => posts.posts.into_iter().find(|p| p.uri == uri).ok_or_else(not_found),
        Err(XrpcFailure { error: PlatformError::Permanent { status: Some(400), .. }, .. }) => {
            let (repo, rkey) = record::parse_at_uri(uri)?;
            let params = [("repo", repo), ("collection", POST_COLLECTION), ("rkey", rkey)];
            match x.query::<Value>("com.atproto.repo.getRecord", &params).await {
                Ok(v) => {
                    let cid = v.get("cid").and_then(Value::as_str).ok_or_else(not_found)?.to_string();
                    let record = v.get("value").cloned().unwrap_or(Value::Null);
                    Ok(PostView { uri: uri.to_string(), cid, record })
                }
                Err(XrpcFailure { name: Some(n), .. }) if n == "RecordNotFound" => Err(not_found()),
                Err(f) => Err(f.error),
            }
        }
        Err(f) => Err(f.error),
    }
}

fn strong_ref(v: Option<&Value>) -> Option<StrongRef> {
    let v = v?;
    let uri = v.get("uri")?.as_str()?.to_string();
    let cid = v.get("cid")?.as_str()?.to_string();
    Some(StrongRef { uri, cid })
}

fn to_item(account_did: &str, n: &Notification) -> Option<InboundItem> {
    let kind = match n.reason.as_str() {
        "mention" | "quote" => ConversationKind::Mention,
        "reply" => ConversationKind::Comment,
        _ => return None,
    };
    if n.author.did == account_did {
        return None;
    }
    let text_of = |pointer: &str| n.record.pointer(pointer).and_then(Value::as_str).map(str::to_string);
    let sent_at = [text_of("/createdAt"), Some(n.indexed_at.clone())]
        .into_iter()
        .flatten()
        .find_map(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    let quoted = match n.record.pointer("/embed/$type").and_then(Value::as_str) {
        Some("app.bsky.embed.record") => text_of("/embed/record/uri"),
        Some("app.bsky.embed.recordWithMedia") => text_of("/embed/record/record/uri"),
        _ => None,
    };
    let message = InboundMessage {
        platform_message_id: n.uri.clone(),
        kind,
        direction: MessageDirection::Inbound,
        participant: Participant {
            id: n.author.did.clone(),
            name: n.author.display_name.clone().filter(|d| !d.is_empty()),
            username: n.author.handle.clone(),
        },
        thread_root_id: text_of("/reply/root/uri"),
        parent_id: text_of("/reply/parent/uri"),
        reply_to_id: quoted,
        text: text_of("/text"),
        attachments: attachments(&n.record, &n.author.did),
        sent_at,
        shape: n.reason.clone(),
    };
    Some(InboundItem {
        platform: Platform::Bluesky,
        account_id: account_did.to_string(),
        event: InboundEvent::Message(message),
    })
}

/// Images (as the Bluesky CDN serves them) and link cards of a post record.
fn attachments(record: &Value, author: &str) -> Vec<Attachment> {
    let embed = match record.pointer("/embed/$type").and_then(Value::as_str) {
        Some("app.bsky.embed.recordWithMedia") => record.pointer("/embed/media"),
        _ => record.get("embed"),
    };
    let Some(embed) = embed else { return Vec::new() };
    let blank = |kind| Attachment {
        kind,
        url: None,
        media_id: None,
        mime_type: None,
        filename: None,
        caption: None,
        extra: None,
    };
    match embed.get("$type").and_then(Value::as_str) {
        Some("app.bsky.embed.images") => embed
            .get("images")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|image| {
                let cid = image.pointer("/image/ref/$link").and_then(Value::as_str)?;
                Some(Attachment {
                    url: Some(format!("https://cdn.bsky.app/img/feed_fullsize/plain/{author}/{cid}@jpeg")),
                    media_id: Some(cid.to_string()),
                    mime_type: image.pointer("/image/mimeType").and_then(Value::as_str).map(str::to_string),
                    caption: image.get("alt").and_then(Value::as_str).filter(|a| !a.is_empty()).map(str::to_string),
                    ..blank(AttachmentKind::Image)
                })
            })
            .collect(),
        Some("app.bsky.embed.external") => {
            let uri = embed.pointer("/external/uri").and_then(Value::as_str).map(str::to_string);
            let title = embed.pointer("/external/title").and_then(Value::as_str).map(str::to_string);
            vec![Attachment { url: uri, caption: title, ..blank(AttachmentKind::Share) }]
        }
        _ => Vec::new(),
    }
}

/// Whether `indexed_at` is later than `since` (as times; as text when either is not one).
fn is_newer(indexed_at: &str, since: &str) -> bool {
    match (DateTime::parse_from_rfc3339(indexed_at), DateTime::parse_from_rfc3339(since)) {
        (Ok(a), Ok(b)) => a > b,
        _ => indexed_at > since,
    }
}

/// The reset time when the response says the budget is spent (`ratelimit-remaining: 0`).
fn budget_spent(headers: &HeaderMap) -> Option<DateTime<Utc>> {
    let remaining = headers.get("ratelimit-remaining").and_then(|v| v.to_str().ok()).map(str::trim);
    let now = Utc::now();
    (remaining == Some("0")).then(|| client::rate_limit_reset(headers, now).unwrap_or(now + DEFAULT_PAUSE))
}

fn paused(retry_at: Option<DateTime<Utc>>) -> Polled {
    Polled { items: Vec::new(), cursor: None, not_before: Some(retry_at.unwrap_or_else(|| Utc::now() + DEFAULT_PAUSE)) }
}
