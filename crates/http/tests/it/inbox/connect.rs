//! Connecting Facebook Pages subscribes them to the webhooks the inbox needs; a refused
//! subscription keeps the channel but shows why in its health.

use crate::common::tenancy::{items, org};
use crate::common::{on_both_backends, Backend, Response};
use reqwest::StatusCode;
use serde_json::json;

async fn connect_page(srv: &crate::common::TestServer, who: &crate::common::Account) -> Vec<serde_json::Value> {
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let r = srv.post(&org(&who.org_id, "/channels/connect"), Some(&who.token), json!({"platform": "facebook"})).await;
    r.expect(StatusCode::OK, None);
    let url = r.body["authorize_url"].as_str().unwrap_or_default().to_string();
    let page = browser.get(&url).send().await.expect("dialog");
    assert!(page.status().is_redirection(), "{}", page.status());
    let callback = page.headers()["location"].to_str().unwrap_or_default().to_string();
    let done = Response::read(browser.get(&callback).send().await.expect("callback")).await;
    done.expect(StatusCode::OK, None);
    done.body["channels"].as_array().cloned().unwrap_or_default()
}

async fn pages_are_subscribed_at_connect(b: Backend) {
    let (fake, meta) = sellcast_fakes::meta::start().await.expect("fake meta");
    let srv = super::start(b, |c| {
        c.meta_app_id = Some(sellcast_fakes::meta::CLIENT_ID.into());
        c.meta_app_secret = Some(sellcast_fakes::meta::CLIENT_SECRET.into());
        c.meta_graph_url = format!("{}/v21.0", fake.url());
        c.meta_dialog_url = format!("{}/v21.0/dialog/oauth", fake.url());
    })
    .await;
    let a = srv.register("pages@example.com").await;
    let channels = connect_page(&srv, &a).await;
    assert!(!channels.is_empty());
    for ch in &channels {
        let page_id = ch["account_id"].as_str().unwrap_or_default();
        let fields = meta.subscribed_fields(page_id).unwrap_or_default();
        assert!(fields.iter().any(|f| f == "messages") && fields.iter().any(|f| f == "feed"), "{page_id}: {fields:?}");
    }
    // Meta refuses the subscription: the channel is connected and says why nothing arrives.
    meta.fail_subscriptions(true);
    let b2 = srv.register("pages-b@example.com").await;
    connect_page(&srv, &b2).await;
    let list = srv.get(&org(&b2.org_id, "/channels?platform=facebook"), Some(&b2.token)).await;
    let ch = &items(&list)[0];
    assert_eq!(ch["status"], "active");
    assert!(ch["last_error"].as_str().unwrap_or("").contains("subscribe"), "{ch}");
    srv.stop().await;
}

on_both_backends!(pages_are_subscribed_at_connect);
