//! What a create or update of a post carries, and how its free-form fields are cleaned.

use crate::error::{AppError, AppResult};
use serde_json::Value;

pub const TEXT_MAX: usize = 63_206;
pub const TAGS_MAX: usize = 30;

#[derive(Debug, Default, Clone)]
pub struct VariantInput {
    pub channel_id: String,
    /// None: the post's text.
    pub text: Option<String>,
    /// None: all the post's media; Some: this subset, in this order.
    pub media_ids: Option<Vec<String>>,
    pub first_comment: Option<String>,
    pub options: Option<Value>,
}

/// A create or update; `None` leaves a field as it is (update) or empty (create).
#[derive(Debug, Default, Clone)]
pub struct PostInput {
    pub text: Option<String>,
    pub media_ids: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub campaign: Option<Option<String>>,
    pub client_id: Option<Option<String>>,
    /// The full set of targets; replaces the current one.
    pub variants: Option<Vec<VariantInput>>,
}

pub(super) fn clean_tags(tags: &[String]) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().trim_start_matches('#').to_lowercase();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > 50 || t.chars().any(|c| c.is_control()) {
            return Err(AppError::validation("tags", "each tag must be at most 50 characters"));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > TAGS_MAX {
        return Err(AppError::validation("tags", format!("at most {TAGS_MAX} tags")));
    }
    Ok(out)
}

pub(super) fn clean_campaign(c: &Option<String>) -> AppResult<Option<String>> {
    let c = c.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if c.is_some_and(|c| c.chars().count() > 100) {
        return Err(AppError::validation("campaign", "must be at most 100 characters"));
    }
    Ok(c.map(str::to_string))
}
