//! Input rules shared by every entry point (API, CLI, web forms).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Everything wrong with one input, collected so the user can fix it in one go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut e = Self::new();
        e.add(field, message);
        e
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.to_string(), message: message.into() });
    }

    /// Record `check`'s complaint about `field`, if any.
    pub fn check(&mut self, field: &str, check: Result<(), String>) {
        if let Err(m) = check {
            self.add(field, m);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        f.write_str(&parts.join("; "))
    }
}

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;
pub const EMAIL_MAX: usize = 254;
pub const NAME_MAX: usize = 200;

/// Seed 000: at least 8 characters with an upper-case letter, a lower-case letter and a digit.
pub fn password(p: &str) -> Result<(), String> {
    let n = p.chars().count();
    if n < PASSWORD_MIN {
        return Err(format!("must be at least {PASSWORD_MIN} characters"));
    }
    if n > PASSWORD_MAX {
        return Err(format!("must be at most {PASSWORD_MAX} characters"));
    }
    let upper = p.chars().any(|c| c.is_uppercase());
    let lower = p.chars().any(|c| c.is_lowercase());
    let digit = p.chars().any(|c| c.is_ascii_digit());
    if !(upper && lower && digit) {
        return Err("must contain an upper-case letter, a lower-case letter and a digit".into());
    }
    Ok(())
}

/// Emails are compared case-insensitively; this is the stored form.
pub fn normalize_email(e: &str) -> String {
    e.trim().to_lowercase()
}

/// A pragmatic address check: one @, a non-empty local part, a dotted domain, no spaces.
pub fn email(e: &str) -> Result<(), String> {
    if e.len() > EMAIL_MAX {
        return Err(format!("must be at most {EMAIL_MAX} characters"));
    }
    let Some((local, domain)) = e.split_once('@') else {
        return Err("must be an email address".into());
    };
    let ok = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err("must be an email address".into())
    }
}

/// A required human-readable name: trimmed, 1..=max characters, no control characters.
pub fn name(s: &str, max: usize) -> Result<(), String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("must not be empty".into());
    }
    optional_text(s, max)
}

/// Free text with an upper bound and no control characters other than newlines and tabs.
pub fn optional_text(s: &str, max: usize) -> Result<(), String> {
    if s.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

/// IANA timezone names look like `Area/City` or `UTC`; the full list lives at the edges.
pub fn timezone(s: &str) -> Result<(), String> {
    let ok = !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c));
    if ok {
        Ok(())
    } else {
        Err("must be an IANA timezone name such as Europe/Paris".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rule_of_seed_000() {
        assert!(password("Abcdefg1").is_ok());
        assert!(password("Abcdef1").is_err(), "7 chars");
        assert!(password("abcdefg1").is_err(), "no upper");
        assert!(password("ABCDEFG1").is_err(), "no lower");
        assert!(password("Abcdefgh").is_err(), "no digit");
        assert!(password(&format!("Aa1{}", "x".repeat(125))).is_ok(), "128");
        assert!(password(&format!("Aa1{}", "x".repeat(126))).is_err(), "129");
    }

    #[test]
    fn emails() {
        assert!(email("a@b.co").is_ok());
        for bad in ["", "a", "a@b", "@b.co", "a@@b.co", "a b@c.de", "a@.co", "a@co."] {
            assert!(email(bad).is_err(), "{bad}");
        }
        assert_eq!(normalize_email("  Ann@Example.COM "), "ann@example.com");
    }

    #[test]
    fn names_and_text() {
        assert!(name("  ", 10).is_err());
        assert!(name("Acme", 10).is_ok());
        assert!(name("Acme\u{0}", 10).is_err());
        assert!(name(&"x".repeat(11), 10).is_err());
        assert!(optional_text("line\nline", 20).is_ok());
    }

    #[test]
    fn timezones() {
        assert!(timezone("Europe/Paris").is_ok());
        assert!(timezone("UTC").is_ok());
        assert!(timezone("Europe/Paris; drop").is_err());
    }
}
