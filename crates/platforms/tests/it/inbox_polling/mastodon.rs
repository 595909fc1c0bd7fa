//! Mastodon: mention notifications (`types[]=mention`, `min_id` forward paging), replies with
//! an `Idempotency-Key`.

use super::{ids, kinds, messages, paused_for_at_most};
use chrono::{SubsecRound, Utc};
use sellcast_domain::ConversationKind::{Comment, Direct, Mention};
use sellcast_fakes::mastodon::{self, MastodonState, ACCOUNT_ID};
use sellcast_platforms::inbound::ReplyRequest;
use sellcast_platforms::mastodon::MastodonAdapter;
use sellcast_platforms::{Credentials, HttpClient, Platform, PlatformAdapter, PublishRequest, Timeouts};
use serde_json::json;
use std::time::Duration;

const BOB: &str = "200";
const CAROL: &str = "201";

async fn setup() -> (sellcast_fakes::FakeServer, MastodonState, MastodonAdapter, Credentials) {
    let (server, fake) = mastodon::start().await;
    let http = HttpClient::new(Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(5) }).unwrap();
    let creds = Credentials {
        access_token: fake.issue_token(ACCOUNT_ID),
        account_id: ACCOUNT_ID.into(),
        server_url: Some(server.url()),
        ..Default::default()
    };
    fake.add_sender(BOB, "bob@remote.example", "Bob Remote");
    fake.add_sender(CAROL, "carol", "");
    (server, fake, MastodonAdapter::new(http), creds)
}

fn reply(parent: &str, text: &str, direct: bool, key: &str) -> ReplyRequest {
    ReplyRequest { parent_id: parent.into(), text: text.into(), direct, idempotency_key: key.into() }
}

#[tokio::test]
async fn first_poll_then_only_newer_with_kinds_participants_and_text() {
    let (_server, fake, adapter, creds) = setup().await;
    let req = PublishRequest {
        text: "The blue teapot is back".into(),
        media: vec![],
        first_comment: None,
        options: json!({}),
        idempotency_key: "post-1".into(),
        first_attempt_at: Utc::now(),
    };
    let post = adapter.publish(&creds, &req).await.unwrap().platform_post_id;
    let mention = fake.add_mention(BOB, "@sellcast is the blue one still available?");
    let direct = fake.add_direct(CAROL, "@sellcast price for 2 & shipping?\nThanks");
    fake.add_favourite(BOB, &post);
    let comment = fake.add_reply(BOB, &post, "@sellcast love it <3");

    let first = adapter.poll_inbox(&creds, None).await.unwrap();
    assert_eq!(ids(&first), [mention.as_str(), direct.as_str(), comment.as_str()], "oldest first, no favourite");
    assert_eq!(kinds(&first), [Mention, Direct, Comment]);
    assert!(first.items.iter().all(|i| i.platform == Platform::Mastodon && i.account_id == ACCOUNT_ID));
    assert_eq!(first.not_before, None);
    let m = messages(&first);
    assert_eq!(m[0].participant.id, BOB);
    assert_eq!(m[0].participant.username.as_deref(), Some("bob@remote.example"));
    assert_eq!(m[0].participant.name.as_deref(), Some("Bob Remote"));
    assert_eq!(m[1].participant.name, None, "an empty display name is no name");
    assert_eq!(m[1].text.as_deref(), Some("@sellcast price for 2 & shipping?\nThanks"));
    assert_eq!(m[2].text.as_deref(), Some("@sellcast love it <3"));
    assert_eq!((m[2].thread_root_id.as_deref(), m[2].parent_id.as_deref()), (Some(post.as_str()), Some(post.as_str())));
    assert_eq!(m[0].thread_root_id, None);
    assert_eq!(m[0].shape, "mention");
    let status = fake.status(&comment).unwrap();
    // Mastodon shows times to the millisecond.
    assert_eq!(m[2].sent_at, status.created_at.trunc_subsecs(3));
    let cursor = first.cursor.clone().expect("the first poll gives a cursor");
    let query = fake.notification_queries()[0].clone();
    assert!(query.contains("types%5B%5D=mention") && !query.contains("min_id"), "{query}");

    let nothing = adapter.poll_inbox(&creds, Some(&cursor)).await.unwrap();
    assert!(nothing.items.is_empty() && nothing.cursor.is_none(), "{nothing:?}");
    let later = fake.add_mention(CAROL, "@sellcast one more question");
    let second = adapter.poll_inbox(&creds, Some(&cursor)).await.unwrap();
    assert_eq!(ids(&second), [later.as_str()]);
    assert!(fake.notification_queries().last().unwrap().contains(&format!("min_id={cursor}")));
    assert_ne!(second.cursor.as_deref(), Some(cursor.as_str()));
}

#[tokio::test]
async fn pages_forward_from_the_cursor_and_pauses_when_the_budget_is_spent() {
    let (_server, fake, adapter, creds) = setup().await;
    let empty = adapter.poll_inbox(&creds, None).await.unwrap();
    assert!(empty.items.is_empty() && empty.cursor.is_none());
    fake.add_mention(BOB, "@sellcast first");
    let cursor = adapter.poll_inbox(&creds, None).await.unwrap().cursor.unwrap();

    let sent: Vec<String> = (0..100).map(|i| fake.add_mention(BOB, &format!("@sellcast number {i}"))).collect();
    let requests = fake.notification_queries().len();
    let polled = adapter.poll_inbox(&creds, Some(&cursor)).await.unwrap();
    assert_eq!(ids(&polled), sent.iter().map(String::as_str).collect::<Vec<_>>(), "all 100, oldest first");
    assert_eq!(fake.notification_queries().len() - requests, 3, "three pages of 40");
    let cursor = polled.cursor.unwrap();
    // A first poll reads one page only.
    assert_eq!(adapter.poll_inbox(&creds, None).await.unwrap().items.len(), 40);

    // The budget runs out after the first page: what was read is kept, the rest waits.
    let more: Vec<String> = (0..50).map(|i| fake.add_mention(CAROL, &format!("@sellcast again {i}"))).collect();
    fake.set_rate_limit_remaining(Some(1));
    let partial = adapter.poll_inbox(&creds, Some(&cursor)).await.unwrap();
    assert_eq!(ids(&partial), more[..40].iter().map(String::as_str).collect::<Vec<_>>());
    paused_for_at_most(&partial, 6);
    let cursor = partial.cursor.unwrap();
    let refused = adapter.poll_inbox(&creds, Some(&cursor)).await.unwrap();
    assert!(refused.items.is_empty() && refused.cursor.is_none(), "a 429 is a pause, not an error");
    paused_for_at_most(&refused, 6);
    fake.set_rate_limit_remaining(None);
    let rest = adapter.poll_inbox(&creds, Some(&cursor)).await.unwrap();
    assert_eq!(ids(&rest), more[40..].iter().map(String::as_str).collect::<Vec<_>>());
}

#[tokio::test]
async fn replies_are_threaded_with_the_idempotency_key() {
    let (_server, fake, adapter, creds) = setup().await;
    let mention = fake.add_mention(BOB, "@sellcast still in stock?");
    let req = reply(&mention, "@bob@remote.example yes, still in stock!", false, "reply-key-1");
    let published = adapter.reply(&creds, &req).await.unwrap();
    let status = fake.status(&published.platform_post_id).unwrap();
    assert_eq!(status.in_reply_to_id.as_deref(), Some(mention.as_str()));
    assert_eq!(status.in_reply_to_account_id.as_deref(), Some(BOB));
    assert_eq!(status.idempotency_key.as_deref(), Some("reply-key-1"));
    assert_eq!((status.visibility.as_str(), status.account_id.as_str()), ("public", ACCOUNT_ID));
    assert!(published.url.is_some());
    // The same key again: Mastodon gives back the status the first request made.
    assert_eq!(adapter.reply(&creds, &req).await.unwrap(), published);
    assert_eq!(fake.replies(&mention).len(), 1);

    let direct = fake.add_direct(CAROL, "@sellcast can I pay on delivery?");
    let answer = adapter.reply(&creds, &reply(&direct, "@carol yes", true, "reply-key-2")).await.unwrap();
    let status = fake.status(&answer.platform_post_id).unwrap();
    assert_eq!((status.visibility.as_str(), status.in_reply_to_id.as_deref()), ("direct", Some(direct.as_str())));
    assert!(adapter.reply(&creds, &reply("../x", "hi", false, "k")).await.is_err());
}
