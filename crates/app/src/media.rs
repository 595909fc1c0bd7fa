//! Media uploads: the type is decided by the bytes, limits are checked before anything is
//! stored, the original goes to the blob store and a job derives the thumbnail and one copy
//! per platform (re-encoded, so EXIF and other metadata never reach a platform).

use crate::authorize::authorize;
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::App;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sellcast_domain::pagination::Page;
use sellcast_domain::{ids, MediaStatus, Permission, Platform};
use sellcast_media::{MediaError, MediaKind, MediaLimits, MediaType, Variant};
use sellcast_platforms::{MediaItem, MediaKind as PlatformMediaKind};
use sellcast_queue::{ops as jobs, JobArgs, NewJob, Outcome};
use sellcast_store::clients;
use sellcast_store::media::{self, MediaRow};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub const ALT_TEXT_MAX: usize = 1500;
/// How long a signed media link (for platforms that fetch media by URL) stays valid.
const LINK_TTL_SECS: i64 = 24 * 3600;

#[derive(Debug, Serialize, Deserialize)]
pub struct ProcessMedia {
    pub media_id: String,
}

impl JobArgs for ProcessMedia {
    const KIND: &'static str = "media.process";
    const QUEUE: &'static str = "media";
    const MAX_ATTEMPTS: i32 = 5;
}

pub struct Upload {
    pub filename: String,
    pub bytes: Bytes,
    pub alt_text: Option<String>,
    pub client_id: Option<String>,
}

fn limits(app: &App) -> MediaLimits {
    MediaLimits { max_image_bytes: app.config.media_max_image_bytes, max_video_bytes: app.config.media_max_video_bytes }
}

fn bad_file(e: MediaError) -> AppError {
    AppError::validation("file", e.to_string())
}

fn clean_filename(name: &str, t: MediaType) -> String {
    let base: String =
        name.rsplit(['/', '\\']).next().unwrap_or("").chars().filter(|c| !c.is_control()).take(200).collect();
    let base = base.trim();
    if base.is_empty() {
        format!("upload.{}", t.extension())
    } else {
        base.to_string()
    }
}

/// An upload as the layers above see it (its blob key stays inside).
#[derive(Debug, Clone, Serialize)]
pub struct Media {
    pub id: String,
    pub org_id: String,
    pub client_id: Option<String>,
    pub uploaded_by: Option<String>,
    /// `image` or `video`.
    pub kind: String,
    pub mime: String,
    pub bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub filename: String,
    pub alt_text: String,
    pub sha256: String,
    pub status: MediaStatus,
    /// Derived copies by name (`thumbnail`, one per platform): mime, width, height, bytes.
    pub variants: serde_json::Value,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<MediaRow> for Media {
    fn from(r: MediaRow) -> Self {
        Media {
            id: r.id,
            org_id: r.org_id,
            client_id: r.client_id,
            uploaded_by: r.uploaded_by,
            kind: r.kind,
            mime: r.mime,
            bytes: r.bytes,
            width: r.width,
            height: r.height,
            filename: r.filename,
            alt_text: r.alt_text,
            sha256: r.sha256,
            status: r.status,
            variants: r.variants,
            error: r.error,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub async fn upload(app: &App, actor: &Actor, org_id: &str, up: Upload) -> AppResult<Media> {
    authorize(app, actor, org_id, Permission::PostCreate).await?;
    let media_type = sellcast_media::sniff(&up.bytes).ok_or_else(|| bad_file(MediaError::UnsupportedType))?;
    sellcast_media::validate(up.bytes.len() as u64, media_type, &limits(app)).map_err(bad_file)?;
    let alt_text = up.alt_text.unwrap_or_default();
    if alt_text.chars().count() > ALT_TEXT_MAX {
        return Err(AppError::validation("alt_text", format!("must be at most {ALT_TEXT_MAX} characters")));
    }
    if let Some(cid) = &up.client_id {
        let mut c = app.db.read().await?;
        clients::by_id(c.conn(), org_id, cid)
            .await?
            .ok_or_else(|| AppError::validation("client_id", "no such client in this organization"))?;
    }
    // Decoding the whole image here refuses corrupt files before anything is stored.
    let bytes = up.bytes.clone();
    let (width, height) = tokio::task::spawn_blocking(move || sellcast_media::inspect(&bytes))
        .await
        .map_err(AppError::internal)?
        .map_err(bad_file)?;
    let id = ids::new_id();
    let key = format!("orgs/{org_id}/media/{id}/original.{}", media_type.extension());
    let now = app.clock.now();
    let is_image = media_type.kind() == MediaKind::Image;
    let row = MediaRow {
        id: id.clone(),
        org_id: org_id.to_string(),
        client_id: up.client_id,
        uploaded_by: Some(actor.user_id.clone()),
        kind: if is_image { "image" } else { "video" }.into(),
        mime: media_type.mime().into(),
        bytes: up.bytes.len() as i64,
        width: Some(width as i32),
        height: Some(height as i32),
        filename: clean_filename(&up.filename, media_type),
        alt_text,
        blob_key: key.clone(),
        sha256: hex::encode(Sha256::digest(&up.bytes)),
        status: MediaStatus::on_upload(is_image),
        variants: json!({}),
        error: None,
        created_at: now,
        updated_at: now,
    };
    app.blobs
        .put(&key, up.bytes, media_type.mime())
        .await
        .map_err(|e| AppError::internal_from("storing an upload", e))?;
    let saved = async {
        let mut tx = app.db.begin().await?;
        media::insert(tx.conn(), &row).await?;
        if is_image {
            let job = NewJob::of(&ProcessMedia { media_id: id.clone() }).unique_key(format!("media:{id}"));
            jobs::enqueue(tx.conn(), &job, now).await?;
        }
        crate::audit::record(
            tx.conn(),
            Some(actor),
            now,
            crate::audit::Entry {
                org_id: Some(org_id),
                action: "media.upload",
                entity_type: "media",
                entity_id: Some(&id),
                changes: json!({"filename": row.filename, "mime": row.mime, "bytes": row.bytes}),
            },
        )
        .await?;
        tx.commit().await?;
        AppResult::Ok(())
    }
    .await;
    if let Err(e) = saved {
        // Leave nothing behind when the row could not be written.
        let _ = app.blobs.delete(&key).await;
        return Err(e);
    }
    app.db.job_wakeup().notify_waiters();
    Ok(row.into())
}

/// The `media.process` job: thumbnail and per-platform variants.
pub async fn process(app: &App, media_id: &str) -> Outcome {
    match process_inner(app, media_id).await {
        Ok(()) => Outcome::Done,
        Err(e) => Outcome::Retry(e.to_string()),
    }
}

async fn process_inner(app: &App, media_id: &str) -> AppResult<()> {
    let row = {
        let mut c = app.db.read().await?;
        match media::by_id_any_org(c.conn(), media_id).await? {
            Some(r) if r.kind == "image" => r,
            _ => return Ok(()),
        }
    };
    let original = app.blobs.get(&row.blob_key).await.map_err(|e| AppError::internal_from("reading an upload", e))?;
    let derived = tokio::task::spawn_blocking(move || {
        Variant::all().map(|v| (v, sellcast_media::derive(&original, v))).collect::<Vec<_>>()
    })
    .await
    .map_err(AppError::internal)?;
    let mut variants = serde_json::Map::new();
    let mut failure = None;
    for (variant, result) in derived {
        match result {
            Ok(d) => {
                let key =
                    format!("orgs/{}/media/{}/{}.{}", row.org_id, row.id, variant.name(), d.media_type.extension());
                app.blobs
                    .put(&key, Bytes::from(d.bytes.clone()), d.media_type.mime())
                    .await
                    .map_err(|e| AppError::internal_from("storing an image variant", e))?;
                variants.insert(
                    variant.name().to_string(),
                    json!({"key": key, "mime": d.media_type.mime(), "width": d.width, "height": d.height, "bytes": d.bytes.len()}),
                );
            }
            Err(e) => failure = Some(e.to_string()),
        }
    }
    let mut tx = app.db.begin().await?;
    if let Some(mut current) = media::by_id(tx.conn(), &row.org_id, &row.id).await? {
        current.variants = Value::Object(variants);
        current.status = MediaStatus::on_processed(failure.is_some());
        current.error = failure;
        current.updated_at = app.clock.now();
        media::update(tx.conn(), &current).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn get(app: &App, actor: &Actor, org_id: &str, id: &str) -> AppResult<Media> {
    Ok(load(app, actor, org_id, id).await?.into())
}

async fn load(app: &App, actor: &Actor, org_id: &str, id: &str) -> AppResult<MediaRow> {
    authorize(app, actor, org_id, Permission::PostRead).await?;
    let mut c = app.db.read().await?;
    media::by_id(c.conn(), org_id, id).await?.ok_or(AppError::NotFound("media"))
}

pub async fn list(
    app: &App,
    actor: &Actor,
    org_id: &str,
    kind: Option<&str>,
    page: &Page,
) -> AppResult<(Vec<Media>, Option<String>)> {
    authorize(app, actor, org_id, Permission::PostRead).await?;
    let mut c = app.db.read().await?;
    let rows = media::list(c.conn(), org_id, kind, page.before.as_deref(), page.fetch_limit()).await?;
    let (rows, next) = page.finish(rows, |r| &r.id);
    Ok((rows.into_iter().map(Media::from).collect(), next))
}

pub async fn set_alt_text(app: &App, actor: &Actor, org_id: &str, id: &str, alt: &str) -> AppResult<Media> {
    authorize(app, actor, org_id, Permission::PostUpdate).await?;
    if alt.chars().count() > ALT_TEXT_MAX {
        return Err(AppError::validation("alt_text", format!("must be at most {ALT_TEXT_MAX} characters")));
    }
    let mut tx = app.db.begin().await?;
    let mut row = media::by_id(tx.conn(), org_id, id).await?.ok_or(AppError::NotFound("media"))?;
    row.alt_text = alt.to_string();
    row.updated_at = app.clock.now();
    media::update(tx.conn(), &row).await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Delete, unless a scheduled post still needs it.
pub async fn delete(app: &App, actor: &Actor, org_id: &str, id: &str) -> AppResult<()> {
    authorize(app, actor, org_id, Permission::PostDelete).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let row = media::by_id(tx.conn(), org_id, id).await?.ok_or(AppError::NotFound("media"))?;
    let users = media::scheduled_users(tx.conn(), id).await?;
    if !users.is_empty() {
        return Err(AppError::Conflict(format!(
            "{} scheduled post(s) use this file ({}); remove it from them or unschedule them first",
            users.len(),
            users.join(", ")
        )));
    }
    // Drafts that used it lose it, in their variants' own media lists too.
    for post_id in media::posts_using(tx.conn(), id).await? {
        for mut v in sellcast_store::posts::variants_of(tx.conn(), &post_id).await? {
            if let Some(ids) = v.media_ids.as_mut().filter(|ids| ids.iter().any(|m| m == id)) {
                ids.retain(|m| m != id);
                v.updated_at = now;
                sellcast_store::posts::update_variant(tx.conn(), &v).await?;
            }
        }
    }
    media::delete(tx.conn(), org_id, id).await?;
    crate::audit::record(
        tx.conn(),
        Some(actor),
        now,
        crate::audit::Entry {
            org_id: Some(org_id),
            action: "media.delete",
            entity_type: "media",
            entity_id: Some(id),
            changes: json!({"filename": row.filename}),
        },
    )
    .await?;
    tx.commit().await?;
    for key in blob_keys(&row) {
        if let Err(e) = app.blobs.delete(&key).await {
            tracing::warn!(error = %e, media_id = id, "deleting a media blob failed");
        }
    }
    Ok(())
}

fn blob_keys(row: &MediaRow) -> Vec<String> {
    let mut keys = vec![row.blob_key.clone()];
    if let Some(map) = row.variants.as_object() {
        keys.extend(map.values().filter_map(|v| v.get("key")?.as_str().map(str::to_string)));
    }
    keys
}

/// (blob key, mime) of a variant by name (`original`, `thumbnail` or a platform), falling back
/// to the original while variants are being made.
fn variant_key(row: &MediaRow, name: &str) -> (String, String) {
    if name == "original" {
        return (row.blob_key.clone(), row.mime.clone());
    }
    row.variants
        .get(name)
        .and_then(|v| Some((v.get("key")?.as_str()?.to_string(), v.get("mime")?.as_str()?.to_string())))
        .unwrap_or_else(|| (row.blob_key.clone(), row.mime.clone()))
}

/// The bytes of a variant, for download.
pub async fn content(app: &App, actor: &Actor, org_id: &str, id: &str, variant: &str) -> AppResult<(Bytes, String)> {
    let row = load(app, actor, org_id, id).await?;
    read_variant(app, &row, variant).await
}

async fn read_variant(app: &App, row: &MediaRow, variant: &str) -> AppResult<(Bytes, String)> {
    let (key, mime) = variant_key(row, variant);
    let bytes = app.blobs.get(&key).await.map_err(|e| match e {
        MediaError::NotFound { .. } => AppError::NotFound("media"),
        other => AppError::internal(other),
    })?;
    Ok((bytes, mime))
}

/// The MAC of one link (media, variant, expiry), keyed by the instance key; not yet finalized.
fn link_mac(url_key: &[u8], id: &str, variant: &str, expires: i64) -> Option<Hmac<Sha256>> {
    let key = Sha256::digest([b"sellcast media links:".as_slice(), url_key].concat());
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}/{variant}/{expires}").as_bytes());
    Some(mac)
}

fn signature(url_key: &[u8], id: &str, variant: &str, expires: i64) -> String {
    link_mac(url_key, id, variant, expires).map(|m| hex::encode(m.finalize().into_bytes())).unwrap_or_default()
}

/// Whether `sig` (hex) signs this link; `verify_slice` compares in constant time.
fn signature_holds(url_key: &[u8], id: &str, variant: &str, expires: i64, sig: &str) -> bool {
    match (hex::decode(sig), link_mac(url_key, id, variant, expires)) {
        (Ok(sig), Some(mac)) => mac.verify_slice(&sig).is_ok(),
        _ => false,
    }
}

/// A link a platform can fetch the media from without signing in (Meta fetches by URL).
pub fn signed_url(app: &App, id: &str, variant: &str) -> String {
    let expires = app.clock.now().timestamp() + LINK_TTL_SECS;
    let sig = signature(&app.url_key, id, variant, expires);
    format!("{}/media/{id}/{variant}?expires={expires}&sig={sig}", app.config.public_url())
}

/// Serve a signed link: the bytes when the signature holds and has not expired.
pub async fn signed_content(app: &App, id: &str, variant: &str, expires: i64, sig: &str) -> AppResult<(Bytes, String)> {
    if !signature_holds(&app.url_key, id, variant, expires, sig) || expires < app.clock.now().timestamp() {
        return Err(AppError::NotFound("media"));
    }
    let row = {
        let mut c = app.db.read().await?;
        media::by_id_any_org(c.conn(), id).await?.ok_or(AppError::NotFound("media"))?
    };
    read_variant(app, &row, variant).await
}

/// One attachment ready for a platform: its variant's bytes and a signed URL to them.
pub async fn publishable(app: &App, org_id: &str, id: &str, platform: Platform) -> AppResult<MediaItem> {
    let row = {
        let mut c = app.db.read().await?;
        media::by_id(c.conn(), org_id, id).await?.ok_or(AppError::NotFound("media"))?
    };
    // GIFs keep their animation: they go out as uploaded.
    let name = if row.mime == "image/gif" { "original" } else { platform.as_str() };
    let (bytes, mime) = read_variant(app, &row, name).await?;
    let (width, height) = row
        .variants
        .get(name)
        .map(|v| (v.get("width").and_then(Value::as_u64), v.get("height").and_then(Value::as_u64)))
        .unwrap_or((row.width.map(|w| w as u64), row.height.map(|h| h as u64)));
    Ok(MediaItem {
        kind: if row.kind == "video" { PlatformMediaKind::Video } else { PlatformMediaKind::Image },
        mime,
        bytes: Arc::new(bytes.to_vec()),
        public_url: signed_url(app, id, name),
        width: width.map(|w| w as u32),
        height: height.map(|h| h as u32),
        alt_text: Some(row.alt_text.clone()).filter(|a| !a.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::{signature, signature_holds};

    const KEY: &[u8] = b"an instance key of some length";

    #[test]
    fn a_link_signature_holds_only_for_its_own_link_and_key() {
        let sig = signature(KEY, "m1", "original", 1_900_000_000);
        assert_eq!(sig.len(), 64, "hex of a SHA-256 MAC");
        assert!(signature_holds(KEY, "m1", "original", 1_900_000_000, &sig));
        assert!(!signature_holds(KEY, "m2", "original", 1_900_000_000, &sig), "another media");
        assert!(!signature_holds(KEY, "m1", "thumb", 1_900_000_000, &sig), "another variant");
        assert!(!signature_holds(KEY, "m1", "original", 1_900_000_001, &sig), "a later expiry");
        assert!(!signature_holds(b"another key", "m1", "original", 1_900_000_000, &sig), "another instance");
        assert!(!signature_holds(KEY, "m1", "original", 1_900_000_000, &sig[..62]), "cut short");
        assert!(!signature_holds(KEY, "m1", "original", 1_900_000_000, "not hex"));
        assert!(!signature_holds(KEY, "m1", "original", 1_900_000_000, ""));
    }
}
