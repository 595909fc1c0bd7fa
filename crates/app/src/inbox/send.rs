//! The send job of one reply. Exactly once (ADR 0007): a reply is sent only from `queued`; an
//! attempt whose outcome is unknown (the answer was lost, or the process died mid-call) is
//! never sent again, because none of these networks lets Sellcast look a sent message up:
//! it is marked failed with that reason instead, for the member to decide.

use super::apply::move_delivery;
use super::events::MessageUpdated;
use super::view::{Conversation, Message};
use crate::channels::credentials;
use crate::error::{AppError, AppResult};
use crate::events::emit;
use crate::App;
use chrono::{DateTime, Duration, Utc};
use sellcast_domain::{ConversationKind, DeliveryState, MessageDirection};
use sellcast_platforms::inbound::ReplyRequest;
use sellcast_platforms::messaging::{graph_error_code, meta_dm, whatsapp, SentMessage};
use sellcast_platforms::{Platform, PlatformError};
use sellcast_queue::{JobArgs, Outcome};
use sellcast_store::channels::{self, ChannelRow};
use sellcast_store::inbox::messages::{self, MessageRow};
use sellcast_store::inbox::{conversations, early_statuses};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Serialize, Deserialize)]
pub struct SendMessage {
    pub message_id: String,
}

impl JobArgs for SendMessage {
    const KIND: &'static str = "inbox.send";
    const QUEUE: &'static str = "inbox";
    const MAX_ATTEMPTS: i32 = 6;
}

/// Messenger and Instagram: the human-agent tag answers up to 7 days after the customer wrote.
const HUMAN_AGENT_DAYS: i64 = 7;

/// `unrecorded_attempt`: an earlier attempt ended without recording why (the process died
/// while it may have been talking to the platform).
pub async fn run(app: &App, message_id: &str, attempt: i32, max_attempts: i32, unrecorded_attempt: bool) -> Outcome {
    let loaded = match load(app, message_id).await {
        Ok(Some(l)) => l,
        Ok(None) => return Outcome::Done,
        Err(e) => return Outcome::Retry(e.to_string()),
    };
    if unrecorded_attempt && loaded.channel.platform != Platform::Sandbox.as_str() {
        let why = "the platform's answer was lost while sending: it may or may not have been delivered, \
                   so it is not sent again";
        return settle(app, &loaded, Err(("unknown_outcome".into(), why.into()))).await;
    }
    let sent = deliver(app, &loaded).await;
    match sent {
        Ok(s) => settle(app, &loaded, Ok(s)).await,
        Err(PlatformError::RateLimited { retry_at: Some(at), .. }) if at > app.clock.now() => Outcome::Snooze(at),
        Err(e @ (PlatformError::Retryable { .. } | PlatformError::RateLimited { .. })) if attempt < max_attempts => {
            Outcome::Retry(e.to_string())
        }
        Err(e) => {
            let code = match graph_error_code(&e) {
                Some((code, _)) => code.to_string(),
                None => kind_of(&e).to_string(),
            };
            settle(app, &loaded, Err((code, e.to_string()))).await
        }
    }
}

struct Loaded {
    message: MessageRow,
    conversation: Conversation,
    channel: ChannelRow,
    /// For comment threads: the latest comment of the customer, which the reply answers.
    last_inbound_platform_id: Option<String>,
}

async fn load(app: &App, message_id: &str) -> AppResult<Option<Loaded>> {
    let mut c = app.db.read().await?;
    let Some(message) = messages::by_id_any_org(c.conn(), message_id).await? else { return Ok(None) };
    if message.delivery.0 != Some(DeliveryState::Queued) {
        return Ok(None);
    }
    let org = message.org_id.clone();
    let Some(conv) = conversations::by_id(c.conn(), &org, &message.conversation_id).await? else { return Ok(None) };
    let Some(channel) = channels::by_id(c.conn(), &org, &conv.channel_id).await? else { return Ok(None) };
    let recent = messages::list(c.conn(), &conv.id, None, 50).await?;
    let last_inbound_platform_id = recent
        .iter()
        .find(|m| m.direction == MessageDirection::Inbound && m.deleted_at.is_none())
        .and_then(|m| m.platform_message_id.clone());
    let conversation = Conversation::from_row(conv, channel.handle.clone(), channel.client_id.clone(), false);
    Ok(Some(Loaded { message, conversation, channel, last_inbound_platform_id }))
}

/// Send it on the conversation's network.
async fn deliver(app: &App, l: &Loaded) -> Result<SentMessage, PlatformError> {
    let platform = l.channel.platform.parse::<Platform>().map_err(|e| PlatformError::permanent(None, e))?;
    if platform == Platform::Sandbox {
        // The sandbox network is Sellcast itself: accepted at once.
        return Ok(SentMessage { platform_message_id: format!("sandbox-out-{}", l.message.id) });
    }
    let creds = credentials::open(app, &l.channel).map_err(|e| PlatformError::permanent(None, e.to_string()))?;
    let (g, token) = (&app.graph, creds.access_token.as_str());
    let text = l.message.text.clone().unwrap_or_default();
    let to = l.conversation.participant.id.clone();
    match (platform, l.conversation.kind) {
        (Platform::Whatsapp, _) => {
            let out = match &l.message.template {
                Some(t) => whatsapp::OutgoingWhatsApp::Template {
                    to,
                    name: t.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
                    language: t.get("language").and_then(Value::as_str).unwrap_or_default().to_string(),
                    components: template_components(t),
                },
                None => whatsapp::OutgoingWhatsApp::Text { to, body: text, reply_to: None },
            };
            whatsapp::send(&g.http, &g.meta, token, &creds.account_id, &out).await
        }
        (Platform::Instagram | Platform::Facebook, ConversationKind::Direct) => {
            let tag = human_agent_needed(&l.conversation, app.clock.now()).then_some(meta_dm::HUMAN_AGENT);
            meta_dm::send_text(&g.http, &g.meta, token, &creds.account_id, &to, &text, tag).await
        }
        (Platform::Instagram | Platform::Facebook, ConversationKind::Comment | ConversationKind::Mention) => {
            let comment = l
                .last_inbound_platform_id
                .as_deref()
                .ok_or_else(|| PlatformError::permanent(None, "there is no comment of the customer to answer"))?;
            if l.message.shape == "private_reply" {
                meta_dm::private_reply(&g.http, &g.meta, token, &creds.account_id, comment, &text).await
            } else {
                meta_dm::reply_to_comment(&g.http, &g.meta, token, platform, comment, &text).await
            }
        }
        (Platform::Bluesky | Platform::Mastodon | Platform::X, kind) => {
            let parent = l
                .last_inbound_platform_id
                .clone()
                .ok_or_else(|| PlatformError::permanent(None, "there is no post of the customer to answer"))?;
            // Mastodon notifies only the accounts a status mentions.
            let text = match (platform, l.conversation.participant.username.as_deref()) {
                (Platform::Mastodon, Some(acct)) if !text.contains(&format!("@{acct}")) => format!("@{acct} {text}"),
                _ => text,
            };
            let req = ReplyRequest {
                parent_id: parent,
                text,
                direct: kind == ConversationKind::Direct,
                idempotency_key: l.message.id.clone(),
            };
            let adapter =
                crate::channels::adapter(app, platform).map_err(|e| PlatformError::permanent(None, e.to_string()))?;
            adapter.reply(&creds, &req).await.map(|p| SentMessage { platform_message_id: p.platform_post_id })
        }
        (other, _) => Err(PlatformError::unsupported(format!("Sellcast cannot send replies on {} yet", other.label()))),
    }
}

/// `{"parameters": ["a", "b"]}` → the Cloud API's body component with text parameters.
fn template_components(t: &Value) -> Value {
    let params: Vec<Value> = t
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| ps.iter().filter_map(Value::as_str).map(|p| json!({"type": "text", "text": p})).collect())
        .unwrap_or_default();
    if params.is_empty() {
        Value::Null
    } else {
        json!([{"type": "body", "parameters": params}])
    }
}

/// Past the 24-hour window but within 7 days: the human-agent tag.
fn human_agent_needed(conv: &Conversation, now: DateTime<Utc>) -> bool {
    conv.last_inbound_at.is_some_and(|t| now - t > Duration::hours(24) && now - t <= Duration::days(HUMAN_AGENT_DAYS))
}

fn kind_of(e: &PlatformError) -> &'static str {
    match e {
        PlatformError::Retryable { .. } => "retryable",
        PlatformError::RateLimited { .. } => "rate_limited",
        PlatformError::Auth { .. } => "auth",
        PlatformError::Permanent { .. } => "refused",
        PlatformError::Unknown { .. } => "unknown_outcome",
    }
}

/// Record the outcome: sent (the sandbox also delivers at once) or failed with the reason.
async fn settle(app: &App, l: &Loaded, result: Result<SentMessage, (String, String)>) -> Outcome {
    let done = async {
        let now = app.clock.now();
        let mut tx = app.db.begin().await?;
        let id = &l.message.id;
        match result {
            Ok(sent) => {
                messages::lock_platform_id(tx.conn(), &l.channel.id, &sent.platform_message_id).await?;
                messages::mark_sent(tx.conn(), id, &l.channel.id, &sent.platform_message_id, now).await?;
                // Statuses can beat the send's own answer (a fast webhook): apply them now.
                let mut reported: Vec<(DeliveryState, Option<(String, String)>)> =
                    early_statuses::take(tx.conn(), &l.channel.id, &sent.platform_message_id)
                        .await?
                        .into_iter()
                        .map(|e| (e.delivery, e.error_message.map(|m| (e.error_code.unwrap_or_default(), m))))
                        .collect();
                if l.channel.platform == Platform::Sandbox.as_str() {
                    reported.push((DeliveryState::Delivered, None));
                }
                for (state, error) in reported {
                    if let Some(row) = messages::by_id(tx.conn(), &l.message.org_id, id).await? {
                        let err = error.as_ref().map(|(c, m)| (c.as_str(), m.as_str()));
                        move_delivery(tx.conn(), &row, state, err, now).await?;
                    }
                }
            }
            Err((code, why)) => {
                let err = Some((code.as_str(), why.as_str()));
                messages::set_delivery(tx.conn(), id, Some(DeliveryState::Queued), DeliveryState::Failed, err, now)
                    .await?;
            }
        }
        if let Some(row) = messages::by_id(tx.conn(), &l.message.org_id, id).await? {
            let message = Message::from(row);
            let data = MessageUpdated { conversation_id: &l.conversation.id, message: &message };
            emit(tx.conn(), &l.message.org_id, None, &data, now).await?;
        }
        tx.commit().await?;
        AppResult::Ok(())
    };
    match done.await {
        Ok(()) => Outcome::Done,
        Err(e) => Outcome::Retry(AppError::to_string(&e)),
    }
}
