//! A video for a LinkedIn post through the Videos API: `POST /rest/videos?action=initializeUpload`
//! splits the file into parts (4 MB each), every part is PUT to its own upload URL (each answer's
//! `ETag` is the part's id), `POST /rest/videos?action=finalizeUpload` lists those ids in order,
//! and `GET /rest/videos/{urn}` is polled until the video is `AVAILABLE`; then its URN goes in
//! the post's `content`. Uploads are sent as reads: a lost answer leaves an unused video behind,
//! never a post.

use super::{images, text, LinkedinAdapter};
use crate::adapter::{Credentials, MediaItem};
use crate::client::{self, Effect};
use crate::error::{PlatformError, PlatformResult};
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

/// The Videos API takes MP4 only.
const VIDEO_TYPES: [&str; 1] = ["video/mp4"];
/// "75 KB to 500 MB": the smaller reading of the lower bound and the larger of the upper one,
/// so a file LinkedIn would take is never refused here.
const MIN_VIDEO_BYTES: usize = 75_000;
const MAX_VIDEO_BYTES: usize = 500 * 1024 * 1024;

/// How long to wait for LinkedIn to process an uploaded video before posting it. Still
/// processing after `max_polls` checks is retryable: nothing was posted, and the next attempt
/// uploads again (an unused video is left behind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoPolling {
    pub interval: Duration,
    pub max_polls: u32,
}

impl Default for VideoPolling {
    fn default() -> Self {
        VideoPolling { interval: Duration::from_secs(5), max_polls: 24 }
    }
}

#[derive(Debug, Deserialize)]
struct Initialized {
    value: UploadPlan,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UploadPlan {
    video: String,
    #[serde(default)]
    upload_instructions: Vec<PartInstruction>,
    /// Empty for a single-part upload; sent back as given either way.
    #[serde(default)]
    upload_token: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PartInstruction {
    upload_url: String,
    first_byte: u64,
    last_byte: u64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VideoStatus {
    #[serde(default)]
    status: String,
    #[serde(default)]
    processing_failure_reason: Option<String>,
}

/// Upload `item`, wait until LinkedIn has processed it, and give the post's `content`.
pub(super) async fn content_for(
    li: &LinkedinAdapter,
    creds: &Credentials,
    author: &str,
    item: &MediaItem,
    title: Option<&str>,
) -> PlatformResult<Value> {
    check_file(item)?;
    let urn = upload(li, creds, author, item).await?;
    wait_available(li, creds, &urn).await?;
    let mut media = json!({ "id": urn });
    if let Some(title) = title.map(str::trim).filter(|t| !t.is_empty()) {
        media["title"] = Value::String(title.to_string());
    }
    Ok(json!({ "media": media }))
}

fn check_file(item: &MediaItem) -> PlatformResult<()> {
    if !VIDEO_TYPES.contains(&item.mime.as_str()) {
        return Err(PlatformError::unsupported(format!("LinkedIn takes MP4 videos, not {}", item.mime)));
    }
    let size = item.bytes.len();
    if !(MIN_VIDEO_BYTES..=MAX_VIDEO_BYTES).contains(&size) {
        return Err(PlatformError::permanent(
            None,
            format!("LinkedIn takes videos of 75 KB to 500 MB; this one is {size} bytes"),
        ));
    }
    Ok(())
}

async fn upload(li: &LinkedinAdapter, creds: &Credentials, author: &str, item: &MediaItem) -> PlatformResult<String> {
    let body = json!({ "initializeUploadRequest": {
        "owner": author,
        "fileSizeBytes": item.bytes.len(),
        "uploadCaptions": false,
        "uploadThumbnail": false,
    }});
    let req =
        li.rest(li.http.raw().post(li.api("/rest/videos")), creds).query(&[("action", "initializeUpload")]).json(&body);
    let plan: Initialized = li.call_json(req, Effect::Read).await?;
    let UploadPlan { video, upload_instructions, upload_token } = plan.value;
    if !video.starts_with("urn:li:video:") {
        return Err(PlatformError::bad_response("initializeUpload returned no video URN"));
    }
    let parts = slice_parts(&item.bytes, &upload_instructions)?;
    let mut part_ids = Vec::with_capacity(parts.len());
    for (instruction, bytes) in upload_instructions.iter().zip(parts) {
        part_ids.push(upload_part(li, creds, &instruction.upload_url, bytes).await?);
    }
    let body = json!({ "finalizeUploadRequest": {
        "video": video,
        "uploadToken": upload_token,
        "uploadedPartIds": part_ids,
    }});
    let req =
        li.rest(li.http.raw().post(li.api("/rest/videos")), creds).query(&[("action", "finalizeUpload")]).json(&body);
    drop(li.call(req, Effect::Read).await?);
    Ok(video)
}

/// The bytes of each part, checked to cover the file exactly once, in order: anything else
/// would upload a different file than the one the user chose.
fn slice_parts<'a>(bytes: &'a [u8], parts: &[PartInstruction]) -> PlatformResult<Vec<&'a [u8]>> {
    let bad =
        |why: &str| PlatformError::bad_response(format!("initializeUpload gave unusable upload instructions ({why})"));
    if parts.is_empty() {
        return Err(bad("no parts"));
    }
    let mut next = 0usize;
    let mut slices = Vec::with_capacity(parts.len());
    for part in parts {
        let first = usize::try_from(part.first_byte).map_err(|_| bad("a part starts past the file"))?;
        let last = usize::try_from(part.last_byte).map_err(|_| bad("a part ends past the file"))?;
        if first != next || last < first {
            return Err(bad("the parts are not contiguous"));
        }
        slices.push(bytes.get(first..=last).ok_or_else(|| bad("a part ends past the file"))?);
        next = last + 1;
    }
    if next != bytes.len() {
        return Err(bad("the parts do not cover the file"));
    }
    Ok(slices)
}

/// PUT one part; its `ETag` is the id finalizeUpload needs.
async fn upload_part(
    li: &LinkedinAdapter,
    creds: &Credentials,
    upload_url: &str,
    bytes: &[u8],
) -> PlatformResult<String> {
    images::check_upload_host(li, upload_url)?;
    let put = li
        .http
        .raw()
        .put(upload_url)
        .bearer_auth(&creds.access_token)
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .body(bytes.to_vec());
    let resp = client::send(put, Effect::Read).await?;
    if !resp.status().is_success() {
        return Err(super::errors::from_response(resp).await);
    }
    let etag = resp.headers().get(reqwest::header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_string);
    drop(resp);
    etag.filter(|e| !e.is_empty()).ok_or_else(|| PlatformError::bad_response("a video part was taken without an ETag"))
}

/// Poll the video until LinkedIn has processed it.
async fn wait_available(li: &LinkedinAdapter, creds: &Credentials, urn: &str) -> PlatformResult<()> {
    let polling = li.video_polling;
    let url = li.api(&format!("/rest/videos/{}", text::encode_urn(urn)));
    for poll in 0..polling.max_polls.max(1) {
        if poll > 0 {
            tokio::time::sleep(polling.interval).await;
        }
        let video: VideoStatus = li.call_json(li.rest(li.http.raw().get(&url), creds), Effect::Read).await?;
        match video.status.as_str() {
            "AVAILABLE" => return Ok(()),
            "PROCESSING_FAILED" => {
                let reason = video.processing_failure_reason.filter(|r| !r.trim().is_empty());
                let reason = reason.unwrap_or_else(|| "no reason given".into());
                return Err(PlatformError::permanent(
                    None,
                    format!("LinkedIn could not process the video (PROCESSING_FAILED: {reason})"),
                ));
            }
            // PROCESSING, or WAITING_UPLOAD while the finalized parts are being assembled.
            _ => {}
        }
    }
    Err(PlatformError::retryable(format!(
        "LinkedIn was still processing the video after {} checks",
        polling.max_polls.max(1)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(first_byte: u64, last_byte: u64) -> PartInstruction {
        PartInstruction { upload_url: String::new(), first_byte, last_byte }
    }

    #[test]
    fn parts_must_cover_the_file_in_order() {
        let bytes: Vec<u8> = (0..10).collect();
        let sliced = slice_parts(&bytes, &[part(0, 3), part(4, 7), part(8, 9)]).unwrap();
        assert_eq!(sliced, vec![&bytes[0..4], &bytes[4..8], &bytes[8..10]]);
        for bad in [
            vec![],
            vec![part(0, 3), part(5, 9)],
            vec![part(4, 9), part(0, 3)],
            vec![part(0, 3)],
            vec![part(0, 10)],
            vec![part(0, u64::MAX)],
            vec![part(3, 2)],
        ] {
            assert!(matches!(slice_parts(&bytes, &bad), Err(PlatformError::Retryable { .. })), "{bad:?}");
        }
    }
}
