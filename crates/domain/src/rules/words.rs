//! Where a word ends: shared by the counters (hashtags, mentions) and the link finder (host
//! names), so both agree on what glues to a word.

use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

/// Letters, digits, combining marks and `_`: what continues a word, a hashtag or a host name.
pub(super) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || (!c.is_ascii() && c.general_category_group() == GeneralCategoryGroup::Mark)
}
