//! Instagram and Messenger conversations on the fake Graph server: `POST /{id}/messages`
//! (WhatsApp numbers go to `whatsapp_send`), private replies and comment replies, with Meta's
//! messaging window: 24 hours after the person's last message,
//! 7 days with the HUMAN_AGENT tag, else code 10 (subcode 2018278 Messenger, 2534022
//! Instagram); private replies within 7 days of the comment, one per comment (10900).
//! https://developers.facebook.com/docs/messenger-platform/reference/send-api,
//! .../messenger-platform/error-codes, .../messenger-platform/instagram/features/private-replies.

use super::messaging_state::{CommentReply, DmSent, FakeComment};
use super::params::{authenticate, body_json, error, no_such_object, ok, Params};
use super::state::{Network, Subject, World};
use super::{graph, webhooks, whatsapp_send, MetaState};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use chrono::Duration;
use serde_json::{json, Value};

impl MetaState {
    /// Move the messaging clock (windows, webhook timestamps) forward.
    pub fn advance_clock(&self, by: Duration) {
        self.world().messaging.clock_offset += by;
    }

    pub fn dm_sent(&self) -> Vec<DmSent> {
        self.world().messaging.sent.clone()
    }

    pub fn comment_replies(&self) -> Vec<CommentReply> {
        self.world().messaging.replies.clone()
    }

    /// The fields the app is subscribed to on a Page (empty for a WhatsApp Business Account).
    pub fn subscribed_fields(&self, id: &str) -> Option<Vec<String>> {
        self.world().messaging.subscriptions.get(id).cloned()
    }

    /// Make `subscribed_apps` answer a permission error (code 200).
    pub fn fail_subscriptions(&self, fail: bool) {
        self.world().messaging.fail_subscriptions = fail;
    }
}

/// `POST /{id}/messages`: a WhatsApp phone number's, or a Page's/Instagram account's.
pub(crate) async fn messages(
    State(state): State<MetaState>,
    Path(node): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = Params::parse(&uri, &headers, &body);
    let (response, job) = {
        let mut w = state.world();
        if w.whatsapp.phone(&node).is_some() {
            whatsapp_send::send(&mut w, &node, &p)
        } else {
            (dm_send(&mut w, &node, &p).unwrap_or_else(|r| r), None)
        }
    };
    if let Some(job) = job {
        tokio::spawn(webhooks::deliver_statuses(state.clone(), job));
    }
    response
}

fn window_error(network: Network) -> Response {
    let sub = if network == Network::Instagram { 2534022 } else { 2018278 };
    error(400, 10, Some(sub), "(#10) This message is sent outside of allowed window.")
}

/// What the Page or Instagram account sends: text and/or one attachment (type, URL).
struct Content {
    text: Option<String>,
    attachment: Option<(String, String)>,
}

fn dm_send(w: &mut World, account: &str, p: &Params) -> Result<Response, Response> {
    let subject = authenticate(w, p.token.as_deref(), false)?;
    let (page_id, ig_id) = if let Some(page) = w.page(account) {
        (page.id.clone(), page.instagram.as_ref().map(|ig| ig.id.clone()))
    } else if let Some(page) = w.pages.iter().find(|pg| pg.instagram.as_ref().is_some_and(|ig| ig.id == account)) {
        (page.id.clone(), Some(account.to_string()))
    } else {
        return Err(no_such_object(account));
    };
    if subject != Subject::Page(page_id.clone()) {
        return Err(error(400, 230, None, "(#230) Requires pages_messaging permission to manage the object"));
    }
    let b = body_json(p);
    let text = b.pointer("/message/text").and_then(Value::as_str).map(str::to_string);
    let attachment = b.pointer("/message/attachment").map(|a| {
        let kind = a["type"].as_str().unwrap_or("").to_string();
        (kind, a.pointer("/payload/url").and_then(Value::as_str).unwrap_or("").to_string())
    });
    if text.as_deref().unwrap_or("").is_empty() && attachment.as_ref().is_none_or(|(_, url)| url.is_empty()) {
        return Err(error(400, 100, None, "(#100) Must send either message text or an attachment"));
    }
    let content = Content { text, attachment };
    if let Some(comment_id) = b.pointer("/recipient/comment_id").and_then(Value::as_str) {
        let accounts = [Some(page_id), ig_id];
        return private_reply(w, comment_id, &accounts, content);
    }
    // Sent through the Page to someone who wrote to its Instagram account: an Instagram message.
    let recipient = b.pointer("/recipient/id").and_then(Value::as_str).unwrap_or_default();
    let via_ig =
        ig_id.filter(|ig| ig == account || w.messaging.last_message.contains_key(&(ig.clone(), recipient.to_string())));
    let (network, window_account) = match via_ig {
        Some(ig) => (Network::Instagram, ig),
        None => (Network::Facebook, page_id),
    };
    direct(w, network, window_account, &b, content)
}

/// Recipient `{comment_id}`: within 7 days of the comment, once.
fn private_reply(
    w: &mut World,
    comment_id: &str,
    accounts: &[Option<String>],
    content: Content,
) -> Result<Response, Response> {
    let now = w.messaging.now();
    let on_account = |c: &FakeComment| accounts.iter().flatten().any(|a| *a == c.account_id);
    let Some(c) = w.messaging.comments.get_mut(comment_id).filter(|c| on_account(c)) else {
        return Err(error(400, 100, None, "(#100) Invalid comment_id"));
    };
    if now - c.created_at > Duration::days(7) {
        return Err(window_error(c.network));
    }
    if c.privately_replied {
        return Err(error(400, 10900, None, "Activity already replied to"));
    }
    c.privately_replied = true;
    let sent = DmSent {
        id: String::new(),
        network: c.network,
        account_id: c.account_id.clone(),
        recipient_id: None,
        comment_id: Some(comment_id.into()),
        messaging_type: None,
        tag: None,
        text: content.text,
        attachment: content.attachment,
    };
    Ok(record(w, sent))
}

/// Recipient `{id}`: someone who wrote within 24 hours (7 days with HUMAN_AGENT).
fn direct(w: &mut World, network: Network, account: String, b: &Value, content: Content) -> Result<Response, Response> {
    let Some(recipient) = b.pointer("/recipient/id").and_then(Value::as_str).filter(|r| !r.is_empty()) else {
        return Err(error(400, 100, None, "(#100) param recipient must be non-empty."));
    };
    let messaging_type = b["messaging_type"].as_str().unwrap_or("").to_string();
    let tag = b["tag"].as_str().filter(|t| !t.is_empty()).map(str::to_string);
    match (messaging_type.as_str(), &tag) {
        ("RESPONSE" | "UPDATE", _) | ("MESSAGE_TAG", Some(_)) => {}
        ("MESSAGE_TAG", None) => return Err(error(400, 100, None, "(#100) Param tag is required for MESSAGE_TAG")),
        _ => {
            let msg = "(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}";
            return Err(error(400, 100, None, msg));
        }
    }
    let Some(last) = w.messaging.last_message.get(&(account.clone(), recipient.to_string())).copied() else {
        return Err(error(400, 100, Some(2018001), "(#100) No matching user found"));
    };
    let human_agent = tag.as_deref() == Some("HUMAN_AGENT");
    let window = if human_agent { Duration::days(7) } else { Duration::hours(24) };
    // The other tags (account and event updates) are not bound to the window.
    let untimed_tag = messaging_type == "MESSAGE_TAG" && !human_agent;
    if w.messaging.now() - last > window && !untimed_tag {
        return Err(window_error(network));
    }
    let sent = DmSent {
        id: String::new(),
        network,
        account_id: account,
        recipient_id: Some(recipient.to_string()),
        comment_id: None,
        messaging_type: Some(messaging_type),
        tag,
        text: content.text,
        attachment: content.attachment,
    };
    Ok(record(w, sent))
}

fn record(w: &mut World, mut sent: DmSent) -> Response {
    let n = w.next_id();
    sent.id = if sent.network == Network::Instagram {
        format!("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOj{n}")
    } else {
        format!("m_{n}{:08x}", rand::random::<u32>())
    };
    let answer = json!({"recipient_id": sent.recipient_id.clone().unwrap_or_default(), "message_id": sent.id});
    w.messaging.sent.push(sent);
    ok(answer)
}

/// `POST /{comment-id}/replies`: a public reply to an Instagram comment.
pub(crate) async fn replies(
    State(state): State<MetaState>,
    Path(comment_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = Params::parse(&uri, &headers, &body);
    let mut w = state.world();
    reply(&mut w, &comment_id, Network::Instagram, &p).unwrap_or_else(|r| r)
}

/// `POST /{id}/comments`: a reply to a Page comment the fake knows, else the Graph fake's post comment.
pub(crate) async fn comments(
    State(state): State<MetaState>,
    Path(node): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let page_comment = {
        let w = state.world();
        method == Method::POST && w.messaging.comments.get(&node).is_some_and(|c| c.network == Network::Facebook)
    };
    if !page_comment {
        return graph::edge(State(state), Path((node, "comments".into())), method, uri, headers, body).await;
    }
    let p = Params::parse(&uri, &headers, &body);
    let mut w = state.world();
    reply(&mut w, &node, Network::Facebook, &p).unwrap_or_else(|r| r)
}

fn reply(w: &mut World, comment_id: &str, network: Network, p: &Params) -> Result<Response, Response> {
    let subject = authenticate(w, p.token.as_deref(), false)?;
    let Some(c) = w.messaging.comments.get(comment_id).filter(|c| c.network == network) else {
        return Err(no_such_object(comment_id));
    };
    let page_of_ig = w.pages.iter().find(|pg| pg.instagram.as_ref().is_some_and(|ig| ig.id == c.account_id));
    let allowed = match network {
        Network::Instagram => {
            subject == Subject::User || page_of_ig.is_some_and(|pg| subject == Subject::Page(pg.id.clone()))
        }
        _ => subject == Subject::Page(c.account_id.clone()),
    };
    if !allowed {
        return Err(no_such_object(comment_id));
    }
    let text = p.require("message")?.to_string();
    let n = w.next_id();
    let id = if network == Network::Facebook { format!("{comment_id}_{n}") } else { n };
    w.messaging.replies.push(CommentReply { id: id.clone(), network, comment_id: comment_id.into(), text });
    Ok(ok(json!({"id": id})))
}
