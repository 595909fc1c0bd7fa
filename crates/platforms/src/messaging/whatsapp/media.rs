//! Media a customer sent: `GET /{media-id}` gives a short-lived URL, downloaded with the same
//! Bearer token (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media).

use crate::client::{self, Effect, HttpClient};
use crate::error::{PlatformError, PlatformResult};
use crate::messaging::{classify, get_json};
use crate::meta::{node_id, MetaConfig};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a media the customer sent can be downloaded (the URL lasts about five minutes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaInfo {
    pub url: String,
    pub mime_type: String,
    pub file_size: Option<u64>,
    pub sha256: Option<String>,
}

/// Where to download a media (`GET /{media-id}`), its type, size and SHA-256.
pub async fn media_url(http: &HttpClient, cfg: &MetaConfig, token: &str, media_id: &str) -> PlatformResult<MediaInfo> {
    let v: Value = get_json(http, &cfg.graph(node_id(media_id)?), token, &[]).await?;
    let text = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let url = text("url").ok_or_else(|| PlatformError::bad_response("the media has no url"))?;
    // `file_size` comes as a number or as a string of digits.
    let file_size = match v.get("file_size") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    Ok(MediaInfo {
        url,
        mime_type: text("mime_type").unwrap_or_else(|| "application/octet-stream".into()),
        file_size,
        sha256: text("sha256"),
    })
}

/// The media bytes from a `media_url` URL (with the token), refusing bodies over `max_bytes`
/// before reading past the limit.
pub async fn download(http: &HttpClient, token: &str, url: &str, max_bytes: u64) -> PlatformResult<Vec<u8>> {
    fetch(http, Some(token), url, max_bytes).await
}

/// Download a public URL (an Instagram or Messenger CDN link) without sending any token.
pub async fn download_public(http: &HttpClient, url: &str, max_bytes: u64) -> PlatformResult<Vec<u8>> {
    fetch(http, None, url, max_bytes).await
}

async fn fetch(http: &HttpClient, token: Option<&str>, url: &str, max_bytes: u64) -> PlatformResult<Vec<u8>> {
    if !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http")) {
        return Err(PlatformError::permanent(None, "the media URL is not an HTTP(S) URL"));
    }
    let req = match token {
        Some(t) => http.inner.get(url).bearer_auth(t),
        None => http.inner.get(url),
    };
    let mut resp = client::send(req, Effect::Read).await?;
    if !resp.status().is_success() {
        let (status, headers, body) = client::error_body(resp).await;
        return Err(classify(status, &headers, &body, chrono::Utc::now()));
    }
    let too_big = || PlatformError::permanent(None, format!("the media is larger than {max_bytes} bytes"));
    if resp.content_length().is_some_and(|n| n > max_bytes) {
        return Err(too_big());
    }
    let mut out = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if out.len() as u64 + chunk.len() as u64 > max_bytes {
                    return Err(too_big());
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(out),
            Err(e) => {
                return Err(PlatformError::retryable(format!("the media download was cut off: {}", e.without_url())))
            }
        }
    }
}
