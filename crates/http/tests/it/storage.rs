//! Storage behaviour that must hold on both backends, seen through the API (the store's own
//! statements are tested in crates/store/tests).

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

/// 200 writes at once: every one succeeds (on SQLite, none sees `database is locked`).
async fn two_hundred_concurrent_writes(b: Backend) {
    let srv = TestServer::start_with(b, |c| c.rate_limit_user_per_minute = 0).await;
    let a = srv.register("writer@example.com").await;
    let path = format!("/api/v1/orgs/{}/clients", a.org_id);
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let (http, url, token) = (srv.http.clone(), srv.url(&path), a.token.clone());
            tokio::spawn(async move {
                let res = http
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"name": format!("Client {i}")}))
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                (status, res.text().await.unwrap())
            })
        })
        .collect();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let mut seen = 0;
    let mut cursor = String::new();
    loop {
        let r = srv.get(&format!("{path}?limit=200&cursor={cursor}"), Some(&a.token)).await;
        r.expect(StatusCode::OK, None);
        seen += r.body["items"].as_array().unwrap().len();
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, 200);
    srv.stop().await;
}

/// A unique constraint surfaces as CONFLICT with a message, by name, on both backends.
async fn unique_violations_are_conflicts(b: Backend) {
    let srv = TestServer::start(b).await;
    let a = srv.register("dup@example.com").await;
    let r = srv
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "DUP@example.com", "password": PASSWORD, "name": "X", "organization_name": "Y"}),
        )
        .await;
    r.expect(StatusCode::CONFLICT, Some("CONFLICT"));
    assert!(r.body["error"]["message"].as_str().unwrap().contains("already exists"));
    let path = format!("/api/v1/orgs/{}/clients", a.org_id);
    srv.post(&path, Some(&a.token), json!({"name": "Acme"})).await.expect(StatusCode::CREATED, None);
    srv.post(&path, Some(&a.token), json!({"name": "ACME"})).await.expect(StatusCode::CONFLICT, Some("CONFLICT"));
    srv.stop().await;
}

/// Times round-trip exactly and compare correctly in SQL on both backends (expiry checks
/// depend on it): an invite expiring in 7 days is live now and dead 8 days later.
async fn timestamps_compare_correctly(b: Backend) {
    let srv = TestServer::start(b).await;
    let a = srv.register("time@example.com").await;
    let inv = srv
        .post(
            &format!("/api/v1/orgs/{}/invites", a.org_id),
            Some(&a.token),
            json!({"email": "t2@example.com", "role": "editor"}),
        )
        .await;
    inv.expect(StatusCode::CREATED, None);
    let token = inv.body["token"].as_str().unwrap().to_string();
    srv.get(&format!("/api/v1/invites/{token}"), None).await.expect(StatusCode::OK, None);
    srv.app.clock.advance(chrono::Duration::days(8));
    srv.get(&format!("/api/v1/invites/{token}"), None).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.stop().await;
}

/// Names compare case-insensitively beyond ASCII on both backends (SQLite's lower() would not).
async fn unicode_names_compare_case_insensitively(b: Backend) {
    let srv = TestServer::start(b).await;
    let a = srv.register("unicode@example.com").await;
    let path = format!("/api/v1/orgs/{}/clients", a.org_id);
    srv.post(&path, Some(&a.token), json!({"name": "Élan Đà Nẵng"})).await.expect(StatusCode::CREATED, None);
    srv.post(&path, Some(&a.token), json!({"name": "élan đà nẴng"}))
        .await
        .expect(StatusCode::CONFLICT, Some("CONFLICT"));
    let found = srv.get(&format!("{path}?q=%C3%A9LAN"), Some(&a.token)).await;
    assert_eq!(found.body["items"].as_array().unwrap().len(), 1, "{}", found.body);
    srv.stop().await;
}

on_both_backends!(
    unicode_names_compare_case_insensitively,
    two_hundred_concurrent_writes,
    unique_violations_are_conflicts,
    timestamps_compare_correctly
);
