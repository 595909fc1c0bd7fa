//! Facebook Pages through the Graph API (docs/platforms/facebook.md).
//!
//! Connect: Facebook Login → long-lived user token → `GET /me/accounts` → one channel per Page,
//! holding that Page's access token. Page tokens obtained with a long-lived user token have no
//! expiry (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived#long-lived-page-token),
//! so `refresh` only checks the token still works.
//!
//! Publish (https://developers.facebook.com/docs/pages-api/posts):
//! text/link `POST /{page-id}/feed`; one photo `POST /{page-id}/photos {url, caption}`;
//! several photos: each `POST /{page-id}/photos {url, published=false}` then `POST /{page-id}/feed`
//! with `attached_media`; a video `POST /{page-id}/videos {file_url, description}`
//! (https://developers.facebook.com/docs/video-api/guides/publishing); first comment
//! `POST /{post-id}/comments`.

use crate::adapter::{
    AuthorizeRequest, Capabilities, CodeExchange, ConnectFlow, ConnectedAccount, Credentials, MediaItem, MediaKind,
    OAuthApp, PlatformAdapter, PostMetrics, Profile, PublishRequest, Published, TokenSet,
};
use crate::client::{Effect, HttpClient};
use crate::error::{PlatformError, PlatformResult};
use crate::meta::{
    self, find_in_listing, graph_delete, graph_get, graph_post, login, node_id, Created, ListingSearch, MetaConfig,
};
use async_trait::async_trait;
use sellcast_domain::Platform;
use serde::Deserialize;
use serde_json::Value;

/// Permissions asked for: list the Pages, read engagement (metrics, lookups), post, comment as
/// the Page (first comment), and post videos.
pub const SCOPES: [&str; 5] =
    ["pages_show_list", "pages_read_engagement", "pages_manage_posts", "pages_manage_engagement", "publish_video"];

/// Photos per multi-photo post Sellcast allows (a product limit; the API sets none it documents).
pub const MAX_PHOTOS: u32 = 10;

/// Pages of `/me/accounts` followed (100 Pages each).
const MAX_ACCOUNT_PAGES: usize = 10;

pub struct FacebookAdapter {
    http: HttpClient,
    config: MetaConfig,
}

impl FacebookAdapter {
    pub fn new(http: HttpClient, config: MetaConfig) -> Self {
        FacebookAdapter { http, config }
    }

    /// Video uploads go to `graph-video.facebook.com`; other hosts (fakes, proxies) serve both.
    fn video_url(&self, path: &str) -> String {
        self.config.graph(path).replacen("://graph.facebook.com/", "://graph-video.facebook.com/", 1)
    }

    async fn post_text(&self, page: &str, token: &str, req: &PublishRequest) -> PlatformResult<String> {
        let mut form = vec![("message", req.text.clone())];
        if let Some(link) = req.options.get("link").and_then(Value::as_str).filter(|l| !l.is_empty()) {
            form.push(("link", link.to_string()));
        }
        let created: Created =
            graph_post(&self.http, &self.config.graph(&format!("{page}/feed")), token, &form, Effect::Create).await?;
        Ok(created.id)
    }

    async fn post_photo(&self, page: &str, token: &str, photo: &MediaItem, caption: &str) -> PlatformResult<String> {
        #[derive(Deserialize)]
        struct PhotoCreated {
            id: String,
            #[serde(default)]
            post_id: Option<String>,
        }
        let form = [("url", photo.public_url.clone()), ("caption", caption.to_string())];
        let url = self.config.graph(&format!("{page}/photos"));
        let created: PhotoCreated = graph_post(&self.http, &url, token, &form, Effect::Create).await?;
        Ok(created.post_id.unwrap_or(created.id))
    }

    async fn post_album(&self, page: &str, token: &str, photos: &[&MediaItem], text: &str) -> PlatformResult<String> {
        let upload_url = self.config.graph(&format!("{page}/photos"));
        let mut form = vec![("message", text.to_string())];
        let mut keys = Vec::with_capacity(photos.len());
        for photo in photos {
            // Unpublished photos are invisible until attached, so a lost answer here is harmless.
            let upload = [("url", photo.public_url.clone()), ("published", "false".to_string())];
            let created: Created = graph_post(&self.http, &upload_url, token, &upload, Effect::Read).await?;
            keys.push(serde_json::json!({ "media_fbid": created.id }).to_string());
        }
        let names: Vec<String> = (0..keys.len()).map(|i| format!("attached_media[{i}]")).collect();
        for (name, value) in names.iter().zip(keys) {
            form.push((name.as_str(), value));
        }
        let created: Created =
            graph_post(&self.http, &self.config.graph(&format!("{page}/feed")), token, &form, Effect::Create).await?;
        Ok(created.id)
    }

    async fn post_video(&self, page: &str, token: &str, video: &MediaItem, text: &str) -> PlatformResult<String> {
        let form = [("file_url", video.public_url.clone()), ("description", text.to_string())];
        let url = self.video_url(&format!("{page}/videos"));
        let created: Created = graph_post(&self.http, &url, token, &form, Effect::Create).await?;
        Ok(created.id)
    }

    async fn comment(&self, post_id: &str, token: &str, text: &str) -> PlatformResult<()> {
        let url = self.config.graph(&format!("{}/comments", node_id(post_id)?));
        let _: Value = graph_post(&self.http, &url, token, &[("message", text.to_string())], Effect::Create).await?;
        Ok(())
    }

    fn post_url(page: &str, id: &str, video: bool) -> String {
        if video {
            format!("https://www.facebook.com/{page}/videos/{id}")
        } else {
            format!("https://www.facebook.com/{id}")
        }
    }
}

/// Page as listed by `/me/accounts`.
#[derive(Debug, Deserialize)]
struct PageEntry {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    picture: Option<Value>,
}

fn picture_url(picture: Option<&Value>) -> Option<String> {
    picture.and_then(|p| p.pointer("/data/url")).and_then(Value::as_str).map(str::to_string)
}

fn page_profile(id: &str, name: Option<String>, username: Option<String>, picture: Option<&Value>) -> Profile {
    Profile {
        account_id: id.to_string(),
        handle: username.clone().or_else(|| name.clone()).unwrap_or_else(|| id.to_string()),
        display_name: name,
        avatar_url: picture_url(picture),
        profile_url: Some(match username {
            Some(u) => format!("https://www.facebook.com/{u}"),
            None => format!("https://www.facebook.com/{id}"),
        }),
    }
}

fn summary_count(v: &Value, edge: &str) -> Option<u64> {
    v.get(edge).and_then(|e| e.pointer("/summary/total_count")).and_then(Value::as_u64)
}

#[async_trait]
impl PlatformAdapter for FacebookAdapter {
    fn platform(&self) -> Platform {
        Platform::Facebook
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::base(ConnectFlow::OAuth2 { pkce: false }, MAX_PHOTOS)
    }

    async fn publish(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Published> {
        let page = node_id(&creds.account_id)?;
        let token = creds.access_token.as_str();
        let photos: Vec<&MediaItem> = req.media.iter().filter(|m| m.kind == MediaKind::Image).collect();
        let videos: Vec<&MediaItem> = req.media.iter().filter(|m| m.kind == MediaKind::Video).collect();
        if videos.len() > 1 || (!videos.is_empty() && !photos.is_empty()) {
            return Err(PlatformError::permanent(None, "a Facebook post carries either photos or one video, not both"));
        }
        if photos.len() > MAX_PHOTOS as usize {
            return Err(PlatformError::permanent(None, format!("a Facebook post carries at most {MAX_PHOTOS} photos")));
        }
        let (id, is_video) = match (videos.first(), photos.as_slice()) {
            (Some(video), _) => (self.post_video(page, token, video, &req.text).await?, true),
            (None, []) => (self.post_text(page, token, req).await?, false),
            (None, [photo]) => (self.post_photo(page, token, photo, &req.text).await?, false),
            (None, many) => (self.post_album(page, token, many, &req.text).await?, false),
        };
        if let Some(comment) = req.first_comment.as_deref().filter(|c| !c.trim().is_empty()) {
            // The post exists: a failed comment must not make the publisher post it again.
            if let Err(e) = self.comment(&id, token, comment).await {
                tracing::warn!(platform = "facebook", post_id = %id, error = %e, "the first comment could not be posted");
            }
        }
        let url = Self::post_url(page, &id, is_video);
        Ok(Published { platform_post_id: id, url: Some(url) })
    }

    async fn find_published(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Option<Published>> {
        let page = node_id(&creds.account_id)?;
        let is_video = req.media.iter().any(|m| m.kind == MediaKind::Video);
        let search = if is_video {
            ListingSearch {
                url: self.config.graph(&format!("{page}/videos")),
                fields: "id,description,created_time",
                text_field: "description",
                time_field: "created_time",
                text: &req.text,
                since: req.first_attempt_at,
            }
        } else {
            ListingSearch {
                url: self.config.graph(&format!("{page}/feed")),
                fields: "id,message,created_time",
                text_field: "message",
                time_field: "created_time",
                text: &req.text,
                since: req.first_attempt_at,
            }
        };
        let found = find_in_listing(&self.http, &creds.access_token, &search).await?;
        Ok(found
            .and_then(|item| meta::id_string(item.get("id")?))
            .map(|id| Published { url: Some(Self::post_url(page, &id, is_video)), platform_post_id: id }))
    }

    async fn delete(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<()> {
        let id = node_id(platform_post_id)?;
        graph_delete(&self.http, &self.config.graph(id), &creds.access_token).await
    }

    async fn metrics(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<PostMetrics> {
        let id = node_id(platform_post_id)?;
        // Page post ids are `{page-id}_{post-id}`; a bare id is a video, which has no `shares`.
        let is_post = id.contains('_');
        let fields = if is_post {
            "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares"
        } else {
            "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
        };
        let v: Value =
            graph_get(&self.http, &self.config.graph(id), &creds.access_token, &[("fields", fields)]).await?;
        Ok(PostMetrics {
            likes: summary_count(&v, "reactions"),
            comments: summary_count(&v, "comments"),
            shares: if is_post { Some(v.pointer("/shares/count").and_then(Value::as_u64).unwrap_or(0)) } else { None },
            impressions: None,
            reach: None,
        })
    }

    async fn profile(&self, creds: &Credentials) -> PlatformResult<Profile> {
        let page = node_id(&creds.account_id)?;
        let p: PageEntry = graph_get(
            &self.http,
            &self.config.graph(page),
            &creds.access_token,
            &[("fields", "id,name,username,picture")],
        )
        .await?;
        Ok(page_profile(&p.id, p.name, p.username, p.picture.as_ref()))
    }

    /// Page tokens derived from a long-lived user token do not expire: check it still works
    /// (a revoked one is `Auth`, so the channel goes to reconnect) and keep it.
    async fn refresh(&self, _app: &OAuthApp, creds: &Credentials) -> PlatformResult<TokenSet> {
        let page = node_id(&creds.account_id)?;
        let _: Value =
            graph_get(&self.http, &self.config.graph(page), &creds.access_token, &[("fields", "id")]).await?;
        Ok(TokenSet {
            access_token: creds.access_token.clone(),
            refresh_token: None,
            expires_at: None,
            extra: serde_json::json!({}),
        })
    }

    fn authorize_url(&self, req: &AuthorizeRequest<'_>) -> PlatformResult<String> {
        login::dialog_url(&self.config, req, &SCOPES)
    }

    async fn exchange_code(&self, req: &CodeExchange<'_>) -> PlatformResult<TokenSet> {
        login::exchange_code(&self.http, &self.config, req).await
    }

    /// One account per Page the user granted, each with the Page's own token.
    async fn accounts(&self, tokens: &TokenSet, _server_url: Option<&str>) -> PlatformResult<Vec<ConnectedAccount>> {
        let entries =
            list_pages(&self.http, &self.config, &tokens.access_token, "id,name,username,access_token,picture").await?;
        let mut accounts = Vec::new();
        for entry in entries {
            let Ok(page) = serde_json::from_value::<PageEntry>(entry) else { continue };
            let Some(page_token) = page.access_token.clone().filter(|t| !t.is_empty()) else { continue };
            let profile = page_profile(&page.id, page.name.clone(), page.username.clone(), page.picture.as_ref());
            accounts.push(ConnectedAccount {
                credentials: Credentials {
                    access_token: page_token,
                    refresh_token: None,
                    expires_at: None,
                    account_id: page.id.clone(),
                    server_url: None,
                    extra: serde_json::json!({ "page_name": page.name }),
                },
                profile,
            });
        }
        Ok(accounts)
    }
}

/// Every entry of `GET /me/accounts` (following the `after` cursor, bounded).
pub(crate) async fn list_pages(
    http: &HttpClient,
    config: &MetaConfig,
    user_token: &str,
    fields: &str,
) -> PlatformResult<Vec<Value>> {
    #[derive(Deserialize)]
    struct Accounts {
        #[serde(default)]
        data: Vec<Value>,
        #[serde(default)]
        paging: Option<Value>,
    }
    let url = config.graph("me/accounts");
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..MAX_ACCOUNT_PAGES {
        let mut query = vec![("fields", fields), ("limit", "100")];
        if let Some(a) = after.as_deref() {
            query.push(("after", a));
        }
        let page: Accounts = graph_get(http, &url, user_token, &query).await?;
        let done = page.data.is_empty();
        out.extend(page.data);
        let paging = page.paging.unwrap_or(Value::Null);
        after = paging.pointer("/cursors/after").and_then(Value::as_str).map(str::to_string);
        if done || paging.get("next").is_none() || after.is_none() {
            break;
        }
    }
    Ok(out)
}
