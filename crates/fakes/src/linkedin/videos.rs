//! Videos on the fake LinkedIn, per the Videos API: `initializeUpload` splits the file into parts
//! (4 MiB each, smaller with [`LinkedinState::set_video_part_bytes`]), each part is PUT to its own
//! upload URL and answered with an `ETag`, `finalizeUpload` must list those ETags in order with
//! the upload token, then `GET /rest/videos/{urn}` answers PROCESSING and AVAILABLE (or
//! PROCESSING_FAILED, see [`VideoProcessing`]). The bytes are kept so tests can compare them.

use super::errors::{forbidden, not_found, rest_error, unprocessable};
use super::{rest_member, LinkedinState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};
use std::collections::HashMap;

/// LinkedIn's part size: every part but the last is 4,194,304 bytes.
pub const DEFAULT_PART_BYTES: u64 = 4 * 1024 * 1024;
/// "75 KB to 500 MB".
const MIN_VIDEO_BYTES: u64 = 75_000;
const MAX_VIDEO_BYTES: u64 = 500 * 1024 * 1024;

/// What happens to the videos finalized from now on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoProcessing {
    /// AVAILABLE after this many status reads answered PROCESSING (0: at once).
    Available { processing_polls: u32 },
    /// PROCESSING_FAILED with this `processingFailureReason`.
    Fails { reason: String },
}

impl Default for VideoProcessing {
    fn default() -> Self {
        VideoProcessing::Available { processing_polls: 0 }
    }
}

/// A video as the fake holds it.
#[derive(Debug, Clone)]
pub struct FakeVideo {
    pub urn: String,
    pub owner: String,
    /// What `GET /rest/videos/{urn}` says now: WAITING_UPLOAD, PROCESSING, AVAILABLE or
    /// PROCESSING_FAILED.
    pub status: &'static str,
    pub file_size: u64,
    /// How many parts initializeUpload asked for.
    pub parts: usize,
    /// The parts put together in order at finalizeUpload (empty before).
    pub bytes: Vec<u8>,
    /// `GET /rest/videos/{urn}` calls so far.
    pub status_reads: u32,
}

#[derive(Debug)]
enum Stage {
    WaitingUpload,
    Processing { polls_left: u32 },
    Available,
    Failed(String),
}

#[derive(Debug)]
struct Part {
    first: u64,
    last: u64,
    /// The ETag answered and the bytes, once uploaded.
    uploaded: Option<(String, Bytes)>,
}

#[derive(Debug)]
struct Video {
    seq: u64,
    owner: String,
    file_size: u64,
    upload_token: String,
    parts: Vec<Part>,
    stage: Stage,
    bytes: Vec<u8>,
    status_reads: u32,
}

impl Video {
    fn status(&self) -> &'static str {
        match self.stage {
            Stage::WaitingUpload => "WAITING_UPLOAD",
            Stage::Processing { .. } => "PROCESSING",
            Stage::Available => "AVAILABLE",
            Stage::Failed(_) => "PROCESSING_FAILED",
        }
    }
}

#[derive(Default)]
pub(super) struct Videos {
    by_urn: HashMap<String, Video>,
    /// Upload URL key → video URN.
    uploads: HashMap<String, String>,
    part_bytes: u64,
    processing: VideoProcessing,
    next: u64,
}

impl Videos {
    pub(super) fn set_part_bytes(&mut self, bytes: u64) {
        self.part_bytes = bytes.max(1);
    }

    pub(super) fn set_processing(&mut self, processing: VideoProcessing) {
        self.processing = processing;
    }

    pub(super) fn all(&self) -> Vec<FakeVideo> {
        let mut all: Vec<(u64, FakeVideo)> = self
            .by_urn
            .iter()
            .map(|(urn, v)| {
                let shown = FakeVideo {
                    urn: urn.clone(),
                    owner: v.owner.clone(),
                    status: v.status(),
                    file_size: v.file_size,
                    parts: v.parts.len(),
                    bytes: v.bytes.clone(),
                    status_reads: v.status_reads,
                };
                (v.seq, shown)
            })
            .collect();
        all.sort_by_key(|(seq, _)| *seq);
        all.into_iter().map(|(_, v)| v).collect()
    }

    /// The part ranges for a file of `size` bytes.
    fn plan(&self, size: u64) -> Vec<Part> {
        let part = if self.part_bytes == 0 { DEFAULT_PART_BYTES } else { self.part_bytes };
        (0..size.div_ceil(part))
            .map(|i| Part { first: i * part, last: ((i + 1) * part).min(size) - 1, uploaded: None })
            .collect()
    }
}

/// The video URN a post's `content` attaches (`{"media": {"id": "urn:li:video:…"}}`), or the 422
/// LinkedIn would send when it is not the author's processed video. None for other content.
pub(super) fn attached_video(
    videos: &Videos,
    author: &str,
    content: Option<&Value>,
) -> Result<Option<String>, Response> {
    let Some(id) = content.and_then(|c| c.pointer("/media/id")).and_then(Value::as_str) else { return Ok(None) };
    if !id.starts_with("urn:li:video:") {
        return Ok(None);
    }
    match videos.by_urn.get(id) {
        Some(v) if v.owner == author && matches!(v.stage, Stage::Available) => Ok(Some(id.to_string())),
        _ => Err(unprocessable(&[format!("/content/media/id :: {id} is not an available video of the author")])),
    }
}

fn not_a_data_map() -> Response {
    rest_error(StatusCode::BAD_REQUEST, "ILLEGAL_ARGUMENT", "Request body could not be converted to data map")
}

fn required(path: &str) -> Response {
    unprocessable(&[format!("{path} :: field is required but not found and has no default value")])
}

/// `POST /rest/videos?action=initializeUpload|finalizeUpload`
pub(super) async fn action(
    State(state): State<LinkedinState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let member = match rest_member(&state, &headers) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let Ok(body) = serde_json::from_slice::<Value>(&body) else { return not_a_data_map() };
    match q.get("action").map(String::as_str) {
        Some("initializeUpload") => initialize(&state, &headers, &member, &body),
        Some("finalizeUpload") => finalize(&state, &member, &body),
        _ => rest_error(StatusCode::BAD_REQUEST, "ILLEGAL_ARGUMENT", "Unknown action"),
    }
}

fn initialize(state: &LinkedinState, headers: &HeaderMap, member: &str, body: &Value) -> Response {
    let request = "/initializeUploadRequest";
    let Some(owner) = body.pointer(&format!("{request}/owner")).and_then(Value::as_str) else {
        return required(&format!("{request}/owner"));
    };
    let Some(size) = body.pointer(&format!("{request}/fileSizeBytes")).and_then(Value::as_u64) else {
        return required(&format!("{request}/fileSizeBytes"));
    };
    for flag in ["uploadCaptions", "uploadThumbnail"] {
        if body.pointer(&format!("{request}/{flag}")).is_some_and(|v| !v.is_boolean()) {
            return unprocessable(&[format!("{request}/{flag} :: expected a boolean")]);
        }
    }
    if owner != member {
        return forbidden("POST /rest/videos (owner is not the authenticated member)");
    }
    // LinkedIn's exact answer to a size out of range is not documented; this keeps its shape.
    if !(MIN_VIDEO_BYTES..=MAX_VIDEO_BYTES).contains(&size) {
        return unprocessable(&[format!(
            "{request}/fileSizeBytes :: a video must be 75 KB to 500 MB, not {size} bytes"
        )]);
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1").to_string();
    let mut s = state.lock();
    let videos = &mut s.videos;
    videos.next += 1;
    let seq = videos.next;
    let urn = format!("urn:li:video:C5F10AQ{seq}");
    let key = super::random_token();
    let parts = videos.plan(size);
    // LinkedIn gives an empty token for a single-part upload.
    let upload_token = if parts.len() > 1 { super::random_token() } else { String::new() };
    let instructions: Vec<Value> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            json!({
                "uploadUrl": format!("http://{host}/dms-uploads/{key}/uploadedVideo?part={i}"),
                "firstByte": p.first,
                "lastByte": p.last,
            })
        })
        .collect();
    let video = Video {
        seq,
        owner: owner.to_string(),
        file_size: size,
        upload_token: upload_token.clone(),
        parts,
        stage: Stage::WaitingUpload,
        bytes: Vec::new(),
        status_reads: 0,
    };
    videos.uploads.insert(key, urn.clone());
    videos.by_urn.insert(urn.clone(), video);
    Json(json!({ "value": {
        "uploadUrlsExpireAt": Utc::now().timestamp_millis() + 86_400_000,
        "video": urn,
        "uploadInstructions": instructions,
        "uploadToken": upload_token,
        "thumbnailUploadUrl": "",
    }}))
    .into_response()
}

/// `PUT {uploadUrl}` with one part's bytes: 200 with the part's `ETag`. The URL is signed, so no
/// token is needed (one is ignored).
pub(super) async fn upload_part(
    State(state): State<LinkedinState>,
    headers: HeaderMap,
    Path(key): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    // The bodies of these refusals are not documented; they keep LinkedIn's REST error shape.
    let bad = |message: &str| rest_error(StatusCode::BAD_REQUEST, "ILLEGAL_ARGUMENT", message);
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type != "application/octet-stream" {
        return bad("A video part must be sent as application/octet-stream");
    }
    let mut s = state.lock();
    let Some(urn) = s.videos.uploads.get(&key).cloned() else { return not_found("upload") };
    let Some(video) = s.videos.by_urn.get_mut(&urn) else { return not_found(&urn) };
    if !matches!(video.stage, Stage::WaitingUpload) {
        return bad("The upload of this video was already finalized");
    }
    let index = q.get("part").and_then(|p| p.parse::<usize>().ok());
    let Some(part) = index.and_then(|i| video.parts.get_mut(i)) else { return not_found("upload part") };
    let expected = part.last - part.first + 1;
    if body.len() as u64 != expected {
        return bad(&format!(
            "The part must be bytes {} to {} ({expected} bytes), not {} bytes",
            part.first,
            part.last,
            body.len()
        ));
    }
    let etag = format!("/ambry-video/signedId/{}", super::random_token());
    part.uploaded = Some((etag.clone(), body));
    (StatusCode::OK, [(header::ETAG, etag)]).into_response()
}

fn finalize(state: &LinkedinState, member: &str, body: &Value) -> Response {
    let request = "/finalizeUploadRequest";
    let field = |name: &str| body.pointer(&format!("{request}/{name}"));
    let Some(urn) = field("video").and_then(Value::as_str) else { return required(&format!("{request}/video")) };
    let Some(token) = field("uploadToken").and_then(Value::as_str) else {
        return required(&format!("{request}/uploadToken"));
    };
    let Some(ids) = field("uploadedPartIds").and_then(Value::as_array) else {
        return required(&format!("{request}/uploadedPartIds"));
    };
    let ids: Vec<&str> = ids.iter().filter_map(Value::as_str).collect();
    let mut s = state.lock();
    let processing = s.videos.processing.clone();
    let Some(video) = s.videos.by_urn.get_mut(urn) else { return not_found(urn) };
    if video.owner != member {
        return forbidden("POST /rest/videos?action=finalizeUpload (not the owner)");
    }
    if !matches!(video.stage, Stage::WaitingUpload) {
        return unprocessable(&[format!("{request}/video :: the upload of {urn} was already finalized")]);
    }
    if token != video.upload_token {
        return unprocessable(&[format!("{request}/uploadToken :: does not match the upload of {urn}")]);
    }
    let etags: Vec<&str> = video.parts.iter().map(|p| p.uploaded.as_ref().map_or("", |(e, _)| e.as_str())).collect();
    if let Some(missing) = etags.iter().position(|e| e.is_empty()) {
        return unprocessable(&[format!("{request}/uploadedPartIds :: part {missing} of {urn} was not uploaded")]);
    }
    if ids != etags {
        return unprocessable(&[format!(
            "{request}/uploadedPartIds :: do not match the uploaded parts of {urn} in order"
        )]);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(video.file_size).unwrap_or(0));
    for part in &mut video.parts {
        if let Some((_, data)) = &mut part.uploaded {
            bytes.extend_from_slice(data);
            // The bytes now live in the assembled file; only the ETag stays with the part.
            *data = Bytes::new();
        }
    }
    video.bytes = bytes;
    video.stage = match processing {
        VideoProcessing::Available { processing_polls: 0 } => Stage::Available,
        VideoProcessing::Available { processing_polls } => Stage::Processing { polls_left: processing_polls },
        VideoProcessing::Fails { reason } => Stage::Failed(reason),
    };
    StatusCode::OK.into_response()
}

/// `GET /rest/videos/{urn}`: the video and its processing status.
pub(super) async fn get_video(
    State(state): State<LinkedinState>,
    headers: HeaderMap,
    Path(urn): Path<String>,
) -> Response {
    let member = match rest_member(&state, &headers) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut s = state.lock();
    let Some(video) = s.videos.by_urn.get_mut(&urn) else { return not_found(&urn) };
    if video.owner != member {
        return forbidden("GET /rest/videos (not the owner)");
    }
    video.status_reads += 1;
    if let Stage::Processing { polls_left } = &mut video.stage {
        if *polls_left == 0 {
            video.stage = Stage::Available;
        } else {
            *polls_left -= 1;
        }
    }
    let mut shown = json!({ "id": urn, "owner": video.owner, "status": video.status() });
    match &video.stage {
        Stage::Available => {
            shown["downloadUrl"] = json!(format!("https://dms.licdn.com/playlist/vid/{urn}"));
            shown["downloadUrlExpiresAt"] = json!(Utc::now().timestamp_millis() + 3_600_000);
        }
        Stage::Failed(reason) => shown["processingFailureReason"] = json!(reason),
        Stage::WaitingUpload | Stage::Processing { .. } => {}
    }
    Json(shown).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_split_at_the_part_size() {
        let mut videos = Videos::default();
        let ranges = |v: &Videos, size| v.plan(size).iter().map(|p| (p.first, p.last)).collect::<Vec<_>>();
        assert_eq!(ranges(&videos, 100), vec![(0, 99)]);
        assert_eq!(
            ranges(&videos, DEFAULT_PART_BYTES + 1),
            vec![(0, DEFAULT_PART_BYTES - 1), (DEFAULT_PART_BYTES, DEFAULT_PART_BYTES)]
        );
        videos.set_part_bytes(40);
        assert_eq!(ranges(&videos, 100), vec![(0, 39), (40, 79), (80, 99)]);
        assert_eq!(ranges(&videos, 80), vec![(0, 39), (40, 79)]);
    }
}
