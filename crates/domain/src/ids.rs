//! Identifiers are UUIDv7 strings: unique without coordination and ordered by creation
//! time, so "newest first" and cursor pagination can sort by id alone.

use uuid::Uuid;

/// A new time-ordered identifier.
pub fn new_id() -> String {
    Uuid::now_v7().to_string()
}

/// Whether `s` is a syntactically valid id (so a malformed path segment is a 404, not a query).
pub fn is_valid_id(s: &str) -> bool {
    Uuid::parse_str(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_creation() {
        let a = new_id();
        let b = new_id();
        assert!(a < b, "{a} should sort before {b}");
        assert!(is_valid_id(&a));
        assert!(!is_valid_id("not-an-id"));
    }
}
