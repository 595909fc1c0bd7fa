//! Links in post text, found the way the networks find them: twitter-text's rules (a link starts
//! after a space or punctuation, needs a dotted host with a real top-level domain, and drops
//! trailing punctuation) for X and Threads, where a bare `example.com/path` is a link too;
//! only `http(s)://` links for Mastodon. Returns byte ranges into the text.
//!
//! Reference: twitter-text's `extractUrlsWithIndices` and conformance suite
//! (<https://github.com/twitter/twitter-text/tree/master/conformance>); this is a reimplementation
//! of the rules that matter for counting, not of every edge of its regular expressions.

use super::tlds;
use super::words::is_word_char;
use std::ops::Range;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

/// The links in `text`, in order, not overlapping. With `bare_domains`, a link may omit
/// `https://` (X); without, it must have it (Mastodon).
pub(super) fn find(text: &str, bare_domains: bool) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut pos = 0;
    let mut prev: Option<char> = None;
    while let Some(rest) = text.get(pos..) {
        let Some(c) = rest.chars().next() else { break };
        if let Some(len) = link_at(rest, prev, bare_domains) {
            found.push(pos..pos + len);
            pos += len;
            prev = text.get(..pos).and_then(|t| t.chars().next_back());
            continue;
        }
        prev = Some(c);
        pos += c.len_utf8();
    }
    found
}

/// The length of the link starting at the beginning of `rest`, if one does.
fn link_at(rest: &str, prev: Option<char>, bare_domains: bool) -> Option<usize> {
    if let Some(scheme) = scheme_len(rest) {
        if !may_follow(prev, false) {
            return None;
        }
        let after_scheme = rest.get(scheme..)?;
        let host = scheme_host_len(after_scheme);
        if !valid_host(after_scheme.get(..host)?, false) {
            return None;
        }
        return Some(scheme + host + port_and_path_len(after_scheme.get(host..)?));
    }
    let first = rest.chars().next()?;
    if !bare_domains || !first.is_ascii_alphanumeric() || !may_follow(prev, true) {
        return None;
    }
    let host = host_len(rest, true);
    let host_text = rest.get(..host)?;
    if !valid_host(host_text, true) {
        return None;
    }
    let tail = port_and_path_len(rest.get(host..)?);
    let labels: Vec<&str> = host_text.split('.').collect();
    let tld = labels.last().copied().unwrap_or_default();
    // twitter-text: a bare `name.cc` with a country-code domain and no path is not a link
    // (think `readme.md`), except for `.co` and `.tv`.
    if tail == 0 && labels.len() == 2 && tlds::is_country(tld) && !tlds::short_domain_ok(tld) {
        return None;
    }
    Some(host + tail)
}

fn scheme_len(rest: &str) -> Option<usize> {
    ["https://", "http://"]
        .into_iter()
        .find(|s| rest.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s)))
        .map(str::len)
}

/// Links are not glued to a word, a handle, a cashtag or a hashtag; bare domains also not to
/// `-`, `_`, `.` or `/` (twitter-text's `validUrlPrecedingChars`).
fn may_follow(prev: Option<char>, bare: bool) -> bool {
    let Some(c) = prev else { return true };
    let glued = c.is_alphanumeric() || matches!(c, '@' | '＠' | '$' | '#' | '＃');
    let glued_bare = bare && matches!(c, '-' | '_' | '.' | '/');
    !glued && !glued_bare
}

/// The host after `http(s)://`: the run of host characters, cut after the top-level domain's
/// letters when something else follows them (`example.com😀` is `example.com`).
fn scheme_host_len(s: &str) -> usize {
    let run = host_len(s, false);
    let Some(host) = s.get(..run) else { return 0 };
    if valid_host(host, false) {
        return run;
    }
    let Some(dot) = host.rfind('.') else { return run };
    let tld = host.get(dot + 1..).unwrap_or_default();
    let punycode = tld.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--"));
    let tld_len: usize = tld
        .chars()
        .take_while(|&c| if punycode { c.is_ascii_alphanumeric() || c == '-' } else { c.is_alphabetic() })
        .map(char::len_utf8)
        .sum();
    dot + 1 + tld_len
}

/// The run of host characters at the start of `s`, without a trailing dot (sentence end).
fn host_len(s: &str, ascii_only: bool) -> usize {
    if s.starts_with('[') {
        // An IPv6 literal: `[3ffe:1900::1]`.
        return s.find(']').map_or(0, |end| end + 1);
    }
    let run: usize = s
        .chars()
        .take_while(|&c| {
            if ascii_only {
                c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
            } else {
                // twitter-text's `validDomainChars`: anything but spaces, controls and
                // punctuation, so `http://☃.net` is a link.
                is_word_char(c)
                    || matches!(c, '-' | '.')
                    || (!c.is_ascii()
                        && !c.is_whitespace()
                        && !c.is_control()
                        && c.general_category_group() != GeneralCategoryGroup::Punctuation)
            }
        })
        .map(char::len_utf8)
        .sum();
    s.get(..run).map_or(0, |h| h.trim_end_matches('.').len())
}

fn valid_host(host: &str, bare: bool) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return !bare && !inner.is_empty() && inner.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    if !bare && labels.len() == 4 && labels.iter().all(|l| !l.is_empty() && l.parse::<u8>().is_ok()) {
        return true; // IPv4
    }
    let label_ok = |l: &&str| !l.is_empty() && l.chars().count() <= 63 && !l.starts_with('-') && !l.ends_with('-');
    if !labels.iter().all(label_ok) {
        return false;
    }
    // Underscores are tolerated in subdomains only.
    if labels.iter().rev().take(2).any(|l| l.contains('_')) {
        return false;
    }
    let tld = labels.last().copied().unwrap_or_default();
    if bare {
        tlds::is_known(tld)
    } else {
        let punycode = tld.len() > 4 && tld.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--"));
        punycode || (tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
    }
}

/// The length of an optional `:port` then an optional path, query and fragment after the host.
fn port_and_path_len(s: &str) -> usize {
    let mut len = 0;
    if let Some(after_colon) = s.strip_prefix(':') {
        let digits = after_colon.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            len = 1 + digits;
        }
    }
    let Some(tail) = s.get(len..) else { return len };
    if !matches!(tail.chars().next(), Some('/' | '?' | '#')) {
        return len;
    }
    let run: usize = tail.chars().take_while(|&c| is_path_char(c)).map(char::len_utf8).sum();
    len + tail.get(..run).map_or(0, |p| trim_path_end(p).len())
}

/// twitter-text's `validGeneralUrlPathChars`: ASCII letters and digits, URL punctuation, and
/// letters up to Cyrillic (accented Latin, Greek, Cyrillic).
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "!*';:=+,.$/%#[]-_~&|@?()\u{2013}".contains(c)
        || (c.is_alphabetic() && (c as u32) < 0x0530)
}

/// A link ends with a letter, a digit, one of `=_#/+-&`, or a `)` that closes a `(` inside it;
/// anything else at the end is the sentence's punctuation.
fn trim_path_end(mut path: &str) -> &str {
    while let Some(last) = path.chars().next_back() {
        let keep = if last == ')' {
            path.matches('(').count() >= path.matches(')').count()
        } else {
            last.is_alphanumeric() || "=_#/+-&".contains(last)
        };
        if keep {
            break;
        }
        path = &path[..path.len() - last.len_utf8()];
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(text: &str, bare: bool) -> Vec<&str> {
        find(text, bare).into_iter().filter_map(|r| text.get(r)).collect()
    }

    #[test]
    fn links_with_a_scheme() {
        let cases: &[(&str, &[&str])] = &[
            ("see https://example.com/a?b=c#d.", &["https://example.com/a?b=c#d"]),
            ("HTTPS://www.ExaMPLE.COM/index.html", &["HTTPS://www.ExaMPLE.COM/index.html"]),
            ("(https://en.wikipedia.org/wiki/Foo_(bar)).", &["https://en.wikipedia.org/wiki/Foo_(bar)"]),
            ("http://192.168.0.1/index.html?src=asdf", &["http://192.168.0.1/index.html?src=asdf"]),
            (
                "http://[3ffe:1900:4545:3:200:f8ff:fe21:67cf]:80/index.html",
                &["http://[3ffe:1900:4545:3:200:f8ff:fe21:67cf]:80/index.html"],
            ),
            ("http://☃.net/", &["http://☃.net/"]),
            ("http://example.com/Русские_слова", &["http://example.com/Русские_слова"]),
            ("a https://x.com b https://y.org/p", &["https://x.com", "https://y.org/p"]),
            ("https://example.com😀 yes", &["https://example.com"]),
            ("https://例え.jp/パス", &["https://例え.jp/"]),
            ("http://localhost:3000", &[]),
            ("ftp://www.example.com/", &[]),
            ("xhttps://example.com", &[]),
            ("http://www.-domain4352.com/", &[]),
            ("http://domain-dash_2314352345_dfasd.foo-cow_4352.com", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(links(text, false), *want, "{text}");
        }
    }

    #[test]
    fn bare_domains_only_where_asked() {
        let cases: &[(&str, &[&str])] = &[
            ("example.com", &["example.com"]),
            ("visit www.example.com.", &["www.example.com"]),
            ("t.co", &["t.co"]),
            ("foo.co.jp", &["foo.co.jp"]),
            ("acme.io/pricing, now", &["acme.io/pricing"]),
            ("readme.md", &[]),
            ("index.js and e.g. U.S.", &[]),
            ("mail me@example.com", &[]),
            ("randomurlrandomurlrandomurlrandomurlrandomurlrandomurlrandomurls.com", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(links(text, true), *want, "{text}");
        }
        assert!(links("example.com", false).is_empty());
    }
}
