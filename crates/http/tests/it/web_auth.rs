//! The web UI's foundation over HTTP: cookie sessions, CSRF on every form, sign-up, sign-in
//! with the TOTP step, sign-out, password reset, onboarding, account settings, error pages
//! and assets.

use crate::common::web::Browser;
use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

async fn user_count(srv: &TestServer) -> i64 {
    let mut c = srv.app.db.read().await.expect("db");
    let conn = c.conn();
    sellcast_store::on!(conn, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users").fetch_one(c).await)
        .expect("count")
}

async fn sign_up_onboarding_and_csrf(b: Backend) {
    let srv = TestServer::start(b).await;
    let mut web = Browser::new(&srv);

    // Signed out: the root and app pages send the browser to sign-in, keeping where it was going.
    assert_eq!(web.get("/").await.location.as_deref(), Some("/signin"));
    let r = web.get("/account").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/signin?next=%2Faccount"));

    // A form without its CSRF token is refused with the product's 403 page; nothing is created.
    let page = web.get("/signup").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Create your account"));
    let fields =
        [("name", "Ana"), ("email", "ana@web.test"), ("password", PASSWORD), ("organization_name", "Ana Shop")];
    let r = web.post_raw("/signup", &fields).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("This form has expired"), "{}", r.body);
    let forged = [("_csrf", "forged"), ("name", "Ana"), ("email", "ana@web.test"), ("password", PASSWORD)];
    assert_eq!(web.post_raw("/signup", &forged).await.status, StatusCode::FORBIDDEN);
    assert_eq!(user_count(&srv).await, 0);

    // Validation messages come back next to the field, with the input kept.
    let bad = [("name", "Ana"), ("email", "not-an-email"), ("password", "short"), ("organization_name", "Ana Shop")];
    let r = web.submit("/signup", "/signup", &bad).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"f-email-error\""), "{}", r.body);
    assert!(r.body.contains("id=\"f-password-error\""));
    assert!(r.body.contains("value=\"Ana Shop\""));

    // Sign up → a session cookie (HttpOnly, SameSite=Lax) → onboarding.
    let org_id = web.sign_up("Ana Seller", "ana@web.test", "Ana Shop").await;
    assert!(web.has_cookie("sellcast_session"));
    let page = web.get("/onboarding").await;
    assert!(page.body.contains("Get started with Ana Shop"), "{}", page.body);
    assert!(page.body.contains("Connect the sandbox"));

    // One click connects the sandbox; the checklist moves on.
    let r = web.submit("/onboarding", &format!("/onboarding/{org_id}/sandbox"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = web.get("/onboarding").await;
    assert!(page.body.contains("Sandbox connected"), "the flash message is shown once: {}", page.body);
    assert!(page.body.contains("step done"));
    assert!(!web.get("/onboarding").await.body.contains("Sandbox connected"), "the flash is gone on the next page");

    // Another browser cannot use this session's CSRF token.
    let token = web.get("/onboarding").await.csrf();
    let mut other = Browser::new(&srv);
    other.sign_up("Bo", "bo@web.test", "Bo Shop").await;
    let r = other.post_raw("/onboarding", &[("_csrf", token.as_str()), ("name", "Stolen")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A workspace that is not yours is a 404 page.
    let r = other.get(&format!("/o/{org_id}/settings")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Sign out ends the session: the cookie is cleared and no longer works.
    let r = web.submit("/onboarding", "/signout", &[]).await;
    assert_eq!(r.location.as_deref(), Some("/signin"));
    assert!(!web.has_cookie("sellcast_session"));
    assert_eq!(web.get("/onboarding").await.status, StatusCode::SEE_OTHER);
    srv.stop().await;
}

async fn sign_in_with_totp_and_account(b: Backend) {
    let srv = TestServer::start(b).await;
    let a = srv.register("mfa@web.test").await;
    let mut web = Browser::new(&srv);

    // Wrong password: a message, no session.
    let r = web.sign_in(&a.email, "Wrong-password-1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Invalid email or password"), "{}", r.body);
    assert!(!web.has_cookie("sellcast_session"));

    // Turn on TOTP through the API, then sign in through the two-step form.
    let t = Some(a.token.as_str());
    let setup = srv.post("/api/v1/auth/mfa/totp/setup", t, json!({})).await;
    let secret = setup.body["secret"].as_str().expect("secret").to_string();
    let code =
        sellcast_app::security::totp::code_at(&secret, &a.email, srv.app.clock.now().timestamp() as u64).expect("code");
    srv.post("/api/v1/auth/mfa/totp/verify", t, json!({"code": code})).await.expect(StatusCode::OK, None);
    // The next code is a later step (a code is accepted once).
    srv.app.clock.advance(chrono::Duration::seconds(30));

    let step = web
        .submit(
            "/signin?next=%2Faccount",
            "/signin",
            &[("email", &a.email), ("password", PASSWORD), ("next", "/account")],
        )
        .await;
    assert_eq!(step.status, StatusCode::OK);
    assert!(step.body.contains("Two-factor authentication"), "{}", step.body);
    assert!(!web.has_cookie("sellcast_session"), "no session before the second factor");
    let proof = {
        let marker = "name=\"proof\" value=\"";
        let i = step.body.find(marker).expect("proof field") + marker.len();
        step.body[i..i + step.body[i..].find('"').expect("quote")].to_string()
    };
    let csrf = step.csrf();
    let wrong = [("_csrf", csrf.as_str()), ("email", a.email.as_str()), ("proof", proof.as_str()), ("code", "000000")];
    let r = web.post_raw("/signin/mfa", &wrong).await;
    assert!(r.body.contains("That code is not right"), "{}", r.body);
    let forged = [("_csrf", csrf.as_str()), ("email", "other@web.test"), ("proof", proof.as_str()), ("code", "000000")];
    let r = web.post_raw("/signin/mfa", &forged).await;
    assert!(r.body.contains("took too long"), "a proof for another email is refused: {}", r.body);
    let now = srv.app.clock.now().timestamp() as u64;
    let code = sellcast_app::security::totp::code_at(&secret, &a.email, now).expect("code");
    let right = [
        ("_csrf", csrf.as_str()),
        ("email", a.email.as_str()),
        ("proof", proof.as_str()),
        ("code", code.as_str()),
        ("next", "/account"),
    ];
    let r = web.post_raw("/signin/mfa", &right).await;
    assert_eq!(r.location.as_deref(), Some("/account"), "{}", r.body);
    assert!(web.has_cookie("sellcast_session"));

    // Account settings: profile saved; a bad timezone is explained next to the field.
    let page = web.get("/account").await;
    assert!(page.body.contains("Account settings") && page.body.contains("this browser"), "{}", page.body);
    let r = web
        .submit("/account", "/account/profile", &[("name", "Mia"), ("email", &a.email), ("timezone", "Mars/Base")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("id=\"f-timezone-error\""), "{}", r.body);
    let r = web
        .submit("/account", "/account/profile", &[("name", "Mia"), ("email", &a.email), ("timezone", "Europe/Paris")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let me = srv.get("/api/v1/me", t).await;
    assert_eq!(me.body["name"], "Mia");
    assert_eq!(me.body["timezone"], "Europe/Paris");

    // The data export downloads as JSON.
    let r = web.get("/account/export").await;
    assert_eq!(r.status, StatusCode::OK);
    let export: serde_json::Value = serde_json::from_str(&r.body).expect("JSON export");
    assert_eq!(export["user"]["email"], a.email.as_str());
    srv.stop().await;
}

async fn reset_password_errors_and_assets(b: Backend) {
    let srv = TestServer::start(b).await;
    let a = srv.register("reset@web.test").await;
    let mut web = Browser::new(&srv);

    // Forgot: the same answer whether or not the account exists.
    for email in [a.email.as_str(), "nobody@web.test"] {
        let r = web.submit("/forgot-password", "/forgot-password", &[("email", email)]).await;
        assert!(r.body.contains("If an account exists for"), "{}", r.body);
    }
    let token = crate::common::auth::reset_tokens_for(&srv, &a.email).await.pop().expect("a reset mail");
    let page_path = format!("/reset-password?token={token}");
    let r = web.submit(&page_path, "/reset-password", &[("token", "bogus"), ("password", "New-password-1")]).await;
    assert!(r.body.contains("invalid or has expired"), "{}", r.body);
    let r = web.submit(&page_path, "/reset-password", &[("token", &token), ("password", "New-password-1")]).await;
    assert_eq!(r.location.as_deref(), Some("/signin"));
    let r = web.sign_in(&a.email, "New-password-1").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // Browsers get the product's 404 page; API clients keep the JSON error.
    let r = web.get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Page not found") && r.body.contains("<!DOCTYPE html>"));
    let api = srv.get("/api/v1/no-such-route", None).await;
    assert_eq!(api.body["error"]["code"], "NOT_FOUND");

    // Assets carry a content hash and may be cached for a year.
    let page = Browser::new(&srv).get("/signin").await;
    let start = page.body.find("/assets/app.").expect("stylesheet link");
    let end = start + page.body[start..].find('"').expect("quote");
    let res = srv.http.get(srv.url(&page.body[start..end])).send().await.expect("asset");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
    let res = srv.http.get(srv.url("/assets/app.0000.css")).send().await.expect("asset");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    srv.stop().await;
}

on_both_backends!(sign_up_onboarding_and_csrf, sign_in_with_totp_and_account, reset_password_errors_and_assets,);
