//! Upload size limits per kind of media.

use serde::{Deserialize, Serialize};

use crate::error::MediaError;
use crate::sniff::{MediaKind, MediaType};

const MB: u64 = 1024 * 1024;

/// Largest accepted upload per kind. The defaults are seed 000's: images 10 MB, videos 100 MB
/// (binary megabytes: 10,485,760 and 104,857,600 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MediaLimits {
    pub max_image_bytes: u64,
    pub max_video_bytes: u64,
}

impl Default for MediaLimits {
    fn default() -> Self {
        MediaLimits { max_image_bytes: 10 * MB, max_video_bytes: 100 * MB }
    }
}

impl MediaLimits {
    /// The limit that applies to `kind`.
    pub fn max_bytes(&self, kind: MediaKind) -> u64 {
        match kind {
            MediaKind::Image => self.max_image_bytes,
            MediaKind::Video => self.max_video_bytes,
        }
    }
}

/// Checks an upload of `bytes_len` bytes whose content was sniffed as `media_type`.
/// Exactly the limit is allowed; one byte more is [`MediaError::TooLarge`]; nothing is [`MediaError::Empty`].
pub fn validate(bytes_len: u64, media_type: MediaType, limits: &MediaLimits) -> Result<(), MediaError> {
    if bytes_len == 0 {
        return Err(MediaError::Empty);
    }
    let kind = media_type.kind();
    let max = limits.max_bytes(kind);
    if bytes_len > max {
        return Err(MediaError::TooLarge { kind, size: bytes_len, max });
    }
    Ok(())
}
