//! The sandbox network: a channel that publishes into Sellcast itself, so a new user can try
//! composing, scheduling and publishing with no social accounts. It honours idempotency keys
//! like the best real APIs, so it also proves the exactly-once path end to end.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sellcast_domain::{ids, Platform};
use sellcast_platforms::{
    Capabilities, ConnectFlow, Credentials, OAuthApp, PlatformAdapter, PlatformError, PlatformResult, PostMetrics,
    Profile, PublishRequest, Published, TokenSet,
};
use sellcast_store::sandbox::{self, SandboxPostRow};
use sellcast_store::Db;
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::App;
use profile::{post_url, profile_url};

pub mod profile;

/// A post on the sandbox network.
#[derive(Debug, Clone, Serialize)]
pub struct SandboxPost {
    pub id: String,
    pub channel_id: String,
    pub text: String,
    /// What was attached: `[{url, mime, alt_text}]`.
    pub media: serde_json::Value,
    pub reply_to: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<SandboxPostRow> for SandboxPost {
    fn from(r: SandboxPostRow) -> Self {
        SandboxPost {
            id: r.id,
            channel_id: r.channel_id,
            text: r.text,
            media: r.media,
            reply_to: r.reply_to,
            created_at: r.created_at,
        }
    }
}

/// A sandbox post as "published", for the public link its variant points to. Deleted posts
/// are gone, as on a real network.
pub async fn post(app: &App, channel_id: &str, post_id: &str) -> AppResult<SandboxPost> {
    if !ids::is_valid_id(channel_id) || !ids::is_valid_id(post_id) {
        return Err(AppError::NotFound("sandbox post"));
    }
    let mut c = app.db.read().await?;
    sandbox::by_id(c.conn(), channel_id, post_id)
        .await?
        .filter(|p| p.deleted_at.is_none())
        .map(SandboxPost::from)
        .ok_or(AppError::NotFound("sandbox post"))
}

pub struct SandboxAdapter {
    pub db: Db,
    pub public_url: String,
}

fn store_err(e: impl std::fmt::Display) -> PlatformError {
    PlatformError::retryable(format!("sandbox storage failed: {e}"))
}

impl SandboxAdapter {
    fn published(&self, row: &SandboxPostRow) -> Published {
        Published { platform_post_id: row.id.clone(), url: Some(post_url(&self.public_url, &row.channel_id, &row.id)) }
    }
}

#[async_trait]
impl PlatformAdapter for SandboxAdapter {
    fn platform(&self) -> Platform {
        Platform::Sandbox
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_videos: 10,
            mixed_media: true,
            idempotency_key: true,
            ..Capabilities::base(ConnectFlow::Instant, 10)
        }
    }

    async fn publish(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Published> {
        let media: Vec<serde_json::Value> = req
            .media
            .iter()
            .map(
                |m| serde_json::json!({"mime": m.mime, "bytes": m.bytes.len(), "url": m.public_url, "alt": m.alt_text}),
            )
            .collect();
        let now = chrono::Utc::now();
        let mut tx = self.db.begin().await.map_err(store_err)?;
        let row = SandboxPostRow {
            id: ids::new_id(),
            channel_id: creds.account_id.clone(),
            idempotency_key: req.idempotency_key.clone(),
            text: req.text.clone(),
            media: serde_json::Value::Array(media),
            reply_to: None,
            created_at: now,
            deleted_at: None,
        };
        let post = sandbox::create(tx.conn(), &row).await.map_err(store_err)?;
        if let Some(comment) = &req.first_comment {
            let reply = SandboxPostRow {
                id: ids::new_id(),
                idempotency_key: format!("{}:first-comment", req.idempotency_key),
                text: comment.clone(),
                media: serde_json::json!([]),
                reply_to: Some(post.id.clone()),
                ..row
            };
            sandbox::create(tx.conn(), &reply).await.map_err(store_err)?;
        }
        tx.commit().await.map_err(store_err)?;
        Ok(self.published(&post))
    }

    async fn find_published(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Option<Published>> {
        let mut c = self.db.read().await.map_err(store_err)?;
        let row = sandbox::by_key(c.conn(), &creds.account_id, &req.idempotency_key).await.map_err(store_err)?;
        Ok(row.as_ref().map(|r| self.published(r)))
    }

    async fn delete(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<()> {
        let mut tx = self.db.begin().await.map_err(store_err)?;
        let gone = sandbox::mark_deleted(tx.conn(), &creds.account_id, platform_post_id, chrono::Utc::now())
            .await
            .map_err(store_err)?;
        tx.commit().await.map_err(store_err)?;
        if gone {
            Ok(())
        } else {
            Err(PlatformError::permanent(Some(404), "no such sandbox post"))
        }
    }

    async fn metrics(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<PostMetrics> {
        let mut c = self.db.read().await.map_err(store_err)?;
        let row = sandbox::by_id(c.conn(), &creds.account_id, platform_post_id).await.map_err(store_err)?;
        let row = row.ok_or_else(|| PlatformError::permanent(Some(404), "no such sandbox post"))?;
        // Deterministic, plausible numbers so dashboards have something to show.
        let seed = row.id.bytes().fold(0u64, |a, b| a.wrapping_mul(31).wrapping_add(u64::from(b)));
        Ok(PostMetrics {
            likes: Some(seed % 120),
            comments: Some(seed % 17),
            shares: Some(seed % 9),
            impressions: Some(500 + seed % 4000),
            reach: Some(300 + seed % 2500),
        })
    }

    async fn profile(&self, creds: &Credentials) -> PlatformResult<Profile> {
        let handle = creds.extra.get("handle").and_then(|h| h.as_str()).unwrap_or("sandbox").to_string();
        Ok(Profile {
            account_id: creds.account_id.clone(),
            handle: handle.clone(),
            display_name: Some(handle),
            avatar_url: None,
            profile_url: Some(profile_url(&self.public_url, &creds.account_id)),
        })
    }

    async fn refresh(&self, _app: &OAuthApp, creds: &Credentials) -> PlatformResult<TokenSet> {
        Ok(TokenSet {
            access_token: creds.access_token.clone(),
            refresh_token: None,
            expires_at: None,
            extra: serde_json::Value::Null,
        })
    }
}
