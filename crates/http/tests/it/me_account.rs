//! Accounts over HTTP: the /me endpoints, the GDPR export, sessions and account deletion.
//! Every test runs on SQLite and on PostgreSQL.

use crate::common::auth::*;
use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------
// Helpers (local to this file)
// ---------------------------------------------------------------------------------------

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
// 1. /api/v1/me
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
// 2. Export and sessions
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
// 3. Deleting the account
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
    let rows = sellcast_store::audit::by_actor(c.conn(), &leaver.user_id).await.expect("audit");
    assert!(!rows.is_empty(), "org entries stay");
    for row in &rows {
        assert_eq!(row.org_id.as_deref(), Some(owner.org_id.as_str()), "{row:?}");
        assert!(row.ip.is_none() && row.user_agent.is_none(), "{row:?}");
    }
    drop(c);
    srv.stop().await;
}

/// The session list pages like every other list.
async fn sessions_are_cursor_paginated(b: Backend) {
    let srv = start_without_login_limit(b).await;
    let a = srv.register("pages@example.com").await;
    for _ in 0..3 {
        new_session(&srv, &a.email, PASSWORD).await;
    }
    let first = srv.get("/api/v1/me/sessions?limit=3", Some(&a.token)).await;
    first.expect(StatusCode::OK, None);
    assert_eq!(first.body["items"].as_array().unwrap().len(), 3);
    let cursor = s(&first.body["next_cursor"]);
    let rest = srv.get(&format!("/api/v1/me/sessions?limit=3&cursor={cursor}"), Some(&a.token)).await;
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 1, "{}", rest.body);
    assert!(rest.body["next_cursor"].is_null());
    srv.get("/api/v1/me/sessions?limit=0", Some(&a.token))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    srv.stop().await;
}

on_both_backends!(
    sessions_are_cursor_paginated,
    me_get_and_update,
    export_has_data_and_no_secrets,
    sessions_list_and_revoke,
    delete_account,
    delete_account_last_owner_conflict,
    deleted_accounts_leave_no_personal_trail,
);
