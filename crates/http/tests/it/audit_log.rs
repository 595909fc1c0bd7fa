//! Multi-tenancy over HTTP: the audit log records who did what, and leaks no secrets.

use crate::common::tenancy::*;
use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::HashSet;

const UA: &str = "tenancy-tests/1.0";

// ---------------------------------------------------------------------------------------
// Helpers (local to this file)
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

// ---------------------------------------------------------------------------------------
// Audit log.
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

on_both_backends!(audit_log_records_who_did_what,);
