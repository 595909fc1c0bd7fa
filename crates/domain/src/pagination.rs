//! Cursor pagination (DESIGN.md): `?limit=&cursor=` → `{items, next_cursor}`.
//! Lists are ordered newest first by id (UUIDv7, time-ordered); the cursor is the last id
//! of the page, opaque to clients (hex of the id).

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    /// Only items with an id strictly below this one.
    pub before: Option<String>,
}

impl Page {
    pub fn first(limit: u32) -> Self {
        Page { limit, before: None }
    }

    /// Parse user input; `Err` names what is wrong.
    pub fn parse(limit: Option<i64>, cursor: Option<&str>) -> Result<Page, (&'static str, String)> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(n) if (1..=MAX_LIMIT as i64).contains(&n) => n as u32,
            Some(_) => return Err(("limit", format!("must be between 1 and {MAX_LIMIT}"))),
        };
        let before = match cursor {
            None | Some("") => None,
            Some(c) => Some(decode_cursor(c).ok_or(("cursor", "is not a valid cursor".to_string()))?),
        };
        Ok(Page { limit, before })
    }

    /// Fetch one more than the limit to learn whether a next page exists.
    pub fn fetch_limit(&self) -> i64 {
        self.limit as i64 + 1
    }

    /// Trim the over-fetched row and compute the cursor of the next page.
    pub fn finish<T>(&self, mut rows: Vec<T>, id_of: impl Fn(&T) -> &str) -> (Vec<T>, Option<String>) {
        if rows.len() > self.limit as usize {
            rows.truncate(self.limit as usize);
            let next = rows.last().map(|r| encode_cursor(id_of(r)));
            (rows, next)
        } else {
            (rows, None)
        }
    }
}

/// Hex of the id: opaque to clients, trivially checked on the way back.
pub fn encode_cursor(id: &str) -> String {
    hex::encode(id)
}

pub fn decode_cursor(c: &str) -> Option<String> {
    if c.len() > 256 {
        return None;
    }
    let id = String::from_utf8(hex::decode(c).ok()?).ok()?;
    crate::ids::is_valid_id(&id).then_some(id)
}

/// A cursor for lists ordered by a time then an id (the inbox, newest activity first):
/// hex of `<RFC 3339 time>|<id>`.
pub fn encode_time_cursor(at: chrono::DateTime<chrono::Utc>, id: &str) -> String {
    hex::encode(format!("{}|{id}", at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)))
}

pub fn decode_time_cursor(c: &str) -> Option<(chrono::DateTime<chrono::Utc>, String)> {
    if c.len() > 256 {
        return None;
    }
    let text = String::from_utf8(hex::decode(c).ok()?).ok()?;
    let (at, id) = text.split_once('|')?;
    let at = chrono::DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&chrono::Utc);
    crate::ids::is_valid_id(id).then(|| (at, id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_cursor_round_trip_and_rejects_junk() {
        let id = crate::ids::new_id();
        let at = chrono::Utc::now();
        assert_eq!(decode_time_cursor(&encode_time_cursor(at, &id)), Some((at, id.clone())));
        assert_eq!(decode_time_cursor(&encode_cursor(&id)), None);
        assert_eq!(decode_time_cursor(&hex::encode(format!("yesterday|{id}"))), None);
        assert_eq!(decode_time_cursor("zz"), None);
    }

    #[test]
    fn cursor_round_trip_and_rejects_junk() {
        let id = crate::ids::new_id();
        assert_eq!(decode_cursor(&encode_cursor(&id)), Some(id));
        assert_eq!(decode_cursor("zz"), None);
        assert_eq!(decode_cursor("abc"), None);
        assert_eq!(decode_cursor(&encode_cursor("not an id")), None);
    }

    #[test]
    fn limits() {
        assert_eq!(Page::parse(None, None).unwrap().limit, DEFAULT_LIMIT);
        assert!(Page::parse(Some(0), None).is_err());
        assert!(Page::parse(Some(201), None).is_err());
        assert!(Page::parse(Some(10), Some("xyz")).is_err());
    }

    #[test]
    fn finish_sets_next_cursor_only_when_more() {
        let p = Page::first(2);
        let (items, next) = p.finish(vec!["a", "b", "c"], |s| s);
        assert_eq!(items, vec!["a", "b"]);
        assert_eq!(next, Some(encode_cursor("b")));
        let (items, next) = p.finish(vec!["a"], |s| s);
        assert_eq!((items.len(), next), (1, None));
    }
}
