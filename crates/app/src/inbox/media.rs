//! Media in messages is copied into the blob store by a job, so it stays viewable after the
//! platform's link expires (Instagram and Messenger CDN URLs) or without the platform's token
//! (WhatsApp media ids). Sizes are limited as for uploads; the stored type is what the bytes
//! are (sniffed), and what cannot be sniffed is served only as a download.

use super::events::MessageUpdated;
use super::view::Message;
use crate::channels::credentials;
use crate::error::{AppError, AppResult};
use crate::events::emit;
use crate::App;
use bytes::Bytes;
use sellcast_platforms::messaging::whatsapp;
use sellcast_platforms::PlatformError;
use sellcast_queue::{JobArgs, Outcome};
use sellcast_store::channels;
use sellcast_store::inbox::messages;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Serialize, Deserialize)]
pub struct FetchMedia {
    pub message_id: String,
}

impl JobArgs for FetchMedia {
    const KIND: &'static str = "inbox.fetch_media";
    const QUEUE: &'static str = "media";
    const MAX_ATTEMPTS: i32 = 5;
}

/// The attachments worth copying: those with a URL or a WhatsApp media id, not stored yet.
pub fn wants_fetch(attachments: &Value) -> bool {
    attachments.as_array().is_some_and(|a| a.iter().any(|x| fetchable(x) && x.get("stored").is_none()))
}

fn fetchable(a: &Value) -> bool {
    a.get("media_id").is_some_and(Value::is_string) || a.get("url").is_some_and(Value::is_string)
}

/// The blob key of attachment `n` of a message (never shown to clients).
fn blob_key(org_id: &str, message_id: &str, n: usize) -> String {
    format!("inbox/{org_id}/{message_id}/{n}")
}

pub async fn run(app: &App, message_id: &str, attempt: i32, max_attempts: i32) -> Outcome {
    match fetch_all(app, message_id).await {
        Ok(()) => Outcome::Done,
        Err(e) if attempt < max_attempts => Outcome::Retry(e.to_string()),
        Err(e) => Outcome::Discard(e.to_string()),
    }
}

async fn fetch_all(app: &App, message_id: &str) -> AppResult<()> {
    let (row, channel) = {
        let mut c = app.db.read().await?;
        let Some(row) = messages::by_id_any_org(c.conn(), message_id).await? else { return Ok(()) };
        let channel = channels::by_id(c.conn(), &row.org_id, &row.channel_id).await?;
        (row, channel)
    };
    let Some(channel) = channel else { return Ok(()) };
    let Some(list) = row.attachments.as_array() else { return Ok(()) };
    let max = app.config.media_max_image_bytes.max(app.config.media_max_video_bytes);
    let mut updated = list.clone();
    let mut changed = false;
    for (n, a) in list.iter().enumerate() {
        if !fetchable(a) || a.get("stored").is_some() {
            continue;
        }
        let g = &app.graph;
        let bytes = match (a.get("media_id").and_then(Value::as_str), a.get("url").and_then(Value::as_str)) {
            (Some(media_id), _) => {
                let creds = credentials::open(app, &channel)?;
                let info = whatsapp::media_url(&g.http, &g.meta, &creds.access_token, media_id).await.map_err(fail)?;
                whatsapp::download(&g.http, &creds.access_token, &info.url, max).await.map_err(fail)?
            }
            (None, Some(url)) => whatsapp::download_public(&g.http, url, max).await.map_err(fail)?,
            (None, None) => continue,
        };
        let sniffed = sellcast_media::sniff(&bytes);
        let content_type = sniffed.map_or("application/octet-stream", |t| t.mime());
        let size = bytes.len();
        app.blobs
            .put(&blob_key(&row.org_id, &row.id, n), Bytes::from(bytes), content_type)
            .await
            .map_err(|e| AppError::internal_from("storing a message's media", e))?;
        if let Some(slot) = updated.get_mut(n) {
            slot["stored"] = json!({"content_type": content_type, "bytes": size, "inline": sniffed.is_some()});
            changed = true;
        }
    }
    if !changed {
        return Ok(());
    }
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    messages::set_attachments(tx.conn(), &row.id, &Value::Array(updated), now).await?;
    if let Some(fresh) = messages::by_id(tx.conn(), &row.org_id, &row.id).await? {
        let m = Message::from(fresh);
        emit(tx.conn(), &row.org_id, None, &MessageUpdated { conversation_id: &row.conversation_id, message: &m }, now)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn fail(e: PlatformError) -> AppError {
    AppError::Platform(e.to_string())
}

/// Attachment `n` of a message of the org, as stored: its bytes and the type to serve them as.
pub async fn attachment(
    app: &App,
    actor: &crate::context::Actor,
    org_id: &str,
    message_id: &str,
    n: usize,
) -> AppResult<(Bytes, String, bool)> {
    crate::authorize::authorize(app, actor, org_id, sellcast_domain::Permission::InboxRead).await?;
    let row = {
        let mut c = app.db.read().await?;
        messages::by_id(c.conn(), org_id, message_id).await?.ok_or(AppError::NotFound("message"))?
    };
    let stored = row.attachments.get(n).and_then(|a| a.get("stored")).ok_or(AppError::NotFound("attachment"))?;
    let content_type = stored.get("content_type").and_then(Value::as_str).unwrap_or("application/octet-stream");
    let inline = stored.get("inline").and_then(Value::as_bool).unwrap_or(false);
    let bytes = app
        .blobs
        .get(&blob_key(org_id, message_id, n))
        .await
        .map_err(|e| AppError::internal_from("reading a message's media", e))?;
    Ok((bytes, content_type.to_string(), inline))
}
