//! A channel whose token the platform refuses (and a refresh cannot fix) becomes
//! `needs_reconnect`; its post is held, not failed; the org's admins are notified; connecting
//! the same account again releases the post, which then goes out exactly once. Both backends.

use super::*;
use crate::common::tenancy::org;
use crate::common::*;
use reqwest::StatusCode;
use sellcast_fakes::{mastodon, Fault};
use serde_json::{json, Value};

/// Connect the fake Mastodon account through the OAuth flow (the fake approves at once).
async fn connect_mastodon(srv: &TestServer, who: &Account, server: &str, path: &str, body: Value) -> Value {
    let r = srv.post(&org(&who.org_id, path), Some(&who.token), body).await;
    r.expect(StatusCode::OK, None);
    let authorize_url = r.body["authorize_url"].as_str().expect("authorize_url").to_string();
    assert!(authorize_url.starts_with(server), "{authorize_url}");
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let consent = http.get(&authorize_url).send().await.unwrap();
    assert_eq!(consent.status(), StatusCode::FOUND);
    let location = consent.headers()["location"].to_str().unwrap().to_string();
    let done = Response::read(http.get(&location).send().await.unwrap()).await;
    done.expect(StatusCode::OK, None);
    done.body["channels"][0].clone()
}

fn revoked() -> Fault {
    Fault::Respond { status: 401, headers: vec![], body: json!({"error": "The access token was revoked"}) }
}

async fn refused_token_holds_posts_until_reconnected(b: Backend) {
    let (fake, state) = mastodon::start().await;
    let srv = TestServer::start_with(b, |c| c.platform_allow_http = true).await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    let owner = srv.register("owner@reconnect.test").await;
    let channel = connect_mastodon(
        &srv,
        &owner,
        &fake.url(),
        "/channels/connect",
        json!({"platform": "mastodon", "server_url": fake.url()}),
    )
    .await;
    let channel_id = s(&channel["id"]);

    // The platform refuses the token on the publish and again after the (no-op) refresh.
    fake.faults.push(Some("POST"), "/api/v1/statuses", revoked());
    fake.faults.push(Some("POST"), "/api/v1/statuses", revoked());
    let r = srv
        .post(
            &org(&owner.org_id, "/posts"),
            Some(&owner.token),
            json!({"text": "Back in stock!", "variants": [{"channel_id": channel_id}], "scheduled_at": rfc3339_in(chrono::Duration::seconds(1))}),
        )
        .await;
    r.expect(StatusCode::CREATED, None);
    let post_id = s(&r.body["id"]);
    let held = wait_for_post(&srv, &owner, &post_id, 30, |p| p["variants"][0]["status"] == "held").await;
    assert_ne!(held["status"], "failed", "a held post is not failed: {held}");
    assert_eq!(state.count(), 0);

    let ch = srv.get(&org(&owner.org_id, &format!("/channels/{channel_id}")), Some(&owner.token)).await;
    ch.expect(StatusCode::OK, None);
    assert_eq!(ch.body["status"], "needs_reconnect", "{}", ch.body);
    assert!(ch.body["last_error"].as_str().is_some_and(|e| e.contains("revoked")), "{}", ch.body);
    let n = srv.get(&org(&owner.org_id, "/notifications"), Some(&owner.token)).await;
    n.expect(StatusCode::OK, None);
    let kinds: Vec<&str> = n.body["items"].as_array().unwrap().iter().filter_map(|i| i["kind"].as_str()).collect();
    assert!(kinds.contains(&"channel.needs_reconnect"), "the owner is told: {}", n.body);

    // Reconnecting the same account releases the held post; it goes out once.
    let again =
        connect_mastodon(&srv, &owner, &fake.url(), &format!("/channels/{channel_id}/reconnect"), json!({})).await;
    assert_eq!(s(&again["id"]), channel_id);
    assert_eq!(again["status"], "active");
    let done = wait_for_post(&srv, &owner, &post_id, 30, |p| p["status"] == "published").await;
    assert!(done["variants"][0]["platform_url"].is_string(), "{done}");
    assert_eq!(state.count(), 1, "published exactly once");
    assert_eq!(fake.faults.pending(), 0);

    worker.shutdown().await;
    srv.stop().await;
}

on_both_backends!(refused_token_holds_posts_until_reconnected);
