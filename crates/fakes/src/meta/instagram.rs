//! Instagram content publishing on the Graph API (Facebook Login flavour):
//! https://developers.facebook.com/docs/instagram-platform/content-publishing,
//! https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media,
//! .../ig-user/media_publish, .../ig-user/content_publishing_limit, .../ig-container.

use super::params::{error, graph_time, no_such_object, ok, page_of, user_error, Params};
use super::state::{Container, FakePost, Network, Status, Subject, World};
use axum::http::Uri;
use axum::response::Response;
use serde_json::{json, Value};

const MAX_CAROUSEL_ITEMS: usize = 10;
const MAX_CAPTION_CHARS: usize = 2200;

/// Instagram calls need the user token of the person managing the linked Page.
fn require_account(w: &World, ig: &str, subject: &Subject) -> Result<(), Response> {
    if *subject == Subject::User && w.instagram(ig).is_some() {
        Ok(())
    } else {
        Err(no_such_object(ig))
    }
}

pub(crate) fn media_json(post: &FakePost) -> Value {
    let mut v = json!({
        "id": post.id, "timestamp": graph_time(post.created_at), "media_type": post.kind,
        "permalink": format!("https://www.instagram.com/p/{}/", post.id),
        "like_count": post.likes, "comments_count": post.comments.len(),
    });
    if !post.text.is_empty() {
        v["caption"] = json!(post.text);
    }
    v
}

/// An Instagram account or container read with a user token.
pub(crate) fn read_node(w: &mut World, id: &str) -> Option<Value> {
    if let Some(ig) = w.instagram(id) {
        return Some(json!({
            "id": ig.id, "username": ig.username, "name": ig.username,
            "profile_picture_url": format!("https://fake.cdninstagram.example/{}.jpg", ig.id),
        }));
    }
    if w.containers.get(id).is_some_and(|c| c.network == Network::Instagram) {
        let status = w.poll(id)?;
        let detail = match status {
            Status::Error => "Error: Media download has failed. The media URI doesn't meet our requirements.",
            Status::InProgress => "In Progress: Media is still being processed.",
            _ => "Finished: Media has been uploaded and it is ready to be published.",
        };
        return Some(json!({"id": id, "status_code": status.as_str(), "status": detail}));
    }
    None
}

pub(crate) fn list_media(w: &World, ig: &str, subject: &Subject, p: &Params, uri: &Uri) -> Response {
    if let Err(r) = require_account(w, ig, subject) {
        return r;
    }
    let (items, next) = w.listing(ig, p.since(), p.cursor(), p.limit(), |_| true);
    let data = items.into_iter().map(media_json).collect();
    ok(page_of(data, next, uri))
}

pub(crate) fn create_container(w: &mut World, ig: &str, subject: &Subject, p: &Params) -> Response {
    if let Err(r) = require_account(w, ig, subject) {
        return r;
    }
    let caption = p.get("caption").unwrap_or("").to_string();
    if caption.chars().count() > MAX_CAPTION_CHARS {
        return error(400, 100, None, "(#100) The caption must be at most 2200 characters long.");
    }
    let media_type = p.get("media_type").unwrap_or("IMAGE").to_ascii_uppercase();
    let is_carousel_item = p.flag("is_carousel_item");
    let mut children = Vec::new();
    let media_urls = match media_type.as_str() {
        "IMAGE" => match p.require("image_url") {
            Ok(u) => vec![u.to_string()],
            Err(r) => return r,
        },
        "REELS" if !is_carousel_item => match p.require("video_url") {
            Ok(u) => vec![u.to_string()],
            Err(r) => return r,
        },
        "VIDEO" if is_carousel_item => match p.require("video_url") {
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
                return error(400, 100, None, "(#100) A carousel must have between 2 and 10 children");
            }
            let valid = children.iter().all(|c| {
                w.containers
                    .get(c)
                    .is_some_and(|c| c.network == Network::Instagram && c.owner_id == ig && c.is_carousel_item)
            });
            if !valid {
                return error(400, 100, None, "(#100) The children must be carousel item containers of this account");
            }
            Vec::new()
        }
        "VIDEO" => {
            return error(400, 100, None, "(#100) The VIDEO media type is no longer supported. Use REELS instead.")
        }
        _ => return error(400, 100, None, &format!("(#100) Invalid media_type {media_type}")),
    };
    let id = w.next_id();
    let container = Container {
        network: Network::Instagram,
        owner_id: ig.to_string(),
        media_type,
        text: caption,
        media_urls,
        children,
        is_carousel_item,
        reply_to: None,
        polls_left: w.polls_to_finish,
        published: false,
    };
    w.containers.insert(id.clone(), container);
    ok(json!({"id": id}))
}

pub(crate) fn publish(w: &mut World, ig: &str, subject: &Subject, p: &Params) -> Response {
    if let Err(r) = require_account(w, ig, subject) {
        return r;
    }
    let creation_id = match p.require("creation_id") {
        Ok(c) => c.to_string(),
        Err(r) => return r,
    };
    let usable = w
        .containers
        .get(&creation_id)
        .is_some_and(|c| c.network == Network::Instagram && c.owner_id == ig && !c.is_carousel_item);
    if !usable {
        return no_such_object(&creation_id);
    }
    if w.quota_usage(ig) >= w.quota_total {
        return user_error(
            9,
            2207042,
            "Application request limit reached",
            "Limit reached",
            "You reached maximum number of posts that is allowed to be published by Content Publishing API.",
        );
    }
    match w.status(&creation_id) {
        Some(Status::Finished) => {}
        Some(Status::Published) => {
            return error(400, 100, None, "(#100) This media container has already been published")
        }
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
    let kind = match container.media_type.as_str() {
        "CAROUSEL" => "CAROUSEL_ALBUM",
        "REELS" => "VIDEO",
        _ => "IMAGE",
    };
    let id = w.next_id();
    let id = w.add_post(id, Network::Instagram, ig, container.text, kind, urls, None);
    w.publish_log.entry(ig.to_string()).or_default().push_back(chrono::Utc::now());
    ok(json!({"id": id}))
}

pub(crate) fn publishing_limit(w: &mut World, ig: &str, subject: &Subject) -> Response {
    if let Err(r) = require_account(w, ig, subject) {
        return r;
    }
    let usage = w.quota_usage(ig);
    ok(json!({"data": [{"quota_usage": usage, "config": {"quota_total": w.quota_total, "quota_duration": 86400}}]}))
}
