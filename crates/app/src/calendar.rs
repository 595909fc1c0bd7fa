//! The calendar: scheduled posts grouped by day in the viewer's timezone, and an iCal feed
//! of them at a secret per-user URL (only a hash of the secret is stored).

use crate::authorize::authorize;
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::security::tokens::{random_token, token_hash};
use crate::App;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use sellcast_domain::{Permission, PostStatus, VariantStatus};
use sellcast_store::calendar_page::{self, TargetRow};
use sellcast_store::posts::{self, PostRow};
use sellcast_store::{calendar, orgs};
use serde::Serialize;
use std::collections::HashMap;

/// The longest range one calendar request may cover.
pub const MAX_DAYS: i64 = 62;

#[derive(Debug, Clone, Serialize)]
pub struct CalendarChannel {
    pub channel_id: String,
    pub platform: String,
    pub handle: String,
    pub status: VariantStatus,
}

#[derive(Debug, Clone, Serialize)]
pub struct CalendarPost {
    pub id: String,
    pub status: PostStatus,
    pub scheduled_at: DateTime<Utc>,
    /// HH:MM in the requested timezone.
    pub local_time: String,
    pub text: String,
    pub client_id: Option<String>,
    pub channels: Vec<CalendarChannel>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Day {
    /// YYYY-MM-DD in the requested timezone.
    pub date: String,
    pub posts: Vec<CalendarPost>,
}

pub fn parse_tz(tz: &str) -> AppResult<Tz> {
    tz.parse::<Tz>()
        .map_err(|_| AppError::validation("tz", format!("'{tz}' is not an IANA timezone such as Europe/Paris")))
}

/// The UTC instant of local midnight starting `date` (the earliest, across DST changes).
fn midnight(tz: Tz, date: NaiveDate) -> AppResult<DateTime<Utc>> {
    let local = date.and_time(NaiveTime::MIN);
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(local + Duration::hours(1))).earliest())
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| AppError::validation("from", "this day does not exist in that timezone"))
}

pub struct Query<'a> {
    pub from: NaiveDate,
    /// Exclusive.
    pub to: NaiveDate,
    pub tz: &'a str,
    pub channel_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
}

/// Every day in [from, to), each with its posts in time order.
pub async fn days(app: &App, actor: &Actor, org_id: &str, q: &Query<'_>) -> AppResult<Vec<Day>> {
    authorize(app, actor, org_id, Permission::PostRead).await?;
    let tz = parse_tz(q.tz)?;
    let span = (q.to - q.from).num_days();
    if span <= 0 {
        return Err(AppError::validation("to", "must be after from"));
    }
    if span > MAX_DAYS {
        return Err(AppError::validation("to", format!("the range may cover at most {MAX_DAYS} days")));
    }
    let (start, end) = (midnight(tz, q.from)?, midnight(tz, q.to)?);
    // Two statements whatever the month holds: the posts, their variants with their channels.
    let range = calendar_page::Range { org_id, from: start, to: end, client_id: q.client_id, limit: 5000 };
    let page = calendar_page::read(&app.db, &range).await?;
    let mut targets: HashMap<&str, Vec<&TargetRow>> = HashMap::new();
    for t in &page.targets {
        targets.entry(t.post_id.as_str()).or_default().push(t);
    }
    let mut days: Vec<Day> =
        (0..span).map(|i| Day { date: (q.from + Duration::days(i)).to_string(), posts: Vec::new() }).collect();
    for post in page.entries {
        let chans: Vec<CalendarChannel> = targets
            .remove(post.id.as_str())
            .unwrap_or_default()
            .into_iter()
            .filter(|t| t.channel_org_id.as_deref() == Some(org_id))
            .map(|t| CalendarChannel {
                channel_id: t.channel_id.clone(),
                platform: t.channel_platform.clone().unwrap_or_default(),
                handle: t.channel_handle.clone().unwrap_or_default(),
                status: t.status,
            })
            .collect();
        if q.channel_id.is_some_and(|id| !chans.iter().any(|c| c.channel_id == id)) {
            continue;
        }
        let at = post.scheduled_at;
        let local = at.with_timezone(&tz);
        let date = local.date_naive().to_string();
        // Days are in order: the index of this one is its distance from the first.
        let index = (local.date_naive() - q.from).num_days();
        if let Some(day) = usize::try_from(index).ok().and_then(|i| days.get_mut(i)).filter(|d| d.date == date) {
            day.posts.push(CalendarPost {
                id: post.id,
                status: post.status,
                scheduled_at: at,
                local_time: local.format("%H:%M").to_string(),
                text: post.text.chars().take(calendar_page::TEXT_CHARS).collect(),
                client_id: post.client_id,
                channels: chans,
            });
        }
    }
    Ok(days)
}

/// Create (or replace) the user's secret feed URL. The secret is shown only now.
pub async fn create_feed(app: &App, actor: &Actor) -> AppResult<String> {
    let token = random_token();
    let mut tx = app.db.begin().await?;
    calendar::set_feed(tx.conn(), &actor.user_id, &token_hash(&token), app.clock.now()).await?;
    tx.commit().await?;
    Ok(format!("{}/ical/{token}.ics", app.config.public_url()))
}

pub async fn delete_feed(app: &App, actor: &Actor) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    calendar::delete_feed(tx.conn(), &actor.user_id).await?;
    tx.commit().await?;
    Ok(())
}

/// The iCalendar document for a feed secret: the user's scheduled and published posts from
/// 30 days back to 180 days ahead, across their organizations.
pub async fn feed(app: &App, token: &str) -> AppResult<String> {
    let mut c = app.db.read().await?;
    let user_id =
        calendar::feed_owner(c.conn(), &token_hash(token)).await?.ok_or(AppError::NotFound("calendar feed"))?;
    let org_ids: Vec<String> =
        orgs::for_user(c.conn(), &user_id, None, 1000).await?.into_iter().map(|o| o.id).collect();
    let now = app.clock.now();
    let rows = posts::in_range(c.conn(), &org_ids, now - Duration::days(30), now + Duration::days(180), 5000).await?;
    Ok(ical(&app.config.public_url(), &rows, now))
}

fn ical(base: &str, rows: &[PostRow], now: DateTime<Utc>) -> String {
    let stamp = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let mut out = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Sellcast//Scheduled posts//EN\r\nCALSCALE:GREGORIAN\r\nX-WR-CALNAME:Sellcast posts\r\n");
    for p in rows {
        let Some(at) = p.scheduled_at else { continue };
        let summary: String = p.text.chars().take(80).collect();
        let lines = [
            "BEGIN:VEVENT".to_string(),
            format!("UID:{}@sellcast", p.id),
            format!("DTSTAMP:{}", stamp(now)),
            format!("DTSTART:{}", stamp(at)),
            format!("DTEND:{}", stamp(at + Duration::minutes(15))),
            format!("SUMMARY:{}", escape(&format!("[{}] {}", p.status, summary))),
            format!("DESCRIPTION:{}", escape(&p.text)),
            // The post's page in the web UI (members only: others are sent to sign in).
            format!("URL:{base}/o/{}/posts/{}", p.org_id, p.id),
            "END:VEVENT".to_string(),
        ];
        for l in lines {
            out.push_str(&fold(&l));
        }
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

/// RFC 5545 §3.3.11 text escaping.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace("\r\n", "\\n").replace(['\n', '\r'], "\\n")
}

/// RFC 5545 §3.1: lines of at most 75 octets, continued with CRLF + space.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for ch in line.chars() {
        let n = ch.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(ch);
        width += n;
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_and_escaping_follow_rfc5545() {
        let long = "x".repeat(200);
        let folded = fold(&format!("DESCRIPTION:{long}"));
        assert!(folded.split("\r\n").all(|l| l.len() <= 75), "{folded}");
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let emoji = fold(&"é".repeat(80));
        assert!(emoji.split("\r\n").all(|l| l.len() <= 75));
    }

    #[test]
    fn midnight_in_a_timezone() {
        let tz = parse_tz("Europe/Paris").unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        assert_eq!(midnight(tz, d).unwrap().to_rfc3339(), "2026-06-30T22:00:00+00:00");
        assert!(parse_tz("Mars/Olympus").is_err());
    }
}
