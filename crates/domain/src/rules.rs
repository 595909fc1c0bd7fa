//! What each network accepts in a post, and how it counts: the checks run when a post is saved and
//! when it is scheduled, and the counters the composer shows while typing. Pure functions, no I/O.
//!
//! - [`limits`]: the numbers per platform, each with the documentation it comes from.
//! - [`count`] / [`describe_count`]: a text's length the platform's way (graphemes, X's weighted
//!   length, Mastodon's links-count-23, ...), so the composer's counter matches the server.
//! - [`validate_variant`]: every problem with one variant, as [`FieldError`](crate::FieldError)s
//!   on `text`, `media`, `media[i]` and `first_comment`.

mod counting;
mod limits;
mod tlds;
mod urls;
mod validate;
mod words;
mod x_weight;

use crate::Platform;
use serde::Serialize;

pub use validate::validate_variant;

/// How a platform measures the length of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CountMethod {
    /// Extended grapheme clusters: what a reader sees as one character (Bluesky).
    Graphemes,
    /// twitter-text v3: NFC-normalized, most scripts weigh 1, CJK and others 2, an emoji sequence
    /// 2, every link 23.
    XWeighted,
    /// Graphemes after every `http(s)://` link becomes 23 characters and every remote mention
    /// `@user@domain` becomes `@user` (Mastodon's `StatusLengthValidator`).
    MastodonGraphemes,
    /// Unicode scalar values, except that an emoji counts as its UTF-8 bytes (Threads).
    CharsWithEmojiBytes,
    /// Unicode scalar values (code points).
    Chars,
}

/// Whether a file is a still image, an animated GIF or a video. Decided from the file's bytes by
/// the media pipeline; GIFs are apart because some networks treat them like videos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Video,
    Gif,
}

impl MediaKind {
    fn noun(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::Gif => "GIF",
        }
    }
}

/// What validation needs to know about one attached file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaFacts<'a> {
    pub kind: MediaKind,
    /// The MIME type found from the file's magic bytes, e.g. `image/jpeg`.
    pub mime: &'a str,
    pub bytes: u64,
}

/// One variant of a post as it would be published to one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariantDraft<'a> {
    pub text: &'a str,
    /// In publishing order.
    pub media: &'a [MediaFacts<'a>],
    pub first_comment: Option<&'a str>,
}

/// What one platform accepts in a post. See [`limits`] for the values and their sources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlatformLimits {
    pub platform: Platform,
    /// The most a text may count, measured with `count_method`.
    pub max_chars: usize,
    pub count_method: CountMethod,
    /// `#hashtags` allowed in the text (Instagram).
    pub max_hashtags: Option<usize>,
    /// `@mentions` allowed in the text (Instagram).
    pub max_mentions: Option<usize>,
    /// Distinct links allowed in the text (Threads).
    pub max_links: Option<usize>,
    /// Files of any kind in one post.
    pub max_attachments: usize,
    /// Still images in one post (GIFs count here unless `gif_alone`).
    pub max_images: usize,
    pub max_videos: usize,
    /// Whether images and videos may be combined in one post.
    pub mixed_media: bool,
    /// A GIF must be the post's only file (X).
    pub gif_alone: bool,
    /// A post without an image or video is refused (Instagram).
    pub requires_media: bool,
    /// Sellcast can add a first comment under the published post.
    pub first_comment: bool,
    /// Accepted MIME types for images and GIFs.
    pub image_mimes: &'static [&'static str],
    pub video_mimes: &'static [&'static str],
    /// Largest image file, where the platform documents one.
    pub max_image_bytes: Option<u64>,
    /// Largest GIF file when it differs from `max_image_bytes`.
    pub max_gif_bytes: Option<u64>,
    pub max_video_bytes: Option<u64>,
}

/// What `platform` accepts in a post.
pub fn limits(platform: Platform) -> &'static PlatformLimits {
    limits::of(platform)
}

/// `text`'s length as `platform` counts it, to compare with `limits(platform).max_chars`.
pub fn count(platform: Platform, text: &str) -> usize {
    count_with(limits(platform).count_method, text)
}

/// How `platform` counts, in words, for the composer's counter tooltip.
pub fn describe_count(platform: Platform) -> &'static str {
    match limits(platform).count_method {
        CountMethod::Graphemes => "graphemes: each character as a reader sees it counts 1, an emoji or a flag included",
        CountMethod::XWeighted => {
            "weighted characters: Latin letters, digits and punctuation count 1; CJK, emoji and other \
             scripts count 2; every link counts 23"
        }
        CountMethod::MastodonGraphemes => {
            "characters as a reader sees them; every link counts 23 and a mention of another server's \
             user counts only as @username"
        }
        CountMethod::CharsWithEmojiBytes => "characters; each emoji counts as its UTF-8 bytes (usually 4 or more)",
        CountMethod::Chars => "characters (Unicode code points)",
    }
}

fn count_with(method: CountMethod, text: &str) -> usize {
    match method {
        CountMethod::Graphemes => counting::graphemes(text),
        CountMethod::XWeighted => x_weight::weighted_length(text),
        CountMethod::MastodonGraphemes => counting::mastodon_length(text),
        CountMethod::CharsWithEmojiBytes => counting::chars_with_emoji_bytes(text),
        CountMethod::Chars => text.chars().count(),
    }
}

/// The number of `#hashtags` in `text`: `#` then letters, digits, marks or `_`, not glued to a
/// preceding word.
pub fn hashtag_count(text: &str) -> usize {
    counting::tag_count(text, '#')
}

/// The number of `@mentions` in `text` (`@` then letters, digits, `.` or `_`).
pub fn mention_count(text: &str) -> usize {
    counting::tag_count(text, '@')
}

/// The distinct links in `text`, with or without `https://` (as X and Threads find them).
pub fn link_count(text: &str) -> usize {
    let mut found: Vec<&str> = urls::find(text, true).into_iter().filter_map(|r| text.get(r)).collect();
    found.sort_unstable();
    found.dedup();
    found.len()
}
