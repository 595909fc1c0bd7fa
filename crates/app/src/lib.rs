//! Sellcast's use cases, one module per feature. The HTTP API, the web UI and the CLI all
//! call these functions; none of them talks to the database directly.

pub mod accounts;
pub mod admin;
pub mod audit;
pub mod authorize;
pub mod calendar;
pub mod channels;
pub mod clients;
pub mod clock;
pub mod config;
pub mod context;
pub mod error;
pub mod events;
pub mod inbox;
pub mod invites;
pub mod jobs;
pub mod mail;
pub mod me;
pub mod media;
pub mod mfa;
pub mod notifications;
pub mod operations;
pub mod orgs;
pub mod platforms;
pub mod posts;
pub mod replay;
pub mod rotation;
pub mod secrets;
pub mod security;
mod user;
pub mod web_session;
pub mod workspace;

pub use clock::Clock;
pub use config::Config;
pub use context::{Actor, RequestMeta};
pub use error::{AppError, AppResult};

use security::secretbox::SecretBox;
use security::tokens::JwtKeys;
use sellcast_store::{Db, DbOptions};
use std::sync::Arc;

/// Everything a use case needs, built once at start.
pub struct App {
    pub db: Db,
    pub config: Config,
    pub clock: Clock,
    pub jwt: JwtKeys,
    pub secretbox: SecretBox,
    pub mailer: mail::Mailer,
    /// Shared by this process's workers and its /metrics.
    pub queue_metrics: Arc<sellcast_queue::metrics::QueueMetrics>,
    pub adapters: sellcast_platforms::Adapters,
    /// The inbox's Graph API calls (WhatsApp, Messenger, Instagram messaging).
    pub graph: platforms::Graph,
    pub blobs: Arc<dyn sellcast_media::BlobStore>,
    /// Signs media links that platforms fetch without signing in.
    pub url_key: Vec<u8>,
    /// Wakes this process's event-stream subscribers.
    pub events: events::Hub,
    /// Writes the attempt marks and results of concurrent publishes together.
    pub publish_commit: posts::publish::GroupCommit,
}

impl App {
    /// Create the data directory, load or generate secrets, connect and migrate.
    pub async fn open(config: Config) -> AppResult<Arc<App>> {
        std::fs::create_dir_all(config.media_dir())
            .map_err(|e| AppError::internal(format!("creating {}: {e}", config.media_dir().display())))?;
        let secrets = secrets::load_or_create(&config)?;
        let db =
            Db::connect(&DbOptions { url: config.database_url(), max_connections: config.database_max_connections })
                .await
                .map_err(|e| AppError::internal_from("connecting to the database", e))?;
        db.migrate().await.map_err(|e| AppError::internal_from("migrating the database", e))?;
        let mailer = mail::Mailer::new(config.smtp_url.as_deref(), &config.smtp_from)?;
        let adapters = platforms::build(&config, &db)?;
        let graph = platforms::graph(&config)?;
        let blobs = blob_config(&config).open().map_err(|e| AppError::internal_from("opening the media store", e))?;
        Ok(Arc::new(App {
            adapters,
            graph,
            blobs,
            url_key: secrets.jwt_secret.clone(),
            db,
            jwt: JwtKeys::new(&secrets.jwt_secret),
            secretbox: SecretBox::new(&secrets.active_key, secrets.keys)?,
            clock: Clock::default(),
            mailer,
            queue_metrics: Default::default(),
            events: Default::default(),
            publish_commit: Default::default(),
            config,
        }))
    }
}

/// The filesystem under the data directory, or S3 when a bucket is configured.
fn blob_config(config: &Config) -> sellcast_media::BlobConfig {
    match &config.s3_bucket {
        Some(bucket) => sellcast_media::BlobConfig::S3(sellcast_media::S3Config {
            bucket: bucket.clone(),
            region: config.s3_region.clone(),
            endpoint: config.s3_endpoint.clone(),
            access_key_id: config.s3_access_key.clone().unwrap_or_default(),
            secret_access_key: config.s3_secret_key.clone().unwrap_or_default(),
            allow_http: config.s3_endpoint.as_deref().is_some_and(|e| e.starts_with("http://")),
            timeout_secs: 300,
        }),
        None => sellcast_media::BlobConfig::Fs { root: config.media_dir() },
    }
}
