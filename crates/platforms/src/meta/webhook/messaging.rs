//! `entry[].messaging[]` of Instagram and Messenger: messages (and their echoes, deletes and
//! unsupported types), edits, reactions, reads, postbacks and deliveries. Timestamps are in
//! milliseconds; `sender`/`recipient` are the PSID/IGSID and the account.

use super::fields::{self, array, flag, id_at, string};
use super::EntryCtx;
use crate::inbound::{
    Attachment, AttachmentKind, InboundEvent, InboundItem, InboundMessage, Participant, StatusReport,
};
use chrono::{DateTime, Utc};
use sellcast_domain::{ConversationKind, DeliveryState, MessageDirection};
use serde_json::Value;

/// The events Sellcast reads, in the order they are looked for in an item.
const KNOWN: [&str; 6] = ["message", "message_edit", "reaction", "read", "postback", "delivery"];

/// One `messaging[]` item: usually one event, one per message id for a delivery, or `Unknown`
/// (named by the item's event key, e.g. `referral`, `optin`).
pub(super) fn parse(ctx: &EntryCtx, item: &Value) -> Vec<InboundItem> {
    let key = event_key(item);
    let at = item.get("timestamp").and_then(fields::meta_time).or(ctx.time);
    let events = match (at, item.get(key)) {
        (Some(at), Some(body)) => events(key, item, body, at),
        _ => Vec::new(),
    };
    if events.is_empty() {
        return vec![ctx.unknown(key, item)];
    }
    events.into_iter().map(|e| ctx.item(e)).collect()
}

fn event_key(item: &Value) -> &str {
    if let Some(known) = KNOWN.iter().find(|k| item.get(**k).is_some()) {
        return known;
    }
    let envelope = ["sender", "recipient", "timestamp"];
    let other = item.as_object().and_then(|o| o.keys().find(|k| !envelope.contains(&k.as_str())));
    other.map_or("messaging", String::as_str)
}

fn events(key: &str, item: &Value, body: &Value, at: DateTime<Utc>) -> Vec<InboundEvent> {
    let sender = id_at(item, "/sender/id");
    let one = |e: Option<InboundEvent>| e.into_iter().collect();
    match key {
        "message" => one(message(item, body, at)),
        "message_edit" => one(edit(body, at)),
        "reaction" => one(reaction(sender, body, at)),
        "read" => one(read(sender, body, at)),
        "postback" => one(postback(sender, body, at)),
        "delivery" => delivery(sender, body, at),
        _ => Vec::new(),
    }
}

fn direct(id: String, participant: String, direction: MessageDirection, at: DateTime<Utc>) -> InboundMessage {
    InboundMessage {
        platform_message_id: id,
        kind: ConversationKind::Direct,
        direction,
        participant: Participant { id: participant, ..Participant::default() },
        thread_root_id: None,
        parent_id: None,
        reply_to_id: None,
        text: None,
        attachments: Vec::new(),
        sent_at: at,
        shape: "text".into(),
    }
}

fn message(item: &Value, m: &Value, at: DateTime<Utc>) -> Option<InboundEvent> {
    let mid = string(m, "mid")?;
    if flag(m, "is_deleted") {
        return Some(InboundEvent::Delete { platform_message_id: mid, at });
    }
    // An echo is what the account sent (from Sellcast or the app): the customer is the recipient.
    let (direction, who) = if flag(m, "is_echo") {
        (MessageDirection::Outbound, id_at(item, "/recipient/id")?)
    } else {
        (MessageDirection::Inbound, id_at(item, "/sender/id")?)
    };
    let mut msg = direct(mid, who, direction, at);
    msg.text = string(m, "text");
    msg.reply_to_id = id_at(m, "/reply_to/mid");
    msg.attachments = array(m, "attachments").iter().map(attachment).collect();
    if let Some(first) = array(m, "attachments").first().and_then(|a| string(a, "type")) {
        msg.shape = first;
    }
    if let Some(story) = m.pointer("/reply_to/story") {
        msg.reply_to_id = fields::id(story, "id");
        let url = string(story, "url");
        msg.attachments.push(Attachment {
            url,
            extra: Some(story.clone()),
            ..fields::attachment(AttachmentKind::StoryReply)
        });
        msg.shape = "story_reply".into();
    }
    if let Some(quick_reply) = m.get("quick_reply") {
        msg.attachments.push(fields::extra("quick_reply", quick_reply));
    }
    if flag(m, "is_unsupported") {
        msg.shape = "unsupported".into();
    }
    Some(InboundEvent::Message(msg))
}

/// `{"type": "image", "payload": {"url": ...}}`; Messenger stickers are images with a `sticker_id`.
fn attachment(a: &Value) -> Attachment {
    let payload = a.get("payload").unwrap_or(&Value::Null);
    let kind = match a.get("type").and_then(Value::as_str).unwrap_or("") {
        "image" if payload.get("sticker_id").is_some() => AttachmentKind::Sticker,
        "image" => AttachmentKind::Image,
        "video" => AttachmentKind::Video,
        "audio" => AttachmentKind::Audio,
        "file" => AttachmentKind::File,
        "share" | "ig_reel" | "reel" | "ig_post" => AttachmentKind::Share,
        "story_mention" => AttachmentKind::StoryMention,
        "location" => AttachmentKind::Location,
        _ => AttachmentKind::Other,
    };
    // Other kinds keep the whole attachment, so the network's own type is not lost.
    let extra = match kind {
        AttachmentKind::Other => Some(a.clone()),
        _ => payload_without_url(payload),
    };
    Attachment { url: string(payload, "url"), extra, ..fields::attachment(kind) }
}

/// The payload's fields other than `url` (a reel's title and id, a sticker id), if any.
fn payload_without_url(payload: &Value) -> Option<Value> {
    let mut rest = payload.as_object()?.clone();
    rest.remove("url");
    (!rest.is_empty()).then_some(Value::Object(rest))
}

fn edit(e: &Value, at: DateTime<Utc>) -> Option<InboundEvent> {
    let platform_message_id = string(e, "mid")?;
    Some(InboundEvent::Edit { platform_message_id, text: string(e, "text").unwrap_or_default(), at })
}

fn reaction(sender: Option<String>, r: &Value, at: DateTime<Utc>) -> Option<InboundEvent> {
    let platform_message_id = string(r, "mid")?;
    let emoji = match r.get("action").and_then(Value::as_str) {
        Some("unreact") => None,
        _ => string(r, "emoji").or_else(|| string(r, "reaction")),
    };
    Some(InboundEvent::Reaction { platform_message_id, participant_id: sender?, emoji, at })
}

/// Messenger sends a `watermark`; Instagram sends the `mid` read, i.e. everything up to now.
fn read(sender: Option<String>, r: &Value, at: DateTime<Utc>) -> Option<InboundEvent> {
    let watermark = r.get("watermark").and_then(fields::meta_time).unwrap_or(at);
    Some(InboundEvent::Read { participant_id: sender?, watermark, at })
}

fn postback(sender: Option<String>, p: &Value, at: DateTime<Utc>) -> Option<InboundEvent> {
    let mut msg = direct(string(p, "mid")?, sender?, MessageDirection::Inbound, at);
    msg.text = string(p, "title");
    msg.attachments.push(fields::extra("postback", p));
    msg.shape = "postback".into();
    Some(InboundEvent::Message(msg))
}

/// Messenger's delivery receipt: every listed message reached the sender's device.
fn delivery(sender: Option<String>, d: &Value, at: DateTime<Utc>) -> Vec<InboundEvent> {
    let mids = array(d, "mids").iter().filter_map(crate::meta::id_string);
    mids.map(|mid| {
        InboundEvent::Status(StatusReport {
            platform_message_id: mid,
            state: DeliveryState::Delivered,
            recipient_id: sender.clone(),
            at,
            error: None,
        })
    })
    .collect()
}
