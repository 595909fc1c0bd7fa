//! X (Twitter API v2): OAuth 2.0 authorization code with PKCE for a confidential client,
//! posts through `POST /2/tweets`, media through the v2 media upload endpoints, lookups through
//! the user's timeline, the inbox by polling mentions (`inbox`). Endpoints, limits and error
//! shapes, with sources: docs/platforms/x.md.

mod errors;
mod inbox;
mod lookup;
mod media;

use crate::adapter::{
    AuthorizeRequest, Capabilities, CodeExchange, ConnectFlow, ConnectedAccount, Credentials, OAuthApp,
    PlatformAdapter, PostMetrics, Profile, PublishRequest, Published, TokenSet,
};
use crate::client::{self, Effect, HttpClient};
use crate::error::{PlatformError, PlatformResult};
use crate::inbound::{Polled, ReplyRequest};
use crate::oauth::TokenResponse;
use async_trait::async_trait;
use chrono::Utc;
use reqwest::{RequestBuilder, Response};
use sellcast_domain::Platform;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

pub use errors::is_duplicate_content;

/// The scopes Sellcast asks for: read and write posts, read the profile, upload media, and
/// `offline.access` so X issues a refresh token (access tokens last two hours).
pub const SCOPES: &str = "tweet.read tweet.write users.read offline.access media.write";

/// Where X lives. Tests point these at the fake.
#[derive(Debug, Clone)]
pub struct XConfig {
    /// API base, e.g. `https://api.x.com` (the token endpoint is `{api_url}/2/oauth2/token`).
    pub api_url: String,
    /// The browser page users authorize on.
    pub authorize_url: String,
    /// Base of the media upload endpoints (`{upload_url}/2/media/upload...`).
    pub upload_url: String,
}

impl Default for XConfig {
    fn default() -> Self {
        XConfig {
            api_url: "https://api.x.com".into(),
            authorize_url: "https://x.com/i/oauth2/authorize".into(),
            upload_url: "https://api.x.com".into(),
        }
    }
}

pub struct XAdapter {
    http: HttpClient,
    config: XConfig,
}

/// X wraps every successful answer in `data`.
#[derive(Debug, Deserialize)]
struct Data<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<Value>,
}

#[derive(Debug, Deserialize)]
struct CreatedTweet {
    id: String,
}

#[derive(Debug, Deserialize)]
struct User {
    id: String,
    username: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    profile_image_url: Option<String>,
}

impl XAdapter {
    pub fn new(http: HttpClient, config: XConfig) -> Self {
        let trim = |s: String| s.trim_end_matches('/').to_string();
        let config = XConfig {
            api_url: trim(config.api_url),
            authorize_url: config.authorize_url,
            upload_url: trim(config.upload_url),
        };
        XAdapter { http, config }
    }

    fn api(&self, path: &str) -> String {
        format!("{}{path}", self.config.api_url)
    }

    fn authed(&self, req: RequestBuilder, creds: &Credentials) -> RequestBuilder {
        req.bearer_auth(&creds.access_token)
    }

    /// Send, and turn an error status into a classified error with X's message.
    async fn call(&self, req: RequestBuilder, effect: Effect) -> PlatformResult<Response> {
        let resp = client::send(req, effect).await?;
        if resp.status().is_success() {
            Ok(resp)
        } else {
            Err(errors::from_response(resp).await)
        }
    }

    async fn call_json<T: DeserializeOwned>(&self, req: RequestBuilder, effect: Effect) -> PlatformResult<T> {
        let resp = self.call(req, effect).await?;
        client::json(resp, effect).await
    }

    /// `POST /2/tweets`; a lost answer leaves the outcome unknown.
    async fn create_tweet(&self, creds: &Credentials, body: &Value) -> PlatformResult<String> {
        let req = self.authed(self.http.raw().post(self.api("/2/tweets")), creds).json(body);
        let created: Data<CreatedTweet> = self.call_json(req, Effect::Create).await?;
        match created.data {
            Some(t) if !t.id.is_empty() => Ok(t.id),
            // A 2xx without an id: the post may exist, so the lookup decides.
            _ => Err(PlatformError::unknown("X accepted the post but returned no id")),
        }
    }

    fn published(&self, creds: &Credentials, id: &str) -> Published {
        let url = match creds.extra.get("username").and_then(Value::as_str).filter(|u| !u.is_empty()) {
            Some(username) => format!("https://x.com/{username}/status/{id}"),
            None => format!("https://x.com/i/web/status/{id}"),
        };
        Published { platform_post_id: id.to_string(), url: Some(url) }
    }

    /// The token endpoint, authenticated with HTTP Basic (X's confidential clients).
    async fn token_request(&self, app: &OAuthApp, form: &[(&str, &str)]) -> Result<TokenSet, PlatformError> {
        let req = self
            .http
            .raw()
            .post(self.api("/2/oauth2/token"))
            .basic_auth(&app.client_id, Some(&app.client_secret))
            .form(form);
        let resp = client::send(req, Effect::Read).await?;
        if !resp.status().is_success() {
            return Err(errors::from_response(resp).await);
        }
        let tokens: TokenResponse = client::json(resp, Effect::Read).await?;
        Ok(tokens.into_token_set(Utc::now()))
    }
}

/// X ids are decimal numbers: anything else never goes into a URL path.
fn checked_id<'a>(id: &'a str, what: &str) -> PlatformResult<&'a str> {
    if !id.is_empty() && id.len() <= 25 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id)
    } else {
        Err(PlatformError::permanent(None, format!("not an X {what} id: {id:?}")))
    }
}

#[async_trait]
impl PlatformAdapter for XAdapter {
    fn platform(&self) -> Platform {
        Platform::X
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::base(ConnectFlow::OAuth2 { pkce: true }, media::MAX_IMAGES)
    }

    async fn publish(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Published> {
        let media_ids = media::upload_all(self, creds, &req.media).await?;
        let mut body = json!({ "text": req.text });
        if !media_ids.is_empty() {
            body["media"] = json!({ "media_ids": media_ids });
        }
        let id = self.create_tweet(creds, &body).await?;
        if let Some(comment) = req.first_comment.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            // The post exists whatever happens to the reply: a failed reply is reported in the
            // log, never as a failed publish (which would be retried into a duplicate).
            let reply = json!({ "text": comment, "reply": { "in_reply_to_tweet_id": id } });
            if let Err(e) = self.create_tweet(creds, &reply).await {
                tracing::warn!(platform = "x", post_id = %id, error = %e, "the first comment could not be posted");
            }
        }
        Ok(self.published(creds, &id))
    }

    async fn find_published(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Option<Published>> {
        let user_id = checked_id(&creds.account_id, "user")?;
        let found = lookup::find_in_timeline(self, creds, user_id, req).await?;
        Ok(found.map(|id| self.published(creds, &id)))
    }

    async fn delete(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<()> {
        let id = checked_id(platform_post_id, "post")?;
        let req = self.authed(self.http.raw().delete(self.api(&format!("/2/tweets/{id}"))), creds);
        let resp = client::send(req, Effect::Read).await?;
        // Deleting what is already gone is done.
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(());
        }
        if !resp.status().is_success() {
            return Err(errors::from_response(resp).await);
        }
        let answer: Data<Value> = client::json(resp, Effect::Read).await?;
        match answer.data.as_ref().and_then(|d| d.get("deleted")).and_then(Value::as_bool) {
            Some(_) => Ok(()),
            None if errors::all_not_found(&answer.errors) => Ok(()),
            None => Err(PlatformError::bad_response("delete answered without `deleted`")),
        }
    }

    async fn metrics(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<PostMetrics> {
        #[derive(Deserialize)]
        struct Tweet {
            #[serde(default)]
            public_metrics: Option<Value>,
        }
        let id = checked_id(platform_post_id, "post")?;
        let req = self
            .authed(self.http.raw().get(self.api(&format!("/2/tweets/{id}"))), creds)
            .query(&[("tweet.fields", "public_metrics")]);
        let answer: Data<Tweet> = self.call_json(req, Effect::Read).await?;
        let Some(tweet) = answer.data else {
            return Err(errors::partial_error(&answer.errors, "X returned no post"));
        };
        let m = tweet.public_metrics.unwrap_or(Value::Null);
        let count = |k: &str| m.get(k).and_then(Value::as_u64);
        let shares = match (count("retweet_count"), count("quote_count")) {
            (None, None) => None,
            (r, q) => Some(r.unwrap_or(0) + q.unwrap_or(0)),
        };
        Ok(PostMetrics {
            likes: count("like_count"),
            comments: count("reply_count"),
            shares,
            impressions: count("impression_count"),
            reach: None,
        })
    }

    async fn profile(&self, creds: &Credentials) -> PlatformResult<Profile> {
        let req = self
            .authed(self.http.raw().get(self.api("/2/users/me")), creds)
            .query(&[("user.fields", "profile_image_url")]);
        let answer: Data<User> = self.call_json(req, Effect::Read).await?;
        let Some(user) = answer.data else {
            return Err(errors::partial_error(&answer.errors, "X returned no user"));
        };
        Ok(Profile {
            profile_url: Some(format!("https://x.com/{}", user.username)),
            account_id: user.id,
            handle: user.username,
            display_name: user.name,
            avatar_url: user.profile_image_url,
        })
    }

    async fn refresh(&self, app: &OAuthApp, creds: &Credentials) -> PlatformResult<TokenSet> {
        let Some(refresh_token) = creds.refresh_token.as_deref().filter(|t| !t.is_empty()) else {
            return Err(PlatformError::auth("no X refresh token is stored: reconnect the account"));
        };
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", &app.client_id)];
        match self.token_request(app, &form).await {
            Ok(tokens) => Ok(tokens),
            // X refuses a used, revoked or expired refresh token with 400 invalid_request.
            Err(PlatformError::Permanent { message, .. }) => Err(PlatformError::auth(message)),
            Err(e) => Err(e),
        }
    }

    fn authorize_url(&self, req: &AuthorizeRequest<'_>) -> PlatformResult<String> {
        let Some(challenge) = req.code_challenge else {
            return Err(PlatformError::permanent(None, "X requires PKCE: no code challenge was given"));
        };
        let url = url::Url::parse_with_params(
            &self.config.authorize_url,
            &[
                ("response_type", "code"),
                ("client_id", req.app.client_id.as_str()),
                ("redirect_uri", req.redirect_uri),
                ("scope", SCOPES),
                ("state", req.state),
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
            ],
        )
        .map_err(|e| PlatformError::permanent(None, format!("the X authorize URL is not valid: {e}")))?;
        Ok(url.to_string())
    }

    async fn exchange_code(&self, req: &CodeExchange<'_>) -> PlatformResult<TokenSet> {
        let Some(verifier) = req.code_verifier else {
            return Err(PlatformError::permanent(None, "X requires PKCE: no code verifier was kept"));
        };
        let form = [
            ("grant_type", "authorization_code"),
            ("code", req.code),
            ("redirect_uri", req.redirect_uri),
            ("code_verifier", verifier),
            ("client_id", req.app.client_id.as_str()),
        ];
        self.token_request(req.app, &form).await
    }

    async fn poll_inbox(&self, creds: &Credentials, cursor: Option<&str>) -> PlatformResult<Polled> {
        inbox::poll(self, creds, cursor).await
    }

    async fn reply(&self, creds: &Credentials, req: &ReplyRequest) -> PlatformResult<Published> {
        inbox::reply(self, creds, req).await
    }

    /// One account: the signed-in user, with the username kept for post URLs.
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
        if !credentials.extra.is_object() {
            credentials.extra = json!({});
        }
        credentials.extra["username"] = Value::String(profile.handle.clone());
        Ok(vec![ConnectedAccount { profile, credentials }])
    }
}
