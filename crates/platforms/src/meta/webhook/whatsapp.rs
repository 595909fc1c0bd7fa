//! `whatsapp_business_account` deliveries: `changes[]` with `field: "messages"` carry
//! `value.messages[]` (from customers), `value.statuses[]` (of what the business sent) and
//! `value.errors[]`. The channel is the phone number (`value.metadata.phone_number_id`), not
//! the WhatsApp Business Account of `entry.id`. Timestamps are Unix seconds, as strings.

use super::fields::{self, array, string, string_at};
use super::EntryCtx;
use crate::inbound::{
    Attachment, AttachmentKind, InboundEvent, InboundItem, InboundMessage, Participant, PlatformMessageError,
    StatusReport,
};
use sellcast_domain::{ConversationKind, DeliveryState, MessageDirection};
use serde_json::Value;
use std::collections::HashMap;

pub(super) fn parse_entry(ctx: &EntryCtx, entry: &Value, out: &mut Vec<InboundItem>) {
    let changes = array(entry, "changes");
    if changes.is_empty() {
        out.push(ctx.unknown("entry", entry));
    }
    for change in changes {
        parse_change(ctx, change, out);
    }
}

fn parse_change(entry_ctx: &EntryCtx, change: &Value, out: &mut Vec<InboundItem>) {
    let field = change.get("field").and_then(Value::as_str).unwrap_or("changes");
    let value = change.get("value").unwrap_or(&Value::Null);
    let phone_number_id = value.pointer("/metadata/phone_number_id").and_then(crate::meta::id_string);
    let ctx =
        EntryCtx { account_id: phone_number_id.unwrap_or_else(|| entry_ctx.account_id.clone()), ..entry_ctx.clone() };
    let (messages, statuses, errors) = (array(value, "messages"), array(value, "statuses"), array(value, "errors"));
    if field != "messages" || messages.len() + statuses.len() + errors.len() == 0 {
        out.push(ctx.unknown(field, change));
        return;
    }
    let names = contact_names(value);
    for m in messages {
        out.push(message(m, &names).map_or_else(|| ctx.unknown("messages", m), |e| ctx.item(e)));
    }
    for s in statuses {
        out.push(status(s).map_or_else(|| ctx.unknown("statuses", s), |e| ctx.item(e)));
    }
    for e in errors {
        out.push(ctx.unknown("errors", e));
    }
}

/// `contacts[]`: `wa_id` → `profile.name`.
fn contact_names(value: &Value) -> HashMap<String, String> {
    let pairs =
        array(value, "contacts").iter().filter_map(|c| Some((fields::id(c, "wa_id")?, string_at(c, "/profile/name")?)));
    pairs.collect()
}

fn message(m: &Value, names: &HashMap<String, String>) -> Option<InboundEvent> {
    let id = string(m, "id")?;
    let from = fields::id(m, "from")?;
    let at = m.get("timestamp").and_then(fields::meta_time)?;
    let shape = m.get("type").and_then(Value::as_str)?;
    if shape == "reaction" {
        // An empty emoji removes the reaction.
        let r = m.get("reaction")?;
        let platform_message_id = string(r, "message_id")?;
        return Some(InboundEvent::Reaction {
            platform_message_id,
            participant_id: from,
            emoji: string(r, "emoji"),
            at,
        });
    }
    let (text, mut attachments) = content(shape, m)?;
    if let Some(referral) = m.get("referral") {
        attachments.push(fields::extra("referral", referral));
    }
    Some(InboundEvent::Message(InboundMessage {
        platform_message_id: id,
        kind: ConversationKind::Direct,
        direction: MessageDirection::Inbound,
        participant: Participant { name: names.get(&from).cloned(), id: from, username: None },
        thread_root_id: None,
        parent_id: None,
        reply_to_id: m.pointer("/context/id").and_then(crate::meta::id_string),
        text,
        attachments,
        sent_at: at,
        shape: shape.to_string(),
    }))
}

/// The text and attachments of a message of type `shape` (its content is under the same key).
/// `None` for a type Sellcast does not know, or one missing its content.
fn content(shape: &str, m: &Value) -> Option<(Option<String>, Vec<Attachment>)> {
    let body = m.get(shape);
    let extra = |b: &Value| vec![fields::extra(shape, b)];
    Some(match shape {
        "text" => (string(body?, "body"), Vec::new()),
        "image" | "audio" | "video" | "document" | "sticker" => (string(body?, "caption"), vec![media(shape, body?)]),
        "location" => (None, vec![Attachment { extra: body.cloned(), ..fields::attachment(AttachmentKind::Location) }]),
        "contacts" => (None, vec![Attachment { extra: body.cloned(), ..fields::attachment(AttachmentKind::Contacts) }]),
        "interactive" => (interactive_text(body?), extra(body?)),
        "button" => (string(body?, "text"), extra(body?)),
        "order" => (string(body?, "text"), extra(body?)),
        "system" => (string(body?, "body"), extra(body?)),
        // Nothing to show: the shape says it all (`unsupported` also carries `errors[]`).
        "unsupported" | "request_welcome" => (None, Vec::new()),
        _ => return None,
    })
}

/// `{id, mime_type, sha256, caption, filename, animated, voice}`: downloaded by media id.
fn media(shape: &str, b: &Value) -> Attachment {
    let kind = match shape {
        "image" => AttachmentKind::Image,
        "audio" => AttachmentKind::Audio,
        "video" => AttachmentKind::Video,
        "sticker" => AttachmentKind::Sticker,
        _ => AttachmentKind::File,
    };
    let rest: serde_json::Map<String, Value> =
        ["sha256", "animated", "voice"].iter().filter_map(|k| Some((k.to_string(), b.get(*k)?.clone()))).collect();
    Attachment {
        kind,
        url: string(b, "url"),
        media_id: fields::id(b, "id"),
        mime_type: string(b, "mime_type"),
        filename: string(b, "filename"),
        caption: string(b, "caption"),
        extra: (!rest.is_empty()).then_some(Value::Object(rest)),
    }
}

/// The title of the button or list row chosen, or a flow's `body`.
fn interactive_text(i: &Value) -> Option<String> {
    match i.get("type").and_then(Value::as_str)? {
        "button_reply" => string_at(i, "/button_reply/title"),
        "list_reply" => string_at(i, "/list_reply/title"),
        "nfm_reply" => string_at(i, "/nfm_reply/body"),
        _ => None,
    }
}

/// `{id, status, timestamp, recipient_id, errors[{code, title, message, error_data.details}]}`;
/// `deleted`, `warning` and anything new are `None` (so `Unknown`).
fn status(s: &Value) -> Option<InboundEvent> {
    let state = match s.get("status").and_then(Value::as_str)? {
        "sent" => DeliveryState::Sent,
        "delivered" => DeliveryState::Delivered,
        "read" => DeliveryState::Read,
        "failed" => DeliveryState::Failed,
        _ => return None,
    };
    Some(InboundEvent::Status(StatusReport {
        platform_message_id: string(s, "id")?,
        state,
        recipient_id: fields::id(s, "recipient_id"),
        at: s.get("timestamp").and_then(fields::meta_time)?,
        error: array(s, "errors").first().map(status_error),
    }))
}

fn status_error(e: &Value) -> PlatformMessageError {
    let message = string_at(e, "/error_data/details").or_else(|| string(e, "message")).or_else(|| string(e, "title"));
    PlatformMessageError {
        code: e.get("code").and_then(Value::as_i64).unwrap_or(0),
        message: message.unwrap_or_else(|| "WhatsApp gave no reason".into()),
    }
}
