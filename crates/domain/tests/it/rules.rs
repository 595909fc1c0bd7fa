//! Per-platform post rules: limits at their exact boundary, counting the platforms' ways, media
//! and first-comment rules, and the messages users see.

use sellcast_domain::rules::{
    count, describe_count, hashtag_count, limits, validate_variant, CountMethod, MediaFacts, MediaKind, VariantDraft,
};
use sellcast_domain::{FieldError, Platform};

const MIB: u64 = 1024 * 1024;
const JPEG: MediaFacts<'static> = MediaFacts { kind: MediaKind::Image, mime: "image/jpeg", bytes: 200_000 };
const PNG: MediaFacts<'static> = MediaFacts { kind: MediaKind::Image, mime: "image/png", bytes: 200_000 };
const WEBP: MediaFacts<'static> = MediaFacts { kind: MediaKind::Image, mime: "image/webp", bytes: 200_000 };
const GIF: MediaFacts<'static> = MediaFacts { kind: MediaKind::Gif, mime: "image/gif", bytes: 200_000 };
const MP4: MediaFacts<'static> = MediaFacts { kind: MediaKind::Video, mime: "video/mp4", bytes: 2_000_000 };

fn check(platform: Platform, text: &str, media: &[MediaFacts<'_>], first_comment: Option<&str>) -> Vec<FieldError> {
    validate_variant(platform, &VariantDraft { text, media, first_comment })
}

fn messages(errors: &[FieldError], field: &str) -> Vec<String> {
    errors.iter().filter(|e| e.field == field).map(|e| e.message.clone()).collect()
}

/// Media every platform accepts, so text rules are tested alone (Instagram needs some).
fn neutral_media(platform: Platform) -> &'static [MediaFacts<'static>] {
    if limits(platform).requires_media {
        &[JPEG]
    } else {
        &[]
    }
}

#[test]
fn the_numbers_of_issue_4() {
    let expected = [
        (Platform::Sandbox, 10_000, CountMethod::Chars),
        (Platform::Bluesky, 300, CountMethod::Graphemes),
        (Platform::X, 280, CountMethod::XWeighted),
        (Platform::Mastodon, 500, CountMethod::MastodonGraphemes),
        (Platform::Threads, 500, CountMethod::CharsWithEmojiBytes),
        (Platform::Linkedin, 3_000, CountMethod::Chars),
        (Platform::Instagram, 2_200, CountMethod::Chars),
        (Platform::Facebook, 63_206, CountMethod::Chars),
    ];
    for (platform, max, method) in expected {
        let l = limits(platform);
        assert_eq!((l.platform, l.max_chars, l.count_method), (platform, max, method), "{platform}");
        assert!(!describe_count(platform).is_empty());
    }
    assert_eq!(limits(Platform::Instagram).max_hashtags, Some(30));
    assert!(limits(Platform::Instagram).requires_media);
    assert!(Platform::ALL.iter().filter(|&&p| p != Platform::Instagram).all(|&p| !limits(p).requires_media));
}

#[test]
fn text_exactly_at_the_limit_passes_and_one_over_fails_on_every_platform() {
    let over_message = [
        (Platform::Sandbox, "Sandbox allows 10,000 characters; this text has 10,001 (counted as Unicode characters)."),
        (Platform::Bluesky, "Bluesky allows 300 characters; this text has 301 (counted as graphemes)."),
        (Platform::X, "X counts this text as 281 of 280 (links count 23 each)."),
        (Platform::Mastodon, "Mastodon allows 500 characters; this text has 501 (links count 23 each)."),
        (Platform::Threads, "Threads allows 500 characters; this text has 501 (each emoji counts as its UTF-8 bytes)."),
        (Platform::Linkedin, "LinkedIn allows 3,000 characters; this text has 3,001 (counted as Unicode characters)."),
        (
            Platform::Instagram,
            "Instagram allows 2,200 characters; this caption has 2,201 (counted as Unicode characters).",
        ),
        (
            Platform::Facebook,
            "Facebook allows 63,206 characters; this text has 63,207 (counted as Unicode characters).",
        ),
    ];
    for (platform, message) in over_message {
        let max = limits(platform).max_chars;
        let media = neutral_media(platform);
        let at_limit = "a".repeat(max);
        assert_eq!(count(platform, &at_limit), max, "{platform}");
        assert_eq!(check(platform, &at_limit, media, None), vec![], "{platform} at the limit");
        let over = "a".repeat(max + 1);
        assert_eq!(messages(&check(platform, &over, media, None), "text"), vec![message.to_string()], "{platform}");
    }
}

#[test]
fn x_weighs_per_twitter_text_v3() {
    let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦";
    let cases: Vec<(String, usize, &str)> = vec![
        ("This is a test.".into(), 15, "Latin weighs 1"),
        ("のののの".into(), 8, "CJK weighs 2"),
        ("저찀쯿쿿".into(), 8, "Hangul weighs 2"),
        ("😷👾😡🔥💩".into(), 10, "each emoji 2"),
        (family.into(), 2, "a ZWJ family is one emoji"),
        (format!("H🐱☺{family}"), 7, "conformance: mixed"),
        ("🙋🏽👨\u{200D}🎤".into(), 4, "skin tone and ZWJ sequences"),
        ("👍🏿👍🏻".into(), 4, "skin tones"),
        ("🇺🇸🇫🇷".into(), 4, "flags"),
        ("1\u{20E3}".into(), 2, "keycap"),
        (
            "Unicode 10.0 emoji: 🤪; 🧕; 🧕🏾; 🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}".into(),
            34,
            "conformance",
        ),
        ("Unicode 9.0 emoji: 🤠; 💃; 💃🏾".into(), 29, "conformance"),
        ("©".into(), 1, "text-style copyright sign"),
        ("\u{C1}B".into(), 2, "precomposed Á"),
        ("A\u{301}B".into(), 2, "decomposed Á is normalized first"),
        ("cafe\u{301}".into(), 4, "decomposed é"),
        ("“quoted” — dash…".into(), 17, "quotes and dashes weigh 1, the ellipsis 2"),
        ("http://test.co".into(), 23, "short link"),
        ("Hi http://test.co".into(), 26, "text and link"),
        (format!("https://example.com/{}", "p".repeat(200)), 23, "long link"),
        ("https://www.twitter.com/aloha ".repeat(10), 240, "ten links"),
        ("Test https://test.com test https://test.com test.com test".into(), 86, "with and without scheme"),
        ("example.com".into(), 23, "bare domain"),
        ("foo.co.jp".into(), 23, "bare domain with ccTLD"),
        ("readme.md".into(), 9, "bare name.cc is not a link"),
        ("randomurlrandomurlrandomurlrandomurlrandomurlrandomurlrandomurls.com".into(), 68, "64-char label"),
        (format!("285 chars-{}", "xxxxxxxxxx-".repeat(25)), 285, "conformance: long"),
    ];
    for (text, expected, why) in cases {
        assert_eq!(count(Platform::X, &text), expected, "{why}: {text:?}");
    }
}

#[test]
fn x_boundary_with_cjk_emoji_and_links() {
    let fits = [
        "中".repeat(140),
        format!("{}😀", "a".repeat(278)),
        format!("{} https://example.com/{}", "a".repeat(256), "x".repeat(300)),
    ];
    for text in fits {
        assert_eq!(check(Platform::X, &text, &[], None), vec![], "{text}");
    }
    let over = check(Platform::X, &"中".repeat(141), &[], None);
    assert_eq!(messages(&over, "text"), vec!["X counts this text as 282 of 280 (links count 23 each).".to_string()]);
    let over = check(Platform::X, &format!("{}😀", "a".repeat(279)), &[], None);
    assert_eq!(messages(&over, "text").len(), 1);
}

#[test]
fn bluesky_counts_graphemes() {
    assert_eq!(count(Platform::Bluesky, "e\u{301}"), 1, "combining accent");
    assert_eq!(count(Platform::Bluesky, "Z\u{324}\u{354}\u{367}\u{311}\u{313}"), 1, "stacked marks");
    assert_eq!(count(Platform::Bluesky, "🇫🇷🇯🇵"), 2, "flags");
    assert_eq!(count(Platform::Bluesky, "👨\u{200D}👩\u{200D}👧"), 1, "ZWJ family");
    // 300 graphemes of 2 code points each: 600 characters, still within the limit.
    assert_eq!(check(Platform::Bluesky, &"e\u{301}".repeat(300), &[], None), vec![]);
    assert_eq!(check(Platform::Bluesky, &"🇫🇷".repeat(300), &[], None), vec![]);
    let over = check(Platform::Bluesky, &"🇫🇷".repeat(301), &[], None);
    assert_eq!(
        messages(&over, "text"),
        vec!["Bluesky allows 300 characters; this text has 301 (counted as graphemes).".to_string()]
    );
}

#[test]
fn mastodon_links_count_23_and_remote_mentions_their_username() {
    let link = format!("https://example.com/{}", "p".repeat(100));
    assert_eq!(count(Platform::Mastodon, &link), 23);
    assert_eq!(count(Platform::Mastodon, "example.com"), 11, "no scheme: plain text on Mastodon");
    assert_eq!(count(Platform::Mastodon, "@alice@mastodon.example.social"), 6);
    assert_eq!(count(Platform::Mastodon, "cc @bob"), 7);
    let fits = format!("{} {link}", "a".repeat(476));
    assert_eq!(check(Platform::Mastodon, &fits, &[], None), vec![]);
    let over = format!("{} {link}", "a".repeat(477));
    assert_eq!(
        messages(&check(Platform::Mastodon, &over, &[], None), "text"),
        vec!["Mastodon allows 500 characters; this text has 501 (links count 23 each).".to_string()]
    );
    let mentions = format!("{} @alice@a-very-long-server-name.example", "a".repeat(493));
    assert_eq!(count(Platform::Mastodon, &mentions), 500);
    assert_eq!(check(Platform::Mastodon, &mentions, &[], None), vec![]);
}

#[test]
fn threads_counts_emoji_as_utf8_bytes_and_allows_five_links() {
    assert_eq!(count(Platform::Threads, "😀"), 4);
    assert_eq!(check(Platform::Threads, &"😀".repeat(125), &[], None), vec![]);
    assert_eq!(messages(&check(Platform::Threads, &"😀".repeat(126), &[], None), "text").len(), 1);
    let five = (1..=5).map(|i| format!("https://e{i}.com")).collect::<Vec<_>>().join(" ");
    assert_eq!(check(Platform::Threads, &five, &[], None), vec![]);
    let six = format!("{five} e6.com/page");
    assert_eq!(
        messages(&check(Platform::Threads, &six, &[], None), "text"),
        vec!["Threads allows 5 links; this text has 6.".to_string()]
    );
    let repeated = format!("{five} https://e1.com");
    assert_eq!(check(Platform::Threads, &repeated, &[], None), vec![], "the same link twice is one link");
}

#[test]
fn instagram_hashtags_and_mentions() {
    let tags = |n: usize| (0..n).map(|i| format!("#tag{i}")).collect::<Vec<_>>().join(" ");
    assert_eq!(check(Platform::Instagram, &tags(30), &[JPEG], None), vec![]);
    assert_eq!(
        check(Platform::Instagram, &tags(31), &[JPEG], None),
        vec![FieldError { field: "text".into(), message: "Instagram allows 30 hashtags; this caption has 31.".into() }]
    );
    let at = |n: usize| (0..n).map(|i| format!("@user.{i}")).collect::<Vec<_>>().join(" ");
    assert_eq!(check(Platform::Instagram, &at(20), &[JPEG], None), vec![]);
    assert_eq!(
        messages(&check(Platform::Instagram, &at(21), &[JPEG], None), "text"),
        vec!["Instagram allows 20 @mentions; this caption has 21.".to_string()]
    );
    assert_eq!(hashtag_count("#café #日本語 #under_score #2024 a#b # #"), 4);
    assert_eq!(check(Platform::X, &tags(31), &[], None), vec![], "only Instagram limits hashtags");
}

#[test]
fn instagram_requires_media() {
    assert_eq!(
        check(Platform::Instagram, "caption only", &[], None),
        vec![FieldError { field: "media".into(), message: "Instagram needs at least one image or video.".into() }]
    );
    assert_eq!(check(Platform::Instagram, "", &[MP4], None), vec![]);
}

#[test]
fn a_variant_needs_text_or_media() {
    for platform in Platform::ALL.into_iter().filter(|&p| !limits(p).requires_media) {
        let label = platform.label();
        assert_eq!(
            check(platform, "  ", &[], None),
            vec![FieldError {
                field: "text".into(),
                message: format!("{label} needs some text, an image or a video.")
            }],
        );
        assert_eq!(check(platform, "", &[JPEG], None), vec![], "{platform}: an image alone is a post");
    }
}

/// (platform, media, the `media` error expected or None).
#[test]
fn media_counts_and_combinations() {
    let x = "X allows up to 4 images or 1 video per post; a GIF must be posted alone.";
    let bluesky = "Bluesky allows up to 4 images or 1 video per post.";
    let mastodon = "Mastodon allows up to 4 images or 1 video per post.";
    let linkedin = "LinkedIn allows up to 20 images or 1 video per post.";
    let facebook = "Facebook allows up to 10 images or 1 video per post.";
    let cases: Vec<(Platform, Vec<MediaFacts<'static>>, Option<&str>)> = vec![
        (Platform::X, vec![JPEG; 4], None),
        (Platform::X, vec![JPEG; 5], Some(x)),
        (Platform::X, vec![MP4], None),
        (Platform::X, vec![MP4, MP4], Some(x)),
        (Platform::X, vec![JPEG, MP4], Some(x)),
        (Platform::X, vec![GIF], None),
        (Platform::X, vec![GIF, JPEG], Some(x)),
        (Platform::Bluesky, vec![JPEG; 4], None),
        (Platform::Bluesky, vec![JPEG; 5], Some(bluesky)),
        (Platform::Bluesky, vec![MP4], None),
        (Platform::Bluesky, vec![JPEG, MP4], Some(bluesky)),
        (Platform::Mastodon, vec![JPEG, PNG, GIF, WEBP], None),
        (Platform::Mastodon, vec![JPEG; 5], Some(mastodon)),
        (Platform::Mastodon, vec![GIF, MP4], Some(mastodon)),
        (Platform::Threads, [vec![JPEG; 10], vec![MP4; 10]].concat(), None),
        (Platform::Threads, vec![JPEG; 21], Some("Threads allows up to 20 images and videos per post.")),
        (Platform::Instagram, [vec![JPEG; 9], vec![MP4]].concat(), None),
        (Platform::Instagram, vec![JPEG; 11], Some("Instagram allows up to 10 images and videos per post.")),
        (Platform::Linkedin, vec![JPEG; 20], None),
        (Platform::Linkedin, vec![JPEG; 21], Some(linkedin)),
        (Platform::Linkedin, vec![JPEG, MP4], Some(linkedin)),
        (Platform::Linkedin, vec![MP4], None),
        (Platform::Linkedin, vec![MP4, MP4], Some(linkedin)),
        (Platform::Linkedin, vec![MP4, PNG, PNG], Some(linkedin)),
        (Platform::Linkedin, vec![GIF, MP4], Some(linkedin)),
        (Platform::Facebook, vec![JPEG; 10], None),
        (Platform::Facebook, vec![JPEG; 11], Some(facebook)),
        (Platform::Facebook, vec![MP4, MP4], Some(facebook)),
        (Platform::Sandbox, [vec![JPEG; 5], vec![MP4; 5]].concat(), None),
        (Platform::Sandbox, vec![JPEG; 11], Some("Sandbox allows up to 10 images and videos per post.")),
    ];
    for (platform, media, expected) in cases {
        let errors = check(platform, "hello", &media, None);
        let want: Vec<String> = expected.into_iter().map(String::from).collect();
        assert_eq!(messages(&errors, "media"), want, "{platform} with {} files", media.len());
        assert!(errors.iter().all(|e| e.field == "media"), "{platform}: {errors:?}");
    }
}

/// LinkedIn's Videos API: one MP4 per post, alone, up to 500 MB.
#[test]
fn linkedin_takes_one_mp4_video_alone() {
    let video = |bytes| MediaFacts { kind: MediaKind::Video, mime: "video/mp4", bytes };
    assert_eq!(check(Platform::Linkedin, "", &[MP4], None), vec![], "a video alone is a post");
    assert_eq!(check(Platform::Linkedin, "hello", &[video(500 * MIB)], None), vec![]);
    let alone = "LinkedIn allows up to 20 images or 1 video per post.";
    for media in [vec![MP4, MP4], vec![JPEG, MP4], vec![MP4, GIF]] {
        assert_eq!(
            check(Platform::Linkedin, "hello", &media, None),
            vec![FieldError { field: "media".into(), message: alone.into() }],
            "{media:?}"
        );
    }
    assert_eq!(
        check(Platform::Linkedin, "hello", &[video(501 * MIB)], None),
        vec![FieldError {
            field: "media[0]".into(),
            message: "LinkedIn allows videos up to 500 MB; this one is 501.0 MB.".into()
        }]
    );
    let webm = MediaFacts { kind: MediaKind::Video, mime: "video/webm", bytes: 1_000_000 };
    assert_eq!(
        check(Platform::Linkedin, "hello", &[webm], None),
        vec![FieldError { field: "media[0]".into(), message: "LinkedIn does not accept video/webm.".into() }]
    );
}

#[test]
fn media_types_each_platform_refuses() {
    let mov = MediaFacts { kind: MediaKind::Video, mime: "video/quicktime", bytes: 1_000 };
    let cases = [
        (Platform::Linkedin, WEBP, "LinkedIn does not accept image/webp."),
        (Platform::Instagram, PNG, "Instagram does not accept image/png."),
        (Platform::Instagram, GIF, "Instagram does not accept image/gif."),
        (Platform::Threads, GIF, "Threads does not accept image/gif."),
        (Platform::Bluesky, mov, "Bluesky does not accept video/quicktime."),
        (Platform::Linkedin, mov, "LinkedIn does not accept video/quicktime."),
        (Platform::Facebook, WEBP, "Facebook does not accept image/webp."),
    ];
    for (platform, file, message) in cases {
        let errors = check(platform, "hello", &[file], None);
        assert_eq!(errors, vec![FieldError { field: "media[0]".into(), message: message.into() }], "{platform}");
    }
    assert_eq!(
        check(Platform::Linkedin, "hello", &[JPEG, JPEG, WEBP], None),
        vec![FieldError { field: "media[2]".into(), message: "LinkedIn does not accept image/webp.".into() }],
        "the field names the file"
    );
    for platform in [Platform::X, Platform::Mastodon, Platform::Sandbox] {
        assert_eq!(check(platform, "hello", &[WEBP], None), vec![], "{platform} takes WebP");
    }
}

#[test]
fn media_sizes() {
    let image = |bytes| MediaFacts { kind: MediaKind::Image, mime: "image/jpeg", bytes };
    let gif = |bytes| MediaFacts { kind: MediaKind::Gif, mime: "image/gif", bytes };
    let video = |bytes| MediaFacts { kind: MediaKind::Video, mime: "video/mp4", bytes };
    let ok = [
        (Platform::Bluesky, image(1_000_000)),
        (Platform::X, image(5 * MIB)),
        (Platform::X, gif(15 * MIB)),
        (Platform::Mastodon, gif(50 * MIB)),
        (Platform::Linkedin, image(200 * MIB)),
        (Platform::Bluesky, video(100_000_000)),
        (Platform::Instagram, image(8 * MIB)),
    ];
    for (platform, file) in ok {
        assert_eq!(check(platform, "hello", &[file], None), vec![], "{platform} {file:?}");
    }
    let refused = [
        (Platform::Bluesky, image(1_000_001), "Bluesky allows images up to 1 MB; this one is 1,000,001 bytes."),
        (Platform::X, image(6 * MIB), "X allows images up to 5 MB; this one is 6.0 MB."),
        (Platform::X, gif(16 * MIB), "X allows GIFs up to 15 MB; this one is 16.0 MB."),
        (Platform::Mastodon, image(20 * MIB), "Mastodon allows images up to 16 MB; this one is 20.0 MB."),
        (Platform::Bluesky, video(150_000_000), "Bluesky allows videos up to 100 MB; this one is 150.0 MB."),
        (Platform::Facebook, image(5 * MIB), "Facebook allows images up to 4 MB; this one is 5.0 MB."),
        (Platform::Threads, video(2 * 1024 * MIB), "Threads allows videos up to 1 GB; this one is 2.0 GB."),
    ];
    for (platform, file, message) in refused {
        let errors = check(platform, "hello", &[file], None);
        assert_eq!(errors, vec![FieldError { field: "media[0]".into(), message: message.into() }], "{platform}");
    }
}

#[test]
fn first_comment_where_supported() {
    for platform in [Platform::X, Platform::Bluesky, Platform::Mastodon, Platform::Threads] {
        let label = platform.label();
        assert_eq!(
            check(platform, "hello", &[], Some("first!")),
            vec![FieldError {
                field: "first_comment".into(),
                message: format!("{label} does not support a first comment.")
            }],
        );
        assert_eq!(check(platform, "hello", &[], Some("  ")), vec![], "{platform}: a blank comment is no comment");
        assert!(!limits(platform).first_comment);
    }
    for platform in [Platform::Instagram, Platform::Linkedin, Platform::Facebook, Platform::Sandbox] {
        assert_eq!(check(platform, "hello", neutral_media(platform), Some("first!")), vec![], "{platform}");
    }
    let long = "a".repeat(3_001);
    assert_eq!(
        check(Platform::Linkedin, "hello", &[], Some(&long)),
        vec![FieldError {
            field: "first_comment".into(),
            message: "LinkedIn allows 3,000 characters; this comment has 3,001 (counted as Unicode characters).".into()
        }]
    );
}

#[test]
fn all_problems_are_reported_together() {
    let errors = check(Platform::Instagram, &"#t ".repeat(800), &[PNG; 11], Some("x"));
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields.iter().filter(|f| **f == "text").count(), 2, "too long and too many hashtags: {errors:?}");
    assert!(fields.contains(&"media"));
    assert_eq!(fields.iter().filter(|f| f.starts_with("media[")).count(), 11, "each PNG refused");
}
