//! The composer's form as submitted: reading its fields (repeated checkboxes, one override
//! and first comment per channel), turning it into the app layer's `PostInput`, the local
//! schedule time into a UTC instant, and the app's field names into the page's sections.

use crate::web::ui::{zone, Errors};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use sellcast_app::posts::{PostInput, PostView, VariantInput};
use sellcast_domain::ValidationErrors;
use std::collections::HashMap;

/// Prefix of a channel's override text field: `override.{channel_id}`.
pub const OVERRIDE: &str = "override.";
/// Prefix of a channel's first comment field: `comment.{channel_id}`.
pub const COMMENT: &str = "comment.";

#[derive(Debug, Default, Clone)]
pub struct ComposeForm {
    pub text: String,
    /// Selected channels, in page order.
    pub channels: Vec<String>,
    pub overrides: HashMap<String, String>,
    pub comments: HashMap<String, String>,
    /// Attached media, in page order.
    pub media: Vec<String>,
    pub tags: String,
    pub campaign: String,
    pub client_id: String,
    /// `YYYY-MM-DD` and `HH:MM` in the viewer's timezone.
    pub date: String,
    pub time: String,
    pub action: String,
}

fn push_unique(list: &mut Vec<String>, v: String) {
    if !v.is_empty() && !list.contains(&v) {
        list.push(v);
    }
}

impl ComposeForm {
    /// From the URL-encoded pairs (checkbox groups repeat their name).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> ComposeForm {
        let mut f = ComposeForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "text" => f.text = v,
                "channels" => push_unique(&mut f.channels, v),
                "media" => push_unique(&mut f.media, v),
                "tags" => f.tags = v,
                "campaign" => f.campaign = v,
                "client_id" => f.client_id = v,
                "date" => f.date = v,
                "time" => f.time = v,
                "action" => f.action = v,
                _ => {
                    if let Some(id) = k.strip_prefix(OVERRIDE) {
                        f.overrides.insert(id.to_string(), v);
                    } else if let Some(id) = k.strip_prefix(COMMENT) {
                        f.comments.insert(id.to_string(), v);
                    }
                }
            }
        }
        f
    }

    /// The form of an existing post, for its edit page.
    pub fn from_view(view: &PostView, tz: &str) -> ComposeForm {
        let mut f = ComposeForm {
            text: view.post.text.clone(),
            media: view.media_ids.clone(),
            tags: view.post.tags.join(", "),
            campaign: view.post.campaign.clone().unwrap_or_default(),
            client_id: view.post.client_id.clone().unwrap_or_default(),
            ..Default::default()
        };
        for v in &view.variants {
            f.channels.push(v.variant.channel_id.clone());
            if let Some(t) = &v.variant.text {
                f.overrides.insert(v.variant.channel_id.clone(), t.clone());
            }
            if let Some(c) = &v.variant.first_comment {
                f.comments.insert(v.variant.channel_id.clone(), c.clone());
            }
        }
        if let Some(at) = view.post.scheduled_at {
            let local = at.with_timezone(&zone(tz));
            f.date = local.format("%Y-%m-%d").to_string();
            f.time = local.format("%H:%M").to_string();
        }
        f
    }

    pub fn override_of(&self, channel_id: &str) -> &str {
        self.overrides.get(channel_id).map(String::as_str).unwrap_or("")
    }

    pub fn comment_of(&self, channel_id: &str) -> &str {
        self.comments.get(channel_id).map(String::as_str).unwrap_or("")
    }

    /// The text `channel_id` will publish: its override, or the main text.
    pub fn text_for(&self, channel_id: &str) -> &str {
        let o = self.override_of(channel_id);
        if o.trim().is_empty() {
            &self.text
        } else {
            o
        }
    }

    /// The app-layer input. `options` keeps each channel's platform options (set through the
    /// API) on an edit, since the form does not show them.
    pub fn input(&self, options: &HashMap<String, serde_json::Value>) -> PostInput {
        let variants = self
            .channels
            .iter()
            .map(|id| VariantInput {
                channel_id: id.clone(),
                text: Some(self.override_of(id).to_string()).filter(|t| !t.trim().is_empty()),
                media_ids: None,
                first_comment: Some(self.comment_of(id).to_string()).filter(|t| !t.trim().is_empty()),
                options: options.get(id).cloned(),
            })
            .collect();
        let tags = self.tags.split([',', ' ', '\n']).map(str::trim).filter(|t| !t.is_empty()).map(String::from);
        PostInput {
            text: Some(self.text.clone()),
            media_ids: Some(self.media.clone()),
            tags: Some(tags.collect()),
            campaign: Some(Some(self.campaign.clone()).filter(|c| !c.trim().is_empty())),
            client_id: Some(Some(self.client_id.clone()).filter(|c| !c.trim().is_empty())),
            variants: Some(variants),
        }
    }

    /// The schedule time, read in the viewer's timezone; the error is keyed `when`.
    pub fn when(&self, tz: &str) -> Result<DateTime<Utc>, Errors> {
        let (d, t) = (self.date.trim(), self.time.trim());
        if d.is_empty() || t.is_empty() {
            return Err(Errors::one("when", "Pick a date and a time to schedule, or save a draft."));
        }
        let date = NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| Errors::one("when", "The date must look like 2026-05-01."))?;
        let time = NaiveTime::parse_from_str(t, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
            .map_err(|_| Errors::one("when", "The time must look like 09:30."))?;
        let zone = zone(tz);
        // A time that falls in a daylight-saving gap does not exist; an ambiguous one (clocks
        // going back) is read as the first of the two.
        zone.from_local_datetime(&date.and_time(time)).earliest().map(|at| at.with_timezone(&Utc)).ok_or_else(|| {
            Errors::one("when", format!("{d} {t} does not exist in {tz} (the clocks change then). Pick another time."))
        })
    }
}

/// Where an app field error belongs on the page: `variants[i].text` → the section of the
/// i-th selected channel (`ch.{id}.text`), `media_ids[i]` → the media list, and so on.
pub fn page_errors(e: &ValidationErrors, channels: &[String]) -> Errors {
    let mut out = Vec::new();
    for f in &e.0 {
        let key = page_field(&f.field, channels);
        out.push((key, f.message.clone()));
    }
    Errors(out)
}

fn page_field(field: &str, channels: &[String]) -> String {
    if field.starts_with("media_ids") {
        return "media".into();
    }
    if field == "scheduled_at" {
        return "when".into();
    }
    let Some(rest) = field.strip_prefix("variants[") else {
        return if field == "variants" { "channels".into() } else { field.to_string() };
    };
    let Some((index, sub)) = rest.split_once(']') else { return "channels".into() };
    let Some(id) = index.parse::<usize>().ok().and_then(|i| channels.get(i)) else { return "channels".into() };
    let sub = sub.trim_start_matches('.');
    let part = match sub {
        "text" | "first_comment" => sub,
        s if s.starts_with("media") => "media",
        _ => "channel",
    };
    format!("ch.{id}.{part}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_fields_go_to_their_channel() {
        let chans = vec!["a".to_string(), "b".to_string()];
        assert_eq!(page_field("variants[1].text", &chans), "ch.b.text");
        assert_eq!(page_field("variants[0].media[2]", &chans), "ch.a.media");
        assert_eq!(page_field("variants[0].channel_id", &chans), "ch.a.channel");
        assert_eq!(page_field("variants[9].text", &chans), "channels");
        assert_eq!(page_field("variants", &chans), "channels");
        assert_eq!(page_field("media_ids[0]", &chans), "media");
        assert_eq!(page_field("scheduled_at", &chans), "when");
        assert_eq!(page_field("tags", &chans), "tags");
    }

    #[test]
    fn local_time_becomes_utc() {
        let f = ComposeForm { date: "2026-07-01".into(), time: "09:30".into(), ..Default::default() };
        let at = f.when("Europe/Paris").map_err(|e| e.0).unwrap_or_default();
        assert_eq!(at.to_rfc3339(), "2026-07-01T07:30:00+00:00");
        let gap = ComposeForm { date: "2026-03-29".into(), time: "02:30".into(), ..Default::default() };
        assert!(gap.when("Europe/Paris").is_err());
        assert!(ComposeForm::default().when("UTC").is_err());
    }

    #[test]
    fn pairs_keep_order_and_overrides() {
        let pairs = [("channels", "b"), ("channels", "a"), ("override.a", "Hi A"), ("comment.b", "c"), ("text", "t")];
        let f = ComposeForm::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        assert_eq!(f.channels, ["b", "a"]);
        assert_eq!(f.text_for("a"), "Hi A");
        assert_eq!(f.text_for("b"), "t");
        let input = f.input(&HashMap::new());
        let v = input.variants.unwrap_or_default();
        assert_eq!(v[0].first_comment.as_deref(), Some("c"));
        assert_eq!(v[1].text.as_deref(), Some("Hi A"));
    }
}
