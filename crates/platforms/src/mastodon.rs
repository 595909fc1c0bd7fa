//! Mastodon, on whichever instance the account lives (`Credentials::server_url`): Sellcast
//! registers itself per instance (`POST /api/v1/apps`), users authorize with OAuth 2.0 and
//! PKCE, statuses are created with an `Idempotency-Key`; the inbox polls mention notifications
//! (`inbox`). Endpoints, limits and error shapes, with sources: docs/platforms/mastodon.md.

mod api;
mod inbox;
mod media;
mod text;

use crate::adapter::{
    AuthorizeRequest, Capabilities, CodeExchange, ConnectFlow, Credentials, OAuthApp, PlatformAdapter, PostMetrics,
    Profile, PublishRequest, Published, TokenSet,
};
use crate::client::{Effect, HttpClient};
use crate::error::{PlatformError, PlatformResult};
use crate::inbound::{Polled, ReplyRequest};
use crate::oauth::TokenResponse;
use api::{checked_id, Api};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sellcast_domain::Platform;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::Duration;

pub use media::{MAX_ATTACHMENTS, MAX_IMAGE_BYTES, MAX_VIDEO_BYTES};
pub use text::{plain_text, same_text};

/// The scopes Sellcast asks for.
pub const SCOPES: &str = "read write";
/// Mastodon's default status limit (instances may raise it).
pub const MAX_CHARACTERS: usize = 500;
/// How many pages of the account's statuses a lookup reads before giving up.
const LOOKUP_PAGES: usize = 10;
const LOOKUP_PAGE_SIZE: &str = "40";
/// Clock difference tolerated between Sellcast and the instance when deciding that the
/// listing reaches back past the first attempt.
const CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(5);
/// Mastodon remembers an `Idempotency-Key` for up to an hour
/// (https://docs.joinmastodon.org/methods/statuses/#create); ten minutes are kept in hand for
/// clock skew and for the next attempt to get going.
const IDEMPOTENCY_KEY_TRUSTED: chrono::Duration = chrono::Duration::minutes(50);

pub struct MastodonAdapter {
    http: HttpClient,
    media_processing_limit: Duration,
}

#[derive(Debug, Deserialize)]
struct RegisteredApp {
    client_id: String,
    client_secret: String,
}

#[derive(Debug, Deserialize)]
struct Account {
    id: String,
    username: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    avatar: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Status {
    id: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    uri: Option<String>,
    created_at: DateTime<Utc>,
    #[serde(default)]
    content: String,
    #[serde(default)]
    in_reply_to_id: Option<String>,
    #[serde(default)]
    reblog: Option<Value>,
    #[serde(default)]
    media_attachments: Vec<Value>,
    #[serde(default)]
    favourites_count: Option<u64>,
    #[serde(default)]
    reblogs_count: Option<u64>,
    #[serde(default)]
    replies_count: Option<u64>,
}

impl Status {
    fn published(self) -> Published {
        Published { url: self.url.or(self.uri), platform_post_id: self.id }
    }
}

impl MastodonAdapter {
    pub fn new(http: HttpClient) -> Self {
        MastodonAdapter { http, media_processing_limit: Duration::from_secs(120) }
    }

    /// How long to wait for the instance to process an uploaded video before giving up
    /// (retryably). Two minutes by default.
    pub fn with_media_processing_limit(mut self, limit: Duration) -> Self {
        self.media_processing_limit = limit;
        self
    }

    fn api<'a>(&'a self, creds: &'a Credentials) -> PlatformResult<Api<'a>> {
        let server = instance(creds.server_url.as_deref())?;
        Ok(Api::new(&self.http, &server, Some(&creds.access_token)))
    }

    async fn create_status(&self, api: &Api<'_>, body: &Value, idempotency_key: &str) -> PlatformResult<Status> {
        // Mastodon answers a repeated key with the status the first request created.
        let req = api.post("/api/v1/statuses").header("Idempotency-Key", header_key(idempotency_key)).json(body);
        let status: Status = api.call(req, Effect::Create).await?;
        checked_id(&status.id, "status")?;
        Ok(status)
    }
}

/// The instance URL, which every Mastodon call needs; `https://` is assumed when the user
/// typed only the host (`mastodon.social`).
fn instance(server_url: Option<&str>) -> PlatformResult<String> {
    let server = server_url.map(str::trim).filter(|s| !s.is_empty());
    let server = server.ok_or_else(|| PlatformError::auth("the Mastodon account has no instance URL: reconnect it"))?;
    let server = if server.contains("://") { server.to_string() } else { format!("https://{server}") };
    match url::Url::parse(&server) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            Ok(server.trim_end_matches('/').to_string())
        }
        _ => Err(PlatformError::permanent(None, format!("not an instance URL: {server}"))),
    }
}

/// The key as an HTTP header value: kept when it is short printable ASCII, hashed otherwise.
fn header_key(key: &str) -> String {
    if !key.is_empty() && key.len() <= 64 && key.bytes().all(|b| b.is_ascii_graphic()) {
        key.to_string()
    } else {
        Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The status body for `text` from the composer's Mastodon options.
fn status_body(text: &str, media_ids: &[String], options: &Value) -> PlatformResult<Value> {
    let visibility = options.get("visibility").and_then(Value::as_str).unwrap_or("public");
    if !matches!(visibility, "public" | "unlisted" | "private" | "direct") {
        return Err(PlatformError::permanent(None, format!("not a Mastodon visibility: {visibility}")));
    }
    let mut body = json!({ "status": text, "visibility": visibility });
    if !media_ids.is_empty() {
        body["media_ids"] = json!(media_ids);
    }
    if let Some(spoiler) = options.get("spoiler_text").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        body["spoiler_text"] = json!(spoiler);
    }
    if let Some(sensitive) = options.get("sensitive").and_then(Value::as_bool) {
        body["sensitive"] = json!(sensitive);
    }
    if let Some(language) = options.get("language").and_then(Value::as_str).filter(|l| l.len() == 2) {
        body["language"] = json!(language);
    }
    Ok(body)
}

#[async_trait]
impl PlatformAdapter for MastodonAdapter {
    fn platform(&self) -> Platform {
        Platform::Mastodon
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            idempotency_key: true,
            ..Capabilities::base(ConnectFlow::InstanceOAuth2, MAX_ATTACHMENTS as u32)
        }
    }

    async fn publish(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Published> {
        media::check(&req.media)?;
        if req.text.trim().is_empty() && req.media.is_empty() {
            return Err(PlatformError::permanent(None, "a Mastodon post needs text or media"));
        }
        let api = self.api(creds)?;
        let media_ids = media::upload_all(&api, &req.media, self.media_processing_limit).await?;
        let body = status_body(&req.text, &media_ids, &req.options)?;
        let status = self.create_status(&api, &body, &req.idempotency_key).await?;

        if let Some(comment) = req.first_comment.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            // The post exists whatever happens to the reply: a failed reply is logged, never
            // reported as a failed publish (which would be retried).
            let mut reply = status_body(comment, &[], &req.options)?;
            reply["in_reply_to_id"] = json!(status.id);
            let key = format!("{}:first-comment", req.idempotency_key);
            if let Err(e) = self.create_status(&api, &reply, &key).await {
                tracing::warn!(platform = "mastodon", status_id = %status.id, error = %e, "the first comment could not be posted");
            }
        }
        Ok(status.published())
    }

    async fn find_published(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Option<Published>> {
        let account_id = checked_id(&creds.account_id, "account")?;
        let api = self.api(creds)?;
        let since = req.first_attempt_at - CLOCK_SKEW;
        let mut max_id: Option<String> = None;
        for _ in 0..LOOKUP_PAGES {
            let mut query = vec![("limit", LOOKUP_PAGE_SIZE), ("exclude_reblogs", "true")];
            if let Some(max) = max_id.as_deref() {
                query.push(("max_id", max));
            }
            let page: Vec<Status> = api
                .call(api.get(&format!("/api/v1/accounts/{account_id}/statuses")).query(&query), Effect::Read)
                .await?;
            // Newest first: an empty page or a status older than the first attempt means the
            // listing has covered everything since then.
            let Some(last) = page.last() else { return Ok(None) };
            let reached_start = last.created_at < since;
            max_id = Some(checked_id(&last.id, "status")?.to_string());
            for status in page {
                let candidate = status.created_at >= since
                    && status.in_reply_to_id.is_none()
                    && status.reblog.is_none()
                    && status.media_attachments.len() == req.media.len()
                    && same_text(&status.content, &req.text);
                if candidate {
                    return Ok(Some(status.published()));
                }
            }
            if reached_start {
                return Ok(None);
            }
        }
        // Too many statuses to reach back to the first attempt. While the instance still holds
        // the variant's Idempotency-Key, publishing again is safe: a repeated key is answered
        // with the status the earlier request made, never a second one.
        if Utc::now() - req.first_attempt_at < IDEMPOTENCY_KEY_TRUSTED {
            return Ok(None);
        }
        Err(PlatformError::retryable(format!(
            "could not confirm whether the post exists: more than {} statuses since the first attempt",
            LOOKUP_PAGES * 40
        )))
    }

    async fn delete(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<()> {
        let id = checked_id(platform_post_id, "status")?;
        let api = self.api(creds)?;
        match api.call::<Value>(api.delete(&format!("/api/v1/statuses/{id}")), Effect::Read).await {
            Ok(_) => Ok(()),
            // Deleting what is already gone is done.
            Err(PlatformError::Permanent { status: Some(404), .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn metrics(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<PostMetrics> {
        let id = checked_id(platform_post_id, "status")?;
        let api = self.api(creds)?;
        let status: Status = api.call(api.get(&format!("/api/v1/statuses/{id}")), Effect::Read).await?;
        Ok(PostMetrics {
            likes: status.favourites_count,
            comments: status.replies_count,
            shares: status.reblogs_count,
            impressions: None,
            reach: None,
        })
    }

    async fn profile(&self, creds: &Credentials) -> PlatformResult<Profile> {
        let api = self.api(creds)?;
        let account: Account = api.call(api.get("/api/v1/accounts/verify_credentials"), Effect::Read).await?;
        let host = instance(creds.server_url.as_deref())
            .ok()
            .and_then(|s| url::Url::parse(&s).ok())
            .and_then(|u| u.host_str().map(str::to_string));
        Ok(Profile {
            account_id: checked_id(&account.id, "account")?.to_string(),
            handle: match host {
                Some(h) => format!("@{}@{h}", account.username),
                None => format!("@{}", account.username),
            },
            display_name: account.display_name.filter(|d| !d.is_empty()),
            avatar_url: account.avatar,
            profile_url: account.url,
        })
    }

    /// Mastodon access tokens do not expire (they live until revoked), so there is nothing to
    /// renew: the same token comes back. A revoked token shows up as `Auth` on the next call.
    async fn refresh(&self, _app: &OAuthApp, creds: &Credentials) -> PlatformResult<TokenSet> {
        Ok(TokenSet {
            access_token: creds.access_token.clone(),
            refresh_token: creds.refresh_token.clone(),
            expires_at: creds.expires_at,
            extra: Value::Null,
        })
    }

    fn authorize_url(&self, req: &AuthorizeRequest<'_>) -> PlatformResult<String> {
        let server = instance(req.server_url)?;
        let mut url = url::Url::parse(&format!("{server}/oauth/authorize"))
            .map_err(|e| PlatformError::permanent(None, format!("not an instance URL: {e}")))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &req.app.client_id)
            .append_pair("redirect_uri", req.redirect_uri)
            .append_pair("scope", SCOPES)
            .append_pair("state", req.state);
        // Mastodon 4.3+ supports PKCE with S256; older instances ignore the parameters.
        if let Some(challenge) = req.code_challenge {
            url.query_pairs_mut().append_pair("code_challenge", challenge).append_pair("code_challenge_method", "S256");
        }
        Ok(url.to_string())
    }

    async fn exchange_code(&self, req: &CodeExchange<'_>) -> PlatformResult<TokenSet> {
        let server = instance(req.server_url)?;
        let api = Api::new(&self.http, &server, None);
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", req.code),
            ("client_id", req.app.client_id.as_str()),
            ("client_secret", req.app.client_secret.as_str()),
            ("redirect_uri", req.redirect_uri),
            ("scope", SCOPES),
        ];
        if let Some(verifier) = req.code_verifier {
            form.push(("code_verifier", verifier));
        }
        let token: TokenResponse = api.call(api.post("/oauth/token").form(&form), Effect::Read).await?;
        Ok(token.into_token_set(Utc::now()))
    }

    async fn poll_inbox(&self, creds: &Credentials, cursor: Option<&str>) -> PlatformResult<Polled> {
        inbox::poll(self, creds, cursor).await
    }

    async fn reply(&self, creds: &Credentials, req: &ReplyRequest) -> PlatformResult<Published> {
        inbox::reply(self, creds, req).await
    }

    async fn register_app(&self, server_url: &str, redirect_uri: &str) -> PlatformResult<OAuthApp> {
        let server = instance(Some(server_url))?;
        let api = Api::new(&self.http, &server, None);
        let body = json!({
            "client_name": "Sellcast",
            "redirect_uris": redirect_uri,
            "scopes": SCOPES,
        });
        // A registration repeated after a lost answer only leaves an unused app behind.
        let app: RegisteredApp = api.call(api.post("/api/v1/apps").json(&body), Effect::Read).await?;
        Ok(OAuthApp { client_id: app.client_id, client_secret: app.client_secret })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_body_from_options() {
        let body =
            status_body("hi", &["1".into()], &json!({ "visibility": "unlisted", "spoiler_text": "cw" })).unwrap();
        assert_eq!(body, json!({ "status": "hi", "visibility": "unlisted", "media_ids": ["1"], "spoiler_text": "cw" }));
        assert_eq!(status_body("hi", &[], &json!({})).unwrap()["visibility"], "public");
        assert!(status_body("hi", &[], &json!({ "visibility": "everyone" })).is_err());
    }

    #[test]
    fn idempotency_header_is_always_valid() {
        assert_eq!(header_key("post-1:variant-2"), "post-1:variant-2");
        let hashed = header_key("clé avec espaces");
        assert_eq!(hashed.len(), 64);
        assert!(hashed.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn instance_url_is_required() {
        assert!(matches!(instance(None), Err(PlatformError::Auth { .. })));
        assert_eq!(instance(Some("mastodon.social")).unwrap(), "https://mastodon.social");
        assert_eq!(instance(Some("https://mastodon.social/")).unwrap(), "https://mastodon.social");
        assert!(instance(Some("ftp://mastodon.social")).is_err());
    }
}
