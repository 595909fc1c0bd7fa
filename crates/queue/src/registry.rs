//! Which handler runs which kind, with its backoff and timeout, and the periodic jobs.

use crate::backoff::Backoff;
use crate::job::{JobArgs, JobRow, NewJob, Outcome};
use crate::periodic::Periodic;
use crate::QueueResult;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// What a handler is given: the job as claimed (id, attempt, args, metadata).
#[derive(Debug, Clone)]
pub struct JobContext {
    pub job: JobRow,
}

type HandlerFn = Arc<dyn Fn(JobContext) -> BoxFuture<'static, Outcome> + Send + Sync>;

pub struct KindSpec {
    pub(crate) handler: HandlerFn,
    pub(crate) backoff: Backoff,
    pub(crate) timeout: Option<Duration>,
}

impl KindSpec {
    pub fn backoff(&mut self, b: Backoff) -> &mut Self {
        self.backoff = b;
        self
    }

    /// Attempts running longer fail (and are retried); a job's own timeout wins.
    pub fn timeout(&mut self, t: Duration) -> &mut Self {
        self.timeout = Some(t);
        self
    }
}

#[derive(Default)]
pub struct Registry {
    pub(crate) kinds: HashMap<String, KindSpec>,
    pub(crate) periodic: Vec<Periodic>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// A handler for kind `A::KIND`; arguments that do not decode discard the job.
    pub fn register<A, F, Fut>(&mut self, handler: F) -> &mut KindSpec
    where
        A: JobArgs,
        F: Fn(JobContext, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        let handler = Arc::new(handler);
        self.register_raw(A::KIND, move |ctx: JobContext| {
            let handler = handler.clone();
            async move {
                match serde_json::from_value::<A>(ctx.job.args.0.clone()) {
                    Ok(args) => handler(ctx, args).await,
                    Err(e) => Outcome::Discard(format!("arguments do not decode as {}: {e}", A::KIND)),
                }
            }
        })
    }

    /// A handler over the raw job (untyped kinds).
    pub fn register_raw<F, Fut>(&mut self, kind: &str, handler: F) -> &mut KindSpec
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        let handler: HandlerFn = Arc::new(move |ctx| Box::pin(handler(ctx)));
        let spec = KindSpec { handler, backoff: Backoff::default(), timeout: None };
        self.kinds.insert(kind.to_string(), spec);
        self.kinds.get_mut(kind).expect("just inserted")
    }

    /// Enqueue `job` on every tick of `cron` (5 fields, or 6 with seconds), once per tick
    /// across every process.
    pub fn periodic(&mut self, name: &str, cron: &str, job: NewJob) -> QueueResult<()> {
        self.periodic.push(Periodic::new(name, cron, job)?);
        Ok(())
    }

    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }

    pub(crate) fn backoff_for(&self, kind: &str) -> Backoff {
        self.kinds.get(kind).map(|k| k.backoff.clone()).unwrap_or_default()
    }
}
