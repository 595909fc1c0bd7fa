//! Configuration: defaults, then an optional TOML file (`SELLCAST_CONFIG`), then `SELLCAST_*`
//! environment variables. Validated once at start; errors name the offending key.

use figment::error::{Actual, Kind};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::{Figment, Provider};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    /// A running job's claim lasts this long without a heartbeat (sent every quarter of it):
    /// how soon another worker takes over the jobs of a worker that died.
    pub job_lease_secs: u64,
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
    /// Compared with `hub.verify_token` when Meta verifies the webhook subscription.
    pub meta_webhook_verify_token: Option<String>,
    /// The Instagram app's secret (Instagram Login apps sign their webhooks with it).
    pub instagram_app_secret: Option<String>,
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
            job_lease_secs: 60,
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
            meta_webhook_verify_token: None,
            instagram_app_secret: None,
            meta_graph_url: "https://graph.facebook.com/v21.0".into(),
            meta_dialog_url: "https://www.facebook.com/v21.0/dialog/oauth".into(),
            threads_app_id: None,
            threads_app_secret: None,
            threads_api_url: "https://graph.threads.net/v1.0".into(),
            threads_authorize_url: "https://threads.net/oauth/authorize".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

fn bad(key: &str, why: impl std::fmt::Display) -> ConfigError {
    ConfigError(format!("{} ({key}): {why}", env_name(key)))
}

/// The environment variable of a configuration key.
fn env_name(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.to_uppercase())
}

const ENV_PREFIX: &str = "SELLCAST_";

/// `SELLCAST_*` variables that are not configuration keys but are read by the CLI itself.
const CLI_VARIABLES: &[&str] = &[
    "SELLCAST_CONFIG",
    // tracing filter that overrides `log_level` (crates/cli/src/logging.rs)
    "SELLCAST_LOG",
    // passwords of `sellcast admin` and `sellcast seed --demo`, kept out of shell history
    "SELLCAST_ADMIN_PASSWORD",
    "SELLCAST_DEMO_PASSWORD",
];

/// Prefixes of the test suites' and benchmarks' own variables: their processes start the
/// real binary with the environment they were given.
const HARNESS_PREFIXES: &[&str] = &["SELLCAST_TEST_", "SELLCAST_BENCH_"];

impl Config {
    /// Load from the process environment and the TOML file that `SELLCAST_CONFIG` names.
    pub fn load() -> Result<Config, ConfigError> {
        let env = Env::prefixed(ENV_PREFIX).filter(|key| {
            let name = env_name(key.as_str());
            !CLI_VARIABLES.contains(&name.as_str()) && !HARNESS_PREFIXES.iter().any(|p| name.starts_with(p))
        });
        let defaults = Figment::from(Serialized::defaults(Config::default()));
        let known = known_keys(&defaults)?;
        let mut fig = defaults;
        if let Some(path) = Env::var("SELLCAST_CONFIG") {
            // `file_exact`: a named file that is missing is an error, not an empty file
            // (`Toml::file` would also search the parent directories).
            fig = fig.merge(Toml::file_exact(path));
        }
        // Values stay strings here; `extract_lossy` reads numbers and booleans (true/false,
        // yes/no, on/off, 1/0) where the field wants them, so `SELLCAST_META_APP_ID=1234`
        // remains the string it is (figment's `Env` would make it a number).
        for (key, value) in env.iter() {
            if !known.iter().any(|k| k == key.as_str()) {
                return Err(ConfigError(format!(
                    "{} is not a setting; did you mean {}?",
                    env_name(key.as_str()),
                    env_name(closest(key.as_str(), &known))
                )));
            }
            fig = fig.merge(Serialized::default(key.as_str(), value));
        }
        let config: Config = fig.extract_lossy().map_err(explain)?;
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
        if !(8..=3600).contains(&self.job_lease_secs) {
            return Err(bad("job_lease_secs", "must be between 8 and 3600"));
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

/// Every key of `Config`, read from the struct's own serialization (`None` fields included).
fn known_keys(defaults: &Figment) -> Result<Vec<String>, ConfigError> {
    let data = defaults.data().map_err(|e| ConfigError(format!("the defaults do not serialize: {e}")))?;
    Ok(data.values().flat_map(|dict| dict.keys().cloned()).collect())
}

/// The known key nearest to `key` by spelling.
fn closest<'k>(key: &str, known: &'k [impl AsRef<str>]) -> &'k str {
    known
        .iter()
        .map(AsRef::as_ref)
        .max_by(|a, b| strsim::jaro_winkler(key, a).total_cmp(&strsim::jaro_winkler(key, b)))
        .unwrap_or_default()
}

/// A figment error in the words of this file: the key as its environment variable, the file
/// when the value came from one, and a closest key for an unknown one.
fn explain(e: figment::Error) -> ConfigError {
    let file = e.metadata.as_ref().and_then(|m| m.source.as_ref()).and_then(|s| s.file_path()).map(Path::display);
    let key = e.path.join(".");
    let why = match &e.kind {
        Kind::UnknownField(name, expected) => {
            // The key is the unknown name itself: say it once.
            let why = format!("unknown key '{name}'; did you mean '{}'?", closest(name, expected));
            return ConfigError(match file {
                Some(file) => format!("SELLCAST_CONFIG {file}: {why}"),
                None => why,
            });
        }
        Kind::InvalidType(Actual::Str(value), expected) if expected == "a boolean" => {
            format!("'{value}' is not true or false")
        }
        Kind::InvalidType(Actual::Str(value), expected) if expected.starts_with(['u', 'i']) => {
            format!("'{value}' is not a whole number")
        }
        Kind::InvalidValue(Actual::Signed(n), _) if *n < 0 => format!("{n} must not be negative"),
        Kind::InvalidValue(Actual::Signed(n), _) => format!("{n} is too large"),
        Kind::InvalidValue(Actual::Unsigned(n), _) => format!("{n} is too large"),
        other => other.to_string().trim().to_string(),
    };
    match (file, key.is_empty()) {
        (Some(file), true) => ConfigError(format!("SELLCAST_CONFIG {file}: {why}")),
        (Some(file), false) => ConfigError(format!("SELLCAST_CONFIG {file}: {key}: {why}")),
        (None, true) => ConfigError(why),
        (None, false) => bad(&key, why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::Jail;

    /// `Config::load` with exactly these variables set, in figment's jail: the environment is
    /// emptied first and restored afterwards, the working directory is a fresh temporary one
    /// (where `files` are written), and jails run one at a time.
    // The jail's closure returns figment's own error type, large or not.
    #[allow(clippy::result_large_err)]
    fn load_with(vars: &[(&str, &str)], files: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut result = None;
        Jail::expect_with(|jail| {
            jail.clear_env();
            for (name, text) in files {
                jail.create_file(name, text)?;
            }
            for (k, v) in vars {
                jail.set_env(k, v);
            }
            result = Some(Config::load());
            Ok(())
        });
        result.expect("the jail ran")
    }

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        load_with(vars, &[])
    }

    #[test]
    fn defaults_need_nothing() {
        let c = load(&[]).unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("./sellcast-data"));
        assert!(c.database_url().starts_with("sqlite://"));
        assert_eq!(c.public_url(), "http://127.0.0.1:8080");
    }

    #[test]
    fn env_overrides_and_errors_name_the_key() {
        let c = load(&[("SELLCAST_BIND", "0.0.0.0:9000"), ("SELLCAST_TRUST_PROXY", "yes")]).unwrap();
        assert_eq!(c.bind, "0.0.0.0:9000");
        assert!(c.trust_proxy);
        let e = load(&[("SELLCAST_BIND", "nowhere")]).unwrap_err().to_string();
        assert!(e.contains("SELLCAST_BIND"), "{e}");
        let e = load(&[("SELLCAST_RATE_LIMIT_IP_PER_MINUTE", "lots")]).unwrap_err().to_string();
        assert!(e.contains("SELLCAST_RATE_LIMIT_IP_PER_MINUTE"), "{e}");
        let e = load(&[("SELLCAST_DATABASE_URL", "mysql://x")]).unwrap_err().to_string();
        assert!(e.contains("SELLCAST_DATABASE_URL"), "{e}");
    }

    #[test]
    fn booleans_take_every_usual_spelling_and_nothing_else() {
        for (text, expected) in [
            ("true", true),
            ("yes", true),
            ("1", true),
            ("on", true),
            ("ON", true),
            ("false", false),
            ("no", false),
            ("0", false),
            ("off", false),
        ] {
            let c = load(&[("SELLCAST_REGISTRATION_OPEN", text)]).unwrap();
            assert_eq!(c.registration_open, expected, "{text}");
        }
        let e = load(&[("SELLCAST_TRUST_PROXY", "maybe")]).unwrap_err().to_string();
        assert!(e.contains("SELLCAST_TRUST_PROXY") && e.contains("'maybe' is not true or false"), "{e}");
    }

    #[test]
    fn numbers_are_read_and_a_bad_one_is_named() {
        let c = load(&[("SELLCAST_JSON_BODY_LIMIT", "2048"), ("SELLCAST_SHUTDOWN_GRACE_SECS", " 5 ")]).unwrap();
        assert_eq!((c.json_body_limit, c.shutdown_grace_secs), (2048, 5));
        let e = load(&[("SELLCAST_WORKER_CONCURRENCY", "ten")]).unwrap_err().to_string();
        assert!(e.contains("SELLCAST_WORKER_CONCURRENCY") && e.contains("'ten' is not a whole number"), "{e}");
        let e = load(&[("SELLCAST_JSON_BODY_LIMIT", "-5")]).unwrap_err().to_string();
        assert!(e.contains("SELLCAST_JSON_BODY_LIMIT") && e.contains("-5 must not be negative"), "{e}");
        let e = load(&[("SELLCAST_DATABASE_MAX_CONNECTIONS", "99999999999")]).unwrap_err().to_string();
        assert!(e.contains("SELLCAST_DATABASE_MAX_CONNECTIONS") && e.contains("99999999999 is too large"), "{e}");
    }

    #[test]
    fn a_job_lease_shorter_than_its_heartbeats_can_keep_is_refused() {
        let c = load(&[("SELLCAST_JOB_LEASE_SECS", "15")]).unwrap();
        assert_eq!(c.job_lease_secs, 15);
        for bad in ["3", "7200"] {
            let e = load(&[("SELLCAST_JOB_LEASE_SECS", bad)]).unwrap_err().to_string();
            assert!(e.contains("job_lease_secs") && e.contains("between 8 and 3600"), "{e}");
        }
    }

    #[test]
    fn digits_stay_text_where_the_key_is_text() {
        let c = load(&[("SELLCAST_META_APP_ID", "1234567890"), ("SELLCAST_LINKEDIN_VERSION", "202601")]).unwrap();
        assert_eq!(c.meta_app_id.as_deref(), Some("1234567890"));
        assert_eq!(c.linkedin_version, "202601");
    }

    #[test]
    fn an_unknown_variable_stops_the_start_naming_the_closest_key() {
        let e = load(&[("SELLCAST_BND", "127.0.0.1:9000")]).unwrap_err().to_string();
        assert!(e.contains("SELLCAST_BND") && e.contains("did you mean SELLCAST_BIND?"), "{e}");
        let e = load(&[("SELLCAST_RATE_LIMIT_LOGIN", "3")]).unwrap_err().to_string();
        assert!(e.contains("did you mean SELLCAST_RATE_LIMIT_LOGIN_PER_MINUTE?"), "{e}");
        let e = load(&[("SELLCAST_S3S_FS", "/usr/local/bin/s3s-fs")]).unwrap_err().to_string();
        assert!(e.contains("SELLCAST_S3S_FS"), "the tests' variable moved to SELLCAST_TEST_S3S_FS: {e}");
    }

    #[test]
    fn variables_of_the_cli_and_the_harnesses_are_not_settings() {
        let c = load(&[
            ("SELLCAST_LOG", "sellcast=debug"),
            ("SELLCAST_ADMIN_PASSWORD", "Correct-Horse-7"),
            ("SELLCAST_DEMO_PASSWORD", "Correct-Horse-7"),
            ("SELLCAST_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
            ("SELLCAST_TEST_S3S_FS", "/usr/local/bin/s3s-fs"),
            ("SELLCAST_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
            ("OTHER_PROGRAM_BND", "x"),
        ])
        .unwrap();
        assert_eq!(c.log_level, "info", "SELLCAST_LOG is the CLI's override, not log_level");
    }

    #[test]
    fn every_field_is_a_known_key() {
        let known = known_keys(&Figment::from(Serialized::defaults(Config::default()))).unwrap();
        for key in ["data_dir", "public_url", "smtp_url", "threads_authorize_url", "s3_secret_key"] {
            assert!(known.iter().any(|k| k == key), "{key} missing from {known:?}");
        }
        let vars: Vec<(String, &str)> = known.iter().map(|k| (env_name(k), "")).collect();
        let e = load(&vars.iter().map(|(k, v)| (k.as_str(), *v)).collect::<Vec<_>>()).unwrap_err().to_string();
        assert!(!e.contains("is not a setting"), "every field is accepted from the environment: {e}");
    }

    #[test]
    fn toml_file_is_read_and_unknown_keys_rejected() {
        let good = "bind = \"127.0.0.1:9999\"\nrate_limit_ip_per_minute = 7\n";
        let c = load_with(&[("SELLCAST_CONFIG", "good.toml")], &[("good.toml", good)]).unwrap();
        assert_eq!((c.bind.as_str(), c.rate_limit_ip_per_minute), ("127.0.0.1:9999", 7));
        // the environment wins over the file
        let c =
            load_with(&[("SELLCAST_CONFIG", "good.toml"), ("SELLCAST_BIND", "127.0.0.1:1234")], &[("good.toml", good)])
                .unwrap();
        assert_eq!(c.bind, "127.0.0.1:1234");
        let e =
            load_with(&[("SELLCAST_CONFIG", "typo.toml")], &[("typo.toml", "bnd = \"x\"\n")]).unwrap_err().to_string();
        assert!(
            e.contains("unknown key 'bnd'") && e.contains("did you mean 'bind'?") && e.contains("typo.toml"),
            "{e}"
        );
        let e = load_with(&[("SELLCAST_CONFIG", "type.toml")], &[("type.toml", "json_body_limit = \"big\"\n")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("json_body_limit"), "{e}");
        let e = load(&[("SELLCAST_CONFIG", "missing.toml")]).unwrap_err().to_string();
        assert!(e.contains("SELLCAST_CONFIG missing.toml"), "a named file that is missing stops the start: {e}");
    }
}
