//! The inbox's events on the org stream (written in the transaction of the change).

use super::view::{Conversation, Message};
use crate::events::EventData;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct MessageCreated<'a> {
    pub conversation_id: &'a str,
    pub message: &'a Message,
}

impl EventData for MessageCreated<'_> {
    const KIND: &'static str = "message.created";
}

/// A message's delivery state, text (edit), reactions or deletion changed.
#[derive(Debug, Serialize)]
pub struct MessageUpdated<'a> {
    pub conversation_id: &'a str,
    pub message: &'a Message,
}

impl EventData for MessageUpdated<'_> {
    const KIND: &'static str = "message.updated";
}

/// Status, priority, activity or read state changed. `unread` in it is as seen by nobody in
/// particular (false); clients ask for their own view.
#[derive(Debug, Serialize)]
pub struct ConversationUpdated<'a> {
    pub conversation: &'a Conversation,
}

impl EventData for ConversationUpdated<'_> {
    const KIND: &'static str = "conversation.updated";
}
