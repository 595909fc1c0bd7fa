//! The S3 blob store against a real S3 server: s3s-fs from crates.io, which checks SigV4
//! signatures. Install it with `bash .ci/s3s.sh`; these tests fail (not skip) without it.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::TryStreamExt;
use sellcast_media::{BlobConfig, BlobStore, MediaError, S3BlobStore, S3Config};

const ACCESS_KEY: &str = "sellcast-test-access";
const SECRET_KEY: &str = "sellcast-test-secret-0123456789";
const BUCKET: &str = "sellcast-media";

struct S3sFs {
    child: Child,
    endpoint: String,
    _dir: tempfile::TempDir,
}

impl Drop for S3sFs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> PathBuf {
    let path = match std::env::var_os("SELLCAST_TEST_S3S_FS") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.ci/tools/bin/s3s-fs"),
    };
    assert!(
        path.is_file(),
        "s3s-fs not found at {}: run `bash .ci/s3s.sh` to install it (or set SELLCAST_TEST_S3S_FS to its path)",
        path.display()
    );
    path
}

fn start() -> S3sFs {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(BUCKET)).unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = std::fs::File::create(dir.path().join("s3s-fs.log")).unwrap();
    let mut child = Command::new(binary())
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            let log = std::fs::read_to_string(dir.path().join("s3s-fs.log")).unwrap_or_default();
            panic!("s3s-fs exited with {status}: {log}");
        }
        assert!(Instant::now() < deadline, "s3s-fs did not listen on {address} within 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    S3sFs { child, endpoint: format!("http://{address}"), _dir: dir }
}

fn config(server: &S3sFs, secret: &str) -> S3Config {
    let mut config = S3Config::new(BUCKET, ACCESS_KEY, secret);
    config.endpoint = Some(server.endpoint.clone());
    config.allow_http = true;
    config.timeout_secs = 10;
    config
}

#[tokio::test]
async fn put_get_exists_open_delete_against_s3s_fs() {
    let server = start();
    let store = S3BlobStore::new(&config(&server, SECRET_KEY)).unwrap();
    let key = "org/01JABC/media/01JDEF.png";

    assert!(!store.exists(key).await.unwrap());
    assert!(matches!(store.get(key).await, Err(MediaError::NotFound { .. })));

    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    store.put(key, Bytes::from(data.clone()), "image/png").await.unwrap();
    assert!(store.exists(key).await.unwrap());
    assert_eq!(store.get(key).await.unwrap(), data);

    let stream = store.open(key).await.unwrap();
    assert_eq!(stream.size, 200_000);
    assert_eq!(stream.content_type.as_deref(), Some("image/png"));
    let chunks: Vec<Bytes> = stream.body.try_collect().await.unwrap();
    assert_eq!(chunks.concat(), data);

    store.put(key, Bytes::from_static(b"replaced"), "image/png").await.unwrap();
    assert_eq!(store.get(key).await.unwrap(), Bytes::from_static(b"replaced"));

    store.delete(key).await.unwrap();
    assert!(!store.exists(key).await.unwrap());
    assert!(matches!(store.get(key).await, Err(MediaError::NotFound { .. })));
    assert!(matches!(store.open(key).await, Err(MediaError::NotFound { .. })));
    store.delete(key).await.unwrap();
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_the_server_and_not_echoed() {
    let server = start();
    let good = S3BlobStore::new(&config(&server, SECRET_KEY)).unwrap();
    good.put("kept.jpg", Bytes::from_static(b"jpeg"), "image/jpeg").await.unwrap();

    let wrong_secret = "not-the-secret-key-987654321";
    let bad = S3BlobStore::new(&config(&server, wrong_secret)).unwrap();
    for error in [
        bad.put("new.jpg", Bytes::from_static(b"x"), "image/jpeg").await.unwrap_err(),
        bad.get("kept.jpg").await.unwrap_err(),
        bad.delete("kept.jpg").await.unwrap_err(),
    ] {
        assert!(matches!(error, MediaError::Storage(_)), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("403") && message.contains("SignatureDoesNotMatch"), "{message}");
        assert!(!message.contains(wrong_secret) && !message.contains(SECRET_KEY), "{message}");
    }
    assert!(bad.exists("kept.jpg").await.is_err());
    // Nothing the bad client did took effect.
    assert!(good.exists("kept.jpg").await.unwrap());
    assert!(!good.exists("new.jpg").await.unwrap());
}

#[tokio::test]
async fn config_picks_the_s3_backend_and_hides_the_secret() {
    let server = start();
    let json = format!(
        r#"{{"backend":"s3","bucket":"{BUCKET}","endpoint":"{}","access_key_id":"{ACCESS_KEY}","secret_access_key":"{SECRET_KEY}","allow_http":true}}"#,
        server.endpoint
    );
    let config: BlobConfig = serde_json::from_str(&json).unwrap();
    assert!(!format!("{config:?}").contains(SECRET_KEY));
    let store: Arc<dyn BlobStore> = config.open().unwrap();
    assert_eq!(store.backend(), "s3");
    assert!(!format!("{store:?}").contains(SECRET_KEY));
    store.put("via-config.txt", Bytes::from_static(b"ok"), "text/plain").await.unwrap();
    assert_eq!(store.get("via-config.txt").await.unwrap(), Bytes::from_static(b"ok"));
}

#[test]
fn invalid_s3_configuration_is_reported() {
    let mut config = S3Config::new("", ACCESS_KEY, SECRET_KEY);
    assert!(matches!(S3BlobStore::new(&config), Err(MediaError::Config(_))));
    config.bucket = BUCKET.to_owned();
    config.secret_access_key.clear();
    assert!(matches!(S3BlobStore::new(&config), Err(MediaError::Config(_))));
}

#[tokio::test]
async fn keys_are_validated_before_any_request() {
    let server = start();
    let store = S3BlobStore::new(&config(&server, SECRET_KEY)).unwrap();
    for key in ["../escape", "/abs", "a//b", ".hidden", "sp ace"] {
        assert!(matches!(store.get(key).await, Err(MediaError::InvalidKey { .. })), "{key}");
    }
}
