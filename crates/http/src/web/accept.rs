//! What a request asks back (its `Accept` header): HTML for a browser navigating, JSON for
//! the pages' own scripts.

use axum::http::{header, HeaderMap};

fn accepts(headers: &HeaderMap, mime: &str) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains(mime))
}

/// Whether a request comes from a browser navigating (so a missing page gets the HTML 404).
pub fn wants_html(headers: &HeaderMap) -> bool {
    accepts(headers, "text/html")
}

/// Whether a page's script sent the request and reads the answer as JSON.
pub fn wants_json(headers: &HeaderMap) -> bool {
    accepts(headers, "application/json")
}
