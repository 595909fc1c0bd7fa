//! Comparing what we sent with what Mastodon shows. A status's `content` is HTML rendered from
//! the text (https://docs.joinmastodon.org/spec/activitypub/#sanitization): paragraphs,
//! `<br>` line breaks, links split into visible/invisible spans, mentions shown as `@user`.

/// The plain text of a status's HTML content.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt]));
        let after = &rest[lt..];
        let Some(gt) = after.find('>') else {
            // An unterminated tag: keep the text as it is.
            out.push_str(&decode_entities(after));
            return out;
        };
        let tag = after[1..gt].trim().to_ascii_lowercase();
        let name = tag.trim_start_matches('/').split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
        match name {
            "br" => out.push('\n'),
            "p" if tag.starts_with('/') => out.push_str("\n\n"),
            _ => {}
        }
        rest = &after[gt + 1..];
    }
    out.push_str(&decode_entities(rest));
    out.trim_end().to_string()
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let decoded = after.find(';').filter(|&semi| semi <= 10).and_then(|semi| {
            let entity = &after[1..semi];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => {
                    let code = if let Some(hex) = entity.strip_prefix("#x").or_else(|| entity.strip_prefix("#X")) {
                        u32::from_str_radix(hex, 16).ok()
                    } else {
                        entity.strip_prefix('#').and_then(|d| d.parse::<u32>().ok())
                    };
                    code.and_then(char::from_u32)
                }
            };
            c.map(|c| (c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The form both sides are compared in: whitespace runs collapsed, remote mentions
/// (`@user@example.social`) reduced to `@user` as Mastodon displays them.
pub fn normalize(text: &str) -> String {
    text.split_whitespace()
        .map(|word| {
            let Some(handle) = word.strip_prefix('@') else { return word.to_string() };
            match handle.split_once('@') {
                Some((user, domain)) if !user.is_empty() && domain.contains('.') => {
                    // Keep punctuation that followed the domain.
                    let tail: String = domain
                        .chars()
                        .rev()
                        .take_while(|c| !c.is_alphanumeric())
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect();
                    format!("@{user}{tail}")
                }
                _ => word.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a status's HTML content shows `sent`.
pub fn same_text(content_html: &str, sent: &str) -> bool {
    normalize(&plain_text(content_html)) == normalize(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_content_to_text() {
        let html = r#"<p>Tom &amp; Jerry&#39;s <a href="https://example.com/a/very/long/path/indeed" rel="nofollow noopener" target="_blank"><span class="invisible">https://</span><span class="ellipsis">example.com/a/very/long/pat</span><span class="invisible">h/indeed</span></a><br />line two</p><p>para <span class="h-card"><a href="https://m.example/@bob" class="u-url mention">@<span>bob</span></a></span> <a href="https://m.example/tags/rust" class="mention hashtag" rel="tag">#<span>rust</span></a></p>"#;
        assert_eq!(
            plain_text(html),
            "Tom & Jerry's https://example.com/a/very/long/path/indeed\nline two\n\npara @bob #rust"
        );
        assert!(same_text(
            html,
            "Tom & Jerry's https://example.com/a/very/long/path/indeed\nline two\n\npara @bob@m.example #rust"
        ));
        assert!(!same_text(html, "Tom & Jerry's"));
    }

    #[test]
    fn entities_and_oddities() {
        assert_eq!(decode_entities("a &lt;b&gt; &#x1F600; &unknown; & c"), "a <b> 😀 &unknown; & c");
        assert_eq!(plain_text("<p>x < y"), "x < y");
        assert_eq!(normalize("hi @ann@a.example, and @x"), "hi @ann, and @x");
    }
}
