//! What no page can produce, written to the store directly: a WhatsApp conversation whose
//! customer last wrote two days ago, with a bubble of every kind.

use crate::common::TestServer;
use chrono::{DateTime, Duration, Utc};
use sellcast_domain::{ids, ChannelStatus, ConversationKind, ConversationStatus, DeliveryState, MessageDirection};
use sellcast_store::channels::ChannelRow;
use sellcast_store::inbox::conversations::{self, Activity, ThreadKey};
use sellcast_store::inbox::messages::{self, MessageRow, OptionalDelivery};
use serde_json::json;

/// A WhatsApp channel and a conversation whose customer last wrote two days ago (what no page
/// can produce); the conversation's id.
pub async fn whatsapp_out_of_window(srv: &TestServer, org: &str) -> String {
    let now = srv.app.clock.now();
    let channel = ChannelRow {
        id: ids::new_id(),
        org_id: org.into(),
        client_id: None,
        platform: "whatsapp".into(),
        account_id: format!("wa-{}", ids::new_id()),
        server_url: String::new(),
        handle: "+1 555 0100".into(),
        display_name: None,
        avatar_url: None,
        profile_url: None,
        status: ChannelStatus::Active,
        credentials: String::new(),
        key_id: String::new(),
        token_expires_at: None,
        token_issued_at: None,
        last_refresh_at: None,
        last_error: None,
        connected_by: None,
        created_at: now,
        updated_at: now,
    };
    let key = ThreadKey {
        org_id: org,
        channel_id: &channel.id,
        platform: "whatsapp",
        kind: ConversationKind::Direct,
        thread_key: "",
        participant_id: "15550001111",
        participant_name: Some("Rosa Diaz"),
        participant_username: None,
        post_id: None,
    };
    let at = now - Duration::days(2);
    let mut tx = srv.app.db.begin().await.expect("tx");
    sellcast_store::channels::insert(tx.conn(), &channel).await.expect("channel");
    let conv = conversations::find_or_create(tx.conn(), &key, &ids::new_id(), at, now).await.expect("conversation");
    for m in bubbles(org, &channel.id, &conv.id, at) {
        messages::insert(tx.conn(), &m).await.expect("message");
        let activity = Activity {
            at: m.sent_at,
            inbound: m.direction == MessageDirection::Inbound,
            preview: "Where is my order?",
            from: None,
            to: ConversationStatus::Open,
        };
        conversations::record_activity(tx.conn(), &conv.id, &activity, now).await.expect("activity");
    }
    tx.commit().await.expect("commit");
    conv.id
}

/// An inbound message with a picture, a file and a reaction, edited; a deleted one; a failed reply.
fn bubbles(org: &str, channel: &str, conv: &str, at: DateTime<Utc>) -> Vec<MessageRow> {
    let base = |n: i64, direction: MessageDirection| MessageRow {
        id: ids::new_id(),
        org_id: org.into(),
        conversation_id: conv.into(),
        channel_id: channel.into(),
        platform_message_id: Some(format!("wamid.{}", ids::new_id())),
        direction,
        author_user_id: None,
        shape: "text".into(),
        text: None,
        attachments: json!([]),
        reply_to_id: None,
        reactions: json!({}),
        delivery: OptionalDelivery(None),
        error_code: None,
        error_message: None,
        idempotency_key: None,
        template: None,
        sent_at: at + Duration::minutes(n),
        edited_at: None,
        deleted_at: None,
        created_at: at,
        updated_at: at,
    };
    let picture = json!([{"kind": "image", "url": "/assets/none.png", "caption": "the parcel"}, {"kind": "file", "filename": "invoice.pdf"}]);
    vec![
        MessageRow {
            text: Some("Where is my order?".into()),
            attachments: picture,
            reactions: json!({"15550001111": "👍"}),
            edited_at: Some(at + Duration::minutes(2)),
            ..base(0, MessageDirection::Inbound)
        },
        MessageRow {
            text: Some("never mind".into()),
            deleted_at: Some(at + Duration::minutes(3)),
            ..base(1, MessageDirection::Inbound)
        },
        MessageRow {
            text: Some("It ships today".into()),
            delivery: OptionalDelivery(Some(DeliveryState::Failed)),
            error_message: Some("Message failed to send because more than 24 hours have passed".into()),
            error_code: Some("131047".into()),
            ..base(2, MessageDirection::Outbound)
        },
    ]
}
