//! Multi-tenancy over HTTP: organizations, members and roles, leaving, and concurrent owner
//! changes.

use crate::common::tenancy::*;
use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeMap;

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
// 2. Members and roles.
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
        let owners = sellcast_store::orgs::count_owners(c.conn(), &one.org_id).await.unwrap();
        let members = sellcast_store::orgs::count_members(c.conn(), &one.org_id).await.unwrap();
        assert_eq!(owners, 1, "round {round}: the org must keep exactly one owner");
        assert_eq!(members, if demoting { 2 } else { 1 }, "round {round}");
    }
    srv.stop().await;
}

on_both_backends!(
    organizations_list_create_rename_delete,
    members_roles_owners_and_leaving,
    concurrent_owner_changes_keep_an_owner,
);
