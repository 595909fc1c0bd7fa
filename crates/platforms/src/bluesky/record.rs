//! The `app.bsky.feed.post` record (https://docs.bsky.app/docs/advanced-guides/posts) and
//! its embeds: images (`app.bsky.embed.images`, up to 4, with alt text and aspect ratio) or one
//! video (`app.bsky.embed.video`), plus AT URIs and bsky.app links.

use crate::adapter::{MediaItem, MediaKind};
use crate::error::{PlatformError, PlatformResult};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

pub const POST_COLLECTION: &str = "app.bsky.feed.post";
pub const MAX_IMAGES: usize = 4;
/// `app.bsky.embed.images#image.image` accepts blobs up to 1,000,000 bytes.
pub const MAX_IMAGE_BYTES: usize = 1_000_000;
/// `app.bsky.embed.video#main.video` accepts blobs up to 100,000,000 bytes.
pub const MAX_VIDEO_BYTES: usize = 100_000_000;

/// A post's or reply's parent, as a strong reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrongRef {
    pub uri: String,
    pub cid: String,
}

impl StrongRef {
    fn to_json(&self) -> Value {
        json!({ "uri": self.uri, "cid": self.cid })
    }
}

/// Refuse what Bluesky would refuse, before anything is uploaded.
pub fn check_media(media: &[MediaItem]) -> PlatformResult<()> {
    let videos = media.iter().filter(|m| m.kind == MediaKind::Video).count();
    let images = media.len() - videos;
    if videos > 0 && images > 0 {
        return Err(PlatformError::permanent(None, "Bluesky posts cannot mix images and a video"));
    }
    if videos > 1 {
        return Err(PlatformError::permanent(None, "Bluesky posts take at most one video"));
    }
    if images > MAX_IMAGES {
        return Err(PlatformError::permanent(None, format!("Bluesky posts take at most {MAX_IMAGES} images")));
    }
    for m in media {
        let (limit, what) = match m.kind {
            MediaKind::Image => (MAX_IMAGE_BYTES, "image"),
            MediaKind::Video => (MAX_VIDEO_BYTES, "video"),
        };
        if m.bytes.len() > limit {
            return Err(PlatformError::permanent(
                None,
                format!("a Bluesky {what} may be at most {limit} bytes; this one has {}", m.bytes.len()),
            ));
        }
        if m.kind == MediaKind::Video && m.mime != "video/mp4" {
            return Err(PlatformError::permanent(None, "Bluesky videos must be MP4"));
        }
    }
    Ok(())
}

fn aspect_ratio(m: &MediaItem) -> Option<Value> {
    match (m.width, m.height) {
        (Some(w), Some(h)) if w > 0 && h > 0 => Some(json!({ "width": w, "height": h })),
        _ => None,
    }
}

/// The embed for uploaded media, `blobs[i]` being the blob of `media[i]`.
pub fn embed(media: &[MediaItem], blobs: &[Value]) -> Option<Value> {
    let first = media.first()?;
    if first.kind == MediaKind::Video {
        let mut video = json!({ "$type": "app.bsky.embed.video", "video": blobs.first()? });
        if let Some(alt) = first.alt_text.as_deref().filter(|a| !a.is_empty()) {
            video["alt"] = json!(alt);
        }
        if let Some(ratio) = aspect_ratio(first) {
            video["aspectRatio"] = ratio;
        }
        return Some(video);
    }
    let images: Vec<Value> = media
        .iter()
        .zip(blobs)
        .map(|(m, blob)| {
            // `alt` is required by the lexicon; an empty string means "no description".
            let mut image = json!({ "image": blob, "alt": m.alt_text.clone().unwrap_or_default() });
            if let Some(ratio) = aspect_ratio(m) {
                image["aspectRatio"] = ratio;
            }
            image
        })
        .collect();
    Some(json!({ "$type": "app.bsky.embed.images", "images": images }))
}

/// A post record. `reply_to` is (root, parent) for a reply.
pub fn post(
    text: &str,
    facets: Vec<Value>,
    embed: Option<Value>,
    reply_to: Option<(&StrongRef, &StrongRef)>,
    langs: Option<Value>,
    created_at: DateTime<Utc>,
) -> Value {
    let mut record = json!({
        "$type": POST_COLLECTION,
        "text": text,
        "createdAt": created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
    });
    if !facets.is_empty() {
        record["facets"] = Value::Array(facets);
    }
    if let Some(embed) = embed {
        record["embed"] = embed;
    }
    if let Some((root, parent)) = reply_to {
        record["reply"] = json!({ "root": root.to_json(), "parent": parent.to_json() });
    }
    if let Some(langs) = langs {
        record["langs"] = langs;
    }
    record
}

/// The (repo, rkey) of a post's AT URI; Permanent when it is not one.
pub fn parse_at_uri(uri: &str) -> PlatformResult<(&str, &str)> {
    let bad = || PlatformError::permanent(None, format!("not a Bluesky post URI: {uri}"));
    let rest = uri.strip_prefix("at://").ok_or_else(bad)?;
    let mut parts = rest.splitn(3, '/');
    let (repo, collection, rkey) = (parts.next(), parts.next(), parts.next());
    match (repo, collection, rkey) {
        (Some(repo), Some(POST_COLLECTION), Some(rkey))
            if !repo.is_empty()
                && !rkey.is_empty()
                && rkey.chars().all(|c| c.is_ascii_alphanumeric() || "._:~-".contains(c)) =>
        {
            Ok((repo, rkey))
        }
        _ => Err(bad()),
    }
}

/// The post's page on bsky.app (the DID works whatever the handle becomes).
pub fn web_url(did: &str, rkey: &str) -> String {
    format!("https://bsky.app/profile/{did}/post/{rkey}")
}

/// Whether a stored record is the one we meant to create: same text, same number of images
/// or video. Used when a create failed but a record sits at our key.
pub fn is_same_post(stored: &Value, text: &str, media_count: usize, reply_parent: Option<&str>) -> bool {
    let stored_media = match stored.pointer("/embed/$type").and_then(Value::as_str) {
        Some("app.bsky.embed.images") => stored.pointer("/embed/images").and_then(Value::as_array).map_or(0, Vec::len),
        Some("app.bsky.embed.video") => 1,
        _ => 0,
    };
    let stored_parent = stored.pointer("/reply/parent/uri").and_then(Value::as_str);
    stored.get("text").and_then(Value::as_str) == Some(text)
        && stored_media == media_count
        && stored_parent == reply_parent
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn image(alt: Option<&str>, size: usize) -> MediaItem {
        MediaItem {
            kind: MediaKind::Image,
            mime: "image/png".into(),
            bytes: Arc::new(vec![0; size]),
            public_url: String::new(),
            width: Some(4),
            height: Some(3),
            alt_text: alt.map(str::to_string),
        }
    }

    #[test]
    fn media_rules() {
        assert!(check_media(&vec![image(None, 10); 4]).is_ok());
        assert!(check_media(&vec![image(None, 10); 5]).is_err());
        assert!(check_media(&[image(None, MAX_IMAGE_BYTES + 1)]).is_err());
        let mut video = image(None, 10);
        video.kind = MediaKind::Video;
        video.mime = "video/mp4".into();
        assert!(check_media(&[video.clone()]).is_ok());
        assert!(check_media(&[video.clone(), image(None, 1)]).is_err());
        assert!(check_media(&[video.clone(), video]).is_err());
    }

    #[test]
    fn images_embed_has_alt_and_ratio() {
        let blob = json!({ "$type": "blob", "ref": { "$link": "bafk" }, "mimeType": "image/png", "size": 10 });
        let e = embed(&[image(Some("a cat"), 10), image(None, 10)], &[blob.clone(), blob]).unwrap();
        assert_eq!(e["$type"], "app.bsky.embed.images");
        assert_eq!(e["images"][0]["alt"], "a cat");
        assert_eq!(e["images"][1]["alt"], "");
        assert_eq!(e["images"][0]["aspectRatio"], json!({ "width": 4, "height": 3 }));
        assert!(embed(&[], &[]).is_none());
    }

    #[test]
    fn uris() {
        let uri = "at://did:plc:abc/app.bsky.feed.post/3l25zusnsfck2";
        assert_eq!(parse_at_uri(uri).unwrap(), ("did:plc:abc", "3l25zusnsfck2"));
        assert!(parse_at_uri("at://did:plc:abc/app.bsky.feed.like/3l25zusnsfck2").is_err());
        assert!(parse_at_uri("at://did:plc:abc/app.bsky.feed.post/../x?y").is_err());
        assert!(parse_at_uri("https://bsky.app").is_err());
    }
}
