//! Accounts over HTTP: registration, sign-in and the per-email lockout. Every test runs on
//! SQLite and on PostgreSQL.

use crate::common::auth::*;
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------
// 1. Registration
// ---------------------------------------------------------------------------------------

async fn register_success_shapes_and_admin_flag(b: Backend) {
    let srv = TestServer::start(b).await;
    let r = srv
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "  First@Example.COM ", "password": PASSWORD, "name": " Ann ", "organization_name": "Ann's Shop"}),
        )
        .await;
    r.expect(StatusCode::CREATED, None);
    assert_eq!(r.body["user"]["email"], "first@example.com", "email stored normalized: {}", r.body);
    assert_eq!(r.body["user"]["name"], "Ann");
    assert_eq!(r.body["user"]["timezone"], "UTC");
    assert_eq!(r.body["user"]["is_instance_admin"], true, "the first user administers the instance");
    assert_eq!(r.body["user"]["mfa_enabled"], false);
    assert!(r.body["user"]["id"].is_string());
    assert!(r.body["user"].get("password_hash").is_none(), "{}", r.body);
    assert_eq!(r.body["organization"]["name"], "Ann's Shop");
    assert_eq!(r.body["organization"]["role"], "owner");
    assert!(r.body["organization"]["id"].is_string());
    assert!(r.body["access_token"].as_str().is_some_and(|t| t.split('.').count() == 3));
    assert!(r.body["refresh_token"].as_str().is_some_and(|t| t.len() >= 32));
    assert_eq!(r.body["expires_in"], 900);
    let token = s(&r.body["access_token"]);
    let m = me(&srv, &token).await;
    m.expect(StatusCode::OK, None);
    assert_eq!(m.body["id"], r.body["user"]["id"]);

    let second = srv
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "second@example.com", "password": PASSWORD, "name": "Bob", "organization_name": "Bob Co"}),
        )
        .await;
    second.expect(StatusCode::CREATED, None);
    assert_eq!(second.body["user"]["is_instance_admin"], false, "only the first user is admin");
    assert_eq!(second.body["organization"]["role"], "owner");
    assert_ne!(second.body["organization"]["id"], r.body["organization"]["id"]);
    srv.stop().await;
}

async fn register_validation_errors(b: Backend) {
    let srv = TestServer::start(b).await;
    let base = json!({"email": "val@example.com", "password": PASSWORD, "name": "Val", "organization_name": "Val Org"});
    let with = |k: &str, v: Value| {
        let mut x = base.clone();
        x[k] = v;
        x
    };
    let cases: Vec<(Value, &str)> = vec![
        (with("email", json!("not-an-email")), "email"),
        (with("email", json!("a@b")), "email"),
        (with("email", json!("two@@example.com")), "email"),
        (with("email", json!("")), "email"),
        (with("password", json!("Sh0rt")), "password"),
        (with("password", json!("alllowercase9")), "password"),
        (with("password", json!("NoDigitsHere")), "password"),
        (with("password", json!("ALLUPPER99")), "password"),
        (with("password", json!(format!("Aa1{}", "x".repeat(126)))), "password"),
        (with("name", json!("")), "name"),
        (with("name", json!("   ")), "name"),
        (with("organization_name", json!("")), "organization_name"),
    ];
    for (body, field) in cases {
        let r = srv.post("/api/v1/auth/register", None, body.clone()).await;
        expect_invalid_field(&r, field);
        assert_eq!(error_fields(&r).len(), 1, "only {field} is wrong in {body}: {}", r.body);
    }
    // Exactly 128 characters is still fine.
    let ok = srv.post("/api/v1/auth/register", None, with("password", json!(format!("Aa1{}", "x".repeat(125))))).await;
    ok.expect(StatusCode::CREATED, None);

    let mut missing_org = base.clone();
    missing_org["email"] = json!("other@example.com");
    missing_org.as_object_mut().unwrap().remove("organization_name");
    let r = srv.post("/api/v1/auth/register", None, missing_org).await;
    expect_invalid_field(&r, "organization_name");

    // Everything wrong at once: every field is reported.
    let r = srv
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "nope", "password": "weak", "name": "", "organization_name": ""}),
        )
        .await;
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    let mut fields = error_fields(&r);
    fields.sort();
    assert_eq!(fields, ["email", "name", "organization_name", "password"], "{}", r.body);

    // A body without required fields is a validation error too.
    let r = srv.post("/api/v1/auth/register", None, json!({"email": "x@example.com"})).await;
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    srv.stop().await;
}

async fn register_duplicate_email_is_case_insensitive(b: Backend) {
    let srv = TestServer::start(b).await;
    srv.register("dup@example.com").await;
    for email in ["dup@example.com", "DUP@Example.COM", "  Dup@example.com  "] {
        let r = srv
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": email, "password": PASSWORD, "name": "Dup", "organization_name": "Dup Org"}),
            )
            .await;
        r.expect(StatusCode::CONFLICT, Some("CONFLICT"));
    }
    srv.stop().await;
}

// ---------------------------------------------------------------------------------------
// 2. Login and lockout
// ---------------------------------------------------------------------------------------

async fn login_success_and_uniform_failures(b: Backend) {
    let srv = start_without_login_limit(b).await;
    let a = srv.register("login@example.com").await;
    let r = login(&srv, "LOGIN@example.com", PASSWORD).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["user"]["id"], a.user_id.as_str());
    assert_eq!(r.body["user"]["email"], "login@example.com");
    assert_eq!(r.body["expires_in"], 900);
    let token = s(&r.body["access_token"]);
    me(&srv, &token).await.expect(StatusCode::OK, None);
    assert_ne!(token, a.token, "a login starts a new session");
    assert_ne!(session_id_of(&token), session_id_of(&a.token));

    let wrong = login(&srv, "login@example.com", "Wrong-Password-1").await;
    wrong.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    let unknown = login(&srv, "nobody@example.com", PASSWORD).await;
    unknown.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    assert_eq!(wrong.body["error"]["message"], unknown.body["error"]["message"], "no account enumeration");
    assert_eq!(wrong.body["error"]["details"], unknown.body["error"]["details"]);
    assert!(wrong.headers.get("retry-after").is_none());

    // A malformed body is a validation error, not a crash.
    let r = srv.post("/api/v1/auth/login", None, json!({"email": "login@example.com"})).await;
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    srv.stop().await;
}

/// Five failed attempts; returns the responses.
async fn fail_five_times(srv: &TestServer, email: &str) -> Vec<Response> {
    let mut out = Vec::new();
    for _ in 0..5 {
        out.push(login(srv, email, "Wrong-Password-1").await);
    }
    out
}

fn retry_after(r: &Response) -> u64 {
    r.headers
        .get("retry-after")
        .unwrap_or_else(|| panic!("Retry-After header missing: {:?}", r.headers))
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds")
}

async fn login_lockout_after_five_failures(b: Backend) {
    let srv = start_without_login_limit(b).await;
    srv.register("lock@example.com").await;
    srv.register("bystander@example.com").await;

    let known = fail_five_times(&srv, "lock@example.com").await;
    for r in &known[..4] {
        r.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    }
    known[4].expect(StatusCode::TOO_MANY_REQUESTS, Some("RATE_LIMITED"));
    // Locked: even the right password is refused, with a Retry-After of at most 15 minutes.
    let locked = login(&srv, "lock@example.com", PASSWORD).await;
    locked.expect(StatusCode::TOO_MANY_REQUESTS, Some("RATE_LIMITED"));
    let secs = retry_after(&locked);
    assert!((1..=900).contains(&secs), "Retry-After {secs}");
    // The lock is per email and case-insensitive.
    login(&srv, "LOCK@EXAMPLE.COM", PASSWORD).await.expect(StatusCode::TOO_MANY_REQUESTS, Some("RATE_LIMITED"));
    login(&srv, "bystander@example.com", PASSWORD).await.expect(StatusCode::OK, None);

    // An email without an account behaves exactly the same, so the lock reveals nothing.
    let unknown = fail_five_times(&srv, "ghost@example.com").await;
    for (k, u) in known.iter().zip(&unknown) {
        assert_eq!(k.status, u.status, "known {} vs unknown {}", k.body, u.body);
        assert_eq!(k.body["error"]["code"], u.body["error"]["code"]);
        assert_eq!(k.body["error"]["message"], u.body["error"]["message"]);
        assert_eq!(k.headers.get("retry-after").is_some(), u.headers.get("retry-after").is_some());
    }
    let ghost = login(&srv, "ghost@example.com", PASSWORD).await;
    ghost.expect(StatusCode::TOO_MANY_REQUESTS, Some("RATE_LIMITED"));
    assert_eq!(ghost.body["error"]["message"], locked.body["error"]["message"]);
    retry_after(&ghost);

    // After 15 minutes the lock lifts.
    srv.app.clock.advance(chrono::Duration::minutes(16));
    let r = login(&srv, "lock@example.com", PASSWORD).await;
    r.expect(StatusCode::OK, None);
    // A success clears the count: four new failures do not lock.
    for _ in 0..4 {
        login(&srv, "lock@example.com", "Wrong-Password-1")
            .await
            .expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    }
    login(&srv, "lock@example.com", PASSWORD).await.expect(StatusCode::OK, None);
    srv.stop().await;
}

on_both_backends!(
    register_success_shapes_and_admin_flag,
    register_validation_errors,
    register_duplicate_email_is_case_insensitive,
    login_success_and_uniform_failures,
    login_lockout_after_five_failures,
);
