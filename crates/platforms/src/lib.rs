//! Sellcast's platform adapters: one module per social network behind the `PlatformAdapter`
//! trait. Each speaks the network's documented HTTP API against a configurable base URL
//! (docs/platforms.md lists the endpoints and limits, with sources). The `sandbox` adapter
//! publishes into Sellcast itself and lives in the app crate, which owns the database.

pub mod adapter;
pub mod client;
pub mod error;
pub mod inbound;
pub mod oauth;

pub mod bluesky;
pub mod facebook;
pub mod instagram;
pub mod linkedin;
pub mod mastodon;
pub mod messaging;
pub mod meta;
pub mod threads;
pub mod x;

pub use adapter::{
    AuthorizeRequest, Capabilities, CodeExchange, ConnectFlow, ConnectedAccount, Credentials, MediaItem, MediaKind,
    OAuthApp, PlatformAdapter, PostMetrics, Profile, PublishRequest, Published, TokenSet,
};
pub use client::{HttpClient, Timeouts};
pub use error::{PlatformError, PlatformResult};
pub use sellcast_domain::Platform;

use std::collections::HashMap;
use std::sync::Arc;

/// The adapters of this process, by platform.
#[derive(Clone, Default)]
pub struct Adapters {
    map: HashMap<Platform, Arc<dyn PlatformAdapter>>,
}

impl Adapters {
    pub fn insert(&mut self, adapter: Arc<dyn PlatformAdapter>) {
        self.map.insert(adapter.platform(), adapter);
    }

    pub fn get(&self, platform: Platform) -> Option<Arc<dyn PlatformAdapter>> {
        self.map.get(&platform).cloned()
    }
}
