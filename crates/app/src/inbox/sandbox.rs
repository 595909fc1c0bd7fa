//! The sandbox channel's inbound side: a member "receives" a DM, a comment or a mention as a
//! customer would send it, so the whole inbox can be tried with no accounts. It goes through
//! the same stored event and processing job as a webhook.

use super::receive::receive_sandbox;
use crate::authorize::authorize;
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::App;
use sellcast_domain::{ids, ConversationKind, MessageDirection, Permission};
use sellcast_platforms::inbound::{InboundEvent, InboundItem, InboundMessage, Participant};
use sellcast_platforms::Platform;
use sellcast_store::channels;

/// A message from a made-up customer.
#[derive(Debug, Clone)]
pub struct SandboxInbound {
    pub kind: ConversationKind,
    pub from_name: String,
    pub from_username: Option<String>,
    pub text: String,
    /// For comments: the sandbox post they are on (its id on the sandbox network).
    pub post_id: Option<String>,
}

const MAX_TEXT_CHARS: usize = 10_000;
const MAX_NAME_CHARS: usize = 100;

/// Store the message as received; the stored event's id (it shows in the inbox once the
/// queue has processed it, live on the event stream).
pub async fn receive(
    app: &App,
    actor: &Actor,
    org_id: &str,
    channel_id: &str,
    input: SandboxInbound,
) -> AppResult<i64> {
    authorize(app, actor, org_id, Permission::InboxReply).await?;
    let channel = {
        let mut c = app.db.read().await?;
        channels::by_id(c.conn(), org_id, channel_id).await?.ok_or(AppError::NotFound("channel"))?
    };
    if channel.platform != Platform::Sandbox.as_str() {
        return Err(AppError::validation("channel_id", "only sandbox channels can receive made-up messages"));
    }
    let text = input.text.trim();
    if text.is_empty() || text.chars().count() > MAX_TEXT_CHARS {
        return Err(AppError::validation("text", format!("must be 1 to {MAX_TEXT_CHARS} characters")));
    }
    let name = input.from_name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::validation("from_name", format!("must be 1 to {MAX_NAME_CHARS} characters")));
    }
    let username = input.from_username.as_deref().map(str::trim).filter(|u| !u.is_empty());
    if username.is_some_and(|u| u.chars().count() > MAX_NAME_CHARS || u.contains(char::is_whitespace)) {
        return Err(AppError::validation("from_username", "must be one word of at most 100 characters"));
    }
    let post_id = input.post_id.as_deref().map(str::trim).filter(|p| !p.is_empty());
    if input.kind == ConversationKind::Comment && post_id.is_none() {
        return Err(AppError::validation("post_id", "a comment is on a post: give the sandbox post's id"));
    }
    let who = username.unwrap_or(name).to_lowercase();
    let item = InboundItem {
        platform: Platform::Sandbox,
        account_id: channel.account_id.clone(),
        event: InboundEvent::Message(InboundMessage {
            platform_message_id: format!("sandbox-in-{}", ids::new_id()),
            kind: input.kind,
            direction: MessageDirection::Inbound,
            participant: Participant {
                id: format!("sandbox-user-{who}"),
                name: Some(name.to_string()),
                username: username.map(str::to_string),
            },
            thread_root_id: post_id.map(str::to_string),
            parent_id: None,
            reply_to_id: None,
            text: Some(text.to_string()),
            attachments: vec![],
            sent_at: app.clock.now(),
            shape: "text".into(),
        }),
    };
    receive_sandbox(app, channel_id, &[item]).await
}
