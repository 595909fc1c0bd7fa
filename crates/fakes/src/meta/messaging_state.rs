//! What the fake remembers of Instagram and Messenger conversations: the messaging clock,
//! people's last messages, comments, what was sent, webhook subscriptions.

use super::network::Network;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

/// A direct message or private reply the fake accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct DmSent {
    pub id: String,
    pub network: Network,
    /// The Page or Instagram account it was sent from.
    pub account_id: String,
    /// The PSID/IGSID, or None for a private reply.
    pub recipient_id: Option<String>,
    pub comment_id: Option<String>,
    pub messaging_type: Option<String>,
    pub tag: Option<String>,
    pub text: Option<String>,
    /// Attachment type and URL.
    pub attachment: Option<(String, String)>,
}

/// A public reply under a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentReply {
    pub id: String,
    pub network: Network,
    pub comment_id: String,
    pub text: String,
}

pub(crate) struct FakeComment {
    pub network: Network,
    /// The Page or Instagram account whose post it is on.
    pub account_id: String,
    pub created_at: DateTime<Utc>,
    pub privately_replied: bool,
}

#[derive(Default)]
pub(crate) struct MessagingWorld {
    /// The messaging clock runs this far ahead of real time (tests jump past windows).
    pub clock_offset: Duration,
    /// (Page or Instagram account, PSID/IGSID) → the person's last message.
    pub last_message: HashMap<(String, String), DateTime<Utc>>,
    pub comments: HashMap<String, FakeComment>,
    pub sent: Vec<DmSent>,
    pub replies: Vec<CommentReply>,
    /// Page or WhatsApp Business Account → subscribed fields.
    pub subscriptions: HashMap<String, Vec<String>>,
    pub fail_subscriptions: bool,
}

impl MessagingWorld {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }
}
