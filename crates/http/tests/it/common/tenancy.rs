//! Helpers shared by the multi-tenancy tests: org paths, list bodies, clients, invites,
//! member roles and cursor pagination.
#![allow(dead_code)]

use super::{error_fields, Account, Response, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub fn org(org_id: &str, rest: &str) -> String {
    format!("/api/v1/orgs/{org_id}{rest}")
}

pub fn items(r: &Response) -> &Vec<Value> {
    r.body["items"].as_array().unwrap_or_else(|| panic!("no items in {}", r.body))
}

pub fn expect_validation(r: &Response, field: &str) {
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    assert!(error_fields(r).iter().any(|f| f == field), "details should name {field}: {}", r.body);
}

pub fn names(r: &Response) -> Vec<String> {
    items(r).iter().map(|c| c["name"].as_str().expect("name").to_string()).collect()
}

pub async fn create_client(srv: &TestServer, who: &Account, name: &str) -> Value {
    let r = srv.post(&org(&who.org_id, "/clients"), Some(&who.token), json!({ "name": name })).await;
    r.expect(StatusCode::CREATED, None);
    assert_eq!(r.body["name"], name);
    assert_eq!(r.body["org_id"], who.org_id.as_str());
    r.body
}

pub async fn invite(srv: &TestServer, who: &Account, email: &str, role: &str) -> Response {
    srv.post(&org(&who.org_id, "/invites"), Some(&who.token), json!({ "email": email, "role": role })).await
}

/// Roles by email as the members list shows them.
pub async fn member_roles(srv: &TestServer, who: &Account) -> BTreeMap<String, String> {
    let r = srv.get(&org(&who.org_id, "/members"), Some(&who.token)).await;
    r.expect(StatusCode::OK, None);
    items(&r)
        .iter()
        .map(|m| (m["email"].as_str().unwrap().to_string(), m["role"].as_str().unwrap().to_string()))
        .collect()
}

/// Follow `next_cursor` from `path` (which already has a `?`) and return every page.
pub async fn all_pages(srv: &TestServer, path: &str, token: &str) -> Vec<Response> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_string(),
        };
        let r = srv.get(&url, Some(token)).await;
        r.expect(StatusCode::OK, None);
        cursor = r.body["next_cursor"].as_str().map(str::to_string);
        pages.push(r);
        if cursor.is_none() {
            return pages;
        }
        assert!(pages.len() < 100, "pagination does not end");
    }
}
