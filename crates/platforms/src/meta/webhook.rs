//! Meta webhooks (Instagram, Facebook Messenger and Page feed, WhatsApp Cloud API): the
//! `X-Hub-Signature-256` check and the parser into Sellcast's [`InboundItem`]s.
//!
//! A delivery is `{"object": ..., "entry": [...]}`; each entry carries `messaging[]`
//! (Messenger/Instagram DMs, module `messaging`) or `changes[]` (comments, mentions, the Page
//! feed, module `changes`; WhatsApp messages and statuses, module `whatsapp`). The parser is
//! lenient on purpose: Meta adds shapes without notice, so anything it does not know becomes
//! [`InboundEvent::Unknown`] (kept and flagged), never an error. Only a body that is not JSON,
//! or not a webhook delivery at all, is refused.
//!
//! Sources:
//! - Signature: https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications
//! - Messenger: https://developers.facebook.com/docs/messenger-platform/webhooks and its event
//!   references (messages, message_echoes, message_edits, message_reactions, message_reads,
//!   message_deliveries, messaging_postbacks)
//! - Instagram: https://developers.facebook.com/docs/instagram-platform/webhooks/examples and
//!   https://developers.facebook.com/docs/graph-api/webhooks/getting-started/webhooks-for-instagram
//!   (comments, live_comments, mentions; `entry.time` there is in seconds)
//! - Page feed: https://developers.facebook.com/docs/graph-api/webhooks/reference/page (feed)
//! - WhatsApp: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
//!   (incoming messages, status, errors)
//! - Real shapes cross-checked against Chatwoot (app/builders/messages/, app/services/whatsapp/).

mod changes;
mod fields;
mod messaging;
mod signature;
mod whatsapp;

pub use signature::{sign, verify_signature, SignatureError};

use crate::inbound::{InboundEvent, InboundItem};
use chrono::{DateTime, Utc};
use sellcast_domain::Platform;
use serde_json::Value;

/// Why a webhook body was refused (the messages never quote the body).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the webhook body is not valid JSON: {0}")]
    NotJson(String),
    #[error("the webhook body is not a Meta webhook delivery: {0}")]
    NotAnEvent(String),
}

/// Parse a whole webhook delivery. Invalid JSON (including nesting deeper than serde_json's
/// recursion limit) or a top level that is not an object with `object` and an `entry` array is
/// an `Err`; everything else is `Ok`, with shapes Sellcast does not know as
/// [`InboundEvent::Unknown`] carrying the account id of their entry (`""` if absent).
pub fn parse(body: &[u8]) -> Result<Vec<InboundItem>, ParseError> {
    let root: Value = serde_json::from_slice(body).map_err(|e| ParseError::NotJson(e.to_string()))?;
    let Some(root) = root.as_object() else {
        return Err(ParseError::NotAnEvent("the top level is not a JSON object".into()));
    };
    let Some(object) = root.get("object").and_then(Value::as_str) else {
        return Err(ParseError::NotAnEvent("no \"object\" string at the top level".into()));
    };
    let Some(entries) = root.get("entry").and_then(Value::as_array) else {
        return Err(ParseError::NotAnEvent("no \"entry\" array at the top level".into()));
    };
    let mut items = Vec::new();
    for entry in entries {
        parse_entry(object, entry, &mut items);
    }
    Ok(items)
}

fn parse_entry(object: &str, entry: &Value, out: &mut Vec<InboundItem>) {
    let ctx = EntryCtx {
        platform: platform_of(object),
        account_id: entry.get("id").and_then(crate::meta::id_string).unwrap_or_default(),
        time: entry.get("time").and_then(fields::meta_time),
    };
    match object {
        _ if !entry.is_object() => out.push(ctx.unknown("entry", entry)),
        "instagram" | "page" => {
            let messaging = fields::array(entry, "messaging");
            let changes = fields::array(entry, "changes");
            for item in messaging {
                out.extend(messaging::parse(&ctx, item));
            }
            for change in changes {
                out.extend(changes::parse(&ctx, change));
            }
            // e.g. `standby` (another app is the primary receiver of the thread).
            if messaging.is_empty() && changes.is_empty() {
                out.push(ctx.unknown("entry", entry));
            }
        }
        "whatsapp_business_account" => whatsapp::parse_entry(&ctx, entry, out),
        other => out.push(ctx.unknown(other, entry)),
    }
}

/// Unknown objects (`user`, `permissions`…) are app-level Facebook notifications.
fn platform_of(object: &str) -> Platform {
    match object {
        "instagram" => Platform::Instagram,
        "whatsapp_business_account" => Platform::Whatsapp,
        _ => Platform::Facebook,
    }
}

/// What every item of one entry shares.
#[derive(Debug, Clone)]
struct EntryCtx {
    platform: Platform,
    account_id: String,
    /// When Meta sent the entry: the fallback for items without their own timestamp.
    time: Option<DateTime<Utc>>,
}

impl EntryCtx {
    fn item(&self, event: InboundEvent) -> InboundItem {
        InboundItem { platform: self.platform, account_id: self.account_id.clone(), event }
    }

    fn unknown(&self, field: &str, raw: &Value) -> InboundItem {
        self.item(InboundEvent::Unknown { field: field.to_string(), raw: raw.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_refuses_what_is_not_a_delivery() {
        assert!(matches!(parse(b"{"), Err(ParseError::NotJson(_))));
        assert!(matches!(parse(b"[]"), Err(ParseError::NotAnEvent(_))));
        assert!(matches!(parse(br#"{"object":"page"}"#), Err(ParseError::NotAnEvent(_))));
        assert!(matches!(parse(br#"{"object":1,"entry":[]}"#), Err(ParseError::NotAnEvent(_))));
        assert_eq!(parse(br#"{"object":"page","entry":[]}"#), Ok(vec![]));
    }

    #[test]
    fn webhook_error_messages_do_not_quote_the_body() {
        let err = parse(br#"{"object": "secret-token-123"#).unwrap_err();
        assert!(!err.to_string().contains("secret-token-123"), "{err}");
    }

    #[test]
    fn webhook_entries_that_are_not_objects_are_unknown() {
        let items = parse(br#"{"object":"instagram","entry":[42, {"id":"1"}]}"#).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].account_id, "");
        assert!(matches!(&items[0].event, InboundEvent::Unknown { field, .. } if field == "entry"));
        assert_eq!(items[1].account_id, "1");
    }
}
