//! The image variants Sellcast derives from an upload: a thumbnail for the UI and one copy
//! per platform that fits what that platform accepts. Sources for every number are in
//! docs/adr/0006-media-storage.md.

use sellcast_domain::Platform;

/// What [`crate::derive`] produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// 320 px box, for lists and the composer.
    Thumbnail,
    /// What gets published to that platform.
    For(Platform),
}

/// Which encodings a variant may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// JPEG, or PNG when the image has transparent pixels.
    JpegOrPng,
    /// Always JPEG; transparency is flattened onto white (Instagram takes JPEG only).
    JpegOnly,
}

/// Size and format constraints of one variant. The image is only ever scaled down, keeping
/// its aspect ratio, until it fits every constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VariantSpec {
    pub max_width: u32,
    pub max_height: u32,
    /// Cap on width × height, for platforms that limit the pixel count rather than the sides.
    pub max_pixels: Option<u64>,
    /// Cap on the encoded size: quality, then dimensions, are reduced until it fits.
    pub max_bytes: Option<u64>,
    pub output: OutputFormat,
}

const MIB: u64 = 1024 * 1024;

impl Variant {
    /// The thumbnail and one variant per platform posts can target.
    pub fn all() -> impl Iterator<Item = Variant> {
        std::iter::once(Variant::Thumbnail).chain(Platform::publishing().map(Variant::For))
    }

    /// A stable name for blob keys and database rows: `thumbnail` or the platform's name.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Thumbnail => "thumbnail",
            Variant::For(platform) => platform.as_str(),
        }
    }

    pub fn spec(self) -> VariantSpec {
        let spec = |max_width, max_height, max_pixels, max_bytes, output| VariantSpec {
            max_width,
            max_height,
            max_pixels,
            max_bytes,
            output,
        };
        use OutputFormat::{JpegOnly, JpegOrPng};
        match self {
            Variant::Thumbnail => spec(320, 320, None, None, JpegOrPng),
            // Publishes into Sellcast itself: a generous web size, no byte cap.
            Variant::For(Platform::Sandbox) => spec(4096, 4096, None, None, JpegOrPng),
            // Lexicon app.bsky.embed.images: blob maxSize 1,000,000 bytes; the app sends ≤ 2000 px.
            Variant::For(Platform::Bluesky) => spec(2000, 2000, None, Some(1_000_000), JpegOrPng),
            // Mastodon keeps originals up to 8,294,400 px (3840×2160); 8 MB was the oldest default
            // upload limit (now 16 MB), so the variant fits any instance left at its defaults.
            Variant::For(Platform::Mastodon) => spec(3840, 3840, Some(8_294_400), Some(8 * MIB), JpegOrPng),
            // X API media: images up to 5 MB; 4096 px is the largest size X serves.
            Variant::For(Platform::X) => spec(4096, 4096, None, Some(5_000_000), JpegOrPng),
            // LinkedIn Images API: under 36,152,320 px; 5 MB per image.
            Variant::For(Platform::Linkedin) => spec(4096, 4096, Some(36_152_319), Some(5_000_000), JpegOrPng),
            // Graph API photo uploads: under 4 MB recommended, PNG over 1 MB looks pixelated, so JPEG.
            Variant::For(Platform::Facebook) => spec(2048, 2048, None, Some(4_000_000), JpegOnly),
            // Instagram content publishing: JPEG only, 8 MB, 1080 px wide in the feed (4:5 → 1350 tall).
            Variant::For(Platform::Instagram) => spec(1080, 1350, None, Some(8_000_000), JpegOnly),
            // Threads: JPEG or PNG, 8 MB, at most 1440 px wide (taller is scaled by Threads).
            Variant::For(Platform::Threads) => spec(1440, 4096, None, Some(8_000_000), JpegOrPng),
            // WhatsApp media messages: images JPEG or PNG up to 5 MB (not made for uploads: it
            // does not publish posts).
            Variant::For(Platform::Whatsapp) => spec(4096, 4096, None, Some(5 * MIB), JpegOrPng),
        }
    }
}
