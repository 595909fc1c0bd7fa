//! The unified inbox over HTTP on both backends: Meta webhooks (verification, signatures,
//! durability before the 200, every rejection a 4xx), the WhatsApp loop against the fake Graph
//! API (customer writes → inbox → reply → statuses), duplicates and reordering, the sandbox's
//! inbound side, the conversations API and tenancy.
#![allow(dead_code)]

mod api;
mod connect;
mod polling;
mod realtime;
mod webhook;
mod whatsapp;

use crate::common::tenancy::org;
use crate::common::{Account, Response, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

pub const APP_SECRET: &str = "test-meta-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";

/// A test server whose per-user rate limit does not get in the way of polling.
pub async fn start(b: crate::common::Backend, tweak: impl FnOnce(&mut sellcast_app::Config)) -> TestServer {
    TestServer::start_with(b, |c| {
        c.rate_limit_user_per_minute = 0;
        c.rate_limit_ip_per_minute = 0;
        tweak(c);
    })
    .await
}

/// POST a raw body to /webhooks/meta with a signature header (None: no header).
pub async fn post_webhook(srv: &TestServer, body: &[u8], signature: Option<&str>) -> Response {
    let mut req =
        srv.http.post(srv.url("/webhooks/meta")).header("content-type", "application/json").body(body.to_vec());
    if let Some(s) = signature {
        req = req.header("x-hub-signature-256", s);
    }
    Response::read(req.send().await.expect("webhook request")).await
}

pub fn sign(body: &[u8]) -> String {
    sellcast_platforms::meta::webhook::sign(APP_SECRET.as_bytes(), body)
}

/// Wait (polling the API, bounded) until `done` holds for the response of `path`.
pub async fn wait_for(srv: &TestServer, path: &str, token: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let r = srv.get(path, Some(token)).await;
        if r.status.is_success() && done(&r.body) {
            return r.body;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting on {path}: {}", r.body);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The org's conversations (first page).
pub async fn conversations(srv: &TestServer, who: &Account, query: &str) -> Vec<Value> {
    let r = srv.get(&org(&who.org_id, &format!("/conversations{query}")), Some(&who.token)).await;
    r.body["items"].as_array().cloned().unwrap_or_default()
}

/// Wait until the org has `n` conversations; them.
pub async fn wait_conversations(srv: &TestServer, who: &Account, n: usize) -> Vec<Value> {
    let body = wait_for(srv, &org(&who.org_id, "/conversations"), &who.token, |b| {
        b["items"].as_array().is_some_and(|a| a.len() >= n)
    })
    .await;
    body["items"].as_array().cloned().unwrap_or_default()
}

/// Wait until the conversation's thread has `n` messages; them, newest first.
pub async fn wait_messages(srv: &TestServer, who: &Account, conversation_id: &str, n: usize) -> Vec<Value> {
    let path = org(&who.org_id, &format!("/conversations/{conversation_id}/messages"));
    let body = wait_for(srv, &path, &who.token, |b| b["items"].as_array().is_some_and(|a| a.len() >= n)).await;
    body["items"].as_array().cloned().unwrap_or_default()
}

/// Insert a connected channel directly (state the API reaches only through OAuth).
pub async fn insert_channel(srv: &TestServer, who: &Account, platform: &str, account_id: &str, token: &str) -> String {
    let creds = sellcast_platforms::Credentials {
        access_token: token.into(),
        account_id: account_id.into(),
        ..Default::default()
    };
    let (sealed, key_id) = sellcast_app::channels::credentials::seal(&srv.app, &creds).expect("seal");
    let now = chrono::Utc::now();
    let id = sellcast_domain::ids::new_id();
    let row = sellcast_store::channels::ChannelRow {
        id: id.clone(),
        org_id: who.org_id.clone(),
        client_id: None,
        platform: platform.into(),
        account_id: account_id.into(),
        server_url: String::new(),
        handle: format!("{platform}-{account_id}"),
        display_name: None,
        avatar_url: None,
        profile_url: None,
        status: sellcast_domain::ChannelStatus::Active,
        credentials: sealed,
        key_id,
        token_expires_at: None,
        token_issued_at: Some(now),
        last_refresh_at: None,
        last_error: None,
        connected_by: Some(who.user_id.clone()),
        created_at: now,
        updated_at: now,
    };
    let mut tx = srv.app.db.begin().await.expect("tx");
    sellcast_store::channels::insert(tx.conn(), &row).await.expect("insert channel");
    tx.commit().await.expect("commit");
    id
}

/// A Messenger-shaped delivery of `items` (messaging events) for the Page `page_id`.
pub fn page_delivery(page_id: &str, items: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"object": "page", "entry": [{"id": page_id, "time": 1_733_000_000_000i64, "messaging": items}]}),
    )
    .expect("json")
}
