//! The inbox's request and response bodies (the HTTP contract), mapped from the app's views.

use crate::api::shared::list_of;
use chrono::{DateTime, Utc};
use sellcast_app::inbox as app;
use sellcast_domain::{ConversationKind, ConversationPriority, ConversationStatus, DeliveryState, MessageDirection};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Conversation {
    pub id: String,
    pub channel_id: String,
    /// The connected account's handle.
    pub channel_handle: String,
    pub client_id: Option<String>,
    #[schema(value_type = crate::api::domain_schemas::PlatformSchema)]
    pub platform: String,
    #[schema(value_type = crate::api::domain_schemas::ConversationKindSchema)]
    pub kind: ConversationKind,
    pub participant: Participant,
    /// Comment threads: the Sellcast post the comments are on, when it is one of ours.
    pub post_id: Option<String>,
    /// Comment threads: the post's id on the platform.
    pub thread_id: Option<String>,
    #[schema(value_type = crate::api::domain_schemas::ConversationStatusSchema)]
    pub status: ConversationStatus,
    pub snoozed_until: Option<DateTime<Utc>>,
    #[schema(value_type = crate::api::domain_schemas::ConversationPrioritySchema)]
    pub priority: ConversationPriority,
    /// Unread for the caller: a customer message newer than their last read.
    pub unread: bool,
    pub message_count: i32,
    /// The latest message, one line.
    pub preview: String,
    pub last_message_at: DateTime<Utc>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    /// Until when a free-form reply is allowed (WhatsApp, Instagram and Messenger DMs: 24 hours
    /// after the customer's last message); null where no window applies or nobody wrote yet.
    pub reply_window_ends_at: Option<DateTime<Utc>>,
    /// WhatsApp outside its window: only an approved template can be sent.
    pub needs_template: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Participant {
    /// The person's id on the platform (PSID, IGSID, WhatsApp id, DID…).
    pub id: String,
    pub name: Option<String>,
    pub username: Option<String>,
}

impl Conversation {
    pub fn of(c: app::Conversation, now: DateTime<Utc>) -> Self {
        let needs_template = c.needs_template(now);
        Conversation {
            id: c.id,
            channel_id: c.channel_id,
            channel_handle: c.channel_handle,
            client_id: c.client_id,
            platform: c.platform,
            kind: c.kind,
            participant: Participant {
                id: c.participant.id,
                name: c.participant.name,
                username: c.participant.username,
            },
            post_id: c.post_id,
            thread_id: c.thread_id,
            status: c.status,
            snoozed_until: c.snoozed_until,
            priority: c.priority,
            unread: c.unread,
            message_count: c.message_count,
            preview: c.preview,
            last_message_at: c.last_message_at,
            last_inbound_at: c.last_inbound_at,
            reply_window_ends_at: c.reply_window_ends_at,
            needs_template,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationList {
    pub items: Vec<Conversation>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    /// Its id on the platform; null while a reply waits to be sent.
    pub platform_message_id: Option<String>,
    #[schema(value_type = crate::api::domain_schemas::MessageDirectionSchema)]
    pub direction: MessageDirection,
    /// The member who wrote a reply from Sellcast.
    pub author_user_id: Option<String>,
    /// The platform's name for the shape (`text`, `image`, `story_mention`, `template`…).
    pub shape: String,
    pub text: Option<String>,
    /// `[{kind, url, media_id, mime_type, filename, caption, extra}]`.
    #[schema(value_type = Vec<Object>)]
    pub attachments: Value,
    pub reply_to_id: Option<String>,
    /// Participant id → emoji.
    #[schema(value_type = Object)]
    pub reactions: Value,
    /// What the team sent: queued → sent → delivered → read, or failed; null for customers' messages.
    #[schema(value_type = Option<crate::api::domain_schemas::DeliveryStateSchema>)]
    pub delivery: Option<DeliveryState>,
    /// Why it failed, in the platform's words (with its code).
    pub error: Option<MessageError>,
    /// A WhatsApp template reply: `{name, language, parameters}`.
    #[schema(value_type = Option<Object>)]
    pub template: Option<Value>,
    /// The platform's time (threads are ordered by it).
    pub sent_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageError {
    pub code: Option<String>,
    pub message: String,
}

impl From<app::Message> for Message {
    fn from(m: app::Message) -> Self {
        Message {
            id: m.id,
            conversation_id: m.conversation_id,
            platform_message_id: m.platform_message_id,
            direction: m.direction,
            author_user_id: m.author_user_id,
            shape: m.shape,
            text: m.text,
            attachments: m.attachments,
            reply_to_id: m.reply_to_id,
            reactions: m.reactions,
            delivery: m.delivery,
            error: m.error.map(|e| MessageError { code: e.code, message: e.message }),
            template: m.template,
            sent_at: m.sent_at,
            edited_at: m.edited_at,
            deleted_at: m.deleted_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}
list_of!(MessageList, Message);

/// Change a conversation; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationPatch {
    #[schema(value_type = Option<crate::api::domain_schemas::ConversationStatusSchema>)]
    pub status: Option<ConversationStatus>,
    /// Required with status `snoozed`: when it opens again (in the future).
    pub snoozed_until: Option<DateTime<Utc>>,
    #[schema(value_type = Option<crate::api::domain_schemas::ConversationPrioritySchema>)]
    pub priority: Option<ConversationPriority>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkActionName {
    MarkRead,
    MarkUnread,
    Resolve,
    Reopen,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// 1 to 200 conversation ids of the organization.
    #[schema(min_items = 1, max_items = 200)]
    pub ids: Vec<String>,
    pub action: BulkActionName,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    /// How many of the ids were conversations of the organization (and were changed).
    pub updated: usize,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// The text (not with `template`).
    #[schema(max_length = 10000)]
    pub text: Option<String>,
    /// WhatsApp: an approved template, the only thing allowed outside the 24-hour window.
    pub template: Option<TemplateRequest>,
    /// Comments: answer the commenter privately instead of publicly.
    #[serde(default)]
    pub private: bool,
    /// The same key again returns the first reply instead of sending twice.
    #[schema(max_length = 200)]
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateRequest {
    #[schema(min_length = 1, max_length = 512)]
    pub name: String,
    /// e.g. `en_US`.
    #[schema(min_length = 1, max_length = 20)]
    pub language: String,
    /// The body's `{{1}}`, `{{2}}`… in order.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub parameters: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxReceiveRequest {
    #[schema(value_type = crate::api::domain_schemas::ConversationKindSchema)]
    pub kind: ConversationKind,
    #[schema(min_length = 1, max_length = 100)]
    pub from_name: String,
    #[schema(max_length = 100)]
    pub from_username: Option<String>,
    #[schema(min_length = 1, max_length = 10000)]
    pub text: String,
    /// Comments: the sandbox post they are on.
    pub post_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Received {
    /// The stored inbound event; its message appears once the queue has processed it.
    pub event_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboundEvent {
    pub id: i64,
    /// `meta`, or `sandbox:<channel id>`.
    pub source: String,
    #[schema(value_type = crate::api::domain_schemas::InboundStateSchema)]
    pub state: sellcast_domain::InboundState,
    pub items: i32,
    /// Items for no connected channel: kept here, shown to no organization.
    pub unmatched_items: i32,
    /// Items of shapes Sellcast does not know.
    pub unknown_items: i32,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// The raw body as received.
    pub body: String,
    pub received_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
}

impl From<app::InboundEvent> for InboundEvent {
    fn from(e: app::InboundEvent) -> Self {
        InboundEvent {
            id: e.id,
            source: e.source,
            state: e.state,
            items: e.items,
            unmatched_items: e.unmatched_items,
            unknown_items: e.unknown_items,
            attempts: e.attempts,
            last_error: e.last_error,
            body: e.body,
            received_at: e.received_at,
            processed_at: e.processed_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboundEventList {
    pub items: Vec<InboundEvent>,
    /// Pass as `before` to get older events; null on the last page.
    pub next_before: Option<i64>,
}
