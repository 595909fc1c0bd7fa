//! The inbox in a real browser: a new workspace receives a test message from the sandbox form,
//! it appears in the list live (no reload), opens in place, a second message arrives while a
//! reply is being typed (the text stays), the reply is sent in place and turns "delivered"
//! live; a WhatsApp conversation outside the 24-hour window offers the template form; axe
//! finds no serious or critical problem in any look.

use super::driver::{Driver, Look, Session};
use super::support::{org_in_path, sign_up};
use crate::common::{Backend, TestServer};
use serde_json::json;
use std::time::Duration;

/// How many elements match `css` right now.
async fn count(s: &Session, css: &str) -> u64 {
    s.js("return document.querySelectorAll(arguments[0]).length", vec![json!(css)]).await.as_u64().unwrap_or_default()
}

async fn value(s: &Session, css: &str) -> String {
    let v = s.js("const e = document.querySelector(arguments[0]); return e ? e.value : null;", vec![json!(css)]).await;
    v.as_str().unwrap_or_default().to_string()
}

async fn no_reload(s: &Session) -> bool {
    s.js("return window.__sellcastNoReload === true", vec![]).await == json!(true)
}

/// Screenshots and axe in every look; the problems found.
async fn looks(s: &Session, name: &str) -> Vec<String> {
    let mut problems = Vec::new();
    // Toasts come and go; the pictures show the page under them.
    s.js("document.getElementById('toasts').replaceChildren()", vec![]).await;
    for look in Look::ALL {
        s.look(look).await;
        s.settle().await;
        s.screenshot(name, look).await;
        problems.extend(s.axe().await.into_iter().map(|v| format!("{name} {}: {v}", look.suffix())));
    }
    s.look(Look::ALL[0]).await;
    problems
}

/// Send the sandbox form in place (it is in the list pane, folded once the list has rows).
async fn receive_test_message(s: &Session, text: &str) {
    s.js("document.getElementById('try-sandbox').open = true", vec![]).await;
    s.fill("#sandbox-text", text).await;
    s.find("#sandbox-form button[type=submit]").await.click().await.expect("send the test message");
}

pub async fn inbox(b: Backend) {
    // A test clicks faster than people do; the per-IP limit of web requests is not under test.
    let srv = TestServer::start_with(b, |c| c.rate_limit_ip_per_minute = 0).await;
    let driver = Driver::start().await;
    let s = driver.session(&srv.base).await;
    let mut problems = Vec::new();

    // Sign up, the sandbox in one click, then the inbox from the navigation.
    s.goto("/signup").await;
    sign_up(&s, "Ida Seller", "ida@inbox.test", Some("Ida's Shop")).await;
    s.click_and_load("form[action$='/sandbox'] button[type=submit]").await;
    s.click_and_load("a.nav-item[href$='/inbox']").await;
    let org = org_in_path(&s).await;
    assert_eq!(s.path().await, format!("/o/{org}/inbox"));
    assert!(s.text(".inbox-empty h2").await.contains("No conversations yet"));
    problems.extend(looks(&s, "inbox-empty").await);

    // A test message; the worker processes it; the list shows it without a reload.
    s.wait_stream_open().await;
    s.js("window.__sellcastNoReload = true", vec![]).await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    receive_test_message(&s, "Do you have this bag in red?").await;
    s.find(".conv-row.unread").await;
    assert!(s.text(".conv-row .conv-preview").await.contains("in red?"));
    assert!(no_reload(&s).await, "the row came in live");

    // Opened in place: the thread, read, the address following.
    s.find(".conv-row .conv-link").await.click().await.expect("open the conversation");
    s.find("#inbox-thread[data-conversation-id] .msg.inbound").await;
    assert!(s.text("#inbox-thread .msg.inbound .msg-text").await.contains("in red?"));
    s.until("the row to be read", || async { count(&s, ".conv-row.unread").await == 0 }).await;
    assert!(s.path().await.contains("c="), "the address names the open conversation");
    assert!(!s.has(".window-note").await, "no 24-hour window on the sandbox");

    // "?" shows the shortcuts; "r" goes to the reply box.
    let body = s.find("body").await;
    body.send_keys("?").await.expect("?");
    s.until("the shortcuts help", || async {
        s.js("return document.getElementById('shortcuts').open", vec![]).await == json!(true)
    })
    .await;
    s.js("document.activeElement.blur()", vec![]).await;
    s.find("body").await.send_keys("r").await.expect("r");
    s.until("the reply box to have focus", || async {
        s.js("return document.activeElement && document.activeElement.id", vec![]).await == json!("reply-text")
    })
    .await;

    // A second message arrives while a reply is being typed: the typing stays.
    s.fill("#reply-text", "Half-typed answer").await;
    receive_test_message(&s, "Also, do you ship to Lyon?").await;
    s.until_for("the second message in the open thread", Duration::from_secs(30), || async {
        count(&s, "#inbox-thread .msg.inbound").await == 2
    })
    .await;
    assert_eq!(value(&s, "#reply-text").await, "Half-typed answer");
    worker.shutdown().await;

    // The reply goes in place; queued while no worker runs, then delivered live.
    s.fill("#reply-text", "Yes, red is in stock and we ship to Lyon.").await;
    s.find("#reply-form button[type=submit]").await.click().await.expect("send");
    s.find("#inbox-thread .msg.outbound[data-delivery='queued']").await;
    assert_eq!(value(&s, "#reply-text").await, "", "a fresh reply box");
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    s.until_for("the reply to be delivered", Duration::from_secs(30), || async {
        count(&s, "#inbox-thread .msg.outbound[data-delivery='delivered']").await == 1
    })
    .await;
    assert!(s.text("#inbox-thread .msg.outbound .delivery").await.contains("Delivered"));
    assert!(no_reload(&s).await, "everything above happened without a page load");
    worker.shutdown().await;

    // Snoozed from the header's form, in place; the snooze time shows only for "snoozed".
    s.find(".thread-more-controls > summary").await.click().await.expect("open the status form");
    assert!(!s.find(".snooze-field").await.is_displayed().await.expect("displayed"), "no snooze time for pending");
    s.set_value("#status-select", "snoozed").await;
    s.set_value("#snooze-until", "2030-01-01T09:00").await;
    s.find("#status-form button[type=submit]").await.click().await.expect("save the status");
    s.find("#inbox-thread[data-status='snoozed'] .thread-more-controls[open]").await;
    assert!(s.text(".thread-state").await.contains("until"), "the snooze time is shown");
    assert!(no_reload(&s).await);
    problems.extend(looks(&s, "inbox-thread").await);

    // WhatsApp, two days after the customer's last message: only a template can go.
    let id = crate::web_inbox::whatsapp_out_of_window(&srv, &org).await;
    s.goto(&format!("/o/{org}/inbox?status=all&c={id}")).await;
    s.find("#reply-form[data-mode='template'] #template-name").await;
    assert!(!s.has("#reply-text").await, "no free text outside the window");
    assert!(s.text(".window-note").await.contains("24-hour window is closed"));
    problems.extend(looks(&s, "inbox-whatsapp-template").await);

    // j and k walk the list in place; e resolves the open conversation.
    s.goto(&format!("/o/{org}/inbox?status=all&c={id}")).await;
    let open = "const t = document.getElementById('inbox-thread'); return t && t.dataset.conversationId;";
    let first = s.js("return document.querySelector('.conv-row').dataset.conversationId", vec![]).await;
    assert_ne!(first, json!(id), "the WhatsApp conversation is the older one");
    for (key, want) in [("k", first.clone()), ("j", json!(id))] {
        s.js("document.activeElement.blur()", vec![]).await;
        s.find("body").await.send_keys(key).await.expect("a shortcut");
        s.until(&format!("{key} to open the next conversation"), || async { s.js(open, vec![]).await == want }).await;
    }
    s.js("document.activeElement.blur()", vec![]).await;
    s.find("body").await.send_keys("e").await.expect("e");
    s.find(&format!("#inbox-thread[data-conversation-id='{id}'][data-status='resolved']")).await;

    s.close().await;
    srv.stop().await;
    assert!(problems.is_empty(), "{} accessibility problem(s):\n\n{}", problems.len(), problems.join("\n"));
}
