//! Threads through the Threads API at graph.threads.net (docs/platforms/threads.md).
//!
//! Connect (https://developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions):
//! authorization window `https://threads.net/oauth/authorize` → `POST /oauth/access_token`
//! (short-lived, with `user_id`) → `GET /access_token?grant_type=th_exchange_token` (60 days);
//! refresh with `GET /refresh_access_token?grant_type=th_refresh_token`.
//!
//! Publish (https://developers.facebook.com/docs/threads/posts): `POST /{user-id}/threads`
//! (a container: TEXT, IMAGE, VIDEO, or CAROUSEL of `is_carousel_item` children) → poll
//! `GET /{container-id}?fields=status,error_message` → `POST /{user-id}/threads_publish`.

mod publish;

use crate::adapter::{
    AuthorizeRequest, Capabilities, CodeExchange, ConnectFlow, Credentials, OAuthApp, PlatformAdapter, PostMetrics,
    Profile, PublishRequest, Published, TokenSet,
};
use crate::client::{self, Effect, HttpClient};
use crate::error::{PlatformError, PlatformResult};
use crate::meta::{
    self, find_in_listing, graph_delete, graph_get, graph_get_public, node_id, ContainerPolling, ListingSearch,
};
use crate::oauth::TokenResponse;
use async_trait::async_trait;
use chrono::Utc;
use sellcast_domain::Platform;
use serde::Deserialize;
use serde_json::Value;

/// Permissions asked for: every call, publishing, the first comment (a reply), metrics, delete.
pub const SCOPES: [&str; 5] =
    ["threads_basic", "threads_content_publish", "threads_manage_replies", "threads_manage_insights", "threads_delete"];

/// Text limit (https://developers.facebook.com/docs/threads/posts#limitations).
pub const MAX_TEXT_CHARS: usize = 500;
/// Carousel items (https://developers.facebook.com/docs/threads/posts#carousel-posts).
pub const MAX_CAROUSEL_ITEMS: usize = 20;

/// Where the Threads API and its authorization window are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadsConfig {
    /// Versioned API base, e.g. `https://graph.threads.net/v1.0`.
    pub api_url: String,
    /// The authorization window, e.g. `https://threads.net/oauth/authorize`.
    pub authorize_url: String,
    /// Unversioned base of the token endpoints (`/oauth/access_token`, `/access_token`,
    /// `/refresh_access_token`), e.g. `https://graph.threads.net`.
    pub token_url: String,
}

impl Default for ThreadsConfig {
    fn default() -> Self {
        ThreadsConfig {
            api_url: "https://graph.threads.net/v1.0".into(),
            authorize_url: "https://threads.net/oauth/authorize".into(),
            token_url: "https://graph.threads.net".into(),
        }
    }
}

impl ThreadsConfig {
    /// Everything on one server (a fake, or a proxy).
    pub fn with_base(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        ThreadsConfig {
            api_url: format!("{base}/v1.0"),
            authorize_url: format!("{base}/oauth/authorize"),
            token_url: base.to_string(),
        }
    }

    pub(crate) fn api(&self, path: &str) -> String {
        format!("{}/{}", self.api_url.trim_end_matches('/'), path.trim_start_matches('/'))
    }

    fn token_endpoint(&self, path: &str) -> String {
        format!("{}/{}", self.token_url.trim_end_matches('/'), path)
    }
}

pub struct ThreadsAdapter {
    http: HttpClient,
    config: ThreadsConfig,
    polling: ContainerPolling,
}

impl ThreadsAdapter {
    pub fn new(http: HttpClient, config: ThreadsConfig) -> Self {
        ThreadsAdapter { http, config, polling: ContainerPolling::default() }
    }

    pub fn with_container_polling(mut self, polling: ContainerPolling) -> Self {
        self.polling = polling;
        self
    }

    /// The account's id, or `me` before it is known.
    fn user(creds: &Credentials) -> PlatformResult<&str> {
        if creds.account_id.is_empty() {
            Ok("me")
        } else {
            node_id(&creds.account_id)
        }
    }

    async fn long_lived(&self, app: &OAuthApp, short_token: &str) -> PlatformResult<TokenResponse> {
        graph_get_public(
            &self.http,
            &self.config.token_endpoint("access_token"),
            &[
                ("grant_type", "th_exchange_token"),
                ("client_secret", app.client_secret.as_str()),
                ("access_token", short_token),
            ],
        )
        .await
    }
}

fn token_set(resp: TokenResponse, user_id: Option<String>) -> TokenSet {
    let now = Utc::now();
    let mut set = resp.into_token_set(now);
    // Threads has no refresh tokens: the long-lived token is refreshed with itself.
    set.refresh_token = None;
    set.extra = serde_json::json!({ "issued_at": now.to_rfc3339() });
    if let Some(id) = user_id {
        set.extra["user_id"] = Value::String(id);
    }
    set
}

/// A metric's value: media insights answer `values: [{value}]`, some `total_value: {value}`.
fn metric(data: &[Value], name: &str) -> Option<u64> {
    let entry = data.iter().find(|m| m.get("name").and_then(Value::as_str) == Some(name))?;
    entry.pointer("/values/0/value").or_else(|| entry.pointer("/total_value/value")).and_then(Value::as_u64)
}

#[derive(Debug, Deserialize)]
struct ThreadsUser {
    id: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    threads_profile_picture_url: Option<String>,
}

#[async_trait]
impl PlatformAdapter for ThreadsAdapter {
    fn platform(&self) -> Platform {
        Platform::Threads
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_videos: MAX_CAROUSEL_ITEMS as u32,
            mixed_media: true,
            ..Capabilities::base(ConnectFlow::OAuth2 { pkce: false }, MAX_CAROUSEL_ITEMS as u32)
        }
    }

    async fn publish(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Published> {
        publish::publish(&self.http, &self.config, self.polling, Self::user(creds)?, &creds.access_token, req).await
    }

    async fn find_published(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Option<Published>> {
        let search = ListingSearch {
            url: self.config.api(&format!("{}/threads", Self::user(creds)?)),
            fields: "id,text,timestamp,permalink",
            text_field: "text",
            time_field: "timestamp",
            text: &req.text,
            since: req.first_attempt_at,
        };
        let found = find_in_listing(&self.http, &creds.access_token, &search).await?;
        Ok(found.and_then(|item| {
            Some(Published {
                platform_post_id: meta::id_string(item.get("id")?)?,
                url: item.get("permalink").and_then(Value::as_str).map(str::to_string),
            })
        }))
    }

    async fn delete(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<()> {
        let id = node_id(platform_post_id)?;
        graph_delete(&self.http, &self.config.api(id), &creds.access_token).await
    }

    async fn metrics(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<PostMetrics> {
        #[derive(Deserialize)]
        struct Insights {
            #[serde(default)]
            data: Vec<Value>,
        }
        let id = node_id(platform_post_id)?;
        let insights: Insights = graph_get(
            &self.http,
            &self.config.api(&format!("{id}/insights")),
            &creds.access_token,
            &[("metric", "views,likes,replies,reposts,quotes")],
        )
        .await?;
        let data = &insights.data;
        let shares = match (metric(data, "reposts"), metric(data, "quotes")) {
            (None, None) => None,
            (r, q) => Some(r.unwrap_or(0) + q.unwrap_or(0)),
        };
        Ok(PostMetrics {
            likes: metric(data, "likes"),
            comments: metric(data, "replies"),
            shares,
            impressions: metric(data, "views"),
            reach: None,
        })
    }

    async fn profile(&self, creds: &Credentials) -> PlatformResult<Profile> {
        let user: ThreadsUser = graph_get(
            &self.http,
            &self.config.api(Self::user(creds)?),
            &creds.access_token,
            &[("fields", "id,username,name,threads_profile_picture_url")],
        )
        .await?;
        Ok(Profile {
            handle: user.username.clone().unwrap_or_else(|| user.id.clone()),
            profile_url: user.username.as_ref().map(|u| format!("https://www.threads.net/@{u}")),
            display_name: user.name.or_else(|| user.username.clone()),
            avatar_url: user.threads_profile_picture_url,
            account_id: user.id,
        })
    }

    async fn refresh(&self, _app: &OAuthApp, creds: &Credentials) -> PlatformResult<TokenSet> {
        let resp: TokenResponse = graph_get_public(
            &self.http,
            &self.config.token_endpoint("refresh_access_token"),
            &[("grant_type", "th_refresh_token"), ("access_token", creds.access_token.as_str())],
        )
        .await?;
        Ok(token_set(resp, None))
    }

    fn authorize_url(&self, req: &AuthorizeRequest<'_>) -> PlatformResult<String> {
        let mut url = url::Url::parse(&self.config.authorize_url)
            .map_err(|e| PlatformError::permanent(None, format!("the Threads authorization URL is invalid: {e}")))?;
        url.query_pairs_mut()
            .append_pair("client_id", &req.app.client_id)
            .append_pair("redirect_uri", req.redirect_uri)
            .append_pair("scope", &SCOPES.join(","))
            .append_pair("response_type", "code")
            .append_pair("state", req.state);
        Ok(url.into())
    }

    /// Code → short-lived token (POST, form) → long-lived token.
    async fn exchange_code(&self, req: &CodeExchange<'_>) -> PlatformResult<TokenSet> {
        #[derive(Deserialize)]
        struct ShortLived {
            access_token: String,
            #[serde(default)]
            user_id: Option<Value>,
        }
        let form = [
            ("client_id", req.app.client_id.as_str()),
            ("client_secret", req.app.client_secret.as_str()),
            ("code", req.code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", req.redirect_uri),
        ];
        let http_req = self.http.inner.post(self.config.token_endpoint("oauth/access_token")).form(&form);
        let resp = client::send(http_req, Effect::Read).await?;
        let short: ShortLived = meta::read(resp, Effect::Read).await?;
        let user_id = short.user_id.as_ref().and_then(meta::id_string);
        let long = self.long_lived(req.app, &short.access_token).await?;
        Ok(token_set(long, user_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_read_both_shapes() {
        let data = vec![
            serde_json::json!({"name": "views", "period": "lifetime", "values": [{"value": 12}]}),
            serde_json::json!({"name": "likes", "total_value": {"value": 3}}),
        ];
        assert_eq!(metric(&data, "views"), Some(12));
        assert_eq!(metric(&data, "likes"), Some(3));
        assert_eq!(metric(&data, "quotes"), None);
    }

    #[test]
    fn config_on_one_base() {
        let c = ThreadsConfig::with_base("http://127.0.0.1:5/");
        assert_eq!(c.api("/me"), "http://127.0.0.1:5/v1.0/me");
        assert_eq!(c.token_endpoint("access_token"), "http://127.0.0.1:5/access_token");
        assert_eq!(c.authorize_url, "http://127.0.0.1:5/oauth/authorize");
    }
}
