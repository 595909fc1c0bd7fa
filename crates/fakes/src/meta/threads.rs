//! Threads API paths (graph.threads.net/v1.0): https://developers.facebook.com/docs/threads/posts,
//! .../threads/troubleshooting (container status), .../threads/posts/delete-posts,
//! .../threads/insights, .../threads/reply-management.

use super::params::{authenticate, error, graph_time, no_such_object, ok, page_of, user_error, Params};
use super::state::{Container, FakePost, Network, Status, World};
use super::MetaState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{json, Value};

const MAX_TEXT_CHARS: usize = 500;
const MAX_CAROUSEL_ITEMS: usize = 20;

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
    if let Err(r) = authenticate(&w, p.token.as_deref(), true) {
        return r;
    }
    let id = if node == "me" { w.threads_user_id.clone() } else { node };
    match method {
        Method::GET => read_node(&mut w, &id),
        Method::DELETE => delete(&mut w, &id),
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
    if let Err(r) = authenticate(&w, p.token.as_deref(), true) {
        return r;
    }
    let id = if node == "me" { w.threads_user_id.clone() } else { node };
    let w = &mut *w;
    let own = id == w.threads_user_id;
    match (method, edge.as_str()) {
        (Method::GET, "threads") if own => list(w, &p, &uri),
        (Method::POST, "threads") if own => create_container(w, &p),
        (Method::POST, "threads_publish") if own => publish(w, &p),
        (Method::GET, "insights") => insights(w, &id, &p),
        (_, "threads" | "threads_publish") => no_such_object(&id),
        _ => error(400, 100, None, &format!("(#100) Tried accessing nonexisting field ({edge})")),
    }
}

fn post_json(w: &World, post: &FakePost) -> Value {
    let mut v = json!({
        "id": post.id, "media_type": post.kind, "timestamp": graph_time(post.created_at),
        "permalink": format!("https://www.threads.net/@{}/post/{}", w.threads_username, post.id),
        "username": w.threads_username,
    });
    if !post.text.is_empty() {
        v["text"] = json!(post.text);
    }
    v
}

fn find_post<'a>(w: &'a World, id: &str) -> Option<&'a FakePost> {
    w.posts.get(id).filter(|p| p.network == Network::Threads).or_else(|| w.replies.get(id))
}

fn read_node(w: &mut World, id: &str) -> Response {
    if id == w.threads_user_id {
        return ok(json!({
            "id": w.threads_user_id, "username": w.threads_username, "name": "Sellcast Threads",
            "threads_profile_picture_url": format!("https://fake.cdninstagram.example/threads/{id}.jpg"),
        }));
    }
    if w.containers.get(id).is_some_and(|c| c.network == Network::Threads) {
        let Some(status) = w.poll(id) else { return no_such_object(id) };
        let mut v = json!({"id": id, "status": status.as_str()});
        if status == Status::Error {
            v["error_message"] = json!("FAILED_DOWNLOADING_VIDEO");
        }
        return ok(v);
    }
    match find_post(w, id) {
        Some(post) => ok(post_json(w, post)),
        None => no_such_object(id),
    }
}

fn delete(w: &mut World, id: &str) -> Response {
    let removed = if w.posts.get(id).is_some_and(|p| p.network == Network::Threads) {
        w.posts.remove(id).is_some()
    } else {
        w.replies.remove(id).is_some()
    };
    if removed {
        ok(json!({"success": true, "deleted_id": id}))
    } else {
        no_such_object(id)
    }
}

fn list(w: &World, p: &Params, uri: &Uri) -> Response {
    let (items, next) = w.listing(&w.threads_user_id, p.since(), p.cursor(), p.limit(), |_| true);
    let data = items.into_iter().map(|post| post_json(w, post)).collect();
    ok(page_of(data, next, uri))
}

fn create_container(w: &mut World, p: &Params) -> Response {
    let media_type = match p.require("media_type") {
        Ok(t) => t.to_ascii_uppercase(),
        Err(r) => return r,
    };
    let text = p.get("text").unwrap_or("").to_string();
    if text.chars().count() > MAX_TEXT_CHARS {
        return error(400, 100, None, "Param text must be at most 500 characters long.");
    }
    let is_carousel_item = p.flag("is_carousel_item");
    let mut children = Vec::new();
    let media_urls = match media_type.as_str() {
        "TEXT" if !is_carousel_item => match p.require("text") {
            Ok(_) => Vec::new(),
            Err(r) => return r,
        },
        "IMAGE" => match p.require("image_url") {
            Ok(u) => vec![u.to_string()],
            Err(r) => return r,
        },
        "VIDEO" => match p.require("video_url") {
            Ok(u) => vec![u.to_string()],
            Err(r) => return r,
        },
        "CAROUSEL" if !is_carousel_item => {
            let list = match p.require("children") {
                Ok(c) => c,
                Err(r) => return r,
            };
            children = list.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
            if !(2..=MAX_CAROUSEL_ITEMS).contains(&children.len()) {
                return error(400, 100, None, "(#100) A carousel must have between 2 and 20 children");
            }
            let valid = children
                .iter()
                .all(|c| w.containers.get(c).is_some_and(|c| c.network == Network::Threads && c.is_carousel_item));
            if !valid {
                return error(400, 100, None, "(#100) The children must be carousel item containers");
            }
            Vec::new()
        }
        _ => return error(400, 100, None, &format!("(#100) Invalid media_type {media_type}")),
    };
    let reply_to = p.get("reply_to_id").map(str::to_string);
    if let Some(parent) = &reply_to {
        if find_post(w, parent).is_none() {
            return no_such_object(parent);
        }
    }
    let id = w.next_id();
    let container = Container {
        network: Network::Threads,
        owner_id: w.threads_user_id.clone(),
        media_type,
        text,
        media_urls,
        children,
        is_carousel_item,
        reply_to,
        polls_left: w.polls_to_finish,
        published: false,
    };
    w.containers.insert(id.clone(), container);
    ok(json!({"id": id}))
}

fn publish(w: &mut World, p: &Params) -> Response {
    let creation_id = match p.require("creation_id") {
        Ok(c) => c.to_string(),
        Err(r) => return r,
    };
    let usable = w.containers.get(&creation_id).is_some_and(|c| c.network == Network::Threads && !c.is_carousel_item);
    if !usable {
        return no_such_object(&creation_id);
    }
    match w.status(&creation_id) {
        Some(Status::Finished) => {}
        Some(Status::Published) => return error(400, 100, None, "(#100) This container has already been published"),
        // Assumption: Threads answers like Instagram's documented "media not ready" error.
        _ => {
            return user_error(
                9007,
                2207027,
                "Media ID is not available",
                "Media not ready for publishing",
                "The media is not ready for publishing, please wait for a moment",
            )
        }
    }
    let Some(container) = w.containers.get_mut(&creation_id) else { return no_such_object(&creation_id) };
    container.published = true;
    let container = container.clone();
    let mut urls = container.media_urls.clone();
    for child in &container.children {
        if let Some(c) = w.containers.get(child) {
            urls.extend(c.media_urls.iter().cloned());
        }
    }
    let id = w.next_id();
    let owner = w.threads_user_id.clone();
    let kind = if container.media_type == "CAROUSEL" { "CAROUSEL_ALBUM" } else { container.media_type.as_str() };
    let id = w.add_post(id, Network::Threads, &owner, container.text.clone(), kind, urls, container.reply_to.clone());
    ok(json!({"id": id}))
}

fn insights(w: &World, id: &str, p: &Params) -> Response {
    let metrics = match p.require("metric") {
        Ok(m) => m.to_string(),
        Err(r) => return r,
    };
    let Some(post) = find_post(w, id) else { return no_such_object(id) };
    let replies = w.replies.values().filter(|r| r.reply_to.as_deref() == Some(id)).count() as u64;
    let data: Vec<Value> = metrics
        .split(',')
        .map(str::trim)
        .filter_map(|name| {
            let value = match name {
                "views" => post.views,
                "likes" => post.likes,
                "replies" => replies,
                "reposts" => post.shares,
                "quotes" | "shares" => 0,
                _ => return None,
            };
            Some(json!({
                "name": name, "period": "lifetime", "values": [{"value": value}],
                "title": name, "description": format!("The number of {name} of your post."),
                "id": format!("{id}/insights/{name}/lifetime"),
            }))
        })
        .collect();
    ok(json!({"data": data}))
}
