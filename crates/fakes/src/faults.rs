//! Faults injected into a fake server's next requests, and the middleware that applies them.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status, headers and JSON body instead of handling the request.
    Respond { status: u16, headers: Vec<(String, String)>, body: serde_json::Value },
    /// Handle the request (the post is created), then cut the connection before the answer.
    DropAfterHandling,
    /// Handle the request, then hold the answer this long (longer than the client waits).
    DelayAnswer(Duration),
}

#[derive(Debug)]
struct Armed {
    /// Applies to requests whose path contains this (empty: every request).
    path_contains: String,
    method: Option<String>,
    fault: Fault,
}

/// The faults waiting for a server's next matching requests, each used once.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    armed: Arc<Mutex<VecDeque<Armed>>>,
    /// Latency added to every request (benchmarks: a platform that answers in 20 ms).
    latency: Arc<Mutex<Duration>>,
}

impl Faults {
    /// Arm `fault` for the next request whose method is `method` (any when None) and whose
    /// path contains `path_contains`.
    pub fn push(&self, method: Option<&str>, path_contains: &str, fault: Fault) {
        self.lock().push_back(Armed {
            path_contains: path_contains.to_string(),
            method: method.map(str::to_ascii_uppercase),
            fault,
        });
    }

    pub fn set_latency(&self, d: Duration) {
        *self.latency.lock().unwrap_or_else(|p| p.into_inner()) = d;
    }

    pub fn pending(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Armed>> {
        self.armed.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn take(&self, method: &str, path: &str) -> Option<Fault> {
        let mut armed = self.lock();
        let i = armed
            .iter()
            .position(|a| path.contains(&a.path_contains) && a.method.as_deref().is_none_or(|m| m == method))?;
        armed.remove(i).map(|a| a.fault)
    }
}

/// Middleware: apply the next matching fault, if any.
pub async fn apply(State(faults): State<Faults>, req: Request, next: Next) -> Response {
    let latency = *faults.latency.lock().unwrap_or_else(|p| p.into_inner());
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let fault = faults.take(req.method().as_str(), req.uri().path());
    match fault {
        None => next.run(req).await,
        Some(Fault::Respond { status, headers, body }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut resp = (status, axum::Json(body)).into_response();
            for (k, v) in headers {
                if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
                    resp.headers_mut().insert(k, v);
                }
            }
            resp
        }
        Some(Fault::DropAfterHandling) => {
            let handled = next.run(req).await;
            // A body that fails at once: hyper aborts the connection mid-response.
            let (parts, _) = handled.into_parts();
            let failing = futures_util::stream::once(async {
                Err::<bytes::Bytes, std::io::Error>(std::io::Error::other("connection dropped by the fault injector"))
            });
            Response::from_parts(parts, Body::from_stream(failing))
        }
        Some(Fault::DelayAnswer(d)) => {
            let handled = next.run(req).await;
            tokio::time::sleep(d).await;
            handled
        }
    }
}
