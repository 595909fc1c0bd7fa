//! The contract around every route: error bodies, limits, headers, request ids, rate limits,
//! operations endpoints and the OpenAPI document.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn errors_always_use_the_error_body(b: Backend) {
    let srv = TestServer::start(b).await;
    let a = srv.register("errors@example.com").await;
    srv.get("/api/v1/no-such-thing", None).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.get("/api/v1/orgs/x/y/z", Some(&a.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.get("/nowhere", None).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));

    let wrong_method = srv.send(Method::PUT, "/api/v1/me", Some(&a.token), None).await;
    wrong_method.expect(StatusCode::METHOD_NOT_ALLOWED, Some("NOT_FOUND"));
    assert!(wrong_method.headers.get("allow").is_some(), "405 names the allowed methods");

    let no_type =
        srv.http.post(srv.url("/api/v1/auth/login")).body(r#"{"email":"a@b.co","password":"x"}"#).send().await.unwrap();
    Response::read(no_type).await.expect(StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("VALIDATION_ERROR"));

    let malformed = srv
        .http
        .post(srv.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    Response::read(malformed).await.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));

    srv.post("/api/v1/auth/login", None, json!({"email": 5}))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    srv.post("/api/v1/auth/login", None, json!([1, 2])).await.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));

    let huge = "x".repeat(1024 * 1024 + 10);
    let r = srv
        .post(&format!("/api/v1/orgs/{}/clients", a.org_id), Some(&a.token), json!({"name": "n", "notes": huge}))
        .await;
    r.expect(StatusCode::PAYLOAD_TOO_LARGE, Some("PAYLOAD_TOO_LARGE"));

    let bad_query = srv.get(&format!("/api/v1/orgs/{}/clients?limit=abc", a.org_id), Some(&a.token)).await;
    bad_query.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    srv.stop().await;
}

async fn security_headers_and_request_ids(b: Backend) {
    let srv = TestServer::start(b).await;
    let r = srv.http.get(srv.url("/api/v1/me")).header("x-request-id", "trace-abc-123").send().await.unwrap();
    let r = Response::read(r).await;
    r.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    assert_eq!(r.headers["x-request-id"], "trace-abc-123");
    assert_eq!(r.body["error"]["request_id"], "trace-abc-123", "the error body carries the same id");
    assert_eq!(r.headers["x-frame-options"], "DENY");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert_eq!(r.headers["referrer-policy"], "strict-origin-when-cross-origin");
    assert!(r.headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert!(r.headers.get("strict-transport-security").is_none(), "no HSTS on plain http");

    let generated = srv.get("/healthz", None).await;
    let id = generated.headers["x-request-id"].to_str().unwrap();
    assert!(id.len() >= 32, "a request id is generated: {id}");
    let hostile = srv.http.get(srv.url("/healthz")).header("x-request-id", "x".repeat(500)).send().await.unwrap();
    assert_ne!(hostile.headers()["x-request-id"].to_str().unwrap(), "x".repeat(500), "oversized ids are replaced");
    srv.stop().await;

    let https = TestServer::start_with(b, |c| c.public_url = Some("https://sellcast.example.com".into())).await;
    let r = https.get("/healthz", None).await;
    assert!(r.headers["strict-transport-security"].to_str().unwrap().contains("max-age="));
    https.stop().await;
}

async fn cors_allows_only_configured_origins(b: Backend) {
    let srv = TestServer::start_with(b, |c| c.cors_origins = "https://app.example.com".into()).await;
    let allowed = srv.http.get(srv.url("/healthz")).header("origin", "https://app.example.com").send().await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example.com");
    let other = srv.http.get(srv.url("/healthz")).header("origin", "https://evil.example.com").send().await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    let preflight = srv
        .http
        .request(Method::OPTIONS, srv.url("/api/v1/me"))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "PATCH")
        .header("access-control-request-headers", "authorization,content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert!(preflight.headers()["access-control-allow-methods"].to_str().unwrap().contains("PATCH"));
    srv.stop().await;
}

async fn rate_limits_answer_429_with_retry_after(b: Backend) {
    let srv = TestServer::start_with(b, |c| {
        c.rate_limit_ip_per_minute = 8;
        c.rate_limit_user_per_minute = 4;
        c.rate_limit_login_per_minute = 2;
    })
    .await;
    let a = srv.register("limits@example.com").await; // 1 unauthenticated request
    for _ in 0..4 {
        srv.get("/api/v1/me", Some(&a.token)).await.expect(StatusCode::OK, None);
    }
    let limited = srv.get("/api/v1/me", Some(&a.token)).await;
    limited.expect(StatusCode::TOO_MANY_REQUESTS, Some("RATE_LIMITED"));
    let retry: u64 = limited.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");

    let login = json!({"email": "limits@example.com", "password": PASSWORD});
    srv.post("/api/v1/auth/login", None, login.clone()).await.expect(StatusCode::OK, None);
    srv.post("/api/v1/auth/login", None, login.clone()).await.expect(StatusCode::OK, None);
    let third = srv.post("/api/v1/auth/login", None, login).await;
    third.expect(StatusCode::TOO_MANY_REQUESTS, Some("RATE_LIMITED"));
    assert!(third.headers.get("retry-after").is_some());

    // 4 unauthenticated requests so far; the IP limit (8) trips on the 9th.
    for _ in 0..4 {
        srv.get("/api/v1/invites/nope", None).await.expect(StatusCode::NOT_FOUND, None);
    }
    srv.get("/api/v1/invites/nope", None).await.expect(StatusCode::TOO_MANY_REQUESTS, Some("RATE_LIMITED"));
    srv.get("/healthz", None).await.expect(StatusCode::OK, None);
    srv.stop().await;
}

async fn operations_endpoints(b: Backend) {
    let srv = TestServer::start(b).await;
    let a = srv.register("ops@example.com").await;
    srv.get(&format!("/api/v1/orgs/{}/members", a.org_id), Some(&a.token)).await.expect(StatusCode::OK, None);
    assert_eq!(srv.get("/healthz", None).await.body["status"], "ok");
    assert_eq!(srv.get("/readyz", None).await.body["status"], "ready");
    let m = srv.http.get(srv.url("/metrics")).send().await.unwrap();
    assert!(m.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = m.text().await.unwrap();
    assert!(
        text.contains(
            r#"sellcast_http_requests_total{method="GET",route="/api/v1/orgs/{org_id}/members",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"sellcast_http_requests_total{method="POST",route="/api/v1/auth/register",status="201"} 1"#)
    );
    assert!(text.contains("sellcast_http_request_duration_seconds_bucket"));
    assert!(text.contains("sellcast_db_pool_connections"));
    assert!(text.contains("process_resident_memory_bytes"));
    srv.app.db.close().await;
    srv.get("/readyz", None).await.expect(StatusCode::SERVICE_UNAVAILABLE, Some("INTERNAL_ERROR"));
    srv.stop().await;
}

/// The committed spec (docs/openapi.json) is exactly what the code generates, and every
/// operation it lists is routed.
async fn openapi_is_committed_and_complete(b: Backend) {
    let srv = TestServer::start(b).await;
    let served = srv.get("/api/openapi.json", None).await;
    served.expect(StatusCode::OK, None);
    let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let committed = std::fs::read_to_string(committed_path).unwrap_or_default();
    let generated = sellcast_http::openapi::json();
    assert!(
        committed.trim() == generated.trim(),
        "docs/openapi.json is out of date: run `cargo run -q -- openapi > docs/openapi.json`"
    );
    assert_eq!(served.body, serde_json::from_str::<serde_json::Value>(&generated).unwrap());
    let paths = served.body["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for method in ["get", "post", "patch", "put", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            operations += 1;
            let concrete = path.replace(['{', '}'], "");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = srv.send(m, &concrete, None, None).await;
            assert!(
                !(r.status == StatusCode::NOT_FOUND && r.body["error"]["message"] == "no such route")
                    && r.status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is documented but not routed ({})",
                r.status
            );
            let op = &item[method];
            assert!(op["responses"]["500"].is_object(), "{method} {path} documents its errors");
        }
    }
    assert_eq!(operations, 92, "every route is documented");
    srv.stop().await;
}

/// Every operation the spec marks as needing a token refuses an anonymous caller and a bad
/// token with the error body, before looking at anything else.
async fn every_protected_operation_needs_a_token(b: Backend) {
    let srv = TestServer::start(b).await;
    let a = srv.register("guard@example.com").await;
    let spec: serde_json::Value = serde_json::from_str(&sellcast_http::openapi::json()).unwrap();
    let mut protected = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in ["get", "post", "patch", "put", "delete"] {
            let Some(op) = item.get(method) else { continue };
            if op["security"].as_array().is_none_or(|s| s.is_empty()) {
                continue;
            }
            protected += 1;
            let concrete = path.replace("{org_id}", &a.org_id).replace(['{', '}'], "");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let anonymous = srv.send(m.clone(), &concrete, None, Some(json!({}))).await;
            anonymous.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
            let forged = srv.send(m, &concrete, Some("not.a.jwt"), Some(json!({}))).await;
            forged.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
        }
    }
    assert!(protected >= 30, "only {protected} protected operations found");
    srv.stop().await;
}

on_both_backends!(
    every_protected_operation_needs_a_token,
    errors_always_use_the_error_body,
    security_headers_and_request_ids,
    cors_allows_only_configured_origins,
    rate_limits_answer_429_with_retry_after,
    operations_endpoints,
    openapi_is_committed_and_complete,
);
