//! Accounts over HTTP: forgotten and reset passwords, and TOTP two-factor authentication.
//! Every test runs on SQLite and on PostgreSQL.

use crate::common::auth::*;
use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

// ---------------------------------------------------------------------------------------
// Helpers (local to this file)
// ---------------------------------------------------------------------------------------

async fn login_with_code(srv: &TestServer, email: &str, password: &str, code: &str) -> Response {
    srv.post("/api/v1/auth/login", None, json!({"email": email, "password": password, "totp_code": code})).await
}

async fn outbox_count(srv: &TestServer) -> usize {
    let mut c = srv.app.db.read().await.expect("db");
    sellcast_store::outbox::recent(c.conn(), 1000).await.expect("outbox").len()
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

// ---------------------------------------------------------------------------------------
// 1. Forgot / reset password
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

// ---------------------------------------------------------------------------------------
// 2. TOTP two-factor authentication
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

on_both_backends!(
    forgot_and_reset_password,
    password_change_spends_outstanding_reset_links,
    totp_enable_login_and_disable,
);
