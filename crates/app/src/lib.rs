//! Sellcast's use cases, one module per feature. The HTTP API, the web UI and the CLI all
//! call these functions; none of them talks to the database directly.

pub mod accounts;
pub mod audit;
pub mod clients;
pub mod clock;
pub mod config;
pub mod context;
pub mod error;
pub mod invites;
pub mod jobs;
pub mod mail;
pub mod me;
pub mod mfa;
pub mod orgs;
pub mod secrets;
pub mod security;

pub use clock::Clock;
pub use config::Config;
pub use context::{Actor, RequestMeta};
pub use error::{AppError, AppResult};
pub use sellcast_queue as queue;
pub use sellcast_store as store;

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
}

impl App {
    /// Create the data directory, load or generate secrets, connect and migrate.
    pub async fn open(config: Config) -> AppResult<Arc<App>> {
        std::fs::create_dir_all(config.media_dir())
            .map_err(|e| AppError::Internal(format!("creating {}: {e}", config.media_dir().display())))?;
        let secrets = secrets::load_or_create(&config)?;
        let db =
            Db::connect(&DbOptions { url: config.database_url(), max_connections: config.database_max_connections })
                .await
                .map_err(|e| AppError::Internal(format!("connecting to the database: {e}")))?;
        db.migrate().await.map_err(|e| AppError::Internal(format!("migrating the database: {e}")))?;
        let mailer = mail::Mailer::new(config.smtp_url.as_deref(), &config.smtp_from)?;
        Ok(Arc::new(App {
            db,
            jwt: JwtKeys::new(&secrets.jwt_secret),
            secretbox: SecretBox::new(&secrets.active_key, secrets.keys)?,
            clock: Clock::default(),
            mailer,
            queue_metrics: Default::default(),
            config,
        }))
    }
}
