//! The web UI's Channels page, driven like a browser over HTTP: the sandbox in one click,
//! client assignment, health check, reconnect, disconnect; Bluesky's app password checked
//! against the fake (errors next to the field); Mastodon through the OAuth dance back to the
//! page; unconfigured platforms disabled; roles, CSRF and other workspaces. Both backends.

use crate::common::web::Browser;
use crate::common::*;
use reqwest::StatusCode;
use sellcast_fakes::{bluesky, mastodon};

/// The channel rows of the page, as `data-channel-id` values.
fn channel_ids(body: &str) -> Vec<String> {
    let marker = "data-channel-id=\"";
    body.match_indices(marker)
        .map(|(i, _)| {
            let start = i + marker.len();
            body[start..start + body[start..].find('"').expect("closing quote")].to_string()
        })
        .collect()
}

/// The row of channel `id` (up to the next row).
fn row<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body.find(&format!("data-channel-id=\"{id}\"")).expect("the channel's row");
    let end = body[start..].find("</tr>").map(|e| start + e).unwrap_or(body.len());
    &body[start..end]
}

/// The "Continue to the platform" link of the page that follows a connect form.
fn continue_link(body: &str) -> String {
    let start = body.find("data-continue").expect("the continue link");
    let tag_start = body[..start].rfind("<a ").expect("the link's tag");
    let tag = &body[tag_start..start + body[start..].find('>').expect("tag end")];
    let href = &tag[tag.find("href=\"").expect("href") + 6..];
    href[..href.find('"').expect("quote")].replace("&amp;", "&")
}

async fn sandbox_clients_health_disconnect_roles(b: Backend) {
    let srv = TestServer::start(b).await;
    let mut owner = Browser::new(&srv);
    let org = owner.sign_up("Olivia Owner", "owner@web-channels.test", "Shop").await;
    let page_path = format!("/o/{org}/channels");

    let page = owner.get(&page_path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("No channels yet"), "empty state: {}", page.body);
    // X has no app credentials on this server: its button is disabled and says what is missing.
    let x = &page.body[page.body.find("id=\"connect-x\"").expect("X card")..];
    let x = &x[..x.find("</article>").unwrap()];
    assert!(x.contains("disabled") && x.contains("SELLCAST_X_CLIENT_ID"), "{x}");

    // Without the CSRF token nothing is connected.
    let connect_sandbox = format!("/o/{org}/channels/connect/sandbox");
    assert_eq!(owner.post_raw(&connect_sandbox, &[]).await.status, StatusCode::FORBIDDEN);
    assert!(channel_ids(&owner.get(&page_path).await.body).is_empty());

    // One click.
    let r = owner.submit(&page_path, &connect_sandbox, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some(page_path.as_str()));
    let page = owner.get(&page_path).await;
    let ids = channel_ids(&page.body);
    assert_eq!(ids.len(), 1, "{}", page.body);
    let id = ids[0].clone();
    assert!(row(&page.body, &id).contains("status-active") && row(&page.body, &id).contains("Sandbox"));

    // Assign it to a client.
    let clients = format!("/o/{org}/settings/clients");
    let r = owner.submit(&clients, &clients, &[("name", "Bakery")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = owner.get(&page_path).await;
    let marker = "<option value=\"";
    let row_html = row(&page.body, &id);
    let client_id = row_html
        .match_indices(marker)
        .map(|(i, _)| &row_html[i + marker.len()..])
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .find(|v| !v.is_empty())
        .expect("the client is offered");
    let r = owner.submit(&page_path, &format!("{page_path}/{id}/client"), &[("client_id", &client_id)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = owner.get(&page_path).await;
    assert!(row(&page.body, &id).contains(&format!("<option value=\"{client_id}\" selected")), "{}", page.body);

    // A live health check.
    let page = owner.get(&format!("{page_path}?check={id}")).await;
    assert!(row(&page.body, &id).contains("accepted the stored token"), "{}", page.body);

    // Reconnect (the sandbox reconnects at once).
    let r = owner.submit(&page_path, &format!("{page_path}/{id}/reconnect"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // A viewer sees the channel but no connect or disconnect controls; posting is 403.
    let mut viewer = Browser::new(&srv);
    let their_org = viewer.sign_up("Vic Viewer", "viewer@web-channels.test", "Vic's own").await;
    let invite = owner
        .submit(
            &format!("/o/{org}/settings/members"),
            &format!("/o/{org}/settings/invites"),
            &[("email", "viewer@web-channels.test"), ("role", "viewer")],
        )
        .await;
    assert_eq!(invite.status, StatusCode::SEE_OTHER);
    let token = {
        let mut c = srv.app.db.read().await.unwrap();
        let mails = sellcast_store::outbox::recent(c.conn(), 50).await.unwrap();
        let m = mails.into_iter().find(|m| m.to_address == "viewer@web-channels.test").expect("invite mail");
        let marker = "invite code with the API: ";
        let start = m.body_text.find(marker).unwrap() + marker.len();
        m.body_text[start..].split_whitespace().next().unwrap().to_string()
    };
    let accept = format!("/invites/accept?token={token}");
    assert_eq!(viewer.submit(&accept, "/invites/accept", &[("token", &token)]).await.status, StatusCode::SEE_OTHER);
    let page = viewer.get(&page_path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&id));
    assert!(!page.body.contains("connect-heading") && !page.body.contains("/disconnect"), "{}", page.body);
    assert_eq!(viewer.submit(&page_path, &connect_sandbox, &[]).await.status, StatusCode::FORBIDDEN);
    let r = viewer.submit(&page_path, &format!("{page_path}/{id}/disconnect"), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Other workspaces are not found.
    assert_eq!(owner.get(&format!("/o/{their_org}/channels")).await.status, StatusCode::NOT_FOUND);
    let r = owner.submit(&page_path, &format!("/o/{their_org}/channels/connect/sandbox"), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Disconnect: the row stays, disconnected.
    let r = owner.submit(&page_path, &format!("{page_path}/{id}/disconnect"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = owner.get(&page_path).await;
    assert!(row(&page.body, &id).contains("status-disconnected"), "{}", page.body);
    srv.stop().await;
}

async fn bluesky_app_password_and_mastodon_oauth(b: Backend) {
    let (sky, _sky_state) = bluesky::start().await;
    let (masto, _masto_state) = mastodon::start().await;
    let sky_url = sky.url();
    let srv = TestServer::start_with(b, |c| {
        c.platform_allow_http = true;
        c.bluesky_server = sky_url;
    })
    .await;
    let mut owner = Browser::new(&srv);
    let org = owner.sign_up("Olivia Owner", "owner@web-oauth.test", "Shop").await;
    let page_path = format!("/o/{org}/channels");
    let connect_sky = format!("/o/{org}/channels/connect/bluesky");

    // A wrong app password: the platform's refusal is shown next to the password field.
    let r =
        owner.submit(&page_path, &connect_sky, &[("identifier", bluesky::HANDLE), ("app_password", "wrong-one")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("id=\"f-bluesky-app_password-error\""), "{}", r.body);
    assert!(r.body.contains(&format!("value=\"{}\"", bluesky::HANDLE)), "the handle is kept");
    assert!(!r.body.contains("wrong-one"), "the password is never echoed");
    // A missing handle: next to the handle field.
    let r = owner.submit(&page_path, &connect_sky, &[("identifier", ""), ("app_password", "x")]).await;
    assert!(r.body.contains("id=\"f-bluesky-identifier-error\""), "{}", r.body);
    // The right one connects.
    let r = owner
        .submit(&page_path, &connect_sky, &[("identifier", bluesky::HANDLE), ("app_password", bluesky::APP_PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = owner.get(&page_path).await;
    assert!(page.body.contains(bluesky::HANDLE), "{}", page.body);
    let sky_id = channel_ids(&page.body).pop().expect("the Bluesky channel");
    // Reconnecting Bluesky asks for a new app password first.
    let r = owner.submit(&page_path, &format!("{page_path}/{sky_id}/reconnect"), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"f-bluesky-app_password\""), "{}", r.body);

    // Mastodon: a bad server address is shown next to the field.
    let connect_masto = format!("/o/{org}/channels/connect/mastodon");
    let r = owner.submit(&page_path, &connect_masto, &[("server_url", "ftp://nowhere")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"f-mastodon-server_url-error\""), "{}", r.body);
    // A server that does not answer: said next to the field.
    let r = owner.submit(&page_path, &connect_masto, &[("server_url", "http://127.0.0.1:9")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"f-mastodon-server_url-error\""), "{}", r.body);
    assert!(r.body.contains("Could not reach the platform"), "{}", r.body);
    // The real one: a page with a link on to the server (the CSP forbids a cross-origin form
    // redirect), the server sends the browser back to the callback, which lands on the page.
    let r = owner.submit(&page_path, &connect_masto, &[("server_url", &masto.url())]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let authorize = continue_link(&r.body);
    assert!(authorize.starts_with(&masto.url()), "{authorize}");
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let consent = plain.get(&authorize).send().await.unwrap();
    assert_eq!(consent.status(), StatusCode::FOUND);
    let callback = consent.headers()["location"].to_str().unwrap().to_string();
    let callback_path = callback.strip_prefix(&srv.base).expect("back to this server").to_string();
    let back = owner.get(&callback_path).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    assert_eq!(back.location.as_deref(), Some(format!("{page_path}?connected=1").as_str()));
    let page = owner.get(&format!("{page_path}?connected=1")).await;
    assert!(page.body.contains("Channel connected."), "{}", page.body);
    assert_eq!(channel_ids(&page.body).len(), 2, "{}", page.body);
    assert!(page.body.contains(">Mastodon<"), "{}", page.body);

    // The user refuses on the platform: back on the page with the reason.
    let r = owner.submit(&page_path, &connect_masto, &[("server_url", &masto.url())]).await;
    let authorize = continue_link(&r.body);
    let state = url::Url::parse(&authorize)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state");
    let refused = owner
        .get(&format!("/api/v1/oauth/mastodon/callback?state={state}&error=access_denied&error_description=Nope"))
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER, "{}", refused.body);
    let to = refused.location.expect("back to the page");
    assert!(to.starts_with(&format!("{page_path}?error=")), "{to}");
    let page = owner.get(&to).await;
    assert!(page.body.contains("did not authorize Sellcast"), "{}", page.body);
    srv.stop().await;
}

on_both_backends!(sandbox_clients_health_disconnect_roles);
on_both_backends!(bluesky_app_password_and_mastodon_oauth);
