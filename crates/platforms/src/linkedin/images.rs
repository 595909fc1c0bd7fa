//! Images for LinkedIn posts through the Images API: `POST /rest/images?action=initializeUpload`
//! gives an upload URL and an image URN, the bytes go there with a PUT, and the URN goes in the
//! post's `content`. Uploads are sent as reads: a lost answer leaves an unused image behind,
//! never a post. Videos are in videos.rs.

use super::LinkedinAdapter;
use crate::adapter::{Credentials, MediaItem, MediaKind};
use crate::client::{self, Effect};
use crate::error::{PlatformError, PlatformResult};
use serde::Deserialize;
use serde_json::{json, Value};

/// A multi-image post takes 2 to 20 images.
pub(super) const MAX_IMAGES: u32 = 20;
/// JPG, GIF and PNG are what the Images API takes.
const IMAGE_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/gif"];

#[derive(Debug, Deserialize)]
struct Initialized {
    value: UploadTicket,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UploadTicket {
    upload_url: String,
    image: String,
}

/// Upload every image; the `content` object for the post (None for a text post).
pub(super) async fn content_for(
    li: &LinkedinAdapter,
    creds: &Credentials,
    author: &str,
    items: &[MediaItem],
) -> PlatformResult<Option<Value>> {
    // A video goes through videos.rs; linkedin.rs never sends one here.
    if items.iter().any(|m| m.kind == MediaKind::Video) {
        return Err(PlatformError::unsupported("a LinkedIn post carries images or one video, not both"));
    }
    if let Some(m) = items.iter().find(|m| !IMAGE_TYPES.contains(&m.mime.as_str())) {
        return Err(PlatformError::unsupported(format!("LinkedIn takes JPG, GIF and PNG images, not {}", m.mime)));
    }
    if items.len() > MAX_IMAGES as usize {
        return Err(PlatformError::permanent(None, format!("LinkedIn takes at most {MAX_IMAGES} images per post")));
    }
    let mut images = Vec::with_capacity(items.len());
    for item in items {
        let urn = upload(li, creds, author, item).await?;
        let mut image = json!({ "id": urn });
        if let Some(alt) = item.alt_text.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            image["altText"] = Value::String(alt.chars().take(4086).collect());
        }
        images.push(image);
    }
    Ok(match images.len() {
        0 => None,
        1 => images.pop().map(|media| json!({ "media": media })),
        _ => Some(json!({ "multiImage": { "images": images } })),
    })
}

async fn upload(li: &LinkedinAdapter, creds: &Credentials, author: &str, item: &MediaItem) -> PlatformResult<String> {
    let body = json!({ "initializeUploadRequest": { "owner": author } });
    let req =
        li.rest(li.http.raw().post(li.api("/rest/images")), creds).query(&[("action", "initializeUpload")]).json(&body);
    let ticket: Initialized = li.call_json(req, Effect::Read).await?;
    let UploadTicket { upload_url, image } = ticket.value;
    if !image.starts_with("urn:li:image:") {
        return Err(PlatformError::bad_response("initializeUpload returned no image URN"));
    }
    check_upload_host(li, &upload_url)?;
    let put = li
        .http
        .raw()
        .put(&upload_url)
        .bearer_auth(&creds.access_token)
        .header(reqwest::header::CONTENT_TYPE, item.mime.as_str())
        .body(item.bytes.to_vec());
    let resp = client::send(put, Effect::Read).await?;
    if !resp.status().is_success() {
        return Err(super::errors::from_response(resp).await);
    }
    Ok(image)
}

/// The upload request carries the member's token: send it only to LinkedIn (over HTTPS) or to
/// the configured API host itself.
pub(super) fn check_upload_host(li: &LinkedinAdapter, upload_url: &str) -> PlatformResult<()> {
    let url = url::Url::parse(upload_url)
        .map_err(|_| PlatformError::bad_response("initializeUpload gave no valid uploadUrl"))?;
    let host = url.host_str().unwrap_or_default();
    let api_host = url::Url::parse(&li.config.api_url).ok().and_then(|u| u.host_str().map(str::to_string));
    let linkedin = url.scheme() == "https"
        && (host == "linkedin.com" || host.ends_with(".linkedin.com") || host.ends_with(".licdn.com"));
    if linkedin || api_host.as_deref() == Some(host) {
        Ok(())
    } else {
        Err(PlatformError::bad_response(format!("initializeUpload pointed outside LinkedIn ({host})")))
    }
}
