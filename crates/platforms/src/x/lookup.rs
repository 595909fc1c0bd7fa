//! Finding a post after an unknown outcome: the account's timeline
//! (`GET /2/users/:id/tweets`) from the first attempt on, matched on the text.
//!
//! X returns a post's text with `&`, `<` and `>` as HTML entities, URLs shortened to t.co links,
//! and a t.co link to the attached media appended; both sides are normalized before comparing.
//! The timeline reaches back at most 3,200 posts, so "not found" is only claimed when the
//! listing ended inside the window.

use super::XAdapter;
use crate::adapter::{Credentials, PublishRequest};
use crate::client::Effect;
use crate::error::{PlatformError, PlatformResult};
use chrono::SecondsFormat;
use serde::Deserialize;

/// Clock skew allowed between Sellcast and X when searching from the first attempt.
const SKEW: chrono::Duration = chrono::Duration::minutes(2);
const PAGE_SIZE: &str = "100";
/// 3,200 posts, the most the timeline returns.
const MAX_PAGES: usize = 32;

#[derive(Debug, Deserialize)]
struct Listed {
    id: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    referenced_tweets: Vec<Reference>,
}

#[derive(Debug, Deserialize)]
struct Reference {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Debug, Default, Deserialize)]
struct Meta {
    #[serde(default)]
    next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<Listed>,
    #[serde(default)]
    meta: Meta,
}

/// The id of the post matching `req`, or None when the whole window was listed without it.
pub(super) async fn find_in_timeline(
    x: &XAdapter,
    creds: &Credentials,
    user_id: &str,
    req: &PublishRequest,
) -> PlatformResult<Option<String>> {
    let since = req.first_attempt_at - SKEW;
    let start_time = since.to_rfc3339_opts(SecondsFormat::Secs, true);
    let wanted = normalize(&req.text);
    let url = x.api(&format!("/2/users/{user_id}/tweets"));
    let mut token: Option<String> = None;
    let mut best: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut query = vec![
            ("max_results", PAGE_SIZE.to_string()),
            ("start_time", start_time.clone()),
            ("tweet.fields", "referenced_tweets".to_string()),
        ];
        if let Some(t) = token.take() {
            query.push(("pagination_token", t));
        }
        let request = x.authed(x.http.raw().get(&url), creds).query(&query);
        let page: Page = x.call_json(request, Effect::Read).await?;
        for post in page.data {
            // The first comment is a reply: never mistake it for the post.
            let is_reply = post.referenced_tweets.iter().any(|r| r.kind == "replied_to");
            if is_reply || normalize(&post.text) != wanted {
                continue;
            }
            // Newest first: keep the oldest match, the first attempt's post.
            best = Some(post.id);
        }
        match page.meta.next_token.filter(|t| !t.is_empty()) {
            Some(next) => token = Some(next),
            None => return Ok(best),
        }
    }
    match best {
        Some(id) => Ok(Some(id)),
        None => Err(PlatformError::retryable(
            "the X timeline has more posts since the first attempt than can be listed: the outcome stays unknown",
        )),
    }
}

/// Text as X shows it back, reduced to what survives the round trip: entities decoded, every
/// URL replaced by one marker (X shortens them), trailing media links dropped, whitespace
/// collapsed.
pub(super) fn normalize(text: &str) -> String {
    let decoded = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    let mut words: Vec<&str> = decoded
        .split_whitespace()
        .map(|w| if w.starts_with("http://") || w.starts_with("https://") { "\u{1}url" } else { w })
        .collect();
    // X appends a link to the attached media; Sellcast's own text may end with links too,
    // which is why links are compared as markers and trailing ones dropped on both sides.
    while words.last() == Some(&"\u{1}url") {
        words.pop();
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn text_survives_x_round_trip() {
        let sent = "Q&A <today> at https://example.com/a?b=1&c=2 — see you";
        let shown = "Q&amp;A &lt;today&gt; at https://t.co/abc123 — see you https://t.co/media9";
        assert_eq!(normalize(sent), normalize(shown));
        assert_ne!(normalize("hello world"), normalize("hello world!"));
        assert_eq!(normalize("line one\nline  two"), normalize("line one line two"));
    }
}
