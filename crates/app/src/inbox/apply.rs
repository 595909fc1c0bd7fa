//! One inbound item applied to one channel, inside the transaction of its event: a message is
//! stored once and opens (or reopens) its conversation; a status moves a message forward only
//! (kept for later when it beats its message); reactions, edits, deletes and read receipts
//! change the message they name.

use super::events::{ConversationUpdated, MessageCreated, MessageUpdated};
use super::view::{Conversation, Message};
use crate::error::AppResult;
use crate::events::emit;
use chrono::{DateTime, Utc};
use sellcast_domain::{ids, ConversationKind, ConversationStatus, DeliveryState, MessageDirection};
use sellcast_platforms::inbound::{InboundEvent, InboundMessage, StatusReport};
use sellcast_queue::{ops as jobs, NewJob};
use sellcast_store::channels::ChannelRow;
use sellcast_store::inbox::conversations::{self, Activity, ThreadKey};
use sellcast_store::inbox::early_statuses::{self, EarlyStatusRow};
use sellcast_store::inbox::messages::{self, MessageRow, OptionalDelivery};
use sellcast_store::Conn;
use serde_json::{json, Value};

/// Longest preview kept on a conversation (the list shows one line).
const PREVIEW_CHARS: usize = 140;

pub(crate) async fn apply(mut c: Conn<'_>, ch: &ChannelRow, event: &InboundEvent, now: DateTime<Utc>) -> AppResult<()> {
    match event {
        InboundEvent::Message(m) => message(c, ch, m, now).await,
        InboundEvent::Status(s) => status(c, ch, s, now).await,
        InboundEvent::Reaction { platform_message_id, participant_id, emoji, .. } => {
            let Some(row) = messages::by_platform_id(c.re(), &ch.id, platform_message_id).await? else {
                return Ok(());
            };
            let mut reactions = match &row.reactions {
                Value::Object(map) => map.clone(),
                _ => serde_json::Map::new(),
            };
            match emoji {
                Some(e) => reactions.insert(participant_id.clone(), json!(e)),
                None => reactions.remove(participant_id),
            };
            let reactions = Value::Object(reactions);
            messages::set_reactions(c.re(), &row.id, &reactions, now).await?;
            updated(c, &row.id, &row.org_id, now).await
        }
        InboundEvent::Edit { platform_message_id, text, at } => {
            let Some(row) = messages::by_platform_id(c.re(), &ch.id, platform_message_id).await? else {
                return Ok(());
            };
            messages::edit(c.re(), &row.id, text, *at, now).await?;
            updated(c, &row.id, &row.org_id, now).await
        }
        InboundEvent::Delete { platform_message_id, at } => {
            let Some(row) = messages::by_platform_id(c.re(), &ch.id, platform_message_id).await? else {
                return Ok(());
            };
            messages::delete(c.re(), &row.id, *at, now).await?;
            updated(c, &row.id, &row.org_id, now).await
        }
        InboundEvent::Read { participant_id, watermark, .. } => {
            let Some(conv) = conversations::direct_with(c.re(), &ch.id, participant_id).await? else {
                return Ok(());
            };
            for m in messages::unread_outbound_until(c.re(), &conv.id, *watermark).await? {
                move_delivery(c.re(), &m, DeliveryState::Read, None, now).await?;
            }
            Ok(())
        }
        // Counted by the caller; nothing to show.
        InboundEvent::Unknown { .. } => Ok(()),
    }
}

async fn message(mut c: Conn<'_>, ch: &ChannelRow, m: &InboundMessage, now: DateTime<Utc>) -> AppResult<()> {
    messages::lock_platform_id(c.re(), &ch.id, &m.platform_message_id).await?;
    if messages::by_platform_id(c.re(), &ch.id, &m.platform_message_id).await?.is_some() {
        return Ok(()); // delivered again
    }
    let thread_key = match m.kind {
        ConversationKind::Comment => m.thread_root_id.clone().unwrap_or_default(),
        ConversationKind::Direct | ConversationKind::Mention => String::new(),
    };
    let post_id = match (m.kind, m.thread_root_id.as_deref()) {
        (ConversationKind::Comment, Some(root)) => conversations::post_published_as(c.re(), &ch.id, root).await?,
        _ => None,
    };
    let key = ThreadKey {
        org_id: &ch.org_id,
        channel_id: &ch.id,
        platform: &ch.platform,
        kind: m.kind,
        thread_key: &thread_key,
        participant_id: &m.participant.id,
        participant_name: m.participant.name.as_deref(),
        participant_username: m.participant.username.as_deref(),
        post_id: post_id.as_deref(),
    };
    let conv = conversations::find_or_create(c.re(), &key, &ids::new_id(), m.sent_at, now).await?;
    let inbound = m.direction == MessageDirection::Inbound;
    let row = MessageRow {
        id: ids::new_id(),
        org_id: ch.org_id.clone(),
        conversation_id: conv.id.clone(),
        channel_id: ch.id.clone(),
        platform_message_id: Some(m.platform_message_id.clone()),
        direction: m.direction,
        author_user_id: None,
        shape: m.shape.clone(),
        text: m.text.clone(),
        attachments: serde_json::to_value(&m.attachments).unwrap_or(Value::Array(vec![])),
        reply_to_id: m.reply_to_id.clone().or_else(|| m.parent_id.clone()),
        reactions: json!({}),
        // An echo of what the account sent from the platform's own app has been sent.
        delivery: OptionalDelivery((!inbound).then_some(DeliveryState::Sent)),
        error_code: None,
        error_message: None,
        idempotency_key: None,
        template: None,
        sent_at: m.sent_at,
        edited_at: None,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    };
    if !messages::insert(c.re(), &row).await? {
        return Ok(()); // a concurrent delivery of the same message won
    }
    if super::media::wants_fetch(&row.attachments) {
        let job = NewJob::of(&super::media::FetchMedia { message_id: row.id.clone() });
        jobs::enqueue(c.re(), &job, now).await?;
    }
    let preview = preview_of(&row);
    let activity = if inbound {
        Activity { at: m.sent_at, inbound, preview: &preview, from: None, to: conv.status.on_inbound() }
    } else {
        let to = ConversationStatus::Open.on_reply();
        Activity { at: m.sent_at, inbound, preview: &preview, from: Some(ConversationStatus::Open), to }
    };
    conversations::record_activity(c.re(), &conv.id, &activity, now).await?;
    let mut row = row;
    if !inbound {
        for early in early_statuses::take(c.re(), &ch.id, &m.platform_message_id).await? {
            if let Some(next) = row.delivery.0.unwrap_or(DeliveryState::Sent).advance(early.delivery) {
                let err = early.error_message.as_deref().map(|msg| (early.error_code.as_deref().unwrap_or(""), msg));
                messages::set_delivery(c.re(), &row.id, row.delivery.0, next, err, now).await?;
                row.delivery = OptionalDelivery(Some(next));
                row.error_code = early.error_code.clone();
                row.error_message = early.error_message.clone();
            }
        }
    }
    let message = Message::from(row);
    emit(c.re(), &ch.org_id, None, &MessageCreated { conversation_id: &conv.id, message: &message }, now).await?;
    conversation_changed(c, ch, &conv.id, now).await
}

async fn status(mut c: Conn<'_>, ch: &ChannelRow, s: &StatusReport, now: DateTime<Utc>) -> AppResult<()> {
    let error = s.error.as_ref().map(|e| (e.code.to_string(), e.message.clone()));
    messages::lock_platform_id(c.re(), &ch.id, &s.platform_message_id).await?;
    match messages::by_platform_id(c.re(), &ch.id, &s.platform_message_id).await? {
        Some(row) => {
            let err = error.as_ref().map(|(code, msg)| (code.as_str(), msg.as_str()));
            move_delivery(c, &row, s.state, err, now).await
        }
        None if s.state != DeliveryState::Queued => {
            let early = EarlyStatusRow {
                delivery: s.state,
                error_code: error.as_ref().map(|e| e.0.clone()),
                error_message: error.map(|e| e.1),
                reported_at: s.at,
            };
            early_statuses::keep(c, &ch.id, &s.platform_message_id, &early).await?;
            Ok(())
        }
        None => Ok(()),
    }
}

/// Move a message we sent to `reported` when that is progress (domain rule); announce it. The
/// state is compared and set in one statement; if another report changed it meanwhile, the
/// rule is applied again to what is there now.
pub(crate) async fn move_delivery(
    mut c: Conn<'_>,
    row: &MessageRow,
    reported: DeliveryState,
    error: Option<(&str, &str)>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut current = row.delivery.0;
    for _ in 0..4 {
        // What customers send has no delivery state of ours.
        let Some(from) = current else { return Ok(()) };
        let Some(next) = from.advance(reported) else { return Ok(()) };
        let err = if next == DeliveryState::Failed { error } else { None };
        if messages::set_delivery(c.re(), &row.id, Some(from), next, err, now).await? {
            return updated(c, &row.id, &row.org_id, now).await;
        }
        current = messages::by_id(c.re(), &row.org_id, &row.id).await?.and_then(|m| m.delivery.0);
    }
    Ok(())
}

async fn updated(mut c: Conn<'_>, id: &str, org_id: &str, now: DateTime<Utc>) -> AppResult<()> {
    if let Some(row) = messages::by_id(c.re(), org_id, id).await? {
        let conversation_id = row.conversation_id.clone();
        let message = Message::from(row);
        emit(c, org_id, None, &MessageUpdated { conversation_id: &conversation_id, message: &message }, now).await?;
    }
    Ok(())
}

/// Announce the conversation as it is now.
pub(crate) async fn conversation_changed(
    mut c: Conn<'_>,
    ch: &ChannelRow,
    id: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if let Some(row) = conversations::by_id(c.re(), &ch.org_id, id).await? {
        let conversation = Conversation::from_row(row, ch.handle.clone(), ch.client_id.clone(), false);
        emit(c, &ch.org_id, None, &ConversationUpdated { conversation: &conversation }, now).await?;
    }
    Ok(())
}

/// One line for the conversation list: the text, else what was attached.
pub(crate) fn preview_of(m: &MessageRow) -> String {
    let text = m.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let line = match text {
        Some(t) => t.to_string(),
        None => match m.attachments.as_array().and_then(|a| a.first()) {
            Some(a) => format!("[{}]", a.get("kind").and_then(Value::as_str).unwrap_or("attachment")),
            None => format!("[{}]", m.shape),
        },
    };
    let one_line: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(PREVIEW_CHARS).collect()
}
