//! The numbers, one table per platform, each with the documentation it comes from. Where a page
//! says "MB" without saying which, the binary megabyte is used (the larger reading: a file the
//! platform would take is never refused here).

use super::{CountMethod, PlatformLimits};
use crate::Platform;

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

const JPEG: &str = "image/jpeg";
const PNG: &str = "image/png";
const WEBP: &str = "image/webp";
const GIF: &str = "image/gif";
const MP4: &str = "video/mp4";
const MOV: &str = "video/quicktime";

pub(super) fn of(platform: Platform) -> &'static PlatformLimits {
    match platform {
        Platform::Sandbox => &SANDBOX,
        Platform::Bluesky => &BLUESKY,
        Platform::Mastodon => &MASTODON,
        Platform::X => &X,
        Platform::Linkedin => &LINKEDIN,
        Platform::Facebook => &FACEBOOK,
        Platform::Instagram => &INSTAGRAM,
        Platform::Threads => &THREADS,
        Platform::Whatsapp => &WHATSAPP,
    }
}

/// Sellcast's own channel: generous, so everything can be tried without an account. The media
/// pipeline's own upload limits (10 MB images, 100 MB video, seed 000) still apply before this.
static SANDBOX: PlatformLimits = PlatformLimits {
    platform: Platform::Sandbox,
    max_chars: 10_000,
    count_method: CountMethod::Chars,
    max_hashtags: None,
    max_mentions: None,
    max_links: None,
    max_attachments: 10,
    max_images: 10,
    max_videos: 10,
    mixed_media: true,
    gif_alone: false,
    requires_media: false,
    first_comment: true,
    image_mimes: &[JPEG, PNG, WEBP, GIF],
    video_mimes: &[MP4, MOV],
    max_image_bytes: None,
    max_gif_bytes: None,
    max_video_bytes: None,
};

/// - Text: 300 graphemes (`maxGraphemes: 300`, also `maxLength: 3000` bytes) —
///   <https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/feed/post.json>
/// - Images: at most 4, `accept: image/*`, `maxSize: 1000000` bytes each —
///   <https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/embed/images.json>
/// - Video: one `video/mp4`, `maxSize: 100000000` bytes —
///   <https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/embed/video.json>
/// - A post has one `embed` (a union): images or a video, never both (post.json above).
/// - No first comment: a reply is a separate post (a thread), not a comment.
static BLUESKY: PlatformLimits = PlatformLimits {
    platform: Platform::Bluesky,
    max_chars: 300,
    count_method: CountMethod::Graphemes,
    max_hashtags: None,
    max_mentions: None,
    max_links: None,
    max_attachments: 4,
    max_images: 4,
    max_videos: 1,
    mixed_media: false,
    gif_alone: false,
    requires_media: false,
    first_comment: false,
    image_mimes: &[JPEG, PNG, WEBP, GIF],
    video_mimes: &[MP4],
    max_image_bytes: Some(1_000_000),
    max_gif_bytes: None,
    max_video_bytes: Some(100_000_000),
};

/// - Text: 500 characters, every link counts 23, a remote mention counts only its username —
///   <https://docs.joinmastodon.org/user/posting/#text>; counted in graphemes with links
///   replaced by 23 characters (`URL_PLACEHOLDER_CHARS`) —
///   <https://github.com/mastodon/mastodon/blob/main/app/validators/status_length_validator.rb>.
///   A server can raise 500 (`configuration.statuses.max_characters`); 500 is the default.
/// - Media: at most 4 attachments, and a video (or audio) must be alone
///   (`media_attachments.validations.images_and_video`) —
///   <https://github.com/mastodon/mastodon/blob/main/app/services/post_status_service.rb>;
///   images up to 16 MB, videos and GIFs (transcoded to looping video, which may still sit beside
///   images) up to 99 MB (`IMAGE_LIMIT`, `VIDEO_LIMIT`) —
///   <https://github.com/mastodon/mastodon/blob/main/app/models/media_attachment.rb>,
///   <https://docs.joinmastodon.org/user/posting/#attachments>.
/// - No first comment: a reply is a separate status (a thread).
static MASTODON: PlatformLimits = PlatformLimits {
    platform: Platform::Mastodon,
    max_chars: 500,
    count_method: CountMethod::MastodonGraphemes,
    max_hashtags: None,
    max_mentions: None,
    max_links: None,
    max_attachments: 4,
    max_images: 4,
    max_videos: 1,
    mixed_media: false,
    gif_alone: false,
    requires_media: false,
    first_comment: false,
    image_mimes: &[JPEG, PNG, WEBP, GIF, "image/heic", "image/heif", "image/avif"],
    video_mimes: &[MP4, MOV, "video/webm"],
    max_image_bytes: Some(16 * MIB),
    max_gif_bytes: Some(99 * MIB),
    max_video_bytes: Some(99 * MIB),
};

/// - Text: 280, weighted per twitter-text v3 (`maxWeightedTweetLength: 280`, `scale: 100`,
///   `defaultWeight: 200`, `transformedURLLength: 23`, `emojiParsingEnabled: true`) —
///   <https://docs.x.com/fundamentals/counting-characters>,
///   <https://github.com/twitter/twitter-text/blob/master/config/v3.json>.
/// - Media: up to 4 photos, 1 animated GIF or 1 video in a Post; JPG, PNG, GIF, WEBP images —
///   <https://docs.x.com/x-api/media/quickstart/best-practices>; image 5 MB, GIF 15 MB, video
///   512 MB — <https://docs.x.com/x-api/media/introduction>. MP4 and MOV video.
/// - No first comment: a reply is a separate post (a thread).
static X: PlatformLimits = PlatformLimits {
    platform: Platform::X,
    max_chars: 280,
    count_method: CountMethod::XWeighted,
    max_hashtags: None,
    max_mentions: None,
    max_links: None,
    max_attachments: 4,
    max_images: 4,
    max_videos: 1,
    mixed_media: false,
    gif_alone: true,
    requires_media: false,
    first_comment: false,
    image_mimes: &[JPEG, PNG, WEBP, GIF],
    video_mimes: &[MP4, MOV],
    max_image_bytes: Some(5 * MIB),
    max_gif_bytes: Some(15 * MIB),
    max_video_bytes: Some(512 * MIB),
};

/// - Text (`commentary`): 3,000 characters —
///   <https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api>.
///   LinkedIn does not say how it counts; Unicode code points are used.
/// - Images: 2 to 20 in a multi-image post —
///   <https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/multiimage-post-api>;
///   JPG, GIF and PNG, no byte limit documented (a pixel limit of 36,152,320 instead) —
///   <https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api>.
/// - Video: one MP4, 75 KB to 500 MB —
///   <https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/videos-api>
///   (the 75 KB floor is checked by the adapter: these limits have no minimum size).
///   A post's `content.media` holds one image or one video, so images and a video never mix —
///   <https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api>.
/// - First comment: a comment on the new post through the Comments API —
///   <https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api>.
static LINKEDIN: PlatformLimits = PlatformLimits {
    platform: Platform::Linkedin,
    max_chars: 3_000,
    count_method: CountMethod::Chars,
    max_hashtags: None,
    max_mentions: None,
    max_links: None,
    max_attachments: 20,
    max_images: 20,
    max_videos: 1,
    mixed_media: false,
    gif_alone: false,
    requires_media: false,
    first_comment: true,
    image_mimes: &[JPEG, PNG, GIF],
    video_mimes: &[MP4],
    max_image_bytes: None,
    max_gif_bytes: None,
    max_video_bytes: Some(500 * MIB),
};

/// - Text: 63,206 characters, the figure in Sellcast's issue 4 (Posts); Meta's developer pages
///   give no limit for a Page post's `message`, nor how it is counted: Unicode code points are
///   used.
/// - Photos: JPEG, BMP, PNG, GIF or TIFF, up to 4 MB —
///   <https://developers.facebook.com/docs/graph-api/reference/page/photos/>. Up to 10 photos in
///   one post (`attached_media`, issue 4; Meta documents no maximum), or one video.
/// - Video: up to 10 GB — <https://developers.facebook.com/docs/video-api/guides/publishing>.
/// - First comment: `POST /{post-id}/comments` —
///   <https://developers.facebook.com/docs/graph-api/reference/object/comments/>.
static FACEBOOK: PlatformLimits = PlatformLimits {
    platform: Platform::Facebook,
    max_chars: 63_206,
    count_method: CountMethod::Chars,
    max_hashtags: None,
    max_mentions: None,
    max_links: None,
    max_attachments: 10,
    max_images: 10,
    max_videos: 1,
    mixed_media: false,
    gif_alone: false,
    requires_media: false,
    first_comment: true,
    image_mimes: &[JPEG, PNG, GIF, "image/bmp", "image/tiff"],
    video_mimes: &[MP4, MOV],
    max_image_bytes: Some(4 * MIB),
    max_gif_bytes: None,
    max_video_bytes: Some(10 * GIB),
};

/// - Caption: 2,200 characters, 30 hashtags and 20 @ tags at most; images JPEG only, up to
///   8 MB; reels (every feed video is one) MP4 or MOV up to 300 MB; a carousel holds up to 10
///   images and videos — <https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media>,
///   <https://developers.facebook.com/docs/instagram-platform/content-publishing/>. Every post
///   needs an image or a video.
/// - First comment: `POST /{ig-media-id}/comments` —
///   <https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media/comments>.
static INSTAGRAM: PlatformLimits = PlatformLimits {
    platform: Platform::Instagram,
    max_chars: 2_200,
    count_method: CountMethod::Chars,
    max_hashtags: Some(30),
    max_mentions: Some(20),
    max_links: None,
    max_attachments: 10,
    max_images: 10,
    max_videos: 10,
    mixed_media: true,
    gif_alone: false,
    requires_media: true,
    first_comment: true,
    image_mimes: &[JPEG],
    video_mimes: &[MP4, MOV],
    max_image_bytes: Some(8 * MIB),
    max_gif_bytes: None,
    max_video_bytes: Some(300 * MIB),
};

/// - Text: 500 characters, "emojis are counted as the number of UTF-8 bytes"; a carousel has
///   2 to 20 images or videos or a mix; images JPEG or PNG up to 8 MB; video MOV or MP4 up to
///   1 GB — <https://developers.facebook.com/docs/threads/posts>.
/// - Links: more than 5 distinct links fail (`THREADS_API__LINK_LIMIT_EXCEEDED`) —
///   <https://developers.facebook.com/documentation/threads/create-posts/text-attachments>.
/// - No first comment: a reply is a separate post (a thread).
static THREADS: PlatformLimits = PlatformLimits {
    platform: Platform::Threads,
    max_chars: 500,
    count_method: CountMethod::CharsWithEmojiBytes,
    max_hashtags: None,
    max_mentions: None,
    max_links: Some(5),
    max_attachments: 20,
    max_images: 20,
    max_videos: 20,
    mixed_media: true,
    gif_alone: false,
    requires_media: false,
    first_comment: false,
    image_mimes: &[JPEG, PNG],
    video_mimes: &[MP4, MOV],
    max_image_bytes: Some(8 * MIB),
    max_gif_bytes: None,
    max_video_bytes: Some(GIB),
};

/// WhatsApp does not publish posts; these are the limits of one message a reply sends.
/// - Text: 4,096 characters (`text.body`) —
///   <https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages#text-object>.
/// - Media: one per message; images JPEG or PNG up to 5 MB, video MP4 or 3GPP up to 16 MB —
///   <https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#supported-media-types>.
static WHATSAPP: PlatformLimits = PlatformLimits {
    platform: Platform::Whatsapp,
    max_chars: 4096,
    count_method: CountMethod::Chars,
    max_hashtags: None,
    max_mentions: None,
    max_links: None,
    max_attachments: 1,
    max_images: 1,
    max_videos: 1,
    mixed_media: false,
    gif_alone: false,
    requires_media: false,
    first_comment: false,
    image_mimes: &[JPEG, PNG],
    video_mimes: &[MP4, "video/3gpp"],
    max_image_bytes: Some(5 * MIB),
    max_gif_bytes: None,
    max_video_bytes: Some(16 * MIB),
};
