//! The UI's own CSS and JavaScript, embedded in the binary and served under names that carry
//! a hash of their content, so browsers may cache them for a year.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

struct Asset {
    /// The source file name: `app.css`.
    file: &'static str,
    /// The served name, with the content hash: `app.3f2a9c1d6b0e.css`.
    name: String,
    body: &'static str,
    content_type: &'static str,
}

fn asset(file: &'static str, body: &'static str) -> Asset {
    let hash = hex::encode(&Sha256::digest(body.as_bytes())[..6]);
    let (stem, ext) = file.rsplit_once('.').unwrap_or((file, ""));
    let content_type = if ext == "css" { "text/css; charset=utf-8" } else { "text/javascript; charset=utf-8" };
    Asset { file, name: format!("{stem}.{hash}.{ext}"), body, content_type }
}

/// Every file under `assets/`; a page script is one more line here.
static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    vec![
        asset("app.css", include_str!("assets/app.css")),
        asset("app.js", include_str!("assets/app.js")),
        asset("compose.css", include_str!("assets/compose.css")),
        asset("compose.js", include_str!("assets/compose.js")),
        asset("posts.css", include_str!("assets/posts.css")),
        asset("settings.css", include_str!("assets/settings.css")),
        asset("channels.js", include_str!("assets/channels.js")),
        asset("calendar.css", include_str!("assets/calendar.css")),
        asset("calendar.js", include_str!("assets/calendar.js")),
        asset("dashboard.css", include_str!("assets/dashboard.css")),
        asset("inbox.css", include_str!("assets/inbox.css")),
        asset("inbox.js", include_str!("assets/inbox.js")),
    ]
});

/// The URL of an asset by its source file name (`app.css`), for `<link>` and `<script>`.
pub fn url(file: &str) -> String {
    match ASSETS.iter().find(|a| a.file == file) {
        Some(a) => format!("/assets/{}", a.name),
        None => format!("/assets/{file}"),
    }
}

pub async fn serve(Path(name): Path<String>) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, "no-store")], "no such asset").into_response();
    };
    let mut res = a.body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    res
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_asset_has_a_url() {
        assert!(super::url("app.css").ends_with(".css") && super::url("app.css") != "/assets/app.css");
        assert!(super::url("app.js").ends_with(".js") && super::url("app.js") != "/assets/app.js");
    }

    #[test]
    fn names_change_with_content() {
        let a = super::asset("app.css", "body{}");
        let b = super::asset("app.css", "body{color:red}");
        assert_ne!(a.name, b.name);
        assert!(a.name.starts_with("app.") && a.name.ends_with(".css"));
    }
}
