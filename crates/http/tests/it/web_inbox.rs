//! The inbox page over HTTP on both backends: the empty state that offers a test message, a
//! sandbox message processed by the worker and shown unread, opened (and so read), answered
//! once per idempotency key and delivered, refused replies that keep the text, status (a
//! snooze in the viewer's timezone), priority, unread and bulk actions; WhatsApp outside the
//! 24-hour window (the template form) and every kind of bubble; viewers, other workspaces, CSRF.

mod seed;

pub use seed::whatsapp_out_of_window;

use crate::common::web::{Browser, WebPage};
use crate::common::*;
use reqwest::StatusCode;
use sellcast_domain::ConversationStatus;
use sellcast_store::inbox::conversations;

on_both_backends!(receive_open_reply_and_organise, whatsapp_window_and_bubbles, viewers_other_workspaces_and_csrf);

/// The quoted value that follows `marker` in `body`.
fn value_after(body: &str, marker: &str) -> String {
    let start = body.find(marker).unwrap_or_else(|| panic!("{marker} not in {body}")) + marker.len();
    body[start..start + body[start..].find('"').expect("closing quote")].to_string()
}

/// The list rows' conversation ids, in order.
fn row_ids(body: &str) -> Vec<String> {
    let marker = "class=\"conv-row";
    body.match_indices(marker).map(|(i, _)| value_after(&body[i..], "data-conversation-id=\"")).collect()
}

/// Sign up and connect the sandbox; (org id, sandbox channel id).
async fn sandbox_workspace(b: &mut Browser<'_>, email: &str) -> (String, String) {
    let org = b.sign_up("Ann Seller", email, "Ann's Shop").await;
    let r = b.submit("/onboarding", &format!("/onboarding/{org}/sandbox"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.get(&format!("/o/{org}/inbox")).await;
    (org, value_after(&page.body, "name=\"channel_id\"><option value=\""))
}

/// Post the "receive a test message" form and wait (polling the list fragment) until the
/// worker has made the conversation; its id.
pub async fn receive(b: &mut Browser<'_>, org: &str, channel: &str, name: &str, text: &str) -> String {
    let inbox = format!("/o/{org}/inbox");
    let before = row_ids(&b.get(&format!("{inbox}/list?status=all")).await.body);
    let fields =
        [("channel_id", channel), ("kind", "direct"), ("from_name", name), ("from_username", ""), ("text", text)];
    let r = b.submit(&inbox, &format!("{inbox}/sandbox"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let list = b.get(&format!("{inbox}/list?status=all")).await;
        if let Some(id) = row_ids(&list.body).into_iter().find(|id| !before.contains(id)) {
            return id;
        }
        assert!(std::time::Instant::now() < deadline, "the message never reached the list: {}", list.body);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The part of `body` from the row of conversation `id` to the end of that row.
fn row<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body.find(&format!("data-conversation-id=\"{id}\" data-unread")).expect("the row");
    &body[start..start + body[start..].find("</li>").unwrap_or(body.len() - start)]
}

async fn poll_thread(b: &mut Browser<'_>, path: &str, want: &str) -> WebPage {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let page = b.get(path).await;
        if page.body.contains(want) {
            return page;
        }
        assert!(std::time::Instant::now() < deadline, "{want} never showed: {}", page.body);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn receive_open_reply_and_organise(backend: Backend) {
    // Many pages in a few seconds from one address, as no person clicks: no per-IP limit.
    let srv = TestServer::start_with(backend, |c| c.rate_limit_ip_per_minute = 0).await;
    srv.set_clock("2027-03-14T10:00:00Z");
    let mut b = Browser::new(&srv);
    let (org, channel) = sandbox_workspace(&mut b, "ann@inbox.test").await;
    let inbox = format!("/o/{org}/inbox");

    // The empty state says how to try it, and the form is there.
    let page = b.get(&inbox).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("No conversations yet") && page.body.contains("Receive a test message"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("href=\"{inbox}\" aria-current=\"page\"")), "the Inbox nav item");

    // A refused test message keeps what was typed and says what is wrong, next to the field.
    let fields = [("channel_id", channel.as_str()), ("kind", "comment"), ("from_name", "Kim"), ("text", "Hello")];
    let r = b.submit(&inbox, &format!("{inbox}/sandbox"), &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("id=\"sandbox-post_id-error\"") && r.body.contains("value=\"Kim\""), "{}", r.body);

    let worker = sellcast_app::jobs::worker(&srv.app).start();
    let id = receive(&mut b, &org, &channel, "Maya Customer", "Is the blue tote still available?").await;
    let list = b.get(&format!("{inbox}/list")).await;
    let r = row(&list.body, &id);
    assert!(r.contains("data-unread=\"true\"") && r.contains("Maya Customer") && r.contains("Sandbox"), "{r}");
    assert!(r.contains("Is the blue tote still available?") && r.contains("unread-dot"), "{r}");

    // Opening it shows the message and reads it.
    let page = b.get(&format!("{inbox}?c={id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("class=\"msg inbound\"") && page.body.contains("Is the blue tote still available?"));
    assert!(page.body.contains("id=\"reply-form\"") && page.body.contains("name=\"idempotency_key\""));
    assert!(row(&b.get(&format!("{inbox}/list")).await.body, &id).contains("data-unread=\"false\""));

    // Replies refused keep the text and put the reason next to the box.
    let reply = format!("{inbox}/{id}/reply");
    let r = b.submit(&inbox, &reply, &[("text", "  "), ("idempotency_key", "k-empty")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("id=\"reply-text-error\"") && r.body.contains("Write something to send"), "{}", r.body);
    let long = format!("{}END", "a".repeat(10_000));
    let r = b.submit(&inbox, &reply, &[("text", &long), ("idempotency_key", "k-long")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("at most 10000 characters") && r.body.contains(&long), "the text is kept");

    // A reply sent twice with the same key is sent once, and shows delivered.
    for _ in 0..2 {
        let r = b.submit(&inbox, &reply, &[("text", "Yes, still in stock!"), ("idempotency_key", "k-1")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location.as_deref(), Some(format!("{inbox}?c={id}").as_str()));
    }
    let thread = poll_thread(&mut b, &format!("{inbox}/{id}/thread"), "data-delivery=\"delivered\"").await;
    assert!(!thread.body.contains("<html"), "a fragment");
    assert_eq!(thread.body.matches("class=\"msg outbound\"").count(), 1, "{}", thread.body);
    assert!(thread.body.contains("Yes, still in stock!") && thread.body.contains("Delivered"));

    // Answered, it waits for the customer: off the open tab, on the pending one.
    assert!(!row_ids(&b.get(&format!("{inbox}/list")).await.body).contains(&id));
    assert!(row_ids(&b.get(&format!("{inbox}/list?status=pending")).await.body).contains(&id));

    // Snooze in the viewer's timezone (Paris, UTC+1 in March); a bad time is explained.
    let r = b
        .submit(
            "/account",
            "/account/profile",
            &[("name", "Ann Seller"), ("email", "ann@inbox.test"), ("timezone", "Europe/Paris")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let status = format!("{inbox}/{id}/status");
    let r = b
        .submit(&inbox, &status, &[("status", "snoozed"), ("snoozed_until", "someday"), ("back", "status=pending")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("id=\"snooze-until-error\"") && r.body.contains("value=\"someday\""), "{}", r.body);
    let r = b
        .submit(
            &inbox,
            &status,
            &[("status", "snoozed"), ("snoozed_until", "2027-03-15T09:30"), ("back", "status=pending")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some(format!("{inbox}?status=pending&c={id}").as_str()));
    let conv = stored(&srv, &org, &id).await;
    assert_eq!((conv.status, conv.snoozed_until), (ConversationStatus::Snoozed, Some(instant("2027-03-15T08:30:00Z"))));

    // Priority, unread again, then resolved in bulk.
    let r = b.submit(&inbox, &format!("{inbox}/{id}/priority"), &[("priority", "urgent")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = b.submit(&inbox, &format!("{inbox}/{id}/unread"), &[("back", "status=all")]).await;
    assert_eq!(r.location.as_deref(), Some(format!("{inbox}?status=all").as_str()));
    let list = b.get(&format!("{inbox}/list?status=all&unread=1")).await;
    assert!(row(&list.body, &id).contains("priority-urgent"), "{}", list.body);
    let r = b.submit(&inbox, &format!("{inbox}/bulk"), &[("ids", &id), ("action", "resolve"), ("back", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(stored(&srv, &org, &id).await.status, ConversationStatus::Resolved);
    assert!(b.get(&inbox).await.body.contains("1 conversation resolved."), "the flash");
    worker.shutdown().await;
    srv.stop().await;
}

async fn stored(srv: &TestServer, org: &str, id: &str) -> conversations::ConversationRow {
    let mut c = srv.app.db.read().await.expect("read");
    conversations::by_id(c.conn(), org, id).await.expect("query").expect("the conversation")
}

async fn whatsapp_window_and_bubbles(backend: Backend) {
    let srv = TestServer::start(backend).await;
    let mut b = Browser::new(&srv);
    let (org, _) = sandbox_workspace(&mut b, "wa@inbox.test").await;
    let id = whatsapp_out_of_window(&srv, &org).await;
    let page = b.get(&format!("/o/{org}/inbox?c={id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(body.contains("data-mode=\"template\"") && !body.contains("id=\"reply-text\""), "no free text: {body}");
    assert!(body.contains("Template name as approved in WhatsApp Manager"), "{body}");
    assert!(body.contains("<img class=\"msg-image\" src=\"/assets/none.png\" alt=\"Image from Rosa Diaz\""), "{body}");
    assert!(body.contains("<p class=\"attachment-caption\">the parcel</p>"), "{body}");
    assert!(body.contains("File: invoice.pdf") && body.contains("👍") && body.contains(">Edited<"), "{body}");
    assert!(body.contains("This message was deleted.") && !body.contains("never mind"), "{body}");
    assert!(body.contains("data-delivery=\"failed\"") && body.contains("Not sent: Message failed to send"), "{body}");

    // A template is what goes out; without a name it is refused, next to the name.
    let reply = format!("/o/{org}/inbox/{id}/reply");
    let t = [("template_name", ""), ("template_language", "en_US"), ("param", "Rosa"), ("idempotency_key", "t-0")];
    let r = b.submit(&format!("/o/{org}/inbox"), &reply, &t).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("id=\"template-name-error\"") && r.body.contains("value=\"Rosa\""), "{}", r.body);
    let t = [
        ("template_name", "order_update"),
        ("template_language", "en_US"),
        ("param", "Rosa"),
        ("param", ""),
        ("idempotency_key", "t-1"),
    ];
    let r = b.submit(&format!("/o/{org}/inbox"), &reply, &t).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let thread = b.get(&format!("/o/{org}/inbox/{id}/thread")).await;
    assert!(thread.body.contains("order_update") && thread.body.contains("<li>Rosa</li>"), "{}", thread.body);
    assert!(thread.body.contains("data-delivery=\"queued\""), "{}", thread.body);
    srv.stop().await;
}

async fn viewers_other_workspaces_and_csrf(backend: Backend) {
    let srv = TestServer::start(backend).await;
    let owner = srv.register("owner@inbox-roles.test").await;
    let mut ob = Browser::new(&srv);
    ob.sign_in(&owner.email, PASSWORD).await;
    let org = owner.org_id.clone();
    let r = ob.submit("/onboarding", &format!("/onboarding/{org}/sandbox"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let inbox = format!("/o/{org}/inbox");
    let channel = value_after(&ob.get(&inbox).await.body, "name=\"channel_id\"><option value=\"");
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    let id = receive(&mut ob, &org, &channel, "Lee", "Do you ship abroad?").await;
    worker.shutdown().await;

    // Without the CSRF token nothing is sent.
    let r = ob.post_raw(&format!("{inbox}/{id}/reply"), &[("text", "Yes")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(stored(&srv, &org, &id).await.message_count, 1);

    // A viewer reads, without a reply box; replying anyway is refused.
    srv.add_member(&owner, "viewer@inbox-roles.test", "viewer").await;
    let mut vb = Browser::new(&srv);
    vb.sign_in("viewer@inbox-roles.test", PASSWORD).await;
    let page = vb.get(&format!("{inbox}?c={id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Do you ship abroad?") && page.body.contains("can read conversations but not reply"));
    assert!(!page.body.contains("id=\"reply-form\"") && !page.body.contains("id=\"sandbox-form\""), "{}", page.body);
    for (path, fields) in [("reply", vec![("text", "Hi")]), ("status", vec![("status", "resolved")])] {
        let r = vb.submit(&inbox, &format!("{inbox}/{id}/{path}"), &fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(vb.submit(&inbox, &format!("{inbox}/{id}/unread"), &[]).await.status, StatusCode::SEE_OTHER);

    // Another workspace's conversation is not found, by page, fragment or form.
    let other = srv.register("other@inbox-roles.test").await;
    let mut xb = Browser::new(&srv);
    xb.sign_in(&other.email, PASSWORD).await;
    let theirs = format!("/o/{}/inbox", other.org_id);
    assert_eq!(xb.get(&format!("{theirs}?c={id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(xb.get(&format!("{theirs}/{id}/thread")).await.status, StatusCode::NOT_FOUND);
    let r = xb.submit(&theirs, &format!("{theirs}/{id}/reply"), &[("text", "Hi")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(xb.get(&inbox).await.status, StatusCode::NOT_FOUND);
    assert_eq!(stored(&srv, &org, &id).await.message_count, 1);
    srv.stop().await;
}
