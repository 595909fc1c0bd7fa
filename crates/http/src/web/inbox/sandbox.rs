//! "Receive a test message": a made-up customer writes to a sandbox channel (a DM, a comment
//! on a published sandbox post, or a mention), through the same processing as a webhook, so a
//! new workspace can try the inbox with no accounts.

use super::form::SandboxForm;
use super::Ctx;
use crate::state::AppState;
use crate::web::error::WebResult;
use crate::web::ui::{self, excerpt, Errors};
use maud::{html, Markup};
use sellcast_app::channels::Channel;
use sellcast_app::posts::{self, PostQuery};
use sellcast_app::AppError;
use sellcast_domain::pagination::Page;
use sellcast_domain::PostStatus;

/// Published sandbox posts offered to comment on.
const POSTS_OFFERED: u32 = 20;
/// The errors of this form are kept under this prefix, apart from the reply box's.
pub(super) const PREFIX: &str = "sandbox.";

/// (platform post id, label) of the org's published posts on sandbox channels.
async fn sandbox_posts(state: &AppState, ctx: &Ctx<'_>) -> WebResult<Vec<(String, String)>> {
    let q = PostQuery { statuses: vec![PostStatus::Published, PostStatus::PartiallyPublished], ..Default::default() };
    let (app, actor, org) = (&state.app, ctx.scope.actor(), ctx.scope.org_id());
    let rows = match posts::list(app, actor, org, &q, &Page::first(POSTS_OFFERED)).await {
        Ok((rows, _)) => rows,
        Err(AppError::Forbidden(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    Ok(rows
        .iter()
        .flat_map(|p| p.variants.iter().map(move |v| (p, v)))
        .filter(|(_, v)| v.platform == "sandbox")
        .filter_map(|(p, v)| {
            let id = v.variant.platform_post_id.clone()?;
            Some((id, format!("{} · {}", excerpt(&p.post.text, 50), v.channel_handle)))
        })
        .collect())
}

fn field(errors: &Errors, name: &str, label: &str, input: Markup, hint: Option<&str>) -> Markup {
    let error = errors.get(&format!("{PREFIX}{name}"));
    html! {
        div.field.has-error[error.is_some()] {
            label for={ "sandbox-" (name) } { (label) }
            (input)
            @if let Some(m) = error { p.field-error id={ "sandbox-" (name) "-error" } { (ui::capitalize(m)) } }
            @else if let Some(h) = hint { p.hint id={ "sandbox-" (name) "-hint" } { (h) } }
        }
    }
}

/// The form, for members who may reply in a workspace with a sandbox channel; open when
/// the list is empty or the form came back with an error.
pub async fn section(
    state: &AppState,
    ctx: &Ctx<'_>,
    channels: &[Channel],
    f: &SandboxForm,
    errors: &Errors,
    list_empty: bool,
) -> WebResult<Markup> {
    let sandboxes: Vec<&Channel> = channels.iter().filter(|c| c.platform == "sandbox").collect();
    if !ctx.can_reply || sandboxes.is_empty() {
        return Ok(html! {});
    }
    let posts = sandbox_posts(state, ctx).await?;
    let failed = errors.0.iter().any(|(k, _)| k.starts_with(PREFIX));
    let val = |v: &str, default: &str| if v.is_empty() && !failed { default.to_string() } else { v.to_string() };
    let kind = if f.kind.is_empty() { "direct" } else { f.kind.as_str() };
    let described = |name: &str, hint: bool| {
        let id = format!("sandbox-{name}");
        if errors.get(&format!("{PREFIX}{name}")).is_some() {
            Some(format!("{id}-error"))
        } else {
            hint.then(|| format!("{id}-hint"))
        }
    };
    Ok(html! {
        details #try-sandbox .sandbox-try open[list_empty || failed] {
            summary { "Receive a test message" }
            form #sandbox-form method="post" action=(ctx.path("/sandbox")) data-inline novalidate {
                (ui::csrf(&ctx.scope.shell.csrf))
                input type="hidden" name="back" value=(ctx.q.filters());
                input type="hidden" name="c" value=(ctx.q.open().unwrap_or(""));
                p.hint { "A made-up customer writes to your sandbox channel; it arrives like a real message would." }
                (field(errors, "channel_id", "Sandbox channel", html! {
                    select #sandbox-channel_id name="channel_id" aria-describedby=[described("channel_id", false)] {
                        @for c in &sandboxes { option value=(c.id) selected[f.channel_id == c.id] { (c.handle) } }
                    }
                }, None))
                (field(errors, "kind", "Kind", html! {
                    select #sandbox-kind name="kind" {
                        option value="direct" selected[kind == "direct"] { "Direct message" }
                        option value="comment" selected[kind == "comment"] { "Comment on a post" }
                        option value="mention" selected[kind == "mention"] { "Mention" }
                    }
                }, None))
                (field(errors, "from_name", "From (name)", html! {
                    input #sandbox-from_name type="text" name="from_name" value=(val(&f.from_name, "Maya Customer"))
                        autocomplete="off" aria-describedby=[described("from_name", false)];
                }, None))
                (field(errors, "from_username", "Username (optional)", html! {
                    input #sandbox-from_username type="text" name="from_username" value=(f.from_username)
                        autocomplete="off" aria-describedby=[described("from_username", false)];
                }, None))
                (field(errors, "text", "Message", html! {
                    textarea #sandbox-text name="text" rows="2" aria-describedby=[described("text", false)] {
                        (val(&f.text, "Hi! Is the blue tote bag still available?"))
                    }
                }, None))
                div.sandbox-post {
                    @if posts.is_empty() {
                        (field(errors, "post_id", "Post id (for comments)", html! {
                            input #sandbox-post_id type="text" name="post_id" value=(f.post_id) autocomplete="off"
                                aria-describedby=[described("post_id", true)];
                        }, Some("A comment is on a post: publish a post to the sandbox first, then give its id on the sandbox.")))
                    } @else {
                        (field(errors, "post_id", "Post (for comments)", html! {
                            select #sandbox-post_id name="post_id" aria-describedby=[described("post_id", false)] {
                                @for (id, label) in &posts { option value=(id) selected[f.post_id == *id] { (label) } }
                            }
                        }, None))
                    }
                }
                button.primary type="submit" { "Receive it" }
            }
        }
    })
}
