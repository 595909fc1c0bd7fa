//! One variant against its platform's rules, every problem reported at once.

use super::{count_with, hashtag_count, limits, link_count, mention_count, CountMethod, MediaFacts, MediaKind};
use super::{PlatformLimits, VariantDraft};
use crate::{FieldError, Platform};

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

/// Everything `platform` would refuse in `draft`. Field names are relative to the variant
/// (`text`, `media`, `media[i]` for one file, `first_comment`): the caller prefixes its own path,
/// e.g. `variants[2].`. Empty when the variant can be published.
pub fn validate_variant(platform: Platform, draft: &VariantDraft<'_>) -> Vec<FieldError> {
    let rules = limits(platform);
    let mut errors = Vec::new();
    check_text(rules, draft, &mut errors);
    check_media(rules, draft.media, &mut errors);
    check_first_comment(rules, draft.first_comment, &mut errors);
    errors
}

fn push(errors: &mut Vec<FieldError>, field: impl Into<String>, message: String) {
    errors.push(FieldError { field: field.into(), message });
}

fn check_text(rules: &PlatformLimits, draft: &VariantDraft<'_>, errors: &mut Vec<FieldError>) {
    let label = rules.platform.label();
    let noun = text_noun(rules.platform);
    if draft.text.trim().is_empty() && draft.media.is_empty() && !rules.requires_media {
        push(errors, "text", format!("{label} needs some text, an image or a video."));
    }
    let length = count_with(rules.count_method, draft.text);
    if length > rules.max_chars {
        push(errors, "text", too_long(rules, noun, length));
    }
    let tag_rules = [
        (rules.max_hashtags, hashtag_count as fn(&str) -> usize, "hashtags"),
        (rules.max_mentions, mention_count, "@mentions"),
        (rules.max_links, link_count, "links"),
    ];
    for (max, counter, what) in tag_rules {
        if let Some(max) = max {
            let found = counter(draft.text);
            if found > max {
                push(errors, "text", format!("{label} allows {max} {what}; this {noun} has {found}."));
            }
        }
    }
}

/// Instagram calls its text a caption.
fn text_noun(platform: Platform) -> &'static str {
    if platform == Platform::Instagram {
        "caption"
    } else {
        "text"
    }
}

fn too_long(rules: &PlatformLimits, noun: &str, length: usize) -> String {
    let label = rules.platform.label();
    let (max, length) = (thousands(rules.max_chars as u64), thousands(length as u64));
    let how = match rules.count_method {
        CountMethod::XWeighted => {
            return format!("{label} counts this {noun} as {length} of {max} (links count 23 each).")
        }
        CountMethod::Graphemes => "counted as graphemes",
        CountMethod::MastodonGraphemes => "links count 23 each",
        CountMethod::CharsWithEmojiBytes => "each emoji counts as its UTF-8 bytes",
        CountMethod::Chars => "counted as Unicode characters",
    };
    format!("{label} allows {max} characters; this {noun} has {length} ({how}).")
}

fn check_media(rules: &PlatformLimits, media: &[MediaFacts<'_>], errors: &mut Vec<FieldError>) {
    let label = rules.platform.label();
    let of = |kind: MediaKind| media.iter().filter(|m| m.kind == kind).count();
    let (gifs, videos) = (of(MediaKind::Gif), of(MediaKind::Video));
    // A GIF counts with the images, except where it must be alone (X).
    let images = of(MediaKind::Image) + if rules.gif_alone { 0 } else { gifs };
    let too_many = media.len() > rules.max_attachments
        || images > rules.max_images
        || videos > rules.max_videos
        || (!rules.mixed_media && images > 0 && videos > 0)
        || (rules.gif_alone && gifs > 0 && media.len() > 1);
    if too_many {
        push(errors, "media", media_summary(rules));
    }
    if rules.requires_media && media.is_empty() {
        push(errors, "media", format!("{label} needs at least one image or video."));
    }
    for (i, file) in media.iter().enumerate() {
        let field = format!("media[{i}]");
        let (accepted, max_bytes) = match file.kind {
            MediaKind::Image => (rules.image_mimes, rules.max_image_bytes),
            MediaKind::Gif => (rules.image_mimes, rules.max_gif_bytes.or(rules.max_image_bytes)),
            MediaKind::Video => (rules.video_mimes, rules.max_video_bytes),
        };
        if !accepted.iter().any(|a| a.eq_ignore_ascii_case(file.mime)) {
            push(errors, field, format!("{label} does not accept {}.", printable(file.mime)));
            continue;
        }
        if let Some(max) = max_bytes.filter(|&max| file.bytes > max) {
            let noun = file.kind.noun();
            let size = size_over(file.bytes, max);
            push(errors, field, format!("{label} allows {noun}s up to {}; this one is {size}.", human_bytes(max)));
        }
    }
}

/// The platform's media rule in one sentence, e.g. "X allows up to 4 images or 1 video per post;
/// a GIF must be posted alone."
fn media_summary(rules: &PlatformLimits) -> String {
    let label = rules.platform.label();
    let plural = |n: usize, one: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") };
    let mut summary = if rules.mixed_media {
        format!("{label} allows up to {} images and videos per post.", rules.max_attachments)
    } else {
        let images = plural(rules.max_images, "image");
        format!("{label} allows up to {images} or {} per post.", plural(rules.max_videos, "video"))
    };
    if rules.gif_alone {
        summary = format!("{}; a GIF must be posted alone.", summary.trim_end_matches('.'));
    }
    summary
}

fn check_first_comment(rules: &PlatformLimits, comment: Option<&str>, errors: &mut Vec<FieldError>) {
    let Some(comment) = comment.filter(|c| !c.trim().is_empty()) else { return };
    if !rules.first_comment {
        let label = rules.platform.label();
        push(errors, "first_comment", format!("{label} does not support a first comment."));
        return;
    }
    // No platform documents a separate comment limit we could verify: the post's own applies.
    let length = count_with(rules.count_method, comment);
    if length > rules.max_chars {
        push(errors, "first_comment", too_long(rules, "comment", length));
    }
}

/// A MIME type as given, kept short and printable since it ends up in a message.
fn printable(mime: &str) -> String {
    let shown: String = mime.chars().filter(|c| !c.is_control()).take(100).collect();
    if shown.is_empty() {
        "files of unknown type".into()
    } else {
        shown
    }
}

/// `4 MB`, `1 GB`, `100 MB` (decimal when the limit is a round decimal number, as Bluesky's).
fn human_bytes(bytes: u64) -> String {
    let (unit, name) = unit_for(bytes);
    let value = bytes as f64 / unit as f64;
    if divides(unit, bytes) {
        format!("{} {name}", bytes / unit)
    } else {
        format!("{value:.1} {name}")
    }
}

/// A file's size in the limit's unit, or in bytes when rounding would hide that it is over.
fn size_over(bytes: u64, max: u64) -> String {
    let (unit, name) = unit_for(max);
    let tenths = |b: u64| (b as f64 / unit as f64 * 10.0).round();
    if tenths(bytes) > tenths(max) {
        format!("{:.1} {name}", bytes as f64 / unit as f64)
    } else {
        format!("{} bytes", thousands(bytes))
    }
}

fn unit_for(bytes: u64) -> (u64, &'static str) {
    if bytes >= GIB && divides(GIB, bytes) {
        (GIB, "GB")
    } else if divides(1_000_000, bytes) && !divides(MIB, bytes) {
        (1_000_000, "MB")
    } else {
        (MIB, "MB")
    }
}

/// Whether `n` is a whole number of `unit`s.
fn divides(unit: u64, n: u64) -> bool {
    n / unit * unit == n
}

/// `63206` → `63,206`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut groups: Vec<&str> = Vec::new();
    let mut end = digits.len();
    while end > 3 {
        groups.push(&digits[end - 3..end]);
        end -= 3;
    }
    groups.push(&digits[..end]);
    groups.reverse();
    groups.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(280), "280");
        assert_eq!(thousands(63_206), "63,206");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(human_bytes(5 * MIB), "5 MB");
        assert_eq!(human_bytes(1_000_000), "1 MB");
        assert_eq!(human_bytes(GIB), "1 GB");
        assert_eq!(size_over(6 * MIB + MIB / 10, 5 * MIB), "6.1 MB");
        assert_eq!(size_over(5 * MIB + 1, 5 * MIB), "5,242,881 bytes");
        assert_eq!(size_over(1_200_000, 1_000_000), "1.2 MB");
    }
}
