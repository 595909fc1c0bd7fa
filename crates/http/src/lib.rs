//! Sellcast's HTTP layer: the JSON API, operations endpoints and the layers around them.

pub mod api;
pub mod error;
pub mod error_map;
pub mod extract;
pub mod limits;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod ops;
pub mod public;
pub mod realtime;
pub mod request_id;
pub mod state;
pub mod web;
pub mod webhooks;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use error::ApiError;
use sellcast_app::App;
use state::AppState;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub fn state_for(app: Arc<App>) -> AppState {
    let c = &app.config;
    let limits =
        limits::Limits::new(c.rate_limit_ip_per_minute, c.rate_limit_user_per_minute, c.rate_limit_login_per_minute);
    AppState {
        limits: Arc::new(limits),
        metrics: Arc::new(metrics::Metrics::new(&app)),
        typing: Default::default(),
        app,
    }
}

/// Browsers navigating get the product's 404 page; API clients the JSON error.
async fn not_found(uri: axum::http::Uri, headers: axum::http::HeaderMap) -> axum::response::Response {
    if !uri.path().starts_with("/api/") && web::accept::wants_html(&headers) {
        return web::not_found_page();
    }
    ApiError::not_found("no such route").into_response()
}

async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], openapi::json())
}

/// The whole application as one router.
pub fn router(state: AppState) -> Router {
    let config = &state.app.config;
    let mut r = Router::new()
        .nest("/api/v1", api::router().merge(realtime::router()))
        .merge(public::router())
        .merge(web::router())
        .merge(webhooks::router())
        .route("/api/openapi.json", get(openapi_json))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(not_found)
        .route_layer(axum::middleware::from_fn(middleware::tag_route))
        .layer(DefaultBodyLimit::max(config.json_body_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::ip_limit))
        .layer(axum::middleware::from_fn(middleware::reject_nul_in_uri))
        .layer(axum::middleware::from_fn(middleware::normalize_errors));
    let origins: Vec<HeaderValue> = config.cors_origin_list().iter().filter_map(|o| o.parse().ok()).collect();
    if !origins.is_empty() {
        r = r.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::PUT, Method::DELETE])
                .allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    HeaderName::from_static(request_id::HEADER),
                ])
                .expose_headers([HeaderName::from_static(request_id::HEADER), header::RETRY_AFTER])
                .max_age(Duration::from_secs(3600)),
        );
    }
    r.layer(axum::middleware::from_fn_with_state(state.clone(), middleware::security_headers))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::metrics))
        .layer(axum::middleware::from_fn(request_id::middleware))
        .with_state(state)
}

/// Serve until `shutdown` completes; background upkeep (rate-limit pruning) runs alongside.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.limits.clone();
    let pruner = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            limits.prune();
        }
    });
    let core = state.app.clone();
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    // Event streams never end by themselves: end them, so the graceful shutdown can finish.
    let shutdown = async move {
        shutdown.await;
        core.events.close();
    };
    let result = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    pruner.abort();
    result
}
