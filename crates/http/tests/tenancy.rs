//! Multi-tenancy over HTTP: organizations, members and roles, invites, clients, cursor
//! pagination and the audit log — and that no tenant can see or touch another's data.

mod common;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};

const UA: &str = "tenancy-tests/1.0";

// ---------------------------------------------------------------------------------------
// Helpers (local to this file).
// ---------------------------------------------------------------------------------------

/// Send with a User-Agent (the harness sends none) and optional extra headers.
async fn send_ua(srv: &TestServer, method: Method, path: &str, token: Option<&str>, body: Option<Value>, headers: &[(&str, &str)]) -> Response {
    let mut req = srv.http.request(method, srv.url(path)).header(reqwest::header::USER_AGENT, UA);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    Response::read(req.send().await.expect("request sent")).await
}

fn org(org_id: &str, rest: &str) -> String {
    format!("/api/v1/orgs/{org_id}{rest}")
}

fn items(r: &Response) -> &Vec<Value> {
    r.body["items"].as_array().unwrap_or_else(|| panic!("no items in {}", r.body))
}

/// The `field`s named in a VALIDATION_ERROR's details.
fn error_fields(r: &Response) -> Vec<String> {
    r.body["error"]["details"]
        .as_array()
        .map(|a| a.iter().filter_map(|d| d["field"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn expect_validation(r: &Response, field: &str) {
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    assert!(error_fields(r).iter().any(|f| f == field), "details should name {field}: {}", r.body);
}

fn names(r: &Response) -> Vec<String> {
    items(r).iter().map(|c| c["name"].as_str().expect("name").to_string()).collect()
}

async fn create_client(srv: &TestServer, who: &Account, name: &str) -> Value {
    let r = srv.post(&org(&who.org_id, "/clients"), Some(&who.token), json!({ "name": name })).await;
    r.expect(StatusCode::CREATED, None);
    assert_eq!(r.body["name"], name);
    assert_eq!(r.body["org_id"], who.org_id.as_str());
    r.body
}

async fn invite(srv: &TestServer, who: &Account, email: &str, role: &str) -> Response {
    srv.post(&org(&who.org_id, "/invites"), Some(&who.token), json!({ "email": email, "role": role })).await
}

/// Roles by email as the members list shows them.
async fn member_roles(srv: &TestServer, who: &Account) -> BTreeMap<String, String> {
    let r = srv.get(&org(&who.org_id, "/members"), Some(&who.token)).await;
    r.expect(StatusCode::OK, None);
    items(&r)
        .iter()
        .map(|m| (m["email"].as_str().unwrap().to_string(), m["role"].as_str().unwrap().to_string()))
        .collect()
}

async fn login(srv: &TestServer, email: &str) -> String {
    let r = srv.post("/api/v1/auth/login", None, json!({ "email": email, "password": PASSWORD })).await;
    r.expect(StatusCode::OK, None);
    r.body["access_token"].as_str().expect("access token").to_string()
}

/// Follow `next_cursor` from `path` (which already has a `?`) and return every page.
async fn all_pages(srv: &TestServer, path: &str, token: &str) -> Vec<Response> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_string(),
        };
        let r = srv.get(&url, Some(token)).await;
        r.expect(StatusCode::OK, None);
        cursor = r.body["next_cursor"].as_str().map(str::to_string);
        pages.push(r);
        if cursor.is_none() {
            return pages;
        }
        assert!(pages.len() < 100, "pagination does not end");
    }
}

// ---------------------------------------------------------------------------------------
// 1. Organizations.
// ---------------------------------------------------------------------------------------

async fn organizations_list_create_rename_delete(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@orgs.test").await;

    let list = srv.get("/api/v1/orgs", Some(&owner.token)).await;
    list.expect(StatusCode::OK, None);
    assert_eq!(items(&list).len(), 1, "{}", list.body);
    assert_eq!(list.body["items"][0]["id"], owner.org_id.as_str());
    assert_eq!(list.body["items"][0]["name"], "Org of owner@orgs.test");
    assert_eq!(list.body["items"][0]["role"], "owner");
    assert!(list.body["next_cursor"].is_null());

    // Create another: 201, the caller is its owner.
    let second = srv.post("/api/v1/orgs", Some(&owner.token), json!({ "name": "  Second Shop  " })).await;
    second.expect(StatusCode::CREATED, None);
    assert_eq!(second.body["name"], "Second Shop");
    assert_eq!(second.body["role"], "owner");
    let second_id = second.body["id"].as_str().unwrap().to_string();
    assert_ne!(second_id, owner.org_id);

    let list = srv.get("/api/v1/orgs", Some(&owner.token)).await;
    list.expect(StatusCode::OK, None);
    let ids: Vec<&str> = items(&list).iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![second_id.as_str(), owner.org_id.as_str()], "newest first");
    assert!(items(&list).iter().all(|o| o["role"] == "owner"));

    // Empty names are refused.
    for bad in ["", "   "] {
        let r = srv.post("/api/v1/orgs", Some(&owner.token), json!({ "name": bad })).await;
        expect_validation(&r, "name");
    }
    let r = srv.post("/api/v1/orgs", Some(&owner.token), json!({})).await;
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    let r = srv.post("/api/v1/orgs", None, json!({ "name": "Anon" })).await;
    r.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));

    // GET one.
    let one = srv.get(&org(&second_id, ""), Some(&owner.token)).await;
    one.expect(StatusCode::OK, None);
    assert_eq!(one.body["id"], second_id.as_str());
    assert_eq!(one.body["name"], "Second Shop");
    assert_eq!(one.body["role"], "owner");

    // Every role sees the org with its own role.
    let admin = srv.add_member(&owner, "admin@orgs.test", "admin").await;
    let manager = srv.add_member(&owner, "manager@orgs.test", "manager").await;
    let editor = srv.add_member(&owner, "editor@orgs.test", "editor").await;
    let viewer = srv.add_member(&owner, "viewer@orgs.test", "viewer").await;
    for (acc, role) in [(&admin, "admin"), (&manager, "manager"), (&editor, "editor"), (&viewer, "viewer")] {
        let r = srv.get(&org(&owner.org_id, ""), Some(&acc.token)).await;
        r.expect(StatusCode::OK, None);
        assert_eq!(r.body["role"], role);
        let mine = srv.get("/api/v1/orgs", Some(&acc.token)).await;
        mine.expect(StatusCode::OK, None);
        let found = items(&mine).iter().find(|o| o["id"] == owner.org_id.as_str()).expect("member sees the org in their list");
        assert_eq!(found["role"], role);
        assert_eq!(items(&mine).len(), 2, "their own org and the one they joined");
    }

    // Rename: owner and admin may, the others may not.
    let r = srv.patch(&org(&owner.org_id, ""), Some(&owner.token), json!({ "name": "Renamed by owner" })).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["name"], "Renamed by owner");
    assert_eq!(r.body["role"], "owner");
    let r = srv.patch(&org(&owner.org_id, ""), Some(&admin.token), json!({ "name": "Renamed by admin" })).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["name"], "Renamed by admin");
    assert_eq!(r.body["role"], "admin");
    for acc in [&manager, &editor, &viewer] {
        let r = srv.patch(&org(&owner.org_id, ""), Some(&acc.token), json!({ "name": "Hijacked" })).await;
        r.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    }
    let r = srv.patch(&org(&owner.org_id, ""), Some(&owner.token), json!({ "name": " " })).await;
    expect_validation(&r, "name");
    let r = srv.get(&org(&owner.org_id, ""), Some(&viewer.token)).await;
    assert_eq!(r.body["name"], "Renamed by admin", "refused renames changed nothing");

    // Delete: owner only.
    for acc in [&admin, &manager, &editor, &viewer] {
        let r = srv.delete(&org(&owner.org_id, ""), Some(&acc.token)).await;
        r.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    }
    srv.get(&org(&owner.org_id, ""), Some(&owner.token)).await.expect(StatusCode::OK, None);
    srv.delete(&org(&owner.org_id, ""), Some(&owner.token)).await.expect(StatusCode::NO_CONTENT, None);
    for acc in [&owner, &admin, &viewer] {
        srv.get(&org(&owner.org_id, ""), Some(&acc.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
        srv.get(&org(&owner.org_id, "/clients"), Some(&acc.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
        srv.get(&org(&owner.org_id, "/members"), Some(&acc.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    }
    let list = srv.get("/api/v1/orgs", Some(&owner.token)).await;
    let ids: Vec<&str> = items(&list).iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![second_id.as_str()], "the deleted org is gone from the list");
    let list = srv.get("/api/v1/orgs", Some(&admin.token)).await;
    assert_eq!(items(&list).len(), 1, "members lose it too: {}", list.body);
    assert_ne!(list.body["items"][0]["id"], owner.org_id.as_str());
    assert_eq!(list.body["items"][0]["role"], "owner", "only the admin's own org is left");
    srv.delete(&org(&owner.org_id, ""), Some(&owner.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));

    srv.stop().await;
}

on_both_backends!(organizations_list_create_rename_delete);
