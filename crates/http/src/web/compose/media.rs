//! Media in the composer: uploads (from the script, or a plain form without JavaScript) and
//! thumbnails (also shown on the post page).

use crate::state::AppState;
use crate::web::accept::wants_json;
use crate::web::error::{WebError, WebResult};
use crate::web::scope::OrgScope;
use crate::web::session::{check_csrf, csrf_header, redirect_with_flash};
use crate::web::ui::CSRF_FIELD;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sellcast_app::media::{self, Upload};
use sellcast_app::AppError;
use sellcast_domain::Permission;
use serde_json::json;

/// A path inside this workspace to come back to, or the composer.
fn safe_return(scope: &OrgScope, raw: &str) -> String {
    let prefix = scope.path("/");
    let ok = raw.starts_with(&prefix) && !raw.contains("//") && !raw.contains('?') && !raw.contains('\\');
    if ok {
        raw.to_string()
    } else {
        scope.path("/compose")
    }
}

struct UploadForm {
    token: Option<String>,
    file: Option<(String, Bytes)>,
    alt_text: Option<String>,
    return_to: String,
}

async fn read_upload(state: &AppState, parts: &Parts, body: Body, limit: usize) -> WebResult<UploadForm> {
    let too_large = || {
        WebError::page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "This file is too large",
            format!("Sellcast accepts uploads up to {} MB.", limit / (1024 * 1024)),
        )
    };
    let req = Request::from_parts(parts.clone(), Body::new(http_body_util::Limited::new(body, limit)));
    let mut mp =
        Multipart::from_request(req, state).await.map_err(|_| WebError::bad_request("Expected a file upload form."))?;
    let mut f = UploadForm { token: csrf_header(parts), file: None, alt_text: None, return_to: String::new() };
    let read_err = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            WebError::bad_request("The upload could not be read.")
        }
    };
    while let Some(field) = mp.next_field().await.map_err(read_err)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let filename = field.file_name().unwrap_or("").to_string();
            f.file = Some((filename, field.bytes().await.map_err(read_err)?));
            continue;
        }
        let text = field.text().await.map_err(read_err)?;
        match name.as_str() {
            CSRF_FIELD => f.token = f.token.or(Some(text)),
            "alt_text" => f.alt_text = Some(text).filter(|t| !t.trim().is_empty() && !t.contains('\0')),
            "return_to" => f.return_to = text,
            _ => {}
        }
    }
    Ok(f)
}

/// A multipart upload (`file`, `alt_text`, `_csrf` or the `X-CSRF-Token` header). The
/// composer's script gets JSON; a plain form goes back to the composer with the file ticked.
pub async fn upload(State(state): State<AppState>, scope: OrgScope, req: Request) -> WebResult<Response> {
    // Viewers are refused before their body is read.
    scope.require(Permission::PostCreate)?;
    let wants_json = wants_json(req.headers());
    let limit = crate::api::media::upload_limit(&state);
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(WebError::page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "This file is too large",
            "The upload is too large.",
        ));
    }
    let (parts, body) = req.into_parts();
    let f = read_upload(&state, &parts, body, limit).await?;
    check_csrf(&parts, &state, f.token.as_deref()).await?;
    let back = safe_return(&scope, &f.return_to);
    let refused = |message: String| -> Response {
        if wants_json {
            (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
        } else {
            redirect_with_flash(&state, &back, &format!("The file was not uploaded: {message}"))
        }
    };
    let Some((filename, bytes)) = f.file.filter(|(_, b)| !b.is_empty()) else {
        return Ok(refused("choose a file first.".into()));
    };
    let up = Upload { filename, bytes, alt_text: f.alt_text, client_id: None };
    match media::upload(&state.app, scope.actor(), scope.org_id(), up).await {
        Ok(row) => {
            let thumb = scope.path(&format!("/compose/media/{}", row.id));
            if wants_json {
                let body = json!({"id": row.id, "filename": row.filename, "kind": row.kind, "thumbnail_url": thumb});
                return Ok((StatusCode::CREATED, Json(body)).into_response());
            }
            let to = format!("{back}?media={}", row.id);
            Ok(redirect_with_flash(&state, &to, &format!("{} uploaded and attached.", row.filename)))
        }
        Err(AppError::Validation(e)) => {
            let message = e.0.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; ");
            Ok(refused(message))
        }
        Err(e) => Err(e.into()),
    }
}

/// A file's thumbnail for the composer and the post page (the original while it is being made).
pub async fn thumbnail(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, media_id)): Path<(String, String)>,
) -> WebResult<Response> {
    let (bytes, mime) = media::content(&state.app, scope.actor(), scope.org_id(), &media_id, "thumbnail").await?;
    Ok(crate::api::media::file_response(bytes, &mime))
}

/// Used by the post page: the same thumbnail URL.
pub fn thumbnail_path(scope: &OrgScope, media_id: &str) -> String {
    scope.path(&format!("/compose/media/{media_id}"))
}
