//! Blobs in an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO, s3s-fs…) through the
//! `object_store` crate, which signs requests with SigV4.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutOptions, PutPayload,
    RetryConfig,
};
use serde::Deserialize;

use super::{validate_key, BlobStore, BlobStream};
use crate::error::MediaError;

/// Connection settings for an S3-compatible bucket. Deserialises from configuration; its
/// `Debug` output hides the secret.
#[derive(Clone, Deserialize)]
pub struct S3Config {
    pub bucket: String,
    #[serde(default = "default_region")]
    pub region: String,
    /// `https://…` of an S3-compatible service; `None` means AWS itself. Requests use
    /// path-style addressing (`endpoint/bucket/key`), which every compatible server supports.
    #[serde(default)]
    pub endpoint: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Allow a plain `http://` endpoint (a server on the same host or network).
    #[serde(default)]
    pub allow_http: bool,
    /// Limit on one request, body included (a 100 MB video must fit in it).
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_region() -> String {
    "us-east-1".to_owned()
}

fn default_timeout_secs() -> u64 {
    120
}

impl S3Config {
    /// A configuration with the defaults for region, HTTPS-only and timeout.
    pub fn new(
        bucket: impl Into<String>,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        S3Config {
            bucket: bucket.into(),
            region: default_region(),
            endpoint: None,
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            allow_http: false,
            timeout_secs: default_timeout_secs(),
        }
    }
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("allow_http", &self.allow_http)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

/// [`BlobStore`] on S3. Every request has a timeout ([`S3Config::timeout_secs`], 10 s to
/// connect) and transient failures are retried a few times within 60 s.
#[derive(Clone)]
pub struct S3BlobStore {
    store: Arc<dyn ObjectStore>,
    bucket: String,
    endpoint: Option<String>,
}

impl fmt::Debug for S3BlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3BlobStore").field("bucket", &self.bucket).field("endpoint", &self.endpoint).finish()
    }
}

impl S3BlobStore {
    /// Builds the client; nothing is sent until the first call.
    pub fn new(config: &S3Config) -> Result<Self, MediaError> {
        let missing = |what: &str| MediaError::Config(format!("S3 {what} is required"));
        if config.bucket.trim().is_empty() {
            return Err(missing("bucket"));
        }
        if config.access_key_id.is_empty() {
            return Err(missing("access key id"));
        }
        if config.secret_access_key.is_empty() {
            return Err(missing("secret access key"));
        }
        if config.timeout_secs == 0 {
            return Err(MediaError::Config("S3 timeout_secs must be at least 1".to_owned()));
        }
        let client_options = ClientOptions::new()
            .with_timeout(Duration::from_secs(config.timeout_secs))
            .with_connect_timeout(Duration::from_secs(10))
            .with_allow_http(config.allow_http);
        let retry =
            RetryConfig { max_retries: 3, retry_timeout: Duration::from_secs(60), backoff: BackoffConfig::default() };
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key)
            .with_allow_http(config.allow_http)
            .with_virtual_hosted_style_request(false)
            .with_client_options(client_options)
            .with_retry(retry);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        let store = builder.build().map_err(|e| MediaError::Config(e.to_string()))?;
        Ok(S3BlobStore { store: Arc::new(store), bucket: config.bucket.clone(), endpoint: config.endpoint.clone() })
    }
}

fn path_of(key: &str) -> Result<Path, MediaError> {
    validate_key(key)?;
    Path::parse(key).map_err(|e| MediaError::InvalidKey { key: key.to_owned(), reason: path_reason(&e) })
}

/// Cannot happen after `validate_key`, which is stricter than `object_store`'s rules.
fn path_reason(_error: &object_store::path::Error) -> &'static str {
    "not a valid object path"
}

fn storage_error(key: &str, error: object_store::Error) -> MediaError {
    match error {
        object_store::Error::NotFound { .. } => MediaError::NotFound { key: key.to_owned() },
        other => MediaError::Storage(other.to_string()),
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), MediaError> {
        let path = path_of(key)?;
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, content_type.to_owned().into());
        let options = PutOptions { attributes, ..PutOptions::default() };
        self.store.put_opts(&path, PutPayload::from(bytes), options).await.map_err(|e| storage_error(key, e))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Bytes, MediaError> {
        let path = path_of(key)?;
        let result = self.store.get(&path).await.map_err(|e| storage_error(key, e))?;
        result.bytes().await.map_err(|e| storage_error(key, e))
    }

    async fn open(&self, key: &str) -> Result<BlobStream, MediaError> {
        let path = path_of(key)?;
        let result = self.store.get(&path).await.map_err(|e| storage_error(key, e))?;
        let content_type = result.attributes.get(&Attribute::ContentType).map(|v| v.as_ref().to_owned());
        let size = result.meta.size;
        let owned_key = key.to_owned();
        let body = result.into_stream().map_err(move |e| storage_error(&owned_key, e)).boxed();
        Ok(BlobStream { size, content_type, body })
    }

    async fn exists(&self, key: &str) -> Result<bool, MediaError> {
        let path = path_of(key)?;
        match self.store.head(&path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(error) => Err(storage_error(key, error)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), MediaError> {
        let path = path_of(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(storage_error(key, error)),
        }
    }

    fn backend(&self) -> &'static str {
        "s3"
    }
}
