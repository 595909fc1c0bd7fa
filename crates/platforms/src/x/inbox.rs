//! The inbox side of X for a user's app, which gets no webhooks: mentions read from
//! `GET /2/users/:id/mentions` (replies to the account's posts among them), replies posted with
//! `POST /2/tweets`.
//!
//! Mentions come newest first; `since_id` bounds the listing and `pagination_token` walks it
//! back towards that bound. The cursor is `meta.newest_id` of the first page.

use super::{checked_id, errors, XAdapter};
use crate::adapter::{Credentials, Published};
use crate::client::{self, Effect};
use crate::error::{PlatformError, PlatformResult};
use crate::inbound::{InboundEvent, InboundItem, InboundMessage, Participant, Polled, ReplyRequest};
use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use sellcast_domain::{ConversationKind, MessageDirection, Platform};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

const PAGE_SIZE: &str = "100";
/// Pages read per poll; what lies further back is skipped (logged) rather than read forever.
const MAX_PAGES: usize = 5;
const TWEET_FIELDS: &str = "created_at,conversation_id,in_reply_to_user_id,referenced_tweets";
/// X's rate-limit windows are 15 minutes.
const DEFAULT_PAUSE: chrono::Duration = chrono::Duration::minutes(15);

#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<Value>,
    #[serde(default)]
    includes: Includes,
    #[serde(default)]
    meta: Meta,
}

#[derive(Debug, Default, Deserialize)]
struct Includes {
    #[serde(default)]
    users: Vec<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct Meta {
    #[serde(default)]
    newest_id: Option<String>,
    #[serde(default)]
    next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Tweet {
    id: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    author_id: Option<String>,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    conversation_id: Option<String>,
    #[serde(default)]
    in_reply_to_user_id: Option<String>,
    #[serde(default)]
    referenced_tweets: Vec<Reference>,
}

#[derive(Debug, Deserialize)]
struct Reference {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

#[derive(Debug, Clone, Deserialize)]
struct User {
    id: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

pub(super) async fn poll(x: &XAdapter, creds: &Credentials, cursor: Option<&str>) -> PlatformResult<Polled> {
    let user_id = checked_id(&creds.account_id, "user")?;
    let since_id = match cursor.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(checked_id(c, "post")?),
        None => None,
    };
    let url = x.api(&format!("/2/users/{user_id}/mentions"));
    let mut tweets: Vec<Tweet> = Vec::new();
    let mut users: HashMap<String, User> = HashMap::new();
    let mut newest: Option<String> = None;
    let mut token: Option<String> = None;
    let mut not_before = None;
    for page_number in 1..=MAX_PAGES {
        let mut query = vec![
            ("max_results", PAGE_SIZE),
            ("expansions", "author_id"),
            ("tweet.fields", TWEET_FIELDS),
            ("user.fields", "username,name"),
        ];
        if let Some(since) = since_id {
            query.push(("since_id", since));
        }
        if let Some(t) = token.as_deref() {
            query.push(("pagination_token", t));
        }
        let request = x.authed(x.http.raw().get(&url), creds).query(&query);
        let resp = match x.call(request, Effect::Read).await {
            Ok(resp) => resp,
            // Newest first: nothing is delivered from a partial listing, the next poll after
            // the reset reads it whole.
            Err(PlatformError::RateLimited { retry_at, .. }) => return Ok(paused(retry_at)),
            Err(e) => return Err(e),
        };
        not_before = budget_spent(resp.headers());
        let page: Page = client::json(resp, Effect::Read).await?;
        if newest.is_none() {
            newest = page.meta.newest_id.filter(|id| checked_id(id, "post").is_ok());
        }
        for raw in page.includes.users {
            if let Ok(user) = serde_json::from_value::<User>(raw) {
                users.insert(user.id.clone(), user);
            }
        }
        tweets.extend(page.data.into_iter().filter_map(|raw| serde_json::from_value::<Tweet>(raw).ok()));
        // The first poll reads one page: recent items, never the whole history.
        let next = page.meta.next_token.filter(|t| !t.is_empty());
        let Some(next) = next.filter(|_| since_id.is_some()) else { break };
        if not_before.is_some() {
            return Ok(Polled { items: Vec::new(), cursor: None, not_before });
        }
        if page_number == MAX_PAGES {
            tracing::warn!(platform = "x", "more mentions than one poll reads: the oldest are skipped");
        }
        token = Some(next);
    }
    // Snowflake ids grow with time: oldest first is ascending (as numbers).
    tweets.sort_by(|a, b| a.id.len().cmp(&b.id.len()).then_with(|| a.id.cmp(&b.id)));
    tweets.dedup_by(|a, b| a.id == b.id);
    let items = tweets.into_iter().filter_map(|t| to_item(user_id, t, &users)).collect();
    Ok(Polled { items, cursor: newest, not_before })
}

/// A post answering `req.parent_id`. X honours no idempotency key: after an unknown outcome
/// the caller decides (a second attempt with the same text is refused as duplicate content).
pub(super) async fn reply(x: &XAdapter, creds: &Credentials, req: &ReplyRequest) -> PlatformResult<Published> {
    let parent = checked_id(&req.parent_id, "post")?;
    if req.text.trim().is_empty() {
        return Err(PlatformError::permanent(None, "an X reply needs text"));
    }
    let body = json!({ "text": req.text, "reply": { "in_reply_to_tweet_id": parent } });
    let id = x.create_tweet(creds, &body).await?;
    Ok(x.published(creds, &id))
}

fn to_item(account_id: &str, t: Tweet, users: &HashMap<String, User>) -> Option<InboundItem> {
    let author_id = t.author_id.filter(|a| !a.is_empty())?;
    if author_id == account_id {
        return None;
    }
    let referenced = |kind: &str| t.referenced_tweets.iter().find(|r| r.kind == kind).map(|r| r.id.clone());
    let replied_to = referenced("replied_to");
    let answers_account = replied_to.is_some() && t.in_reply_to_user_id.as_deref() == Some(account_id);
    let (kind, thread_root_id, parent_id, reply_to_id) = if answers_account {
        (ConversationKind::Comment, t.conversation_id.clone(), replied_to, None)
    } else {
        (ConversationKind::Mention, None, None, replied_to.or_else(|| referenced("quoted")))
    };
    let user = users.get(&author_id);
    let message = InboundMessage {
        platform_message_id: t.id,
        kind,
        direction: MessageDirection::Inbound,
        participant: Participant {
            id: author_id.clone(),
            name: user.and_then(|u| u.name.clone()).filter(|n| !n.is_empty()),
            username: user.and_then(|u| u.username.clone()),
        },
        thread_root_id,
        parent_id,
        reply_to_id,
        text: Some(decode_entities(&t.text)),
        attachments: Vec::new(),
        sent_at: t.created_at.unwrap_or_else(Utc::now),
        shape: if kind == ConversationKind::Comment { "reply" } else { "mention" }.to_string(),
    };
    Some(InboundItem {
        platform: Platform::X,
        account_id: account_id.to_string(),
        event: InboundEvent::Message(message),
    })
}

/// X escapes `&`, `<` and `>` in post text.
fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// The reset time when the response says the window is spent (`x-rate-limit-remaining: 0`).
fn budget_spent(headers: &HeaderMap) -> Option<DateTime<Utc>> {
    let remaining = headers.get("x-rate-limit-remaining").and_then(|v| v.to_str().ok()).map(str::trim);
    let now = Utc::now();
    (remaining == Some("0")).then(|| errors::retry_at(headers, now).unwrap_or(now + DEFAULT_PAUSE))
}

fn paused(retry_at: Option<DateTime<Utc>>) -> Polled {
    Polled { items: Vec::new(), cursor: None, not_before: Some(retry_at.unwrap_or_else(|| Utc::now() + DEFAULT_PAUSE)) }
}

#[cfg(test)]
mod tests {
    use super::decode_entities;

    #[test]
    fn entities_are_decoded_once() {
        assert_eq!(decode_entities("Q&amp;A &lt;b&gt; &amp;lt;"), "Q&A <b> &lt;");
    }
}
