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
async fn send_ua(
    srv: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Response {
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
        let found =
            items(&mine).iter().find(|o| o["id"] == owner.org_id.as_str()).expect("member sees the org in their list");
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
    create_client(&srv, &owner, "Goes with the org").await;
    let pending = invite(&srv, &owner, "too-late@orgs.test", "viewer").await;
    pending.expect(StatusCode::CREATED, None);
    let pending_token = pending.body["token"].as_str().unwrap().to_string();
    srv.delete(&org(&owner.org_id, ""), Some(&owner.token)).await.expect(StatusCode::NO_CONTENT, None);
    // Its pending invites die with it.
    srv.get(&format!("/api/v1/invites/{pending_token}"), None).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    let late = srv.register("too-late@orgs.test").await;
    let r = srv.post("/api/v1/invites/accept", Some(&late.token), json!({ "token": pending_token })).await;
    expect_validation(&r, "invite_token");
    for acc in [&owner, &admin, &viewer] {
        srv.get(&org(&owner.org_id, ""), Some(&acc.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
        srv.get(&org(&owner.org_id, "/clients"), Some(&acc.token))
            .await
            .expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
        srv.get(&org(&owner.org_id, "/members"), Some(&acc.token))
            .await
            .expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
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

// ---------------------------------------------------------------------------------------
// 2. Cross-tenant access is a 404 that reveals nothing.
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

// ---------------------------------------------------------------------------------------
// 3. Members and roles.
// ---------------------------------------------------------------------------------------

async fn members_roles_owners_and_leaving(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@team.test").await;
    let admin = srv.add_member(&owner, "admin@team.test", "admin").await;
    let manager = srv.add_member(&owner, "manager@team.test", "manager").await;
    let editor = srv.add_member(&owner, "editor@team.test", "editor").await;
    let viewer = srv.add_member(&owner, "viewer@team.test", "viewer").await;
    let outsider = srv.register("outsider@elsewhere.test").await;
    let members_path = org(&owner.org_id, "/members");
    let member = |acc: &Account| org(&owner.org_id, &format!("/members/{}", acc.user_id));

    // Everyone, every role, visible to every member.
    let r = srv.get(&members_path, Some(&viewer.token)).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(items(&r).len(), 5);
    for m in items(&r) {
        assert!(m["user_id"].is_string() && m["name"] == "Test User" && m["joined_at"].is_string(), "{m}");
    }
    let expected: BTreeMap<String, String> = [
        ("owner@team.test", "owner"),
        ("admin@team.test", "admin"),
        ("manager@team.test", "manager"),
        ("editor@team.test", "editor"),
        ("viewer@team.test", "viewer"),
    ]
    .into_iter()
    .map(|(e, r)| (e.to_string(), r.to_string()))
    .collect();
    assert_eq!(member_roles(&srv, &owner).await, expected);
    let by_id: BTreeMap<String, String> = items(&r)
        .iter()
        .map(|m| (m["user_id"].as_str().unwrap().to_string(), m["email"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(by_id.get(&admin.user_id).map(String::as_str), Some("admin@team.test"));
    // Members list pages too.
    let pages = all_pages(&srv, &format!("{members_path}?limit=2"), &owner.token).await;
    assert_eq!(pages.iter().map(|p| items(p).len()).collect::<Vec<_>>(), vec![2, 2, 1]);

    // Role changes are owner-only.
    for acc in [&admin, &manager, &editor, &viewer] {
        let r = srv.patch(&member(&viewer), Some(&acc.token), json!({ "role": "editor" })).await;
        r.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    }
    let r = srv.patch(&member(&admin), Some(&admin.token), json!({ "role": "owner" })).await;
    r.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    let r = srv.patch(&member(&viewer), Some(&owner.token), json!({ "role": "editor" })).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["user_id"], viewer.user_id.as_str());
    assert_eq!(r.body["email"], "viewer@team.test");
    assert_eq!(r.body["role"], "editor");
    assert_eq!(member_roles(&srv, &owner).await["viewer@team.test"], "editor");
    let r = srv.patch(&member(&viewer), Some(&owner.token), json!({ "role": "viewer" })).await;
    r.expect(StatusCode::OK, None);
    let r = srv.patch(&member(&viewer), Some(&owner.token), json!({ "role": "root" })).await;
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    let r = srv.patch(&member(&outsider), Some(&owner.token), json!({ "role": "viewer" })).await;
    r.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    let r = srv.patch(&org(&owner.org_id, "/members/not-an-id"), Some(&owner.token), json!({ "role": "viewer" })).await;
    r.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));

    // The last owner can be neither demoted, nor removed, nor leave.
    let r = srv.patch(&member(&owner), Some(&owner.token), json!({ "role": "admin" })).await;
    r.expect(StatusCode::CONFLICT, Some("CONFLICT"));
    let r = srv.delete(&member(&owner), Some(&owner.token)).await;
    r.expect(StatusCode::CONFLICT, Some("CONFLICT"));
    let r = srv.delete(&member(&owner), Some(&admin.token)).await;
    r.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    assert_eq!(member_roles(&srv, &owner).await["owner@team.test"], "owner");

    // An owner promotes another owner; then either can be demoted, but not the last one.
    let r = srv.patch(&member(&admin), Some(&owner.token), json!({ "role": "owner" })).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["role"], "owner");
    let co_owner = &admin; // now an owner
    let r = srv.patch(&member(&owner), Some(&co_owner.token), json!({ "role": "manager" })).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["role"], "manager");
    // The demoted owner lost team:manage on their very next request.
    let r = srv.patch(&member(&viewer), Some(&owner.token), json!({ "role": "editor" })).await;
    r.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    let r = srv.patch(&member(co_owner), Some(&co_owner.token), json!({ "role": "admin" })).await;
    r.expect(StatusCode::CONFLICT, Some("CONFLICT"));
    let r = srv.delete(&member(co_owner), Some(&co_owner.token)).await;
    r.expect(StatusCode::CONFLICT, Some("CONFLICT"));
    // Back to two owners; now one of them may leave.
    let r = srv.patch(&member(&owner), Some(&co_owner.token), json!({ "role": "owner" })).await;
    r.expect(StatusCode::OK, None);
    srv.delete(&member(co_owner), Some(&co_owner.token)).await.expect(StatusCode::NO_CONTENT, None);
    srv.get(&org(&owner.org_id, ""), Some(&co_owner.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    let r = srv.get("/api/v1/orgs", Some(&co_owner.token)).await;
    assert!(items(&r).iter().all(|o| o["id"] != owner.org_id.as_str()), "{}", r.body);
    // The remaining owner is the last one again.
    srv.delete(&member(&owner), Some(&owner.token)).await.expect(StatusCode::CONFLICT, Some("CONFLICT"));

    // A plain member can leave; the org is then a 404 to them.
    srv.delete(&member(&editor), Some(&editor.token)).await.expect(StatusCode::NO_CONTENT, None);
    for path in [org(&owner.org_id, ""), org(&owner.org_id, "/clients"), members_path.clone()] {
        srv.get(&path, Some(&editor.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    }
    srv.delete(&member(&editor), Some(&editor.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));

    // Removing someone else is owner-only.
    srv.delete(&member(&viewer), Some(&manager.token)).await.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    srv.delete(&member(&outsider), Some(&owner.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));

    // Removal takes effect on the removed member's next request.
    let r = srv.post(&org(&owner.org_id, "/clients"), Some(&manager.token), json!({ "name": "Before removal" })).await;
    r.expect(StatusCode::CREATED, None);
    srv.delete(&member(&manager), Some(&owner.token)).await.expect(StatusCode::NO_CONTENT, None);
    let r = srv.post(&org(&owner.org_id, "/clients"), Some(&manager.token), json!({ "name": "After removal" })).await;
    r.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.get(&org(&owner.org_id, "/clients"), Some(&manager.token))
        .await
        .expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.delete(&member(&manager), Some(&owner.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));

    // A demotion also takes effect on the very next request: admin → viewer.
    let boss = srv.add_member(&owner, "boss@team.test", "admin").await;
    let r = srv.post(&org(&owner.org_id, "/clients"), Some(&boss.token), json!({ "name": "Admin made" })).await;
    r.expect(StatusCode::CREATED, None);
    srv.get(&org(&owner.org_id, "/audit-log"), Some(&boss.token)).await.expect(StatusCode::OK, None);
    let r = srv.patch(&member(&boss), Some(&owner.token), json!({ "role": "viewer" })).await;
    r.expect(StatusCode::OK, None);
    let r = srv.post(&org(&owner.org_id, "/clients"), Some(&boss.token), json!({ "name": "Viewer made" })).await;
    r.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    srv.get(&org(&owner.org_id, "/audit-log"), Some(&boss.token))
        .await
        .expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    let r = srv.get(&org(&owner.org_id, "/clients"), Some(&boss.token)).await;
    r.expect(StatusCode::OK, None);
    let mut listed = names(&r);
    listed.sort();
    assert_eq!(listed, vec!["Admin made".to_string(), "Before removal".to_string()]);
    let r = srv.get(&org(&owner.org_id, ""), Some(&boss.token)).await;
    assert_eq!(r.body["role"], "viewer");

    let expected: BTreeMap<String, String> =
        [("owner@team.test", "owner"), ("viewer@team.test", "viewer"), ("boss@team.test", "viewer")]
            .into_iter()
            .map(|(e, r)| (e.to_string(), r.to_string()))
            .collect();
    assert_eq!(member_roles(&srv, &owner).await, expected);

    srv.stop().await;
}

/// Two owners demoting each other (or both leaving) at the same moment must not leave the
/// organization without an owner.
async fn concurrent_owner_changes_keep_an_owner(b: Backend) {
    let srv = TestServer::start_with(b, |c| c.rate_limit_ip_per_minute = 0).await;
    for round in 0..12 {
        let one = srv.register(&format!("one{round}@race.test")).await;
        let two = srv.add_member(&one, &format!("two{round}@race.test"), "owner").await;
        let p1 = org(&one.org_id, &format!("/members/{}", one.user_id));
        let p2 = org(&one.org_id, &format!("/members/{}", two.user_id));
        let (r1, r2) = if round % 2 == 0 {
            tokio::join!(
                srv.patch(&p2, Some(&one.token), json!({ "role": "admin" })),
                srv.patch(&p1, Some(&two.token), json!({ "role": "admin" }))
            )
        } else {
            tokio::join!(srv.delete(&p1, Some(&one.token)), srv.delete(&p2, Some(&two.token)))
        };
        // One wins; the other is refused: 409 (it would leave no owner) or, for a role
        // change that runs after the winner's, 403 (the caller is no longer an owner).
        let (won, lost) = if r1.status.is_success() { (&r1, &r2) } else { (&r2, &r1) };
        assert!(won.status.is_success(), "round {round}: {} / {}", r1.body, r2.body);
        let demoting = round % 2 == 0;
        let refused = lost.status == StatusCode::CONFLICT || (demoting && lost.status == StatusCode::FORBIDDEN);
        assert!(refused, "round {round}: both succeeded or odd refusal: {} / {}", r1.body, r2.body);
        let mut c = srv.app.db.read().await.unwrap();
        let owners = sellcast_app::store::orgs::count_owners(c.conn(), &one.org_id).await.unwrap();
        let members = sellcast_app::store::orgs::count_members(c.conn(), &one.org_id).await.unwrap();
        assert_eq!(owners, 1, "round {round}: the org must keep exactly one owner");
        assert_eq!(members, if demoting { 2 } else { 1 }, "round {round}");
    }
    srv.stop().await;
}

// ---------------------------------------------------------------------------------------
// 4. Invites.
// ---------------------------------------------------------------------------------------

async fn invites_permissions_lifecycle_and_mail(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@inv.test").await;
    let admin = srv.add_member(&owner, "admin@inv.test", "admin").await;
    let manager = srv.add_member(&owner, "manager@inv.test", "manager").await;
    let editor = srv.add_member(&owner, "editor@inv.test", "editor").await;
    let viewer = srv.add_member(&owner, "viewer@inv.test", "viewer").await;
    let invites_path = org(&owner.org_id, "/invites");

    // Who may invite whom.
    let r = invite(&srv, &owner, "  New.Owner@INV.test ", "owner").await;
    r.expect(StatusCode::CREATED, None);
    assert_eq!(r.body["email"], "new.owner@inv.test");
    assert_eq!(r.body["role"], "owner");
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["org_id"], owner.org_id.as_str());
    assert_eq!(r.body["invited_by"], owner.user_id.as_str());
    assert!(r.body["accepted_at"].is_null());
    let owner_invite_id = r.body["id"].as_str().unwrap().to_string();
    let owner_invite_token = r.body["token"].as_str().expect("token in the create response").to_string();
    assert!(owner_invite_token.len() >= 20, "token looks random: {owner_invite_token}");
    let created = chrono::DateTime::parse_from_rfc3339(r.body["created_at"].as_str().unwrap()).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(r.body["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!((expires - created).num_days(), 7);

    let r = invite(&srv, &admin, "by-admin@inv.test", "admin").await;
    r.expect(StatusCode::CREATED, None);
    assert_eq!(r.body["role"], "admin");
    assert_eq!(r.body["invited_by"], admin.user_id.as_str());
    invite(&srv, &admin, "admin-owner@inv.test", "owner").await.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    let r = invite(&srv, &manager, "by-manager@inv.test", "editor").await;
    r.expect(StatusCode::CREATED, None);
    assert_eq!(r.body["role"], "editor");
    assert_eq!(r.body["status"], "pending");
    let editor_invite_token = r.body["token"].as_str().unwrap().to_string();
    let r = invite(&srv, &manager, "manager-manager@inv.test", "manager").await;
    r.expect(StatusCode::CREATED, None);
    invite(&srv, &manager, "manager-admin@inv.test", "admin").await.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    invite(&srv, &manager, "manager-owner@inv.test", "owner").await.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    for acc in [&editor, &viewer] {
        invite(&srv, acc, "nope@inv.test", "viewer").await.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
        srv.get(&invites_path, Some(&acc.token)).await.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    }

    // Bad input.
    for bad in ["not-an-email", "", "a@b", "two words@inv.test"] {
        let r = invite(&srv, &owner, bad, "viewer").await;
        expect_validation(&r, "email");
    }
    let r = invite(&srv, &owner, "ok@inv.test", "superuser").await;
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    // Already a member (in any letter case), and already invited.
    invite(&srv, &owner, "Viewer@Inv.test", "editor").await.expect(StatusCode::CONFLICT, Some("CONFLICT"));
    invite(&srv, &owner, "owner@inv.test", "viewer").await.expect(StatusCode::CONFLICT, Some("CONFLICT"));
    invite(&srv, &owner, "by-admin@inv.test", "viewer").await.expect(StatusCode::CONFLICT, Some("CONFLICT"));
    invite(&srv, &admin, "BY-MANAGER@inv.test", "editor").await.expect(StatusCode::CONFLICT, Some("CONFLICT"));

    // Pending list (no tokens in it), and `all=true` with the accepted ones.
    let r = srv.get(&invites_path, Some(&manager.token)).await;
    r.expect(StatusCode::OK, None);
    let mut pending: Vec<&str> = items(&r).iter().map(|i| i["email"].as_str().unwrap()).collect();
    pending.sort();
    assert_eq!(
        pending,
        vec!["by-admin@inv.test", "by-manager@inv.test", "manager-manager@inv.test", "new.owner@inv.test"]
    );
    assert!(items(&r).iter().all(|i| i["status"] == "pending" && i.get("token").is_none()), "{}", r.body);
    assert!(!r.body.to_string().contains(&owner_invite_token));
    let r = srv.get(&format!("{invites_path}?all=true"), Some(&owner.token)).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(items(&r).len(), 8, "{}", r.body);
    let accepted: Vec<&Value> = items(&r).iter().filter(|i| i["status"] == "accepted").collect();
    assert_eq!(accepted.len(), 4);
    assert!(accepted.iter().all(|i| i["accepted_at"].is_string()));

    // Preview without signing in.
    let r = srv.get(&format!("/api/v1/invites/{owner_invite_token}"), None).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["organization_id"], owner.org_id.as_str());
    assert_eq!(r.body["organization_name"], "Org of owner@inv.test");
    assert_eq!(r.body["email"], "new.owner@inv.test");
    assert_eq!(r.body["role"], "owner");
    assert!(r.body["expires_at"].is_string());
    srv.get("/api/v1/invites/no-such-token", None).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));

    // The invite email is in the outbox, to the invitee, carrying the token.
    let mails = {
        let mut c = srv.app.db.read().await.unwrap();
        sellcast_app::store::outbox::recent(c.conn(), 50).await.unwrap()
    };
    let mail = mails.iter().find(|m| m.to_address == "new.owner@inv.test").expect("invite email queued");
    assert!(mail.body_text.contains(&owner_invite_token), "{}", mail.body_text);
    assert!(mail.subject.contains("Org of owner@inv.test"), "{}", mail.subject);
    let mail = mails.iter().find(|m| m.to_address == "by-manager@inv.test").expect("invite email queued");
    assert!(mail.body_text.contains(&editor_invite_token));
    assert!(!mail.body_text.contains(&owner_invite_token));

    // Revoke: 204, then 409; the token is then dead.
    srv.delete(&format!("{invites_path}/{owner_invite_id}"), Some(&editor.token))
        .await
        .expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    srv.delete(&format!("{invites_path}/{owner_invite_id}"), Some(&owner.token))
        .await
        .expect(StatusCode::NO_CONTENT, None);
    srv.delete(&format!("{invites_path}/{owner_invite_id}"), Some(&owner.token))
        .await
        .expect(StatusCode::CONFLICT, Some("CONFLICT"));
    let unknown = uuid::Uuid::now_v7().to_string();
    srv.delete(&format!("{invites_path}/{unknown}"), Some(&owner.token))
        .await
        .expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.delete(&format!("{invites_path}/not-an-id"), Some(&owner.token))
        .await
        .expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.get(&format!("/api/v1/invites/{owner_invite_token}"), None)
        .await
        .expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    let latecomer = srv.register("new.owner@inv.test").await;
    let r = srv.post("/api/v1/invites/accept", Some(&latecomer.token), json!({ "token": owner_invite_token })).await;
    expect_validation(&r, "invite_token");
    srv.get(&org(&owner.org_id, ""), Some(&latecomer.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    let r = srv.get(&invites_path, Some(&owner.token)).await;
    assert!(items(&r).iter().all(|i| i["id"] != owner_invite_id.as_str()), "revoked is not pending: {}", r.body);
    let r = srv.get(&format!("{invites_path}?all=true"), Some(&owner.token)).await;
    let revoked = items(&r).iter().find(|i| i["id"] == owner_invite_id.as_str()).expect("revoked listed with all=true");
    assert_eq!(revoked["status"], "revoked");
    // A revoked invite frees the address for a new one.
    invite(&srv, &owner, "new.owner@inv.test", "viewer").await.expect(StatusCode::CREATED, None);

    // Accept: joins with the invited role; twice is a conflict; the token is then spent.
    let joiner = srv.register("joiner@inv.test").await; // holds the by-manager invite's token
    let r = srv.post("/api/v1/invites/accept", Some(&joiner.token), json!({ "token": editor_invite_token })).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["id"], owner.org_id.as_str());
    assert_eq!(r.body["role"], "editor");
    assert_eq!(r.body["name"], "Org of owner@inv.test");
    let r = srv.get(&org(&owner.org_id, ""), Some(&joiner.token)).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["role"], "editor");
    assert_eq!(member_roles(&srv, &owner).await.get("joiner@inv.test").map(String::as_str), Some("editor"));
    let r = srv.post("/api/v1/invites/accept", Some(&joiner.token), json!({ "token": editor_invite_token })).await;
    r.expect(StatusCode::CONFLICT, Some("CONFLICT"));
    srv.get(&format!("/api/v1/invites/{editor_invite_token}"), None)
        .await
        .expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    let r = srv.post("/api/v1/invites/accept", Some(&latecomer.token), json!({ "token": editor_invite_token })).await;
    expect_validation(&r, "invite_token");
    srv.post("/api/v1/invites/accept", None, json!({ "token": editor_invite_token }))
        .await
        .expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    let r = srv.get(&format!("{invites_path}?all=true"), Some(&owner.token)).await;
    let spent = items(&r).iter().find(|i| i["email"] == "by-manager@inv.test").unwrap();
    assert_eq!(spent["status"], "accepted");
    let r = srv.get(&invites_path, Some(&owner.token)).await;
    assert!(items(&r).iter().all(|i| i["email"] != "by-manager@inv.test"));
    // An accepted invite cannot be revoked.
    let spent_id = spent["id"].as_str().unwrap().to_string();
    srv.delete(&format!("{invites_path}/{spent_id}"), Some(&owner.token))
        .await
        .expect(StatusCode::CONFLICT, Some("CONFLICT"));

    // Registering with an invite joins the inviting org instead of creating one.
    let r = invite(&srv, &admin, "newbie@inv.test", "manager").await;
    r.expect(StatusCode::CREATED, None);
    let newbie_token = r.body["token"].as_str().unwrap().to_string();
    let reg = srv
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "newbie@inv.test", "password": PASSWORD, "name": "Newbie", "invite_token": newbie_token }),
        )
        .await;
    reg.expect(StatusCode::CREATED, None);
    assert_eq!(reg.body["organization"]["id"], owner.org_id.as_str());
    assert_eq!(reg.body["organization"]["role"], "manager");
    let newbie_access = reg.body["access_token"].as_str().unwrap().to_string();
    let r = srv.get("/api/v1/orgs", Some(&newbie_access)).await;
    assert_eq!(items(&r).len(), 1, "no organization of their own: {}", r.body);
    assert_eq!(r.body["items"][0]["id"], owner.org_id.as_str());
    assert_eq!(r.body["items"][0]["role"], "manager");
    srv.get(&format!("/api/v1/invites/{newbie_token}"), None).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    // A bad invite token at registration is a validation error, and creates nobody.
    let reg = srv
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "ghost@inv.test", "password": PASSWORD, "name": "Ghost", "invite_token": "bogus" }),
        )
        .await;
    expect_validation(&reg, "invite_token");
    srv.register("ghost@inv.test").await;

    srv.stop().await;
}

async fn expired_invites_cannot_be_used(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@expiry.test").await;
    let r = invite(&srv, &owner, "late@expiry.test", "viewer").await;
    r.expect(StatusCode::CREATED, None);
    let token = r.body["token"].as_str().unwrap().to_string();
    srv.get(&format!("/api/v1/invites/{token}"), None).await.expect(StatusCode::OK, None);

    srv.app.clock.advance(chrono::Duration::days(8));

    srv.get(&format!("/api/v1/invites/{token}"), None).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    let late = srv.register("late@expiry.test").await;
    let r = srv.post("/api/v1/invites/accept", Some(&late.token), json!({ "token": token })).await;
    expect_validation(&r, "invite_token");
    srv.get(&org(&owner.org_id, ""), Some(&late.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    let reg = srv
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "later@expiry.test", "password": PASSWORD, "name": "Later", "invite_token": token }),
        )
        .await;
    expect_validation(&reg, "invite_token");

    // Listed as expired by the same clock that refuses it.
    let owner_token = login(&srv, "owner@expiry.test").await;
    let fresh_owner = Account { token: owner_token, ..owner.clone() };
    let invites_path = org(&owner.org_id, "/invites");
    for path in [invites_path.clone(), format!("{invites_path}?all=true")] {
        let r = srv.get(&path, Some(&fresh_owner.token)).await;
        r.expect(StatusCode::OK, None);
        assert_eq!(items(&r).len(), 1, "{}", r.body);
        assert_eq!(r.body["items"][0]["status"], "expired", "{}", r.body);
    }

    // The expired invite gives way to a new one, which works.
    let r = invite(&srv, &fresh_owner, "late@expiry.test", "editor").await;
    r.expect(StatusCode::CREATED, None);
    let new_token = r.body["token"].as_str().unwrap().to_string();
    let r = srv.post("/api/v1/invites/accept", Some(&late.token), json!({ "token": new_token })).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["role"], "editor");
    let r = srv.get(&format!("{invites_path}?all=true"), Some(&fresh_owner.token)).await;
    let mut statuses: Vec<&str> = items(&r).iter().map(|i| i["status"].as_str().unwrap()).collect();
    statuses.sort();
    assert_eq!(statuses, vec!["accepted", "revoked"], "{}", r.body);
    // The old token stays dead.
    let other = srv.register("other@expiry.test").await;
    let r = srv.post("/api/v1/invites/accept", Some(&other.token), json!({ "token": token })).await;
    expect_validation(&r, "invite_token");

    srv.stop().await;
}

// ---------------------------------------------------------------------------------------
// 5. Clients.
// ---------------------------------------------------------------------------------------

async fn clients_crud_permissions_and_validation(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@clients.test").await;
    let admin = srv.add_member(&owner, "admin@clients.test", "admin").await;
    let manager = srv.add_member(&owner, "manager@clients.test", "manager").await;
    let editor = srv.add_member(&owner, "editor@clients.test", "editor").await;
    let viewer = srv.add_member(&owner, "viewer@clients.test", "viewer").await;
    let clients = org(&owner.org_id, "/clients");

    // Create: owner, admin, manager.
    let r = srv
        .post(
            &clients,
            Some(&owner.token),
            json!({
                "name": "  Acme  ", "email": " Hello@Acme.TEST ", "phone": "+33 6 12 34 56 78",
                "website": "https://acme.test", "notes": "VIP\nsince 2020"
            }),
        )
        .await;
    r.expect(StatusCode::CREATED, None);
    assert_eq!(r.body["name"], "Acme");
    assert_eq!(r.body["email"], "hello@acme.test");
    assert_eq!(r.body["phone"], "+33 6 12 34 56 78");
    assert_eq!(r.body["website"], "https://acme.test");
    assert_eq!(r.body["notes"], "VIP\nsince 2020");
    assert_eq!(r.body["archived"], false);
    assert_eq!(r.body["org_id"], owner.org_id.as_str());
    let acme_id = r.body["id"].as_str().unwrap().to_string();
    let acme = format!("{clients}/{acme_id}");
    let globex = create_client(&srv, &admin, "Globex Corp").await;
    let initech = create_client(&srv, &manager, "Initech").await;
    assert!(globex["email"].is_null() && globex["notes"] == "" && globex["archived"] == false);
    for acc in [&editor, &viewer] {
        let r = srv.post(&clients, Some(&acc.token), json!({ "name": "Not allowed" })).await;
        r.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    }

    // Everyone reads.
    for acc in [&owner, &admin, &manager, &editor, &viewer] {
        let r = srv.get(&clients, Some(&acc.token)).await;
        r.expect(StatusCode::OK, None);
        assert_eq!(names(&r), vec!["Initech", "Globex Corp", "Acme"], "newest first");
        assert!(r.body["next_cursor"].is_null());
        let r = srv.get(&acme, Some(&acc.token)).await;
        r.expect(StatusCode::OK, None);
        assert_eq!(r.body["id"], acme_id.as_str());
        assert_eq!(r.body["email"], "hello@acme.test");
    }

    // Validation names the field.
    expect_validation(&srv.post(&clients, Some(&owner.token), json!({})).await, "name");
    expect_validation(&srv.post(&clients, Some(&owner.token), json!({ "name": "   " })).await, "name");
    expect_validation(&srv.post(&clients, Some(&owner.token), json!({ "name": "X", "email": "nope" })).await, "email");
    expect_validation(
        &srv.post(&clients, Some(&owner.token), json!({ "name": "X", "website": "ftp://x.test" })).await,
        "website",
    );
    expect_validation(
        &srv.post(&clients, Some(&owner.token), json!({ "name": "X", "website": "acme.test" })).await,
        "website",
    );
    expect_validation(
        &srv.post(&clients, Some(&owner.token), json!({ "name": "X", "phone": "call me" })).await,
        "phone",
    );
    let long = "n".repeat(10_001);
    expect_validation(&srv.post(&clients, Some(&owner.token), json!({ "name": "X", "notes": long })).await, "notes");
    expect_validation(&srv.post(&clients, Some(&owner.token), json!({ "name": "X".repeat(201) })).await, "name");
    let r = srv.post(&clients, Some(&owner.token), json!({ "email": "bad", "website": "bad" })).await;
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    let mut fields = error_fields(&r);
    fields.sort();
    assert_eq!(fields, vec!["email", "name", "website"], "all problems at once: {}", r.body);
    let r = srv.post(&clients, Some(&owner.token), json!({ "name": "X", "colour": "red" })).await;
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    let r = srv.post(&clients, Some(&owner.token), json!({ "name": 42 })).await;
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    let r = srv.post(&clients, Some(&owner.token), json!({ "name": "Notes Max", "notes": "n".repeat(10_000) })).await;
    r.expect(StatusCode::CREATED, None);
    let notes_max_id = r.body["id"].as_str().unwrap().to_string();
    let r = srv.get(&clients, Some(&owner.token)).await;
    assert_eq!(items(&r).len(), 4, "refused creates stored nothing: {}", names(&r).join(", "));

    // Names are unique per org, case-insensitively; another org may reuse them.
    srv.post(&clients, Some(&owner.token), json!({ "name": "ACME" }))
        .await
        .expect(StatusCode::CONFLICT, Some("CONFLICT"));
    srv.post(&clients, Some(&manager.token), json!({ "name": " acme " }))
        .await
        .expect(StatusCode::CONFLICT, Some("CONFLICT"));
    let other = srv.register("other@clients.test").await;
    let theirs = create_client(&srv, &other, "Acme").await;
    assert_ne!(theirs["id"], acme_id.as_str());
    let r = srv.get(&org(&other.org_id, "/clients"), Some(&other.token)).await;
    assert_eq!(names(&r), vec!["Acme"]);

    // PATCH: given fields change, null clears, absent fields stay.
    let r = srv.patch(&acme, Some(&manager.token), json!({ "email": null, "notes": "updated" })).await;
    r.expect(StatusCode::OK, None);
    assert!(r.body["email"].is_null(), "{}", r.body);
    assert_eq!(r.body["notes"], "updated");
    assert_eq!(r.body["name"], "Acme");
    assert_eq!(r.body["phone"], "+33 6 12 34 56 78");
    assert_eq!(r.body["website"], "https://acme.test");
    assert_eq!(r.body["archived"], false);
    let r = srv.get(&acme, Some(&viewer.token)).await;
    assert!(r.body["email"].is_null());
    assert_eq!(r.body["notes"], "updated");
    assert_eq!(r.body["phone"], "+33 6 12 34 56 78");
    let r = srv
        .patch(&acme, Some(&admin.token), json!({ "name": "Acme Inc", "email": "Sales@Acme.test", "website": null }))
        .await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["name"], "Acme Inc");
    assert_eq!(r.body["email"], "sales@acme.test");
    assert!(r.body["website"].is_null());
    assert_eq!(r.body["phone"], "+33 6 12 34 56 78");
    assert_eq!(r.body["notes"], "updated");
    let r = srv.patch(&acme, Some(&owner.token), json!({})).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["name"], "Acme Inc");
    // A case-only rename of itself is fine; taking another client's name is not.
    srv.patch(&acme, Some(&owner.token), json!({ "name": "ACME INC" })).await.expect(StatusCode::OK, None);
    srv.patch(&acme, Some(&owner.token), json!({ "name": "globex corp" }))
        .await
        .expect(StatusCode::CONFLICT, Some("CONFLICT"));
    expect_validation(&srv.patch(&acme, Some(&owner.token), json!({ "website": "nope" })).await, "website");
    expect_validation(&srv.patch(&acme, Some(&owner.token), json!({ "name": "" })).await, "name");
    expect_validation(&srv.patch(&acme, Some(&owner.token), json!({ "notes": "n".repeat(10_001) })).await, "notes");
    for acc in [&editor, &viewer] {
        srv.patch(&acme, Some(&acc.token), json!({ "notes": "x" }))
            .await
            .expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
        srv.delete(&acme, Some(&acc.token)).await.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    }
    let r = srv.get(&acme, Some(&owner.token)).await;
    assert_eq!(r.body["name"], "ACME INC");
    assert_eq!(r.body["notes"], "updated");
    assert!(r.body["website"].is_null());

    // Filters: archived and name search.
    let initech_id = initech["id"].as_str().unwrap();
    let r = srv.patch(&format!("{clients}/{initech_id}"), Some(&owner.token), json!({ "archived": true })).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["archived"], true);
    assert_eq!(names(&srv.get(&format!("{clients}?archived=true"), Some(&viewer.token)).await), vec!["Initech"]);
    assert_eq!(
        names(&srv.get(&format!("{clients}?archived=false"), Some(&viewer.token)).await),
        vec!["Notes Max", "Globex Corp", "ACME INC"]
    );
    assert_eq!(items(&srv.get(&clients, Some(&viewer.token)).await).len(), 4);
    assert_eq!(names(&srv.get(&format!("{clients}?q=cme"), Some(&viewer.token)).await), vec!["ACME INC"]);
    assert_eq!(names(&srv.get(&format!("{clients}?q=CORP"), Some(&viewer.token)).await), vec!["Globex Corp"]);
    assert_eq!(names(&srv.get(&format!("{clients}?q=ni&archived=true"), Some(&viewer.token)).await), vec!["Initech"]);
    assert!(names(&srv.get(&format!("{clients}?q=ni&archived=false"), Some(&viewer.token)).await).is_empty());
    assert!(names(&srv.get(&format!("{clients}?q=%25"), Some(&viewer.token)).await).is_empty(), "% is literal");
    assert!(names(&srv.get(&format!("{clients}?q=_"), Some(&viewer.token)).await).is_empty(), "_ is literal");
    assert!(names(&srv.get(&format!("{clients}?q=zzz"), Some(&viewer.token)).await).is_empty());
    srv.get(&format!("{clients}?archived=maybe"), Some(&viewer.token))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));

    // Delete.
    srv.delete(&acme, Some(&manager.token)).await.expect(StatusCode::NO_CONTENT, None);
    srv.get(&acme, Some(&owner.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.delete(&acme, Some(&owner.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.patch(&acme, Some(&owner.token), json!({ "notes": "ghost" }))
        .await
        .expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.get(&format!("{clients}/not-an-id"), Some(&owner.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    let r = srv.get(&clients, Some(&owner.token)).await;
    assert_eq!(names(&r), vec!["Notes Max", "Initech", "Globex Corp"]);
    // The freed name can be used again; the other org's Acme was never touched.
    create_client(&srv, &owner, "Acme").await;
    srv.get(&format!("{}/{}", org(&other.org_id, "/clients"), theirs["id"].as_str().unwrap()), Some(&other.token))
        .await
        .expect(StatusCode::OK, None);
    srv.delete(&format!("{clients}/{notes_max_id}"), Some(&admin.token)).await.expect(StatusCode::NO_CONTENT, None);

    srv.stop().await;
}

// ---------------------------------------------------------------------------------------
// 6. Cursor pagination.
// ---------------------------------------------------------------------------------------

async fn cursor_pagination(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@pages.test").await;
    let clients = org(&owner.org_id, "/clients");
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(create_client(&srv, &owner, &format!("Client {i}")).await["id"].as_str().unwrap().to_string());
    }

    let first = srv.get(&format!("{clients}?limit=3"), Some(&owner.token)).await;
    first.expect(StatusCode::OK, None);
    assert_eq!(names(&first), vec!["Client 6", "Client 5", "Client 4"]);
    assert!(first.body["next_cursor"].is_string(), "{}", first.body);

    let pages = all_pages(&srv, &format!("{clients}?limit=3"), &owner.token).await;
    assert_eq!(pages.iter().map(|p| items(p).len()).collect::<Vec<_>>(), vec![3, 3, 1]);
    assert!(pages.last().unwrap().body["next_cursor"].is_null());
    let seen: Vec<String> =
        pages.iter().flat_map(|p| items(p).iter().map(|c| c["id"].as_str().unwrap().to_string())).collect();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), 7);
    assert_eq!(unique.len(), 7, "no item twice");
    let mut expected = created.clone();
    expected.reverse();
    assert_eq!(seen, expected, "every client exactly once, newest first");

    // A page size that divides the total ends without an empty extra page.
    let pages = all_pages(&srv, &format!("{clients}?limit=7"), &owner.token).await;
    assert_eq!(pages.len(), 1);
    assert_eq!(items(&pages[0]).len(), 7);
    let pages = all_pages(&srv, &format!("{clients}?limit=200"), &owner.token).await;
    assert_eq!(items(&pages[0]).len(), 7);
    let pages = all_pages(&srv, &format!("{clients}?limit=1"), &owner.token).await;
    assert_eq!(pages.len(), 7);
    // Filters combine with cursors.
    let pages = all_pages(&srv, &format!("{clients}?limit=2&q=client"), &owner.token).await;
    assert_eq!(pages.iter().map(|p| items(p).len()).sum::<usize>(), 7);

    for bad in ["0", "201", "-1", "abc"] {
        let r = srv.get(&format!("{clients}?limit={bad}"), Some(&owner.token)).await;
        r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    }
    expect_validation(&srv.get(&format!("{clients}?limit=0"), Some(&owner.token)).await, "limit");
    expect_validation(&srv.get(&format!("{clients}?limit=201"), Some(&owner.token)).await, "limit");
    for bad in ["garbage", "zz", "abc", "6e6f742d616e2d6964"] {
        expect_validation(&srv.get(&format!("{clients}?cursor={bad}"), Some(&owner.token)).await, "cursor");
    }
    // The same rules on the other lists.
    for path in ["/members", "/invites", "/audit-log"] {
        expect_validation(&srv.get(&org(&owner.org_id, &format!("{path}?limit=0")), Some(&owner.token)).await, "limit");
        expect_validation(
            &srv.get(&org(&owner.org_id, &format!("{path}?cursor=garbage")), Some(&owner.token)).await,
            "cursor",
        );
    }
    expect_validation(&srv.get("/api/v1/orgs?limit=201", Some(&owner.token)).await, "limit");

    srv.stop().await;
}

// ---------------------------------------------------------------------------------------
// 7. Audit log.
// ---------------------------------------------------------------------------------------

async fn audit_log_records_who_did_what(b: Backend) {
    let srv = TestServer::start(b).await;
    let reg = send_ua(
        &srv,
        Method::POST,
        "/api/v1/auth/register",
        None,
        Some(json!({ "email": "owner@audit.test", "password": PASSWORD, "name": "Owner", "organization_name": "Audited" })),
        &[],
    )
    .await;
    reg.expect(StatusCode::CREATED, None);
    let org_id = reg.body["organization"]["id"].as_str().unwrap().to_string();
    let owner_id = reg.body["user"]["id"].as_str().unwrap().to_string();
    let owner_token = reg.body["access_token"].as_str().unwrap().to_string();
    let log = org(&org_id, "/audit-log");

    // Invite + accept.
    let inv = send_ua(
        &srv,
        Method::POST,
        &org(&org_id, "/invites"),
        Some(&owner_token),
        Some(json!({ "email": "ed@audit.test", "role": "editor" })),
        &[],
    )
    .await;
    inv.expect(StatusCode::CREATED, None);
    let invite_id = inv.body["id"].as_str().unwrap().to_string();
    let invite_token = inv.body["token"].as_str().unwrap().to_string();
    let ed = send_ua(
        &srv,
        Method::POST,
        "/api/v1/auth/register",
        None,
        Some(json!({ "email": "ed@audit.test", "password": PASSWORD, "name": "Ed", "organization_name": "Ed's own" })),
        &[],
    )
    .await;
    ed.expect(StatusCode::CREATED, None);
    let ed_id = ed.body["user"]["id"].as_str().unwrap().to_string();
    let ed_token = ed.body["access_token"].as_str().unwrap().to_string();
    let ed_refresh = ed.body["refresh_token"].as_str().unwrap().to_string();
    send_ua(&srv, Method::POST, "/api/v1/invites/accept", Some(&ed_token), Some(json!({ "token": invite_token })), &[])
        .await
        .expect(StatusCode::OK, None);

    // Client create / update / delete, the create with a request id of our choosing.
    let c = send_ua(
        &srv,
        Method::POST,
        &org(&org_id, "/clients"),
        Some(&owner_token),
        Some(json!({ "name": "Audited Client" })),
        &[("x-request-id", "tenancy-audit-req-1")],
    )
    .await;
    c.expect(StatusCode::CREATED, None);
    assert_eq!(c.headers.get("x-request-id").and_then(|v| v.to_str().ok()), Some("tenancy-audit-req-1"));
    let client_id = c.body["id"].as_str().unwrap().to_string();
    let client = org(&org_id, &format!("/clients/{client_id}"));
    send_ua(
        &srv,
        Method::PATCH,
        &client,
        Some(&owner_token),
        Some(json!({ "notes": "key account", "website": "https://a.test" })),
        &[],
    )
    .await
    .expect(StatusCode::OK, None);
    send_ua(&srv, Method::DELETE, &client, Some(&owner_token), None, &[]).await.expect(StatusCode::NO_CONTENT, None);
    // Role change.
    send_ua(
        &srv,
        Method::PATCH,
        &org(&org_id, &format!("/members/{ed_id}")),
        Some(&owner_token),
        Some(json!({ "role": "viewer" })),
        &[],
    )
    .await
    .expect(StatusCode::OK, None);
    // Refused and failed requests leave no entry.
    send_ua(&srv, Method::POST, &org(&org_id, "/clients"), Some(&ed_token), Some(json!({ "name": "Refused" })), &[])
        .await
        .expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    send_ua(&srv, Method::POST, &org(&org_id, "/clients"), Some(&owner_token), Some(json!({ "name": "" })), &[])
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));

    let r = srv.get(&log, Some(&owner_token)).await;
    r.expect(StatusCode::OK, None);
    let entries = items(&r).clone();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        vec![
            "member.role_change",
            "client.delete",
            "client.update",
            "client.create",
            "invite.accept",
            "invite.create",
            "organization.create"
        ],
        "newest first, only this org's entries: {}",
        r.body
    );
    assert!(r.body["next_cursor"].is_null());
    let expect = [
        ("member.role_change", owner_id.as_str(), "member", ed_id.as_str()),
        ("client.delete", owner_id.as_str(), "client", client_id.as_str()),
        ("client.update", owner_id.as_str(), "client", client_id.as_str()),
        ("client.create", owner_id.as_str(), "client", client_id.as_str()),
        ("invite.accept", ed_id.as_str(), "member", ed_id.as_str()),
        ("invite.create", owner_id.as_str(), "invite", invite_id.as_str()),
        ("organization.create", owner_id.as_str(), "organization", org_id.as_str()),
    ];
    let mut request_ids = HashSet::new();
    for (e, (action, actor, entity_type, entity_id)) in entries.iter().zip(expect) {
        assert_eq!(e["action"], action);
        assert_eq!(e["actor_id"], actor, "{e}");
        assert_eq!(e["entity_type"], entity_type, "{e}");
        assert_eq!(e["entity_id"], entity_id, "{e}");
        assert_eq!(e["org_id"], org_id.as_str(), "{e}");
        assert_eq!(e["ip"], "127.0.0.1", "{e}");
        assert_eq!(e["user_agent"], UA, "{e}");
        let rid = e["request_id"].as_str().unwrap_or_else(|| panic!("request_id missing: {e}"));
        assert!(!rid.is_empty());
        assert!(request_ids.insert(rid.to_string()), "one request id per request: {e}");
        assert!(e["id"].is_string() && e["created_at"].is_string());
    }
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = entries
        .iter()
        .map(|e| chrono::DateTime::parse_from_rfc3339(e["created_at"].as_str().unwrap()).unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first by time too: {times:?}");
    let by_action = |a: &str| entries.iter().find(|e| e["action"] == a).unwrap().clone();
    assert_eq!(by_action("client.create")["request_id"], "tenancy-audit-req-1");
    assert_eq!(by_action("client.create")["changes"]["name"], "Audited Client");
    let upd = by_action("client.update");
    assert_eq!(upd["changes"]["notes"], json!({ "from": "", "to": "key account" }), "{upd}");
    assert_eq!(upd["changes"]["website"], json!({ "from": null, "to": "https://a.test" }), "{upd}");
    assert!(upd["changes"].get("name").is_none(), "unchanged fields are not listed: {upd}");
    assert_eq!(by_action("member.role_change")["changes"]["role"], json!({ "from": "editor", "to": "viewer" }));
    assert_eq!(by_action("invite.create")["changes"]["email"], "ed@audit.test");
    assert_eq!(by_action("invite.create")["changes"]["role"], "editor");
    assert_eq!(by_action("client.delete")["changes"]["name"], "Audited Client");

    // Filters.
    let only = |r: &Response| items(r).iter().map(|e| e["action"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let r = srv.get(&format!("{log}?action=client.create"), Some(&owner_token)).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(only(&r), vec!["client.create"]);
    let r = srv.get(&format!("{log}?entity_type=client"), Some(&owner_token)).await;
    assert_eq!(only(&r), vec!["client.delete", "client.update", "client.create"]);
    let r = srv.get(&format!("{log}?actor_id={ed_id}"), Some(&owner_token)).await;
    assert_eq!(only(&r), vec!["invite.accept"]);
    let r = srv.get(&format!("{log}?actor_id={owner_id}&entity_type=member"), Some(&owner_token)).await;
    assert_eq!(only(&r), vec!["member.role_change"]);
    let r = srv.get(&format!("{log}?entity_id={client_id}"), Some(&owner_token)).await;
    assert_eq!(only(&r).len(), 3);
    let r = srv.get(&format!("{log}?action=no.such.action"), Some(&owner_token)).await;
    r.expect(StatusCode::OK, None);
    assert!(items(&r).is_empty());

    // Pagination walks the same entries in the same order.
    let pages = all_pages(&srv, &format!("{log}?limit=2"), &owner_token).await;
    assert_eq!(pages.iter().map(|p| items(p).len()).collect::<Vec<_>>(), vec![2, 2, 2, 1]);
    let paged: Vec<Value> = pages.iter().flat_map(|p| items(p).iter().map(|e| e["id"].clone())).collect();
    let all: Vec<Value> = entries.iter().map(|e| e["id"].clone()).collect();
    assert_eq!(paged, all);
    let pages = all_pages(&srv, &format!("{log}?limit=1&entity_type=client"), &owner_token).await;
    assert_eq!(
        pages.iter().map(only).collect::<Vec<_>>(),
        vec![vec!["client.delete"], vec!["client.update"], vec!["client.create"]]
    );

    // Who may read it: owner and admin.
    let owner = Account {
        user_id: owner_id.clone(),
        org_id: org_id.clone(),
        email: "owner@audit.test".into(),
        password: PASSWORD.into(),
        token: owner_token.clone(),
        refresh: reg.body["refresh_token"].as_str().unwrap().to_string(),
    };
    let admin = srv.add_member(&owner, "admin@audit.test", "admin").await;
    let manager = srv.add_member(&owner, "manager@audit.test", "manager").await;
    let editor = srv.add_member(&owner, "editor@audit.test", "editor").await;
    let viewer = srv.add_member(&owner, "viewer@audit.test", "viewer").await;
    srv.get(&log, Some(&admin.token)).await.expect(StatusCode::OK, None);
    for acc in [&manager, &editor, &viewer] {
        srv.get(&log, Some(&acc.token)).await.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    }
    srv.get(&log, Some(&ed_token)).await.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    srv.get(&log, None).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));

    // An invite used at registration, and an org rename; then look for secrets everywhere.
    let inv = srv
        .post(&org(&org_id, "/invites"), Some(&owner_token), json!({ "email": "reg@audit.test", "role": "viewer" }))
        .await;
    inv.expect(StatusCode::CREATED, None);
    let reg_invite_token = inv.body["token"].as_str().unwrap().to_string();
    let joined = srv
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "reg@audit.test", "password": PASSWORD, "name": "Reg", "invite_token": reg_invite_token }),
        )
        .await;
    joined.expect(StatusCode::CREATED, None);
    assert_eq!(joined.body["organization"]["id"], org_id.as_str());
    let joined_id = joined.body["user"]["id"].as_str().unwrap().to_string();
    srv.patch(&org(&org_id, ""), Some(&admin.token), json!({ "name": "Audited 2" })).await.expect(StatusCode::OK, None);

    let pages = all_pages(&srv, &format!("{log}?limit=200"), &owner_token).await;
    let all = pages[0].body.to_string();
    let entries = items(&pages[0]).clone();
    assert_eq!(entries[0]["action"], "organization.update");
    assert_eq!(entries[0]["actor_id"], admin.user_id.as_str());
    assert_eq!(entries[0]["changes"]["name"], json!({ "from": "Audited", "to": "Audited 2" }));
    let accepts: Vec<&Value> = entries.iter().filter(|e| e["action"] == "invite.accept").collect();
    assert_eq!(accepts.len(), 6, "ed, four members, reg");
    assert!(accepts.iter().any(|e| e["actor_id"] == joined_id.as_str() && e["entity_id"] == joined_id.as_str()));
    for secret in [
        invite_token.as_str(),
        reg_invite_token.as_str(),
        PASSWORD,
        owner_token.as_str(),
        ed_token.as_str(),
        ed_refresh.as_str(),
        owner.refresh.as_str(),
    ] {
        assert!(!all.contains(secret), "the audit log contains a secret ({secret}): {all}");
    }
    assert!(!all.to_lowercase().contains("password"), "no password field at all: {all}");

    srv.stop().await;
}

on_both_backends!(
    organizations_list_create_rename_delete,
    cross_tenant_access_is_not_found,
    members_roles_owners_and_leaving,
    concurrent_owner_changes_keep_an_owner,
    invites_permissions_lifecycle_and_mail,
    expired_invites_cannot_be_used,
    clients_crud_permissions_and_validation,
    cursor_pagination,
    audit_log_records_who_did_what,
);
