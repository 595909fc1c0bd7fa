//! Where uploaded files and their variants live: a local directory (the default) or an
//! S3-compatible bucket. The database holds each blob's key, type and size; the store only
//! holds bytes.

mod fs;
mod s3;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use serde::Deserialize;

use crate::error::MediaError;

pub use fs::FsBlobStore;
pub use s3::{S3BlobStore, S3Config};

/// A blob read as a stream, for HTTP responses without holding a 100 MB video in memory.
pub struct BlobStream {
    /// Length in bytes (for Content-Length).
    pub size: u64,
    /// The type given at `put`, where the backend keeps it (S3 does, the filesystem does not).
    pub content_type: Option<String>,
    pub body: BoxStream<'static, Result<Bytes, MediaError>>,
}

impl fmt::Debug for BlobStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobStream").field("size", &self.size).field("content_type", &self.content_type).finish()
    }
}

/// Byte storage addressed by key. Keys are relative paths of segments made of ASCII letters,
/// digits, `.`, `_` and `-`, joined by `/` (e.g. `org/01J…/media/01J….jpg`); a segment may not
/// start with `.`, and a key is at most 512 bytes. Every method rejects other keys with
/// [`MediaError::InvalidKey`].
#[async_trait]
pub trait BlobStore: Send + Sync + fmt::Debug {
    /// Stores `bytes` under `key`, replacing what was there. Readers see the old blob or the
    /// new one, never part of one.
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), MediaError>;

    /// The whole blob; [`MediaError::NotFound`] when there is none.
    async fn get(&self, key: &str) -> Result<Bytes, MediaError>;

    /// The blob as a stream of chunks; [`MediaError::NotFound`] when there is none.
    async fn open(&self, key: &str) -> Result<BlobStream, MediaError>;

    async fn exists(&self, key: &str) -> Result<bool, MediaError>;

    /// Removes the blob. Removing a blob that does not exist succeeds (deletes are retried).
    async fn delete(&self, key: &str) -> Result<(), MediaError>;

    /// `fs` or `s3`, for logs and health output.
    fn backend(&self) -> &'static str;
}

/// Which backend to use; deserialises from configuration as
/// `{ backend = "fs", root = "…" }` or `{ backend = "s3", bucket = "…", … }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
pub enum BlobConfig {
    Fs { root: PathBuf },
    S3(S3Config),
}

impl BlobConfig {
    /// Builds the store. The filesystem root is created if missing; S3 is not contacted yet.
    pub fn open(&self) -> Result<Arc<dyn BlobStore>, MediaError> {
        Ok(match self {
            BlobConfig::Fs { root } => Arc::new(FsBlobStore::new(root.clone())?),
            BlobConfig::S3(config) => Arc::new(S3BlobStore::new(config)?),
        })
    }
}

const MAX_KEY_LEN: usize = 512;

/// Checks `key` against the rules on [`BlobStore`]. The same rules for both backends, so a
/// key that works on one works on the other and can never leave the filesystem root.
pub(crate) fn validate_key(key: &str) -> Result<(), MediaError> {
    let reject = |reason| Err(MediaError::InvalidKey { key: key.to_owned(), reason });
    if key.is_empty() {
        return reject("a key cannot be empty");
    }
    if key.len() > MAX_KEY_LEN {
        return reject("a key is at most 512 bytes");
    }
    if key.starts_with('/') {
        return reject("a key is a relative path; it cannot start with `/`");
    }
    for segment in key.split('/') {
        if segment.is_empty() {
            return reject("empty path segment (`//` or a trailing `/`)");
        }
        if segment == "." || segment == ".." {
            return reject("`.` and `..` segments are not allowed");
        }
        // Also keeps keys apart from the store's own `.tmp-…` files.
        if segment.starts_with('.') {
            return reject("a path segment cannot start with `.`");
        }
        if !segment.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
            return reject("only ASCII letters, digits, `.`, `_`, `-` and `/` are allowed");
        }
    }
    Ok(())
}
