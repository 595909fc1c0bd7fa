//! Networks without webhooks, end to end through the app: a connected Mastodon account is
//! polled (the sweep enqueues, the poll stores what arrived with its cursor), mentions and
//! direct statuses become conversations once, and a reply is a status threaded under the
//! customer's, mentioning them, sent with an idempotency key.

use super::{wait_conversations, wait_for};
use crate::common::tenancy::org;
use crate::common::{on_both_backends, Backend, Response};
use reqwest::StatusCode;
use serde_json::json;

async fn mastodon_is_polled_and_answered(b: Backend) {
    let (fake, masto) = sellcast_fakes::mastodon::start().await;
    let srv = super::start(b, |c| c.platform_allow_http = true).await;
    let owner = srv.register("owner@polling.test").await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    // Connect through the OAuth flow (the fake approves at once).
    let r = srv
        .post(
            &org(&owner.org_id, "/channels/connect"),
            Some(&owner.token),
            json!({"platform": "mastodon", "server_url": fake.url()}),
        )
        .await;
    r.expect(StatusCode::OK, None);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let consent = http.get(r.body["authorize_url"].as_str().unwrap_or_default()).send().await.expect("consent");
    let location = consent.headers()["location"].to_str().unwrap_or_default().to_string();
    Response::read(http.get(&location).send().await.expect("callback")).await.expect(StatusCode::OK, None);

    masto.add_sender("201", "linh@remote.example", "Linh");
    masto.add_sender("202", "omar", "Omar");
    masto.add_mention("201", "@sellcast do you restock the tote bags?");
    let direct = masto.add_direct("202", "@sellcast is my order shipped?");
    sellcast_app::inbox::poll::sweep(&srv.app).await.expect("sweep");
    let convs = wait_conversations(&srv, &owner, 2).await;
    let kinds: Vec<&str> = convs.iter().filter_map(|c| c["kind"].as_str()).collect();
    assert!(kinds.contains(&"mention") && kinds.contains(&"direct"), "{kinds:?}");

    // Polling again finds nothing new; a new status arrives once.
    sellcast_app::inbox::poll::sweep(&srv.app).await.expect("sweep");
    masto.add_direct("202", "@sellcast also, can I change the address?");
    // The next poll waits for its time; move the clock past it.
    srv.set_clock(&(chrono::Utc::now() + chrono::Duration::minutes(2)).to_rfc3339());
    sellcast_app::inbox::poll::sweep(&srv.app).await.expect("sweep");
    let omar = convs.iter().find(|c| c["participant"]["name"] == "Omar").cloned().unwrap_or_default();
    let id = omar["id"].as_str().unwrap_or_default().to_string();
    let path = org(&owner.org_id, &format!("/conversations/{id}/messages"));
    let (token, _) = crate::common::auth::new_session(&srv, &owner.email, &owner.password).await;
    let thread = wait_for(&srv, &path, &token, |b| b["items"].as_array().is_some_and(|i| i.len() == 2)).await;
    assert_eq!(thread["items"][0]["text"], "@sellcast also, can I change the address?");
    assert_eq!(
        wait_conversations(&srv, &crate::common::Account { token: token.clone(), ..owner.clone() }, 2).await.len(),
        2
    );

    // A reply: a direct status under the customer's latest, mentioning them.
    srv.post(&path, Some(&token), json!({"text": "Yes, it left today."})).await.expect(StatusCode::CREATED, None);
    wait_for(&srv, &path, &token, |b| b["items"][0]["delivery"] == "sent").await;
    let latest = thread["items"][0]["platform_message_id"].as_str().unwrap_or_default().to_string();
    let replies = masto.replies(&latest);
    assert_eq!(replies.len(), 1, "one reply: {replies:?}");
    assert_eq!(replies[0].visibility, "direct");
    assert!(replies[0].text.starts_with("@omar "), "{}", replies[0].text);
    assert!(replies[0].idempotency_key.is_some());
    assert!(masto.replies(&direct).is_empty(), "answers the latest status");
    worker.shutdown().await;
    srv.stop().await;
}

on_both_backends!(mastodon_is_polled_and_answered);
