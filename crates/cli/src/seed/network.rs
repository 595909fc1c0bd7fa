//! The sandbox as the demo sees it: the real sandbox adapter, except that chosen variants get
//! the platform error a real network would have answered, so failures travel the real
//! publish path (variant and post status, job outcome, notifications, reconnect).

use async_trait::async_trait;
use sellcast_domain::Platform;
use sellcast_platforms::{
    Capabilities, Credentials, OAuthApp, PlatformAdapter, PlatformError, PlatformResult, PostMetrics, Profile,
    PublishRequest, Published, TokenSet,
};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Faults {
    /// Publish refusals by variant id (the sandbox's idempotency key).
    by_variant: Mutex<HashMap<String, PlatformError>>,
    /// Channels (the sandbox account id is the channel id) whose token refresh is refused.
    revoked: Mutex<HashSet<String>>,
}

impl Faults {
    pub fn refuse(&self, variant_id: &str, error: PlatformError) {
        self.by_variant.lock().unwrap_or_else(|p| p.into_inner()).insert(variant_id.to_string(), error);
    }

    pub fn revoke(&self, channel_id: &str) {
        self.revoked.lock().unwrap_or_else(|p| p.into_inner()).insert(channel_id.to_string());
    }

    fn refusal(&self, variant_id: &str) -> Option<PlatformError> {
        self.by_variant.lock().unwrap_or_else(|p| p.into_inner()).get(variant_id).cloned()
    }

    fn is_revoked(&self, channel_id: &str) -> bool {
        self.revoked.lock().unwrap_or_else(|p| p.into_inner()).contains(channel_id)
    }
}

pub struct DemoSandbox {
    pub inner: Arc<dyn PlatformAdapter>,
    pub faults: Arc<Faults>,
}

#[async_trait]
impl PlatformAdapter for DemoSandbox {
    fn platform(&self) -> Platform {
        Platform::Sandbox
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn publish(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Published> {
        match self.faults.refusal(&req.idempotency_key) {
            Some(e) => Err(e),
            None => self.inner.publish(creds, req).await,
        }
    }

    async fn find_published(&self, creds: &Credentials, req: &PublishRequest) -> PlatformResult<Option<Published>> {
        self.inner.find_published(creds, req).await
    }

    async fn delete(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<()> {
        self.inner.delete(creds, platform_post_id).await
    }

    async fn metrics(&self, creds: &Credentials, platform_post_id: &str) -> PlatformResult<PostMetrics> {
        self.inner.metrics(creds, platform_post_id).await
    }

    async fn profile(&self, creds: &Credentials) -> PlatformResult<Profile> {
        self.inner.profile(creds).await
    }

    async fn refresh(&self, app: &OAuthApp, creds: &Credentials) -> PlatformResult<TokenSet> {
        if self.faults.is_revoked(&creds.account_id) {
            return Err(PlatformError::auth("invalid_grant: the refresh token was revoked"));
        }
        self.inner.refresh(app, creds).await
    }
}
