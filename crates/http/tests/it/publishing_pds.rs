//! The acceptance path, through the API alone: connect the sandbox and a Bluesky
//! account on a real local PDS, schedule one post to both, and see both published with their
//! URLs — the Bluesky record read back from the PDS itself. Both backends.

use crate::common::*;
use reqwest::StatusCode;
use sellcast_testkit::pds::Pds;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn sandbox_and_bluesky_through_the_api(b: Backend) {
    let pds = Pds::start().await.expect("the Bluesky PDS must start (run `npm ci --prefix .ci/pds`)");
    let account = pds.create_account("seller.test", "seller@pds.test", "Pds-Pass-123").await.expect("account");
    let app_password = pds.create_app_password(&account, "sellcast").await.expect("app password");

    let pds_url = pds.url.clone();
    let srv = TestServer::start_with(b, move |c| {
        c.platform_allow_http = true;
        c.bluesky_server = pds_url;
    })
    .await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    let owner = srv.register("owner@pds.test").await;
    let connect = format!("/api/v1/orgs/{}/channels/connect", owner.org_id);

    let r = srv.post(&connect, Some(&owner.token), json!({"platform": "sandbox", "name": "Shop"})).await;
    r.expect(StatusCode::CREATED, None);
    let sandbox = r.body["channels"][0]["id"].as_str().unwrap().to_string();
    let r = srv
        .post(
            &connect,
            Some(&owner.token),
            json!({"platform": "bluesky", "server_url": pds.url, "identifier": account.handle, "app_password": app_password}),
        )
        .await;
    r.expect(StatusCode::CREATED, None);
    let bluesky = r.body["channels"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["channels"][0]["account_id"], account.did.as_str());

    let text = "New arrivals in the shop today — https://example.com/new #handmade";
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let r = srv
        .post(
            &format!("/api/v1/orgs/{}/posts", owner.org_id),
            Some(&owner.token),
            json!({"text": text, "variants": [{"channel_id": sandbox}, {"channel_id": bluesky}], "scheduled_at": at}),
        )
        .await;
    r.expect(StatusCode::CREATED, None);
    assert_eq!(r.body["status"], "scheduled", "{}", r.body);
    let post_path = format!("/api/v1/orgs/{}/posts/{}", owner.org_id, r.body["id"].as_str().unwrap());

    let deadline = Instant::now() + Duration::from_secs(60);
    let post: Value = loop {
        let r = srv.get(&post_path, Some(&owner.token)).await;
        r.expect(StatusCode::OK, None);
        if r.body["status"] == "published" {
            break r.body;
        }
        assert!(Instant::now() < deadline, "not published in time: {}", r.body);
        assert!(!matches!(r.body["status"].as_str(), Some("failed" | "partially_published")), "{}", r.body);
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let variants = post["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 2);
    for v in variants {
        assert_eq!(v["status"], "published", "{v}");
        assert!(v["platform_url"].as_str().is_some_and(|u| u.starts_with("http")), "{v}");
    }
    let sky = variants.iter().find(|v| v["channel_id"] == bluesky.as_str()).unwrap();
    let uri = sky["platform_post_id"].as_str().unwrap();
    let rkey = uri.rsplit('/').next().unwrap();
    assert!(sky["platform_url"].as_str().unwrap().ends_with(&format!("/post/{rkey}")), "{sky}");
    let record = pds.get_record(&account.did, "app.bsky.feed.post", rkey).await.expect("getRecord");
    let record = record.expect("the post exists on the PDS");
    assert_eq!(record["value"]["text"], text, "{record}");

    let sand = variants.iter().find(|v| v["channel_id"] == sandbox.as_str()).unwrap();
    let url = sand["platform_url"].as_str().unwrap();
    let path = url.split_once("://").and_then(|(_, rest)| rest.split_once('/')).map(|(_, p)| p).unwrap();
    let r = srv.get(&format!("/{path}"), None).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["text"], text, "{}", r.body);

    worker.shutdown().await;
    srv.stop().await;
}

on_both_backends!(sandbox_and_bluesky_through_the_api);
