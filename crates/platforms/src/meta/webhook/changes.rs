//! `entry[].changes[]` of Instagram (`comments`, `live_comments`, `mentions`) and of a Facebook
//! Page (`feed`: comments added, edited, removed). Messaging fields delivered as changes (the
//! dashboard's test button sends `messages` this way) go to the messaging parser.

use super::fields::{self, id_at, string, string_at};
use super::{messaging, EntryCtx};
use crate::inbound::{Attachment, AttachmentKind, InboundEvent, InboundItem, InboundMessage, Participant};
use chrono::{DateTime, Utc};
use sellcast_domain::{ConversationKind, MessageDirection, Platform};
use serde_json::Value;

pub(super) fn parse(ctx: &EntryCtx, change: &Value) -> Vec<InboundItem> {
    let field = change.get("field").and_then(Value::as_str).unwrap_or("changes");
    let value = change.get("value").unwrap_or(&Value::Null);
    let event = match (ctx.platform, field) {
        (Platform::Instagram, "comments" | "live_comments") => ig_comment(ctx, field, value),
        (Platform::Instagram, "mentions") => ig_mention(ctx, value),
        (Platform::Facebook, "feed") => feed(ctx, value),
        (_, f) if f.starts_with("messag") && value.get("sender").is_some() => return messaging::parse(ctx, value),
        _ => None,
    };
    vec![event.map_or_else(|| ctx.unknown(field, change), |e| ctx.item(e))]
}

fn comment(id: String, from: Participant, ctx: &EntryCtx, at: DateTime<Utc>) -> InboundMessage {
    // The account's own comments (its replies) are ours, whoever the thread's customer is.
    let direction = if from.id == ctx.account_id { MessageDirection::Outbound } else { MessageDirection::Inbound };
    InboundMessage {
        platform_message_id: id,
        kind: ConversationKind::Comment,
        direction,
        participant: from,
        thread_root_id: None,
        parent_id: None,
        reply_to_id: None,
        text: None,
        attachments: Vec::new(),
        sent_at: at,
        shape: "comment".into(),
    }
}

/// `{id, text, from{id, username}, media{id, media_product_type}, parent_id}`; no timestamp of
/// its own, so the entry's time.
fn ig_comment(ctx: &EntryCtx, field: &str, v: &Value) -> Option<InboundEvent> {
    let at = v.get("timestamp").and_then(fields::meta_time).or(ctx.time)?;
    let from = Participant { id: id_at(v, "/from/id")?, name: None, username: string_at(v, "/from/username") };
    let mut msg = comment(fields::id(v, "id")?, from, ctx, at);
    msg.thread_root_id = id_at(v, "/media/id");
    msg.parent_id = fields::id(v, "parent_id");
    msg.text = string(v, "text");
    msg.shape = if field == "live_comments" { "live_comment".into() } else { "comment".into() };
    Some(InboundEvent::Message(msg))
}

/// `{media_id, comment_id}`: someone @mentioned the account; who is not said.
fn ig_mention(ctx: &EntryCtx, v: &Value) -> Option<InboundEvent> {
    let media_id = fields::id(v, "media_id");
    let id = fields::id(v, "comment_id").or_else(|| media_id.clone())?;
    let mut msg = comment(id, Participant::default(), ctx, ctx.time?);
    msg.kind = ConversationKind::Mention;
    msg.direction = MessageDirection::Inbound;
    msg.thread_root_id = media_id;
    msg.shape = "mention".into();
    Some(InboundEvent::Message(msg))
}

/// `{item, verb, comment_id, post_id, parent_id, message, from{id, name}, created_time}`. Only
/// comments are read; posts, statuses, reactions and the rest are `Unknown`.
fn feed(ctx: &EntryCtx, v: &Value) -> Option<InboundEvent> {
    if v.get("item").and_then(Value::as_str) != Some("comment") {
        return None;
    }
    let platform_message_id = fields::id(v, "comment_id")?;
    let created = v.get("created_time").and_then(fields::meta_time);
    match v.get("verb").and_then(Value::as_str)? {
        "add" => feed_comment(ctx, v, platform_message_id, created.or(ctx.time)?),
        // `created_time` is when the comment was first written: the entry says when this happened.
        "edited" => Some(InboundEvent::Edit {
            platform_message_id,
            text: string(v, "message").unwrap_or_default(),
            at: ctx.time.or(created)?,
        }),
        "remove" => Some(InboundEvent::Delete { platform_message_id, at: ctx.time.or(created)? }),
        _ => None,
    }
}

fn feed_comment(ctx: &EntryCtx, v: &Value, id: String, at: DateTime<Utc>) -> Option<InboundEvent> {
    let from = Participant { id: id_at(v, "/from/id")?, name: string_at(v, "/from/name"), username: None };
    let post_id = fields::id(v, "post_id");
    let mut msg = comment(id, from, ctx, at);
    // A top-level comment's parent is the post itself.
    msg.parent_id = fields::id(v, "parent_id").filter(|p| Some(p) != post_id.as_ref());
    msg.thread_root_id = post_id;
    msg.text = string(v, "message");
    for (key, kind) in [("photo", AttachmentKind::Image), ("video", AttachmentKind::Video)] {
        if let Some(url) = string(v, key) {
            msg.attachments.push(Attachment { url: Some(url), ..fields::attachment(kind) });
        }
    }
    Some(InboundEvent::Message(msg))
}
