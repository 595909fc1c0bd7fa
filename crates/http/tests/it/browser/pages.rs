//! Every page, in one browser: a full-page screenshot at desktop and phone widths in light and
//! dark, and axe-core on each with no serious or critical violation. Problems are gathered
//! over the whole tour and reported together, page by page.

use super::driver::{screenshot_dir, Driver, Look, Session};
use super::support::{error_code, seed, sign_in};
use crate::common::{Backend, TestServer};
use std::time::Instant;

/// A page of the tour: its screenshot name and path.
struct Stop {
    name: &'static str,
    path: String,
    /// The status code of an error page this stop is meant to show.
    error: Option<&'static str>,
}

fn stop(name: &'static str, path: impl Into<String>) -> Stop {
    Stop { name, path: path.into(), error: None }
}

/// Look at the current page in every look; problems go to `problems`.
async fn tour_stop(s: &Session, st: &Stop, problems: &mut Vec<String>) {
    s.goto(&st.path).await;
    let code = error_code(s).await;
    if code.as_deref() != st.error {
        let shown = code.map(|c| format!("an error page ({c})")).unwrap_or_else(|| "the page itself".into());
        problems.push(format!("{} ({}): expected {:?}, the browser showed {shown}", st.name, st.path, st.error));
        return;
    }
    for look in Look::ALL {
        s.look(look).await;
        s.settle().await;
        s.screenshot(st.name, look).await;
        for v in s.axe().await {
            problems.push(format!("{} ({}) {}: {v}", st.name, st.path, look.suffix()));
        }
    }
}

pub async fn every_page(b: Backend) {
    let started = Instant::now();
    let srv = TestServer::start(b).await;
    let data = seed(&srv).await;
    let org = |rest: &str| format!("/o/{}{rest}", data.owner.org_id);
    let driver = Driver::start().await;
    let s = driver.session(&srv.base).await;
    let mut problems = Vec::new();

    let signed_out = [
        stop("signin", "/signin"),
        stop("signup", "/signup"),
        stop("forgot-password", "/forgot-password"),
        stop("reset-password", "/reset-password?token=a-token-from-the-mail"),
        stop("invite", format!("/invites/accept?token={}", data.invite_token)),
    ];
    for st in &signed_out {
        tour_stop(&s, st, &mut problems).await;
    }

    s.look(Look::ALL[0]).await;
    sign_in(&s, &data.owner.email).await;
    let signed_in = [
        stop("onboarding", "/onboarding"),
        stop("dashboard", org("")),
        stop("inbox", org("/inbox")),
        stop("compose", org("/compose")),
        stop("calendar-month", org("/calendar?view=month")),
        stop("calendar-week", org("/calendar?view=week")),
        stop("posts", org("/posts")),
        stop("post", org(&format!("/posts/{}", data.post_id))),
        stop("channels", org("/channels")),
        stop("settings", org("/settings")),
        stop("settings-members", org("/settings/members")),
        stop("settings-clients", org("/settings/clients")),
        stop("settings-audit", org("/settings/audit")),
        stop("notifications", "/notifications"),
        stop("account", "/account"),
        stop("admin-jobs", "/admin/jobs?state=all"),
        Stop { name: "not-found", path: org("/no-such-page"), error: Some("404") },
    ];
    for st in &signed_in {
        tour_stop(&s, st, &mut problems).await;
    }
    s.close().await;
    srv.stop().await;
    let pages = signed_out.len() + signed_in.len();
    println!(
        "{pages} pages × {} looks in {:.1} s; screenshots in {}",
        Look::ALL.len(),
        started.elapsed().as_secs_f64(),
        screenshot_dir().display()
    );
    assert!(problems.is_empty(), "{} problem(s) on the pages:\n\n{}", problems.len(), problems.join("\n"));
}
