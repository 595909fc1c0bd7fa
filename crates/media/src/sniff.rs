//! File type from magic bytes only: the name and the client's Content-Type are never trusted.
//!
//! A small table rather than a general-purpose crate: Sellcast accepts exactly six types, and
//! the MP4/MOV split and the rejection of look-alikes (HEIC, AVIF, M4A and 3GP share the ISO
//! media container) need rules of their own.

use std::fmt;

/// Image or video: decides the size limit and what processing applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Image,
    Video,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
        }
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One of the accepted media types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    Jpeg,
    Png,
    Webp,
    Gif,
    Mp4,
    /// QuickTime movie (what iPhones record).
    Mov,
}

impl MediaType {
    pub const ALL: [MediaType; 6] =
        [MediaType::Jpeg, MediaType::Png, MediaType::Webp, MediaType::Gif, MediaType::Mp4, MediaType::Mov];

    /// The IANA media type, for Content-Type headers and the database.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Webp => "image/webp",
            MediaType::Gif => "image/gif",
            MediaType::Mp4 => "video/mp4",
            MediaType::Mov => "video/quicktime",
        }
    }

    /// The inverse of [`MediaType::mime`] (for reading a stored type back).
    pub fn from_mime(mime: &str) -> Option<MediaType> {
        MediaType::ALL.into_iter().find(|t| t.mime().eq_ignore_ascii_case(mime.trim()))
    }

    pub fn kind(self) -> MediaKind {
        match self {
            MediaType::Jpeg | MediaType::Png | MediaType::Webp | MediaType::Gif => MediaKind::Image,
            MediaType::Mp4 | MediaType::Mov => MediaKind::Video,
        }
    }

    /// A file name extension without the dot, for blob keys and downloads.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
            MediaType::Webp => "webp",
            MediaType::Gif => "gif",
            MediaType::Mp4 => "mp4",
            MediaType::Mov => "mov",
        }
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mime())
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// `ftyp` major brands that mean an MPEG-4 video (ISO base media, MP4 v1/v2, AVC, DASH, iTunes
/// M4V, Sony XAVC). Audio-only (M4A), still images (HEIC, AVIF) and 3GP are not in the list.
const MP4_BRANDS: &[&[u8; 4]] = &[
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9", b"mp41", b"mp42", b"mp71",
    b"avc1", b"dash", b"M4V ", b"M4VH", b"M4VP", b"MSNV", b"mmp4", b"XAVC",
];

/// Top-level atoms that open a classic QuickTime file written without an `ftyp` atom.
const QUICKTIME_FIRST_ATOMS: &[&[u8; 4]] = &[b"moov", b"mdat", b"wide", b"pnot"];

/// The media type decided by the first bytes of `bytes`, or `None` when it is none of the
/// accepted types (including when the header is cut short).
pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(MediaType::Jpeg);
    }
    if bytes.starts_with(PNG_SIGNATURE) {
        return Some(MediaType::Png);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Some(MediaType::Gif);
    }
    if is_webp(bytes) {
        return Some(MediaType::Webp);
    }
    sniff_iso_media(bytes)
}

/// `RIFF <size> WEBP` followed by one of the three WebP chunk kinds.
fn is_webp(bytes: &[u8]) -> bool {
    bytes.len() >= 16
        && &bytes[0..4] == b"RIFF"
        && &bytes[8..12] == b"WEBP"
        && matches!(&bytes[12..16], b"VP8 " | b"VP8L" | b"VP8X")
}

/// MP4 and MOV: both are ISO base media / QuickTime atom files; the `ftyp` major brand tells
/// them apart (`qt  ` is QuickTime), and old QuickTime files start straight with an atom.
fn sniff_iso_media(bytes: &[u8]) -> Option<MediaType> {
    if bytes.len() < 12 {
        return None;
    }
    let box_size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let box_type = &bytes[4..8];
    if box_type == b"ftyp" {
        // size, type, major brand, minor version: an ftyp box shorter than 16 bytes is malformed.
        if box_size < 16 || bytes.len() < 16 {
            return None;
        }
        let major: &[u8] = &bytes[8..12];
        if major == b"qt  " {
            return Some(MediaType::Mov);
        }
        if MP4_BRANDS.iter().any(|brand| major == brand.as_slice()) {
            return Some(MediaType::Mp4);
        }
        return None;
    }
    // size 1 means a 64-bit size follows; otherwise a real atom is at least its 8-byte header.
    let plausible_size = box_size == 1 || box_size >= 8;
    if plausible_size && QUICKTIME_FIRST_ATOMS.iter().any(|atom| box_type == atom.as_slice()) {
        return Some(MediaType::Mov);
    }
    None
}
