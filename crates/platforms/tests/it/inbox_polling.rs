//! The inbox side of the networks without webhooks (Bluesky, Mastodon, X): polls that return
//! what arrived since the stored cursor, oldest first, and replies threaded under a post, each
//! against its fake (which derives notifications and mentions the way the network does).

mod bluesky;
mod mastodon;
mod x;

use sellcast_domain::ConversationKind;
use sellcast_platforms::inbound::{InboundEvent, InboundItem, InboundMessage, Polled};

/// The messages of a poll, in order.
pub fn messages(polled: &Polled) -> Vec<&InboundMessage> {
    polled
        .items
        .iter()
        .map(|i: &InboundItem| match &i.event {
            InboundEvent::Message(m) => m,
            other => panic!("a poll gave something else than a message: {other:?}"),
        })
        .collect()
}

pub fn ids(polled: &Polled) -> Vec<&str> {
    messages(polled).iter().map(|m| m.platform_message_id.as_str()).collect()
}

pub fn kinds(polled: &Polled) -> Vec<ConversationKind> {
    messages(polled).iter().map(|m| m.kind).collect()
}

/// `not_before` is set, in the future and within `max_minutes`.
pub fn paused_for_at_most(polled: &Polled, max_minutes: i64) {
    let at = polled.not_before.unwrap_or_else(|| panic!("no pause: {polled:?}"));
    let now = chrono::Utc::now();
    assert!(at > now - chrono::Duration::seconds(5) && at <= now + chrono::Duration::minutes(max_minutes), "{at}");
}
