//! The web UI in a real browser: Debian's headless Chromium driven through chromedriver
//! against the real server. The main flow (sign up → onboarding → sandbox → compose → calendar
//! → reschedule → live publish), the team (invite and accept in a second browser, a viewer's
//! limits, CSRF), the inbox (a test message arriving live, a reply turning delivered live, the
//! WhatsApp template form), and every page screenshotted at desktop and phone widths in light
//! and dark, each checked by axe-core with no serious or critical violation.
//!
//! Needs /usr/bin/chromium, /usr/bin/chromedriver and .ci/axe/node_modules (CI installs them:
//! .ci/lib.sh `ensure_browser`); without them these tests fail saying so.
//! Screenshots: target/screenshots/<page>-<desktop|phone>-<light|dark>.png.

mod driver;
mod flow;
mod inbox;
mod pages;
mod support;
mod team;

use crate::common::Backend;

/// One browser at a time: the machines have two cores, and a browser starved by another one
/// makes waits slow rather than wrong, but there is no reason to risk it.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn main_flow_from_sign_up_to_a_live_published_post() {
    let _one = ONE_BROWSER.lock().await;
    flow::main_flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn main_flow_on_postgres() {
    let _one = ONE_BROWSER.lock().await;
    flow::main_flow(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_accept_viewer_limits_and_csrf() {
    let _one = ONE_BROWSER.lock().await;
    team::team(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_live_reply_and_whatsapp_template() {
    let _one = ONE_BROWSER.lock().await;
    inbox::inbox(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_screenshotted_and_accessible() {
    let _one = ONE_BROWSER.lock().await;
    pages::every_page(Backend::Sqlite).await;
}
