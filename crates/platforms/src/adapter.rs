//! The one trait every network implements, and the values that cross it.

use crate::error::PlatformResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sellcast_domain::Platform;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// An account's credentials, decrypted for the length of one call. Never logged.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Credentials {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The account on the platform: a DID (Bluesky), an account id (Mastodon, X, Threads),
    /// a Page id (Facebook), an Instagram professional account id, a person or organization URN
    /// (LinkedIn).
    pub account_id: String,
    /// The server the account lives on, where that varies: the Mastodon instance, the Bluesky PDS.
    pub server_url: Option<String>,
    /// Anything else the platform needs (e.g. the Page token's user, a LinkedIn author URN).
    #[serde(default)]
    pub extra: serde_json::Value,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("account_id", &self.account_id)
            .field("server_url", &self.server_url)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// New tokens from a code exchange or a refresh. An empty `refresh_token` means "keep the
/// one you have" (never overwrite a stored refresh token with nothing).
#[derive(Clone, Default)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Platform-specific extras to merge into `Credentials::extra`.
    pub extra: serde_json::Value,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet").field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Video,
}

/// One attachment, as the platform should receive it (already resized/stripped).
#[derive(Clone)]
pub struct MediaItem {
    pub kind: MediaKind,
    pub mime: String,
    pub bytes: Arc<Vec<u8>>,
    /// A URL the platform can fetch it from (Meta's APIs take media by URL).
    pub public_url: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub alt_text: Option<String>,
}

impl std::fmt::Debug for MediaItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaItem")
            .field("kind", &self.kind)
            .field("mime", &self.mime)
            .field("bytes", &self.bytes.len())
            .field("public_url", &self.public_url)
            .finish()
    }
}

/// What to publish for one (post, channel) variant.
#[derive(Debug, Clone)]
pub struct PublishRequest {
    pub text: String,
    pub media: Vec<MediaItem>,
    pub first_comment: Option<String>,
    /// Platform options chosen in the composer (e.g. `{"instagram": {"reel": true}}` flattened
    /// to this platform's object).
    pub options: serde_json::Value,
    /// Stable for the variant across attempts: sent where the platform honours one.
    pub idempotency_key: String,
    /// When the first attempt started: lookups after an unknown outcome search from here.
    pub first_attempt_at: DateTime<Utc>,
}

/// A post that exists on the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub platform_post_id: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostMetrics {
    pub likes: Option<u64>,
    pub comments: Option<u64>,
    pub shares: Option<u64>,
    pub impressions: Option<u64>,
    pub reach: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub account_id: String,
    pub handle: String,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
    pub profile_url: Option<String>,
}

/// An account an authorization reaches, ready to become a channel.
#[derive(Debug, Clone)]
pub struct ConnectedAccount {
    pub profile: Profile,
    pub credentials: Credentials,
}

/// How an account is connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectFlow {
    /// Nothing to authorize (the sandbox).
    Instant,
    /// OAuth 2.0 authorization code, with PKCE when `pkce`.
    OAuth2 { pkce: bool },
    /// Mastodon: register an app on the user's instance, then OAuth 2.0 with PKCE.
    InstanceOAuth2,
    /// Bluesky: handle + app password (createSession).
    AppPassword,
}

/// What an adapter can do and the limits it enforces, shown to users and used by validation.
#[derive(Debug, Clone, Serialize)]
pub struct Capabilities {
    pub connect: ConnectFlow,
    pub max_images: u32,
    pub max_videos: u32,
    /// Whether images and videos may be mixed in one post.
    pub mixed_media: bool,
    pub requires_media: bool,
    pub first_comment: bool,
    /// The platform honours an idempotency key on create (Mastodon).
    pub idempotency_key: bool,
    /// A published post can be found again after an unknown outcome.
    pub lookup: bool,
    pub delete: bool,
    pub metrics: bool,
}

impl Capabilities {
    /// What most networks offer, so an adapter states only where it differs: up to
    /// `max_images` images or one video, never mixed, media optional; first comments, lookup
    /// after an unknown outcome, delete and metrics supported; no idempotency key.
    pub fn base(connect: ConnectFlow, max_images: u32) -> Capabilities {
        Capabilities {
            connect,
            max_images,
            max_videos: 1,
            mixed_media: false,
            requires_media: false,
            first_comment: true,
            idempotency_key: false,
            lookup: true,
            delete: true,
            metrics: true,
        }
    }
}

/// The OAuth application Sellcast is registered as on a platform (from configuration, or
/// registered per instance for Mastodon).
#[derive(Clone, Default)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthApp").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

/// The start of an authorization-code flow.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest<'a> {
    pub app: &'a OAuthApp,
    /// The server for instance-based platforms (Mastodon).
    pub server_url: Option<&'a str>,
    pub redirect_uri: &'a str,
    pub state: &'a str,
    /// S256 challenge when the platform supports PKCE.
    pub code_challenge: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct CodeExchange<'a> {
    pub app: &'a OAuthApp,
    pub server_url: Option<&'a str>,
    pub code: &'a str,
    pub redirect_uri: &'a str,
    pub code_verifier: Option<&'a str>,
}

/// One network. Every call has a timeout; errors are classified (see `PlatformError`).
#[async_trait]
pub trait PlatformAdapter: Send + Sync {
    fn platform(&self) -> Platform;

    fn capabilities(&self) -> Capabilities;

    /// Publish; on success the platform's id and URL.
    async fn publish(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Published>;

    /// After an unknown outcome: the post if the platform has it (searched among the
    /// account's posts since `req.first_attempt_at`), None only when it provably does not.
    async fn find_published(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Option<Published>>;

    async fn delete(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<()>;

    async fn metrics(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<PostMetrics>;

    async fn profile(&self, creds: &Credentials) -> PlatformResult<Profile>;

    /// New tokens; `Auth` when the refresh itself is refused (the user must reconnect).
    async fn refresh(&self, app: &OAuthApp, creds: &Credentials) -> PlatformResult<TokenSet>;

    /// The URL to send the user to (OAuth platforms).
    fn authorize_url(&self, _req: &AuthorizeRequest<'_>) -> PlatformResult<String> {
        Err(crate::PlatformError::unsupported("this platform is not connected through OAuth"))
    }

    /// Trade the callback's code for tokens (OAuth platforms).
    async fn exchange_code(&self, _req: &CodeExchange<'_>) -> PlatformResult<TokenSet> {
        Err(crate::PlatformError::unsupported("this platform is not connected through OAuth"))
    }

    /// The accounts an authorization reaches, each ready to become a channel: one for most
    /// platforms (the signed-in user, found through `profile`), one per Page for Facebook,
    /// one per professional account for Instagram.
    async fn accounts(&self, tokens: &TokenSet, server_url: Option<&str>) -> PlatformResult<Vec<ConnectedAccount>> {
        let mut credentials = Credentials {
            access_token: tokens.access_token.clone(),
            refresh_token: tokens.refresh_token.clone(),
            expires_at: tokens.expires_at,
            account_id: String::new(),
            server_url: server_url.map(str::to_string),
            extra: tokens.extra.clone(),
        };
        let profile = self.profile(&credentials).await?;
        credentials.account_id = profile.account_id.clone();
        Ok(vec![ConnectedAccount { profile, credentials }])
    }

    /// Mastodon: register Sellcast as an app on `server_url`.
    async fn register_app(&self, _server_url: &str, _redirect_uri: &str) -> PlatformResult<OAuthApp> {
        Err(crate::PlatformError::unsupported("this platform has no per-server app registration"))
    }

    /// Networks without webhooks (Bluesky, Mastodon, X): what arrived for the account since
    /// `cursor` (None: the first poll — only recent items, not the whole history), oldest
    /// first, with the cursor to store for the next poll.
    async fn poll_inbox(&self, _creds: &Credentials, _cursor: Option<&str>) -> PlatformResult<crate::inbound::Polled> {
        Err(crate::PlatformError::unsupported("this platform delivers its messages by webhook"))
    }

    /// Answer a mention or comment with a post threaded under it (Bluesky, Mastodon, X).
    async fn reply(&self, _creds: &Credentials, _req: &crate::inbound::ReplyRequest) -> PlatformResult<Published> {
        Err(crate::PlatformError::unsupported("replies on this platform go through its messaging API"))
    }

    /// Bluesky: sign in with a handle (or email) and an app password.
    async fn create_session(
        &self,
        _server_url: &str,
        _identifier: &str,
        _password: &str,
    ) -> PlatformResult<Credentials> {
        Err(crate::PlatformError::unsupported("this platform does not sign in with an app password"))
    }
}
