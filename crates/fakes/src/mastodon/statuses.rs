//! Statuses and media on the fake Mastodon: create (with `Idempotency-Key`), show, delete, an
//! account's statuses (newest first, `max_id`/`since_id`/`min_id` paging), media upload and
//! processing. Content is rendered to HTML the way Mastodon does, so clients must read it back
//! as Mastodon's clients do.

use super::{authed, error, next_id, params, unprocessable, MastodonState};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

const MAX_CHARS: usize = 500;

#[derive(Debug, Clone)]
pub struct FakeStatus {
    pub id: String,
    pub account_id: String,
    pub text: String,
    /// The HTML Mastodon renders from `text`.
    pub content: String,
    pub visibility: String,
    pub media_ids: Vec<String>,
    pub in_reply_to_id: Option<String>,
    /// The author of the status answered.
    pub in_reply_to_account_id: Option<String>,
    pub idempotency_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub favourites_count: u64,
    pub reblogs_count: u64,
    pub replies_count: u64,
}

struct Media {
    account_id: String,
    video: bool,
    description: Option<String>,
    polls_left: u32,
    attached: bool,
}

#[derive(Default)]
pub(super) struct Statuses {
    by_id: HashMap<u64, FakeStatus>,
    by_account: HashMap<String, BTreeSet<u64>>,
    idempotency: HashMap<(String, String), u64>,
    media: HashMap<String, Media>,
    top_level: usize,
}

impl Statuses {
    pub(super) fn all(&self) -> Vec<FakeStatus> {
        let mut ids: Vec<&u64> = self.by_id.keys().collect();
        ids.sort();
        ids.into_iter().filter_map(|id| self.by_id.get(id).cloned()).collect()
    }

    pub(super) fn top_level_count(&self) -> usize {
        self.top_level
    }

    pub(super) fn get(&self, id: &str) -> Option<FakeStatus> {
        id.parse().ok().and_then(|id: u64| self.by_id.get(&id).cloned())
    }

    pub(super) fn set_counts(&mut self, id: &str, favourites: u64, reblogs: u64, replies: u64) {
        if let Some(s) = id.parse().ok().and_then(|id: u64| self.by_id.get_mut(&id)) {
            (s.favourites_count, s.reblogs_count, s.replies_count) = (favourites, reblogs, replies);
        }
    }

    pub(super) fn media_description(&self, id: &str) -> Option<String> {
        self.media.get(id).and_then(|m| m.description.clone())
    }

    /// Keep a status: by id, in its account's listing, under its idempotency key.
    pub(super) fn insert(&mut self, status: FakeStatus) {
        let numeric: u64 = status.id.parse().unwrap_or_default();
        if status.in_reply_to_id.is_none() {
            self.top_level += 1;
        }
        self.by_account.entry(status.account_id.clone()).or_default().insert(numeric);
        if let Some(k) = &status.idempotency_key {
            self.idempotency.insert((status.account_id.clone(), k.clone()), numeric);
        }
        self.by_id.insert(numeric, status);
    }

    /// A status answering `parent`: the parent's author, with its reply count raised.
    pub(super) fn reply_to(&mut self, parent: &str) -> Option<String> {
        let parent = parent.parse().ok().and_then(|id: u64| self.by_id.get_mut(&id))?;
        parent.replies_count += 1;
        Some(parent.account_id.clone())
    }
}

pub(super) fn base_url(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("mastodon.example");
    format!("http://{host}")
}

pub(super) fn status_json(s: &FakeStatus, base: &str, usernames: &HashMap<String, String>, with_text: bool) -> Value {
    let username = usernames.get(&s.account_id).cloned().unwrap_or_default();
    let media: Vec<Value> = s
        .media_ids
        .iter()
        .map(|id| json!({ "id": id, "type": "image", "url": format!("{base}/system/media/{id}.png"), "description": null }))
        .collect();
    let mut v = json!({
        "id": s.id,
        "created_at": s.created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "in_reply_to_id": s.in_reply_to_id,
        "in_reply_to_account_id": s.in_reply_to_account_id,
        "sensitive": false, "spoiler_text": "",
        "visibility": s.visibility,
        "uri": format!("{base}/users/{username}/statuses/{}", s.id),
        "url": format!("{base}/@{username}/{}", s.id),
        "replies_count": s.replies_count, "reblogs_count": s.reblogs_count, "favourites_count": s.favourites_count,
        "content": s.content, "reblog": null,
        "account": super::account_json(&s.account_id, &username),
        "media_attachments": media, "mentions": [], "tags": [], "emojis": [],
    });
    if with_text {
        v["text"] = json!(s.text);
    }
    v
}

pub(super) async fn create(
    State(state): State<MastodonState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let mut guard = state.lock();
    let s = &mut *guard;
    let account_id = match authed(s, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let p = match params(&headers, &body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string);
    let base = base_url(&headers);
    if let Some(existing) = key.as_ref().and_then(|k| s.statuses.idempotency.get(&(account_id.clone(), k.clone()))) {
        if let Some(status) = s.statuses.by_id.get(existing) {
            return Json(status_json(status, &base, &s.accounts, false)).into_response();
        }
    }
    let text = p.get("status").and_then(Value::as_str).unwrap_or("").to_string();
    let media_ids: Vec<String> = match p.get("media_ids") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string).or_else(|| v.as_u64().map(|n| n.to_string())))
            .collect(),
        _ => vec![],
    };
    let visibility = p.get("visibility").and_then(Value::as_str).unwrap_or("public").to_string();
    if text.trim().is_empty() && media_ids.is_empty() {
        return unprocessable("Validation failed: Text can't be blank");
    }
    if text.chars().count() > MAX_CHARS {
        return unprocessable(&format!("Validation failed: Text character limit of {MAX_CHARS} exceeded"));
    }
    if !["public", "unlisted", "private", "direct"].contains(&visibility.as_str()) {
        return unprocessable("Validation failed: Visibility is not included in the list");
    }
    if media_ids.len() > 4 {
        return unprocessable("Cannot attach more than 4 files");
    }
    let mut videos = 0;
    for id in &media_ids {
        match s.statuses.media.get(id) {
            Some(m) if m.account_id == account_id && !m.attached => {
                if m.polls_left > 0 {
                    return unprocessable(
                        "Cannot attach files that have not finished processing. Try again in a moment!",
                    );
                }
                videos += usize::from(m.video);
            }
            _ => return unprocessable(&format!("{id} not found or already attached to another post")),
        }
    }
    if videos > 0 && media_ids.len() > 1 {
        return unprocessable("Cannot attach a video to a post that already contains images");
    }
    let in_reply_to_id = p.get("in_reply_to_id").and_then(Value::as_str).map(str::to_string);
    let mut in_reply_to_account_id = None;
    if let Some(parent) = &in_reply_to_id {
        match s.statuses.reply_to(parent) {
            Some(author) => in_reply_to_account_id = Some(author),
            None => return error(StatusCode::NOT_FOUND, "Record not found"),
        }
    }
    for id in &media_ids {
        if let Some(m) = s.statuses.media.get_mut(id) {
            m.attached = true;
        }
    }
    let id = next_id(s);
    let status = FakeStatus {
        id,
        account_id,
        content: render(&text, &base),
        text,
        visibility,
        media_ids,
        in_reply_to_id,
        in_reply_to_account_id,
        idempotency_key: key,
        created_at: Utc::now(),
        favourites_count: 0,
        reblogs_count: 0,
        replies_count: 0,
    };
    let answer = status_json(&status, &base, &s.accounts, false);
    s.statuses.insert(status);
    Json(answer).into_response()
}

fn find(s: &super::Inner, id: &str) -> Result<u64, Response> {
    id.parse()
        .ok()
        .filter(|id| s.statuses.by_id.contains_key(id))
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "Record not found"))
}

pub(super) async fn show(State(state): State<MastodonState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let s = state.lock();
    if headers.contains_key(header::AUTHORIZATION) {
        if let Err(r) = authed(&s, &headers) {
            return r;
        }
    }
    match find(&s, &id) {
        Ok(n) => Json(status_json(&s.statuses.by_id[&n], &base_url(&headers), &s.accounts, false)).into_response(),
        Err(r) => r,
    }
}

pub(super) async fn delete(State(state): State<MastodonState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let mut guard = state.lock();
    let s = &mut *guard;
    let account_id = match authed(s, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let n = match find(s, &id) {
        Ok(n) if s.statuses.by_id[&n].account_id == account_id => n,
        // Another account's status is "not found" to this one.
        _ => return error(StatusCode::NOT_FOUND, "Record not found"),
    };
    let Some(status) = s.statuses.by_id.remove(&n) else { return error(StatusCode::NOT_FOUND, "Record not found") };
    if let Some(set) = s.statuses.by_account.get_mut(&account_id) {
        set.remove(&n);
    }
    if status.in_reply_to_id.is_none() {
        s.statuses.top_level -= 1;
    }
    Json(status_json(&status, &base_url(&headers), &s.accounts, true)).into_response()
}

pub(super) async fn account_statuses(
    State(state): State<MastodonState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let s = state.lock();
    if headers.contains_key(header::AUTHORIZATION) {
        if let Err(r) = authed(&s, &headers) {
            return r;
        }
    }
    if !s.accounts.contains_key(&id) {
        return error(StatusCode::NOT_FOUND, "Record not found");
    }
    let limit = q.get("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(20).clamp(1, 40);
    let bound = |k: &str| q.get(k).and_then(|v| v.parse::<u64>().ok());
    let (max_id, since_id, min_id) = (bound("max_id"), bound("since_id"), bound("min_id"));
    let exclude_replies = q.get("exclude_replies").is_some_and(|v| v == "true");
    let empty = BTreeSet::new();
    let ids = s.statuses.by_account.get(&id).unwrap_or(&empty);
    let low = min_id.or(since_id).map_or(0, |v| v.saturating_add(1));
    let high = max_id.unwrap_or(u64::MAX);
    let keep = |n: &&u64| !exclude_replies || s.statuses.by_id.get(*n).is_some_and(|st| st.in_reply_to_id.is_none());
    let range = ids.range(low..high);
    // min_id pages forward from the given id; the others page back from the newest.
    let mut picked: Vec<u64> = if min_id.is_some() {
        range.filter(keep).take(limit).copied().collect()
    } else {
        range.rev().filter(keep).take(limit).copied().collect()
    };
    picked.sort_unstable_by(|a, b| b.cmp(a));
    let base = base_url(&headers);
    let page: Vec<Value> = picked
        .iter()
        .filter_map(|n| s.statuses.by_id.get(n))
        .map(|st| status_json(st, &base, &s.accounts, false))
        .collect();
    Json(page).into_response()
}

pub(super) async fn upload_media(
    State(state): State<MastodonState>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let account_id = match authed(&state.lock(), &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(mut multipart) = multipart else { return unprocessable("Validation failed: File can't be blank") };
    let (mut file, mut description) = (None, None);
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("file") => {
                let mime = field.content_type().unwrap_or("application/octet-stream").to_string();
                let Ok(bytes) = field.bytes().await else {
                    return error(StatusCode::BAD_REQUEST, "Upload interrupted");
                };
                file = Some((mime, bytes.len()));
            }
            Some("description") => description = field.text().await.ok().filter(|d| !d.is_empty()),
            _ => {}
        }
    }
    let Some((mime, size)) = file.filter(|(_, size)| *size > 0) else {
        return unprocessable("Validation failed: File can't be blank");
    };
    let video = mime.starts_with("video/");
    if !video && !mime.starts_with("image/") {
        return unprocessable("Validation failed: File content type is invalid, File file type is invalid");
    }
    if description.as_ref().is_some_and(|d| d.chars().count() > 1500) {
        return unprocessable("Validation failed: Description is too long (maximum is 1500 characters)");
    }
    let mut s = state.lock();
    let id = next_id(&mut s);
    let polls_left = if video { s.video_polls } else { 0 };
    let media = Media { account_id, video, description: description.clone(), polls_left, attached: false };
    s.statuses.media.insert(id.clone(), media);
    let kind = if video { "video" } else { "image" };
    let url = (polls_left == 0).then(|| format!("{}/system/media/{id}", base_url(&headers)));
    let status = if url.is_some() { StatusCode::OK } else { StatusCode::ACCEPTED };
    let body = json!({ "id": id, "type": kind, "url": url, "preview_url": null, "description": description, "meta": { "size": size } });
    (status, Json(body)).into_response()
}

pub(super) async fn show_media(
    State(state): State<MastodonState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut guard = state.lock();
    let s = &mut *guard;
    let account_id = match authed(s, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(m) = s.statuses.media.get_mut(&id).filter(|m| m.account_id == account_id) else {
        return error(StatusCode::NOT_FOUND, "Record not found");
    };
    let kind = if m.video { "video" } else { "image" };
    if m.polls_left > 0 {
        m.polls_left -= 1;
        let body = json!({ "id": id, "type": kind, "url": null, "description": m.description });
        return (StatusCode::PARTIAL_CONTENT, Json(body)).into_response();
    }
    let url = format!("{}/system/media/{id}", base_url(&headers));
    Json(json!({ "id": id, "type": kind, "url": url, "description": m.description })).into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// One word of the text as Mastodon renders it: links split into visible and invisible parts,
/// mentions as `@<span>user</span>`, hashtags as links.
fn render_word(word: &str, base: &str) -> String {
    if let Some((scheme, rest)) =
        word.split_once("://").filter(|(s, r)| (*s == "http" || *s == "https") && !r.is_empty())
    {
        let (shown, hidden) = rest.split_at(rest.char_indices().nth(30).map_or(rest.len(), |(i, _)| i));
        let ellipsis = if hidden.is_empty() { "" } else { "ellipsis" };
        return format!(
            "<a href=\"{}\" rel=\"nofollow noopener\" translate=\"no\" target=\"_blank\"><span class=\"invisible\">{scheme}://</span><span class=\"{ellipsis}\">{}</span><span class=\"invisible\">{}</span></a>",
            escape(word), escape(shown), escape(hidden)
        );
    }
    if let Some(handle) = word.strip_prefix('@').filter(|h| !h.is_empty()) {
        let user = handle.split('@').next().unwrap_or(handle);
        return format!("<span class=\"h-card\" translate=\"no\"><a href=\"{base}/@{}\" class=\"u-url mention\">@<span>{}</span></a></span>", escape(handle), escape(user));
    }
    if let Some(tag) = word.strip_prefix('#').filter(|t| !t.is_empty() && t.chars().all(char::is_alphanumeric)) {
        return format!(
            "<a href=\"{base}/tags/{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
            escape(tag),
            escape(tag)
        );
    }
    escape(word)
}

/// Paragraphs for blank lines, `<br />` for line breaks.
pub(super) fn render(text: &str, base: &str) -> String {
    text.trim()
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|paragraph| {
            let lines: Vec<String> = paragraph
                .trim()
                .lines()
                .map(|line| line.split(' ').map(|w| render_word(w, base)).collect::<Vec<_>>().join(" "))
                .collect();
            format!("<p>{}</p>", lines.join("<br />"))
        })
        .collect()
}
