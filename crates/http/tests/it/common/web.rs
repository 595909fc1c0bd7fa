//! A browser-like client for the web UI over plain HTTP: keeps cookies, does not follow
//! redirects (tests look at them), reads CSRF tokens out of pages.

use super::{TestServer, PASSWORD};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use std::collections::BTreeMap;

pub struct WebPage {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl WebPage {
    /// The value of the first `_csrf` hidden field on the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let start = self.body.find(marker).map(|i| i + marker.len()).expect("the page has a form with a CSRF token");
        let end = self.body[start..].find('"').expect("closing quote") + start;
        self.body[start..end].to_string()
    }
}

pub struct Browser<'a> {
    pub server: &'a TestServer,
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

impl<'a> Browser<'a> {
    pub fn new(server: &'a TestServer) -> Browser<'a> {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Browser { server, http, cookies: BTreeMap::new() }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn finish(&mut self, res: reqwest::Response) -> WebPage {
        for v in res.headers().get_all(SET_COOKIE) {
            let v = v.to_str().expect("ascii cookie");
            let pair = v.split(';').next().unwrap_or("");
            if let Some((k, val)) = pair.split_once('=') {
                if v.contains("Max-Age=0") || val.is_empty() {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), val.to_string());
                }
            }
        }
        let status = res.status();
        let location = res.headers().get(LOCATION).and_then(|l| l.to_str().ok()).map(str::to_string);
        WebPage { status, location, body: res.text().await.expect("body") }
    }

    pub async fn get(&mut self, path: &str) -> WebPage {
        let res = self
            .http
            .get(self.server.url(path))
            .header(COOKIE, self.cookie_header())
            .header("accept", "text/html")
            .send()
            .await
            .expect("GET");
        self.finish(res).await
    }

    /// POST a form as given (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> WebPage {
        let res = self
            .http
            .post(self.server.url(path))
            .header(COOKIE, self.cookie_header())
            .header("accept", "text/html")
            .form(fields)
            .send()
            .await
            .expect("POST");
        self.finish(res).await
    }

    /// POST a form from the page at `page_path`, with that page's CSRF token.
    pub async fn submit(&mut self, page_path: &str, action: &str, fields: &[(&str, &str)]) -> WebPage {
        let token = self.get(page_path).await.csrf();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(action, &all).await
    }

    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.contains_key(name)
    }

    /// Sign up through the form; returns the new workspace's id (from the onboarding page).
    pub async fn sign_up(&mut self, name: &str, email: &str, workspace: &str) -> String {
        let fields = [("name", name), ("email", email), ("password", PASSWORD), ("organization_name", workspace)];
        let page = self.submit("/signup", "/signup", &fields).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "sign-up redirects: {}", page.body);
        let home = self.get("/").await;
        let to = home.location.expect("/ redirects to the workspace");
        to.trim_start_matches("/o/").to_string()
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> WebPage {
        self.submit("/signin", "/signin", &[("email", email), ("password", password)]).await
    }
}
