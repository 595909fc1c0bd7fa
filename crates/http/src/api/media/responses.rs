//! What the media endpoints answer. Blob keys never appear in it.

use crate::api::shared::list_of;
use chrono::{DateTime, Utc};
use sellcast_app::media;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// One derived copy of an image (thumbnail, or the copy a platform receives).
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaVariantInfo {
    pub mime: Option<String>,
    pub width: Option<u64>,
    pub height: Option<u64>,
    pub bytes: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Media {
    pub id: String,
    /// image or video.
    pub kind: String,
    /// Decided by the file's bytes, not its name.
    pub mime: String,
    pub bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub filename: String,
    pub alt_text: String,
    /// processing (variants being made), ready or failed.
    pub status: String,
    /// Why processing failed.
    pub error: Option<String>,
    /// Derived copies by name: `thumbnail` and one per platform.
    pub variants: BTreeMap<String, MediaVariantInfo>,
    pub client_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The original's bytes (needs the bearer token).
    pub url: String,
    /// The thumbnail's bytes (the original until it is made); null for videos.
    pub thumbnail_url: Option<String>,
}

impl Media {
    pub fn from_view(m: media::Media, public_url: &str) -> Self {
        let url = format!("{public_url}/api/v1/orgs/{}/media/{}/content", m.org_id, m.id);
        let thumbnail_url = (m.kind == "image").then(|| format!("{url}?variant=thumbnail"));
        let variants = m
            .variants
            .as_object()
            .map(|map| {
                map.iter()
                    .map(|(name, v)| {
                        let info = MediaVariantInfo {
                            mime: v.get("mime").and_then(Value::as_str).map(str::to_string),
                            width: v.get("width").and_then(Value::as_u64),
                            height: v.get("height").and_then(Value::as_u64),
                            bytes: v.get("bytes").and_then(Value::as_u64),
                        };
                        (name.clone(), info)
                    })
                    .collect()
            })
            .unwrap_or_default();
        Media {
            id: m.id,
            kind: m.kind,
            mime: m.mime,
            bytes: m.bytes,
            width: m.width,
            height: m.height,
            filename: m.filename,
            alt_text: m.alt_text,
            status: m.status.to_string(),
            error: m.error,
            variants,
            client_id: m.client_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            url,
            thumbnail_url,
        }
    }
}

list_of!(MediaList, Media);
