//! One fake for Meta: the Graph API paths the Facebook Pages and Instagram adapters use
//! (under `/v21.0`), and the Threads API paths (under `/v1.0`, plus the unversioned token
//! endpoints), so one server stands in for graph.facebook.com, www.facebook.com (the login
//! dialog) and graph.threads.net.
//!
//! It checks requests like Meta does: a missing token is code 104, a bad or expired one code
//! 190 (OAuthException), a missing parameter code 100, a token that cannot reach an object
//! code 100/33, publishing a container that is not FINISHED Instagram's 9007/2207027, and the
//! Instagram 24-hour publishing cap 9/2207042. Containers go IN_PROGRESS → FINISHED after a
//! configurable number of status reads. Everything is in HashMaps so 100,000 posts stay fast.
//!
//! Messaging: the WhatsApp Cloud API (`whatsapp.rs`, `whatsapp_send.rs`: 24-hour window 131047,
//! approved templates 132001, throughput 130429, media), Instagram/Messenger sends, private and
//! comment replies (`messaging.rs`: window code 10), webhook subscriptions (`subscriptions.rs`),
//! and signed webhook deliveries to the app under test (`webhooks.rs`).

// Handlers answer errors as ready-made `Response`s; in a test fake their size does not matter.
#![allow(clippy::result_large_err)]

mod graph;
mod instagram;
mod messaging;
mod messaging_state;
mod network;
mod oauth;
mod params;
mod state;
mod subscriptions;
mod threads;
mod webhooks;
mod whatsapp;
mod whatsapp_send;
mod whatsapp_state;

pub use messaging_state::{CommentReply, DmSent};
pub use network::Network;
pub use state::{FakeInstagram, FakePage, FakePost};
pub use webhooks::{signature, ReceivedWebhook, WebhookSink};
pub use whatsapp_state::{FakeTemplate, WhatsAppSent};

use crate::server::FakeServer;
use axum::routing::{any, get, post};
use axum::Router;
use state::{Subject, World};
use std::sync::{Arc, Mutex, MutexGuard};

pub const GRAPH_VERSION: &str = "v21.0";
pub const THREADS_VERSION: &str = "v1.0";
/// The Facebook app Sellcast is registered as (Facebook Pages and Instagram).
pub const CLIENT_ID: &str = "fake-meta-app";
pub const CLIENT_SECRET: &str = "fake-meta-secret";
/// The Threads app (Threads apps have their own id and secret).
pub const THREADS_CLIENT_ID: &str = "fake-threads-app";
pub const THREADS_CLIENT_SECRET: &str = "fake-threads-secret";

/// Start a fake Meta server: `MetaConfig::with_base(&server.url())` and
/// `ThreadsConfig::with_base(&server.url())` point the adapters at it.
pub async fn start() -> std::io::Result<(FakeServer, MetaState)> {
    let state = MetaState::new();
    let server = FakeServer::start(state.router()).await?;
    Ok((server, state))
}

/// The fake's world, shared with the test that drives it.
#[derive(Clone)]
pub struct MetaState {
    world: Arc<Mutex<World>>,
}

impl Default for MetaState {
    fn default() -> Self {
        Self::new()
    }
}

impl MetaState {
    /// One Facebook user managing two Pages (the first linked to an Instagram professional
    /// account), and one Threads user; a long-lived token for each.
    pub fn new() -> Self {
        let mut world = World::new();
        whatsapp::seed(&mut world);
        MetaState { world: Arc::new(Mutex::new(world)) }
    }

    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn router(&self) -> Router {
        let graph = format!("/{GRAPH_VERSION}");
        let th = format!("/{THREADS_VERSION}");
        Router::new()
            .route(&format!("{graph}/dialog/oauth"), get(oauth::facebook_dialog))
            .route(&format!("{graph}/oauth/access_token"), get(oauth::facebook_token))
            // WhatsApp phone numbers and media, else graph.rs.
            .route(&format!("{graph}/{{node}}"), any(whatsapp::node))
            .route(&format!("{graph}/{{node}}/{{edge}}"), any(graph::edge))
            // Messaging edges (WhatsApp, Instagram, Messenger); `comments` falls back to graph.rs.
            .route(&format!("{graph}/{{node}}/messages"), post(messaging::messages))
            .route(&format!("{graph}/{{node}}/message_templates"), get(whatsapp::templates))
            .route(
                &format!("{graph}/{{node}}/subscribed_apps"),
                get(subscriptions::subscribed_apps).post(subscriptions::subscribed_apps),
            )
            .route(&format!("{graph}/{{node}}/replies"), post(messaging::replies))
            .route(&format!("{graph}/{{node}}/comments"), any(messaging::comments))
            .route("/whatsapp-media/{id}", get(whatsapp::download))
            .route("/oauth/authorize", get(oauth::threads_dialog))
            .route("/oauth/access_token", post(oauth::threads_token))
            .route("/access_token", get(oauth::threads_exchange))
            .route("/refresh_access_token", get(oauth::threads_refresh))
            .route(&format!("{th}/{{node}}"), any(threads::node))
            .route(&format!("{th}/{{node}}/{{edge}}"), any(threads::edge))
            .with_state(self.clone())
    }

    /// The Facebook user's id.
    pub fn user_id(&self) -> String {
        self.world().user_id.clone()
    }

    /// A long-lived Facebook user token (what an Instagram channel holds).
    pub fn user_token(&self) -> String {
        self.token_of(&Subject::User)
    }

    pub fn threads_token(&self) -> String {
        self.token_of(&Subject::ThreadsUser)
    }

    fn token_of(&self, subject: &Subject) -> String {
        let w = self.world();
        let now = chrono::Utc::now();
        w.tokens
            .iter()
            .filter(|(_, g)| g.subject == *subject && g.expires_at.is_none_or(|at| at > now))
            .max_by_key(|(_, g)| g.expires_at)
            .map(|(t, _)| t.clone())
            .unwrap_or_default()
    }

    pub fn threads_user_id(&self) -> String {
        self.world().threads_user_id.clone()
    }

    pub fn pages(&self) -> Vec<FakePage> {
        self.world().pages.clone()
    }

    /// Replace the user's Pages (and their linked Instagram accounts and Page tokens).
    pub fn set_pages(&self, pages: Vec<FakePage>) {
        self.world().set_pages(pages);
    }

    pub fn page_token(&self, page_id: &str) -> Option<String> {
        self.world().page(page_id).map(|p| p.access_token.clone())
    }

    /// The first Instagram account linked to a Page.
    pub fn instagram_id(&self) -> Option<String> {
        self.world().pages.iter().find_map(|p| p.instagram.as_ref().map(|ig| ig.id.clone()))
    }

    /// The user revoked the app: the token is unknown from now on (code 190).
    pub fn revoke(&self, token: &str) {
        self.world().tokens.remove(token);
    }

    /// The token's session expired (code 190, subcode 463).
    pub fn expire(&self, token: &str) {
        if let Some(g) = self.world().tokens.get_mut(token) {
            g.expires_at = Some(chrono::Utc::now() - chrono::Duration::seconds(1));
        }
    }

    /// Status reads answered IN_PROGRESS before a new container is FINISHED (default 0).
    pub fn set_polls_until_finished(&self, polls: u32) {
        self.world().polls_to_finish = polls;
    }

    /// Containers made from this media URL end in ERROR.
    pub fn fail_media_url(&self, url: &str) {
        self.world().failing_urls.insert(url.to_string());
    }

    /// Instagram API-published posts allowed per account per 24 hours (default 100).
    pub fn set_publishing_quota(&self, total: u64) {
        self.world().quota_total = total;
    }

    pub fn set_engagement(&self, post_id: &str, likes: u64, shares: u64, views: u64) {
        let mut w = self.world();
        if let Some(p) = w.posts.get_mut(post_id) {
            p.likes = likes;
            p.shares = shares;
            p.views = views;
        }
    }

    /// Live top-level posts on every network, oldest first.
    pub fn posts(&self) -> Vec<FakePost> {
        let mut posts: Vec<FakePost> = self.world().posts.values().cloned().collect();
        posts.sort_by_key(|p| p.seq);
        posts
    }

    pub fn post(&self, id: &str) -> Option<FakePost> {
        let w = self.world();
        w.posts.get(id).or_else(|| w.replies.get(id)).cloned()
    }

    /// Live top-level posts on every network.
    pub fn count(&self) -> usize {
        self.world().posts.len()
    }

    pub fn count_on(&self, network: Network) -> usize {
        self.world().posts.values().filter(|p| p.network == network).count()
    }

    /// Comments (Facebook, Instagram) or replies (Threads) on a post, oldest first.
    pub fn comments_on(&self, post_id: &str) -> Vec<String> {
        self.world().posts.get(post_id).map(|p| p.comments.clone()).unwrap_or_default()
    }

    /// Container status reads so far (Instagram and Threads).
    pub fn status_reads(&self) -> u64 {
        self.world().status_reads
    }
}
