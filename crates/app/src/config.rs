//! Configuration: defaults, then an optional TOML file (`SELLCAST_CONFIG`), then `SELLCAST_*`
//! environment variables. Validated once at start; errors name the offending key.

use figment::providers::{Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// SQLite file, media and generated secrets.
    pub data_dir: PathBuf,
    /// Listen address.
    pub bind: String,
    /// External URL for links in email and OAuth callbacks; defaults to http://<bind>.
    pub public_url: Option<String>,
    /// `sqlite://path` or `postgres://…`; defaults to `<data_dir>/sellcast.db`.
    pub database_url: Option<String>,
    pub database_max_connections: u32,
    /// `text` (default) or `json`.
    pub log_format: String,
    /// tracing filter, e.g. `info` or `sellcast=debug`.
    pub log_level: String,
    /// JWT signing secret; generated into the data dir when absent.
    pub jwt_secret: Option<String>,
    /// Base64 32-byte AES key; generated into the data dir when absent.
    pub encryption_key: Option<String>,
    /// e.g. `smtp://user:pass@mail.example.com:587` or `smtps://…`; absent → outbox only.
    pub smtp_url: Option<String>,
    pub smtp_from: String,
    /// Comma-separated origins allowed by CORS (empty: same-origin only).
    pub cors_origins: String,
    pub rate_limit_ip_per_minute: u32,
    pub rate_limit_user_per_minute: u32,
    pub rate_limit_login_per_minute: u32,
    /// Largest JSON body accepted, in bytes.
    pub json_body_limit: usize,
    /// Take the client IP from X-Forwarded-For (only behind a trusted proxy).
    pub trust_proxy: bool,
    /// Allow anyone to register (the first user always can).
    pub registration_open: bool,
    /// Jobs of the default queue run at once per process.
    pub worker_concurrency: u32,
    /// Finished jobs are kept this many days.
    pub jobs_retention_days: u32,
    /// At shutdown, running jobs get this long to finish before they are handed back.
    pub shutdown_grace_secs: u64,
    /// Largest image upload, in bytes (seed 000: 10 MB).
    pub media_max_image_bytes: u64,
    /// Largest video upload, in bytes (seed 000: 100 MB).
    pub media_max_video_bytes: u64,
    /// Store media in this S3 bucket instead of the data directory.
    pub s3_bucket: Option<String>,
    /// S3-compatible endpoint (MinIO, R2); AWS when absent.
    pub s3_endpoint: Option<String>,
    /// S3 region.
    pub s3_region: String,
    /// S3 access key id.
    pub s3_access_key: Option<String>,
    /// S3 secret access key.
    pub s3_secret_key: Option<String>,
    /// Publish jobs run at once per process.
    pub publish_concurrency: u32,
    /// Every platform call gives up after this long.
    pub platform_timeout_secs: u64,
    /// Accept http:// server URLs for Mastodon and Bluesky (local test servers only).
    pub platform_allow_http: bool,
    /// Bluesky PDS used when a handle's server is not given.
    pub bluesky_server: String,
    /// X OAuth 2.0 client id.
    pub x_client_id: Option<String>,
    /// X OAuth 2.0 client secret.
    pub x_client_secret: Option<String>,
    /// X API base URL.
    pub x_api_url: String,
    /// X authorization page.
    pub x_authorize_url: String,
    /// LinkedIn app client id.
    pub linkedin_client_id: Option<String>,
    /// LinkedIn app client secret.
    pub linkedin_client_secret: Option<String>,
    /// LinkedIn API base URL.
    pub linkedin_api_url: String,
    /// LinkedIn OAuth base URL.
    pub linkedin_oauth_url: String,
    /// The `LinkedIn-Version` header (YYYYMM); LinkedIn retires versions after about a year.
    pub linkedin_version: String,
    /// Meta app id (Facebook Pages and Instagram).
    pub meta_app_id: Option<String>,
    /// Meta app secret.
    pub meta_app_secret: Option<String>,
    /// Meta Graph API base URL.
    pub meta_graph_url: String,
    /// Facebook Login dialog.
    pub meta_dialog_url: String,
    /// Threads app id.
    pub threads_app_id: Option<String>,
    /// Threads app secret.
    pub threads_app_secret: Option<String>,
    /// Threads API base URL.
    pub threads_api_url: String,
    /// Threads authorization page.
    pub threads_authorize_url: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./sellcast-data"),
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            database_url: None,
            database_max_connections: 10,
            log_format: "text".into(),
            log_level: "info".into(),
            jwt_secret: None,
            encryption_key: None,
            smtp_url: None,
            smtp_from: "Sellcast <no-reply@localhost>".into(),
            cors_origins: String::new(),
            rate_limit_ip_per_minute: 100,
            rate_limit_user_per_minute: 500,
            rate_limit_login_per_minute: 5,
            json_body_limit: 1024 * 1024,
            trust_proxy: false,
            registration_open: true,
            worker_concurrency: 10,
            jobs_retention_days: 7,
            shutdown_grace_secs: 30,
            media_max_image_bytes: 10 * 1024 * 1024,
            media_max_video_bytes: 100 * 1024 * 1024,
            s3_bucket: None,
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_access_key: None,
            s3_secret_key: None,
            publish_concurrency: 200,
            platform_timeout_secs: 30,
            platform_allow_http: false,
            bluesky_server: "https://bsky.social".into(),
            x_client_id: None,
            x_client_secret: None,
            x_api_url: "https://api.x.com".into(),
            x_authorize_url: "https://x.com/i/oauth2/authorize".into(),
            linkedin_client_id: None,
            linkedin_client_secret: None,
            linkedin_api_url: "https://api.linkedin.com".into(),
            linkedin_oauth_url: "https://www.linkedin.com/oauth/v2".into(),
            linkedin_version: "202609".into(),
            meta_app_id: None,
            meta_app_secret: None,
            meta_graph_url: "https://graph.facebook.com/v21.0".into(),
            meta_dialog_url: "https://www.facebook.com/v21.0/dialog/oauth".into(),
            threads_app_id: None,
            threads_app_secret: None,
            threads_api_url: "https://graph.threads.net/v1.0".into(),
            threads_authorize_url: "https://threads.net/oauth/authorize".into(),
        }
    }
}

const KNOWN_KEYS: &[&str] = &[
    "data_dir",
    "bind",
    "public_url",
    "database_url",
    "database_max_connections",
    "log_format",
    "log_level",
    "jwt_secret",
    "encryption_key",
    "smtp_url",
    "smtp_from",
    "cors_origins",
    "rate_limit_ip_per_minute",
    "rate_limit_user_per_minute",
    "rate_limit_login_per_minute",
    "json_body_limit",
    "trust_proxy",
    "registration_open",
    "worker_concurrency",
    "jobs_retention_days",
    "shutdown_grace_secs",
    "media_max_image_bytes",
    "media_max_video_bytes",
    "s3_bucket",
    "s3_endpoint",
    "s3_region",
    "s3_access_key",
    "s3_secret_key",
    "publish_concurrency",
    "platform_timeout_secs",
    "platform_allow_http",
    "bluesky_server",
    "x_client_id",
    "x_client_secret",
    "x_api_url",
    "x_authorize_url",
    "linkedin_client_id",
    "linkedin_client_secret",
    "linkedin_api_url",
    "linkedin_oauth_url",
    "linkedin_version",
    "meta_app_id",
    "meta_app_secret",
    "meta_graph_url",
    "meta_dialog_url",
    "threads_app_id",
    "threads_app_secret",
    "threads_api_url",
    "threads_authorize_url",
];

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

fn bad(key: &str, why: impl std::fmt::Display) -> ConfigError {
    ConfigError(format!("SELLCAST_{} ({key}): {why}", key.to_uppercase()))
}

impl Config {
    /// Load from the process environment (and the TOML file it names).
    pub fn load() -> Result<Config, ConfigError> {
        Self::load_from(std::env::vars())
    }

    /// Load from the given variables (tests pass their own).
    pub fn load_from(vars: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigError> {
        let vars: Vec<(String, String)> = vars.into_iter().filter(|(k, _)| k.starts_with("SELLCAST_")).collect();
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some((_, path)) = vars.iter().find(|(k, _)| k == "SELLCAST_CONFIG") {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("SELLCAST_CONFIG: cannot read {path}: {e}")))?;
            check_toml_keys(&text, path)?;
            fig = fig.merge(Toml::string(&text));
        }
        let env_pairs: Vec<(String, String)> = vars
            .iter()
            .filter_map(|(k, v)| {
                let key = k.strip_prefix("SELLCAST_")?.to_lowercase();
                KNOWN_KEYS.contains(&key.as_str()).then(|| (key, v.clone()))
            })
            .collect();
        for (key, value) in env_pairs {
            fig = fig.merge(Serialized::default(&key, parse_env_value(&key, &value)?));
        }
        let config: Config = fig.extract().map_err(|e| {
            let key = e.path.join(".");
            ConfigError(format!("SELLCAST_{} ({key}): {}", key.to_uppercase(), e.kind))
        })?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        self.bind
            .parse::<SocketAddr>()
            .map_err(|_| bad("bind", format!("'{}' is not an address like 127.0.0.1:8080", self.bind)))?;
        if let Some(u) = &self.public_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() < 10 {
                return Err(bad("public_url", format!("'{u}' must be an http:// or https:// URL")));
            }
        }
        if let Some(u) = &self.database_url {
            let ok = ["sqlite:", "postgres://", "postgresql://"].iter().any(|p| u.starts_with(p));
            if !ok {
                return Err(bad("database_url", "must start with sqlite:, postgres:// or postgresql://"));
            }
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(bad("log_format", format!("'{}' must be text or json", self.log_format)));
        }
        if let Some(s) = &self.jwt_secret {
            if s.len() < 32 {
                return Err(bad("jwt_secret", "must be at least 32 characters"));
            }
        }
        if let Some(k) = &self.encryption_key {
            crate::security::secretbox::decode_key(k).map_err(|why| bad("encryption_key", why))?;
        }
        if let Some(u) = &self.smtp_url {
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(u)
                .map_err(|_| bad("smtp_url", "must look like smtp://user:pass@host:587 or smtps://host"))?;
        }
        self.smtp_from.parse::<lettre::message::Mailbox>().map_err(|why| bad("smtp_from", why))?;
        for origin in self.cors_origin_list() {
            if !(origin.starts_with("http://") || origin.starts_with("https://")) || origin.ends_with('/') {
                return Err(bad("cors_origins", format!("'{origin}' must be an origin like https://app.example.com")));
            }
        }
        if self.json_body_limit < 1024 {
            return Err(bad("json_body_limit", "must be at least 1024 bytes"));
        }
        if self.worker_concurrency == 0 || self.worker_concurrency > 1000 {
            return Err(bad("worker_concurrency", "must be between 1 and 1000"));
        }
        if self.jobs_retention_days == 0 {
            return Err(bad("jobs_retention_days", "must be at least 1"));
        }
        if self.publish_concurrency == 0 || self.publish_concurrency > 1000 {
            return Err(bad("publish_concurrency", "must be between 1 and 1000"));
        }
        if self.platform_timeout_secs == 0 || self.platform_timeout_secs > 600 {
            return Err(bad("platform_timeout_secs", "must be between 1 and 600"));
        }
        if self.media_max_image_bytes < 1024 || self.media_max_video_bytes < 1024 {
            return Err(bad("media_max_image_bytes", "media limits must be at least 1024 bytes"));
        }
        for (key, url) in [
            ("bluesky_server", &self.bluesky_server),
            ("x_api_url", &self.x_api_url),
            ("x_authorize_url", &self.x_authorize_url),
            ("linkedin_api_url", &self.linkedin_api_url),
            ("linkedin_oauth_url", &self.linkedin_oauth_url),
            ("meta_graph_url", &self.meta_graph_url),
            ("meta_dialog_url", &self.meta_dialog_url),
            ("threads_api_url", &self.threads_api_url),
            ("threads_authorize_url", &self.threads_authorize_url),
        ] {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(bad(key, format!("'{url}' must be an http:// or https:// URL")));
            }
        }
        if self.linkedin_version.len() != 6 || !self.linkedin_version.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad("linkedin_version", format!("'{}' must look like 202609 (YYYYMM)", self.linkedin_version)));
        }
        if self.s3_bucket.is_some() && (self.s3_access_key.is_none() || self.s3_secret_key.is_none()) {
            return Err(bad("s3_bucket", "S3 storage needs SELLCAST_S3_ACCESS_KEY and SELLCAST_S3_SECRET_KEY too"));
        }
        if self.database_max_connections == 0 {
            return Err(bad("database_max_connections", "must be at least 1"));
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("sellcast.db").display()))
    }

    pub fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.bind)).trim_end_matches('/').to_string()
    }

    pub fn cors_origin_list(&self) -> Vec<String> {
        self.cors_origins.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
    }

    pub fn media_dir(&self) -> PathBuf {
        self.data_dir.join("media")
    }

    pub fn uses_https(&self) -> bool {
        self.public_url().starts_with("https://")
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

/// Environment values are strings; numbers and booleans are parsed for their keys.
fn parse_env_value(key: &str, value: &str) -> Result<figment::value::Value, ConfigError> {
    use figment::value::Value;
    let numeric = matches!(
        key,
        "database_max_connections"
            | "rate_limit_ip_per_minute"
            | "rate_limit_user_per_minute"
            | "rate_limit_login_per_minute"
            | "json_body_limit"
            | "worker_concurrency"
            | "jobs_retention_days"
            | "shutdown_grace_secs"
            | "media_max_image_bytes"
            | "media_max_video_bytes"
            | "publish_concurrency"
            | "platform_timeout_secs"
    );
    let boolean = matches!(key, "trust_proxy" | "registration_open" | "platform_allow_http");
    if numeric {
        let n: u64 = value.trim().parse().map_err(|_| bad(key, format!("'{value}' is not a whole number")))?;
        return Ok(Value::from(n));
    }
    if boolean {
        return match value.trim().to_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(Value::from(true)),
            "0" | "false" | "no" | "off" => Ok(Value::from(false)),
            _ => Err(bad(key, format!("'{value}' is not true or false"))),
        };
    }
    Ok(Value::from(value.to_string()))
}

fn check_toml_keys(text: &str, path: &str) -> Result<(), ConfigError> {
    let table: toml_table::Table = toml_table::parse(text).map_err(|e| ConfigError(format!("{path}: {e}")))?;
    for key in table {
        if !KNOWN_KEYS.contains(&key.as_str()) {
            return Err(ConfigError(format!("{path}: unknown key '{key}'")));
        }
    }
    Ok(())
}

/// Top-level keys of a TOML document, through figment's own TOML parser.
mod toml_table {
    use figment::providers::{Format, Toml};
    use figment::{Figment, Provider};

    pub type Table = Vec<String>;

    pub fn parse(text: &str) -> Result<Table, String> {
        let fig = Figment::from(Toml::string(text));
        let dict = fig.data().map_err(|e| e.to_string())?;
        Ok(dict.values().flat_map(|d| d.keys().cloned()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_need_nothing() {
        let c = Config::load_from(vars(&[])).unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("./sellcast-data"));
        assert!(c.database_url().starts_with("sqlite://"));
        assert_eq!(c.public_url(), "http://127.0.0.1:8080");
    }

    #[test]
    fn env_overrides_and_errors_name_the_key() {
        let c = Config::load_from(vars(&[("SELLCAST_BIND", "0.0.0.0:9000"), ("SELLCAST_TRUST_PROXY", "yes")])).unwrap();
        assert_eq!(c.bind, "0.0.0.0:9000");
        assert!(c.trust_proxy);
        let e = Config::load_from(vars(&[("SELLCAST_BIND", "nowhere")])).unwrap_err().to_string();
        assert!(e.contains("SELLCAST_BIND"), "{e}");
        let e = Config::load_from(vars(&[("SELLCAST_RATE_LIMIT_IP_PER_MINUTE", "lots")])).unwrap_err().to_string();
        assert!(e.contains("SELLCAST_RATE_LIMIT_IP_PER_MINUTE"), "{e}");
        let e = Config::load_from(vars(&[("SELLCAST_DATABASE_URL", "mysql://x")])).unwrap_err().to_string();
        assert!(e.contains("SELLCAST_DATABASE_URL"), "{e}");
    }

    #[test]
    fn toml_file_is_read_and_unknown_keys_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.toml");
        std::fs::write(&good, "bind = \"127.0.0.1:9999\"\nrate_limit_ip_per_minute = 7\n").unwrap();
        let c = Config::load_from(vars(&[("SELLCAST_CONFIG", good.to_str().unwrap())])).unwrap();
        assert_eq!((c.bind.as_str(), c.rate_limit_ip_per_minute), ("127.0.0.1:9999", 7));
        // the environment wins over the file
        let c = Config::load_from(vars(&[
            ("SELLCAST_CONFIG", good.to_str().unwrap()),
            ("SELLCAST_BIND", "127.0.0.1:1234"),
        ]))
        .unwrap();
        assert_eq!(c.bind, "127.0.0.1:1234");
        let typo = dir.path().join("typo.toml");
        std::fs::write(&typo, "bnd = \"x\"\n").unwrap();
        let e = Config::load_from(vars(&[("SELLCAST_CONFIG", typo.to_str().unwrap())])).unwrap_err().to_string();
        assert!(e.contains("unknown key 'bnd'"), "{e}");
        let wrong_type = dir.path().join("type.toml");
        std::fs::write(&wrong_type, "json_body_limit = \"big\"\n").unwrap();
        let e = Config::load_from(vars(&[("SELLCAST_CONFIG", wrong_type.to_str().unwrap())])).unwrap_err().to_string();
        assert!(e.contains("json_body_limit"), "{e}");
    }
}
