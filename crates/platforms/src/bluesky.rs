//! Bluesky (AT Protocol) through the account's PDS: sign-in with a handle and an app password
//! (`com.atproto.server.createSession`/`refreshSession`), blobs through `uploadBlob`, posts as
//! `app.bsky.feed.post` records created with a deterministic record key so no retry can make
//! a second post; the inbox by polling notifications and replies threaded the same way
//! (`inbox`). Endpoints, limits and error shapes, with sources: docs/platforms/bluesky.md.

mod facets;
mod inbox;
mod record;
mod tid;
mod xrpc;

use crate::adapter::{
    Capabilities, ConnectFlow, Credentials, OAuthApp, PlatformAdapter, PostMetrics, Profile, PublishRequest, Published,
    TokenSet,
};
use crate::client::{Effect, HttpClient};
use crate::error::{PlatformError, PlatformResult};
use crate::inbound::{Polled, ReplyRequest};
use async_trait::async_trait;
use chrono::Utc;
use record::{StrongRef, POST_COLLECTION};
use sellcast_domain::Platform;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use xrpc::{Xrpc, XrpcFailure};

pub use record::{MAX_IMAGES, MAX_IMAGE_BYTES, MAX_VIDEO_BYTES};
pub use tid::{is_valid as is_valid_tid, record_key, Role};

/// Bluesky's post limit: 300 graphemes (`app.bsky.feed.post#main.text` maxGraphemes).
pub const MAX_GRAPHEMES: usize = 300;

#[derive(Debug, Clone)]
pub struct BlueskyConfig {
    /// Where users sign in when they name no server.
    pub default_server: String,
}

impl Default for BlueskyConfig {
    fn default() -> Self {
        BlueskyConfig { default_server: "https://bsky.social".into() }
    }
}

pub struct BlueskyAdapter {
    http: HttpClient,
    config: BlueskyConfig,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Session {
    access_jwt: String,
    refresh_jwt: String,
    handle: String,
    did: String,
    #[serde(default)]
    did_doc: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct SessionInfo {
    handle: String,
    did: String,
}

#[derive(Debug, Deserialize)]
struct CreatedRecord {
    uri: String,
    cid: String,
}

#[derive(Debug, Deserialize)]
struct StoredRecord {
    uri: String,
    #[serde(default)]
    cid: Option<String>,
    value: Value,
}

#[derive(Debug, Deserialize)]
struct UploadedBlob {
    blob: Value,
}

#[derive(Debug, Deserialize)]
struct ResolvedHandle {
    did: String,
}

#[derive(Debug, Deserialize)]
struct Posts {
    posts: Vec<PostView>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostView {
    #[serde(default)]
    like_count: Option<u64>,
    #[serde(default)]
    repost_count: Option<u64>,
    #[serde(default)]
    reply_count: Option<u64>,
    #[serde(default)]
    quote_count: Option<u64>,
}

impl BlueskyAdapter {
    pub fn new(http: HttpClient, config: BlueskyConfig) -> Self {
        BlueskyAdapter { http, config }
    }

    fn server(&self, creds: &Credentials) -> String {
        match creds.server_url.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => s.trim_end_matches('/').to_string(),
            None => self.config.default_server.trim_end_matches('/').to_string(),
        }
    }

    fn did(creds: &Credentials) -> PlatformResult<&str> {
        let did = creds.account_id.as_str();
        if did.starts_with("did:") {
            Ok(did)
        } else {
            Err(PlatformError::auth("the Bluesky account has no DID: reconnect it"))
        }
    }

    /// A record of the account's repo; None only when the PDS says RecordNotFound.
    async fn get_record(x: &Xrpc<'_>, did: &str, collection: &str, rkey: &str) -> PlatformResult<Option<StoredRecord>> {
        let params = [("repo", did), ("collection", collection), ("rkey", rkey)];
        match x.query::<StoredRecord>("com.atproto.repo.getRecord", &params).await {
            Ok(r) => Ok(Some(r)),
            Err(XrpcFailure { name: Some(n), .. }) if n == "RecordNotFound" => Ok(None),
            Err(f) => Err(f.error),
        }
    }

    /// Create a post record at `rkey`. When the create fails but a record already sits at the
    /// key (an earlier attempt whose answer was lost: the PDS answers 500 to a second create
    /// at one key), that record is ours if it has the same content, and is adopted.
    async fn create_or_adopt(
        x: &Xrpc<'_>,
        did: &str,
        rkey: &str,
        record: &Value,
        media_count: usize,
        reply_parent: Option<&str>,
    ) -> PlatformResult<StrongRef> {
        let body = json!({ "repo": did, "collection": POST_COLLECTION, "rkey": rkey, "record": record });
        let failure =
            match x.procedure::<CreatedRecord>("com.atproto.repo.createRecord", Some(&body), Effect::Create).await {
                Ok(created) => return Ok(StrongRef { uri: created.uri, cid: created.cid }),
                Err(f) => f,
            };
        if !matches!(failure.error, PlatformError::Retryable { .. } | PlatformError::Permanent { .. }) {
            return Err(failure.error);
        }
        let text = record.get("text").and_then(Value::as_str).unwrap_or_default();
        match Self::get_record(x, did, POST_COLLECTION, rkey).await {
            Ok(Some(stored)) if record::is_same_post(&stored.value, text, media_count, reply_parent) => {
                let cid = xrpc::require(stored.cid, "the record's cid")?;
                Ok(StrongRef { uri: stored.uri, cid })
            }
            Ok(Some(_)) => Err(PlatformError::permanent(
                None,
                format!("record key {rkey} already holds a different post on this Bluesky account"),
            )),
            // Nothing there, or the check failed: the create's own error stands.
            Ok(None) | Err(_) => Err(failure.error),
        }
    }

    /// Facets for `text`; mentions of handles that do not resolve stay plain text.
    async fn facets(x: &Xrpc<'_>, text: &str) -> PlatformResult<Vec<Value>> {
        let spans = facets::detect(text);
        let mut dids: HashMap<String, Option<String>> = HashMap::new();
        for span in &spans {
            let facets::Span::Mention { handle, .. } = span else { continue };
            if dids.contains_key(handle) {
                continue;
            }
            let resolved = x.query::<ResolvedHandle>("com.atproto.identity.resolveHandle", &[("handle", handle)]).await;
            let did = match resolved {
                Ok(r) => Some(r.did),
                // The handle does not exist (400 InvalidRequest "Unable to resolve handle").
                Err(XrpcFailure { error: PlatformError::Permanent { .. }, .. }) => None,
                Err(f) => return Err(f.error),
            };
            dids.insert(handle.clone(), did);
        }
        Ok(facets::to_json(&spans, |h| dids.get(h).cloned().flatten()))
    }

    async fn upload_media(x: &Xrpc<'_>, req: &PublishRequest) -> PlatformResult<Vec<Value>> {
        let mut blobs = Vec::with_capacity(req.media.len());
        for m in &req.media {
            let uploaded: UploadedBlob = x.upload("com.atproto.repo.uploadBlob", &m.mime, m.bytes.to_vec()).await?;
            blobs.push(uploaded.blob);
        }
        Ok(blobs)
    }

    fn session_to_credentials(&self, session: Session, signed_in_at: &str) -> Credentials {
        let now = Utc::now();
        // The DID document names the account's own PDS; bsky.social sign-ins land there.
        let server = session
            .did_doc
            .as_ref()
            .and_then(pds_endpoint)
            .unwrap_or_else(|| signed_in_at.trim_end_matches('/').to_string());
        Credentials {
            expires_at: Some(xrpc::expiry_or_default(&session.access_jwt, now)),
            access_token: session.access_jwt,
            refresh_token: Some(session.refresh_jwt).filter(|t| !t.is_empty()),
            account_id: session.did,
            server_url: Some(server),
            extra: json!({ "handle": session.handle }),
        }
    }
}

/// The `#atproto_pds` service endpoint of a DID document, when it is an http(s) URL.
fn pds_endpoint(did_doc: &Value) -> Option<String> {
    did_doc.get("service")?.as_array()?.iter().find_map(|s| {
        let id = s.get("id")?.as_str()?;
        let endpoint = s.get("serviceEndpoint")?.as_str()?;
        let is_pds = id == "#atproto_pds" || id.ends_with("#atproto_pds");
        let ok = url::Url::parse(endpoint).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        (is_pds && ok).then(|| endpoint.trim_end_matches('/').to_string())
    })
}

/// `options.langs`: up to three language tags, passed through.
fn langs(options: &Value) -> Option<Value> {
    let langs = options.get("langs")?.as_array()?;
    let tags: Vec<Value> =
        langs.iter().filter(|l| l.as_str().is_some_and(|s| !s.is_empty())).take(3).cloned().collect();
    (!tags.is_empty()).then_some(Value::Array(tags))
}

#[async_trait]
impl PlatformAdapter for BlueskyAdapter {
    fn platform(&self) -> Platform {
        Platform::Bluesky
    }

    fn capabilities(&self) -> Capabilities {
        // Deterministic record keys: a repeated create can never make a second post. Counts
        // (metrics) come from the AppView through the PDS; a lone PDS refuses them.
        Capabilities { idempotency_key: true, ..Capabilities::base(ConnectFlow::AppPassword, MAX_IMAGES as u32) }
    }

    async fn publish(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Published> {
        let did = Self::did(creds)?;
        record::check_media(&req.media)?;
        if req.text.trim().is_empty() && req.media.is_empty() {
            return Err(PlatformError::permanent(None, "a Bluesky post needs text or media"));
        }
        let server = self.server(creds);
        let x = Xrpc::new(&self.http, &server, Some(&creds.access_token));
        let facets = Self::facets(&x, &req.text).await?;
        let blobs = Self::upload_media(&x, req).await?;
        let embed = record::embed(&req.media, &blobs);
        let langs = langs(&req.options);
        let rkey = tid::record_key(&req.idempotency_key, req.first_attempt_at, Role::Post);
        let post = record::post(&req.text, facets, embed, None, langs.clone(), Utc::now());
        let post_ref = Self::create_or_adopt(&x, did, &rkey, &post, req.media.len(), None).await?;

        if let Some(comment) = req.first_comment.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            // The post exists whatever happens to the reply: a failed reply is logged, never
            // reported as a failed publish. Its key is deterministic too, so a later publish
            // of the same variant adds it without duplicating anything.
            let comment_rkey = tid::record_key(&req.idempotency_key, req.first_attempt_at, Role::FirstComment);
            let result = async {
                let facets = Self::facets(&x, comment).await?;
                let reply = record::post(comment, facets, None, Some((&post_ref, &post_ref)), langs, Utc::now());
                Self::create_or_adopt(&x, did, &comment_rkey, &reply, 0, Some(&post_ref.uri)).await
            }
            .await;
            if let Err(e) = result {
                tracing::warn!(platform = "bluesky", post = %post_ref.uri, error = %e, "the first comment could not be posted");
            }
        }
        Ok(Published { platform_post_id: post_ref.uri, url: Some(record::web_url(did, &rkey)) })
    }

    async fn find_published(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Option<Published>> {
        let did = Self::did(creds)?;
        let server = self.server(creds);
        let x = Xrpc::new(&self.http, &server, Some(&creds.access_token));
        let rkey = tid::record_key(&req.idempotency_key, req.first_attempt_at, Role::Post);
        // Every attempt writes to this one key, so the key alone answers the question.
        match Self::get_record(&x, did, POST_COLLECTION, &rkey).await? {
            Some(stored) if record::is_same_post(&stored.value, &req.text, req.media.len(), None) => {
                Ok(Some(Published { platform_post_id: stored.uri, url: Some(record::web_url(did, &rkey)) }))
            }
            // A different post at our key means ours was never written (its create would fail).
            Some(_) | None => Ok(None),
        }
    }

    async fn delete(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<()> {
        let did = Self::did(creds)?;
        let (repo, rkey) = record::parse_at_uri(platform_post_id)?;
        if repo != did {
            return Err(PlatformError::permanent(None, "the post belongs to another Bluesky account"));
        }
        let server = self.server(creds);
        let x = Xrpc::new(&self.http, &server, Some(&creds.access_token));
        let body = json!({ "repo": did, "collection": POST_COLLECTION, "rkey": rkey });
        // Deleting a record that is already gone succeeds: the call is safe to repeat.
        x.procedure::<Value>("com.atproto.repo.deleteRecord", Some(&body), Effect::Read).await?;
        Ok(())
    }

    async fn metrics(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<PostMetrics> {
        record::parse_at_uri(platform_post_id)?;
        let server = self.server(creds);
        let x = Xrpc::new(&self.http, &server, Some(&creds.access_token));
        // The PDS forwards app.bsky.* to its AppView; a lone PDS answers 400 (Permanent).
        let posts: Posts = x.query("app.bsky.feed.getPosts", &[("uris", platform_post_id)]).await?;
        let post = posts.posts.into_iter().next().ok_or_else(|| {
            PlatformError::permanent(Some(404), "the post is not on Bluesky (deleted or not indexed)")
        })?;
        Ok(PostMetrics {
            likes: post.like_count,
            comments: post.reply_count,
            shares: match (post.repost_count, post.quote_count) {
                (None, None) => None,
                (r, q) => Some(r.unwrap_or(0) + q.unwrap_or(0)),
            },
            impressions: None,
            reach: None,
        })
    }

    async fn profile(&self, creds: &Credentials) -> PlatformResult<Profile> {
        let server = self.server(creds);
        let x = Xrpc::new(&self.http, &server, Some(&creds.access_token));
        let session: SessionInfo = x.query("com.atproto.server.getSession", &[]).await?;
        // The profile record lives in the repo, so this works without an AppView.
        let stored = Self::get_record(&x, &session.did, "app.bsky.actor.profile", "self").await?;
        let value = stored.map(|s| s.value).unwrap_or(Value::Null);
        let display_name =
            value.get("displayName").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        let avatar_url = value.pointer("/avatar/ref/$link").and_then(Value::as_str).map(|cid| {
            let mut url = format!("{server}/xrpc/com.atproto.sync.getBlob");
            if let Ok(mut u) = url::Url::parse(&url) {
                u.query_pairs_mut().append_pair("did", &session.did).append_pair("cid", cid);
                url = u.to_string();
            }
            url
        });
        Ok(Profile {
            profile_url: Some(format!("https://bsky.app/profile/{}", session.handle)),
            account_id: session.did,
            handle: session.handle,
            display_name,
            avatar_url,
        })
    }

    async fn refresh(&self, _app: &OAuthApp, creds: &Credentials) -> PlatformResult<TokenSet> {
        let refresh = creds
            .refresh_token
            .as_deref()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| PlatformError::auth("no Bluesky refresh token: sign in again"))?;
        let server = self.server(creds);
        let x = Xrpc::new(&self.http, &server, Some(refresh));
        // The PDS accepts the previous refresh token for a grace period, so a lost answer is
        // retried safely.
        let session: Session = x.procedure("com.atproto.server.refreshSession", None, Effect::Read).await?;
        let creds = self.session_to_credentials(session, &server);
        Ok(TokenSet {
            access_token: creds.access_token,
            refresh_token: creds.refresh_token,
            expires_at: creds.expires_at,
            extra: creds.extra,
        })
    }

    async fn poll_inbox(&self, creds: &Credentials, cursor: Option<&str>) -> PlatformResult<Polled> {
        inbox::poll(self, creds, cursor).await
    }

    async fn reply(&self, creds: &Credentials, req: &ReplyRequest) -> PlatformResult<Published> {
        inbox::reply(self, creds, req).await
    }

    async fn create_session(&self, server_url: &str, identifier: &str, password: &str) -> PlatformResult<Credentials> {
        let server = match server_url.trim() {
            "" => self.config.default_server.clone(),
            // Users type hosts (`bsky.social`); the PDS speaks HTTPS.
            s if !s.contains("://") => format!("https://{s}"),
            s => s.to_string(),
        };
        let x = Xrpc::new(&self.http, &server, None);
        let identifier = identifier.trim().trim_start_matches('@');
        let body = json!({ "identifier": identifier, "password": password });
        let session: Session = x.procedure("com.atproto.server.createSession", Some(&body), Effect::Read).await?;
        Ok(self.session_to_credentials(session, &server))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pds_endpoint_from_did_doc() {
        let doc = json!({ "service": [
            { "id": "#other", "type": "X", "serviceEndpoint": "https://other.example" },
            { "id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": "https://pds.example/" },
        ]});
        assert_eq!(pds_endpoint(&doc).as_deref(), Some("https://pds.example"));
        assert_eq!(pds_endpoint(&json!({ "service": [{ "id": "#atproto_pds", "serviceEndpoint": "ftp://x" }] })), None);
        assert_eq!(pds_endpoint(&json!({})), None);
    }

    #[test]
    fn langs_are_passed_through() {
        assert_eq!(langs(&json!({ "langs": ["en", "", "fr"] })), Some(json!(["en", "fr"])));
        assert_eq!(langs(&json!({})), None);
    }
}
