//! Counting text the platforms' ways, except X's (see `x_weight`).

use super::urls;
use super::words::is_word_char;
use std::ops::Range;
use unicode_properties::{EmojiStatus, UnicodeEmoji};
use unicode_segmentation::UnicodeSegmentation;

/// What Mastodon puts in place of every link before counting (`URL_PLACEHOLDER`).
const MASTODON_LINK: &str = "xxxxxxxxxxxxxxxxxxxxxxx";

/// Extended grapheme clusters: `é` written as `e` + accent is 1, a family emoji is 1, a flag is 1.
pub(super) fn graphemes(text: &str) -> usize {
    text.graphemes(true).count()
}

/// Threads: characters, except that an emoji counts as its UTF-8 bytes.
pub(super) fn chars_with_emoji_bytes(text: &str) -> usize {
    text.graphemes(true).map(|g| if is_emoji(g) { g.len() } else { g.chars().count() }).sum()
}

/// Mastodon's `StatusLengthValidator`: graphemes of the text where each `http(s)://` link is
/// 23 characters and each `@user@domain` is `@user`.
pub(super) fn mastodon_length(text: &str) -> usize {
    let mut spans: Vec<(Range<usize>, &str)> =
        urls::find(text, false).into_iter().map(|r| (r, MASTODON_LINK)).collect();
    spans.extend(remote_mentions(text));
    spans.sort_by_key(|(r, _)| r.start);
    let mut countable = String::with_capacity(text.len());
    let mut last = 0;
    for (range, replacement) in spans {
        if range.start < last {
            continue; // overlaps an entity already kept, as `remove_overlapping_entities`
        }
        countable.push_str(text.get(last..range.start).unwrap_or_default());
        countable.push_str(replacement);
        last = range.end;
    }
    countable.push_str(text.get(last..).unwrap_or_default());
    graphemes(&countable)
}

/// Each `@user@domain` with the text that replaces it (`@user`). Mastodon's `MENTION_RE`: not
/// after `/` or a word character; a username of `[a-z0-9_]` with inner `.` or `-`; a domain of
/// word characters, `.` and `-` ending with a word character.
fn remote_mentions(text: &str) -> Vec<(Range<usize>, &str)> {
    let mut found = Vec::new();
    let mut prev: Option<char> = None;
    for (at, c) in text.char_indices() {
        let glued = prev.is_some_and(|p| p == '/' || is_word_char(p));
        prev = Some(c);
        if c != '@' || glued {
            continue;
        }
        let after = text.get(at + 1..).unwrap_or_default();
        let user_run: usize = after.bytes().take_while(|b| b.is_ascii_alphanumeric() || b"_.-".contains(b)).count();
        let user = after.get(..user_run).unwrap_or_default().trim_end_matches(['.', '-']);
        if user.is_empty() || user.starts_with(['.', '-']) {
            continue;
        }
        let Some(domain_part) = after.get(user.len()..).and_then(|s| s.strip_prefix('@')) else { continue };
        let domain_run: usize =
            domain_part.chars().take_while(|&d| is_word_char(d) || d == '.' || d == '-').map(char::len_utf8).sum();
        let domain = domain_part.get(..domain_run).unwrap_or_default().trim_end_matches(['.', '-']);
        if domain.is_empty() {
            continue;
        }
        let end = at + 1 + user.len() + 1 + domain.len();
        if let Some(replacement) = text.get(at..at + 1 + user.len()) {
            found.push((at..end, replacement));
        }
    }
    found
}

/// `#tags` (`sigil` `#`) or `@mentions` (`@`): the sigil not glued to a preceding word, then at
/// least one tag character (letters, digits, marks, `_`; for mentions also inner `.`).
pub(super) fn tag_count(text: &str, sigil: char) -> usize {
    let mut count = 0;
    let mut prev: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let glued = prev.is_some_and(is_word_char);
        prev = Some(c);
        if c != sigil || glued {
            continue;
        }
        let starts_tag = chars.peek().is_some_and(|&n| {
            if sigil == '@' {
                n.is_ascii_alphanumeric() || n == '_'
            } else {
                is_word_char(n)
            }
        });
        if starts_tag {
            count += 1;
        }
    }
    count
}

/// Whether a grapheme cluster is an emoji as the platforms see one: a flag (two regional
/// indicators), a keycap (`1️⃣`), a character shown as emoji by default, or a text-default one
/// made emoji by U+FE0F, a skin tone or a zero-width joiner. `©` and `☺` alone are text.
pub(super) fn is_emoji(cluster: &str) -> bool {
    let mut chars = cluster.chars();
    let Some(first) = chars.next() else { return false };
    if is_regional_indicator(first) {
        return chars.next().is_some_and(is_regional_indicator);
    }
    if matches!(first, '0'..='9' | '#' | '*') {
        return cluster.contains('\u{20E3}');
    }
    if first.is_ascii() || !first.is_emoji_char() {
        return false;
    }
    match first.emoji_status() {
        EmojiStatus::EmojiPresentation
        | EmojiStatus::EmojiPresentationAndModifierBase
        | EmojiStatus::EmojiPresentationAndEmojiComponent
        | EmojiStatus::EmojiPresentationAndModifierAndEmojiComponent => true,
        _ => chars.any(|c| c == '\u{FE0F}' || c == '\u{200D}' || ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)),
    }
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_clusters() {
        let emoji = ["😀", "👨‍👩‍👧‍👦", "👍🏽", "🇫🇷", "1️⃣", "1⃣", "☺️", "❤️", "🏳️‍🌈", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"];
        for e in emoji {
            assert!(is_emoji(e), "{e:?}");
        }
        for text in ["a", "©", "☺", "é", "1", "中", "\u{1F1EB}"] {
            assert!(!is_emoji(text), "{text:?}");
        }
    }

    #[test]
    fn emoji_status_is_defined_for_every_char() {
        // The crate looks characters up in a table and unwraps; make sure no input can panic.
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let _ = c.emoji_status();
        }
    }

    #[test]
    fn threads_counts_emoji_in_bytes() {
        assert_eq!(chars_with_emoji_bytes("hi"), 2);
        assert_eq!(chars_with_emoji_bytes("hi 😀"), 3 + 4);
        assert_eq!(chars_with_emoji_bytes("👨‍👩‍👧"), "👨‍👩‍👧".len());
        assert_eq!(chars_with_emoji_bytes("café"), 4);
    }

    #[test]
    fn mastodon_links_and_remote_mentions() {
        let link = "https://example.com/a/very/long/path/that/goes/on/and/on";
        assert_eq!(mastodon_length(link), 23);
        assert_eq!(mastodon_length(&format!("see {link}.")), 4 + 23 + 1);
        assert_eq!(mastodon_length("example.com"), 11, "no scheme, not a link on Mastodon");
        assert_eq!(mastodon_length("hi @alice@mastodon.social!"), "hi @alice!".len());
        assert_eq!(mastodon_length("@bob"), 4);
        assert_eq!(mastodon_length("mail bob@example.com"), 20, "an address is not a mention");
        assert_eq!(mastodon_length("@a.b@x.y."), "@a.b.".len());
    }

    #[test]
    fn tags() {
        assert_eq!(tag_count("#a #b c#d #", '#'), 2);
        assert_eq!(tag_count("#café #日本 #_x ##y", '#'), 4);
        assert_eq!(tag_count("@ann hi@bob @.x @_y", '@'), 2);
    }
}
