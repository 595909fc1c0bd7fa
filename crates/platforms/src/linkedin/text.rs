//! Post text in LinkedIn's "little" text format, and URNs in URLs.
//!
//! `commentary` is parsed for mentions and hashtags; the reserved characters
//! `\ | { } @ [ ] ( ) < > # * _ ~` must be backslash-escaped to stay plain text, or LinkedIn
//! silently cuts the post at the first one. Hashtags (`#word`) are left as hashtags and URLs as
//! they are, so both keep working as links.

/// Escape `text` for `commentary` or a comment's `message.text`.
pub(super) fn escape_little(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while !rest.is_empty() {
        // URLs pass through untouched up to the next whitespace.
        if rest.starts_with("http://") || rest.starts_with("https://") {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        let mut chars = rest.chars();
        let Some(c) = chars.next() else { break };
        let after = chars.as_str();
        let starts_hashtag = c == '#' && after.chars().next().is_some_and(char::is_alphanumeric) && !ends_in_word(&out);
        if is_reserved(c) && !starts_hashtag {
            out.push('\\');
        }
        out.push(c);
        rest = after;
    }
    out
}

fn is_reserved(c: char) -> bool {
    matches!(c, '\\' | '|' | '{' | '}' | '@' | '[' | ']' | '(' | ')' | '<' | '>' | '#' | '*' | '_' | '~')
}

/// A `#` glued to a word (`C#`) is not a hashtag.
fn ends_in_word(out: &str) -> bool {
    out.chars().next_back().is_some_and(char::is_alphanumeric)
}

/// A URN as one URL path segment or query value (`urn:li:share:1` → `urn%3Ali%3Ashare%3A1`).
pub(super) fn encode_urn(urn: &str) -> String {
    url::form_urlencoded::byte_serialize(urn.as_bytes()).collect()
}

/// Whether `commentary` read back from LinkedIn is the text Sellcast sent.
pub(super) fn same_commentary(listed: &str, sent: &str) -> bool {
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let listed = squash(listed);
    listed == squash(&escape_little(sent)) || listed == squash(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_are_escaped_hashtags_and_urls_kept() {
        assert_eq!(escape_little("Launch (v2) @ 5pm"), r"Launch \(v2\) \@ 5pm");
        assert_eq!(escape_little("#rust is fun, C# too"), r"#rust is fun, C\# too");
        assert_eq!(escape_little("see https://x.io/a_(b) now_"), r"see https://x.io/a_(b) now\_");
        assert_eq!(escape_little(r"a\b"), r"a\\b");
        assert_eq!(encode_urn("urn:li:share:42"), "urn%3Ali%3Ashare%3A42");
    }

    #[test]
    fn listed_commentary_matches_the_sent_text() {
        assert!(same_commentary(r"Launch \(v2\)", "Launch (v2)"));
        assert!(same_commentary("plain text", "plain  text"));
        assert!(!same_commentary("other", "plain"));
    }
}
