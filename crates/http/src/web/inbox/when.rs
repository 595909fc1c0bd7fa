//! Times as the inbox shows them: "5 min" ago in the list, "closes in 5 h" for the reply
//! window, message times in the viewer's timezone, and the snooze field's local time.

use crate::web::ui::zone;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use maud::{html, Markup};

/// How long ago, in a few characters: "now", "12 min", "3 h", "2 d", then the date.
pub fn ago(at: DateTime<Utc>, now: DateTime<Utc>, tz: &str) -> String {
    let secs = (now - at).num_seconds().max(0);
    match secs {
        0..=59 => "now".into(),
        60..=3599 => format!("{} min", secs / 60),
        3600..=86_399 => format!("{} h", secs / 3600),
        86_400..=604_799 => format!("{} d", secs / 86_400),
        _ => {
            let local = at.with_timezone(&zone(tz));
            let same_year = local.format("%Y").to_string() == now.with_timezone(&zone(tz)).format("%Y").to_string();
            local.format(if same_year { "%-d %b" } else { "%-d %b %Y" }).to_string()
        }
    }
}

/// A `<time>` saying how long ago, with the full local time as its tooltip.
pub fn ago_time(at: DateTime<Utc>, now: DateTime<Utc>, tz: &str) -> Markup {
    let local = at.with_timezone(&zone(tz));
    html! { time datetime=(at.to_rfc3339()) title=(local.format("%a %-d %b %Y, %H:%M")) { (ago(at, now, tz)) } }
}

/// How long until `end`, rounded down: "35 min", "5 h".
pub fn remaining(end: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let mins = (end - now).num_minutes().max(0);
    if mins < 60 {
        format!("{} min", mins.max(1))
    } else {
        format!("{} h", mins / 60)
    }
}

/// The hour and minute of a message in the viewer's timezone, the full time as tooltip.
pub fn clock(at: DateTime<Utc>, tz: &str) -> Markup {
    let local = at.with_timezone(&zone(tz));
    html! { time datetime=(at.to_rfc3339()) title=(local.format("%a %-d %b %Y, %H:%M")) { (local.format("%H:%M")) } }
}

/// The day heading above a day's messages: "Today", "Yesterday" or the date.
pub fn day_label(at: DateTime<Utc>, now: DateTime<Utc>, tz: &str) -> String {
    let z = zone(tz);
    let (day, today) = (at.with_timezone(&z).date_naive(), now.with_timezone(&z).date_naive());
    match (today - day).num_days() {
        0 => "Today".into(),
        1 => "Yesterday".into(),
        _ => day.format("%A %-d %B %Y").to_string(),
    }
}

/// The value of a `datetime-local` field for `at` in the viewer's timezone.
pub fn local_input(at: DateTime<Utc>, tz: &str) -> String {
    at.with_timezone(&zone(tz)).format("%Y-%m-%dT%H:%M").to_string()
}

/// A `datetime-local` value (`2026-05-01T09:30`) in the viewer's timezone as an instant; None
/// when it is not one (or falls in a DST gap).
pub fn parse_local(raw: &str, tz: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    zone(tz).from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn relative_times_and_windows() {
        let now = at("2027-03-14T12:00:00Z");
        assert_eq!(ago(at("2027-03-14T11:59:30Z"), now, "UTC"), "now");
        assert_eq!(ago(at("2027-03-14T11:48:00Z"), now, "UTC"), "12 min");
        assert_eq!(ago(at("2027-03-14T07:00:00Z"), now, "UTC"), "5 h");
        assert_eq!(ago(at("2027-03-12T12:00:00Z"), now, "UTC"), "2 d");
        assert_eq!(ago(at("2027-01-02T12:00:00Z"), now, "UTC"), "2 Jan");
        assert_eq!(ago(at("2026-01-02T12:00:00Z"), now, "UTC"), "2 Jan 2026");
        assert_eq!(remaining(at("2027-03-14T17:20:00Z"), now), "5 h");
        assert_eq!(remaining(at("2027-03-14T12:35:00Z"), now), "35 min");
        assert_eq!(day_label(at("2027-03-13T23:30:00Z"), now, "Europe/Paris"), "Today");
        assert_eq!(day_label(at("2027-03-13T12:00:00Z"), now, "UTC"), "Yesterday");
    }

    #[test]
    fn snooze_times_are_local() {
        let t = parse_local("2027-07-01T09:30", "Europe/Paris").unwrap();
        assert_eq!(t, at("2027-07-01T07:30:00Z"));
        assert_eq!(local_input(t, "Europe/Paris"), "2027-07-01T09:30");
        assert!(parse_local("tomorrow", "UTC").is_none());
        assert!(parse_local("2027-03-28T02:30", "Europe/Paris").is_none(), "a time the clocks skip");
    }
}
