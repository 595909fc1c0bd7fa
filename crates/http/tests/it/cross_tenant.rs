//! Multi-tenancy over HTTP: no tenant can see or touch another's data, and cross-tenant
//! access is a 404 that reveals nothing.

use crate::common::tenancy::*;
use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------
// Cross-tenant access is a 404 that reveals nothing.
// ---------------------------------------------------------------------------------------

async fn cross_tenant_access_is_not_found(b: Backend) {
    let srv = TestServer::start(b).await;
    let a = srv.register("alice@tenant-a.test").await;
    let a_member = srv.add_member(&a, "amy@tenant-a.test", "editor").await;
    let a_client = create_client(&srv, &a, "Secret Client Of A").await;
    let a_client_id = a_client["id"].as_str().unwrap().to_string();
    let inv = invite(&srv, &a, "pending@tenant-a.test", "viewer").await;
    inv.expect(StatusCode::CREATED, None);
    let a_invite_id = inv.body["id"].as_str().unwrap().to_string();

    let bob = srv.register("bob@tenant-b.test").await;
    let b_client = create_client(&srv, &bob, "Client Of B").await;
    let b_client_id = b_client["id"].as_str().unwrap().to_string();

    let a_org = a.org_id.clone();
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, org(&a_org, ""), None),
        (Method::PATCH, org(&a_org, ""), Some(json!({ "name": "Owned by B" }))),
        (Method::DELETE, org(&a_org, ""), None),
        (Method::GET, org(&a_org, "/members"), None),
        (Method::PATCH, org(&a_org, &format!("/members/{}", a_member.user_id)), Some(json!({ "role": "viewer" }))),
        (Method::PATCH, org(&a_org, &format!("/members/{}", bob.user_id)), Some(json!({ "role": "owner" }))),
        (Method::DELETE, org(&a_org, &format!("/members/{}", a_member.user_id)), None),
        (Method::DELETE, org(&a_org, &format!("/members/{}", a.user_id)), None),
        (Method::DELETE, org(&a_org, &format!("/members/{}", bob.user_id)), None),
        (Method::GET, org(&a_org, "/invites"), None),
        (Method::GET, org(&a_org, "/invites?all=true"), None),
        (Method::POST, org(&a_org, "/invites"), Some(json!({ "email": "mole@tenant-b.test", "role": "owner" }))),
        (Method::DELETE, org(&a_org, &format!("/invites/{a_invite_id}")), None),
        (Method::GET, org(&a_org, "/clients"), None),
        (Method::GET, org(&a_org, "/clients?q=Secret"), None),
        (Method::POST, org(&a_org, "/clients"), Some(json!({ "name": "Intruder" }))),
        (Method::GET, org(&a_org, &format!("/clients/{a_client_id}")), None),
        (Method::PATCH, org(&a_org, &format!("/clients/{a_client_id}")), Some(json!({ "name": "Defaced" }))),
        (Method::DELETE, org(&a_org, &format!("/clients/{a_client_id}")), None),
        (Method::GET, org(&a_org, "/audit-log"), None),
    ];
    let secrets =
        ["Secret Client Of A", "amy@tenant-a.test", "pending@tenant-a.test", "Org of alice", a_client_id.as_str()];
    for (method, path, body) in &cases {
        let r = srv.send(method.clone(), path, Some(&bob.token), body.clone()).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path} as another tenant: {}", r.body);
        r.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
        assert!(r.body.get("items").is_none() && r.body.get("id").is_none(), "{method} {path} leaked data: {}", r.body);
        let text = r.body.to_string();
        for s in secrets {
            assert!(!text.contains(s), "{method} {path} leaked {s:?}: {text}");
        }
    }

    // Malformed or unknown org ids are 404 too, even for a signed-in user.
    let unknown = uuid::Uuid::now_v7().to_string();
    for bad in ["not-an-id", "1", "'%20OR%201=1--", unknown.as_str()] {
        for (method, rest, body) in [
            (Method::GET, "", None),
            (Method::PATCH, "", Some(json!({ "name": "x" }))),
            (Method::DELETE, "", None),
            (Method::GET, "/members", None),
            (Method::GET, "/invites", None),
            (Method::GET, "/clients", None),
            (Method::POST, "/clients", Some(json!({ "name": "x" }))),
            (Method::GET, "/audit-log", None),
        ] {
            let path = org(bad, rest);
            let r = srv.send(method.clone(), &path, Some(&a.token), body).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}: {}", r.body);
            r.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
        }
    }

    // A's ids under B's own path, by B: 404 (the row is looked up within B only).
    let b_org = bob.org_id.clone();
    for (method, path, body) in [
        (Method::GET, org(&b_org, &format!("/clients/{a_client_id}")), None),
        (Method::PATCH, org(&b_org, &format!("/clients/{a_client_id}")), Some(json!({ "notes": "mine now" }))),
        (Method::DELETE, org(&b_org, &format!("/clients/{a_client_id}")), None),
        (Method::DELETE, org(&b_org, &format!("/invites/{a_invite_id}")), None),
        (Method::PATCH, org(&b_org, &format!("/members/{}", a_member.user_id)), Some(json!({ "role": "viewer" }))),
        (Method::DELETE, org(&b_org, &format!("/members/{}", a_member.user_id)), None),
    ] {
        let r = srv.send(method.clone(), &path, Some(&bob.token), body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}: {}", r.body);
        r.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
        assert!(!r.body.to_string().contains("Secret Client Of A"));
    }
    // And B's client under A's path, by A's owner.
    let r = srv.get(&org(&a_org, &format!("/clients/{b_client_id}")), Some(&a.token)).await;
    r.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    let r = srv.delete(&org(&a_org, &format!("/clients/{b_client_id}")), Some(&a.token)).await;
    r.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));

    // Nothing changed in A.
    let r = srv.get(&org(&a_org, ""), Some(&a.token)).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["name"], "Org of alice@tenant-a.test");
    let roles = member_roles(&srv, &a).await;
    assert_eq!(roles.get("amy@tenant-a.test").map(String::as_str), Some("editor"));
    assert_eq!(roles.get("alice@tenant-a.test").map(String::as_str), Some("owner"));
    assert!(!roles.contains_key("bob@tenant-b.test"));
    let r = srv.get(&org(&a_org, &format!("/clients/{a_client_id}")), Some(&a.token)).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["name"], "Secret Client Of A");
    assert_eq!(r.body["notes"], "");
    let r = srv.get(&org(&a_org, "/clients"), Some(&a.token)).await;
    assert_eq!(names(&r), vec!["Secret Client Of A".to_string()]);
    let r = srv.get(&org(&a_org, "/invites"), Some(&a.token)).await;
    assert_eq!(items(&r).len(), 1);
    assert_eq!(r.body["items"][0]["status"], "pending");
    let r = srv.get(&org(&a_org, &format!("/audit-log?actor_id={}", bob.user_id)), Some(&a.token)).await;
    r.expect(StatusCode::OK, None);
    assert!(items(&r).is_empty(), "B left no trace in A's log: {}", r.body);
    // B's own data is intact and separate.
    let r = srv.get(&org(&b_org, "/clients"), Some(&bob.token)).await;
    assert_eq!(names(&r), vec!["Client Of B".to_string()]);
    let r = srv.get("/api/v1/orgs", Some(&bob.token)).await;
    assert_eq!(items(&r).len(), 1);
    assert_eq!(r.body["items"][0]["id"], b_org.as_str());

    srv.stop().await;
}

on_both_backends!(cross_tenant_access_is_not_found,);
