//! Posts, images and social actions on the fake LinkedIn (videos are in videos.rs).

use super::errors::{forbidden, not_found, rest_error, unprocessable};
use super::{bearer_member, rest_member, LinkedinState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

const MAX_COMMENTARY: usize = 3000;

#[derive(Debug, Clone)]
pub struct FakePost {
    pub urn: String,
    pub author: String,
    pub commentary: String,
    pub image_ids: Vec<String>,
    /// The video in `content.media.id`, if the post has one.
    pub video_id: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The body as created (everything LinkedIn was sent).
    pub body: Value,
}

#[derive(Debug, Clone)]
pub struct FakeComment {
    pub urn: String,
    pub actor: String,
    pub text: String,
}

#[derive(Debug)]
struct Image {
    owner: String,
    uploaded: bool,
}

/// Posts by URN, each author's posts ordered by (time, sequence), and the commentaries each
/// author posted (LinkedIn refuses duplicates).
#[derive(Default)]
pub(super) struct Posts {
    by_urn: HashMap<String, FakePost>,
    by_author: HashMap<String, BTreeSet<(i64, u64)>>,
    texts: HashMap<(String, String), String>,
    images: HashMap<String, Image>,
    uploads: HashMap<String, String>,
    comments: HashMap<String, Vec<FakeComment>>,
    likes: HashMap<String, u64>,
    next: u64,
}

impl Posts {
    pub(super) fn all(&self) -> Vec<FakePost> {
        let mut all: Vec<FakePost> = self.by_urn.values().cloned().collect();
        all.sort_by_key(|p| seq_of(&p.urn));
        all
    }

    pub(super) fn count(&self) -> usize {
        self.by_urn.len()
    }

    pub(super) fn comments_on(&self, urn: &str) -> Vec<FakeComment> {
        self.comments.get(urn).cloned().unwrap_or_default()
    }

    pub(super) fn set_likes(&mut self, urn: &str, likes: u64) {
        self.likes.insert(urn.to_string(), likes);
    }

    fn next_seq(&mut self) -> u64 {
        self.next += 1;
        7_100_000_000_000_000_000 + self.next
    }
}

fn seq_of(urn: &str) -> u64 {
    urn.rsplit(':').next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn share_urn(seq: u64) -> String {
    format!("urn:li:share:{seq}")
}

/// A post as the Posts API returns it.
fn shown(p: &FakePost) -> Value {
    let mut v = p.body.clone();
    let ms = p.created_at.timestamp_millis();
    v["id"] = json!(p.urn);
    v["createdAt"] = json!(ms);
    v["publishedAt"] = json!(ms);
    v["lastModifiedAt"] = json!(ms);
    v["lifecycleStateInfo"] = json!({ "isEditedByAuthor": false });
    v
}

/// `POST /rest/images?action=initializeUpload`
pub(super) async fn initialize_upload(
    State(state): State<LinkedinState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let member = match rest_member(&state, &headers) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if q.get("action").map(String::as_str) != Some("initializeUpload") {
        return rest_error(StatusCode::BAD_REQUEST, "ILLEGAL_ARGUMENT", "Unknown action");
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return rest_error(
            StatusCode::BAD_REQUEST,
            "ILLEGAL_ARGUMENT",
            "Request body could not be converted to data map",
        );
    };
    let Some(owner) = v.pointer("/initializeUploadRequest/owner").and_then(Value::as_str) else {
        return unprocessable(&[
            "/initializeUploadRequest/owner :: field is required but not found and has no default value".into(),
        ]);
    };
    if owner != member {
        return forbidden("POST /rest/images (owner is not the authenticated member)");
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1").to_string();
    let mut s = state.lock();
    let seq = s.posts.next_seq();
    let image = format!("urn:li:image:D4E10AQ{seq}");
    let token = super::random_token();
    s.posts.images.insert(image.clone(), Image { owner: member, uploaded: false });
    s.posts.uploads.insert(token.clone(), image.clone());
    Json(json!({ "value": {
        "uploadUrlExpiresAt": Utc::now().timestamp_millis() + 3_600_000,
        "uploadUrl": format!("http://{host}/dms-uploads/{token}"),
        "image": image,
    }}))
    .into_response()
}

/// `PUT {uploadUrl}` with the image bytes.
pub(super) async fn upload(
    State(state): State<LinkedinState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let sub = match bearer_member(&state, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut s = state.lock();
    let Some(image) = s.posts.uploads.get(&token).cloned() else { return not_found("upload") };
    match s.posts.images.get_mut(&image) {
        Some(img) if img.owner == format!("urn:li:person:{sub}") && !body.is_empty() => {
            img.uploaded = true;
            StatusCode::CREATED.into_response()
        }
        Some(_) => forbidden("the upload URL"),
        None => not_found(&image),
    }
}

/// The image URNs a post's `content` attaches, or the 422 LinkedIn would send.
fn attached_images(s: &Posts, author: &str, content: Option<&Value>) -> Result<Vec<String>, Response> {
    let Some(content) = content else { return Ok(vec![]) };
    let (path, ids): (&str, Vec<String>) = if let Some(media) = content.get("media") {
        ("/content/media/id", media.get("id").and_then(Value::as_str).map(str::to_string).into_iter().collect())
    } else if let Some(multi) = content.get("multiImage") {
        let ids: Vec<String> = multi
            .get("images")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|i| i.get("id").and_then(Value::as_str).map(str::to_string)).collect())
            .unwrap_or_default();
        if !(2..=20).contains(&ids.len()) {
            return Err(unprocessable(&[
                "/content/multiImage/images :: a multi-image post takes 2 to 20 images".into()
            ]));
        }
        ("/content/multiImage/images", ids)
    } else {
        return Err(unprocessable(&["/content :: unrecognized content type".into()]));
    };
    if ids.is_empty() {
        return Err(unprocessable(&[format!("{path} :: field is required but not found and has no default value")]));
    }
    for id in &ids {
        match s.images.get(id) {
            Some(img) if img.owner == author && img.uploaded => {}
            _ => return Err(unprocessable(&[format!("{path} :: {id} is not an uploaded image of the author")])),
        }
    }
    Ok(ids)
}

/// `POST /rest/posts`: 201 with the post URN in `x-restli-id`.
pub(super) async fn create(State(state): State<LinkedinState>, headers: HeaderMap, body: Bytes) -> Response {
    let member = match rest_member(&state, &headers) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let Ok(body) = serde_json::from_slice::<Value>(&body).map(|v| if v.is_object() { v } else { Value::Null }) else {
        return rest_error(
            StatusCode::BAD_REQUEST,
            "ILLEGAL_ARGUMENT",
            "Request body could not be converted to data map",
        );
    };
    let missing: Vec<String> = ["author", "commentary", "visibility", "distribution", "lifecycleState"]
        .iter()
        .filter(|f| body.get(**f).is_none())
        .map(|f| format!("/{f} :: field is required but not found and has no default value"))
        .collect();
    if !missing.is_empty() {
        return unprocessable(&missing);
    }
    let author = body["author"].as_str().unwrap_or_default().to_string();
    if author != member {
        return forbidden("POST /rest/posts (author is not the authenticated member)");
    }
    let commentary = body["commentary"].as_str().unwrap_or_default().to_string();
    if commentary.chars().count() > MAX_COMMENTARY {
        return unprocessable(&[format!("/commentary :: length of commentary exceeds {MAX_COMMENTARY} characters")]);
    }
    if body.pointer("/distribution/feedDistribution").and_then(Value::as_str).is_none() {
        return unprocessable(&[
            "/distribution/feedDistribution :: field is required but not found and has no default value".into(),
        ]);
    }
    let mut s = state.lock();
    let video_id = match super::videos::attached_video(&s.videos, &author, body.get("content")) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let images = if video_id.is_some() { Ok(vec![]) } else { attached_images(&s.posts, &author, body.get("content")) };
    let image_ids = match images {
        Ok(ids) => ids,
        Err(r) => return r,
    };
    let text_key = (author.clone(), commentary.clone());
    if s.reject_duplicates && !commentary.is_empty() {
        if let Some(existing) = s.posts.texts.get(&text_key) {
            let message = format!("Content is a duplicate of {existing}");
            return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "message": message, "status": 422 })))
                .into_response();
        }
    }
    let seq = s.posts.next_seq();
    let urn = share_urn(seq);
    let created_at = Utc::now();
    let post = FakePost { urn: urn.clone(), author: author.clone(), commentary, image_ids, video_id, created_at, body };
    s.posts.by_author.entry(author).or_default().insert((created_at.timestamp_millis(), seq));
    s.posts.texts.insert(text_key, urn.clone());
    s.posts.by_urn.insert(urn.clone(), post);
    (StatusCode::CREATED, [("x-restli-id", urn)]).into_response()
}

/// `GET /rest/posts?q=author&author=…&count=…&start=…`: newest first.
pub(super) async fn find_by_author(
    State(state): State<LinkedinState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = rest_member(&state, &headers) {
        return r;
    }
    if q.get("q").map(String::as_str) != Some("author") {
        return rest_error(StatusCode::BAD_REQUEST, "ILLEGAL_ARGUMENT", "Unsupported finder: q must be author");
    }
    let Some(author) = q.get("author") else {
        return rest_error(StatusCode::BAD_REQUEST, "ILLEGAL_ARGUMENT", "The author parameter is required");
    };
    let count = match q.get("count").map(|c| c.parse::<usize>()) {
        None => 10,
        Some(Ok(c)) if (1..=100).contains(&c) => c,
        Some(_) => return rest_error(StatusCode::BAD_REQUEST, "ILLEGAL_ARGUMENT", "count must be between 1 and 100"),
    };
    let start = q.get("start").and_then(|s| s.parse::<usize>().ok()).unwrap_or(0);
    let s = state.lock();
    if !s.member_post_reads {
        return forbidden("partnerApiPostsExternal.FINDER-author");
    }
    let (elements, total) = match s.posts.by_author.get(author) {
        Some(keys) => {
            let page: Vec<Value> = keys
                .iter()
                .rev()
                .skip(start)
                .take(count)
                .filter_map(|(_, seq)| s.posts.by_urn.get(&share_urn(*seq)))
                .map(shown)
                .collect();
            (page, keys.len())
        }
        None => (vec![], 0),
    };
    Json(json!({ "elements": elements, "paging": { "start": start, "count": count, "links": [], "total": total } }))
        .into_response()
}

pub(super) async fn get_post(
    State(state): State<LinkedinState>,
    headers: HeaderMap,
    Path(urn): Path<String>,
) -> Response {
    if let Err(r) = rest_member(&state, &headers) {
        return r;
    }
    let s = state.lock();
    match s.posts.by_urn.get(&urn) {
        Some(p) => Json(shown(p)).into_response(),
        None => not_found(&urn),
    }
}

/// `DELETE /rest/posts/{urn}`: 204.
pub(super) async fn delete(
    State(state): State<LinkedinState>,
    headers: HeaderMap,
    Path(urn): Path<String>,
) -> Response {
    let member = match rest_member(&state, &headers) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut s = state.lock();
    let Some(post) = s.posts.by_urn.get(&urn) else { return not_found(&urn) };
    if post.author != member {
        return forbidden("DELETE /rest/posts (not the author)");
    }
    if let Some(post) = s.posts.by_urn.remove(&urn) {
        if let Some(keys) = s.posts.by_author.get_mut(&post.author) {
            keys.remove(&(post.created_at.timestamp_millis(), seq_of(&urn)));
        }
        s.posts.texts.remove(&(post.author, post.commentary));
    }
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /rest/socialActions/{urn}/comments` with `{actor, object, message: {text}}`.
pub(super) async fn comment(
    State(state): State<LinkedinState>,
    headers: HeaderMap,
    Path(urn): Path<String>,
    body: Bytes,
) -> Response {
    let member = match rest_member(&state, &headers) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return rest_error(
            StatusCode::BAD_REQUEST,
            "ILLEGAL_ARGUMENT",
            "Request body could not be converted to data map",
        );
    };
    let text = v.pointer("/message/text").and_then(Value::as_str).unwrap_or_default().to_string();
    if v.get("actor").and_then(Value::as_str) != Some(member.as_str()) {
        return forbidden("POST /rest/socialActions/comments (actor is not the authenticated member)");
    }
    if text.is_empty() {
        return unprocessable(&["/message/text :: field is required but not found and has no default value".into()]);
    }
    if v.get("object").and_then(Value::as_str).is_some_and(|o| o != urn) {
        return unprocessable(&["/object :: does not match the post in the path".into()]);
    }
    let mut s = state.lock();
    if !s.posts.by_urn.contains_key(&urn) {
        return not_found(&urn);
    }
    let seq = s.posts.next_seq();
    let comment_urn = format!("urn:li:comment:({urn},{seq})");
    let comment = FakeComment { urn: comment_urn.clone(), actor: member.clone(), text: text.clone() };
    s.posts.comments.entry(urn.clone()).or_default().push(comment);
    let body = json!({ "id": seq.to_string(), "commentUrn": comment_urn, "actor": member, "object": urn, "message": { "text": text } });
    (StatusCode::CREATED, [("x-restli-id", comment_urn)], Json(body)).into_response()
}

/// `GET /rest/socialActions/{urn}`: likes and comments summaries.
pub(super) async fn social_actions(
    State(state): State<LinkedinState>,
    headers: HeaderMap,
    Path(urn): Path<String>,
) -> Response {
    if let Err(r) = rest_member(&state, &headers) {
        return r;
    }
    let s = state.lock();
    if !s.member_post_reads {
        return forbidden("partnerApiSocialActions.GET");
    }
    if !s.posts.by_urn.contains_key(&urn) {
        return not_found(&urn);
    }
    let likes = s.posts.likes.get(&urn).copied().unwrap_or(0);
    let comments = s.posts.comments.get(&urn).map_or(0, Vec::len);
    Json(json!({
        "target": urn,
        "likesSummary": { "totalLikes": likes, "aggregatedTotalLikes": likes, "likedByCurrentUser": false },
        "commentsSummary": { "totalFirstLevelComments": comments, "aggregatedTotalComments": comments },
    }))
    .into_response()
}
