//! What Facebook Pages, Instagram (through Facebook Login) and Threads share: the Graph API
//! call helpers (access token placement, error classification), container status polling,
//! searching an account's recent posts after an unknown outcome, and Facebook Login.
//!
//! Sources: https://developers.facebook.com/docs/graph-api/guides/error-handling,
//! https://developers.facebook.com/docs/graph-api/overview/rate-limiting,
//! https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow,
//! https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
//! (docs/platforms/facebook.md, instagram.md, threads.md).

pub mod error;
pub mod login;
pub mod webhook;

use crate::client::{self, Effect, HttpClient};
use crate::error::{PlatformError, PlatformResult};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

pub use error::{classify_graph_error, parse_graph_error, usage_retry_at, GraphError};

/// The Graph API version Sellcast speaks.
pub const GRAPH_API_VERSION: &str = "v21.0";

/// Where the Graph API and the Facebook Login dialog are (Facebook and Instagram).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaConfig {
    /// Versioned Graph API base, e.g. `https://graph.facebook.com/v21.0`.
    pub graph_url: String,
    /// The Facebook Login dialog, e.g. `https://www.facebook.com/v21.0/dialog/oauth`.
    pub dialog_url: String,
}

impl Default for MetaConfig {
    fn default() -> Self {
        MetaConfig {
            graph_url: format!("https://graph.facebook.com/{GRAPH_API_VERSION}"),
            dialog_url: format!("https://www.facebook.com/{GRAPH_API_VERSION}/dialog/oauth"),
        }
    }
}

impl MetaConfig {
    /// Both URLs on one server (a fake, or a proxy): `{base}/v21.0` and `{base}/v21.0/dialog/oauth`.
    pub fn with_base(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        MetaConfig {
            graph_url: format!("{base}/{GRAPH_API_VERSION}"),
            dialog_url: format!("{base}/{GRAPH_API_VERSION}/dialog/oauth"),
        }
    }

    pub(crate) fn graph(&self, path: &str) -> String {
        format!("{}/{}", self.graph_url.trim_end_matches('/'), path.trim_start_matches('/'))
    }
}

/// How long to wait for Instagram/Threads to process a media container before publishing it.
/// Meta suggests checking "once per minute, for no more than 5 minutes"; images are usually
/// ready at the first check, so Sellcast checks sooner and gives up sooner (a retry simply
/// creates a new container: containers that are never published expire after 24 h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerPolling {
    pub interval: Duration,
    pub max_polls: u32,
}

impl Default for ContainerPolling {
    fn default() -> Self {
        ContainerPolling { interval: Duration::from_secs(3), max_polls: 40 }
    }
}

/// Graph object ids are digits, letters and underscores; anything else would change the path.
pub(crate) fn node_id(id: &str) -> PlatformResult<&str> {
    let ok = !id.is_empty() && id.len() <= 128 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(id)
    } else {
        Err(PlatformError::permanent(None, "the account or post id is not a valid Graph API id"))
    }
}

/// GET with the token in the query string (as the Graph API documents it).
pub(crate) async fn graph_get<T: DeserializeOwned>(
    http: &HttpClient,
    url: &str,
    token: &str,
    query: &[(&str, &str)],
) -> PlatformResult<T> {
    let req = http.inner.get(url).query(query).query(&[("access_token", token)]);
    let resp = client::send(req, Effect::Read).await?;
    read(resp, Effect::Read).await
}

/// GET without an access token (the OAuth endpoints take the app's credentials instead).
pub(crate) async fn graph_get_public<T: DeserializeOwned>(
    http: &HttpClient,
    url: &str,
    query: &[(&str, &str)],
) -> PlatformResult<T> {
    let resp = client::send(http.inner.get(url).query(query), Effect::Read).await?;
    read(resp, Effect::Read).await
}

/// POST a form with the token as a form field. `Effect::Create` only for the calls that make
/// something visible (a post, a publish): a lost answer to those is an unknown outcome.
pub(crate) async fn graph_post<T: DeserializeOwned>(
    http: &HttpClient,
    url: &str,
    token: &str,
    form: &[(&str, String)],
    effect: Effect,
) -> PlatformResult<T> {
    let mut fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fields.push(("access_token", token));
    let resp = client::send(http.inner.post(url).form(&fields), effect).await?;
    read(resp, effect).await
}

pub(crate) async fn graph_delete(http: &HttpClient, url: &str, token: &str) -> PlatformResult<()> {
    let req = http.inner.delete(url).query(&[("access_token", token)]);
    let resp = client::send(req, Effect::Read).await?;
    let _: Value = read(resp, Effect::Read).await?;
    Ok(())
}

/// A success body as JSON, or the Graph error classified.
pub(crate) async fn read<T: DeserializeOwned>(resp: reqwest::Response, effect: Effect) -> PlatformResult<T> {
    if resp.status().is_success() {
        return client::json(resp, effect).await;
    }
    let (status, headers, body) = client::error_body(resp).await;
    Err(classify_graph_error(status, &headers, &body, Utc::now()))
}

/// `{"id": "..."}`, the answer to every create.
#[derive(Debug, Deserialize)]
pub(crate) struct Created {
    pub id: String,
}

/// A Graph id that may come as a string or a number (Threads' `user_id`).
pub(crate) fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Graph timestamps: `2024-05-01T12:00:00+0000` (also RFC 3339 and Unix seconds).
pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z") {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(t.and_utc());
    }
    s.parse::<i64>().ok().and_then(|secs| DateTime::from_timestamp(secs, 0))
}

/// Whether a listed post carries the text we published (platforms may trim whitespace).
pub(crate) fn same_text(listed: Option<&str>, published: &str) -> bool {
    listed.unwrap_or("").trim() == published.trim()
}

/// Which container API is being polled: the field names differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContainerKind {
    /// `status_code`, with `status` as the detail.
    Instagram,
    /// `status`, with `error_message` as the detail.
    Threads,
}

/// Wait until a container is FINISHED. ERROR/EXPIRED are permanent (the media was refused);
/// still IN_PROGRESS after the polling budget is retryable (nothing was published).
pub(crate) async fn wait_for_container(
    http: &HttpClient,
    container_url: &str,
    token: &str,
    kind: ContainerKind,
    polling: ContainerPolling,
) -> PlatformResult<()> {
    let (fields, status_field, detail_field, network) = match kind {
        ContainerKind::Instagram => ("status_code,status", "status_code", "status", "Instagram"),
        ContainerKind::Threads => ("status,error_message", "status", "error_message", "Threads"),
    };
    for poll in 0..polling.max_polls.max(1) {
        if poll > 0 {
            tokio::time::sleep(polling.interval).await;
        }
        let v: Value = graph_get(http, container_url, token, &[("fields", fields)]).await?;
        let status = v.get(status_field).and_then(Value::as_str).unwrap_or("");
        let detail = v.get(detail_field).and_then(Value::as_str).unwrap_or("no detail given");
        match status {
            "FINISHED" | "PUBLISHED" => return Ok(()),
            "ERROR" => {
                return Err(PlatformError::permanent(
                    None,
                    format!("{network} could not process the media (container status ERROR: {detail})"),
                ))
            }
            "EXPIRED" => {
                return Err(PlatformError::permanent(
                    None,
                    format!("the {network} media container expired before it was published (status EXPIRED)"),
                ))
            }
            _ => {}
        }
    }
    Err(PlatformError::retryable(format!(
        "{network} was still processing the media after {} checks",
        polling.max_polls.max(1)
    )))
}

/// One page of a Graph listing.
#[derive(Debug, Deserialize)]
struct Listing {
    #[serde(default)]
    data: Vec<Value>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Debug, Deserialize)]
struct Paging {
    #[serde(default)]
    cursors: Option<Cursors>,
    #[serde(default)]
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Cursors {
    #[serde(default)]
    after: Option<String>,
}

/// What to look for in an account's listing after an unknown outcome.
pub(crate) struct ListingSearch<'a> {
    /// The listing edge, e.g. `{graph}/{page-id}/feed`.
    pub url: String,
    pub fields: &'a str,
    pub text_field: &'a str,
    pub time_field: &'a str,
    pub text: &'a str,
    pub since: DateTime<Utc>,
}

/// Pages searched before giving up: beyond this the absence is not proven.
const MAX_LISTING_PAGES: usize = 10;
const LISTING_PAGE_SIZE: &str = "100";

/// The newest item since `since` whose text matches; `None` once the listing is exhausted or
/// older than `since` (proof of absence); `Retryable` when the search budget ran out first.
pub(crate) async fn find_in_listing(
    http: &HttpClient,
    token: &str,
    search: &ListingSearch<'_>,
) -> PlatformResult<Option<Value>> {
    // A little slack for clocks that disagree.
    let since = search.since - chrono::Duration::minutes(5);
    let since_param = since.timestamp().to_string();
    let mut after: Option<String> = None;
    for _ in 0..MAX_LISTING_PAGES {
        let mut query = vec![("fields", search.fields), ("since", since_param.as_str()), ("limit", LISTING_PAGE_SIZE)];
        if let Some(a) = after.as_deref() {
            query.push(("after", a));
        }
        let page: Listing = graph_get(http, &search.url, token, &query).await?;
        let mut older_seen = false;
        for item in &page.data {
            let at = item.get(search.time_field).and_then(Value::as_str).and_then(parse_time);
            if at.is_some_and(|t| t < since) {
                older_seen = true;
                continue;
            }
            if same_text(item.get(search.text_field).and_then(Value::as_str), search.text) {
                return Ok(Some(item.clone()));
            }
        }
        let paging = page.paging.as_ref();
        let next_cursor = paging.and_then(|p| p.cursors.as_ref()).and_then(|c| c.after.clone());
        let has_next = paging.is_some_and(|p| p.next.is_some());
        if older_seen || page.data.is_empty() || !has_next || next_cursor.is_none() {
            return Ok(None);
        }
        after = next_cursor;
    }
    Err(PlatformError::retryable("too many recent posts to search for the unconfirmed one; will look again"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn graph_timestamps_parse() {
        let want = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        assert_eq!(parse_time("2024-05-01T12:00:00+0000"), Some(want));
        assert_eq!(parse_time("2024-05-01T14:00:00+02:00"), Some(want));
        assert_eq!(parse_time(&want.timestamp().to_string()), Some(want));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn node_ids_cannot_change_the_path() {
        assert!(node_id("1234_5678").is_ok());
        assert!(node_id("me").is_ok());
        assert!(node_id("12/../me").is_err());
        assert!(node_id("12?x=1").is_err());
        assert!(node_id("").is_err());
    }

    #[test]
    fn config_on_one_base() {
        let c = MetaConfig::with_base("http://127.0.0.1:9/");
        assert_eq!(c.graph_url, "http://127.0.0.1:9/v21.0");
        assert_eq!(c.graph("/me/accounts"), "http://127.0.0.1:9/v21.0/me/accounts");
        assert_eq!(MetaConfig::default().graph_url, "https://graph.facebook.com/v21.0");
    }
}
