//! Rich-text facets (https://docs.bsky.app/docs/advanced-guides/post-richtext): links,
//! mentions and hashtags are not parsed by Bluesky from the text; the client sends their
//! positions as UTF-8 byte ranges (`byteStart` inclusive, `byteEnd` exclusive).

use serde_json::{json, Value};

/// A span found in the text, before mentions are resolved to DIDs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span {
    Link { start: usize, end: usize, uri: String },
    Mention { start: usize, end: usize, handle: String },
    Tag { start: usize, end: usize, tag: String },
}

/// Trailing characters that end a sentence rather than belong to a link, handle or tag.
const TRAILING: &[char] = &['.', ',', ';', ':', '!', '?', ')', '"', '\'', ']', '}', '>'];

/// Links (`http(s)://…`), mentions (`@handle.domain`) and hashtags (`#tag`) in `text`, with
/// byte offsets. Each must start the text or follow whitespace or an opening bracket.
pub fn detect(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut word_start = true;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        if word_start {
            let token_end = i + rest.find(char::is_whitespace).unwrap_or(rest.len());
            let token = trim_trailing(&text[i..token_end]);
            let end = i + token.len();
            if let Some(span) = classify(token, i, end) {
                spans.push(span);
                i = end;
                word_start = false;
                continue;
            }
        }
        word_start = c.is_whitespace() || matches!(c, '(' | '[' | '"' | '\'');
        i += c.len_utf8();
    }
    spans
}

fn trim_trailing(token: &str) -> &str {
    let mut t = token.trim_end_matches(TRAILING);
    // Keep a closing parenthesis the link itself opened (Wikipedia-style URLs).
    if token[t.len()..].starts_with(')') && t.contains('(') && !t.contains(')') {
        t = &token[..t.len() + 1];
    }
    t
}

fn classify(token: &str, start: usize, end: usize) -> Option<Span> {
    let lower = token.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        let host = token.split("://").nth(1).unwrap_or("");
        let host = host.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() || (!host.contains('.') && !host.starts_with("localhost")) {
            return None;
        }
        return Some(Span::Link { start, end, uri: token.to_string() });
    }
    if let Some(handle) = token.strip_prefix('@') {
        return is_handle(handle).then(|| Span::Mention { start, end, handle: handle.to_ascii_lowercase() });
    }
    if let Some(tag) = token.strip_prefix('#') {
        // A tag is not a number (#1) and Bluesky caps tags at 64 graphemes (approximated by chars).
        let ok = !tag.is_empty()
            && !tag.chars().all(|c| c.is_ascii_digit())
            && tag.chars().count() <= 64
            && !tag.contains('#')
            && tag.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-' || !c.is_ascii());
        return ok.then(|| Span::Tag { start, end, tag: tag.to_string() });
    }
    None
}

/// The handle syntax of https://atproto.com/specs/handle: dot-separated labels of letters,
/// digits and hyphens, at least two labels, the last not starting with a digit.
fn is_handle(handle: &str) -> bool {
    let labels: Vec<&str> = handle.split('.').collect();
    handle.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels.last().and_then(|l| l.chars().next()).is_some_and(|c| c.is_ascii_alphabetic())
}

/// The `facets` array for spans whose mentions resolved (`did_of` gives the DID; a mention
/// without one stays plain text, as in the Bluesky app).
pub fn to_json(spans: &[Span], did_of: impl Fn(&str) -> Option<String>) -> Vec<Value> {
    let facet = |start: usize, end: usize, feature: Value| json!({ "index": { "byteStart": start, "byteEnd": end }, "features": [feature] });
    spans
        .iter()
        .filter_map(|span| match span {
            Span::Link { start, end, uri } => {
                Some(facet(*start, *end, json!({ "$type": "app.bsky.richtext.facet#link", "uri": uri })))
            }
            Span::Tag { start, end, tag } => {
                Some(facet(*start, *end, json!({ "$type": "app.bsky.richtext.facet#tag", "tag": tag })))
            }
            Span::Mention { start, end, handle } => did_of(handle)
                .map(|did| facet(*start, *end, json!({ "$type": "app.bsky.richtext.facet#mention", "did": did }))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_utf8_bytes() {
        let text = "Café ☕ news: https://example.com/a_(b). Hi @alice.test! #Rust #1 #日本";
        let spans = detect(text);
        let link_start = text.find("https").unwrap();
        assert_eq!(
            spans[0],
            Span::Link {
                start: link_start,
                end: link_start + "https://example.com/a_(b)".len(),
                uri: "https://example.com/a_(b)".into()
            }
        );
        let at = text.find("@alice").unwrap();
        assert_eq!(spans[1], Span::Mention { start: at, end: at + "@alice.test".len(), handle: "alice.test".into() });
        let hash = text.find("#Rust").unwrap();
        assert_eq!(spans[2], Span::Tag { start: hash, end: hash + 5, tag: "Rust".into() });
        let jp = text.find("#日本").unwrap();
        assert_eq!(spans[3], Span::Tag { start: jp, end: text.len(), tag: "日本".into() });
        assert_eq!(spans.len(), 4, "#1 is not a tag: {spans:?}");
        // The bytes at the offsets are the spans' own text.
        assert_eq!(&text[jp..text.len()], "#日本");
    }

    #[test]
    fn not_facets() {
        assert!(detect("mail me at bob@example.com or see a#b").is_empty());
        assert!(detect("@nodot and https://nohost and http://").is_empty());
    }

    #[test]
    fn unresolved_mentions_stay_text() {
        let spans = detect("hi @alice.test and @bob.test");
        let facets = to_json(&spans, |h| (h == "alice.test").then(|| "did:plc:alice".to_string()));
        assert_eq!(facets.len(), 1);
        assert_eq!(facets[0]["features"][0]["did"], "did:plc:alice");
        assert_eq!(facets[0]["index"]["byteStart"], 3);
        assert_eq!(facets[0]["index"]["byteEnd"], 14);
    }
}
