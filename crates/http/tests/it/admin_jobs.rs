//! /api/v1/admin/jobs: instance administrators see and steer the queue; nobody else does.

use crate::common::*;
use reqwest::StatusCode;
use sellcast_queue::{ops, NewJob};
use serde_json::json;

async fn enqueue(srv: &TestServer, job: NewJob) -> i64 {
    let mut tx = srv.app.db.begin().await.unwrap();
    let id = ops::enqueue(tx.conn(), &job, srv.app.clock.now()).await.unwrap().id;
    tx.commit().await.unwrap();
    id
}

async fn instance_admins_list_retry_and_cancel_jobs(b: Backend) {
    let srv = TestServer::start(b).await;
    let admin = srv.register("root@example.com").await; // the first account is the instance admin
    let other = srv.register("someone@example.com").await;
    let a = enqueue(&srv, NewJob::raw("demo.one", json!({"n": 1})).queue("default")).await;
    let b_id = enqueue(&srv, NewJob::raw("demo.two", json!({"n": 2})).queue("email")).await;
    let t = Some(admin.token.as_str());

    let all = srv.get("/api/v1/admin/jobs", t).await;
    all.expect(StatusCode::OK, None);
    let ids: Vec<i64> = all.body["items"].as_array().unwrap().iter().map(|j| j["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![b_id, a], "newest first");
    let by_kind = srv.get("/api/v1/admin/jobs?kind=demo.one", t).await;
    assert_eq!(by_kind.body["items"].as_array().unwrap().len(), 1);
    let by_queue = srv.get("/api/v1/admin/jobs?queue=email&state=available", t).await;
    assert_eq!(by_queue.body["items"][0]["id"], b_id);
    let page = srv.get("/api/v1/admin/jobs?limit=1", t).await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_string();
    let rest = srv.get(&format!("/api/v1/admin/jobs?limit=1&cursor={cursor}"), t).await;
    assert_eq!(rest.body["items"][0]["id"], a);
    assert!(rest.body["next_cursor"].is_null());
    srv.get("/api/v1/admin/jobs?state=exploded", t).await.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    srv.get("/api/v1/admin/jobs?cursor=abc", t).await.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));

    let one = srv.get(&format!("/api/v1/admin/jobs/{a}"), t).await;
    one.expect(StatusCode::OK, None);
    assert_eq!(one.body["kind"], "demo.one");
    assert_eq!(one.body["args"], json!({"n": 1}));
    assert_eq!(one.body["errors"], json!([]));
    srv.get("/api/v1/admin/jobs/999999", t).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.get("/api/v1/admin/jobs/not-a-number", t).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));

    let cancelled = srv.post(&format!("/api/v1/admin/jobs/{a}/cancel"), t, json!({})).await;
    cancelled.expect(StatusCode::OK, None);
    assert_eq!(cancelled.body["state"], "cancelled");
    srv.post(&format!("/api/v1/admin/jobs/{a}/cancel"), t, json!({}))
        .await
        .expect(StatusCode::CONFLICT, Some("CONFLICT"));
    let retried = srv.post(&format!("/api/v1/admin/jobs/{a}/retry"), t, json!({})).await;
    retried.expect(StatusCode::OK, None);
    assert_eq!(retried.body["state"], "available");
    srv.post(&format!("/api/v1/admin/jobs/{a}/retry"), t, json!({}))
        .await
        .expect(StatusCode::CONFLICT, Some("CONFLICT"));

    // Not an instance admin: forbidden everywhere, and nothing changes.
    let o = Some(other.token.as_str());
    srv.get("/api/v1/admin/jobs", o).await.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    srv.get(&format!("/api/v1/admin/jobs/{a}"), o).await.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    srv.post(&format!("/api/v1/admin/jobs/{b_id}/cancel"), o, json!({}))
        .await
        .expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    let still = srv.get(&format!("/api/v1/admin/jobs/{b_id}"), t).await;
    assert_eq!(still.body["state"], "available");
    srv.get("/api/v1/admin/jobs", None).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));

    // The steering is audited on the admin's account.
    let mut c = srv.app.db.read().await.unwrap();
    let log = sellcast_store::audit::by_actor(c.conn(), &admin.user_id).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"job.cancel") && actions.contains(&"job.retry"), "{actions:?}");
    drop(c);

    let metrics = srv.http.get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"sellcast_jobs{queue="email",state="available"} 1"#), "{metrics}");
    srv.stop().await;
}

/// Retrying a finished job whose unique key a newer unfinished job now holds is a conflict.
async fn retry_respects_unique_keys(b: Backend) {
    let srv = TestServer::start(b).await;
    let admin = srv.register("keys@example.com").await;
    let t = Some(admin.token.as_str());
    let old = enqueue(&srv, NewJob::raw("demo.keyed", json!({})).unique_key("post:1:x")).await;
    srv.post(&format!("/api/v1/admin/jobs/{old}/cancel"), t, json!({})).await.expect(StatusCode::OK, None);
    let newer = enqueue(&srv, NewJob::raw("demo.keyed", json!({})).unique_key("post:1:x")).await;
    assert_ne!(old, newer, "a cancelled job frees its key");
    let r = srv.post(&format!("/api/v1/admin/jobs/{old}/retry"), t, json!({})).await;
    r.expect(StatusCode::CONFLICT, Some("CONFLICT"));
    assert!(r.body["error"]["message"].as_str().unwrap().contains("unique key"), "{}", r.body);
    srv.stop().await;
}

on_both_backends!(instance_admins_list_retry_and_cancel_jobs, retry_respects_unique_keys);
