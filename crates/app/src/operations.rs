//! What operators watch: whether the database answers, and the numbers `/metrics` shows
//! (the job queue's, shared with this process's workers, and the database pool's).

use crate::error::AppResult;
use crate::App;
use prometheus_client::registry::Registry;

/// Connections of the database pool right now.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
}

/// The database answers a trivial query.
pub async fn ping(app: &App) -> AppResult<()> {
    Ok(app.db.ping().await?)
}

/// Put the job queue's metrics into `registry`.
pub fn register_metrics(app: &App, registry: &mut Registry) {
    app.queue_metrics.register(registry);
}

/// Bring the queue's gauges up to date; the pool's numbers.
pub async fn refresh_metrics(app: &App) -> PoolStats {
    app.queue_metrics.refresh(&app.db).await;
    let (size, idle) = app.db.pool_stats();
    PoolStats { size, idle }
}
