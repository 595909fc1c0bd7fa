//! Blobs as files under one root directory.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::io::AsyncReadExt;

use super::{validate_key, BlobStore, BlobStream};
use crate::error::MediaError;

const READ_CHUNK: usize = 64 * 1024;

/// Stores each blob at `root/<key>`. Writes go to a temporary file in the same directory,
/// are flushed to disk, then renamed over the target: after a crash the key holds the old
/// bytes or the new ones, never a torn file (a stray `.tmp-…` file may remain; keys cannot
/// name it).
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    /// Uses `root`, creating it if needed.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, MediaError> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(|e| io_error("create the blob root", &root, e))?;
        Ok(FsBlobStore { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, key: &str) -> Result<PathBuf, MediaError> {
        validate_key(key)?;
        Ok(self.root.join(key))
    }
}

fn io_error(action: &str, path: &Path, error: io::Error) -> MediaError {
    MediaError::Storage(format!("cannot {action} {}: {error}", path.display()))
}

/// A missing file, or a path where a directory stands for a file or the other way round,
/// all mean "no such blob".
fn is_missing(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::IsADirectory | io::ErrorKind::NotADirectory)
}

fn read_error(key: &str, path: &Path, error: io::Error) -> MediaError {
    if is_missing(&error) {
        MediaError::NotFound { key: key.to_owned() }
    } else {
        io_error("read", path, error)
    }
}

/// The blocking part of `put`: temp file, fsync, rename, fsync of the directory.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), MediaError> {
    let dir = path.parent().ok_or_else(|| MediaError::Storage(format!("{} has no parent", path.display())))?;
    fs::create_dir_all(dir).map_err(|e| io_error("create directory", dir, e))?;
    let temp = dir.join(format!(".tmp-{}", uuid::Uuid::now_v7().simple()));
    let written = (|| -> io::Result<()> {
        let mut file = fs::File::create_new(&temp)?;
        file.write_all(bytes)?;
        // Data on disk before the rename makes it visible.
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)
    })();
    if let Err(error) = written {
        let _ = fs::remove_file(&temp);
        return Err(io_error("write", path, error));
    }
    // Persist the rename itself; not every platform can open a directory, so best effort.
    if let Ok(dir) = fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn put(&self, key: &str, bytes: Bytes, _content_type: &str) -> Result<(), MediaError> {
        let path = self.path_of(key)?;
        tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .map_err(|e| MediaError::Storage(format!("write task failed: {e}")))?
    }

    async fn get(&self, key: &str) -> Result<Bytes, MediaError> {
        let path = self.path_of(key)?;
        tokio::fs::read(&path).await.map(Bytes::from).map_err(|e| read_error(key, &path, e))
    }

    async fn open(&self, key: &str) -> Result<BlobStream, MediaError> {
        let path = self.path_of(key)?;
        let file = tokio::fs::File::open(&path).await.map_err(|e| read_error(key, &path, e))?;
        let metadata = file.metadata().await.map_err(|e| read_error(key, &path, e))?;
        if !metadata.is_file() {
            return Err(MediaError::NotFound { key: key.to_owned() });
        }
        let body = futures_util::stream::unfold(Some((file, path)), |state| async move {
            let (mut file, path) = state?;
            let mut buffer = vec![0u8; READ_CHUNK];
            match file.read(&mut buffer).await {
                Ok(0) => None,
                Ok(n) => {
                    buffer.truncate(n);
                    Some((Ok(Bytes::from(buffer)), Some((file, path))))
                }
                // One error ends the stream.
                Err(error) => Some((Err(io_error("read", &path, error)), None)),
            }
        });
        Ok(BlobStream { size: metadata.len(), content_type: None, body: body.boxed() })
    }

    async fn exists(&self, key: &str) -> Result<bool, MediaError> {
        let path = self.path_of(key)?;
        match tokio::fs::metadata(&path).await {
            Ok(metadata) => Ok(metadata.is_file()),
            Err(error) if is_missing(&error) => Ok(false),
            Err(error) => Err(io_error("inspect", &path, error)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), MediaError> {
        let path = self.path_of(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(error) if is_missing(&error) => Ok(()),
            Err(error) => Err(io_error("delete", &path, error)),
        }
    }

    fn backend(&self) -> &'static str {
        "fs"
    }
}
