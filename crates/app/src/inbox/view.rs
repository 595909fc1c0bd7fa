//! What the inbox hands to the upper layers: conversations and messages as a member sees them.

use chrono::{DateTime, Utc};
use sellcast_domain::{ConversationKind, ConversationPriority, ConversationStatus, DeliveryState, MessageDirection};
use sellcast_store::inbox::conversations::{ConversationListRow, ConversationRow};
use sellcast_store::inbox::messages::MessageRow;
use serde::Serialize;

/// WhatsApp (and Messenger/Instagram) answer free-form messages only this long after the
/// customer's last message.
pub const MESSAGING_WINDOW_HOURS: i64 = 24;

#[derive(Debug, Clone, Serialize)]
pub struct Conversation {
    pub id: String,
    pub channel_id: String,
    pub channel_handle: String,
    pub client_id: Option<String>,
    pub platform: String,
    pub kind: ConversationKind,
    pub participant: Participant,
    /// For comment threads: the Sellcast post the comments are on, when it is one of ours.
    pub post_id: Option<String>,
    /// For comment threads: the post's id on the platform.
    pub thread_id: Option<String>,
    pub status: ConversationStatus,
    pub snoozed_until: Option<DateTime<Utc>>,
    pub priority: ConversationPriority,
    pub unread: bool,
    pub message_count: i32,
    pub preview: String,
    pub last_message_at: DateTime<Utc>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    /// Until when a free-form reply is allowed (None: no window applies, or the customer
    /// never wrote).
    pub reply_window_ends_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Participant {
    pub id: String,
    pub name: Option<String>,
    pub username: Option<String>,
}

impl Conversation {
    pub(crate) fn from_row(
        r: ConversationRow,
        channel_handle: String,
        client_id: Option<String>,
        unread: bool,
    ) -> Self {
        let window = window_applies(&r.platform, r.kind)
            .then(|| r.last_inbound_at.map(|t| t + chrono::Duration::hours(MESSAGING_WINDOW_HOURS)))
            .flatten();
        Conversation {
            id: r.id,
            channel_id: r.channel_id,
            channel_handle,
            client_id,
            platform: r.platform,
            kind: r.kind,
            participant: Participant {
                id: r.participant_id,
                name: r.participant_name,
                username: r.participant_username,
            },
            post_id: r.post_id,
            thread_id: (!r.thread_key.is_empty()).then_some(r.thread_key),
            status: r.status,
            snoozed_until: r.snoozed_until,
            priority: r.priority,
            unread,
            message_count: r.message_count,
            preview: r.preview,
            last_message_at: r.last_message_at,
            last_inbound_at: r.last_inbound_at,
            reply_window_ends_at: window,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }

    /// A free-form reply is allowed now.
    pub fn window_open(&self, now: DateTime<Utc>) -> bool {
        match self.reply_window_ends_at {
            Some(end) => now < end,
            None => !window_applies(&self.platform, self.kind),
        }
    }

    /// Replies outside the window need an approved template (WhatsApp).
    pub fn needs_template(&self, now: DateTime<Utc>) -> bool {
        self.platform == "whatsapp" && !self.window_open(now)
    }
}

impl From<ConversationListRow> for Conversation {
    fn from(r: ConversationListRow) -> Self {
        Conversation::from_row(r.conversation, r.channel_handle, r.client_id, r.unread)
    }
}

/// Direct messages on WhatsApp, Instagram and Messenger: the 24-hour rule.
pub fn window_applies(platform: &str, kind: ConversationKind) -> bool {
    kind == ConversationKind::Direct && matches!(platform, "whatsapp" | "instagram" | "facebook")
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    pub platform_message_id: Option<String>,
    pub direction: MessageDirection,
    /// The member who wrote a reply from Sellcast.
    pub author_user_id: Option<String>,
    /// The platform's name for the shape (`text`, `image`, `story_mention`, `template`…).
    pub shape: String,
    pub text: Option<String>,
    pub attachments: serde_json::Value,
    pub reply_to_id: Option<String>,
    /// Participant id → emoji.
    pub reactions: serde_json::Value,
    /// The delivery state of what the team sent; None for what customers sent.
    pub delivery: Option<DeliveryState>,
    pub error: Option<MessageError>,
    pub template: Option<serde_json::Value>,
    pub sent_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageError {
    pub code: Option<String>,
    pub message: String,
}

impl From<MessageRow> for Message {
    fn from(r: MessageRow) -> Self {
        let error = r.error_message.map(|message| MessageError { code: r.error_code, message });
        let attachments = with_content_urls(r.attachments, &r.org_id, &r.id);
        Message {
            id: r.id,
            conversation_id: r.conversation_id,
            platform_message_id: r.platform_message_id,
            direction: r.direction,
            author_user_id: r.author_user_id,
            shape: r.shape,
            text: r.text,
            attachments,
            reply_to_id: r.reply_to_id,
            reactions: r.reactions,
            delivery: r.delivery.0,
            error,
            template: r.template,
            sent_at: r.sent_at,
            edited_at: r.edited_at,
            deleted_at: r.deleted_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// An inbound event as instance admins see it (the body as text when it is UTF-8).
#[derive(Debug, Clone, Serialize)]
pub struct InboundEvent {
    pub id: i64,
    pub source: String,
    pub state: sellcast_domain::InboundState,
    pub items: i32,
    pub unmatched_items: i32,
    pub unknown_items: i32,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub body: String,
    pub received_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
}

impl From<sellcast_store::inbox::inbound_events::InboundEventRow> for InboundEvent {
    fn from(r: sellcast_store::inbox::inbound_events::InboundEventRow) -> Self {
        InboundEvent {
            id: r.id,
            source: r.source,
            state: r.state,
            items: r.items,
            unmatched_items: r.unmatched_items,
            unknown_items: r.unknown_items,
            attempts: r.attempts,
            last_error: r.last_error,
            body: String::from_utf8_lossy(&r.body).into_owned(),
            received_at: r.received_at,
            processed_at: r.processed_at,
        }
    }
}

/// Stored attachments get the API path of their bytes (`content_url`).
fn with_content_urls(mut attachments: serde_json::Value, org_id: &str, message_id: &str) -> serde_json::Value {
    if let Some(list) = attachments.as_array_mut() {
        for (n, a) in list.iter_mut().enumerate() {
            if a.get("stored").is_some() {
                a["content_url"] =
                    serde_json::json!(format!("/api/v1/orgs/{org_id}/messages/{message_id}/attachments/{n}"));
            }
        }
    }
    attachments
}
