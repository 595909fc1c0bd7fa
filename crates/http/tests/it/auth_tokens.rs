//! Accounts over HTTP: refresh-token rotation and reuse detection, access-token checks and
//! logout. Every test runs on SQLite and on PostgreSQL.

use crate::common::auth::*;
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------
// Helpers (local to this file)
// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// 1. Refresh tokens
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
// 2. Access tokens
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
// 3. Logout
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

on_both_backends!(refresh_rotates_and_reuse_revokes_family, access_token_checks, logout_revokes_only_this_session,);
