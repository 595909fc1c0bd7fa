//! OAuth connect over HTTP against the fake X: authorize URL, the platform's redirect to the
//! callback, a 303 back to the page that started it (or JSON), single-use state, refusals.

use super::*;
use crate::common::tenancy::{expect_validation, items, org};
use crate::common::*;
use reqwest::StatusCode;
use sellcast_fakes::x;
use serde_json::json;

/// Follow the platform's authorize page (it approves at once) to the callback URL it sends
/// the browser to.
async fn approve(browser: &reqwest::Client, authorize_url: &str) -> String {
    let page = browser.get(authorize_url).send().await.unwrap();
    assert!(page.status().is_redirection(), "{}: {:?}", page.status(), page.text().await);
    page.headers()["location"].to_str().unwrap().to_string()
}

async fn oauth_connects_and_returns_to_the_page(b: Backend) {
    let (fake, _state) = x::start().await;
    let srv = TestServer::start_with(b, |c| {
        c.x_client_id = Some(x::CLIENT_ID.into());
        c.x_client_secret = Some(x::CLIENT_SECRET.into());
        c.x_api_url = fake.url();
        c.x_authorize_url = format!("{}/i/oauth2/authorize", fake.url());
    })
    .await;
    let owner = srv.register("owner@oauth.test").await;
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let connect = org(&owner.org_id, "/channels/connect");

    let r = srv.post(&connect, Some(&owner.token), json!({"platform": "x", "redirect_after": "/channels#new"})).await;
    r.expect(StatusCode::OK, None);
    assert!(r.body["expires_at"].is_string(), "{}", r.body);
    let callback = approve(&browser, &s(&r.body["authorize_url"])).await;
    assert!(callback.starts_with(&format!("{}/api/v1/oauth/x/callback?", srv.base)), "{callback}");
    let back = browser.get(&callback).send().await.unwrap();
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(back.headers()["location"], "/channels?connected=1#new");
    let again = Response::read(browser.get(&callback).send().await.unwrap()).await;
    expect_validation(&again, "state");

    let list = srv.get(&org(&owner.org_id, "/channels?platform=x"), Some(&owner.token)).await;
    assert_eq!(items(&list).len(), 1, "{}", list.body);
    let channel = &items(&list)[0];
    assert_eq!((channel["handle"].as_str(), channel["account_id"].as_str()), (Some(x::USERNAME), Some(x::USER_ID)));
    assert!(channel["token_expires_at"].is_string(), "{channel}");
    let channel_id = s(&channel["id"]);

    // Reconnecting without redirect_after: the callback answers JSON with the same channel.
    let r = srv
        .post(&org(&owner.org_id, &format!("/channels/{channel_id}/reconnect")), Some(&owner.token), json!({}))
        .await;
    r.expect(StatusCode::OK, None);
    let callback = approve(&browser, &s(&r.body["authorize_url"])).await;
    let done = Response::read(browser.get(&callback).send().await.unwrap()).await;
    done.expect(StatusCode::OK, None);
    assert_eq!(done.body["org_id"], owner.org_id.as_str());
    assert_eq!(done.body["channels"][0]["id"], channel_id.as_str());
    assert!(!done.body.to_string().contains("access_token"), "{}", done.body);

    // The user says no on the platform's page.
    let r = srv.post(&connect, Some(&owner.token), json!({"platform": "x"})).await;
    let authorize = url_state(&s(&r.body["authorize_url"]));
    let denied = srv.get(&format!("/api/v1/oauth/x/callback?error=access_denied&state={authorize}"), None).await;
    expect_validation(&denied, "code");
    // The state was issued for X, not for LinkedIn.
    let r = srv.post(&connect, Some(&owner.token), json!({"platform": "x"})).await;
    let other = url_state(&s(&r.body["authorize_url"]));
    let wrong = srv.get(&format!("/api/v1/oauth/linkedin/callback?code=abc&state={other}"), None).await;
    expect_validation(&wrong, "state");
    srv.stop().await;
}

/// The `state` query parameter of an authorize URL (URL-safe already).
fn url_state(authorize_url: &str) -> String {
    authorize_url
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("state="))
        .unwrap_or_else(|| panic!("no state in {authorize_url}"))
        .to_string()
}

on_both_backends!(oauth_connects_and_returns_to_the_page);
