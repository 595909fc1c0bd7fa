//! The unified inbox: raw inbound events as received, conversations, messages, statuses that
//! came before their message, and what each member has read.

pub mod conversations;
pub mod cursors;
pub mod early_statuses;
pub mod inbound_events;
pub mod messages;
pub mod reads;
