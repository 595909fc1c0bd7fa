//! /api/v1/orgs/{org_id}/media: uploads (multipart), their details and their bytes.

pub mod responses;

use self::responses::{Media, MediaList};
use crate::api::shared::page;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sellcast_app::authorize::authorize;
use sellcast_app::media::{self, Upload};
use sellcast_domain::{Permission, Platform};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

/// Room for the multipart framing and the small text fields around the largest file.
const UPLOAD_SLACK_BYTES: u64 = 1024 * 1024;
const TEXT_FIELD_MAX_BYTES: usize = 16 * 1024;

/// The upload body limit: the largest file allowed (videos) plus framing. Routes other than
/// this one keep the JSON body limit.
pub fn upload_limit(s: &AppState) -> usize {
    let c = &s.app.config;
    usize::try_from(c.media_max_video_bytes.max(c.media_max_image_bytes).saturating_add(UPLOAD_SLACK_BYTES))
        .unwrap_or(usize::MAX)
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        format!("the upload is larger than this server accepts ({limit} bytes with the form around it)"),
    )
}

fn multipart_error(e: MultipartError, limit: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(limit)
    } else {
        ApiError::validation("the multipart form could not be read", json!({"reason": e.body_text()}))
    }
}

// The upload form as `read_form` reads it; its schema is the documented multipart body.
// (A `///` line here would add a description to the published schema.)
#[derive(ToSchema)]
pub struct UploadForm {
    /// The file: JPEG, PNG, WebP, GIF, MP4 or MOV (decided by its bytes). Images up to
    /// 10 MB and videos up to 100 MB unless configured otherwise.
    #[schema(value_type = String, format = Binary)]
    file: UploadedFile,
    /// Description for screen readers, at most 1,500 characters.
    alt_text: Option<String>,
    client_id: Option<String>,
}

/// The `file` part: the name the client gave it and its bytes.
struct UploadedFile {
    name: String,
    bytes: Bytes,
}

impl From<UploadForm> for Upload {
    fn from(form: UploadForm) -> Self {
        Upload { filename: form.file.name, bytes: form.file.bytes, alt_text: form.alt_text, client_id: form.client_id }
    }
}

async fn text_field(field: axum::extract::multipart::Field<'_>, name: &str, limit: usize) -> ApiResult<String> {
    let bytes = field.bytes().await.map_err(|e| multipart_error(e, limit))?;
    if bytes.len() > TEXT_FIELD_MAX_BYTES {
        return Err(ApiError::field(name, "is too long"));
    }
    let text = String::from_utf8(bytes.to_vec()).map_err(|_| ApiError::field(name, "must be UTF-8 text"))?;
    // Storage cannot hold NUL in text (PostgreSQL refuses it); JSON bodies are checked the same way.
    if text.contains('\0') {
        return Err(ApiError::field(name, "must not contain NUL characters"));
    }
    Ok(text)
}

/// Upload a file (multipart/form-data with `file`, and optionally `alt_text` and
/// `client_id`). The type is decided by the bytes; a file that is not a supported image or
/// video, or is over the size limit, is refused and nothing is stored. Images get a
/// thumbnail and per-platform copies shortly after (status `processing`, then `ready`).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/media", tag = "media", security(("bearer" = [])),
    params(("org_id" = String, Path)), request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Media), (status = 413, description = "The file is too large", body = ErrorBody),
        (status = 415, description = "The body is not multipart/form-data", body = ErrorBody)))]
pub async fn upload(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    req: Request,
) -> Response {
    // Refuse non-members and viewers before they send a large body (the app checks again).
    let form = match authorize(&s.app, &actor, &org_id, Permission::PostCreate).await {
        Ok(_) => read_form(&s, req).await,
        Err(e) => Err(ApiError::from(e)),
    };
    let up = match form {
        Ok(up) => up,
        Err(e) => {
            // Refused before the body was read to its end: the rest of it may still be on the
            // connection, so the client must not reuse it.
            let mut res = e.into_response();
            res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            return res;
        }
    };
    match media::upload(&s.app, &actor, &org_id, up).await {
        Ok(row) => (StatusCode::CREATED, Json(Media::from_view(row, &s.app.config.public_url()))).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The form's fields, the body read within the upload limit.
async fn read_form(s: &AppState, req: Request) -> ApiResult<Upload> {
    let limit = upload_limit(s);
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "VALIDATION_ERROR",
            "expected a multipart/form-data body with a `file` field",
        ));
    }
    // The route has no default limit (it would be the JSON one); this one counts every byte,
    // chunked bodies included.
    let req = req.map(|b| Body::new(http_body_util::Limited::new(b, limit)));
    let mut form = Multipart::from_request(req, s)
        .await
        .map_err(|e| ApiError::validation("the multipart form could not be read", json!({"reason": e.body_text()})))?;
    let mut file: Option<UploadedFile> = None;
    let (mut alt_text, mut client_id) = (None, None);
    while let Some(field) = form.next_field().await.map_err(|e| multipart_error(e, limit))? {
        match field.name().unwrap_or("") {
            "file" => {
                if file.is_some() {
                    return Err(ApiError::field("file", "send one file per upload"));
                }
                let name = field.file_name().unwrap_or("").to_string();
                let bytes = field.bytes().await.map_err(|e| multipart_error(e, limit))?;
                file = Some(UploadedFile { name, bytes });
            }
            "alt_text" => alt_text = Some(text_field(field, "alt_text", limit).await?),
            "client_id" => {
                client_id = Some(text_field(field, "client_id", limit).await?).filter(|c| !c.trim().is_empty())
            }
            other => {
                let name: String = other.chars().take(100).collect();
                return Err(ApiError::field(&name, "is not a field of this form (file, alt_text, client_id)"));
            }
        }
    }
    let file = file.ok_or_else(|| ApiError::field("file", "is required"))?;
    if file.bytes.is_empty() {
        return Err(ApiError::field("file", "is empty"));
    }
    Ok(UploadForm { file, alt_text, client_id }.into())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MediaQuery {
    /// Only images or only videos.
    pub kind: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Uploaded files, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/media", tag = "media", security(("bearer" = [])),
    params(("org_id" = String, Path), MediaQuery), responses((status = 200, body = MediaList)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<MediaQuery>,
) -> ApiResult<Json<MediaList>> {
    let p = page(q.limit, q.cursor.as_deref())?;
    if q.kind.as_deref().is_some_and(|k| k != "image" && k != "video") {
        return Err(ApiError::field("kind", "must be image or video"));
    }
    let (rows, next_cursor) = media::list(&s.app, &actor, &org_id, q.kind.as_deref(), &p).await?;
    let base = s.app.config.public_url();
    Ok(Json(MediaList { items: rows.into_iter().map(|r| Media::from_view(r, &base)).collect(), next_cursor }))
}

/// One file's details.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/media/{media_id}", tag = "media", security(("bearer" = [])),
    params(("org_id" = String, Path), ("media_id" = String, Path)), responses((status = 200, body = Media)))]
pub async fn get(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, media_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<Media>> {
    let row = media::get(&s.app, &actor, &org_id, &media_id).await?;
    Ok(Json(Media::from_view(row, &s.app.config.public_url())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMediaRequest {
    /// Description for screen readers; empty clears it.
    #[schema(max_length = 1500)]
    pub alt_text: String,
}

/// Change the alt text.
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/media/{media_id}", tag = "media", security(("bearer" = [])),
    params(("org_id" = String, Path), ("media_id" = String, Path)), request_body = UpdateMediaRequest,
    responses((status = 200, body = Media)))]
pub async fn update(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, media_id)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<UpdateMediaRequest>,
) -> ApiResult<Json<Media>> {
    let row = media::set_alt_text(&s.app, &actor, &org_id, &media_id, &r.alt_text).await?;
    Ok(Json(Media::from_view(row, &s.app.config.public_url())))
}

/// Delete the file and its copies (owner, admin). 409 while a scheduled post uses it.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/media/{media_id}", tag = "media", security(("bearer" = [])),
    params(("org_id" = String, Path), ("media_id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 409, description = "A scheduled post uses it", body = ErrorBody)))]
pub async fn delete(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, media_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    media::delete(&s.app, &actor, &org_id, &media_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContentQuery {
    /// original (default), thumbnail, or a platform's copy (e.g. instagram). A copy not made
    /// yet falls back to the original.
    pub variant: Option<String>,
}

/// A variant name from input: original, thumbnail or a platform.
pub fn variant_name(raw: Option<&str>) -> ApiResult<String> {
    let name = raw.map(str::trim).filter(|v| !v.is_empty()).unwrap_or("original");
    if name == "original" || name == "thumbnail" || name.parse::<Platform>().is_ok() {
        return Ok(name.to_string());
    }
    let platforms: Vec<&str> = Platform::ALL.iter().map(|p| p.as_str()).collect();
    Err(ApiError::field("variant", &format!("must be original, thumbnail or one of {}", platforms.join(", "))))
}

/// The bytes with their type; cacheable by the browser only.
pub fn file_response(bytes: Bytes, mime: &str) -> Response {
    let content_type =
        HeaderValue::from_str(mime).unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        bytes,
    )
        .into_response()
}

/// The file's bytes (or a variant's).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/media/{media_id}/content", tag = "media", security(("bearer" = [])),
    params(("org_id" = String, Path), ("media_id" = String, Path), ContentQuery),
    responses((status = 200, description = "The bytes, with their Content-Type", content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"), (Vec<u8> = "image/gif"), (Vec<u8> = "video/mp4"), (Vec<u8> = "video/quicktime")))))]
pub async fn content(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, media_id)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ContentQuery>,
) -> ApiResult<Response> {
    let variant = variant_name(q.variant.as_deref())?;
    let (bytes, mime) = media::content(&s.app, &actor, &org_id, &media_id, &variant).await?;
    Ok(file_response(bytes, &mime))
}
