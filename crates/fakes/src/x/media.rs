//! Media on the fake X: the v2 simple upload for images, the chunked upload (initialize,
//! append, finalize, STATUS) for video and GIFs, and alt text. Only sizes are kept, not bytes.

use super::{bearer_user, invalid_request, next_id, XState};
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

const INVALID_MEDIA: &str = "Your media IDs are invalid.";
const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
const MAX_SEGMENT_BYTES: usize = 5 * 1024 * 1024;
const MAX_VIDEO_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Image,
    Video,
    Gif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Uploading,
    Processing,
    Ready,
}

#[derive(Debug)]
struct Media {
    owner: String,
    kind: Kind,
    total: u64,
    segments: BTreeMap<u32, u64>,
    stage: Stage,
    alt_text: Option<String>,
}

#[derive(Default)]
pub(super) struct MediaStore {
    items: HashMap<String, Media>,
}

impl MediaStore {
    pub(super) fn alt_text(&self, id: &str) -> Option<String> {
        self.items.get(id).and_then(|m| m.alt_text.clone())
    }

    /// Up to four images, or one video or GIF, all the user's and all processed.
    pub(super) fn check_attachable(&self, user: &str, ids: &[String]) -> Result<(), &'static str> {
        if ids.len() > 4 {
            return Err(INVALID_MEDIA);
        }
        for id in ids {
            match self.items.get(id) {
                Some(m) if m.owner == user && m.stage == Stage::Ready => {
                    if m.kind != Kind::Image && ids.len() > 1 {
                        return Err(INVALID_MEDIA);
                    }
                }
                _ => return Err(INVALID_MEDIA),
            }
        }
        Ok(())
    }
}

fn media_key(kind: Kind, id: &str) -> String {
    let prefix = match kind {
        Kind::Image => 3,
        Kind::Gif => 16,
        Kind::Video => 7,
    };
    format!("{prefix}_{id}")
}

/// The named parts of a multipart body: text fields and the `media` bytes.
async fn read_parts(mut multipart: Multipart) -> Result<(HashMap<String, String>, Option<(String, Bytes)>), Response> {
    let mut fields = HashMap::new();
    let mut media = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(invalid_request(&format!("The multipart body is not valid: {e}"))),
        };
        let name = field.name().unwrap_or_default().to_string();
        let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
        let data =
            field.bytes().await.map_err(|e| invalid_request(&format!("The multipart body is not valid: {e}")))?;
        if name == "media" {
            media = Some((content_type, data));
        } else {
            fields.insert(name, String::from_utf8_lossy(&data).into_owned());
        }
    }
    Ok((fields, media))
}

/// `POST /2/media/upload`: one image in one request.
pub(super) async fn simple_upload(State(state): State<XState>, headers: HeaderMap, multipart: Multipart) -> Response {
    let user = match bearer_user(&state, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let (fields, media) = match read_parts(multipart).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some((content_type, bytes)) = media.filter(|(_, b)| !b.is_empty()) else {
        return invalid_request("The `media` field is required.");
    };
    let category = fields.get("media_category").map(String::as_str).unwrap_or("tweet_image");
    if category != "tweet_image" || !content_type.starts_with("image/") {
        return invalid_request(
            "Only images can be uploaded in one request: use the chunked upload for video and GIFs.",
        );
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return invalid_request("File size exceeds 5242880 bytes.");
    }
    let mut s = state.lock();
    let id = next_id(&mut s).to_string();
    let media = Media {
        owner: user,
        kind: Kind::Image,
        total: bytes.len() as u64,
        segments: BTreeMap::new(),
        stage: Stage::Ready,
        alt_text: None,
    };
    s.media.items.insert(id.clone(), media);
    Json(json!({ "data": {
        "id": id,
        "media_key": media_key(Kind::Image, &id),
        "size": bytes.len(),
        "expires_after_secs": 86400,
        "image": { "image_type": content_type },
    }}))
    .into_response()
}

#[derive(Deserialize)]
struct InitBody {
    media_type: String,
    total_bytes: u64,
    #[serde(default)]
    media_category: Option<String>,
}

/// `POST /2/media/upload/initialize`
pub(super) async fn initialize(State(state): State<XState>, headers: HeaderMap, body: Bytes) -> Response {
    let user = match bearer_user(&state, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let init: InitBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return invalid_request(&format!("Request body is not valid: {e}")),
    };
    let kind = match init.media_type.as_str() {
        "video/mp4" | "video/quicktime" => Kind::Video,
        "image/gif" => Kind::Gif,
        t if t.starts_with("image/") => Kind::Image,
        _ => return invalid_request("The `media_type` is not supported."),
    };
    if init.total_bytes == 0 || init.total_bytes > MAX_VIDEO_BYTES {
        return invalid_request("The `total_bytes` is out of range.");
    }
    let expected = match kind {
        Kind::Video => "tweet_video",
        Kind::Gif => "tweet_gif",
        Kind::Image => "tweet_image",
    };
    if init.media_category.as_deref().is_some_and(|c| c != expected && c != "amplify_video") {
        return invalid_request("The `media_category` does not match the `media_type`.");
    }
    let mut s = state.lock();
    let id = next_id(&mut s).to_string();
    let media = Media {
        owner: user,
        kind,
        total: init.total_bytes,
        segments: BTreeMap::new(),
        stage: Stage::Uploading,
        alt_text: None,
    };
    s.media.items.insert(id.clone(), media);
    Json(json!({ "data": { "id": id, "media_key": media_key(kind, &id), "expires_after_secs": 86400 } }))
        .into_response()
}

/// `POST /2/media/upload/{id}/append`
pub(super) async fn append(
    State(state): State<XState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Response {
    let user = match bearer_user(&state, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let (fields, media) = match read_parts(multipart).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(segment) = fields.get("segment_index").and_then(|i| i.parse::<u32>().ok()).filter(|i| *i <= 999) else {
        return invalid_request("The `segment_index` must be between 0 and 999.");
    };
    let Some((_, bytes)) = media.filter(|(_, b)| !b.is_empty() && b.len() <= MAX_SEGMENT_BYTES) else {
        return invalid_request("The `media` field is required and must be at most 5 MB.");
    };
    let mut s = state.lock();
    match s.media.items.get_mut(&id) {
        Some(m) if m.owner == user && m.stage == Stage::Uploading => {
            m.segments.insert(segment, bytes.len() as u64);
            let expires_at = chrono::Utc::now().timestamp() + 86400;
            Json(json!({ "data": { "expires_at": expires_at } })).into_response()
        }
        _ => invalid_request(INVALID_MEDIA),
    }
}

/// `POST /2/media/upload/{id}/finalize`: video and GIFs go on to processing.
pub(super) async fn finalize(State(state): State<XState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let user = match bearer_user(&state, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut s = state.lock();
    let Some(m) = s.media.items.get_mut(&id).filter(|m| m.owner == user && m.stage == Stage::Uploading) else {
        return invalid_request(INVALID_MEDIA);
    };
    let received: u64 = m.segments.values().sum();
    let contiguous = m.segments.keys().copied().eq(0..m.segments.len() as u32);
    if received != m.total || !contiguous {
        return invalid_request("Segments do not add up to the declared total_bytes.");
    }
    let mut data =
        json!({ "id": id, "media_key": media_key(m.kind, &id), "size": m.total, "expires_after_secs": 86400 });
    if m.kind == Kind::Image {
        m.stage = Stage::Ready;
    } else {
        m.stage = Stage::Processing;
        data["processing_info"] = json!({ "state": "pending", "check_after_secs": 1 });
    }
    Json(json!({ "data": data })).into_response()
}

/// `GET /2/media/upload?command=STATUS&media_id=…`: processing finishes at the first check.
pub(super) async fn status(
    State(state): State<XState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let user = match bearer_user(&state, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    if q.get("command").map(String::as_str) != Some("STATUS") {
        return invalid_request("The `command` query parameter must be STATUS.");
    }
    let id = q.get("media_id").cloned().unwrap_or_default();
    let mut s = state.lock();
    let Some(m) = s.media.items.get_mut(&id).filter(|m| m.owner == user) else {
        return invalid_request(INVALID_MEDIA);
    };
    if m.stage == Stage::Processing {
        m.stage = Stage::Ready;
    }
    let state = if m.stage == Stage::Ready { "succeeded" } else { "pending" };
    Json(json!({ "data": {
        "id": id,
        "media_key": media_key(m.kind, &id),
        "processing_info": { "state": state, "progress_percent": 100 },
    }}))
    .into_response()
}

/// `POST /2/media/metadata` with `{"id", "metadata": {"alt_text": {"text"}}}`.
pub(super) async fn metadata(State(state): State<XState>, headers: HeaderMap, body: Bytes) -> Response {
    let user = match bearer_user(&state, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return invalid_request("Request body is not valid JSON.");
    };
    let id = v.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
    let text = v.pointer("/metadata/alt_text/text").and_then(Value::as_str).map(str::to_string);
    if text.as_ref().is_some_and(|t| t.chars().count() > 1000) {
        return invalid_request("The alt text must be at most 1000 characters.");
    }
    let mut s = state.lock();
    match s.media.items.get_mut(&id) {
        Some(m) if m.owner == user => {
            m.alt_text = text;
            Json(json!({ "data": { "id": id, "associated_metadata": true } })).into_response()
        }
        _ => invalid_request(INVALID_MEDIA),
    }
}
