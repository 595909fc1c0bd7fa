//! The composer's "Schedule" on a new post is one step, as through the API: when the schedule
//! is refused (a time in the past, no channel to publish to), nothing is stored and the form
//! comes back with everything typed and the reason next to its field. Both backends.

use crate::common::web::{Browser, WebPage};
use crate::common::*;
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use sellcast_store::posts::{self as store_posts, PostFilter, PostRow};

on_both_backends!(a_schedule_in_the_past_stores_nothing, a_schedule_without_a_channel_stores_nothing);

async fn posts_of(srv: &TestServer, org: &str) -> Vec<PostRow> {
    let mut c = srv.app.db.read().await.expect("read");
    store_posts::list(c.conn(), org, &PostFilter::default(), None, 100).await.expect("posts")
}

/// Sign up and connect the sandbox: (org id, the sandbox channel's id).
async fn workspace_with_sandbox(b: &mut Browser<'_>, email: &str) -> (String, String) {
    let org = b.sign_up("Rae Refused", email, "Refusals").await;
    let r = b.submit("/onboarding", &format!("/onboarding/{org}/sandbox"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.get(&format!("/o/{org}/compose")).await;
    let marker = "data-channel-id=\"";
    let start = page.body.find(marker).map(|i| i + marker.len()).expect("a channel in the composer");
    let end = page.body[start..].find('"').expect("closing quote") + start;
    (org, page.body[start..end].to_string())
}

/// The text of the field error `id` on the page (`<p … id="{id}-error">…</p>`).
fn field_error<'a>(page: &'a WebPage, id: &str) -> &'a str {
    let marker = format!("id=\"{id}-error\">");
    let at = page.body.find(&marker).unwrap_or_else(|| panic!("an error next to {id}: {}", page.body));
    page.body[at + marker.len()..].split("</p>").next().unwrap_or("")
}

async fn a_schedule_in_the_past_stores_nothing(backend: Backend) {
    let srv = TestServer::start(backend).await;
    let mut b = Browser::new(&srv);
    let (org, ch) = workspace_with_sandbox(&mut b, "rae@past.test").await;
    let compose = format!("/o/{org}/compose");
    // Two days back is in the past in every timezone.
    let date = (Utc::now() - Duration::days(2)).date_naive().to_string();
    let fields = [
        ("text", "Fresh bread at the market"),
        ("channels", ch.as_str()),
        ("tags", "bread, #Oven"),
        ("campaign", "Market days"),
        ("date", date.as_str()),
        ("time", "09:30"),
        ("action", "schedule"),
    ];
    let r = b.submit(&compose, &compose, &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(field_error(&r, "when").contains("in the past"), "{}", field_error(&r, "when"));
    for typed in ["Fresh bread at the market", "bread, #Oven", "Market days", date.as_str(), "09:30"] {
        assert!(r.body.contains(typed), "{typed} is shown again");
    }
    assert!(r.body.contains(&format!("name=\"channels\" value=\"{ch}\" checked")), "the channel stays ticked");
    assert!(!r.body.contains("was saved"), "nothing claims a draft was kept");
    assert!(posts_of(&srv, &org).await.is_empty(), "nothing was stored");
    srv.stop().await;
}

async fn a_schedule_without_a_channel_stores_nothing(backend: Backend) {
    let srv = TestServer::start(backend).await;
    let mut b = Browser::new(&srv);
    let (org, _) = workspace_with_sandbox(&mut b, "rae@nochannel.test").await;
    let compose = format!("/o/{org}/compose");
    let date = (Utc::now() + Duration::days(3)).date_naive().to_string();
    let fields = [("text", "Where does this go?"), ("date", date.as_str()), ("time", "10:00"), ("action", "schedule")];
    // The post is written before its schedule is checked against the channels: the refusal
    // rolls both back.
    let r = b.submit(&compose, &compose, &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(field_error(&r, "channels").contains("at least one channel"), "{}", field_error(&r, "channels"));
    assert!(r.body.contains("Where does this go?") && r.body.contains(&date), "the form as typed");
    assert!(posts_of(&srv, &org).await.is_empty(), "nothing was stored");

    // The same form as a draft is stored.
    let r = b.submit(&compose, &compose, &[("text", "Where does this go?"), ("action", "draft")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(posts_of(&srv, &org).await.len(), 1);
    srv.stop().await;
}
