//! Multi-tenancy over HTTP: invites — who may invite whom, their lifecycle, the mail, and
//! expiry.

use crate::common::tenancy::*;
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------
// Helpers (local to this file)
// ---------------------------------------------------------------------------------------

async fn login(srv: &TestServer, email: &str) -> String {
    let r = srv.post("/api/v1/auth/login", None, json!({ "email": email, "password": PASSWORD })).await;
    r.expect(StatusCode::OK, None);
    r.body["access_token"].as_str().expect("access token").to_string()
}

// ---------------------------------------------------------------------------------------
// Invites.
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
        sellcast_store::outbox::recent(c.conn(), 50).await.unwrap()
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
    // The inviter (and only the inviter) hears about it in-app.
    let kinds_of =
        |r: &Response| items(r).iter().map(|n| n["kind"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>();
    let r = srv.get(&org(&owner.org_id, "/notifications"), Some(&manager.token)).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(kinds_of(&r), vec!["invite.accepted"], "{}", r.body);
    assert_eq!(items(&r)[0]["link"], format!("/o/{}/settings/members", owner.org_id).as_str());
    let r = srv.get(&org(&owner.org_id, "/notifications"), Some(&owner.token)).await;
    let about_joiner = items(&r).iter().filter(|n| n["title"].as_str().unwrap_or("").contains("joiner@")).count();
    assert_eq!(about_joiner, 0, "the owner did not invite the joiner: {}", r.body);
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

on_both_backends!(invites_permissions_lifecycle_and_mail, expired_invites_cannot_be_used,);
