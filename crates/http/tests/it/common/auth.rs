//! Helpers shared by the account tests: sign-in, refresh and /me calls, sessions, JWT claims,
//! validation errors and the reset mails in the outbox.
#![allow(dead_code)]

use super::{error_fields, Backend, Response, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const NEW_PASSWORD: &str = "Battery-Staple-42";

/// A server whose per-IP+email login limiter (5/min) is off, so only the per-email lockout
/// is in play.
pub async fn start_without_login_limit(b: Backend) -> TestServer {
    TestServer::start_with(b, |c| c.rate_limit_login_per_minute = 0).await
}

pub async fn login(srv: &TestServer, email: &str, password: &str) -> Response {
    srv.post("/api/v1/auth/login", None, json!({"email": email, "password": password})).await
}

pub async fn refresh(srv: &TestServer, token: &str) -> Response {
    srv.post("/api/v1/auth/refresh", None, json!({"refresh_token": token})).await
}

pub async fn me(srv: &TestServer, token: &str) -> Response {
    srv.get("/api/v1/me", Some(token)).await
}

/// A logged-in session: (access token, refresh token).
pub async fn new_session(srv: &TestServer, email: &str, password: &str) -> (String, String) {
    let r = login(srv, email, password).await;
    r.expect(StatusCode::OK, None);
    (s(&r.body["access_token"]), s(&r.body["refresh_token"]))
}

pub fn s(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("expected a string, got {v}")).to_string()
}

pub fn expect_invalid_field(r: &Response, field: &str) {
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    let fields = error_fields(r);
    assert!(fields.iter().any(|f| f == field), "expected {field} in details, got {fields:?}: {}", r.body);
}

/// The claims of a JWT, without checking its signature.
pub fn jwt_claims(token: &str) -> Value {
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.insecure_disable_signature_validation();
    v.validate_exp = false;
    v.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, &jsonwebtoken::DecodingKey::from_secret(b"unused"), &v)
        .expect("decodable JWT")
        .claims
}

pub fn session_id_of(access_token: &str) -> String {
    s(&jwt_claims(access_token)["sid"])
}

/// Reset tokens mailed to `email`, newest first, read from the outbox.
pub async fn reset_tokens_for(srv: &TestServer, email: &str) -> Vec<String> {
    let mut c = srv.app.db.read().await.expect("db");
    let mails = sellcast_store::outbox::recent(c.conn(), 50).await.expect("outbox");
    mails
        .into_iter()
        .filter(|m| m.to_address == email && m.subject.contains("Reset"))
        .filter_map(|m| {
            let marker = "Or use this code with the API: ";
            let start = m.body_text.find(marker)? + marker.len();
            m.body_text[start..].split_whitespace().next().map(String::from)
        })
        .collect()
}
