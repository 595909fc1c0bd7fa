//! The platform adapters of this process, built from configuration, and the OAuth apps
//! Sellcast is registered as on each platform.

use crate::channels::sandbox::SandboxAdapter;
use crate::config::Config;
use crate::error::{AppError, AppResult};
use sellcast_domain::Platform;
use sellcast_platforms::{
    bluesky, facebook, instagram, linkedin, mastodon, meta, threads, x, Adapters, HttpClient, OAuthApp,
    PlatformAdapter, Timeouts,
};
use sellcast_store::Db;
use std::sync::Arc;
use std::time::Duration;

/// The Graph API client of the inbox's messaging calls (WhatsApp, Messenger, Instagram).
#[derive(Clone)]
pub struct Graph {
    pub http: HttpClient,
    pub meta: meta::MetaConfig,
}

fn http_client(config: &Config) -> AppResult<HttpClient> {
    HttpClient::new(Timeouts {
        connect: Duration::from_secs(config.platform_timeout_secs.min(10)),
        request: Duration::from_secs(config.platform_timeout_secs),
    })
    .map_err(|e| AppError::internal_from("building the platform clients", e))
}

fn meta_config(config: &Config) -> meta::MetaConfig {
    meta::MetaConfig { graph_url: config.meta_graph_url.clone(), dialog_url: config.meta_dialog_url.clone() }
}

pub fn graph(config: &Config) -> AppResult<Graph> {
    Ok(Graph { http: http_client(config)?, meta: meta_config(config) })
}

pub fn build(config: &Config, db: &Db) -> AppResult<Adapters> {
    let http = http_client(config)?;
    let meta_config = meta_config(config);
    let mut adapters = Adapters::default();
    let all: Vec<Arc<dyn PlatformAdapter>> = vec![
        Arc::new(SandboxAdapter { db: db.clone(), public_url: config.public_url() }),
        Arc::new(bluesky::BlueskyAdapter::new(
            http.clone(),
            bluesky::BlueskyConfig { default_server: config.bluesky_server.clone() },
        )),
        Arc::new(mastodon::MastodonAdapter::new(http.clone())),
        Arc::new(x::XAdapter::new(
            http.clone(),
            x::XConfig {
                api_url: config.x_api_url.clone(),
                authorize_url: config.x_authorize_url.clone(),
                upload_url: config.x_api_url.clone(),
            },
        )),
        Arc::new(linkedin::LinkedinAdapter::new(
            http.clone(),
            linkedin::LinkedinConfig {
                api_url: config.linkedin_api_url.clone(),
                oauth_url: config.linkedin_oauth_url.clone(),
                version: config.linkedin_version.clone(),
            },
        )),
        Arc::new(facebook::FacebookAdapter::new(http.clone(), meta_config.clone())),
        Arc::new(instagram::InstagramAdapter::new(http.clone(), meta_config)),
        Arc::new(threads::ThreadsAdapter::new(
            http,
            threads::ThreadsConfig {
                api_url: config.threads_api_url.clone(),
                authorize_url: config.threads_authorize_url.clone(),
                token_url: unversioned(&config.threads_api_url),
            },
        )),
    ];
    for a in all {
        adapters.insert(a);
    }
    Ok(adapters)
}

/// The configured OAuth app for a platform; None for platforms without one (sandbox,
/// Bluesky) and Mastodon, which registers per server.
pub fn configured_app(config: &Config, platform: Platform) -> Option<OAuthApp> {
    let pair = |id: &Option<String>, secret: &Option<String>| match (id, secret) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
            Some(OAuthApp { client_id: id.clone(), client_secret: secret.clone() })
        }
        _ => None,
    };
    match platform {
        Platform::X => pair(&config.x_client_id, &config.x_client_secret),
        Platform::Linkedin => pair(&config.linkedin_client_id, &config.linkedin_client_secret),
        Platform::Facebook | Platform::Instagram => pair(&config.meta_app_id, &config.meta_app_secret),
        Platform::Threads => pair(&config.threads_app_id, &config.threads_app_secret),
        Platform::Sandbox | Platform::Bluesky | Platform::Mastodon | Platform::Whatsapp => None,
    }
}

/// The settings an operator must give before users can connect `platform`.
pub fn missing_settings(platform: Platform) -> &'static str {
    match platform {
        Platform::X => "SELLCAST_X_CLIENT_ID and SELLCAST_X_CLIENT_SECRET",
        Platform::Linkedin => "SELLCAST_LINKEDIN_CLIENT_ID and SELLCAST_LINKEDIN_CLIENT_SECRET",
        Platform::Facebook | Platform::Instagram => "SELLCAST_META_APP_ID and SELLCAST_META_APP_SECRET",
        Platform::Threads => "SELLCAST_THREADS_APP_ID and SELLCAST_THREADS_APP_SECRET",
        _ => "nothing",
    }
}

/// `https://graph.threads.net/v1.0` → `https://graph.threads.net` (the token endpoints are unversioned).
fn unversioned(url: &str) -> String {
    let trimmed = url.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((base, last))
            if last.starts_with('v') && last.len() > 1 && last[1..].chars().all(|c| c.is_ascii_digit() || c == '.') =>
        {
            base.to_string()
        }
        _ => trimmed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn threads_token_base_drops_the_version() {
        assert_eq!(super::unversioned("https://graph.threads.net/v1.0"), "https://graph.threads.net");
        assert_eq!(super::unversioned("http://127.0.0.1:9/v1.0/"), "http://127.0.0.1:9");
        assert_eq!(super::unversioned("http://127.0.0.1:9"), "http://127.0.0.1:9");
    }
}
