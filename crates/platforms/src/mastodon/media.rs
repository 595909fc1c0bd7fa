//! Media uploads: `POST /api/v2/media` (multipart `file` + `description`), which answers 200
//! when the file is ready or 202 while it is processed; then `GET /api/v1/media/:id` answers
//! 206 until processing ends (https://docs.joinmastodon.org/methods/media/).

use super::api::{self, Api};
use crate::adapter::{MediaItem, MediaKind};
use crate::client::{self, Effect};
use crate::error::{PlatformError, PlatformResult};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde::Deserialize;
use std::time::{Duration, Instant};

/// Mastodon's defaults (an instance may configure others: `/api/v2/instance`
/// `configuration.media_attachments`).
pub const MAX_ATTACHMENTS: usize = 4;
pub const MAX_IMAGE_BYTES: usize = 16 * 1024 * 1024;
pub const MAX_VIDEO_BYTES: usize = 99 * 1024 * 1024;

#[derive(Debug, Deserialize)]
struct Attachment {
    id: String,
    /// Null while the file is still being processed.
    #[serde(default)]
    url: Option<String>,
}

/// Refuse what Mastodon would refuse, before anything is uploaded.
pub fn check(media: &[MediaItem]) -> PlatformResult<()> {
    let videos = media.iter().filter(|m| m.kind == MediaKind::Video).count();
    if media.len() > MAX_ATTACHMENTS {
        return Err(PlatformError::permanent(
            None,
            format!("Mastodon posts take at most {MAX_ATTACHMENTS} attachments"),
        ));
    }
    if videos > 0 && media.len() > 1 {
        return Err(PlatformError::permanent(None, "a Mastodon post with a video cannot have other attachments"));
    }
    for m in media {
        let (limit, what) = match m.kind {
            MediaKind::Image => (MAX_IMAGE_BYTES, "image"),
            MediaKind::Video => (MAX_VIDEO_BYTES, "video"),
        };
        if m.bytes.len() > limit {
            return Err(PlatformError::permanent(None, format!("a Mastodon {what} may be at most {limit} bytes")));
        }
    }
    Ok(())
}

fn file_name(mime: &str) -> String {
    let ext = match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "video/mp4" => "mp4",
        "video/quicktime" => "mov",
        _ => "bin",
    };
    format!("upload.{ext}")
}

/// Upload every item and wait until each is processed; the attachment ids in order.
pub async fn upload_all(api: &Api<'_>, media: &[MediaItem], processing_limit: Duration) -> PlatformResult<Vec<String>> {
    let mut ids = Vec::with_capacity(media.len());
    for m in media {
        let part = Part::bytes(m.bytes.to_vec())
            .file_name(file_name(&m.mime))
            .mime_str(&m.mime)
            .map_err(|_| PlatformError::permanent(None, format!("not a media type: {}", m.mime)))?;
        let mut form = Form::new().part("file", part);
        if let Some(alt) = m.alt_text.as_deref().filter(|a| !a.is_empty()) {
            form = form.text("description", alt.to_string());
        }
        // An upload that is repeated only leaves an unattached file, which the instance removes.
        let resp = client::send(api.post("/api/v2/media").multipart(form), Effect::Read).await?;
        let resp = api::checked(resp).await?;
        let processing = resp.status() == StatusCode::ACCEPTED;
        let attachment: Attachment = client::json(resp, Effect::Read).await?;
        let id = api::checked_id(&attachment.id, "media")?.to_string();
        if processing || attachment.url.is_none() {
            wait_processed(api, &id, processing_limit).await?;
        }
        ids.push(id);
    }
    Ok(ids)
}

/// Poll until the attachment is processed (200), at most `limit`.
async fn wait_processed(api: &Api<'_>, id: &str, limit: Duration) -> PlatformResult<()> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(250);
    loop {
        let resp = client::send(api.get(&format!("/api/v1/media/{id}")), Effect::Read).await?;
        let resp = api::checked(resp).await?;
        if resp.status() != StatusCode::PARTIAL_CONTENT {
            let attachment: Attachment = client::json(resp, Effect::Read).await?;
            if attachment.url.is_some() {
                return Ok(());
            }
        }
        if started.elapsed() + pause > limit {
            return Err(PlatformError::retryable(format!(
                "Mastodon was still processing media {id} after {} s",
                limit.as_secs()
            )));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn item(kind: MediaKind, size: usize) -> MediaItem {
        MediaItem {
            kind,
            mime: if kind == MediaKind::Video { "video/mp4" } else { "image/png" }.into(),
            bytes: Arc::new(vec![0; size]),
            public_url: String::new(),
            width: None,
            height: None,
            alt_text: None,
        }
    }

    #[test]
    fn attachment_rules() {
        assert!(check(&vec![item(MediaKind::Image, 1); 4]).is_ok());
        assert!(check(&vec![item(MediaKind::Image, 1); 5]).is_err());
        assert!(check(&[item(MediaKind::Video, 1)]).is_ok());
        assert!(check(&[item(MediaKind::Video, 1), item(MediaKind::Image, 1)]).is_err());
        assert!(check(&[item(MediaKind::Image, MAX_IMAGE_BYTES + 1)]).is_err());
        assert_eq!(file_name("video/quicktime"), "upload.mov");
    }
}
