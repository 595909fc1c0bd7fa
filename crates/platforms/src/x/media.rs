//! Media for X posts through the v2 media endpoints: still images in one request
//! (`POST /2/media/upload`), video and animated GIFs in chunks (`/2/media/upload/initialize`,
//! `/{id}/append`, `/{id}/finalize`, then `GET /2/media/upload?command=STATUS` while X processes
//! them). Alt text goes through `POST /2/media/metadata`.
//!
//! Uploads are sent as reads: a lost answer only leaves an unattached media object behind, which
//! X discards when it expires, so retrying an upload never duplicates a post.

use super::{Data, XAdapter};
use crate::adapter::{Credentials, MediaItem, MediaKind};
use crate::client::Effect;
use crate::error::{PlatformError, PlatformResult};
use reqwest::multipart::{Form, Part};
use serde::Deserialize;
use serde_json::json;
use std::time::{Duration, Instant};

/// Up to four images, or one video or animated GIF, per post.
pub(super) const MAX_IMAGES: u32 = 4;
/// X's simple upload takes images up to 5 MB.
const MAX_SIMPLE_BYTES: usize = 5 * 1024 * 1024;
/// Chunks stay under X's 5 MB per APPEND.
const CHUNK_BYTES: usize = 4 * 1024 * 1024;
/// X's alt text limit.
const MAX_ALT_TEXT: usize = 1000;
/// How long to wait for X to process a video before giving up for this attempt.
const MAX_PROCESSING_WAIT: Duration = Duration::from_secs(300);

#[derive(Debug, Deserialize)]
struct Uploaded {
    id: String,
    #[serde(default)]
    processing_info: Option<ProcessingInfo>,
}

#[derive(Debug, Deserialize)]
struct ProcessingInfo {
    state: String,
    #[serde(default)]
    check_after_secs: Option<u64>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

/// Upload every item; the media ids in order.
pub(super) async fn upload_all(x: &XAdapter, creds: &Credentials, items: &[MediaItem]) -> PlatformResult<Vec<String>> {
    check_mix(items)?;
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        let id = if item.kind == MediaKind::Image && item.mime != "image/gif" {
            upload_image(x, creds, item).await?
        } else {
            upload_chunked(x, creds, item).await?
        };
        if let Some(alt) = item.alt_text.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            // Alt text is worth having, not worth failing a post for.
            if let Err(e) = set_alt_text(x, creds, &id, alt).await {
                tracing::warn!(platform = "x", error = %e, "the alt text could not be set");
            }
        }
        ids.push(id);
    }
    Ok(ids)
}

/// Four images, or one video or GIF, never mixed.
fn check_mix(items: &[MediaItem]) -> PlatformResult<()> {
    let single = items.iter().filter(|m| m.kind == MediaKind::Video || m.mime == "image/gif").count();
    if single > 0 && items.len() > 1 {
        return Err(PlatformError::permanent(None, "X takes one video or animated GIF per post, alone"));
    }
    if items.len() > MAX_IMAGES as usize {
        return Err(PlatformError::permanent(None, format!("X takes at most {MAX_IMAGES} images per post")));
    }
    Ok(())
}

fn category(item: &MediaItem) -> &'static str {
    match item.kind {
        MediaKind::Video => "tweet_video",
        MediaKind::Image if item.mime == "image/gif" => "tweet_gif",
        MediaKind::Image => "tweet_image",
    }
}

fn file_part(item: &MediaItem, bytes: Vec<u8>) -> PlatformResult<Part> {
    Part::bytes(bytes)
        .file_name("media")
        .mime_str(&item.mime)
        .map_err(|_| PlatformError::permanent(None, format!("not a media type: {:?}", item.mime)))
}

fn uploaded_id(answer: Data<Uploaded>) -> PlatformResult<Uploaded> {
    answer.data.filter(|u| !u.id.is_empty()).ok_or_else(|| PlatformError::bad_response("media upload without an id"))
}

async fn upload_image(x: &XAdapter, creds: &Credentials, item: &MediaItem) -> PlatformResult<String> {
    if item.bytes.len() > MAX_SIMPLE_BYTES {
        return Err(PlatformError::permanent(None, "X takes images up to 5 MB"));
    }
    let form = Form::new().part("media", file_part(item, item.bytes.to_vec())?).text("media_category", category(item));
    let url = format!("{}/2/media/upload", x.config.upload_url);
    let req = x.authed(x.http.raw().post(url), creds).multipart(form);
    let answer: Data<Uploaded> = x.call_json(req, Effect::Read).await?;
    Ok(uploaded_id(answer)?.id)
}

async fn upload_chunked(x: &XAdapter, creds: &Credentials, item: &MediaItem) -> PlatformResult<String> {
    let base = format!("{}/2/media/upload", x.config.upload_url);
    let init = json!({
        "media_type": item.mime,
        "total_bytes": item.bytes.len(),
        "media_category": category(item),
    });
    let req = x.authed(x.http.raw().post(format!("{base}/initialize")), creds).json(&init);
    let answer: Data<Uploaded> = x.call_json(req, Effect::Read).await?;
    let id = uploaded_id(answer)?.id;
    super::checked_id(&id, "media")?;

    for (index, chunk) in item.bytes.chunks(CHUNK_BYTES).enumerate() {
        let form = Form::new().part("media", file_part(item, chunk.to_vec())?).text("segment_index", index.to_string());
        let req = x.authed(x.http.raw().post(format!("{base}/{id}/append")), creds).multipart(form);
        x.call(req, Effect::Read).await?;
    }

    let req = x.authed(x.http.raw().post(format!("{base}/{id}/finalize")), creds);
    let answer: Data<Uploaded> = x.call_json(req, Effect::Read).await?;
    let finalized = uploaded_id(answer)?;
    wait_for_processing(x, creds, &id, finalized.processing_info).await?;
    Ok(id)
}

/// Poll STATUS until X says `succeeded` (or `failed`), as long as X asks us to wait.
async fn wait_for_processing(
    x: &XAdapter,
    creds: &Credentials,
    id: &str,
    mut info: Option<ProcessingInfo>,
) -> PlatformResult<()> {
    let started = Instant::now();
    loop {
        let Some(current) = info.take() else { return Ok(()) };
        match current.state.as_str() {
            "succeeded" => return Ok(()),
            "failed" => {
                let reason = current
                    .error
                    .as_ref()
                    .and_then(|e| e.get("message"))
                    .and_then(|m| m.as_str())
                    .unwrap_or("X could not process the media");
                return Err(PlatformError::permanent(None, reason.to_string()));
            }
            _ => {}
        }
        if started.elapsed() > MAX_PROCESSING_WAIT {
            return Err(PlatformError::retryable("X is still processing the video"));
        }
        tokio::time::sleep(Duration::from_secs(current.check_after_secs.unwrap_or(1).clamp(1, 30))).await;
        let req = x
            .authed(x.http.raw().get(format!("{}/2/media/upload", x.config.upload_url)), creds)
            .query(&[("command", "STATUS"), ("media_id", id)]);
        let answer: Data<Uploaded> = x.call_json(req, Effect::Read).await?;
        // No processing_info in a STATUS answer means there is nothing left to wait for.
        info = uploaded_id(answer)?.processing_info;
    }
}

async fn set_alt_text(x: &XAdapter, creds: &Credentials, id: &str, alt: &str) -> PlatformResult<()> {
    let text: String = alt.chars().take(MAX_ALT_TEXT).collect();
    let body = json!({ "id": id, "metadata": { "alt_text": { "text": text } } });
    let req = x.authed(x.http.raw().post(format!("{}/2/media/metadata", x.config.upload_url)), creds).json(&body);
    x.call(req, Effect::Read).await.map(|_| ())
}
