//! What the demo organization contains: clients, channels, team and a month of posts, laid
//! out deterministically around "now" so every run looks alike.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use sellcast_domain::Role;

pub struct DemoClient {
    pub name: &'static str,
    pub email: &'static str,
    pub phone: &'static str,
    pub website: &'static str,
    pub notes: &'static str,
}

pub const CLIENTS: [DemoClient; 3] = [
    DemoClient {
        name: "Crumb & Co Bakery",
        email: "hello@crumbandco.example",
        phone: "+33 1 42 00 12 34",
        website: "https://crumbandco.example",
        notes: "Two shops (Canal and Market Hall). Sourdough, viennoiserie, weekend specials. \
                Photos every Friday; never post before 7:00.",
    },
    DemoClient {
        name: "Maison Lune Boutique",
        email: "studio@maisonlune.example",
        phone: "+33 6 12 34 56 78",
        website: "https://maisonlune.example",
        notes: "Slow-fashion boutique. New drop on the first Thursday of the month; tone: warm, no exclamation \
                marks in a row.",
    },
    DemoClient {
        name: "Northside Coffee Roasters",
        email: "team@northside.example",
        phone: "+44 161 496 0000",
        website: "https://northside.example",
        notes: "Specialty roaster with a subscription box. Always link the shop in the first comment.",
    },
];

/// A sandbox channel and the client (index into CLIENTS) it belongs to.
pub const CHANNELS: [(&str, Option<usize>); 4] = [
    ("Crumb & Co · Canal", Some(0)),
    ("Crumb & Co · Market Hall", Some(0)),
    ("Maison Lune", Some(1)),
    ("Northside Roasters", Some(2)),
];
/// The channel whose token is revoked during the month (it ends up needing a reconnect).
pub const REVOKED_CHANNEL: usize = 3;

pub const TEAM: [(&str, &str, Role); 3] =
    [("Alex Martin", "alex", Role::Admin), ("Sam Rivera", "sam", Role::Editor), ("Jo Chen", "jo", Role::Viewer)];

pub struct Text {
    pub text: &'static str,
    pub tags: &'static [&'static str],
    pub campaign: Option<&'static str>,
}

const fn t(text: &'static str, tags: &'static [&'static str], campaign: Option<&'static str>) -> Text {
    Text { text, tags, campaign }
}

const BAKERY: &[Text] = &[
    t("Fresh out of the oven 🥖 Our country sourdough rested 36 hours for that crackly crust. First batch at 7:00, usually gone by 10. #sourdough #bakerylife", &["sourdough", "daily"], None),
    t("Croissant Saturday 🥐 81 layers of butter, folded by hand. Pre-order for pick-up: https://crumbandco.example/order #croissant #weekend", &["weekend", "viennoiserie"], Some("Weekend pre-orders")),
    t("Meet Lina, who starts her shift at 4 a.m. so your bread is warm at 7 ☀️ Say hi at the Canal shop! #meettheteam", &["team"], None),
    t("NEW: rhubarb & pistachio danish 🌸 Only at the Market Hall shop this week. #newrecipe #seasonal", &["seasonal", "new"], Some("Spring menu")),
    t("Rainy day = cinnamon bun day ☔🍥 Buy two, get a free filter coffee until noon. #cinnamonroll #treatyourself", &["offer"], Some("Spring menu")),
    t("Our rye starter turned 9 today 🎂 Fed twice a day since 2016. Come taste the birthday loaf. #sourdough #rye", &["sourdough", "story"], None),
    t("Behind the scenes: shaping 240 baguettes before sunrise 🕓 Video on the blog → https://crumbandco.example/blog/baguettes #behindthescenes", &["behindthescenes"], None),
    t("Weekend special: lemon meringue tart 🍋 whole tarts on order, slices in store. https://crumbandco.example/order #weekend #pastry", &["weekend", "pastry"], Some("Weekend pre-orders")),
    t("Zero waste Sunday ♻️ yesterday's bread becomes today's bread pudding. Half price from 15:00. #zerowaste", &["zerowaste", "offer"], None),
    t("Gluten-free seeded loaf is back by popular demand 🌾 Baked in a separate oven, Tuesdays and Fridays. #glutenfree", &["glutenfree", "new"], Some("Spring menu")),
    t("Thank you for 10,000 loaves this spring 🙏 To celebrate, a free mini-brioche with every order this Friday. #community", &["community", "offer"], None),
    t("Ever wondered why our crumb is so open? 💧 High hydration (78%) and a long cold proof. Full recipe: https://crumbandco.example/blog/hydration #breadnerd", &["sourdough", "education"], None),
];

const BOUTIQUE: &[Text] = &[
    t("The linen edit is here 🌿 Breathable, undyed, made to last. Shop the drop → https://maisonlune.example/linen #slowfashion #linen", &["newdrop", "linen"], Some("Summer linen drop")),
    t("Styled three ways: the Margot wrap dress 👗 office, picnic, dinner. Which one is you? #styling #ootd", &["styling"], Some("Summer linen drop")),
    t("Made in a family atelier in Porto, 14 people, fair wages 🤝 Meet them on our journal: https://maisonlune.example/journal/porto #whomademyclothes", &["ethics", "story"], None),
    t("Last sizes in the oat cardigan 🧶 XS and L only. Back in autumn, maybe. #lastchance", &["stock"], None),
    t("Care tip: wash linen cold, dry flat, embrace the creases ✨ It softens with every wear. #caretips #slowfashion", &["education", "linen"], None),
    t("Friday night shopping 🕯️ open until 21:00 with natural wine from our neighbours. Bring a friend. #shoplocal", &["event"], Some("Late opening")),
    t("New in: recycled silver hoops by @atelier.nord 💫 Each pair hand-finished. https://maisonlune.example/jewellery #jewellery", &["newdrop", "jewellery"], None),
    t("Your wardrobe, repaired 🪡 Free mending on any Maison Lune piece, every first Saturday. #repair #circularfashion", &["repair", "service"], None),
    t("Summer sale starts Thursday: 30% off last season 🌞 Members get early access tonight → https://maisonlune.example/members #sale", &["sale"], Some("Summer sale")),
    t("Behind the label: why we only use deadstock buttons 🔘 #sustainability #behindthescenes", &["story", "sustainability"], None),
    t("Gift cards, wrapped in our signature moon paper 🌙 Available in store and online. #giftideas", &["gifts"], None),
    t("Weekend look: wide-leg trousers + the Juno tee 🤍 Both in natural dye. #ootd #weekend", &["styling", "weekend"], Some("Summer linen drop")),
];

const ROASTER: &[Text] = &[
    t("New single origin: Huila, Colombia ☕ Notes of red apple, panela and cacao. Roasted Monday, shipped Tuesday. #specialtycoffee #singleorigin", &["singleorigin", "new"], Some("Single origin launch")),
    t("Brew guide Thursday 📐 V60, 15 g coffee, 250 g water at 94 °C, 3:00 total. Full guide: https://northside.example/brew/v60 #pourover #brewguide", &["education", "brewguide"], None),
    t("Our subscription box now ships to Ireland 🇮🇪 First bag 50% off with code NORTHSIDE50. #coffeesubscription", &["subscription", "offer"], Some("Subscriptions")),
    t("Cupping table today: 11 lots from Ethiopia, 2 made the cut 👃 Guess which one becomes our autumn espresso? #cupping #roasterlife", &["behindthescenes"], None),
    t("Direct trade, explained 🌍 We paid 2.4× the fair-trade minimum for this Huila lot. Transparency report: https://northside.example/transparency #directtrade", &["ethics", "singleorigin"], Some("Single origin launch")),
    t("Roast day 🔥 12 kg batches on the Probat since 6 a.m. The whole street smells amazing. #roastday", &["behindthescenes"], None),
    t("Cold brew season is open 🧊 Our Brazil Mogiana steeped 18 h. Cans in the shop from today. #coldbrew", &["new", "seasonal"], None),
    t("Latte art throwdown next Friday 🎉 Sign up at the bar, winner gets a year of coffee. #latteart #event", &["event"], None),
    t("Decaf that tastes like coffee 😌 Sugarcane process, Colombia. Perfect for the 4 p.m. cup. #decaf", &["decaf"], Some("Subscriptions")),
    t("Grind size matters more than you think ⚙️ Swipe for the chart from French press to espresso. #coffeetips", &["education"], None),
    t("Meet the farmers: the Ortiz family in Pitalito 🌱 Third harvest together. Story: https://northside.example/origins/ortiz #origin", &["story", "singleorigin"], Some("Single origin launch")),
    t("Weekend espresso: Kenya Kiambu AA 🍒 bright, jammy, gone by Sunday. #espresso #weekend", &["weekend", "espresso"], None),
];

const DRAFTS: &[(usize, &str, &[&str])] = &[
    (0, "Idea: Mother's Day brunch box 💐 — croissants, jam, orange juice. Need prices from the shop.", &["ideas"]),
    (1, "Autumn lookbook teaser 🍂 waiting for the photos from Tuesday's shoot.", &["ideas", "lookbook"]),
    (2, "Giveaway: win a 3-month subscription ☕ (check the rules with legal first)", &["giveaway"]),
    (0, "Poll: what should our next seasonal loaf be? 🥖 fig & walnut / olive & rosemary / chocolate rye", &["poll"]),
    (1, "Collab with @atelier.nord — joint post text TBD ✍️", &["collab"]),
    (2, "Workshop announcement: home espresso basics, 2 h, £35 — date to confirm 📅", &["event"]),
];

pub fn texts_of(client: usize) -> &'static [Text] {
    match client {
        0 => BAKERY,
        1 => BOUTIQUE,
        _ => ROASTER,
    }
}

pub fn drafts() -> &'static [(usize, &'static str, &'static [&'static str])] {
    DRAFTS
}

/// Why a demo publish fails: platform errors as people meet them.
pub const FAILURES: [&str; 4] = [
    "422 Unprocessable Entity: Validation failed: the image could not be fetched from its URL (HTTP 403 from the media host)",
    "400 Bad Request: duplicate content; this text was already posted to the account in the last 24 hours",
    "403 Forbidden: the account is temporarily restricted from posting links (spam protection, 24 hours)",
    "422 Unprocessable Entity: Validation failed: text is longer than the account's 500-character limit",
];
pub const REVOKED: &str = "401 Unauthorized: the access token was revoked by the account owner";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// In the future: stays scheduled.
    Scheduled,
    Published,
    /// Every channel refuses with FAILURES[n].
    Failed(usize),
    /// The last channel refuses with FAILURES[n], the others publish.
    Partial(usize),
    /// The channel's token is revoked: it needs a reconnect and the post waits.
    Revoked,
}

pub struct Planned {
    pub at: DateTime<Utc>,
    pub client: usize,
    pub channels: Vec<usize>,
    pub text: &'static Text,
    /// A first comment (the roaster's shop link).
    pub first_comment: Option<&'static str>,
    pub fate: Fate,
}

/// Two posts a day from 20 days ago to 9 days ahead.
pub fn plan(now: DateTime<Utc>) -> Vec<Planned> {
    let today = now.date_naive();
    let mut out = Vec::new();
    let mut per_client = [0usize; 3];
    let mut revoked = false;
    for day in -20i64..=9 {
        for slot in 0..2usize {
            let i = ((day + 20) * 2) as usize + slot;
            let client = (i * 7 + day.unsigned_abs() as usize) % 3;
            let texts = texts_of(client);
            let text = &texts[per_client[client] % texts.len()];
            per_client[client] += 1;
            let (hour, minute) = if slot == 0 {
                (8 + (i % 3) as u32, (i * 13 % 4) as u32 * 15)
            } else {
                (17 + (i % 2) as u32, (i * 7 % 4) as u32 * 15)
            };
            let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default();
            let at = (today + Duration::days(day)).and_time(time).and_utc();
            let channels = match client {
                0 if !i.is_multiple_of(3) => vec![0, 1],
                0 => vec![i % 2],
                1 => vec![2],
                _ => vec![3],
            };
            let fate = if at > now {
                Fate::Scheduled
            } else if client == 2 && day >= -3 && !revoked {
                revoked = true;
                Fate::Revoked
            } else if channels.len() > 1 && i % 4 == 1 {
                Fate::Partial(i % FAILURES.len())
            } else if channels.len() == 1 && i % 7 == 3 {
                Fate::Failed(i % FAILURES.len())
            } else {
                Fate::Published
            };
            let first_comment = (client == 2).then_some("☕ Shop the beans: https://northside.example/shop");
            out.push(Planned { at, client, channels, text, first_comment, fate });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_has_every_fate_and_one_revoked_channel() {
        let now = Utc::now();
        let plan = plan(now);
        assert!(plan.len() >= 55, "{}", plan.len());
        let has = |f: fn(&Fate) -> bool| plan.iter().any(|p| f(&p.fate));
        assert!(has(|f| *f == Fate::Scheduled));
        assert!(has(|f| *f == Fate::Published));
        assert!(has(|f| matches!(f, Fate::Failed(_))));
        assert!(has(|f| matches!(f, Fate::Partial(_))));
        assert_eq!(plan.iter().filter(|p| p.fate == Fate::Revoked).count(), 1);
        for p in &plan {
            assert_eq!(p.fate == Fate::Scheduled, p.at > now);
            if matches!(p.fate, Fate::Partial(_)) {
                assert!(p.channels.len() > 1);
            }
        }
    }
}
