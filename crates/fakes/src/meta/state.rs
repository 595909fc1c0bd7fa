//! The fake Meta world: one Facebook user with Pages (some linked to Instagram professional
//! accounts), one Threads user, their tokens, media containers and published posts.

use super::messaging_state::MessagingWorld;
pub use super::network::Network;
use super::whatsapp_state::WhatsAppWorld;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet, VecDeque};

/// An Instagram professional account linked to a Page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeInstagram {
    pub id: String,
    pub username: String,
}

/// A Facebook Page the fake user manages, with its (non-expiring) Page token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakePage {
    pub id: String,
    pub name: String,
    pub access_token: String,
    pub instagram: Option<FakeInstagram>,
}

/// A published post (a Page post, an Instagram media, a Threads post or reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakePost {
    pub id: String,
    pub network: Network,
    /// Page id, Instagram user id or Threads user id.
    pub owner_id: String,
    pub text: String,
    /// e.g. TEXT, PHOTO, ALBUM, VIDEO (Facebook); IMAGE, CAROUSEL_ALBUM, REELS (Instagram);
    /// TEXT, IMAGE, VIDEO, CAROUSEL (Threads).
    pub kind: String,
    pub media_urls: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// Comments (Facebook, Instagram) or replies (Threads), oldest first.
    pub comments: Vec<String>,
    pub reply_to: Option<String>,
    pub likes: u64,
    pub shares: u64,
    pub views: u64,
    pub(crate) seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Subject {
    /// The Facebook user (Graph API).
    User,
    Page(String),
    /// The Threads user (Threads API).
    ThreadsUser,
}

#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub subject: Subject,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub(crate) struct IssuedCode {
    pub redirect_uri: String,
    pub network: Network,
}

/// An Instagram or Threads media container.
#[derive(Debug, Clone)]
pub(crate) struct Container {
    pub network: Network,
    pub owner_id: String,
    pub media_type: String,
    pub text: String,
    pub media_urls: Vec<String>,
    pub children: Vec<String>,
    pub is_carousel_item: bool,
    pub reply_to: Option<String>,
    /// Status reads left before processing is over.
    pub polls_left: u32,
    pub published: bool,
}

/// Container status as Meta reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    InProgress,
    Finished,
    Error,
    Published,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "IN_PROGRESS",
            Status::Finished => "FINISHED",
            Status::Error => "ERROR",
            Status::Published => "PUBLISHED",
        }
    }
}

pub(crate) struct World {
    pub user_id: String,
    pub user_name: String,
    pub pages: Vec<FakePage>,
    pub threads_user_id: String,
    pub threads_username: String,
    pub tokens: HashMap<String, Grant>,
    pub codes: HashMap<String, IssuedCode>,
    pub containers: HashMap<String, Container>,
    /// Top-level posts by id.
    pub posts: HashMap<String, FakePost>,
    /// Threads replies by id (their text is also in the parent's `comments`).
    pub replies: HashMap<String, FakePost>,
    /// Top-level post ids per owner, oldest first (listings walk it backwards).
    pub by_owner: HashMap<String, Vec<String>>,
    /// Unpublished Page photos: id → (page id, url).
    pub unpublished_photos: HashMap<String, (String, String)>,
    /// Instagram publishes per account in the moving 24-hour window.
    pub publish_log: HashMap<String, VecDeque<DateTime<Utc>>>,
    pub quota_total: u64,
    pub polls_to_finish: u32,
    pub failing_urls: HashSet<String>,
    pub status_reads: u64,
    /// WhatsApp Cloud API: the account, templates, media, customer windows, sends.
    pub whatsapp: WhatsAppWorld,
    /// Instagram/Messenger conversations: windows, comments, sends, webhook subscriptions.
    pub messaging: MessagingWorld,
    next_id: u64,
}

impl World {
    pub fn new() -> Self {
        let mut world = World {
            user_id: "10001".into(),
            user_name: "Sam Seller".into(),
            pages: Vec::new(),
            threads_user_id: "30001".into(),
            threads_username: "sellcast.threads".into(),
            tokens: HashMap::new(),
            codes: HashMap::new(),
            containers: HashMap::new(),
            posts: HashMap::new(),
            replies: HashMap::new(),
            by_owner: HashMap::new(),
            unpublished_photos: HashMap::new(),
            publish_log: HashMap::new(),
            // The content publishing guide's current number.
            quota_total: 100,
            polls_to_finish: 0,
            failing_urls: HashSet::new(),
            status_reads: 0,
            whatsapp: Default::default(),
            messaging: Default::default(),
            next_id: 1_000_000,
        };
        let pages = vec![
            FakePage {
                id: "20001".into(),
                name: "Sellcast Shop".into(),
                access_token: "EAAPage20001".into(),
                instagram: Some(FakeInstagram { id: "17841400000000001".into(), username: "sellcast_shop".into() }),
            },
            FakePage {
                id: "20002".into(),
                name: "Sellcast Outlet".into(),
                access_token: "EAAPage20002".into(),
                instagram: None,
            },
        ];
        world.set_pages(pages);
        world.grant("EAAUserLongLived".into(), Subject::User, Some(Utc::now() + chrono::Duration::days(60)));
        world.grant("THQThreadsLongLived".into(), Subject::ThreadsUser, Some(Utc::now() + chrono::Duration::days(60)));
        world
    }

    pub fn set_pages(&mut self, pages: Vec<FakePage>) {
        self.tokens.retain(|_, g| !matches!(g.subject, Subject::Page(_)));
        for p in &pages {
            // Page tokens from a long-lived user token do not expire.
            self.grant(p.access_token.clone(), Subject::Page(p.id.clone()), None);
        }
        self.pages = pages;
    }

    pub fn grant(&mut self, token: String, subject: Subject, expires_at: Option<DateTime<Utc>>) {
        self.tokens.insert(token, Grant { subject, expires_at });
    }

    pub fn next_id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    pub fn new_token(&mut self, prefix: &str) -> String {
        let n = self.next_id();
        format!("{prefix}{n}{:08x}", rand::random::<u32>())
    }

    pub fn page(&self, id: &str) -> Option<&FakePage> {
        self.pages.iter().find(|p| p.id == id)
    }

    pub fn instagram(&self, id: &str) -> Option<&FakeInstagram> {
        self.pages.iter().filter_map(|p| p.instagram.as_ref()).find(|ig| ig.id == id)
    }

    pub fn status(&self, id: &str) -> Option<Status> {
        let c = self.containers.get(id)?;
        if c.published {
            return Some(Status::Published);
        }
        if c.polls_left > 0 {
            return Some(Status::InProgress);
        }
        let failed = c.media_urls.iter().any(|u| self.failing_urls.contains(u))
            || c.children.iter().any(|child| self.status(child) == Some(Status::Error));
        Some(if failed { Status::Error } else { Status::Finished })
    }

    /// A status read: processing advances one step per read.
    pub fn poll(&mut self, id: &str) -> Option<Status> {
        self.status_reads += 1;
        let status = self.status(id)?;
        if let Some(c) = self.containers.get_mut(id) {
            c.polls_left = c.polls_left.saturating_sub(1);
        }
        Some(status)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn add_post(
        &mut self,
        id: String,
        network: Network,
        owner_id: &str,
        text: String,
        kind: &str,
        media_urls: Vec<String>,
        reply_to: Option<String>,
    ) -> String {
        let seq = self.next_id.wrapping_add(1);
        self.next_id = seq;
        let post = FakePost {
            id: id.clone(),
            network,
            owner_id: owner_id.to_string(),
            text,
            kind: kind.to_string(),
            media_urls,
            created_at: Utc::now(),
            comments: Vec::new(),
            reply_to: reply_to.clone(),
            likes: 0,
            shares: 0,
            views: 0,
            seq,
        };
        if let Some(parent) = reply_to {
            if let Some(p) = self.posts.get_mut(&parent) {
                p.comments.push(post.text.clone());
            }
            self.replies.insert(id.clone(), post);
        } else {
            self.by_owner.entry(owner_id.to_string()).or_default().push(id.clone());
            self.posts.insert(id.clone(), post);
        }
        id
    }

    /// Instagram publishes in the last 24 hours, forgetting older ones.
    pub fn quota_usage(&mut self, ig: &str) -> u64 {
        let cutoff = Utc::now() - chrono::Duration::hours(24);
        let log = self.publish_log.entry(ig.to_string()).or_default();
        while log.front().is_some_and(|t| *t < cutoff) {
            log.pop_front();
        }
        log.len() as u64
    }

    /// Newest-first page of an owner's posts: those at positions below `before` (a cursor),
    /// created at or after `since`, passing `keep`. Returns the items and the cursor to
    /// continue from when the page was cut by `limit`.
    pub fn listing(
        &self,
        owner: &str,
        since: Option<DateTime<Utc>>,
        before: Option<usize>,
        limit: usize,
        keep: impl Fn(&FakePost) -> bool,
    ) -> (Vec<&FakePost>, Option<usize>) {
        let Some(ids) = self.by_owner.get(owner) else { return (Vec::new(), None) };
        let end = before.unwrap_or(ids.len()).min(ids.len());
        let mut out = Vec::new();
        for pos in (0..end).rev() {
            let Some(post) = self.posts.get(&ids[pos]) else { continue };
            if since.is_some_and(|s| post.created_at < s) {
                return (out, None);
            }
            if !keep(post) {
                continue;
            }
            out.push(post);
            if out.len() >= limit {
                return (out, if pos > 0 { Some(pos) } else { None });
            }
        }
        (out, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_walk_newest_first_and_stop_at_since_with_100k_posts() {
        let mut w = World::new();
        for i in 0..100_000 {
            let id = format!("20001_{i}");
            w.add_post(id, Network::Facebook, "20001", format!("post {i}"), "TEXT", vec![], None);
        }
        let started = std::time::Instant::now();
        let mut cursor = None;
        for _ in 0..1_000 {
            let (items, next) = w.listing("20001", None, cursor, 100, |_| true);
            assert_eq!(items.len(), 100);
            cursor = next;
        }
        // 1,000 pages of 100 from 100,000 posts: each page costs its own size, not the total.
        assert_eq!(cursor, None);
        let (newest, _) = w.listing("20001", None, None, 1, |_| true);
        assert_eq!(newest[0].text, "post 99999");
        let (none, next) = w.listing("20001", Some(Utc::now() + chrono::Duration::seconds(1)), None, 100, |_| true);
        assert!(none.is_empty() && next.is_none());
        eprintln!("1,000 listing pages over 100,000 posts: {:?}", started.elapsed());
    }
}
