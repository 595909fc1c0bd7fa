//! What the networks tell Sellcast, in one shape whatever the network: a message (a DM, a
//! comment, a mention), a delivery status of a message we sent, a reaction, an edit, a delete,
//! a read receipt. Webhook parsers (Meta) and pollers (Bluesky, Mastodon, X) produce these;
//! the inbox stores them. Nothing here knows about organizations: the account id says which
//! connected channel an item belongs to, and the app decides.

use chrono::{DateTime, Utc};
use sellcast_domain::{ConversationKind, DeliveryState, MessageDirection, Platform};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One thing that happened on one connected account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundItem {
    pub platform: Platform,
    /// The id the channel is connected under: a Facebook Page id, an Instagram professional
    /// account id, a WhatsApp phone number id, a Bluesky DID, a Mastodon/X account id.
    pub account_id: String,
    pub event: InboundEvent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboundEvent {
    Message(InboundMessage),
    Status(StatusReport),
    /// A reaction to a message; `emoji: None` removes it (an unreaction).
    Reaction {
        platform_message_id: String,
        participant_id: String,
        emoji: Option<String>,
        at: DateTime<Utc>,
    },
    /// The sender edited a message.
    Edit {
        platform_message_id: String,
        text: String,
        at: DateTime<Utc>,
    },
    /// The sender deleted (unsent) a message, or a comment was removed.
    Delete {
        platform_message_id: String,
        at: DateTime<Utc>,
    },
    /// The participant read everything we sent up to `watermark` (Messenger, Instagram).
    Read {
        participant_id: String,
        watermark: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    /// A shape Sellcast does not know: kept, flagged, never an error.
    Unknown {
        field: String,
        raw: Value,
    },
}

/// A message as the network reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// Unique per channel: the `mid`, the WhatsApp `wamid`, the comment id, the post URI.
    pub platform_message_id: String,
    pub kind: ConversationKind,
    /// `Outbound` for echoes of what the account itself sent (from Sellcast or the app).
    pub direction: MessageDirection,
    /// The customer: the sender of an inbound message, the recipient of an echo.
    pub participant: Participant,
    /// For comments and mentions: the post the thread hangs on (its platform id).
    pub thread_root_id: Option<String>,
    /// For comments: the comment this one answers, when it answers one.
    pub parent_id: Option<String>,
    /// The message this one quotes or replies to (a DM reply, a story reply).
    pub reply_to_id: Option<String>,
    pub text: Option<String>,
    pub attachments: Vec<Attachment>,
    /// The network's timestamp: threads are ordered by it.
    pub sent_at: DateTime<Utc>,
    /// The network's own name for the shape (`text`, `image`, `interactive`, `story_mention`…).
    pub shape: String,
}

/// Who wrote (or, for an echo, who was written to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Participant {
    /// The id the network uses for this person on this account (PSID, IGSID, `wa_id`, DID…).
    pub id: String,
    pub name: Option<String>,
    pub username: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub kind: AttachmentKind,
    /// Where to fetch it now (Instagram/Messenger CDN URLs expire: a job copies them).
    pub url: Option<String>,
    /// A WhatsApp media id (downloaded through `GET /{media-id}`).
    pub media_id: Option<String>,
    pub mime_type: Option<String>,
    pub filename: Option<String>,
    pub caption: Option<String>,
    /// What does not fit the fields above (a location's coordinates, shared contacts, a
    /// button's payload), as the network sent it.
    pub extra: Option<Value>,
}

/// The wording of each is the network's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Image,
    Audio,
    Video,
    File,
    Sticker,
    Location,
    Contacts,
    /// A shared post, reel or link.
    Share,
    StoryMention,
    StoryReply,
    /// A template, fallback or anything else the network calls an attachment.
    Other,
}

/// The network's word on a message Sellcast (or the account) sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    pub platform_message_id: String,
    pub state: DeliveryState,
    pub recipient_id: Option<String>,
    pub at: DateTime<Utc>,
    pub error: Option<PlatformMessageError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformMessageError {
    pub code: i64,
    pub message: String,
}

/// One poll of a network without webhooks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Polled {
    /// Oldest first; each `platform` and `account_id` those of the polled account.
    pub items: Vec<InboundItem>,
    /// Where the next poll starts (None: keep the previous one).
    pub cursor: Option<String>,
    /// The network asked for a pause (rate-limit reset): no poll before this.
    pub not_before: Option<DateTime<Utc>>,
}

/// A reply posted under a mention or a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRequest {
    /// The post answered (Bluesky AT URI, Mastodon status id, X post id).
    pub parent_id: String,
    pub text: String,
    /// Direct conversations (Mastodon direct statuses) answer privately.
    pub direct: bool,
    /// Stable across attempts: sent where the network honours one (Mastodon's
    /// `Idempotency-Key`, Bluesky's record key).
    pub idempotency_key: String,
}
