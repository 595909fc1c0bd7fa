//! Graph API paths used by the Facebook Pages adapter (and the node reads Instagram shares).
//! Shapes: https://developers.facebook.com/docs/pages-api/posts,
//! https://developers.facebook.com/docs/graph-api/reference/page/photos,
//! https://developers.facebook.com/docs/graph-api/reference/page/videos.

use super::instagram;
use super::params::{authenticate, error, graph_time, no_such_object, ok, page_of, Params};
use super::state::{FakePost, Network, Subject, World};
use super::MetaState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{json, Value};

pub(crate) async fn node(
    State(state): State<MetaState>,
    Path(node): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = Params::parse(&uri, &headers, &body);
    let mut w = state.world();
    let subject = match authenticate(&w, p.token.as_deref(), false) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let id = resolve(&w, &node, &subject);
    match method {
        Method::GET => read_node(&mut w, &id, &subject),
        Method::DELETE => delete_node(&mut w, &id, &subject),
        _ => no_such_object(&id),
    }
}

pub(crate) async fn edge(
    State(state): State<MetaState>,
    Path((node, edge)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = Params::parse(&uri, &headers, &body);
    let mut w = state.world();
    let subject = match authenticate(&w, p.token.as_deref(), false) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let id = resolve(&w, &node, &subject);
    let w = &mut *w;
    match (method, edge.as_str()) {
        (Method::GET, "accounts") if subject == Subject::User && id == w.user_id => accounts(w, &p),
        (Method::GET, "feed") => page_listing(w, &id, &subject, &p, &uri, false),
        (Method::GET, "videos") => page_listing(w, &id, &subject, &p, &uri, true),
        (Method::POST, "feed") => post_feed(w, &id, &subject, &p),
        (Method::POST, "photos") => post_photo(w, &id, &subject, &p),
        (Method::POST, "videos") => post_video(w, &id, &subject, &p),
        (Method::POST, "comments") => comment(w, &id, &subject, &p),
        (Method::GET, "media") => instagram::list_media(w, &id, &subject, &p, &uri),
        (Method::POST, "media") => instagram::create_container(w, &id, &subject, &p),
        (Method::POST, "media_publish") => instagram::publish(w, &id, &subject, &p),
        (Method::GET, "content_publishing_limit") => instagram::publishing_limit(w, &id, &subject),
        _ => error(400, 100, None, &format!("(#100) Tried accessing nonexisting field ({edge})")),
    }
}

/// `me` is the token's own node.
fn resolve(w: &World, node: &str, subject: &Subject) -> String {
    match (node, subject) {
        ("me", Subject::Page(page)) => page.clone(),
        ("me", _) => w.user_id.clone(),
        _ => node.to_string(),
    }
}

/// Whether the token may act on the Page: its own Page token, or the managing user's token.
fn can_read_page(subject: &Subject, page: &str) -> bool {
    match subject {
        Subject::Page(p) => p == page,
        Subject::User => true,
        Subject::ThreadsUser => false,
    }
}

fn page_json(w: &World, id: &str) -> Option<Value> {
    let page = w.page(id)?;
    Some(json!({
        "id": page.id, "name": page.name, "link": format!("https://www.facebook.com/{}", page.id),
        "picture": {"data": {"url": format!("https://fake.fbcdn.example/{}.jpg", page.id), "is_silhouette": false}},
    }))
}

pub(crate) fn fb_post_json(post: &FakePost) -> Value {
    let mut v = json!({
        "id": post.id, "created_time": graph_time(post.created_at),
        "permalink_url": format!("https://www.facebook.com/{}", post.id),
        "reactions": {"data": [], "summary": {"total_count": post.likes, "viewer_reaction": "NONE"}},
        "comments": {"data": [], "summary": {"order": "ranked", "total_count": post.comments.len(), "can_comment": true}},
    });
    let text_field = if post.kind == "VIDEO" { "description" } else { "message" };
    if !post.text.is_empty() {
        v[text_field] = json!(post.text);
    }
    // The Graph API leaves `shares` out when there are none.
    if post.shares > 0 {
        v["shares"] = json!({"count": post.shares});
    }
    v
}

fn read_node(w: &mut World, id: &str, subject: &Subject) -> Response {
    if *subject == Subject::User && id == w.user_id {
        return ok(json!({"id": w.user_id, "name": w.user_name}));
    }
    if can_read_page(subject, id) {
        if let Some(page) = page_json(w, id) {
            return ok(page);
        }
    }
    if *subject == Subject::User {
        if let Some(v) = instagram::read_node(w, id) {
            return ok(v);
        }
    }
    match w.posts.get(id) {
        Some(post) if post.network == Network::Facebook && can_read_page(subject, &post.owner_id) => {
            ok(fb_post_json(post))
        }
        Some(post) if post.network == Network::Instagram && *subject == Subject::User => {
            ok(instagram::media_json(post))
        }
        _ => no_such_object(id),
    }
}

fn delete_node(w: &mut World, id: &str, subject: &Subject) -> Response {
    let deletable = w.posts.get(id).is_some_and(|p| {
        p.network == Network::Facebook && matches!(subject, Subject::Page(page) if *page == p.owner_id)
    });
    if !deletable {
        return no_such_object(id);
    }
    w.posts.remove(id);
    ok(json!({"success": true}))
}

/// `GET /me/accounts`: the user's Pages with their tokens and, when asked, linked Instagram accounts.
fn accounts(w: &World, p: &Params) -> Response {
    let fields = p.fields();
    let data: Vec<Value> = w
        .pages
        .iter()
        .map(|page| {
            let mut v = json!({
                "id": page.id, "name": page.name, "access_token": page.access_token,
                "category": "Shopping & retail", "tasks": ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"],
            });
            if fields.contains("picture") {
                v["picture"] = json!({"data": {"url": format!("https://fake.fbcdn.example/{}.jpg", page.id)}});
            }
            if let (true, Some(ig)) = (fields.contains("instagram_business_account"), page.instagram.as_ref()) {
                v["instagram_business_account"] = json!({
                    "id": ig.id, "username": ig.username,
                    "profile_picture_url": format!("https://fake.cdninstagram.example/{}.jpg", ig.id),
                });
            }
            v
        })
        .collect();
    ok(json!({"data": data, "paging": {"cursors": {"before": "QVFIUb", "after": "QVFIUa"}}}))
}

fn page_listing(w: &World, page: &str, subject: &Subject, p: &Params, uri: &Uri, videos: bool) -> Response {
    if w.page(page).is_none() || !can_read_page(subject, page) {
        return no_such_object(page);
    }
    let (items, next) = w.listing(page, p.since(), p.cursor(), p.limit(), |post| !videos || post.kind == "VIDEO");
    let data = items
        .into_iter()
        .map(|post| {
            let mut v = json!({"id": post.id, "created_time": graph_time(post.created_at)});
            let field = if videos { "description" } else { "message" };
            if !post.text.is_empty() {
                v[field] = json!(post.text);
            }
            v
        })
        .collect();
    ok(page_of(data, next, uri))
}

/// Publishing needs the Page's own token.
fn require_page_token(w: &World, page: &str, subject: &Subject) -> Result<(), Response> {
    if w.page(page).is_none() {
        return Err(no_such_object(page));
    }
    if *subject != Subject::Page(page.to_string()) {
        return Err(error(
            403,
            200,
            None,
            "(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts as an admin with sufficient administrative permission",
        ));
    }
    Ok(())
}

fn post_feed(w: &mut World, page: &str, subject: &Subject, p: &Params) -> Response {
    if let Err(r) = require_page_token(w, page, subject) {
        return r;
    }
    let mut photo_ids = Vec::new();
    let mut keys: Vec<&String> = p.map.keys().filter(|k| k.starts_with("attached_media")).collect();
    keys.sort();
    for key in keys {
        let Ok(v) = serde_json::from_str::<Value>(&p.map[key]) else {
            return error(400, 100, None, &format!("(#100) param {key} must be a JSON object"));
        };
        let entries = if let Value::Array(a) = v { a } else { vec![v] };
        for entry in entries {
            let Some(fbid) = entry.get("media_fbid").and_then(Value::as_str) else {
                return error(400, 100, None, &format!("(#100) param {key} must include media_fbid"));
            };
            match w.unpublished_photos.get(fbid) {
                Some((owner, _)) if owner == page => photo_ids.push(fbid.to_string()),
                _ => {
                    return error(
                        400,
                        100,
                        None,
                        &format!("(#100) media_fbid {fbid} is not an unpublished photo of this Page"),
                    )
                }
            }
        }
    }
    let message = p.get("message").unwrap_or("").to_string();
    if message.is_empty() && p.get("link").is_none() && photo_ids.is_empty() {
        return error(400, 100, None, "(#100) Missing message or attachment");
    }
    let urls: Vec<String> =
        photo_ids.iter().filter_map(|id| w.unpublished_photos.remove(id)).map(|(_, url)| url).collect();
    let kind = if urls.is_empty() { "TEXT" } else { "ALBUM" };
    let id = format!("{page}_{}", w.next_id());
    let id = w.add_post(id, Network::Facebook, page, message, kind, urls, None);
    ok(json!({"id": id}))
}

fn post_photo(w: &mut World, page: &str, subject: &Subject, p: &Params) -> Response {
    if let Err(r) = require_page_token(w, page, subject) {
        return r;
    }
    let Some(url) = p.get("url").map(str::to_string) else {
        return error(400, 324, None, "(#324) Requires upload file");
    };
    let photo_id = w.next_id();
    if p.get("published") == Some("false") {
        w.unpublished_photos.insert(photo_id.clone(), (page.to_string(), url));
        return ok(json!({"id": photo_id}));
    }
    let caption = p.get("caption").or_else(|| p.get("message")).unwrap_or("").to_string();
    let post_id = format!("{page}_{}", w.next_id());
    let post_id = w.add_post(post_id, Network::Facebook, page, caption, "PHOTO", vec![url], None);
    ok(json!({"id": photo_id, "post_id": post_id}))
}

fn post_video(w: &mut World, page: &str, subject: &Subject, p: &Params) -> Response {
    if let Err(r) = require_page_token(w, page, subject) {
        return r;
    }
    let url = match p.require("file_url") {
        Ok(u) => u.to_string(),
        Err(r) => return r,
    };
    let description = p.get("description").unwrap_or("").to_string();
    let id = w.next_id();
    let id = w.add_post(id, Network::Facebook, page, description, "VIDEO", vec![url], None);
    ok(json!({"id": id}))
}

fn comment(w: &mut World, target: &str, subject: &Subject, p: &Params) -> Response {
    let message = match p.require("message") {
        Ok(m) => m.to_string(),
        Err(r) => return r,
    };
    let allowed = match w.posts.get(target) {
        Some(post) if post.network == Network::Facebook => *subject == Subject::Page(post.owner_id.clone()),
        Some(post) if post.network == Network::Instagram => *subject == Subject::User,
        _ => false,
    };
    if !allowed {
        return no_such_object(target);
    }
    let n = w.next_id();
    let Some(post) = w.posts.get_mut(target) else { return no_such_object(target) };
    post.comments.push(message);
    let id = if post.network == Network::Facebook { format!("{target}_{n}") } else { n };
    ok(json!({"id": id}))
}
