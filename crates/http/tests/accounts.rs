//! Accounts over HTTP: registration, sign-in and lockout, token refresh and revocation,
//! access-token checks, logout, password reset, TOTP two-factor, the /me endpoints, the
//! GDPR export and account deletion. Every test runs on SQLite and on PostgreSQL.

mod common;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------
// Helpers (local to this file)
// ---------------------------------------------------------------------------------------

const NEW_PASSWORD: &str = "Battery-Staple-42";

/// A server whose per-IP+email login limiter (5/min) is off, so only the per-email lockout
/// is in play.
async fn start_without_login_limit(b: Backend) -> TestServer {
    TestServer::start_with(b, |c| c.rate_limit_login_per_minute = 0).await
}

async fn login(srv: &TestServer, email: &str, password: &str) -> Response {
    srv.post("/api/v1/auth/login", None, json!({"email": email, "password": password})).await
}

async fn login_with_code(srv: &TestServer, email: &str, password: &str, code: &str) -> Response {
    srv.post("/api/v1/auth/login", None, json!({"email": email, "password": password, "totp_code": code})).await
}

async fn refresh(srv: &TestServer, token: &str) -> Response {
    srv.post("/api/v1/auth/refresh", None, json!({"refresh_token": token})).await
}

async fn me(srv: &TestServer, token: &str) -> Response {
    srv.get("/api/v1/me", Some(token)).await
}

/// A logged-in session: (access token, refresh token).
async fn new_session(srv: &TestServer, email: &str, password: &str) -> (String, String) {
    let r = login(srv, email, password).await;
    r.expect(StatusCode::OK, None);
    (s(&r.body["access_token"]), s(&r.body["refresh_token"]))
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("expected a string, got {v}")).to_string()
}

/// The `field`s listed in a VALIDATION_ERROR's details.
fn error_fields(r: &Response) -> Vec<String> {
    r.body["error"]["details"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["field"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

fn expect_invalid_field(r: &Response, field: &str) {
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    let fields = error_fields(r);
    assert!(fields.iter().any(|f| f == field), "expected {field} in details, got {fields:?}: {}", r.body);
}

/// The claims of a JWT, without checking its signature.
fn jwt_claims(token: &str) -> Value {
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.insecure_disable_signature_validation();
    v.validate_exp = false;
    v.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, &jsonwebtoken::DecodingKey::from_secret(b"unused"), &v)
        .expect("decodable JWT")
        .claims
}

fn session_id_of(access_token: &str) -> String {
    s(&jwt_claims(access_token)["sid"])
}

/// The server's own JWT secret, from the generated secrets file in its data directory.
fn server_jwt_secret(srv: &TestServer) -> Vec<u8> {
    let text = std::fs::read_to_string(srv.data_dir().join("secrets.json")).expect("secrets.json");
    let v: Value = serde_json::from_str(&text).expect("secrets json");
    s(&v["jwt_secret"]).into_bytes()
}

fn sign_hs256(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .expect("encode")
}

fn b64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Replace one character in the middle of a JWT's signature.
fn tamper_signature(token: &str) -> String {
    let (head, sig) = token.rsplit_once('.').expect("three parts");
    let mut chars: Vec<char> = sig.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    format!("{head}.{}", chars.into_iter().collect::<String>())
}

/// Reset tokens mailed to `email`, newest first, read from the outbox.
async fn reset_tokens_for(srv: &TestServer, email: &str) -> Vec<String> {
    let mut c = srv.app.db.read().await.expect("db");
    let mails = sellcast_app::store::outbox::recent(c.conn(), 50).await.expect("outbox");
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

async fn outbox_count(srv: &TestServer) -> usize {
    let mut c = srv.app.db.read().await.expect("db");
    sellcast_app::store::outbox::recent(c.conn(), 1000).await.expect("outbox").len()
}

/// When fewer than 10 seconds of the current 30-second TOTP step are left, move the app
/// clock to 2 seconds into the next step, so a code computed now is checked within the
/// same step even if the request takes a while.
fn settle_totp_step(srv: &TestServer) {
    let into = srv.app.clock.now().timestamp().rem_euclid(30);
    if into > 20 {
        srv.app.clock.advance(chrono::Duration::seconds(32 - into));
    }
}

/// The TOTP code of `steps_back` 30-second steps ago, by the app clock.
fn totp_code(srv: &TestServer, secret: &str, email: &str, steps_back: u64) -> String {
    settle_totp_step(srv);
    let now = srv.app.clock.now().timestamp() as u64;
    sellcast_app::security::totp::code_at(secret, email, now - 30 * steps_back).expect("code")
}

/// Every object key anywhere in `v`.
fn all_keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                all_keys(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| all_keys(x, out)),
        _ => {}
    }
}

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

// ---------------------------------------------------------------------------------------
// 3. Refresh tokens
// ---------------------------------------------------------------------------------------

async fn refresh_rotates_and_reuse_revokes_family(b: Backend) {
    let srv = start_without_login_limit(b).await;
    let a = srv.register("rot@example.com").await;
    let (other_access, other_refresh) = new_session(&srv, &a.email, PASSWORD).await;

    let r1 = refresh(&srv, &a.refresh).await;
    r1.expect(StatusCode::OK, None);
    let (access2, refresh2) = (s(&r1.body["access_token"]), s(&r1.body["refresh_token"]));
    assert_ne!(refresh2, a.refresh, "the refresh token rotates");
    assert_eq!(r1.body["expires_in"], 900);
    assert_eq!(session_id_of(&access2), session_id_of(&a.token), "same session");
    me(&srv, &access2).await.expect(StatusCode::OK, None);

    let r2 = refresh(&srv, &refresh2).await;
    r2.expect(StatusCode::OK, None);
    let (access3, refresh3) = (s(&r2.body["access_token"]), s(&r2.body["refresh_token"]));
    assert_ne!(refresh3, refresh2);
    me(&srv, &access3).await.expect(StatusCode::OK, None);

    // Replaying a spent refresh token: refused, and the whole family is revoked.
    refresh(&srv, &a.refresh).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    refresh(&srv, &refresh3).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    for t in [&a.token, &access2, &access3] {
        me(&srv, t).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    }
    // Another session of the same user is not part of that family.
    me(&srv, &other_access).await.expect(StatusCode::OK, None);
    let r = refresh(&srv, &other_refresh).await;
    r.expect(StatusCode::OK, None);
    me(&srv, &s(&r.body["access_token"])).await.expect(StatusCode::OK, None);

    // Tokens that never existed.
    refresh(&srv, "not-a-real-refresh-token").await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    refresh(&srv, "").await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    // An access token is not a refresh token.
    refresh(&srv, &other_access).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    srv.post("/api/v1/auth/refresh", None, json!({})).await.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    srv.stop().await;
}

// ---------------------------------------------------------------------------------------
// 4. Access tokens
// ---------------------------------------------------------------------------------------

async fn access_token_checks(b: Backend) {
    let srv = TestServer::start(b).await;
    let a = srv.register("jwt@example.com").await;
    let other = srv.register("other@example.com").await;
    me(&srv, &a.token).await.expect(StatusCode::OK, None);

    srv.get("/api/v1/me", None).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    let basic = srv.http.get(srv.url("/api/v1/me")).header("authorization", "Basic dXNlcjpwYXNz").send().await.unwrap();
    Response::read(basic).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    let empty = srv.http.get(srv.url("/api/v1/me")).header("authorization", "Bearer ").send().await.unwrap();
    Response::read(empty).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));

    for garbage in ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.AAAA"] {
        me(&srv, garbage).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    }
    me(&srv, &tamper_signature(&a.token)).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    // A refresh token in the Authorization header is not an access token.
    me(&srv, &a.refresh).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));

    // Crafted tokens. With the server's own secret (sanity check of the crafting) it works...
    let claims = jwt_claims(&a.token);
    let secret = server_jwt_secret(&srv);
    me(&srv, &sign_hs256(&claims, &secret)).await.expect(StatusCode::OK, None);
    // ...but any other secret, or none at all, is rejected.
    me(&srv, &sign_hs256(&claims, b"another-secret-another-secret-another-secret"))
        .await
        .expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    let unsigned = format!("{}.{}.", b64url(br#"{"alg":"none","typ":"JWT"}"#), b64url(claims.to_string().as_bytes()));
    me(&srv, &unsigned).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    // A body changed under the original signature.
    let mut forged = claims.clone();
    forged["sub"] = json!(other.user_id);
    let sig = a.token.rsplit_once('.').unwrap().1;
    let swapped =
        format!("{}.{}.{sig}", b64url(br#"{"typ":"JWT","alg":"HS256"}"#), b64url(forged.to_string().as_bytes()));
    me(&srv, &swapped).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    // Validly signed, but pairing one user with another user's session.
    let mut cross = claims.clone();
    cross["sid"] = json!(session_id_of(&other.token));
    me(&srv, &sign_hs256(&cross, &secret)).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    // Validly signed, but not an access token, or for a session that does not exist.
    let mut typ = claims.clone();
    typ["typ"] = json!("refresh");
    me(&srv, &sign_hs256(&typ, &secret)).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    let mut ghost = claims.clone();
    ghost["sid"] = json!("0190aaaa-0000-7000-8000-000000000000");
    me(&srv, &sign_hs256(&ghost, &secret)).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));

    // Expiry follows the app clock: 15 minutes.
    srv.app.clock.advance(chrono::Duration::minutes(14));
    me(&srv, &a.token).await.expect(StatusCode::OK, None);
    srv.app.clock.advance(chrono::Duration::minutes(2));
    me(&srv, &a.token).await.expect(StatusCode::UNAUTHORIZED, Some("TOKEN_EXPIRED"));
    // A tampered expired token is invalid, not merely expired.
    me(&srv, &tamper_signature(&a.token)).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    // The refresh token still gets a fresh access token.
    let r = refresh(&srv, &a.refresh).await;
    r.expect(StatusCode::OK, None);
    me(&srv, &s(&r.body["access_token"])).await.expect(StatusCode::OK, None);
    srv.stop().await;
}

// ---------------------------------------------------------------------------------------
// 5. Logout
// ---------------------------------------------------------------------------------------

async fn logout_revokes_only_this_session(b: Backend) {
    let srv = start_without_login_limit(b).await;
    let a = srv.register("bye@example.com").await;
    let (other_access, other_refresh) = new_session(&srv, &a.email, PASSWORD).await;

    srv.post("/api/v1/auth/logout", None, json!({})).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    let r = srv.post("/api/v1/auth/logout", Some(&a.token), json!({})).await;
    r.expect(StatusCode::NO_CONTENT, None);
    assert_eq!(r.body, Value::Null);

    me(&srv, &a.token).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    refresh(&srv, &a.refresh).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    srv.post("/api/v1/auth/logout", Some(&a.token), json!({}))
        .await
        .expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));

    me(&srv, &other_access).await.expect(StatusCode::OK, None);
    let r = refresh(&srv, &other_refresh).await;
    r.expect(StatusCode::OK, None);
    me(&srv, &s(&r.body["access_token"])).await.expect(StatusCode::OK, None);
    srv.stop().await;
}

// ---------------------------------------------------------------------------------------
// 6. Forgot / reset password
// ---------------------------------------------------------------------------------------

async fn forgot_and_reset_password(b: Backend) {
    let srv = start_without_login_limit(b).await;
    let a = srv.register("forgot@example.com").await;
    let (other_access, other_refresh) = new_session(&srv, &a.email, PASSWORD).await;

    // Unknown email: 202 and nothing is sent.
    let before = outbox_count(&srv).await;
    srv.post("/api/v1/auth/password/forgot", None, json!({"email": "nobody@example.com"}))
        .await
        .expect(StatusCode::ACCEPTED, None);
    assert_eq!(outbox_count(&srv).await, before, "no mail for an unknown address");

    // Known email (any case): 202 and one reset mail in the outbox.
    let r = srv.post("/api/v1/auth/password/forgot", None, json!({"email": "Forgot@Example.com"})).await;
    r.expect(StatusCode::ACCEPTED, None);
    assert_eq!(outbox_count(&srv).await, before + 1);
    let tokens = reset_tokens_for(&srv, &a.email).await;
    assert_eq!(tokens.len(), 1, "one reset mail");
    let token = tokens[0].clone();
    assert!(token.len() >= 32, "token {token}");

    // A weak password is refused and does not spend the token.
    let weak = srv.post("/api/v1/auth/password/reset", None, json!({"token": token, "password": "weakpass"})).await;
    expect_invalid_field(&weak, "password");
    // A wrong token is refused.
    srv.post("/api/v1/auth/password/reset", None, json!({"token": "made-up-token", "password": NEW_PASSWORD}))
        .await
        .expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));

    let ok = srv.post("/api/v1/auth/password/reset", None, json!({"token": token, "password": NEW_PASSWORD})).await;
    ok.expect(StatusCode::NO_CONTENT, None);
    // Single use.
    srv.post("/api/v1/auth/password/reset", None, json!({"token": token, "password": "Third-Password-3"}))
        .await
        .expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));

    login(&srv, &a.email, PASSWORD).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    login(&srv, &a.email, NEW_PASSWORD).await.expect(StatusCode::OK, None);

    // Every earlier session is signed out.
    for t in [&a.token, &other_access] {
        me(&srv, t).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    }
    for t in [&a.refresh, &other_refresh] {
        refresh(&srv, t).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    }

    // Reset tokens expire after an hour.
    srv.post("/api/v1/auth/password/forgot", None, json!({"email": a.email})).await.expect(StatusCode::ACCEPTED, None);
    let late = reset_tokens_for(&srv, &a.email).await;
    assert_eq!(late.len(), 2);
    assert_ne!(late[0], token, "a new token per request");
    srv.app.clock.advance(chrono::Duration::minutes(61));
    srv.post("/api/v1/auth/password/reset", None, json!({"token": late[0], "password": "Third-Password-3"}))
        .await
        .expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    login(&srv, &a.email, NEW_PASSWORD).await.expect(StatusCode::OK, None);
    srv.stop().await;
}

// ---------------------------------------------------------------------------------------
// 7. TOTP two-factor authentication
// ---------------------------------------------------------------------------------------

async fn totp_enable_login_and_disable(b: Backend) {
    let srv = start_without_login_limit(b).await;
    let a = srv.register("mfa@example.com").await;
    let email = a.email.as_str();
    let t = Some(a.token.as_str());

    let st = srv.get("/api/v1/auth/mfa/totp", t).await;
    st.expect(StatusCode::OK, None);
    assert_eq!(st.body["enabled"], false);
    // Verify before setup: nothing to verify.
    srv.post("/api/v1/auth/mfa/totp/verify", t, json!({"code": "123456"}))
        .await
        .expect(StatusCode::CONFLICT, Some("CONFLICT"));

    let setup = srv.post("/api/v1/auth/mfa/totp/setup", t, json!({})).await;
    setup.expect(StatusCode::OK, None);
    let secret = s(&setup.body["secret"]);
    let uri = s(&setup.body["otpauth_uri"]);
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    // Not enforced until verified.
    srv.get("/api/v1/auth/mfa/totp", t).await.expect(StatusCode::OK, None);
    login(&srv, email, PASSWORD).await.expect(StatusCode::OK, None);

    let current = totp_code(&srv, &secret, email, 0);
    let wrong = if current == "000000" { "111111" } else { "000000" };
    let r = srv.post("/api/v1/auth/mfa/totp/verify", t, json!({"code": wrong})).await;
    expect_invalid_field(&r, "code");
    srv.post("/api/v1/auth/mfa/totp/verify", t, json!({"code": "abc"}))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));

    let code = totp_code(&srv, &secret, email, 0);
    let v = srv.post("/api/v1/auth/mfa/totp/verify", t, json!({"code": code})).await;
    v.expect(StatusCode::OK, None);
    let recovery: Vec<String> = v.body["recovery_codes"].as_array().expect("codes").iter().map(s).collect();
    assert_eq!(recovery.len(), 10);
    let mut uniq = recovery.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), 10, "recovery codes are distinct");

    let st = srv.get("/api/v1/auth/mfa/totp", t).await;
    st.expect(StatusCode::OK, None);
    assert_eq!(st.body["enabled"], true);
    assert_eq!(st.body["recovery_codes_remaining"], 10);
    assert_eq!(me(&srv, &a.token).await.body["mfa_enabled"], true);

    // Setup or verify again while enabled: conflict.
    srv.post("/api/v1/auth/mfa/totp/setup", t, json!({})).await.expect(StatusCode::CONFLICT, Some("CONFLICT"));
    let code = totp_code(&srv, &secret, email, 0);
    srv.post("/api/v1/auth/mfa/totp/verify", t, json!({"code": code}))
        .await
        .expect(StatusCode::CONFLICT, Some("CONFLICT"));

    // Password alone is not enough.
    let r = login(&srv, email, PASSWORD).await;
    r.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    assert_eq!(r.body["error"]["details"]["mfa_required"], true, "{}", r.body);
    assert!(r.body.get("access_token").is_none());
    let r = login_with_code(&srv, email, PASSWORD, "").await;
    assert_eq!(r.body["error"]["details"]["mfa_required"], true, "{}", r.body);
    // A wrong password with MFA on says nothing about MFA.
    let code = totp_code(&srv, &secret, email, 0);
    let r = login_with_code(&srv, email, "Wrong-Password-1", &code).await;
    r.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    assert_ne!(r.body["error"]["details"]["mfa_required"], true);

    let current = totp_code(&srv, &secret, email, 0);
    let wrong = if current == "000000" { "111111" } else { "000000" };
    login_with_code(&srv, email, PASSWORD, wrong).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));

    // Each TOTP step can be used once: move past the steps used so far.
    srv.app.clock.advance(chrono::Duration::seconds(60));
    // One step of clock skew is tolerated.
    let prev = totp_code(&srv, &secret, email, 1);
    let r = login_with_code(&srv, email, PASSWORD, &prev).await;
    r.expect(StatusCode::OK, None);
    me(&srv, &s(&r.body["access_token"])).await.expect(StatusCode::OK, None);
    // The current code works too, once: a replay within its window is refused (RFC 6238 §5.2).
    let code = totp_code(&srv, &secret, email, 0);
    login_with_code(&srv, email, PASSWORD, &code).await.expect(StatusCode::OK, None);
    login_with_code(&srv, email, PASSWORD, &code).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    login_with_code(&srv, email, PASSWORD, &prev).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    // Three steps old is too old.
    let old = totp_code(&srv, &secret, email, 3);
    let near = [totp_code(&srv, &secret, email, 0), totp_code(&srv, &secret, email, 1)];
    if !near.contains(&old) {
        login_with_code(&srv, email, PASSWORD, &old).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    }

    // A recovery code works once (with or without the dash, any case).
    let r = login_with_code(&srv, email, PASSWORD, &recovery[0].to_uppercase()).await;
    r.expect(StatusCode::OK, None);
    login_with_code(&srv, email, PASSWORD, &recovery[0]).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    login_with_code(&srv, email, PASSWORD, &recovery[1].replace('-', "")).await.expect(StatusCode::OK, None);
    let st = srv.get("/api/v1/auth/mfa/totp", t).await;
    assert_eq!(st.body["recovery_codes_remaining"], 8, "{}", st.body);

    // Each TOTP step can be used once: move past the steps used so far.
    srv.app.clock.advance(chrono::Duration::seconds(60));
    // Regenerating replaces the codes.
    let code = totp_code(&srv, &secret, email, 0);
    let regen = srv.post("/api/v1/auth/mfa/totp/recovery-codes", t, json!({"password": PASSWORD, "code": code})).await;
    regen.expect(StatusCode::OK, None);
    let fresh: Vec<String> = regen.body["recovery_codes"].as_array().expect("codes").iter().map(s).collect();
    assert_eq!(fresh.len(), 10);
    login_with_code(&srv, email, PASSWORD, &recovery[2]).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    login_with_code(&srv, email, PASSWORD, &fresh[0]).await.expect(StatusCode::OK, None);

    // Each TOTP step can be used once: move past the steps used so far.
    srv.app.clock.advance(chrono::Duration::seconds(60));
    // Disabling needs the password and a code.
    let code = totp_code(&srv, &secret, email, 0);
    let r = srv.post("/api/v1/auth/mfa/totp/disable", t, json!({"password": "Wrong-Password-1", "code": code})).await;
    expect_invalid_field(&r, "password");
    let r = srv.post("/api/v1/auth/mfa/totp/disable", t, json!({"password": PASSWORD, "code": wrong})).await;
    expect_invalid_field(&r, "code");
    srv.post("/api/v1/auth/mfa/totp/disable", t, json!({"password": PASSWORD}))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    let code = totp_code(&srv, &secret, email, 0);
    srv.post("/api/v1/auth/mfa/totp/disable", t, json!({"password": PASSWORD, "code": code}))
        .await
        .expect(StatusCode::NO_CONTENT, None);
    let st = srv.get("/api/v1/auth/mfa/totp", t).await;
    assert_eq!(st.body["enabled"], false);
    assert_eq!(st.body["recovery_codes_remaining"], 0);
    login(&srv, email, PASSWORD).await.expect(StatusCode::OK, None);
    let code = totp_code(&srv, &secret, email, 0);
    srv.post("/api/v1/auth/mfa/totp/disable", t, json!({"password": PASSWORD, "code": code}))
        .await
        .expect(StatusCode::CONFLICT, Some("CONFLICT"));
    // MFA endpoints need a signed-in caller.
    srv.post("/api/v1/auth/mfa/totp/setup", None, json!({}))
        .await
        .expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    srv.stop().await;
}

// ---------------------------------------------------------------------------------------
// 8. /api/v1/me
// ---------------------------------------------------------------------------------------

async fn me_get_and_update(b: Backend) {
    let srv = start_without_login_limit(b).await;
    let a = srv.register("me@example.com").await;
    let taken = srv.register("taken@example.com").await;
    let t = Some(a.token.as_str());

    let m = me(&srv, &a.token).await;
    m.expect(StatusCode::OK, None);
    assert_eq!(m.body["id"], a.user_id.as_str());
    assert_eq!(m.body["email"], "me@example.com");
    assert_eq!(m.body["name"], "Test User");
    assert_eq!(m.body["timezone"], "UTC");
    assert_eq!(m.body["mfa_enabled"], false);
    let mut keys = Vec::new();
    all_keys(&m.body, &mut keys);
    assert!(!keys.iter().any(|k| k.contains("password") || k.contains("secret")), "{keys:?}");

    let r = srv.patch("/api/v1/me", t, json!({"name": "  Ann Smith ", "timezone": "Europe/Paris"})).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["name"], "Ann Smith");
    assert_eq!(r.body["timezone"], "Europe/Paris");
    let m = me(&srv, &a.token).await;
    assert_eq!((m.body["name"].clone(), m.body["timezone"].clone()), (json!("Ann Smith"), json!("Europe/Paris")));

    for tz in ["Not a timezone", "", "Europe/Paris; DROP TABLE users"] {
        let r = srv.patch("/api/v1/me", t, json!({"timezone": tz})).await;
        expect_invalid_field(&r, "timezone");
    }
    expect_invalid_field(&srv.patch("/api/v1/me", t, json!({"name": "   "})).await, "name");
    srv.patch("/api/v1/me", t, json!({"is_instance_admin": true}))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    srv.patch("/api/v1/me", t, json!({"name": "X", "role": "owner"}))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    assert_eq!(me(&srv, &a.token).await.body["name"], "Ann Smith", "rejected patches change nothing");

    // Email: needs the current password.
    expect_invalid_field(&srv.patch("/api/v1/me", t, json!({"email": "new@example.com"})).await, "current_password");
    expect_invalid_field(
        &srv.patch("/api/v1/me", t, json!({"email": "new@example.com", "current_password": "Wrong-Password-1"})).await,
        "current_password",
    );
    expect_invalid_field(
        &srv.patch("/api/v1/me", t, json!({"email": "nope", "current_password": PASSWORD})).await,
        "email",
    );
    srv.patch("/api/v1/me", t, json!({"email": "TAKEN@example.com", "current_password": PASSWORD}))
        .await
        .expect(StatusCode::CONFLICT, Some("CONFLICT"));
    assert_eq!(me(&srv, &a.token).await.body["email"], "me@example.com");
    me(&srv, &taken.token).await.expect(StatusCode::OK, None);

    let r = srv.patch("/api/v1/me", t, json!({"email": "New@Example.com", "current_password": PASSWORD})).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["email"], "new@example.com");
    login(&srv, "new@example.com", PASSWORD).await.expect(StatusCode::OK, None);
    login(&srv, "me@example.com", PASSWORD).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    me(&srv, &a.token).await.expect(StatusCode::OK, None);

    // Password: needs the current one, must be strong, and signs out every session.
    let (other_access, other_refresh) = new_session(&srv, "new@example.com", PASSWORD).await;
    expect_invalid_field(&srv.patch("/api/v1/me", t, json!({"new_password": NEW_PASSWORD})).await, "current_password");
    expect_invalid_field(
        &srv.patch("/api/v1/me", t, json!({"new_password": "weak", "current_password": PASSWORD})).await,
        "new_password",
    );
    expect_invalid_field(
        &srv.patch("/api/v1/me", t, json!({"new_password": NEW_PASSWORD, "current_password": "Wrong-Password-1"}))
            .await,
        "current_password",
    );
    me(&srv, &other_access).await.expect(StatusCode::OK, None);
    let r = srv.patch("/api/v1/me", t, json!({"new_password": NEW_PASSWORD, "current_password": PASSWORD})).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["email"], "new@example.com");
    me(&srv, &other_access).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    refresh(&srv, &other_refresh).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    // The API contract: a new password "signs out every session", this one included.
    me(&srv, &a.token).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    refresh(&srv, &a.refresh).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    login(&srv, "new@example.com", PASSWORD).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    let (fresh, _) = new_session(&srv, "new@example.com", NEW_PASSWORD).await;
    me(&srv, &fresh).await.expect(StatusCode::OK, None);
    srv.patch("/api/v1/me", None, json!({"name": "Nobody"}))
        .await
        .expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    srv.stop().await;
}

// ---------------------------------------------------------------------------------------
// 9. Export and sessions
// ---------------------------------------------------------------------------------------

async fn export_has_data_and_no_secrets(b: Backend) {
    let srv = start_without_login_limit(b).await;
    let a = srv.register("export@example.com").await;
    let t = Some(a.token.as_str());
    new_session(&srv, &a.email, PASSWORD).await;
    // Put secrets in the database: a TOTP secret and a password-reset token.
    let setup = srv.post("/api/v1/auth/mfa/totp/setup", t, json!({})).await;
    setup.expect(StatusCode::OK, None);
    let totp_secret = s(&setup.body["secret"]);
    srv.post("/api/v1/auth/password/forgot", None, json!({"email": a.email})).await.expect(StatusCode::ACCEPTED, None);
    let reset_token = reset_tokens_for(&srv, &a.email).await.first().cloned().expect("reset mail");

    let r = srv.get("/api/v1/me/export", t).await;
    r.expect(StatusCode::OK, None);
    let e = &r.body;
    assert_eq!(e["user"]["id"], a.user_id.as_str());
    assert_eq!(e["user"]["email"], "export@example.com");
    let memberships = e["memberships"].as_array().expect("memberships");
    assert_eq!(memberships.len(), 1, "{e}");
    assert!(memberships[0].to_string().contains(&a.org_id), "{e}");
    assert_eq!(e["sessions"].as_array().expect("sessions").len(), 2, "{e}");
    let actions: Vec<&str> =
        e["audit_log"].as_array().expect("audit_log").iter().filter_map(|x| x["action"].as_str()).collect();
    assert!(actions.contains(&"user.register"), "{actions:?}");
    assert!(actions.contains(&"user.login"), "{actions:?}");

    let mut keys = Vec::new();
    all_keys(e, &mut keys);
    for forbidden in ["password_hash", "totp_secret", "token_hash", "code_hash"] {
        assert!(!keys.iter().any(|k| k == forbidden), "{forbidden} in export: {e}");
    }
    let text = e.to_string();
    assert!(!text.contains("$argon2"), "a password hash leaked: {text}");
    assert!(!text.contains(&totp_secret), "the TOTP secret leaked: {text}");
    assert!(!text.contains(&reset_token), "a live password-reset token leaked into the export: {text}");

    // Invites: the inviter's export lists the invite, and neither side's export carries
    // the invite token (the invitee's has the invite email, without its body).
    let inv = srv
        .post(&format!("/api/v1/orgs/{}/invites", a.org_id), t, json!({"email": "guest@example.com", "role": "editor"}))
        .await;
    inv.expect(StatusCode::CREATED, None);
    let invite_token = s(&inv.body["token"]);
    let e = srv.get("/api/v1/me/export", t).await.body;
    assert_eq!(e["invites_sent"].as_array().expect("invites_sent").len(), 1, "{e}");
    assert!(!e.to_string().contains(&invite_token), "{e}");
    let guest = srv.register("guest@example.com").await;
    let g = srv.get("/api/v1/me/export", Some(&guest.token)).await;
    g.expect(StatusCode::OK, None);
    assert_eq!(g.body["emails"].as_array().expect("emails").len(), 1, "{}", g.body);
    assert!(g.body["emails"][0]["subject"].is_string(), "{}", g.body);
    assert!(!g.body.to_string().contains(&invite_token), "the invite token leaked: {}", g.body);
    assert_eq!(g.body["user"]["is_instance_admin"], false);

    srv.get("/api/v1/me/export", None).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    srv.stop().await;
}

async fn sessions_list_and_revoke(b: Backend) {
    let srv = start_without_login_limit(b).await;
    let a = srv.register("sess@example.com").await;
    let other = srv.register("someone@example.com").await;
    let (b_access, b_refresh) = new_session(&srv, &a.email, PASSWORD).await;
    let (c_access, _) = new_session(&srv, &a.email, PASSWORD).await;

    let list = srv.get("/api/v1/me/sessions", Some(&c_access)).await;
    list.expect(StatusCode::OK, None);
    let items = list.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 3, "{}", list.body);
    let current: Vec<&Value> = items.iter().filter(|i| i["current"] == true).collect();
    assert_eq!(current.len(), 1, "exactly one current session: {}", list.body);
    assert_eq!(current[0]["id"], session_id_of(&c_access).as_str());
    assert!(items.iter().all(|i| i["revoked_at"].is_null()));
    assert!(items.iter().all(|i| i.get("user_id").is_none() || i["user_id"] == a.user_id.as_str()));
    let ids: Vec<String> = items.iter().map(|i| s(&i["id"])).collect();
    assert!(!ids.contains(&session_id_of(&other.token)), "only my sessions");

    // From session C, revoke session B.
    let b_sid = session_id_of(&b_access);
    srv.delete(&format!("/api/v1/me/sessions/{b_sid}"), Some(&c_access)).await.expect(StatusCode::NO_CONTENT, None);
    me(&srv, &b_access).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    refresh(&srv, &b_refresh).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    me(&srv, &c_access).await.expect(StatusCode::OK, None);
    me(&srv, &a.token).await.expect(StatusCode::OK, None);
    let list = srv.get("/api/v1/me/sessions", Some(&a.token)).await;
    let revoked: Vec<&Value> =
        list.body["items"].as_array().unwrap().iter().filter(|i| !i["revoked_at"].is_null()).collect();
    assert_eq!(revoked.len(), 1, "{}", list.body);
    assert_eq!(revoked[0]["id"], b_sid.as_str());
    let current: Vec<&Value> = list.body["items"].as_array().unwrap().iter().filter(|i| i["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], session_id_of(&a.token).as_str());

    // Someone else's session, or one that does not exist: 404, and nothing happens.
    let theirs = session_id_of(&other.token);
    srv.delete(&format!("/api/v1/me/sessions/{theirs}"), Some(&a.token))
        .await
        .expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    me(&srv, &other.token).await.expect(StatusCode::OK, None);
    srv.delete("/api/v1/me/sessions/0190aaaa-0000-7000-8000-000000000000", Some(&a.token))
        .await
        .expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.get("/api/v1/me/sessions", None).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    srv.stop().await;
}

// ---------------------------------------------------------------------------------------
// 10. Deleting the account
// ---------------------------------------------------------------------------------------

async fn delete_me(srv: &TestServer, token: &str, password: &str) -> Response {
    srv.send(Method::DELETE, "/api/v1/me", Some(token), Some(json!({"password": password}))).await
}

async fn delete_account(b: Backend) {
    let srv = start_without_login_limit(b).await;
    let a = srv.register("gone@example.com").await;
    let (b_access, b_refresh) = new_session(&srv, &a.email, PASSWORD).await;

    expect_invalid_field(&delete_me(&srv, &a.token, "Wrong-Password-1").await, "password");
    me(&srv, &a.token).await.expect(StatusCode::OK, None);
    // Without a body (no password) it is refused as well.
    srv.delete("/api/v1/me", Some(&a.token)).await.expect(StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("VALIDATION_ERROR"));
    srv.send(Method::DELETE, "/api/v1/me", Some(&a.token), Some(json!({})))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));

    let r = delete_me(&srv, &a.token, PASSWORD).await;
    r.expect(StatusCode::NO_CONTENT, None);
    for t in [&a.token, &b_access] {
        let r = me(&srv, t).await;
        r.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    }
    for t in [&a.refresh, &b_refresh] {
        refresh(&srv, t).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    }
    login(&srv, &a.email, PASSWORD).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    // The address is free again.
    let again = srv.register("gone@example.com").await;
    assert_ne!(again.user_id, a.user_id);
    srv.stop().await;
}

async fn delete_account_last_owner_conflict(b: Backend) {
    let srv = start_without_login_limit(b).await;
    let owner = srv.register("boss@example.com").await;
    let member = srv.add_member(&owner, "staff@example.com", "editor").await;

    let r = delete_me(&srv, &owner.token, PASSWORD).await;
    r.expect(StatusCode::CONFLICT, Some("CONFLICT"));
    me(&srv, &owner.token).await.expect(StatusCode::OK, None);
    login(&srv, &owner.email, PASSWORD).await.expect(StatusCode::OK, None);

    // The member can leave by deleting their account; the shared org keeps its owner.
    delete_me(&srv, &member.token, PASSWORD).await.expect(StatusCode::NO_CONTENT, None);
    me(&srv, &member.token).await.expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    let members = srv.get(&format!("/api/v1/orgs/{}/members", owner.org_id), Some(&owner.token)).await;
    members.expect(StatusCode::OK, None);
    let ids: Vec<String> = members.body["items"].as_array().expect("items").iter().map(|m| s(&m["user_id"])).collect();
    assert_eq!(ids, vec![owner.user_id.clone()], "{}", members.body);

    // Now alone in the org, the owner may go, and the org goes with them.
    delete_me(&srv, &owner.token, PASSWORD).await.expect(StatusCode::NO_CONTENT, None);
    login(&srv, &owner.email, PASSWORD).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    srv.stop().await;
}

/// A password change spends every reset link still in the mail, so an old link cannot undo it.
async fn password_change_spends_outstanding_reset_links(b: Backend) {
    let srv = start_without_login_limit(b).await;
    let a = srv.register("links@example.com").await;
    srv.post("/api/v1/auth/password/forgot", None, json!({"email": a.email})).await.expect(StatusCode::ACCEPTED, None);
    let stale = reset_tokens_for(&srv, &a.email).await;
    assert_eq!(stale.len(), 1);
    srv.patch("/api/v1/me", Some(&a.token), json!({"current_password": PASSWORD, "new_password": "Changed-Pass-77"}))
        .await
        .expect(StatusCode::OK, None);
    srv.post("/api/v1/auth/password/reset", None, json!({"token": stale[0], "password": "Attacker-Pass-1"}))
        .await
        .expect(StatusCode::UNAUTHORIZED, Some("INVALID_TOKEN"));
    login(&srv, &a.email, "Changed-Pass-77").await.expect(StatusCode::OK, None);
    srv.stop().await;
}

/// Deleting an account erases its account-level audit trail and the IP and user agent of its
/// entries in organizations that live on.
async fn deleted_accounts_leave_no_personal_trail(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("keeper@example.com").await;
    let leaver = srv.add_member(&owner, "leaver@example.com", "manager").await;
    let path = format!("/api/v1/orgs/{}/clients", owner.org_id);
    srv.post(&path, Some(&leaver.token), json!({"name": "Left behind"})).await.expect(StatusCode::CREATED, None);
    delete_me(&srv, &leaver.token, PASSWORD).await.expect(StatusCode::NO_CONTENT, None);
    let mut c = srv.app.db.read().await.expect("db");
    let rows = sellcast_app::store::audit::by_actor(c.conn(), &leaver.user_id).await.expect("audit");
    assert!(!rows.is_empty(), "org entries stay");
    for row in &rows {
        assert_eq!(row.org_id.as_deref(), Some(owner.org_id.as_str()), "{row:?}");
        assert!(row.ip.is_none() && row.user_agent.is_none(), "{row:?}");
    }
    drop(c);
    srv.stop().await;
}

on_both_backends!(
    register_success_shapes_and_admin_flag,
    register_validation_errors,
    register_duplicate_email_is_case_insensitive,
    login_success_and_uniform_failures,
    login_lockout_after_five_failures,
    refresh_rotates_and_reuse_revokes_family,
    access_token_checks,
    logout_revokes_only_this_session,
    forgot_and_reset_password,
    totp_enable_login_and_disable,
    me_get_and_update,
    export_has_data_and_no_secrets,
    sessions_list_and_revoke,
    delete_account,
    delete_account_last_owner_conflict,
    password_change_spends_outstanding_reset_links,
    deleted_accounts_leave_no_personal_trail,
);
