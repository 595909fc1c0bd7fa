//! A member's reply: checked against the platform's rules before anything is stored (length,
//! the 24-hour window, templates outside it), stored once per idempotency key as a queued
//! message with its send job, in one transaction; the job sends it (`send`).

use super::apply::{conversation_changed, preview_of};
use super::events::MessageCreated;
use super::send::SendMessage;
use super::view::{Conversation, Message};
use crate::authorize::authorize;
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::events::emit;
use crate::App;
use sellcast_domain::{ids, rules, ConversationKind, ConversationStatus, DeliveryState, MessageDirection, Permission};
use sellcast_queue::{ops as jobs, NewJob};
use sellcast_store::channels;
use sellcast_store::inbox::conversations::{self, Activity};
use sellcast_store::inbox::messages::{self, MessageRow, OptionalDelivery};
use serde_json::{json, Value};

/// What a member sends: text, or (WhatsApp) an approved template with its parameters.
#[derive(Debug, Clone, Default)]
pub struct ReplyInput {
    pub text: Option<String>,
    pub template: Option<TemplateInput>,
    /// For comments: answer the commenter privately (Instagram and Facebook) instead of publicly.
    pub private: bool,
    /// The same key again returns the first reply instead of sending twice.
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TemplateInput {
    pub name: String,
    pub language: String,
    /// The body's `{{1}}`, `{{2}}`… in order.
    pub parameters: Vec<String>,
}

const MAX_KEY_CHARS: usize = 200;

/// The reply as stored (queued), and whether this call created it.
pub async fn reply(
    app: &App,
    actor: &Actor,
    org_id: &str,
    conversation_id: &str,
    input: ReplyInput,
) -> AppResult<(Message, bool)> {
    authorize(app, actor, org_id, Permission::InboxReply).await?;
    let now = app.clock.now();
    let conv: Conversation = {
        let mut c = app.db.read().await?;
        conversations::get(c.conn(), org_id, &actor.user_id, conversation_id)
            .await?
            .ok_or(AppError::NotFound("conversation"))?
            .into()
    };
    let key = input.idempotency_key.as_deref().map(str::trim).filter(|k| !k.is_empty());
    if key.is_some_and(|k| k.chars().count() > MAX_KEY_CHARS) {
        return Err(AppError::validation("idempotency_key", format!("must be at most {MAX_KEY_CHARS} characters")));
    }
    if let Some(k) = key {
        let mut c = app.db.read().await?;
        if let Some(existing) = messages::by_idempotency_key(c.conn(), conversation_id, k).await? {
            return Ok((existing.into(), false));
        }
    }
    let (text, template) = check(&conv, &input, now)?;
    let shape = if template.is_some() {
        "template"
    } else if input.private {
        "private_reply"
    } else {
        "text"
    };
    let row = MessageRow {
        id: ids::new_id(),
        org_id: org_id.to_string(),
        conversation_id: conv.id.clone(),
        channel_id: conv.channel_id.clone(),
        platform_message_id: None,
        direction: MessageDirection::Outbound,
        author_user_id: Some(actor.user_id.clone()),
        shape: shape.into(),
        text,
        attachments: json!([]),
        reply_to_id: None,
        reactions: json!({}),
        delivery: OptionalDelivery(Some(DeliveryState::Queued)),
        error_code: None,
        error_message: None,
        idempotency_key: key.map(str::to_string),
        template,
        sent_at: now,
        edited_at: None,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.db.begin().await?;
    let channel = channels::by_id(tx.conn(), org_id, &conv.channel_id).await?.ok_or(AppError::NotFound("channel"))?;
    if !channel.status.can_publish() {
        return Err(AppError::validation(
            "channel",
            format!("{} needs to be reconnected before replies can be sent", channel.handle),
        ));
    }
    if !messages::insert(tx.conn(), &row).await? {
        // The same key raced in from another request: answer with that one.
        drop(tx);
        let mut c = app.db.read().await?;
        let k = key.unwrap_or_default();
        let existing = messages::by_idempotency_key(c.conn(), conversation_id, k).await?;
        return existing.map(|m| (m.into(), false)).ok_or(AppError::Conflict("the reply could not be stored".into()));
    }
    let preview = preview_of(&row);
    let to = ConversationStatus::Open.on_reply();
    let activity = Activity { at: now, inbound: false, preview: &preview, from: Some(ConversationStatus::Open), to };
    conversations::record_activity(tx.conn(), &conv.id, &activity, now).await?;
    jobs::enqueue(tx.conn(), &NewJob::of(&SendMessage { message_id: row.id.clone() }), now).await?;
    let message = Message::from(row);
    emit(tx.conn(), org_id, None, &MessageCreated { conversation_id: &conv.id, message: &message }, now).await?;
    conversation_changed(tx.conn(), &channel, &conv.id, now).await?;
    tx.commit().await?;
    Ok((message, true))
}

/// The platform's rules for this reply: the text (or template) to store.
fn check(
    conv: &Conversation,
    input: &ReplyInput,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<(Option<String>, Option<Value>)> {
    if let Some(t) = &input.template {
        if conv.platform != "whatsapp" {
            return Err(AppError::validation("template", "templates are for WhatsApp conversations"));
        }
        if t.name.trim().is_empty() || t.language.trim().is_empty() {
            return Err(AppError::validation("template", "needs a name and a language"));
        }
        let t = json!({"name": t.name.trim(), "language": t.language.trim(), "parameters": t.parameters});
        return Ok((None, Some(t)));
    }
    let text = input.text.as_deref().map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Err(AppError::validation("text", "write something to send"));
    }
    let platform = crate::channels::platform_of(&conv.platform)?;
    let max = rules::limits(platform).max_chars;
    if rules::count(platform, text) > max {
        return Err(AppError::validation("text", format!("{} allows at most {max} characters", platform.label())));
    }
    if input.private && conv.kind != ConversationKind::Comment {
        return Err(AppError::validation("private", "only a comment can be answered privately"));
    }
    if conv.needs_template(now) {
        let since = conv.last_inbound_at.map(|t| t.to_rfc3339()).unwrap_or_else(|| "never".into());
        return Err(AppError::validation(
            "text",
            format!(
                "WhatsApp allows free-form messages only within 24 hours of the customer's last message \
                 (last message: {since}); send an approved template instead"
            ),
        ));
    }
    if !conv.window_open(now) {
        return Err(AppError::validation(
            "text",
            format!("{} allows replies only within 24 hours of the customer's last message", platform.label()),
        ));
    }
    Ok((Some(text.to_string()), None))
}
