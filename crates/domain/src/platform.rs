//! The social networks Sellcast publishes to.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// Publishes into Sellcast itself: try everything with no accounts.
    Sandbox,
    Bluesky,
    Mastodon,
    X,
    Linkedin,
    Facebook,
    Instagram,
    Threads,
    /// WhatsApp Cloud API: a conversation channel (the inbox); it does not publish posts.
    Whatsapp,
}

impl Platform {
    pub const ALL: [Platform; 9] = [
        Platform::Sandbox,
        Platform::Bluesky,
        Platform::Mastodon,
        Platform::X,
        Platform::Linkedin,
        Platform::Facebook,
        Platform::Instagram,
        Platform::Threads,
        Platform::Whatsapp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Sandbox => "sandbox",
            Platform::Bluesky => "bluesky",
            Platform::Mastodon => "mastodon",
            Platform::X => "x",
            Platform::Linkedin => "linkedin",
            Platform::Facebook => "facebook",
            Platform::Instagram => "instagram",
            Platform::Threads => "threads",
            Platform::Whatsapp => "whatsapp",
        }
    }

    /// Posts can target it (WhatsApp is for conversations only).
    pub fn publishes(self) -> bool {
        self != Platform::Whatsapp
    }

    /// The platforms posts can target.
    pub fn publishing() -> impl Iterator<Item = Platform> {
        Self::ALL.into_iter().filter(|p| p.publishes())
    }

    /// The name people know it by.
    pub fn label(self) -> &'static str {
        match self {
            Platform::Sandbox => "Sandbox",
            Platform::Bluesky => "Bluesky",
            Platform::Mastodon => "Mastodon",
            Platform::X => "X",
            Platform::Linkedin => "LinkedIn",
            Platform::Facebook => "Facebook",
            Platform::Instagram => "Instagram",
            Platform::Threads => "Threads",
            Platform::Whatsapp => "WhatsApp",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown platform {s:?}; expected one of sandbox, bluesky, mastodon, x, linkedin, facebook, instagram, threads, whatsapp"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Platform::ALL {
            assert_eq!(p.as_str().parse::<Platform>(), Ok(p));
            assert_eq!(serde_json::to_value(p).unwrap(), serde_json::json!(p.as_str()));
        }
        assert!("twitter".parse::<Platform>().is_err());
    }
}
