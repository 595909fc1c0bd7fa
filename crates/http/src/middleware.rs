//! Cross-cutting layers: security headers, the per-IP limit, metrics, and turning any bare
//! error status (405, 413 from the body limit, …) into the API error body.

use crate::error::ApiError;
use crate::extract::{bearer, client_ip};
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The matched route template, carried on the response so the outer metrics layer sees it.
#[derive(Clone)]
struct RouteTemplate(String);

/// Inner (route) layer: remember which route template served the request.
pub async fn tag_route(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());
    let mut res = next.run(req).await;
    if let Some(r) = route {
        res.extensions_mut().insert(RouteTemplate(r));
    }
    res
}

pub async fn metrics(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    let route = res.extensions().get::<RouteTemplate>().map(|r| r.0.as_str()).unwrap_or("unmatched");
    state.metrics.observe(&method, route, res.status().as_u16(), started.elapsed().as_secs_f64());
    res
}

/// Unauthenticated requests are limited per client IP; operations endpoints are exempt so
/// monitoring never trips it.
pub async fn ip_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    // Signed media links are fetched by platforms (Meta fetches every image by URL), often many
    // at once from one address; the signature, not a rate limit, protects them.
    // Webhooks come from the platforms' few addresses in bursts; their signatures protect them,
    // and refusing one would make the platform retry (or give up on) a customer's message.
    let exempt = matches!(path, "/healthz" | "/readyz" | "/metrics")
        || path.starts_with("/media/")
        || path.starts_with("/webhooks/");
    let (parts, body) = req.into_parts();
    if !exempt && bearer(&parts).is_none() {
        if let Some(ip) = client_ip(&parts, state.app.config.trust_proxy) {
            if let Err(e) = state.limits.check_ip(ip) {
                return e.into_response();
            }
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: &'static str, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(h, "content-security-policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'");
    set(h, "x-frame-options", "DENY");
    set(h, "x-content-type-options", "nosniff");
    set(h, "referrer-policy", "strict-origin-when-cross-origin");
    set(h, "permissions-policy", "geolocation=(), microphone=(), camera=()");
    set(h, "cross-origin-opener-policy", "same-origin");
    if state.app.config.uses_https() {
        set(h, "strict-transport-security", "max-age=63072000; includeSubDomains");
    }
    res
}

/// Any error response without a JSON body gets the standard error body.
pub async fn normalize_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    // JSON errors are already in shape; HTML errors are the web UI's own pages.
    if is_json {
        return res;
    }
    let allow = res.headers().get(header::ALLOW).cloned();
    let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
    let mut out = ApiError::from_status(status).into_response();
    if let Some(a) = allow {
        out.headers_mut().insert(header::ALLOW, a);
    }
    if let Some(r) = retry_after {
        out.headers_mut().insert(header::RETRY_AFTER, r);
    }
    out
}

/// A NUL byte cannot be stored as text; a URI that encodes one is refused up front.
pub async fn reject_nul_in_uri(req: Request, next: Next) -> Response {
    let uri = req.uri().to_string();
    if uri.to_ascii_lowercase().contains("%00") {
        return ApiError::validation("the URL must not contain NUL characters", serde_json::Value::Null)
            .into_response();
    }
    next.run(req).await
}
