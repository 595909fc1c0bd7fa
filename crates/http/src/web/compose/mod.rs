//! The composer: write a post once, adapt it per channel, attach media, then save a draft,
//! schedule it in the viewer's timezone or publish it now. Also the small endpoints its
//! script uses: the per-channel character counts (the server's own counting), uploads and
//! thumbnails.

pub mod form;
pub mod view;

use crate::state::AppState;
use crate::web::error::{WebError, WebResult};
use crate::web::layout::{self, Nav};
use crate::web::scope::OrgScope;
use crate::web::session::{check_csrf, redirect_with_flash, Form};
use crate::web::ui::Errors;
use crate::web::ui::CSRF_FIELD;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::handler::Handler;
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use form::ComposeForm;
use maud::Markup;
use sellcast_app::media::{self, Upload};
use sellcast_app::posts::{self, schedule, PostView};
use sellcast_app::store::channels::{ChannelFilter, ChannelRow};
use sellcast_app::store::media::MediaRow;
use sellcast_app::{channels, clients, AppError};
use sellcast_domain::pagination::Page;
use sellcast_domain::Permission;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

/// Most channels and clients a workspace shows in the composer.
const LIST_MAX: u32 = 200;
/// The most recent uploads offered to attach.
const MEDIA_SHOWN: u32 = 48;
/// Counters asked for at once (one per channel).
const COUNT_ITEMS_MAX: usize = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/o/{org_id}/compose", get(new_post).post(create))
        .route("/o/{org_id}/posts/{post_id}/edit", get(edit).post(save))
        .route("/o/{org_id}/compose/count", post(count))
        // Uploads read their own, larger limit instead of the JSON one.
        .route("/o/{org_id}/compose/media", post(upload.layer(DefaultBodyLimit::disable())))
        .route("/o/{org_id}/compose/media/{media_id}", get(thumbnail))
}

struct Choices {
    channels: Vec<ChannelRow>,
    media: Vec<MediaRow>,
    clients: Vec<sellcast_app::store::clients::ClientRow>,
}

/// Active channels (and the ones the post already targets), recent media (the attached ones
/// first, in order) and the clients.
async fn choices(state: &AppState, scope: &OrgScope, form: &ComposeForm) -> WebResult<Choices> {
    let (app, actor, org) = (&state.app, scope.actor(), scope.org_id());
    let (all, _) = channels::list(app, actor, org, &ChannelFilter::default(), &Page::first(LIST_MAX)).await?;
    let mut chans: Vec<ChannelRow> =
        all.into_iter().filter(|c| c.status == channels::ACTIVE || form.channels.contains(&c.id)).collect();
    chans.sort_by(|a, b| (&a.platform, &a.handle).cmp(&(&b.platform, &b.handle)));
    let (recent, _) = media::list(app, actor, org, None, &Page::first(MEDIA_SHOWN)).await?;
    let mut shown = Vec::new();
    for id in &form.media {
        match recent.iter().find(|m| &m.id == id) {
            Some(m) => shown.push(m.clone()),
            None => {
                if let Ok(m) = media::get(app, actor, org, id).await {
                    shown.push(m);
                }
            }
        }
    }
    shown.extend(recent.into_iter().filter(|m| !form.media.contains(&m.id)));
    let clients = match clients::list(app, actor, org, Some(false), None, &Page::first(LIST_MAX)).await {
        Ok((rows, _)) => rows,
        Err(AppError::Forbidden(_)) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    Ok(Choices { channels: chans, media: shown, clients })
}

async fn render(
    state: &AppState,
    scope: &OrgScope,
    post: Option<&PostView>,
    form: &ComposeForm,
    errors: &Errors,
    general: Option<String>,
) -> WebResult<Markup> {
    let c = choices(state, scope, form).await?;
    let (action, return_to) = match post {
        Some(v) => {
            let p = scope.path(&format!("/posts/{}/edit", v.post.id));
            (p.clone(), p)
        }
        None => (scope.path("/compose"), scope.path("/compose")),
    };
    let page = view::ComposePage {
        shell: &scope.shell,
        action,
        upload_action: scope.path("/compose/media"),
        return_to,
        post,
        form,
        channels: &c.channels,
        media: &c.media,
        clients: &c.clients,
        errors,
        general,
        media_path: scope.path("/compose/media"),
    };
    let title = if post.is_some() { "Edit post" } else { "New post" };
    Ok(layout::page_with(&scope.shell, Nav::Compose, title, view::render(&page), &["compose.css", "compose.js"]))
}

async fn rerender(
    state: &AppState,
    scope: &OrgScope,
    post: Option<&PostView>,
    form: &ComposeForm,
    errors: &Errors,
    general: Option<String>,
) -> WebResult<Response> {
    let page = render(state, scope, post, form, errors, general).await?;
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

#[derive(Deserialize)]
pub struct NewQuery {
    media: Option<String>,
    date: Option<String>,
    time: Option<String>,
}

pub async fn new_post(State(state): State<AppState>, scope: OrgScope, Query(q): Query<NewQuery>) -> WebResult<Markup> {
    scope.require(Permission::PostCreate)?;
    let mut form =
        ComposeForm { date: q.date.unwrap_or_default(), time: q.time.unwrap_or_default(), ..Default::default() };
    form.media.extend(q.media.filter(|m| !m.is_empty()));
    // A workspace with one channel: it is the obvious target.
    let (all, _) =
        channels::list(&state.app, scope.actor(), scope.org_id(), &ChannelFilter::default(), &Page::first(2)).await?;
    if let [only] = all.as_slice() {
        if only.status == channels::ACTIVE {
            form.channels.push(only.id.clone());
        }
    }
    render(&state, &scope, None, &form, &Errors::default(), None).await
}

pub async fn create(
    State(state): State<AppState>,
    scope: OrgScope,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    scope.require(Permission::PostCreate)?;
    let form = ComposeForm::from_pairs(pairs);
    // A malformed time must not leave a draft behind.
    let at = match when(&form, &scope) {
        Ok(at) => at,
        Err(errors) => return rerender(&state, &scope, None, &form, &errors, None).await,
    };
    let created = posts::create(&state.app, scope.actor(), scope.org_id(), form.input(&HashMap::new())).await;
    match created {
        Ok(view) => finish(&state, &scope, view, &form, at, "Draft saved.").await,
        Err(AppError::Validation(e)) => {
            let errors = form::page_errors(&e, &form.channels);
            rerender(&state, &scope, None, &form, &errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The schedule time when the schedule button was pressed.
fn when(form: &ComposeForm, scope: &OrgScope) -> Result<Option<DateTime<Utc>>, Errors> {
    if form.action == "schedule" {
        form.when(&scope.shell.timezone).map(Some)
    } else {
        Ok(None)
    }
}

/// After the post was saved: schedule or publish it as asked, then go to its page. When that
/// step is refused, the saved post's edit page says why, next to the fields.
async fn finish(
    state: &AppState,
    scope: &OrgScope,
    view: PostView,
    form: &ComposeForm,
    at: Option<DateTime<Utc>>,
    saved: &str,
) -> WebResult<Response> {
    let (app, actor, org) = (&state.app, scope.actor(), scope.org_id());
    let id = view.post.id.clone();
    let detail = scope.path(&format!("/posts/{id}"));
    let result = match (form.action.as_str(), at) {
        ("schedule", Some(at)) => schedule::schedule(app, actor, org, &id, at).await.map(|_| {
            let local = at.with_timezone(&form::zone(&scope.shell.timezone));
            format!("Scheduled for {}.", local.format("%a %-d %b %Y, %H:%M"))
        }),
        ("publish_now", _) => schedule::publish_now(app, actor, org, &id).await.map(|_| "Publishing now.".to_string()),
        _ => return Ok(redirect_with_flash(state, &detail, saved)),
    };
    let error = match result {
        Ok(message) => return Ok(redirect_with_flash(state, &detail, &message)),
        Err(e) => e,
    };
    let (errors, general) = match error {
        AppError::Validation(e) => (form::page_errors(&e, &form.channels), None),
        AppError::Conflict(m) | AppError::Forbidden(m) => (Errors::default(), Some(crate::web::ui::capitalize(&m))),
        other => return Err(other.into()),
    };
    let note = "The post was saved, but not ".to_string()
        + if form.action == "schedule" { "scheduled." } else { "published." };
    let general = Some(match general {
        Some(m) => format!("{note} {m}"),
        None => note,
    });
    let current = posts::get(app, actor, org, &id).await.unwrap_or(view);
    rerender(state, scope, Some(&current), form, &errors, general).await
}

#[derive(Deserialize)]
pub struct EditQuery {
    media: Option<String>,
}

async fn editable(state: &AppState, scope: &OrgScope, post_id: &str) -> WebResult<Result<PostView, Response>> {
    scope.require(Permission::PostUpdate)?;
    let view = posts::get(&state.app, scope.actor(), scope.org_id(), post_id).await?;
    if matches!(view.post.status.as_str(), "draft" | "scheduled" | "failed" | "changes_requested") {
        return Ok(Ok(view));
    }
    let message = format!("A {} post cannot be edited; duplicate it instead.", view.post.status.replace('_', " "));
    Ok(Err(redirect_with_flash(state, &scope.path(&format!("/posts/{post_id}")), &message)))
}

pub async fn edit(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, post_id)): Path<(String, String)>,
    Query(q): Query<EditQuery>,
) -> WebResult<Response> {
    let view = match editable(&state, &scope, &post_id).await? {
        Ok(v) => v,
        Err(redirect) => return Ok(redirect),
    };
    let mut form = ComposeForm::from_view(&view, &scope.shell.timezone);
    if let Some(m) = q.media.filter(|m| !m.is_empty() && !form.media.contains(m)) {
        form.media.push(m);
    }
    Ok(render(&state, &scope, Some(&view), &form, &Errors::default(), None).await?.into_response())
}

pub async fn save(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, post_id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let view = match editable(&state, &scope, &post_id).await? {
        Ok(v) => v,
        Err(redirect) => return Ok(redirect),
    };
    let form = ComposeForm::from_pairs(pairs);
    let at = match when(&form, &scope) {
        Ok(at) => at,
        Err(errors) => return rerender(&state, &scope, Some(&view), &form, &errors, None).await,
    };
    let options: HashMap<String, serde_json::Value> =
        view.variants.iter().map(|v| (v.row.channel_id.clone(), v.row.options.0.clone())).collect();
    match posts::update(&state.app, scope.actor(), scope.org_id(), &post_id, form.input(&options)).await {
        Ok(updated) => finish(&state, &scope, updated, &form, at, "Changes saved.").await,
        Err(AppError::Validation(e)) => {
            let errors = form::page_errors(&e, &form.channels);
            rerender(&state, &scope, Some(&view), &form, &errors, None).await
        }
        Err(AppError::Conflict(m)) => {
            let general = Some(crate::web::ui::capitalize(&m));
            rerender(&state, &scope, Some(&view), &form, &Errors::default(), general).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct CountRequest {
    #[serde(default)]
    items: Vec<CountItem>,
}

#[derive(Deserialize)]
struct CountItem {
    channel_id: String,
    #[serde(default)]
    text: String,
}

fn header_token(parts: &Parts) -> Option<String> {
    parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_string)
}

fn bad_request(message: impl Into<String>) -> WebError {
    WebError::page(StatusCode::BAD_REQUEST, "This request could not be read", message)
}

/// `{items: [{channel_id, text}]}` → `{items: [{channel_id, platform, count, limit, ok,
/// method}]}`: each text measured the way its channel's platform counts, as the server checks.
pub async fn count(State(state): State<AppState>, scope: OrgScope, req: Request) -> WebResult<Response> {
    let (parts, body) = req.into_parts();
    check_csrf(&parts, &state, header_token(&parts).as_deref()).await?;
    let bytes = axum::body::to_bytes(body, state.app.config.json_body_limit).await.map_err(|_| {
        WebError::page(StatusCode::PAYLOAD_TOO_LARGE, "Too much text", "The text is too long to count.")
    })?;
    let r: CountRequest = serde_json::from_slice(&bytes).map_err(|e| bad_request(format!("Expected JSON: {e}.")))?;
    let (chans, _) =
        channels::list(&state.app, scope.actor(), scope.org_id(), &ChannelFilter::default(), &Page::first(LIST_MAX))
            .await?;
    let items: Vec<view::Count> = r
        .items
        .iter()
        .take(COUNT_ITEMS_MAX)
        .filter_map(|i| chans.iter().find(|c| c.id == i.channel_id).and_then(|c| view::count(c, &i.text)))
        .collect();
    Ok(Json(json!({ "items": items })).into_response())
}

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
    let mut mp = Multipart::from_request(req, state).await.map_err(|_| bad_request("Expected a file upload form."))?;
    let mut f = UploadForm { token: header_token(parts), file: None, alt_text: None, return_to: String::new() };
    let read_err = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            bad_request("The upload could not be read.")
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
    let wants_json =
        req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"));
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
