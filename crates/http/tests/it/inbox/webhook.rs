//! /webhooks/meta: the subscription check, signatures over the raw bytes, every bad body a
//! 4xx with nothing stored, and routing only by the ids in the payload.

use super::{page_delivery, post_webhook, sign, wait_conversations, APP_SECRET, VERIFY_TOKEN};
use crate::common::tenancy::org;
use crate::common::{on_both_backends, Backend, TestServer};
use reqwest::StatusCode;
use sellcast_domain::InboundState;
use sellcast_store::inbox::inbound_events;
use serde_json::json;

async fn start(b: Backend) -> TestServer {
    super::start(b, |c| {
        c.meta_app_secret = Some(APP_SECRET.into());
        c.meta_webhook_verify_token = Some(VERIFY_TOKEN.into());
    })
    .await
}

async fn stored(srv: &TestServer) -> i64 {
    let mut c = srv.app.db.read().await.expect("read");
    let mut n = 0;
    for s in InboundState::ALL {
        n += inbound_events::count_in(c.conn(), *s).await.expect("count");
    }
    n
}

async fn subscription_is_verified_with_the_token(b: Backend) {
    let srv = start(b).await;
    let ok = format!("/webhooks/meta?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444");
    let r = srv.http.get(srv.url(&ok)).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap_or("").starts_with("text/plain"));
    assert_eq!(r.text().await.expect("text"), "1158201444");
    for bad in [
        "/webhooks/meta?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
        "/webhooks/meta?hub.mode=unsubscribe&hub.verify_token=test-verify-token&hub.challenge=1",
        "/webhooks/meta?hub.challenge=1",
        "/webhooks/meta",
    ] {
        srv.get(bad, None).await.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    }
    srv.stop().await;
}

async fn signatures_are_checked_over_the_raw_bytes(b: Backend) {
    let srv = start(b).await;
    // Non-ASCII text, not re-encoded: the signature is over these exact bytes.
    let body = page_delivery(
        "1001",
        vec![json!({"sender": {"id": "u1"}, "recipient": {"id": "1001"}, "timestamp": 1_733_000_000_000i64,
                     "message": {"mid": "m.1", "text": "Xin chào 👋 — giá bao nhiêu?"}})],
    );
    post_webhook(&srv, &body, None).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    post_webhook(&srv, &body, Some("sha256=00")).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    post_webhook(&srv, &body, Some("md5=abc")).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    let mut changed = body.clone();
    let last = changed.len() - 2;
    changed[last] ^= 1;
    post_webhook(&srv, &changed, Some(&sign(&body))).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    let other = sellcast_platforms::meta::webhook::sign(b"another-secret", &body);
    post_webhook(&srv, &body, Some(&other)).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    assert_eq!(stored(&srv).await, 0, "nothing is stored for a refused delivery");
    let r = post_webhook(&srv, &body, Some(&sign(&body))).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(stored(&srv).await, 1, "the 200 comes after the row");
    srv.stop().await;
}

async fn bad_bodies_are_refused_with_a_4xx(b: Backend) {
    let srv = start(b).await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let cases: Vec<(Vec<u8>, StatusCode)> = vec![
        (b"{\"object\": \"page\", \"entry\": [".to_vec(), StatusCode::BAD_REQUEST),
        (b"not json".to_vec(), StatusCode::BAD_REQUEST),
        (b"[1, 2]".to_vec(), StatusCode::BAD_REQUEST),
        (deep.into_bytes(), StatusCode::BAD_REQUEST),
        (vec![b' '; 3 * 1024 * 1024 + 1], StatusCode::PAYLOAD_TOO_LARGE),
    ];
    for (body, want) in cases {
        let r = post_webhook(&srv, &body, Some(&sign(&body))).await;
        assert_eq!(r.status, want, "{}", r.body);
        assert!(r.body["error"]["code"].is_string(), "the error body: {}", r.body);
    }
    assert_eq!(stored(&srv).await, 0);
    srv.stop().await;
}

async fn events_reach_only_the_org_that_connected_the_account(b: Backend) {
    let srv = start(b).await;
    let a = srv.register("owner-a@example.com").await;
    let other = srv.register("owner-b@example.com").await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    super::insert_channel(&srv, &a, "facebook", "2002", "page-token").await;
    let body = page_delivery(
        "2002",
        vec![json!({"sender": {"id": "psid-7"}, "recipient": {"id": "2002"}, "timestamp": 1_733_000_000_000i64,
                     "message": {"mid": "m.a1", "text": "Do you ship to Hanoi?"}})],
    );
    post_webhook(&srv, &body, Some(&sign(&body))).await.expect(StatusCode::OK, None);
    // An account nobody connected: kept for admins, shown to no org.
    let stray = page_delivery(
        "9999",
        vec![json!({"sender": {"id": "psid-8"}, "recipient": {"id": "9999"}, "timestamp": 1_733_000_000_000i64,
                     "message": {"mid": "m.x1", "text": "hello?"}})],
    );
    post_webhook(&srv, &stray, Some(&sign(&stray))).await.expect(StatusCode::OK, None);
    let convs = wait_conversations(&srv, &a, 1).await;
    assert_eq!(convs[0]["participant"]["id"], "psid-7");
    assert_eq!(convs[0]["platform"], "facebook");
    assert_eq!(convs[0]["unread"], true);
    let id = convs[0]["id"].as_str().unwrap_or_default().to_string();
    // Org B sees nothing of it, through every endpoint.
    assert!(super::conversations(&srv, &other, "").await.is_empty());
    for path in [format!("/conversations/{id}"), format!("/conversations/{id}/messages")] {
        srv.get(&org(&other.org_id, &path), Some(&other.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    }
    srv.patch(&org(&other.org_id, &format!("/conversations/{id}")), Some(&other.token), json!({"status": "resolved"}))
        .await
        .expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.post(&org(&other.org_id, &format!("/conversations/{id}/messages")), Some(&other.token), json!({"text": "hi"}))
        .await
        .expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.post(&org(&other.org_id, &format!("/conversations/{id}/read")), Some(&other.token), json!({}))
        .await
        .expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    let r = srv
        .post(&org(&other.org_id, "/conversations/bulk"), Some(&other.token), json!({"ids": [id], "action": "resolve"}))
        .await;
    assert_eq!(r.body["updated"], 0, "{}", r.body);
    // The stray event is visible to the instance admin (the first user), raw body included.
    let flagged = super::wait_for(&srv, "/api/v1/admin/inbound-events", &a.token, |b| {
        b["items"].as_array().is_some_and(|i| i.iter().any(|e| e["unmatched_items"] == 1))
    })
    .await;
    let e = flagged["items"].as_array().and_then(|i| i.first()).cloned().unwrap_or_default();
    assert!(e["body"].as_str().unwrap_or("").contains("hello?"), "{e}");
    srv.get("/api/v1/admin/inbound-events", Some(&other.token)).await.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    // And in the web app: the admin's page shows the raw body; nobody else's.
    let mut admin = crate::common::web::Browser::new(&srv);
    admin.sign_in(&a.email, &a.password).await;
    let page = admin.get("/admin/inbound-events").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("hello?") && page.body.contains("for no connected channel"), "{}", page.body);
    let mut stranger = crate::common::web::Browser::new(&srv);
    stranger.sign_in(&other.email, &other.password).await;
    assert_eq!(stranger.get("/admin/inbound-events").await.status, StatusCode::FORBIDDEN);
    worker.shutdown().await;
    srv.stop().await;
}

async fn duplicates_are_stored_once_and_early_statuses_wait(b: Backend) {
    let srv = start(b).await;
    let a = srv.register("dupes@example.com").await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    super::insert_channel(&srv, &a, "facebook", "3003", "page-token").await;
    let t = 1_733_000_000_000i64;
    let inbound = json!({"sender": {"id": "psid-1"}, "recipient": {"id": "3003"}, "timestamp": t,
                         "message": {"mid": "m.in1", "text": "Is the blue one in stock?"}});
    // The page's own answer (sent from Facebook's app): its delivery receipt comes first.
    let delivered = json!({"sender": {"id": "psid-1"}, "recipient": {"id": "3003"}, "timestamp": t + 3000,
                           "delivery": {"mids": ["m.out1"], "watermark": t + 3000}});
    let echo = json!({"sender": {"id": "3003"}, "recipient": {"id": "psid-1"}, "timestamp": t + 2000,
                      "message": {"mid": "m.out1", "text": "Yes, size M and L.", "is_echo": true}});
    for items in
        [vec![inbound.clone()], vec![delivered], vec![inbound.clone(), inbound], vec![echo.clone()], vec![echo]]
    {
        let body = page_delivery("3003", items);
        post_webhook(&srv, &body, Some(&sign(&body))).await.expect(StatusCode::OK, None);
    }
    let convs = wait_conversations(&srv, &a, 1).await;
    let id = convs[0]["id"].as_str().unwrap_or_default().to_string();
    // Every stored event processed, then the thread as it ends up.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let mut c = srv.app.db.read().await.expect("read");
        let pending = inbound_events::count_in(c.conn(), InboundState::Pending).await.expect("count");
        if pending == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{pending} events still pending");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let msgs = super::wait_messages(&srv, &a, &id, 2).await;
    assert_eq!(msgs.len(), 2, "each message once: {msgs:?}");
    // Newest first, by the platform's time.
    assert_eq!(msgs[0]["platform_message_id"], "m.out1");
    assert_eq!(msgs[0]["direction"], "outbound");
    assert_eq!(msgs[0]["delivery"], "delivered", "the early status was applied");
    assert_eq!(msgs[1]["platform_message_id"], "m.in1");
    assert!(msgs[1]["delivery"].is_null());
    worker.shutdown().await;
    srv.stop().await;
}

on_both_backends!(
    subscription_is_verified_with_the_token,
    signatures_are_checked_over_the_raw_bytes,
    bad_bodies_are_refused_with_a_4xx,
    events_reach_only_the_org_that_connected_the_account,
    duplicates_are_stored_once_and_early_statuses_wait,
);
