//! X's weighted length, per twitter-text v3 (`config/v3.json`, `parseTweet`):
//! <https://github.com/twitter/twitter-text/blob/master/config/v3.json>,
//! <https://docs.x.com/fundamentals/counting-characters>.
//!
//! The text is NFC-normalized first; then every link (with or without `https://`) weighs
//! `transformedURLLength`, every emoji sequence weighs `defaultWeight` once however many code
//! points it has (`emojiParsingEnabled`), and every other code point weighs 100 inside the
//! configured ranges and `defaultWeight` (200) outside, in hundredths of a character (`scale`).

use super::counting::is_emoji;
use super::urls;
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

const SCALE: usize = 100;
const DEFAULT_WEIGHT: usize = 200;
const TRANSFORMED_URL_LENGTH: usize = 23;

/// `ranges` of v3.json: Latin, Greek, Cyrillic, Hebrew, Arabic, Devanagari... up to U+10FF, and
/// general punctuation (spaces, dashes, quotes, the zero-width joiner) weigh one character.
const LIGHT_RANGES: [(u32, u32); 4] = [(0, 4351), (8192, 8205), (8208, 8223), (8242, 8247)];
const LIGHT_WEIGHT: usize = 100;

/// The length X compares with 280.
pub(super) fn weighted_length(text: &str) -> usize {
    let normalized: String = text.nfc().collect();
    let mut units = 0;
    let mut last = 0;
    for link in urls::find(&normalized, true) {
        units += weigh_plain(normalized.get(last..link.start).unwrap_or_default());
        units += TRANSFORMED_URL_LENGTH * SCALE;
        last = link.end;
    }
    units += weigh_plain(normalized.get(last..).unwrap_or_default());
    units / SCALE
}

/// Text without links, in hundredths.
fn weigh_plain(text: &str) -> usize {
    text.graphemes(true).map(|g| if is_emoji(g) { DEFAULT_WEIGHT } else { g.chars().map(char_weight).sum() }).sum()
}

fn char_weight(c: char) -> usize {
    let cp = c as u32;
    if LIGHT_RANGES.iter().any(|&(lo, hi)| (lo..=hi).contains(&cp)) {
        LIGHT_WEIGHT
    } else {
        DEFAULT_WEIGHT
    }
}
