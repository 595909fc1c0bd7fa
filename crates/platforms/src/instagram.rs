//! Instagram professional accounts through the Graph API with Facebook Login
//! (docs/platforms/instagram.md).
//!
//! Connect: Facebook Login → long-lived user token → `GET /me/accounts` with
//! `instagram_business_account{…}` → one channel per linked Instagram account (the account id
//! is the IG user id; the token is the long-lived user token, about 60 days).
//!
//! Publish (https://developers.facebook.com/docs/instagram-platform/content-publishing):
//! `POST /{ig-user-id}/media` (a container) → poll `GET /{container-id}?fields=status_code` until
//! FINISHED → `POST /{ig-user-id}/media_publish {creation_id}`. Carousels: child containers with
//! `is_carousel_item=true`, then a `CAROUSEL` container with `children`. Reels: `media_type=REELS`.
//! The 24-hour publishing cap is checked first with `GET /{ig-user-id}/content_publishing_limit`.

mod publish;

use crate::adapter::{
    AuthorizeRequest, Capabilities, CodeExchange, ConnectFlow, ConnectedAccount, Credentials, OAuthApp,
    PlatformAdapter, PostMetrics, Profile, PublishRequest, Published, TokenSet,
};
use crate::client::HttpClient;
use crate::error::{PlatformError, PlatformResult};
use crate::facebook::list_pages;
use crate::meta::{self, find_in_listing, graph_get, login, node_id, ContainerPolling, ListingSearch, MetaConfig};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sellcast_domain::Platform;
use serde::Deserialize;
use serde_json::Value;

/// Permissions asked for: read the account, publish, comment (first comment), find the Pages
/// the accounts are linked to, and reach accounts owned through a Business Manager.
pub const SCOPES: [&str; 6] = [
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_comments",
    "pages_show_list",
    "pages_read_engagement",
    "business_management",
];

/// Caption limits (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media).
pub const MAX_CAPTION_CHARS: usize = 2200;
pub const MAX_HASHTAGS: usize = 30;
/// Carousel items (https://developers.facebook.com/docs/instagram-platform/content-publishing#carousel-posts).
pub const MAX_CAROUSEL_ITEMS: usize = 10;

/// Issue rule: refresh a long-lived token once it is older than 24 h and within 7 days of expiry.
/// An expired token cannot be refreshed (the user must reconnect).
pub fn needs_refresh(issued_at: DateTime<Utc>, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let old_enough = now - issued_at >= chrono::Duration::hours(24);
    let close_to_expiry = expires_at - now <= chrono::Duration::days(7);
    old_enough && close_to_expiry && now < expires_at
}

/// `needs_refresh` for stored credentials: `issued_at` from `extra` (set at exchange and
/// refresh), else assumed to be 60 days before expiry.
pub fn credentials_need_refresh(creds: &Credentials, now: DateTime<Utc>) -> bool {
    let Some(expires_at) = creds.expires_at else { return false };
    let issued_at = creds
        .extra
        .get("issued_at")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| expires_at - chrono::Duration::days(login::LONG_LIVED_TOKEN_DAYS));
    needs_refresh(issued_at, expires_at, now)
}

pub struct InstagramAdapter {
    http: HttpClient,
    config: MetaConfig,
    polling: ContainerPolling,
}

impl InstagramAdapter {
    pub fn new(http: HttpClient, config: MetaConfig) -> Self {
        InstagramAdapter { http, config, polling: ContainerPolling::default() }
    }

    /// How often and how long to wait for containers (tests use a few milliseconds).
    pub fn with_container_polling(mut self, polling: ContainerPolling) -> Self {
        self.polling = polling;
        self
    }
}

#[derive(Debug, Deserialize)]
struct IgUser {
    id: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    profile_picture_url: Option<String>,
}

fn ig_profile(user: IgUser) -> Profile {
    Profile {
        handle: user.username.clone().unwrap_or_else(|| user.id.clone()),
        profile_url: user.username.as_ref().map(|u| format!("https://www.instagram.com/{u}/")),
        display_name: user.name.or_else(|| user.username.clone()),
        avatar_url: user.profile_picture_url,
        account_id: user.id,
    }
}

#[async_trait]
impl PlatformAdapter for InstagramAdapter {
    fn platform(&self) -> Platform {
        Platform::Instagram
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_videos: MAX_CAROUSEL_ITEMS as u32,
            mixed_media: true,
            requires_media: true,
            // The Instagram Graph API offers no delete for published feed media.
            delete: false,
            ..Capabilities::base(ConnectFlow::OAuth2 { pkce: false }, MAX_CAROUSEL_ITEMS as u32)
        }
    }

    async fn publish(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Published> {
        publish::publish(&self.http, &self.config, self.polling, creds, req).await
    }

    async fn find_published(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Option<Published>> {
        let ig = node_id(&creds.account_id)?;
        let search = ListingSearch {
            url: self.config.graph(&format!("{ig}/media")),
            fields: "id,caption,timestamp,permalink",
            text_field: "caption",
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

    async fn delete(&self, _creds: &Credentials, _platform_post_id: &str) -> PlatformResult<()> {
        Err(PlatformError::unsupported(
            "Instagram's API does not allow deleting published posts: delete it in the Instagram app",
        ))
    }

    async fn metrics(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<PostMetrics> {
        let id = node_id(platform_post_id)?;
        let v: Value = graph_get(
            &self.http,
            &self.config.graph(id),
            &creds.access_token,
            &[("fields", "like_count,comments_count")],
        )
        .await?;
        Ok(PostMetrics {
            likes: v.get("like_count").and_then(Value::as_u64),
            comments: v.get("comments_count").and_then(Value::as_u64),
            ..PostMetrics::default()
        })
    }

    async fn profile(&self, creds: &Credentials) -> PlatformResult<Profile> {
        let ig = node_id(&creds.account_id)?;
        let user: IgUser = graph_get(
            &self.http,
            &self.config.graph(ig),
            &creds.access_token,
            &[("fields", "id,username,name,profile_picture_url")],
        )
        .await?;
        Ok(ig_profile(user))
    }

    /// With Facebook Login the long-lived user token is renewed by exchanging it again
    /// (`grant_type=fb_exchange_token`); `Auth` when it has expired or was revoked.
    async fn refresh(&self, app: &OAuthApp, creds: &Credentials) -> PlatformResult<TokenSet> {
        login::exchange_for_long_lived(&self.http, &self.config, app, &creds.access_token).await
    }

    fn authorize_url(&self, req: &AuthorizeRequest<'_>) -> PlatformResult<String> {
        login::dialog_url(&self.config, req, &SCOPES)
    }

    async fn exchange_code(&self, req: &CodeExchange<'_>) -> PlatformResult<TokenSet> {
        login::exchange_code(&self.http, &self.config, req).await
    }

    /// One account per Instagram professional account linked to a Page the user granted.
    async fn accounts(&self, tokens: &TokenSet, _server_url: Option<&str>) -> PlatformResult<Vec<ConnectedAccount>> {
        let fields = "id,name,access_token,instagram_business_account{id,username,profile_picture_url}";
        let pages = list_pages(&self.http, &self.config, &tokens.access_token, fields).await?;
        let mut accounts = Vec::new();
        for page in pages {
            let Some(linked) = page.get("instagram_business_account") else { continue };
            let Ok(user) = serde_json::from_value::<IgUser>(linked.clone()) else { continue };
            let mut extra = if tokens.extra.is_object() { tokens.extra.clone() } else { serde_json::json!({}) };
            extra["page_id"] = page.get("id").cloned().unwrap_or(Value::Null);
            accounts.push(ConnectedAccount {
                credentials: Credentials {
                    access_token: tokens.access_token.clone(),
                    refresh_token: None,
                    expires_at: tokens.expires_at,
                    account_id: user.id.clone(),
                    server_url: None,
                    extra,
                },
                profile: ig_profile(user),
            });
        }
        Ok(accounts)
    }
}
