//! Prometheus metrics: requests by route and status, latency, database pool, process memory.

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use sellcast_app::{operations, App};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    pool_size: Gauge,
    pool_idle: Gauge,
    resident: Gauge,
    virtual_mem: Gauge,
}

fn latency_histogram() -> Histogram {
    // 1 ms … ~16 s
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Metrics {
    /// HTTP and database metrics, plus the job queue's (shared with this process's workers).
    pub fn new(app: &App) -> Self {
        let mut registry = Registry::default();
        operations::register_metrics(app, &mut registry);
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let (pool_size, pool_idle, resident, virtual_mem) =
            (Gauge::default(), Gauge::default(), Gauge::default(), Gauge::default());
        registry.register("sellcast_http_requests", "HTTP requests by route and status", requests.clone());
        registry.register("sellcast_http_request_duration_seconds", "HTTP request latency", latency.clone());
        registry.register("sellcast_db_pool_connections", "Open database connections", pool_size.clone());
        registry.register("sellcast_db_pool_idle_connections", "Idle database connections", pool_idle.clone());
        registry.register("process_resident_memory_bytes", "Resident memory of this process", resident.clone());
        registry.register("process_virtual_memory_bytes", "Virtual memory of this process", virtual_mem.clone());
        Metrics { registry, requests, latency, pool_size, pool_idle, resident, virtual_mem }
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_string(), route.to_string());
        self.requests.get_or_create(&RequestLabels { method: method.clone(), route: route.clone(), status }).inc();
        self.latency.get_or_create(&RouteLabels { method, route }).observe(seconds);
    }

    pub async fn render(&self, app: &App) -> String {
        let pool = operations::refresh_metrics(app).await;
        self.pool_size.set(pool.size as i64);
        self.pool_idle.set(pool.idle as i64);
        if let Some((rss, vsz)) = process_memory() {
            self.resident.set(rss as i64);
            self.virtual_mem.set(vsz as i64);
        }
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// (resident, virtual) bytes from /proc/self/statm; None where there is no procfs.
fn process_memory() -> Option<(u64, u64)> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let mut it = statm.split_whitespace().map(|n| n.parse::<u64>().ok());
    let pages_virtual = it.next()??;
    let pages_resident = it.next()??;
    const PAGE: u64 = 4096;
    Some((pages_resident * PAGE, pages_virtual * PAGE))
}
