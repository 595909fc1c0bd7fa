//! A team in real browsers: the owner invites from Settings → Members, the invitee accepts
//! from the mailed link in a second browser; a viewer sees no composer and gets the 403 page
//! when posting the compose form anyway; a form without its CSRF token is refused.

use super::driver::{Driver, Session};
use super::support::{error_code, invite_link, org_in_path, posts_of, sign_in, sign_up};
use crate::common::{Backend, TestServer};
use serde_json::json;

/// Post a form to `action` from the current page, the way a crafted page or an old tab would
/// (with the page's CSRF token, so only the permission check can refuse it).
async fn post_form(s: &Session, action: &str, fields: &[(&str, &str)]) {
    let script = "const [action, fields] = arguments; \
        const f = document.createElement('form'); f.method = 'post'; f.action = action; \
        const add = (k, v) => { const i = document.createElement('input'); i.type = 'hidden'; \
                                i.name = k; i.value = v; f.appendChild(i); }; \
        add('_csrf', document.body.dataset.csrf); \
        fields.forEach(([k, v]) => add(k, v)); \
        document.body.appendChild(f); window.__sellcastOld = true; f.submit();";
    s.js(script, vec![json!(action), json!(fields)]).await;
    s.until("the form's answer", || async {
        let r = s.client.execute("return !window.__sellcastOld && document.readyState === 'complete'", vec![]);
        r.await.ok() == Some(json!(true))
    })
    .await;
}

pub async fn team(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@team.test").await;
    let org = owner.org_id.clone();
    let r = srv
        .post(&format!("/api/v1/orgs/{org}/channels/connect"), Some(&owner.token), json!({"platform": "sandbox"}))
        .await;
    r.expect(reqwest::StatusCode::CREATED, None);
    let driver = Driver::start().await;

    // The owner invites Mia as an editor.
    let a = driver.session(&srv.base).await;
    sign_in(&a, &owner.email).await;
    a.goto(&format!("/o/{org}/settings/members")).await;
    a.fill("#invite-form #f-email", "mia@team.test").await;
    a.find("#f-role option[value='editor']").await.click().await.expect("pick the editor role");
    a.click_and_load("#invite-form button[type=submit]").await;
    assert!(a.text("main").await.contains("mia@team.test"), "the pending invite is listed");

    // Mia opens the mailed link in her own browser and creates her account.
    let link = invite_link(&srv, "mia@team.test").await;
    let b2 = driver.session(&srv.base).await;
    b2.goto(&link).await;
    b2.click_and_load("a[href^='/signup?invite=']").await;
    sign_up(&b2, "Mia Editor", "mia@team.test", None).await;
    assert_eq!(org_in_path(&b2).await, org, "Mia lands in the workspace she was invited to");
    assert!(b2.has("nav a.nav-item[href$='/compose']").await, "an editor may compose");
    b2.close().await;
    a.goto(&format!("/o/{org}/settings/members")).await;
    assert!(a.text("main").await.contains("Mia Editor"), "Mia is a member");

    // A viewer: no composer in the navigation, the 403 page on the composer and on its form.
    srv.add_member(&owner, "vic@team.test", "viewer").await;
    let c = driver.session(&srv.base).await;
    sign_in(&c, "vic@team.test").await;
    c.goto(&format!("/o/{org}")).await;
    assert!(c.has("nav a.nav-item[href$='/posts']").await, "a viewer reads the posts");
    assert!(!c.has("nav a.nav-item[href$='/compose']").await, "no composer for a viewer");
    c.goto(&format!("/o/{org}/compose")).await;
    assert_eq!(error_code(&c).await.as_deref(), Some("403"));
    c.goto(&format!("/o/{org}")).await;
    post_form(&c, &format!("/o/{org}/compose"), &[("text", "A viewer's post"), ("action", "draft")]).await;
    assert_eq!(error_code(&c).await.as_deref(), Some("403"), "posting the form directly is refused");
    assert!(posts_of(&srv, &owner.token, &org).await.is_empty(), "nothing was created");
    c.close().await;

    // The owner's own form without its CSRF token: refused, nothing saved; with it: saved.
    a.goto(&format!("/o/{org}/compose")).await;
    a.fill("#f-text", "Saved without a token?").await;
    a.js("document.querySelectorAll('#compose-form input[name=_csrf]').forEach((i) => i.remove())", vec![]).await;
    a.click_and_load("#compose-form button[name=action][value=draft]").await;
    assert_eq!(error_code(&a).await.as_deref(), Some("403"), "a form without its CSRF token is refused");
    assert!(posts_of(&srv, &owner.token, &org).await.is_empty(), "nothing was saved");
    a.goto(&format!("/o/{org}/compose")).await;
    a.fill("#f-text", "Saved with the token.").await;
    a.click_and_load("#compose-form button[name=action][value=draft]").await;
    assert_eq!(error_code(&a).await, None);
    let posts = posts_of(&srv, &owner.token, &org).await;
    assert_eq!(posts.len(), 1, "the same form with its token saves: {posts:?}");
    assert_eq!(posts[0]["text"], "Saved with the token.");
    a.close().await;
    srv.stop().await;
}
