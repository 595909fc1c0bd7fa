use crate::limits::Limits;
use crate::metrics::Metrics;
use sellcast_app::App;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub limits: Arc<Limits>,
    pub metrics: Arc<Metrics>,
    /// Typing indicators between this process's WebSockets.
    pub typing: crate::realtime::typing::TypingHub,
}
