//! The WhatsApp loop against the fake Graph API: connect (checked on the Graph API, webhooks
//! subscribed), the customer writes → the inbox shows it → a reply goes out → the fake's
//! status webhooks move it to read; outside the 24-hour window only a template goes.

use super::{wait_conversations, wait_for, wait_messages, APP_SECRET};
use crate::common::tenancy::org;
use crate::common::{on_both_backends, Backend};
use reqwest::StatusCode;
use serde_json::json;

async fn customer_writes_team_replies_statuses_arrive(b: Backend) {
    let (fake, meta) = sellcast_fakes::meta::start().await.expect("fake meta");
    let srv = super::start(b, |c| {
        c.meta_app_secret = Some(APP_SECRET.into());
        c.meta_graph_url = format!("{}/v21.0", fake.url());
    })
    .await;
    let a = srv.register("wa@example.com").await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    let (phone, waba) = (meta.whatsapp_phone_number_id(), meta.whatsapp_waba_id());

    // A wrong token is refused before anything is stored.
    let r = srv
        .post(
            &org(&a.org_id, "/channels/connect"),
            Some(&a.token),
            json!({"platform": "whatsapp", "phone_number_id": phone, "waba_id": waba, "access_token": "wrong"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = srv
        .post(
            &org(&a.org_id, "/channels/connect"),
            Some(&a.token),
            json!({"platform": "whatsapp", "phone_number_id": phone, "waba_id": waba, "access_token": meta.whatsapp_token()}),
        )
        .await;
    r.expect(StatusCode::CREATED, None);
    let channel = r.body["channels"][0].clone();
    assert_eq!(channel["platform"], "whatsapp");
    assert!(meta.subscribed_fields(&waba).is_some(), "the app is subscribed to the account's webhooks");
    assert!(!r.body.to_string().contains(&meta.whatsapp_token()), "the token never comes back");

    // The customer writes: a signed webhook from the fake.
    let (wamid, body) = meta.whatsapp_text(&phone, &waba, "84901234567", "Lan Nguyen", "Còn size M không ạ?");
    assert_eq!(meta.deliver(&srv.url("/webhooks/meta"), APP_SECRET, &body).await, StatusCode::OK);
    let convs = wait_conversations(&srv, &a, 1).await;
    let conv = &convs[0];
    assert_eq!(conv["participant"]["name"], "Lan Nguyen");
    assert_eq!(conv["kind"], "direct");
    assert_eq!(conv["needs_template"], false);
    assert!(conv["reply_window_ends_at"].is_string());
    let id = conv["id"].as_str().unwrap_or_default().to_string();
    let msgs = wait_messages(&srv, &a, &id, 1).await;
    assert_eq!(msgs[0]["platform_message_id"], wamid.as_str());
    assert_eq!(msgs[0]["text"], "Còn size M không ạ?");

    // Reply; the fake sends sent → delivered → read webhooks for it.
    meta.auto_statuses(&srv.url("/webhooks/meta"), APP_SECRET);
    let path = org(&a.org_id, &format!("/conversations/{id}/messages"));
    let r = srv.post(&path, Some(&a.token), json!({"text": "Dạ còn ạ!", "idempotency_key": "k1"})).await;
    r.expect(StatusCode::CREATED, None);
    assert_eq!(r.body["delivery"], "queued");
    let again = srv.post(&path, Some(&a.token), json!({"text": "Dạ còn ạ!", "idempotency_key": "k1"})).await;
    again.expect(StatusCode::OK, None);
    assert_eq!(again.body["id"], r.body["id"], "the same key is the same reply");
    let done = wait_for(&srv, &path, &a.token, |b| b["items"][0]["delivery"] == "read").await;
    assert_eq!(done["items"][0]["text"], "Dạ còn ạ!");
    let sent = meta.whatsapp_sent();
    assert_eq!(sent.len(), 1, "sent exactly once: {sent:?}");
    assert_eq!(sent[0].body.as_deref(), Some("Dạ còn ạ!"));

    // A day later the window is closed: free text is refused, a template goes.
    meta.advance_clock(chrono::Duration::hours(25));
    srv.set_clock(&(chrono::Utc::now() + chrono::Duration::hours(25)).to_rfc3339());
    // A day later the session's access token has expired too: sign in again.
    let (token, _) = crate::common::auth::new_session(&srv, &a.email, &a.password).await;
    let a = crate::common::Account { token, ..a };
    let c = srv.get(&org(&a.org_id, &format!("/conversations/{id}")), Some(&a.token)).await;
    assert_eq!(c.body["needs_template"], true, "{}", c.body);
    // The picker's list: the account's approved templates only, with their parameters.
    let t = srv.get(&org(&a.org_id, &format!("/conversations/{id}/templates")), Some(&a.token)).await;
    t.expect(StatusCode::OK, None);
    let names: Vec<&str> =
        t.body["items"].as_array().map(|i| i.iter().filter_map(|x| x["name"].as_str()).collect()).unwrap_or_default();
    assert!(names.contains(&"order_update") && !names.contains(&"big_sale"), "{}", t.body);
    let order = t.body["items"]
        .as_array()
        .and_then(|i| i.iter().find(|x| x["name"] == "order_update"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(order["parameters"], 1, "{order}");
    // The web app's picker offers the same list.
    let mut browser = crate::common::web::Browser::new(&srv);
    browser.sign_in(&a.email, &a.password).await;
    let page = browser.get(&format!("/o/{}/inbox?c={id}", a.org_id)).await;
    assert!(page.body.contains("approved-templates") && page.body.contains("order_update"), "{}", page.body);
    assert!(!page.body.contains("big_sale"), "rejected templates are not offered");
    let r = srv.post(&path, Some(&a.token), json!({"text": "Still there?"})).await;
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    assert!(r.body["error"]["details"].to_string().contains("24 hours"), "{}", r.body);
    let r = srv
        .post(
            &path,
            Some(&a.token),
            json!({"template": {"name": "order_update", "language": "en_US", "parameters": ["#1042"]}}),
        )
        .await;
    r.expect(StatusCode::CREATED, None);
    wait_for(&srv, &path, &a.token, |b| b["items"][0]["delivery"] == "read").await;
    let sent = meta.whatsapp_sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].template, Some(("order_update".to_string(), "en_US".to_string())));

    // A template the account does not have fails with the platform's error, shown on the message.
    let r = srv.post(&path, Some(&a.token), json!({"template": {"name": "big_sale", "language": "en_US"}})).await;
    r.expect(StatusCode::CREATED, None);
    let failed = wait_for(&srv, &path, &a.token, |b| b["items"][0]["delivery"] == "failed").await;
    assert!(failed["items"][0]["error"]["message"].is_string(), "{failed}");
    worker.shutdown().await;
    srv.stop().await;
}

async fn media_is_copied_and_served(b: Backend) {
    let (fake, meta) = sellcast_fakes::meta::start().await.expect("fake meta");
    let srv = super::start(b, |c| {
        c.meta_app_secret = Some(APP_SECRET.into());
        c.meta_graph_url = format!("{}/v21.0", fake.url());
    })
    .await;
    let a = srv.register("wa-media@example.com").await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    let (phone, waba) = (meta.whatsapp_phone_number_id(), meta.whatsapp_waba_id());
    srv.post(
        &org(&a.org_id, "/channels/connect"),
        Some(&a.token),
        json!({"platform": "whatsapp", "phone_number_id": phone, "waba_id": waba, "access_token": meta.whatsapp_token()}),
    )
    .await
    .expect(StatusCode::CREATED, None);
    let png = crate::publishing::png(40, 30, false);
    let media_id = meta.add_whatsapp_media(png.clone(), "image/png");
    let (_, body) = meta.whatsapp_image(&phone, &waba, "84900000001", "Bình", &media_id, Some("Mẫu này còn không?"));
    assert_eq!(meta.deliver(&srv.url("/webhooks/meta"), APP_SECRET, &body).await, StatusCode::OK);
    let convs = wait_conversations(&srv, &a, 1).await;
    let id = convs[0]["id"].as_str().unwrap_or_default().to_string();
    let path = org(&a.org_id, &format!("/conversations/{id}/messages"));
    let thread = wait_for(&srv, &path, &a.token, |b| b["items"][0]["attachments"][0]["content_url"].is_string()).await;
    let m = &thread["items"][0];
    assert_eq!(m["attachments"][0]["kind"], "image");
    assert_eq!(m["text"], "Mẫu này còn không?");
    let url = m["attachments"][0]["content_url"].as_str().unwrap_or_default().to_string();
    let res = srv.http.get(srv.url(&url)).bearer_auth(&a.token).send().await.expect("content");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.expect("bytes").to_vec(), png, "the bytes WhatsApp had");
    // Another org cannot read it.
    let other = srv.register("wa-media-other@example.com").await;
    let theirs = url.replace(&a.org_id, &other.org_id);
    srv.get(&theirs, Some(&other.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    worker.shutdown().await;
    srv.stop().await;
}

on_both_backends!(customer_writes_team_replies_statuses_arrive, media_is_copied_and_served);
