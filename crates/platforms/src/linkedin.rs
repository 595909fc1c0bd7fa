//! LinkedIn: OAuth 2.0 authorization code (3-legged, confidential client; LinkedIn offers PKCE
//! only to approved native apps, so none here), member posts through the versioned Posts API
//! (`/rest/posts`), images through the Images API, a video through the Videos API, first
//! comments through socialActions.
//! Endpoints, limits and error shapes, with sources: docs/platforms/linkedin.md.

mod errors;
mod images;
mod text;
mod videos;

pub use videos::VideoPolling;

use crate::adapter::{
    AuthorizeRequest, Capabilities, CodeExchange, ConnectFlow, Credentials, MediaKind, OAuthApp, PlatformAdapter,
    PostMetrics, Profile, PublishRequest, Published, TokenSet,
};
use crate::client::{self, Effect, HttpClient};
use crate::error::{PlatformError, PlatformResult};
use crate::oauth::TokenResponse;
use async_trait::async_trait;
use chrono::Utc;
use reqwest::{RequestBuilder, Response, StatusCode};
use sellcast_domain::Platform;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

/// Sign in with OpenID Connect (`openid profile`) and post as the member (`w_member_social`).
pub const SCOPES: &str = "openid profile w_member_social";
/// LinkedIn's limit on `commentary`.
pub const MAX_TEXT_CHARS: usize = 3000;

/// Posts listed per page when looking for a post after an unknown outcome (at most 100).
const FINDER_PAGE: usize = 50;
const FINDER_MAX_PAGES: usize = 20;
/// Clock skew allowed between Sellcast and LinkedIn when searching from the first attempt.
const SKEW_MS: i64 = 2 * 60 * 1000;

#[derive(Debug, Clone)]
pub struct LinkedinConfig {
    /// REST API base, e.g. `https://api.linkedin.com`.
    pub api_url: String,
    /// OAuth base, e.g. `https://www.linkedin.com/oauth/v2` (`/authorization`, `/accessToken`).
    pub oauth_url: String,
    /// The `LinkedIn-Version` header (YYYYMM). LinkedIn retires a version about a year after
    /// its release, answering 426 NONEXISTENT_VERSION: keep it current in configuration.
    pub version: String,
}

impl Default for LinkedinConfig {
    fn default() -> Self {
        LinkedinConfig {
            api_url: "https://api.linkedin.com".into(),
            oauth_url: "https://www.linkedin.com/oauth/v2".into(),
            version: "202411".into(),
        }
    }
}

pub struct LinkedinAdapter {
    http: HttpClient,
    config: LinkedinConfig,
    video_polling: VideoPolling,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListedPost {
    id: String,
    #[serde(default)]
    commentary: String,
    #[serde(default)]
    created_at: Option<i64>,
    #[serde(default)]
    lifecycle_state: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PostPage {
    #[serde(default)]
    elements: Vec<ListedPost>,
}

#[derive(Debug, Deserialize)]
struct UserInfo {
    sub: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    picture: Option<String>,
}

impl LinkedinAdapter {
    pub fn new(http: HttpClient, config: LinkedinConfig) -> Self {
        let trim = |s: String| s.trim_end_matches('/').to_string();
        let config = LinkedinConfig {
            api_url: trim(config.api_url),
            oauth_url: trim(config.oauth_url),
            version: config.version,
        };
        LinkedinAdapter { http, config, video_polling: VideoPolling::default() }
    }

    /// How long to wait for an uploaded video to be processed (tests wait milliseconds).
    pub fn with_video_polling(mut self, polling: VideoPolling) -> Self {
        self.video_polling = polling;
        self
    }

    fn api(&self, path: &str) -> String {
        format!("{}{path}", self.config.api_url)
    }

    /// A versioned REST call: the token, `LinkedIn-Version` and Rest.li protocol 2.0.0.
    fn rest(&self, req: RequestBuilder, creds: &Credentials) -> RequestBuilder {
        req.bearer_auth(&creds.access_token)
            .header("LinkedIn-Version", &self.config.version)
            .header("X-Restli-Protocol-Version", "2.0.0")
    }

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

    /// Upload the media; the post's `content` (None for a text post). A post carries images or
    /// one video, alone.
    async fn content_for(
        &self,
        creds: &Credentials,
        author: &str,
        req: &PublishRequest,
    ) -> PlatformResult<Option<Value>> {
        let media = req.media.as_slice();
        if !media.iter().any(|m| m.kind == MediaKind::Video) {
            return images::content_for(self, creds, author, media).await;
        }
        let [video] = media else {
            return Err(PlatformError::unsupported(
                "a LinkedIn post carries one video, alone: no images or second video with it",
            ));
        };
        let title = req.options.get("title").and_then(Value::as_str);
        videos::content_for(self, creds, author, video, title).await.map(Some)
    }

    fn published(urn: &str) -> Published {
        Published {
            platform_post_id: urn.to_string(),
            url: Some(format!("https://www.linkedin.com/feed/update/{urn}")),
        }
    }

    /// `POST /rest/posts`: the new post's URN comes back in `x-restli-id`.
    async fn create_post(&self, creds: &Credentials, body: &Value) -> PlatformResult<String> {
        let req = self.rest(self.http.raw().post(self.api("/rest/posts")), creds).json(body);
        let resp = self.call(req, Effect::Create).await?;
        let urn = resp.headers().get("x-restli-id").and_then(|v| v.to_str().ok()).map(str::to_string);
        // The 201's headers name the post: even if the (empty) body is then cut off, it exists.
        let body = resp.bytes().await;
        match (urn.filter(|u| u.starts_with("urn:li:")), body) {
            (Some(urn), _) => Ok(urn),
            (None, Err(e)) => Err(PlatformError::unknown(format!("the answer to the post was cut off ({e})"))),
            (None, Ok(_)) => Err(PlatformError::unknown("LinkedIn accepted the post but sent no x-restli-id")),
        }
    }

    async fn comment(&self, creds: &Credentials, author: &str, post_urn: &str, message: &str) -> PlatformResult<()> {
        let body = json!({ "actor": author, "object": post_urn, "message": { "text": text::escape_little(message) } });
        let path = format!("/rest/socialActions/{}/comments", text::encode_urn(post_urn));
        let req = self.rest(self.http.raw().post(self.api(&path)), creds).json(&body);
        let resp = self.call(req, Effect::Create).await?;
        drop(resp);
        Ok(())
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> PlatformResult<TokenSet> {
        let req = self.http.raw().post(format!("{}/accessToken", self.config.oauth_url)).form(form);
        let tokens: TokenResponse = self.call_json(req, Effect::Read).await?;
        Ok(tokens.into_token_set(Utc::now()))
    }
}

/// The author the credentials post as: a person (or organization) URN.
fn author_of(creds: &Credentials) -> PlatformResult<&str> {
    let urn = creds.account_id.as_str();
    if urn.starts_with("urn:li:person:") || urn.starts_with("urn:li:organization:") {
        Ok(urn)
    } else {
        Err(PlatformError::permanent(None, format!("not a LinkedIn author URN: {urn:?}")))
    }
}

fn checked_post_urn(urn: &str) -> PlatformResult<&str> {
    if urn.starts_with("urn:li:share:") || urn.starts_with("urn:li:ugcPost:") {
        Ok(urn)
    } else {
        Err(PlatformError::permanent(None, format!("not a LinkedIn post URN: {urn:?}")))
    }
}

#[async_trait]
impl PlatformAdapter for LinkedinAdapter {
    fn platform(&self) -> Platform {
        Platform::Linkedin
    }

    fn capabilities(&self) -> Capabilities {
        // Lookup and metrics (listing a member's posts, reading their social actions) need
        // LinkedIn's restricted r_member_social permission; without it both answer 403 (an
        // error, never a "not found").
        Capabilities::base(ConnectFlow::OAuth2 { pkce: false }, images::MAX_IMAGES)
    }

    async fn publish(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Published> {
        let author = author_of(creds)?;
        if req.text.chars().count() > MAX_TEXT_CHARS {
            return Err(PlatformError::permanent(
                None,
                format!("LinkedIn posts take at most {MAX_TEXT_CHARS} characters"),
            ));
        }
        let content = self.content_for(creds, author, req).await?;
        let mut body = json!({
            "author": author,
            "commentary": text::escape_little(&req.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": false,
        });
        if let Some(content) = content {
            body["content"] = content;
        }
        let urn = self.create_post(creds, &body).await?;
        if let Some(comment) = req.first_comment.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            // The post exists whatever happens to the comment: never fail (and retry) for it.
            if let Err(e) = self.comment(creds, author, &urn, comment).await {
                tracing::warn!(platform = "linkedin", post_id = %urn, error = %e, "the first comment could not be posted");
            }
        }
        Ok(Self::published(&urn))
    }

    async fn find_published(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Option<Published>> {
        let author = author_of(creds)?;
        let since_ms = req.first_attempt_at.timestamp_millis() - SKEW_MS;
        let mut found: Option<String> = None;
        for page in 0..FINDER_MAX_PAGES {
            let query = [
                ("q", "author".to_string()),
                ("author", author.to_string()),
                ("count", FINDER_PAGE.to_string()),
                ("start", (page * FINDER_PAGE).to_string()),
                ("sortBy", "CREATED".to_string()),
            ];
            let request = self
                .rest(self.http.raw().get(self.api("/rest/posts")), creds)
                .header("X-RestLi-Method", "FINDER")
                .query(&query);
            let listed: PostPage = self.call_json(request, Effect::Read).await?;
            let full_page = listed.elements.len() >= FINDER_PAGE;
            let mut reached_older = false;
            for post in listed.elements {
                if post.created_at.is_some_and(|at| at < since_ms) {
                    reached_older = true;
                    continue;
                }
                let published = post.lifecycle_state.as_deref().is_none_or(|s| s == "PUBLISHED");
                if published && text::same_commentary(&post.commentary, &req.text) {
                    // Newest first: the last match is the first attempt's post.
                    found = Some(post.id);
                }
            }
            if reached_older || !full_page {
                return Ok(found.as_deref().map(Self::published));
            }
        }
        match found {
            Some(urn) => Ok(Some(Self::published(&urn))),
            None => Err(PlatformError::retryable(
                "LinkedIn lists more posts since the first attempt than Sellcast searches: the outcome stays unknown",
            )),
        }
    }

    async fn delete(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<()> {
        let urn = checked_post_urn(platform_post_id)?;
        let url = self.api(&format!("/rest/posts/{}", text::encode_urn(urn)));
        let req = self.rest(self.http.raw().delete(url), creds).header("X-RestLi-Method", "DELETE");
        let resp = client::send(req, Effect::Read).await?;
        // Already gone is deleted.
        if resp.status().is_success() || resp.status() == StatusCode::NOT_FOUND {
            return Ok(());
        }
        Err(errors::from_response(resp).await)
    }

    async fn metrics(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<PostMetrics> {
        let urn = checked_post_urn(platform_post_id)?;
        let url = self.api(&format!("/rest/socialActions/{}", text::encode_urn(urn)));
        let summary: Value = self.call_json(self.rest(self.http.raw().get(url), creds), Effect::Read).await?;
        let count = |path: [&str; 2]| summary.get(path[0]).and_then(|s| s.get(path[1])).and_then(Value::as_u64);
        Ok(PostMetrics {
            likes: count(["likesSummary", "totalLikes"]),
            comments: count(["commentsSummary", "aggregatedTotalComments"])
                .or_else(|| count(["commentsSummary", "totalFirstLevelComments"])),
            shares: None,
            impressions: None,
            reach: None,
        })
    }

    async fn profile(&self, creds: &Credentials) -> PlatformResult<Profile> {
        let req = self.http.raw().get(self.api("/v2/userinfo")).bearer_auth(&creds.access_token);
        let info: UserInfo = self.call_json(req, Effect::Read).await?;
        if info.sub.is_empty() || !info.sub.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(PlatformError::bad_response("userinfo without a usable `sub`"));
        }
        Ok(Profile {
            account_id: format!("urn:li:person:{}", info.sub),
            // LinkedIn shares no public handle with these scopes: the name stands in for it.
            handle: info.name.clone().unwrap_or_else(|| info.sub.clone()),
            display_name: info.name,
            avatar_url: info.picture,
            profile_url: None,
        })
    }

    async fn refresh(&self, app: &OAuthApp, creds: &Credentials) -> PlatformResult<TokenSet> {
        // LinkedIn issues refresh tokens only to apps it approved for them; the others reconnect
        // before the 60-day access token ends.
        let Some(refresh_token) = creds.refresh_token.as_deref().filter(|t| !t.is_empty()) else {
            return Err(PlatformError::auth("LinkedIn issued no refresh token: reconnect the account"));
        };
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", app.client_id.as_str()),
            ("client_secret", app.client_secret.as_str()),
        ];
        match self.token_request(&form).await {
            Ok(tokens) => Ok(tokens),
            Err(PlatformError::Permanent { message, .. }) => Err(PlatformError::auth(message)),
            Err(e) => Err(e),
        }
    }

    fn authorize_url(&self, req: &AuthorizeRequest<'_>) -> PlatformResult<String> {
        let url = url::Url::parse_with_params(
            &format!("{}/authorization", self.config.oauth_url),
            &[
                ("response_type", "code"),
                ("client_id", req.app.client_id.as_str()),
                ("redirect_uri", req.redirect_uri),
                ("state", req.state),
                ("scope", SCOPES),
            ],
        )
        .map_err(|e| PlatformError::permanent(None, format!("the LinkedIn authorize URL is not valid: {e}")))?;
        Ok(url.to_string())
    }

    async fn exchange_code(&self, req: &CodeExchange<'_>) -> PlatformResult<TokenSet> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", req.code),
            ("redirect_uri", req.redirect_uri),
            ("client_id", req.app.client_id.as_str()),
            ("client_secret", req.app.client_secret.as_str()),
        ];
        self.token_request(&form).await
    }
}
