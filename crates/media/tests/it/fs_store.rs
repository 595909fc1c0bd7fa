//! The filesystem blob store: round trips, atomic replacement, and keys that cannot escape.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use sellcast_media::{BlobConfig, BlobStore, FsBlobStore, MediaError};

fn store() -> (tempfile::TempDir, FsBlobStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::new(dir.path().join("blobs")).unwrap();
    (dir, store)
}

#[tokio::test]
async fn put_get_exists_delete_round_trip() {
    let (_dir, store) = store();
    let key = "org/01JABC/media/01JDEF.jpg";
    assert!(!store.exists(key).await.unwrap());
    assert!(matches!(store.get(key).await, Err(MediaError::NotFound { .. })));

    store.put(key, Bytes::from_static(b"first version"), "image/jpeg").await.unwrap();
    assert!(store.exists(key).await.unwrap());
    assert_eq!(store.get(key).await.unwrap(), Bytes::from_static(b"first version"));
    assert_eq!(std::fs::read(store.root().join(key)).unwrap(), b"first version");

    // Replacing leaves exactly the new bytes and no temporary file behind.
    store.put(key, Bytes::from_static(b"second"), "image/jpeg").await.unwrap();
    assert_eq!(store.get(key).await.unwrap(), Bytes::from_static(b"second"));
    let dir = store.root().join("org/01JABC/media");
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("01JDEF.jpg")]);

    store.delete(key).await.unwrap();
    assert!(!store.exists(key).await.unwrap());
    assert!(matches!(store.get(key).await, Err(MediaError::NotFound { key: k }) if k == key));
    // Deleting again is fine: deletes get retried.
    store.delete(key).await.unwrap();
}

#[tokio::test]
async fn open_streams_large_blobs_in_chunks() {
    let (_dir, store) = store();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    store.put("video.mp4", Bytes::from(data.clone()), "video/mp4").await.unwrap();
    let stream = store.open("video.mp4").await.unwrap();
    assert_eq!(stream.size, 300_000);
    let chunks: Vec<Bytes> = stream.body.try_collect().await.unwrap();
    assert!(chunks.len() > 1, "streamed in pieces");
    assert_eq!(chunks.concat(), data);
    assert!(matches!(store.open("missing.mp4").await, Err(MediaError::NotFound { .. })));
}

#[tokio::test]
async fn keys_that_could_escape_the_root_are_rejected() {
    let (dir, store) = store();
    std::fs::write(dir.path().join("outside.txt"), b"do not touch").unwrap();
    let bad = [
        "../outside.txt",
        "a/../../outside.txt",
        "a/./b",
        "/etc/passwd",
        "",
        "a//b",
        "a/",
        ".hidden",
        "a/.tmp-123",
        "a\\..\\outside.txt",
        "C:/x",
        "a\0b",
        "spaces are odd",
        "ünïcode",
        "%2e%2e/outside.txt",
    ];
    for key in bad {
        for result in [
            store.put(key, Bytes::from_static(b"x"), "text/plain").await.err(),
            store.get(key).await.err(),
            store.exists(key).await.err(),
            store.delete(key).await.err(),
            store.open(key).await.err(),
        ] {
            assert!(matches!(result, Some(MediaError::InvalidKey { .. })), "{key:?}: {result:?}");
        }
    }
    let too_long = "a".repeat(513);
    assert!(matches!(store.get(&too_long).await, Err(MediaError::InvalidKey { .. })));
    assert_eq!(std::fs::read(dir.path().join("outside.txt")).unwrap(), b"do not touch");
    assert!(!dir.path().join("etc").exists());
}

#[tokio::test]
async fn a_directory_is_not_a_blob() {
    let (_dir, store) = store();
    store.put("a/b.jpg", Bytes::from_static(b"x"), "image/jpeg").await.unwrap();
    assert!(!store.exists("a").await.unwrap());
    assert!(matches!(store.get("a").await, Err(MediaError::NotFound { .. })));
    assert!(matches!(store.get("a/b.jpg/c").await, Err(MediaError::NotFound { .. })));
    store.delete("a").await.unwrap();
    assert!(store.exists("a/b.jpg").await.unwrap());
}

#[tokio::test]
async fn a_failed_write_leaves_the_old_blob_and_no_temp_file() {
    let (_dir, store) = store();
    store.put("x/file.png", Bytes::from_static(b"old"), "image/png").await.unwrap();
    // A directory where the file should go makes the final rename fail.
    std::fs::create_dir_all(store.root().join("x/taken.png/inner")).unwrap();
    let result = store.put("x/taken.png", Bytes::from_static(b"new"), "image/png").await;
    assert!(matches!(result, Err(MediaError::Storage(_))), "{result:?}");
    let names: Vec<String> = std::fs::read_dir(store.root().join("x"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with(".tmp-")), "{names:?}");
    assert_eq!(store.get("x/file.png").await.unwrap(), Bytes::from_static(b"old"));
}

#[tokio::test]
async fn config_picks_the_filesystem_backend() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data/media");
    let config = BlobConfig::Fs { root: root.clone() };
    let store: Arc<dyn BlobStore> = config.open().unwrap();
    assert_eq!(store.backend(), "fs");
    assert!(root.is_dir(), "root created");
    store.put("k.gif", Bytes::from_static(b"GIF89a"), "image/gif").await.unwrap();
    assert_eq!(std::fs::read(root.join("k.gif")).unwrap(), b"GIF89a");
}
