//! Receiving: a webhook delivery is checked, written as one row with its processing job in
//! one transaction, and only then acknowledged (never a 200 for an event that is not stored).
//! The sandbox's "receive" goes through the same row and job.

use crate::error::{AppError, AppResult};
use crate::App;
use sellcast_platforms::inbound::InboundItem;
use sellcast_platforms::meta::webhook::{self, SignatureError};
use sellcast_queue::{ops as jobs, JobArgs, NewJob};
use sellcast_store::inbox::inbound_events;
use serde::{Deserialize, Serialize};

/// Meta's limit is lower; anything larger is not a Meta delivery.
pub const MAX_WEBHOOK_BYTES: usize = 3 * 1024 * 1024;

/// Where a stored event came from, and so how its body is read.
pub const SOURCE_META: &str = "meta";
/// `sandbox:<channel id>`: items made by Sellcast for one sandbox channel (JSON of
/// `InboundItem`s); the channel id, not an account id, routes them.
pub const SOURCE_SANDBOX_PREFIX: &str = "sandbox:";
/// `poll:<channel id>`: items a poll of one channel found (JSON of `InboundItem`s); they
/// reach only that channel.
pub const SOURCE_POLL_PREFIX: &str = "poll:";

/// The one channel a channel-scoped source (sandbox, poll) may reach; None for webhooks.
pub fn scoped_channel(source: &str) -> Option<&str> {
    source.strip_prefix(SOURCE_SANDBOX_PREFIX).or_else(|| source.strip_prefix(SOURCE_POLL_PREFIX))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ProcessInbound {
    pub event_id: i64,
}

impl JobArgs for ProcessInbound {
    const KIND: &'static str = "inbox.process";
    const QUEUE: &'static str = "inbox";
    /// About a day of retries with the default backoff before the event is dead.
    const MAX_ATTEMPTS: i32 = 12;
}

/// `GET /webhooks/meta`: the subscription check. The challenge to echo, or Forbidden.
pub fn verify_subscription(
    app: &App,
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&str>,
) -> AppResult<String> {
    let expected = app.config.meta_webhook_verify_token.as_deref().filter(|t| !t.is_empty());
    let ok = match (mode, token, expected) {
        (Some("subscribe"), Some(given), Some(expected)) => {
            bool::from(subtle::ConstantTimeEq::ct_eq(given.as_bytes(), expected.as_bytes()))
        }
        _ => false,
    };
    match (ok, challenge) {
        (true, Some(c)) if c.len() <= 512 => Ok(c.to_string()),
        _ => Err(AppError::Forbidden("the verify token does not match".into())),
    }
}

/// `POST /webhooks/meta`: check the signature over the raw bytes, then store. The id of the
/// stored event.
pub async fn receive_meta(app: &App, body: &[u8], signature: Option<&str>) -> AppResult<i64> {
    let secrets: Vec<&[u8]> =
        [&app.config.meta_app_secret, &app.config.instagram_app_secret, &app.config.threads_app_secret]
            .into_iter()
            .filter_map(|s| s.as_deref().filter(|s| !s.is_empty()).map(str::as_bytes))
            .collect();
    if secrets.is_empty() {
        return Err(AppError::Unauthorized("webhooks are not set up on this server (SELLCAST_META_APP_SECRET)".into()));
    }
    if let Err(e) = webhook::verify_signature(&secrets, body, signature) {
        let why = match e {
            SignatureError::Missing => "the X-Hub-Signature-256 header is missing",
            SignatureError::Malformed => "the X-Hub-Signature-256 header is not sha256=<hex>",
            SignatureError::Mismatch => "the X-Hub-Signature-256 signature does not match the body",
        };
        tracing::warn!(bytes = body.len(), reason = why, "meta webhook refused");
        return Err(AppError::Unauthorized(why.into()));
    }
    // A body that is not a Meta delivery is refused (Meta retries it) rather than stored.
    webhook::parse(body).map_err(|e| AppError::validation("body", e.to_string()))?;
    store(app, SOURCE_META, body).await
}

/// Items for one sandbox channel, stored like a webhook delivery.
pub(crate) async fn receive_sandbox(app: &App, channel_id: &str, items: &[InboundItem]) -> AppResult<i64> {
    let body = serde_json::to_vec(items).map_err(AppError::internal)?;
    store(app, &format!("{SOURCE_SANDBOX_PREFIX}{channel_id}"), &body).await
}

/// The row and its job, committed together.
async fn store(app: &App, source: &str, body: &[u8]) -> AppResult<i64> {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let id = inbound_events::insert(tx.conn(), source, body, now).await?;
    jobs::enqueue(tx.conn(), &NewJob::of(&ProcessInbound { event_id: id }), now).await?;
    tx.commit().await?;
    Ok(id)
}
