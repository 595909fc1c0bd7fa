//! The web UI's workspace settings (members, invites, roles, clients, audit log, general) and
//! the instance admin's jobs page, driven like a browser over HTTP. Both backends.

use crate::common::web::Browser;
use crate::common::*;
use reqwest::StatusCode;
use sellcast_queue::job::JobError;
use sellcast_queue::ops::{self, Transition};
use sellcast_queue::{JobState, NewJob};
use serde_json::json;

/// The invite code mailed to `email` (newest first), read from the outbox.
async fn invite_token(srv: &TestServer, email: &str) -> String {
    let mut c = srv.app.db.read().await.expect("db");
    let mails = sellcast_store::outbox::recent(c.conn(), 50).await.expect("outbox");
    mails
        .into_iter()
        .filter(|m| m.to_address == email)
        .find_map(|m| {
            let marker = "Or use this invite code with the API: ";
            let start = m.body_text.find(marker)? + marker.len();
            m.body_text[start..].split_whitespace().next().map(String::from)
        })
        .expect("an invite mail")
}

async fn user_id(srv: &TestServer, email: &str) -> String {
    let mut c = srv.app.db.read().await.expect("db");
    sellcast_store::users::by_email(c.conn(), email).await.expect("query").expect("user").id
}

async fn role_of(srv: &TestServer, org: &str, user: &str) -> Option<String> {
    let mut c = srv.app.db.read().await.expect("db");
    sellcast_store::orgs::role_of(c.conn(), org, user).await.expect("query").map(|r| r.to_string())
}

async fn members_invites_roles_and_audit(b: Backend) {
    let srv = TestServer::start(b).await;
    let mut owner = Browser::new(&srv);
    let org = owner.sign_up("Olivia Owner", "owner@web-settings.test", "Shop").await;
    let members = format!("/o/{org}/settings/members");
    let invite_action = format!("/o/{org}/settings/invites");

    let page = owner.get(&members).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Olivia Owner") && page.body.contains("id=\"invite-form\""), "{}", page.body);

    // A wrong address: the message sits next to the email field.
    let r = owner.submit(&members, &invite_action, &[("email", "not-an-email"), ("role", "editor")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"f-email-error\""), "{}", r.body);

    // Invite; the invitation is listed as pending.
    let r = owner.submit(&members, &invite_action, &[("email", "ed@web-settings.test"), ("role", "viewer")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some(members.as_str()));
    let page = owner.get(&members).await;
    assert!(page.body.contains("Invitation sent to ed@web-settings.test"), "flash shown");
    let pending = &page.body[page.body.find("id=\"pending-invites\"").expect("pending invites table")..];
    assert!(pending.contains("ed@web-settings.test"), "{}", page.body);
    // Inviting the same address again is refused next to the field.
    let r = owner.submit(&members, &invite_action, &[("email", "ed@web-settings.test"), ("role", "viewer")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"f-email-error\""), "{}", r.body);

    // The invitee signs up in a second browser and accepts with the mailed link.
    let token = invite_token(&srv, "ed@web-settings.test").await;
    let mut ed = Browser::new(&srv);
    let ed_own_org = ed.sign_up("Ed Viewer", "ed@web-settings.test", "Ed's own").await;
    let accept = format!("/invites/accept?token={token}");
    let r = ed.submit(&accept, "/invites/accept", &[("token", token.as_str())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some(format!("/o/{org}").as_str()));
    let page = owner.get(&members).await;
    assert!(page.body.contains("Ed Viewer"), "the new member is listed: {}", page.body);
    assert!(!page.body.contains("id=\"pending-invites\""), "no invite pending any more");

    // A viewer sees the members but no invite form or role controls; posting directly is 403.
    let page = ed.get(&members).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Olivia Owner"));
    assert!(!page.body.contains("invite-form") && !page.body.contains("name=\"role\""), "{}", page.body);
    let r = ed.submit(&members, &invite_action, &[("email", "x@web-settings.test"), ("role", "viewer")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let ed_id = user_id(&srv, "ed@web-settings.test").await;
    let owner_id = user_id(&srv, "owner@web-settings.test").await;
    let r = ed.submit(&members, &format!("/o/{org}/settings/members/{owner_id}/role"), &[("role", "viewer")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(role_of(&srv, &org, &owner_id).await.as_deref(), Some("owner"));
    let r = ed.get(&format!("/o/{org}/settings/audit")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "viewers do not read the audit log");

    // The owner makes Ed an editor.
    let role_action = format!("/o/{org}/settings/members/{ed_id}/role");
    let r = owner.submit(&members, &role_action, &[("role", "editor")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(role_of(&srv, &org, &ed_id).await.as_deref(), Some("editor"));
    // Without the CSRF token: 403 and nothing changes.
    let r = owner.post_raw(&role_action, &[("role", "admin")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(role_of(&srv, &org, &ed_id).await.as_deref(), Some("editor"));
    let r = owner
        .post_raw(&invite_action, &[("_csrf", "forged"), ("email", "z@web-settings.test"), ("role", "viewer")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The last owner cannot step down: the page says why.
    let r = owner.submit(&members, &format!("/o/{org}/settings/members/{owner_id}/role"), &[("role", "admin")]).await;
    assert!(r.status == StatusCode::OK || r.status == StatusCode::FORBIDDEN, "{}", r.status);
    assert_eq!(role_of(&srv, &org, &owner_id).await.as_deref(), Some("owner"));

    // The audit log lists the invite and the role change; the filter narrows it.
    let audit = format!("/o/{org}/settings/audit");
    let page = owner.get(&audit).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("invite.create") && page.body.contains("member.role_change"), "{}", page.body);
    assert!(page.body.contains("Olivia Owner"), "the actor is named");
    let table = |body: &str| body[body.find("id=\"audit-table\"").expect("table")..].to_string();
    let page = owner.get(&format!("{audit}?action=invite.create")).await;
    let t = table(&page.body);
    assert!(t.contains("invite.create") && !t.contains("member.role_change"), "{t}");
    let page = owner.get(&format!("{audit}?actor={ed_id}")).await;
    let t = table(&page.body);
    assert!(t.contains("invite.accept") && !t.contains("invite.create"), "{t}");

    // Other workspaces do not exist for outsiders.
    assert_eq!(owner.get(&format!("/o/{ed_own_org}/settings/members")).await.status, StatusCode::NOT_FOUND);
    let r = owner
        .submit(
            &members,
            &format!("/o/{ed_own_org}/settings/invites"),
            &[("email", "q@web-settings.test"), ("role", "viewer")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Removing a member.
    let r = owner.submit(&members, &format!("/o/{org}/settings/members/{ed_id}/remove"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(role_of(&srv, &org, &ed_id).await, None);
    srv.stop().await;
}

async fn clients_and_general_settings(b: Backend) {
    let srv = TestServer::start(b).await;
    let mut owner = Browser::new(&srv);
    let org = owner.sign_up("Olivia Owner", "owner@web-clients.test", "Agency").await;
    let clients = format!("/o/{org}/settings/clients");

    let r = owner.submit(&clients, &clients, &[("name", "Bakery"), ("email", "nope"), ("website", "ftp://x")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"f-email-error\"") && r.body.contains("id=\"f-website-error\""), "{}", r.body);
    let r = owner
        .submit(&clients, &clients, &[("name", "Bakery"), ("email", "hello@bakery.test"), ("notes", "Fresh bread")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = owner.get(&clients).await;
    assert!(page.body.contains("Bakery") && page.body.contains("hello@bakery.test"), "{}", page.body);
    let marker = "data-client-id=\"";
    let start = page.body.find(marker).expect("a client row") + marker.len();
    let client_id = page.body[start..start + page.body[start..].find('"').unwrap()].to_string();

    // Edit: rename and archive; archived clients leave the default list.
    let edit = format!("{clients}/{client_id}");
    let r = owner.submit(&edit, &edit, &[("name", "Bakery & Co"), ("email", ""), ("archived", "on")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = owner.get(&edit).await;
    assert!(page.body.contains("Bakery &amp; Co"), "{}", page.body);
    assert!(!owner.get(&clients).await.body.contains("Bakery &amp; Co"));
    assert!(owner.get(&format!("{clients}?archived=1")).await.body.contains("Bakery &amp; Co"));
    let r = owner.submit(&edit, &format!("{edit}/delete"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(owner.get(&edit).await.status, StatusCode::NOT_FOUND);

    // General: rename, with the error next to the field; then delete the workspace.
    let general = format!("/o/{org}/settings");
    let r = owner.submit(&general, &format!("{general}/rename"), &[("name", "   ")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"f-name-error\""), "{}", r.body);
    let r = owner.submit(&general, &format!("{general}/rename"), &[("name", "Agency North")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(owner.get(&general).await.body.contains("Agency North"));
    let r = owner.post_raw(&format!("{general}/delete"), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF token, no deletion");
    assert_eq!(owner.get(&general).await.status, StatusCode::OK);
    let r = owner.submit(&general, &format!("{general}/delete"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(owner.get(&general).await.status, StatusCode::NOT_FOUND);
    srv.stop().await;
}

/// A job that failed for good, with an error history.
async fn dead_job(srv: &TestServer) -> i64 {
    let now = srv.app.clock.now();
    let mut tx = srv.app.db.begin().await.unwrap();
    let job = NewJob::raw("webtest.explode", json!({"n": 1})).queue("webtest").max_attempts(1);
    let id = ops::enqueue(tx.conn(), &job, now).await.unwrap().id;
    tx.commit().await.unwrap();
    let mut tx = srv.app.db.begin().await.unwrap();
    let claimed =
        ops::claim(tx.conn(), "webtest", 1, "web-test", now, now + chrono::Duration::minutes(5)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let errors = [JobError { attempt: 1, at: now, error: "the fake platform exploded".into() }];
    let t = Transition { state: JobState::Dead, run_at: now, attempt: 1, errors: &errors, finished_at: Some(now) };
    assert!(ops::transition(tx.conn(), id, "web-test", &t).await.unwrap());
    tx.commit().await.unwrap();
    id
}

async fn instance_admin_jobs_page(b: Backend) {
    let srv = TestServer::start(b).await;
    let mut admin = Browser::new(&srv);
    admin.sign_up("Root Admin", "root@web-jobs.test", "Ops").await; // the first account runs the instance
    let mut other = Browser::new(&srv);
    other.sign_up("Someone Else", "someone@web-jobs.test", "Elsewhere").await;
    let id = dead_job(&srv).await;

    assert_eq!(other.get("/admin/jobs").await.status, StatusCode::FORBIDDEN);
    assert_eq!(other.get(&format!("/admin/jobs/{id}")).await.status, StatusCode::FORBIDDEN);
    let home = other.get("/notifications").await;
    let r = other.post_raw(&format!("/admin/jobs/{id}/retry"), &[("_csrf", home.csrf().as_str())]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let page = admin.get("/admin/jobs").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&format!("data-job-id=\"{id}\"")), "dead jobs are listed by default: {}", page.body);
    assert!(page.body.contains("the fake platform exploded"));
    let page = admin.get("/admin/jobs?state=dead&kind=other.kind").await;
    assert!(!page.body.contains(&format!("data-job-id=\"{id}\"")), "the kind filter applies");
    let detail = format!("/admin/jobs/{id}");
    let page = admin.get(&detail).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Error history") && page.body.contains("Attempt 1"), "{}", page.body);
    assert_eq!(admin.get("/admin/jobs/999999").await.status, StatusCode::NOT_FOUND);

    // Retry without a token: refused; with it: the job is available again; then cancel it.
    assert_eq!(admin.post_raw(&format!("{detail}/retry"), &[]).await.status, StatusCode::FORBIDDEN);
    let r = admin.submit(&detail, &format!("{detail}/retry"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(job_state(&srv, id).await, "available");
    let r = admin.submit(&detail, &format!("{detail}/cancel"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = admin.get("/admin/jobs?state=cancelled").await;
    assert!(page.body.contains(&format!("data-job-id=\"{id}\"")), "{}", page.body);
    srv.stop().await;
}

async fn job_state(srv: &TestServer, id: i64) -> String {
    let mut c = srv.app.db.read().await.unwrap();
    ops::get(c.conn(), id).await.unwrap().expect("job").state.to_string()
}

on_both_backends!(members_invites_roles_and_audit);
on_both_backends!(clients_and_general_settings);
on_both_backends!(instance_admin_jobs_page);
