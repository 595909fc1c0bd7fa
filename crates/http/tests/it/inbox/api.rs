//! The conversations API with the sandbox's inbound side: receive, list and filter, read
//! marks, status changes with their rules, replies delivered, bulk actions, pagination, roles.

use super::{conversations, wait_conversations, wait_for, wait_messages};
use crate::common::tenancy::org;
use crate::common::{on_both_backends, Backend};
use crate::publishing::sandbox_channel;
use reqwest::StatusCode;
use serde_json::json;

async fn sandbox_inbox_from_receive_to_resolved(b: Backend) {
    let srv = super::start(b, |_| {}).await;
    let a = srv.register("inbox@example.com").await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    let ch = sandbox_channel(&srv, &a, "Shop").await;
    let ch_id = ch["id"].as_str().unwrap_or_default().to_string();
    let receive = org(&a.org_id, &format!("/channels/{ch_id}/sandbox/receive"));
    for (name, text) in [("Ana", "Hi! Price?"), ("Bao", "Do you deliver?"), ("Chi", "Open on Sunday?")] {
        let r = srv.post(&receive, Some(&a.token), json!({"kind": "direct", "from_name": name, "text": text})).await;
        r.expect(StatusCode::ACCEPTED, None);
        assert!(r.body["event_id"].is_number());
    }
    // Bad input: a clear error, nothing received.
    let r = srv.post(&receive, Some(&a.token), json!({"kind": "direct", "from_name": "", "text": "x"})).await;
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    let r = srv.post(&receive, Some(&a.token), json!({"kind": "comment", "from_name": "Dan", "text": "nice"})).await;
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    let convs = wait_conversations(&srv, &a, 3).await;
    assert_eq!(convs.len(), 3);
    assert!(convs.iter().all(|c| c["unread"] == true && c["status"] == "open"));

    // Pagination: newest activity first, two then one.
    let p1 = srv.get(&org(&a.org_id, "/conversations?limit=2"), Some(&a.token)).await;
    assert_eq!(p1.body["items"].as_array().map(Vec::len), Some(2));
    let cursor = p1.body["next_cursor"].as_str().unwrap_or_default().to_string();
    let p2 = srv.get(&org(&a.org_id, &format!("/conversations?limit=2&cursor={cursor}")), Some(&a.token)).await;
    assert_eq!(p2.body["items"].as_array().map(Vec::len), Some(1));
    assert!(p2.body["next_cursor"].is_null());
    srv.get(&org(&a.org_id, "/conversations?cursor=zz"), Some(&a.token))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    srv.get(&org(&a.org_id, "/conversations?status=closed"), Some(&a.token))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));

    // Open one: read it, reply, see it delivered; it now waits for the customer.
    let ana = convs.iter().find(|c| c["participant"]["name"] == "Ana").cloned().unwrap_or_default();
    let id = ana["id"].as_str().unwrap_or_default().to_string();
    let msgs = wait_messages(&srv, &a, &id, 1).await;
    assert_eq!(msgs[0]["text"], "Hi! Price?");
    assert_eq!(msgs[0]["direction"], "inbound");
    let r = srv.post(&org(&a.org_id, &format!("/conversations/{id}/read")), Some(&a.token), json!({})).await;
    assert_eq!(r.body["unread"], false, "{}", r.body);
    assert_eq!(conversations(&srv, &a, "?unread=true").await.len(), 2);
    let path = org(&a.org_id, &format!("/conversations/{id}/messages"));
    srv.post(&path, Some(&a.token), json!({"text": "   "}))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    srv.post(&path, Some(&a.token), json!({"text": "x".repeat(10_001)}))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    srv.post(&path, Some(&a.token), json!({"text": "It is 250k."})).await.expect(StatusCode::CREATED, None);
    let thread = wait_for(&srv, &path, &a.token, |b| b["items"][0]["delivery"] == "delivered").await;
    assert_eq!(thread["items"][0]["author_user_id"], a.user_id.as_str());
    let c = srv.get(&org(&a.org_id, &format!("/conversations/{id}")), Some(&a.token)).await;
    assert_eq!(c.body["status"], "pending");
    assert_eq!(c.body["preview"], "It is 250k.");

    // The customer writes again: open and unread again.
    srv.post(&receive, Some(&a.token), json!({"kind": "direct", "from_name": "Ana", "text": "Deal!"}))
        .await
        .expect(StatusCode::ACCEPTED, None);
    let c = wait_for(&srv, &org(&a.org_id, &format!("/conversations/{id}")), &a.token, |b| b["unread"] == true).await;
    assert_eq!(c["status"], "open");
    assert_eq!(c["message_count"], 3);

    // Status rules: snoozing needs a future time; the audit log records changes.
    let conv = org(&a.org_id, &format!("/conversations/{id}"));
    srv.patch(&conv, Some(&a.token), json!({"status": "snoozed"}))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    srv.patch(&conv, Some(&a.token), json!({"status": "resolved", "snoozed_until": "2030-01-01T00:00:00Z"}))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    let until = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let r = srv
        .patch(&conv, Some(&a.token), json!({"status": "snoozed", "snoozed_until": until, "priority": "high"}))
        .await;
    r.expect(StatusCode::OK, None);
    assert_eq!((r.body["status"].as_str(), r.body["priority"].as_str()), (Some("snoozed"), Some("high")));
    assert_eq!(conversations(&srv, &a, "?status=open,pending").await.len(), 2);

    // Bulk: resolve all three, then mark them read.
    let ids: Vec<String> = convs.iter().filter_map(|c| c["id"].as_str().map(String::from)).collect();
    let bulk = org(&a.org_id, "/conversations/bulk");
    let r = srv.post(&bulk, Some(&a.token), json!({"ids": ids, "action": "resolve"})).await;
    assert_eq!(r.body["updated"], 3, "{}", r.body);
    assert_eq!(conversations(&srv, &a, "?status=resolved").await.len(), 3);
    srv.post(&bulk, Some(&a.token), json!({"ids": ids, "action": "mark_read"})).await.expect(StatusCode::OK, None);
    assert!(conversations(&srv, &a, "?unread=true").await.is_empty());
    srv.post(&bulk, Some(&a.token), json!({"ids": [], "action": "resolve"}))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    let audit = srv.get(&org(&a.org_id, "/audit-log"), Some(&a.token)).await;
    assert!(audit.body.to_string().contains("conversation.update"), "{}", audit.body);

    // A viewer reads but does not answer.
    let viewer = srv.add_member(&a, "viewer@example.com", "viewer").await;
    assert_eq!(conversations(&srv, &viewer, "").await.len(), 3);
    assert_eq!(conversations(&srv, &viewer, "?unread=true").await.len(), 3, "read marks are per member");
    srv.post(&path, Some(&viewer.token), json!({"text": "hi"})).await.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    srv.patch(&conv, Some(&viewer.token), json!({"status": "open"}))
        .await
        .expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    worker.shutdown().await;
    srv.stop().await;
}

async fn replies_refuse_what_the_channel_cannot_take(b: Backend) {
    let srv = super::start(b, |_| {}).await;
    let a = srv.register("rules@example.com").await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    let ch = sandbox_channel(&srv, &a, "Shop").await;
    let ch_id = ch["id"].as_str().unwrap_or_default().to_string();
    let receive = org(&a.org_id, &format!("/channels/{ch_id}/sandbox/receive"));
    srv.post(&receive, Some(&a.token), json!({"kind": "direct", "from_name": "Eve", "text": "hello"}))
        .await
        .expect(StatusCode::ACCEPTED, None);
    let convs = wait_conversations(&srv, &a, 1).await;
    let id = convs[0]["id"].as_str().unwrap_or_default().to_string();
    let path = org(&a.org_id, &format!("/conversations/{id}/messages"));
    // Templates are WhatsApp's; private replies are for comments.
    srv.post(&path, Some(&a.token), json!({"template": {"name": "hello_world", "language": "en_US"}}))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    srv.post(&path, Some(&a.token), json!({"text": "psst", "private": true}))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    srv.post(&path, Some(&a.token), json!({"text": "hi", "unknown": 1}))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    // Posts cannot target a conversation-only channel.
    let wa = super::insert_channel(&srv, &a, "whatsapp", "555000111", "token").await;
    let r = srv
        .post(&org(&a.org_id, "/posts"), Some(&a.token), json!({"text": "Sale!", "variants": [{"channel_id": wa}]}))
        .await;
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    worker.shutdown().await;
    srv.stop().await;
}

on_both_backends!(sandbox_inbox_from_receive_to_resolved, replies_refuse_what_the_channel_cannot_take);
