//! Queue metrics in Prometheus form: jobs by state and queue, claim-to-run lag, run
//! duration, failures by kind, rescued leases.

use crate::ops;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use sellcast_store::Db;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    queue: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

pub struct QueueMetrics {
    jobs: Family<StateLabels, Gauge>,
    lag: Histogram,
    duration: Histogram,
    failures: Family<KindLabels, Counter>,
    rescued: Counter,
}

impl Default for QueueMetrics {
    fn default() -> Self {
        QueueMetrics {
            jobs: Family::default(),
            lag: Histogram::new(exponential_buckets(0.001, 2.0, 16)),
            duration: Histogram::new(exponential_buckets(0.001, 2.0, 16)),
            failures: Family::default(),
            rescued: Counter::default(),
        }
    }
}

impl QueueMetrics {
    pub fn register(&self, registry: &mut Registry) {
        registry.register("sellcast_jobs", "Jobs by queue and state", self.jobs.clone());
        registry.register("sellcast_job_lag_seconds", "Time from run_at to the start of a run", self.lag.clone());
        registry.register("sellcast_job_duration_seconds", "Run time of job attempts", self.duration.clone());
        registry.register("sellcast_job_failures", "Failed job attempts by kind", self.failures.clone());
        registry.register(
            "sellcast_job_rescued_leases",
            "Running jobs rescued after their lease expired",
            self.rescued.clone(),
        );
    }

    pub(crate) fn observe_lag(&self, secs: f64) {
        self.lag.observe(secs.max(0.0));
    }

    pub(crate) fn observe_duration(&self, secs: f64) {
        self.duration.observe(secs);
    }

    pub(crate) fn failed(&self, kind: &str) {
        self.failures.get_or_create(&KindLabels { kind: kind.to_string() }).inc();
    }

    pub(crate) fn rescued(&self, n: u64) {
        self.rescued.inc_by(n);
    }

    /// Read the job counts from the database (called when metrics are scraped).
    pub async fn refresh(&self, db: &Db) {
        let counts = async {
            let mut c = db.read().await.map_err(crate::QueueError::from)?;
            ops::counts(c.conn()).await
        }
        .await;
        if let Ok(rows) = counts {
            self.jobs.clear();
            for (queue, state, n) in rows {
                self.jobs.get_or_create(&StateLabels { queue, state }).set(n);
            }
        }
    }
}
