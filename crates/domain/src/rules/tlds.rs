//! Top-level domains that make a bare `name.tld` (no `https://`) a link on X and Threads.
//! Country codes are the delegated ISO 3166 two-letter domains (plus `ac`, `eu`, `su`, `uk`);
//! generic ones are the original set and the most used new gTLDs. A rarer gTLD written without
//! `https://` is counted as plain text, which can only make the count longer, never shorter.

const COUNTRY: &[&str] = &[
    "ac", "ad", "ae", "af", "ag", "ai", "al", "am", "ao", "aq", "ar", "as", "at", "au", "aw", "ax", "az", "ba", "bb",
    "bd", "be", "bf", "bg", "bh", "bi", "bj", "bm", "bn", "bo", "br", "bs", "bt", "bw", "by", "bz", "ca", "cc", "cd",
    "cf", "cg", "ch", "ci", "ck", "cl", "cm", "cn", "co", "cr", "cu", "cv", "cw", "cx", "cy", "cz", "de", "dj", "dk",
    "dm", "do", "dz", "ec", "ee", "eg", "er", "es", "et", "eu", "fi", "fj", "fk", "fm", "fo", "fr", "ga", "gb", "gd",
    "ge", "gf", "gg", "gh", "gi", "gl", "gm", "gn", "gp", "gq", "gr", "gs", "gt", "gu", "gw", "gy", "hk", "hm", "hn",
    "hr", "ht", "hu", "id", "ie", "il", "im", "in", "io", "iq", "ir", "is", "it", "je", "jm", "jo", "jp", "ke", "kg",
    "kh", "ki", "km", "kn", "kp", "kr", "kw", "ky", "kz", "la", "lb", "lc", "li", "lk", "lr", "ls", "lt", "lu", "lv",
    "ly", "ma", "mc", "md", "me", "mg", "mh", "mk", "ml", "mm", "mn", "mo", "mp", "mq", "mr", "ms", "mt", "mu", "mv",
    "mw", "mx", "my", "mz", "na", "nc", "ne", "nf", "ng", "ni", "nl", "no", "np", "nr", "nu", "nz", "om", "pa", "pe",
    "pf", "pg", "ph", "pk", "pl", "pm", "pn", "pr", "ps", "pt", "pw", "py", "qa", "re", "ro", "rs", "ru", "rw", "sa",
    "sb", "sc", "sd", "se", "sg", "sh", "si", "sk", "sl", "sm", "sn", "so", "sr", "ss", "st", "su", "sv", "sx", "sy",
    "sz", "tc", "td", "tf", "tg", "th", "tj", "tk", "tl", "tm", "tn", "to", "tr", "tt", "tv", "tw", "tz", "ua", "ug",
    "uk", "us", "uy", "uz", "va", "vc", "ve", "vg", "vi", "vn", "vu", "wf", "ws", "ye", "yt", "za", "zm", "zw",
];

const GENERIC: &[&str] = &[
    "academy",
    "aero",
    "africa",
    "agency",
    "app",
    "art",
    "asia",
    "bank",
    "bar",
    "beer",
    "berlin",
    "bike",
    "bio",
    "biz",
    "blog",
    "blue",
    "business",
    "cafe",
    "capital",
    "care",
    "cash",
    "cat",
    "center",
    "chat",
    "city",
    "click",
    "cloud",
    "club",
    "codes",
    "coffee",
    "college",
    "com",
    "community",
    "company",
    "computer",
    "consulting",
    "coop",
    "courses",
    "credit",
    "design",
    "dev",
    "digital",
    "domains",
    "earth",
    "eco",
    "edu",
    "education",
    "email",
    "events",
    "expert",
    "film",
    "finance",
    "fit",
    "foundation",
    "fun",
    "fund",
    "gallery",
    "game",
    "games",
    "gay",
    "global",
    "gmbh",
    "gold",
    "golf",
    "gov",
    "green",
    "group",
    "guide",
    "guru",
    "health",
    "help",
    "host",
    "how",
    "inc",
    "info",
    "int",
    "jobs",
    "lat",
    "law",
    "legal",
    "life",
    "link",
    "live",
    "llc",
    "london",
    "love",
    "ltd",
    "marketing",
    "media",
    "mil",
    "mobi",
    "moe",
    "money",
    "movie",
    "museum",
    "music",
    "name",
    "net",
    "network",
    "new",
    "news",
    "ninja",
    "now",
    "nyc",
    "one",
    "online",
    "org",
    "page",
    "paris",
    "photo",
    "photography",
    "photos",
    "pizza",
    "plus",
    "post",
    "pro",
    "pub",
    "radio",
    "recipes",
    "red",
    "rocks",
    "run",
    "school",
    "services",
    "shop",
    "site",
    "social",
    "software",
    "solutions",
    "space",
    "store",
    "studio",
    "support",
    "systems",
    "team",
    "tech",
    "tel",
    "tips",
    "today",
    "tokyo",
    "tools",
    "top",
    "training",
    "travel",
    "university",
    "video",
    "vip",
    "website",
    "wiki",
    "wine",
    "works",
    "world",
    "xxx",
    "xyz",
    "you",
    "zone",
];

/// `co` and `tv` domains are links even as a bare `name.co` (twitter-text's special case).
const SHORT_OK: &[&str] = &["co", "tv"];

/// Whether `label` (any case) is a known top-level domain.
pub(super) fn is_known(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    is_country(&lower) || GENERIC.binary_search(&lower.as_str()).is_ok() || lower.starts_with("xn--")
}

/// Whether `label` (any case) is a country-code domain.
pub(super) fn is_country(label: &str) -> bool {
    COUNTRY.binary_search(&label.to_ascii_lowercase().as_str()).is_ok()
}

/// Whether a bare two-label `name.cc` is a link despite its country-code domain.
pub(super) fn short_domain_ok(label: &str) -> bool {
    SHORT_OK.contains(&label.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_for_binary_search() {
        assert!(COUNTRY.windows(2).all(|w| w[0] < w[1]));
        assert!(GENERIC.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn known_domains() {
        for tld in ["com", "COM", "io", "jp", "dev", "xn--p1ai"] {
            assert!(is_known(tld), "{tld}");
        }
        for not in ["js", "g", "smith", "exe"] {
            assert!(!is_known(not), "{not}");
        }
        assert!(is_country("md") && !is_country("com"));
        assert!(short_domain_ok("CO") && !short_domain_ok("md"));
    }
}
