//! What the browser tests do over and over: signing up and in through the pages, reading the
//! mail outbox, seeding data through the JSON API, and asserting error pages.

use super::driver::Session;
use crate::common::{Account, TestServer, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Sign up through the form; the browser ends on the page sign-up redirects to.
pub async fn sign_up(s: &Session, name: &str, email: &str, workspace: Option<&str>) {
    s.fill("#f-name", name).await;
    s.fill("#f-email", email).await;
    s.fill("#f-password", PASSWORD).await;
    if let Some(w) = workspace {
        s.fill("#f-organization_name", w).await;
    }
    s.click_and_load("form[action='/signup'] button[type=submit]").await;
}

pub async fn sign_in(s: &Session, email: &str) {
    s.goto("/signin").await;
    s.fill("#f-email", email).await;
    s.fill("#f-password", PASSWORD).await;
    s.click_and_load("form[action='/signin'] button[type=submit]").await;
    assert!(!s.path().await.starts_with("/signin"), "signed in as {email}");
}

/// The workspace id in the current page's path (`/o/{id}/…`).
pub async fn org_in_path(s: &Session) -> String {
    let path = s.path().await;
    let rest = path.strip_prefix("/o/").unwrap_or_else(|| panic!("not a workspace page: {path}"));
    rest.split(['/', '?']).next().unwrap_or_default().to_string()
}

/// The status code shown by an error page, if this is one.
pub async fn error_code(s: &Session) -> Option<String> {
    if s.has(".error-code").await {
        Some(s.text(".error-code").await)
    } else {
        None
    }
}

/// The invitation link mailed to `to` (from the mail outbox).
pub async fn invite_link(srv: &TestServer, to: &str) -> String {
    let mails = {
        let mut c = srv.app.db.read().await.expect("db");
        sellcast_store::outbox::recent(c.conn(), 50).await.expect("outbox")
    };
    let mail = mails.iter().find(|m| m.to_address == to).unwrap_or_else(|| panic!("no mail to {to}"));
    let start = mail.body_text.find("/invites/accept?token=").expect("an invite link in the mail");
    let link: String = mail.body_text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    link
}

/// An API token for someone who signed up through the pages.
pub async fn api_login(srv: &TestServer, email: &str) -> String {
    let r = srv.post("/api/v1/auth/login", None, json!({ "email": email, "password": PASSWORD })).await;
    r.expect(StatusCode::OK, None);
    r.body["access_token"].as_str().expect("access token").to_string()
}

pub fn org_api(org_id: &str, rest: &str) -> String {
    format!("/api/v1/orgs/{org_id}{rest}")
}

pub async fn get_post(srv: &TestServer, token: &str, org_id: &str, post_id: &str) -> Value {
    let r = srv.get(&org_api(org_id, &format!("/posts/{post_id}")), Some(token)).await;
    r.expect(StatusCode::OK, None);
    r.body
}

pub async fn posts_of(srv: &TestServer, token: &str, org_id: &str) -> Vec<Value> {
    let r = srv.get(&org_api(org_id, "/posts"), Some(token)).await;
    r.expect(StatusCode::OK, None);
    r.body["items"].as_array().cloned().unwrap_or_default()
}

/// What the page tour needs to show something on every page.
pub struct Seeded {
    pub owner: Account,
    pub post_id: String,
    pub invite_token: String,
}

/// A workspace with a sandbox channel, a client, posts in several states (one published by
/// the worker, one scheduled tomorrow, a draft), a pending invite and a member.
pub async fn seed(srv: &TestServer) -> Seeded {
    let owner = srv.register("owner@pages.test").await;
    let t = Some(owner.token.as_str());
    let org = |rest: &str| org_api(&owner.org_id, rest);
    let r = srv.post(&org("/channels/connect"), t, json!({"platform": "sandbox", "name": "Shop"})).await;
    r.expect(StatusCode::CREATED, None);
    let channel = r.body["channels"][0]["id"].as_str().expect("channel id").to_string();
    let r = srv.post(&org("/clients"), t, json!({"name": "Bakery Dupont", "email": "hello@dupont.test"})).await;
    r.expect(StatusCode::CREATED, None);
    let post = |text: &str, at: Option<String>| {
        let mut body = json!({"text": text, "variants": [{"channel_id": channel}]});
        if let Some(at) = at {
            body["scheduled_at"] = json!(at);
        }
        body
    };
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let r = srv.post(&org("/posts"), t, post("Fresh croissants every morning from 7 am.", Some(tomorrow))).await;
    r.expect(StatusCode::CREATED, None);
    let post_id = r.body["id"].as_str().expect("post id").to_string();
    srv.post(&org("/posts"), t, post("A draft about our summer menu.", None)).await.expect(StatusCode::CREATED, None);
    let r = srv.post(&org("/posts"), t, post("We are open on Sunday!", None)).await;
    r.expect(StatusCode::CREATED, None);
    let published = r.body["id"].as_str().expect("post id").to_string();
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    srv.post(&org(&format!("/posts/{published}/publish")), t, json!({})).await.expect(StatusCode::OK, None);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while get_post(srv, &owner.token, &owner.org_id, &published).await["status"] != "published" {
        assert!(std::time::Instant::now() < deadline, "the seeded post was not published");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    worker.shutdown().await;
    srv.add_member(&owner, "editor@pages.test", "editor").await;
    let r = srv.post(&org("/invites"), t, json!({"email": "new@pages.test", "role": "viewer"})).await;
    r.expect(StatusCode::CREATED, None);
    let invite_token = r.body["token"].as_str().expect("invite token").to_string();
    Seeded { owner, post_id, invite_token }
}
