//! The one error type of this crate. Messages are meant for the person who uploaded the file
//! (validation) or for the operator (storage); none contains a credential.

use crate::sniff::{MediaKind, MediaType};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The bytes are not one of the accepted types (decided by content, not by name).
    #[error("unsupported file type: the content is not JPEG, PNG, WebP, GIF, MP4 or MOV")]
    UnsupportedType,

    #[error("the file is empty")]
    Empty,

    #[error(
        "{kind} is too large: {} bytes ({}); the limit for {kind}s is {} bytes ({})",
        group_digits(*size),
        human_size(*size),
        group_digits(*max),
        human_size(*max)
    )]
    TooLarge { kind: MediaKind, size: u64, max: u64 },

    /// An image operation was asked of something that is not an image.
    #[error("{0} is not an image")]
    NotAnImage(MediaType),

    /// The image header or data could not be decoded (corrupt, truncated, or over the decoding limits).
    #[error("the image could not be read: {0}")]
    InvalidImage(String),

    /// The video container could not be read far enough to find its dimensions.
    #[error("the video could not be read: {0}")]
    InvalidVideo(String),

    /// Even at the lowest quality and a reduced size the image stays over a platform's byte limit.
    #[error("the image cannot be made smaller than {} bytes ({})", group_digits(*max_bytes), human_size(*max_bytes))]
    CannotFit { max_bytes: u64 },

    #[error("invalid blob key {key:?}: {reason}")]
    InvalidKey { key: String, reason: &'static str },

    #[error("blob {key:?} not found")]
    NotFound { key: String },

    /// The backend failed (disk, network, the S3 server). Retrying may help.
    #[error("blob storage error: {0}")]
    Storage(String),

    #[error("invalid blob storage configuration: {0}")]
    Config(String),
}

/// `12345678` → `12,345,678`.
pub(crate) fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    // ASCII digits: every 3-byte chunk is valid UTF-8.
    let mut groups: Vec<&str> = digits.as_bytes().rchunks(3).map(|g| std::str::from_utf8(g).unwrap_or("?")).collect();
    groups.reverse();
    groups.join(",")
}

/// Sizes in the binary units the limits are defined in (1 MB = 1,048,576 bytes).
pub(crate) fn human_size(n: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    if n >= MB {
        let tenths = (n * 10 + MB / 2) / MB;
        format!("{}.{} MB", tenths / 10, tenths % 10)
    } else if n >= KB {
        format!("{} KB", (n + KB / 2) / KB)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1,000");
        assert_eq!(group_digits(10_485_760), "10,485,760");
        assert_eq!(human_size(10 * 1024 * 1024), "10.0 MB");
        assert_eq!(human_size(1_000_000), "977 KB");
        assert_eq!(human_size(512), "512 bytes");
    }
}
