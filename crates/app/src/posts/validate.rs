//! Checks a post and its variants before saving and before scheduling: media and channels
//! belong to the org, and each variant meets its platform's rules (characters counted the
//! platform's way, media counts and types), with messages that say exactly what is wrong.

use super::input::{VariantInput, TEXT_MAX};
use super::load::channel;
use crate::error::AppResult;
use sellcast_domain::rules::{self, MediaFacts, MediaKind, VariantDraft};
use sellcast_domain::{ChannelStatus, Platform, ValidationErrors};
use sellcast_store::media::{self, MediaRow};
use sellcast_store::posts::PostRow;
use sellcast_store::Conn;

/// Save-time checks.
pub async fn check(c: Conn<'_>, post: &PostRow, media_ids: &[String], variants: &[VariantInput]) -> AppResult<()> {
    run(c, post, media_ids, variants, false).await
}

/// Schedule-time checks: the save checks, plus at least one target and every channel active.
pub async fn check_for_schedule(
    c: Conn<'_>,
    post: &PostRow,
    media_ids: &[String],
    variants: &[VariantInput],
) -> AppResult<()> {
    run(c, post, media_ids, variants, true).await
}

async fn run(
    mut c: Conn<'_>,
    post: &PostRow,
    media_ids: &[String],
    variants: &[VariantInput],
    scheduling: bool,
) -> AppResult<()> {
    let mut errs = ValidationErrors::new();
    if post.text.chars().count() > TEXT_MAX {
        errs.add("text", format!("must be at most {TEXT_MAX} characters"));
    }
    let mut rows: Vec<MediaRow> = Vec::new();
    for (i, id) in media_ids.iter().enumerate() {
        if media_ids[..i].contains(id) {
            errs.add(&format!("media_ids[{i}]"), "is listed twice");
            continue;
        }
        match media::by_id(c.re(), &post.org_id, id).await? {
            Some(m) if m.status.is_unusable() => {
                errs.add(&format!("media_ids[{i}]"), format!("{} could not be processed; upload it again", m.filename))
            }
            Some(m) => rows.push(m),
            None => errs.add(&format!("media_ids[{i}]"), "no such media in this organization"),
        }
    }
    if scheduling && variants.is_empty() {
        errs.add("variants", "choose at least one channel to publish to");
    }
    for (i, v) in variants.iter().enumerate() {
        let field = |f: &str| format!("variants[{i}].{f}");
        if variants[..i].iter().any(|o| o.channel_id == v.channel_id) {
            errs.add(&field("channel_id"), "targets the same channel twice");
            continue;
        }
        let ch = match channel(c.re(), &post.org_id, &v.channel_id).await {
            Ok(ch) => ch,
            Err(_) => {
                errs.add(&field("channel_id"), "no such channel in this organization");
                continue;
            }
        };
        if ch.platform.parse::<sellcast_domain::Platform>().is_ok_and(|p| !p.publishes()) {
            errs.add(
                &field("channel_id"),
                format!("{} is for conversations; posts cannot be published to it", ch.handle),
            );
            continue;
        }
        if ch.status == ChannelStatus::Disconnected {
            errs.add(&field("channel_id"), format!("{} is disconnected; reconnect it or remove it", ch.handle));
            continue;
        }
        if !ch.status.can_target(scheduling) {
            errs.add(
                &field("channel_id"),
                format!("{} needs to be reconnected before posts can be scheduled to it", ch.handle),
            );
        }
        if v.options.as_ref().is_some_and(|o| !o.is_object()) {
            errs.add(&field("options"), "must be an object");
        }
        if v.first_comment.as_ref().is_some_and(|f| f.chars().count() > 10_000) {
            errs.add(&field("first_comment"), "must be at most 10,000 characters");
        }
        let chosen: Vec<&MediaRow> = match &v.media_ids {
            None => rows.iter().collect(),
            Some(ids) => {
                let mut out = Vec::new();
                for id in ids {
                    match rows.iter().find(|m| &m.id == id) {
                        Some(m) => out.push(m),
                        None => errs.add(&field("media_ids"), format!("{id} is not one of the post's media")),
                    }
                }
                out
            }
        };
        let Ok(platform) = ch.platform.parse::<Platform>() else { continue };
        let facts: Vec<MediaFacts<'_>> = chosen.iter().map(|m| facts_of(m, platform)).collect();
        let text = v.text.as_deref().unwrap_or(&post.text);
        let draft = VariantDraft { text, media: &facts, first_comment: v.first_comment.as_deref() };
        for e in rules::validate_variant(platform, &draft) {
            errs.add(&field(&e.field), format!("{}: {}", ch.handle, e.message));
        }
    }
    Ok(errs.into_result()?)
}

/// What the platform will receive: still images go out as the platform's re-encoded copy
/// (JPEG, or PNG where the platform takes it and the image has transparency), GIFs and videos
/// as uploaded.
pub fn facts_of(m: &MediaRow, platform: Platform) -> MediaFacts<'_> {
    let kind = match (m.kind.as_str(), m.mime.as_str()) {
        (_, "image/gif") => MediaKind::Gif,
        ("video", _) => MediaKind::Video,
        _ => MediaKind::Image,
    };
    if kind != MediaKind::Image {
        return MediaFacts { kind, mime: &m.mime, bytes: m.bytes.max(0) as u64 };
    }
    let derived = m.variants.get(platform.as_str());
    let mime = derived.and_then(|v| v.get("mime")?.as_str()).unwrap_or_else(|| {
        let spec = sellcast_media::Variant::For(platform).spec();
        if m.mime == "image/png" && spec.output == sellcast_media::OutputFormat::JpegOrPng {
            "image/png"
        } else {
            "image/jpeg"
        }
    });
    let bytes = derived.and_then(|v| v.get("bytes")?.as_u64()).unwrap_or_else(|| {
        let cap = sellcast_media::Variant::For(platform).spec().max_bytes.unwrap_or(u64::MAX);
        (m.bytes.max(0) as u64).min(cap)
    });
    MediaFacts { kind, mime, bytes }
}
