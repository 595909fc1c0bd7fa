//! X: the mentions timeline (`since_id`, `pagination_token`, `meta.newest_id`), replies through
//! `POST /2/tweets`.

use super::{ids, kinds, messages, paused_for_at_most};
use chrono::Utc;
use sellcast_domain::ConversationKind::{Comment, Mention};
use sellcast_fakes::x::{self as fake, XState};
use sellcast_platforms::inbound::ReplyRequest;
use sellcast_platforms::x::{XAdapter, XConfig};
use sellcast_platforms::{Credentials, HttpClient, Platform, PlatformAdapter, PublishRequest, Timeouts};
use serde_json::json;

const BOB: &str = "2001";
const CAROL: &str = "2002";

async fn setup() -> (sellcast_fakes::FakeServer, XState, XAdapter, Credentials) {
    let (server, state) = fake::start().await;
    let config = XConfig { api_url: server.url(), authorize_url: server.url(), upload_url: server.url() };
    let x = XAdapter::new(HttpClient::new(Timeouts::default()).unwrap(), config);
    let creds = Credentials {
        access_token: state.issue_token(fake::USER_ID),
        account_id: fake::USER_ID.into(),
        extra: json!({ "username": fake::USERNAME }),
        ..Credentials::default()
    };
    state.add_user(BOB, "bob", "Bob B");
    state.add_user(CAROL, "carol", "Carol C");
    (server, state, x, creds)
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[tokio::test]
async fn first_poll_then_only_newer_with_kinds_and_authors() {
    let (_server, state, x, creds) = setup().await;
    let req = PublishRequest {
        text: "The blue teapot is back".into(),
        media: vec![],
        first_comment: None,
        options: json!({}),
        idempotency_key: "post-1".into(),
        first_attempt_at: Utc::now(),
    };
    let post = x.publish(&creds, &req).await.unwrap().platform_post_id;
    let mention = state.add_mention(BOB, "is the blue one still available?");
    let comment = state.add_reply(BOB, &post, "love it & want <2>");
    let carols = state.add_reply(CAROL, &mention, "@bob @sellcast_fake same question");
    let elsewhere = state.add_reply(BOB, &carols, "@sellcast_fake look at this thread");

    let first = x.poll_inbox(&creds, None).await.unwrap();
    assert_eq!(ids(&first), [mention.as_str(), comment.as_str(), carols.as_str(), elsewhere.as_str()]);
    assert_eq!(kinds(&first), [Mention, Comment, Mention, Mention]);
    assert!(first.items.iter().all(|i| i.platform == Platform::X && i.account_id == fake::USER_ID));
    let m = messages(&first);
    assert_eq!(m[0].participant.id, BOB);
    assert_eq!((m[0].participant.username.as_deref(), m[0].participant.name.as_deref()), (Some("bob"), Some("Bob B")));
    assert_eq!(m[2].participant.username.as_deref(), Some("carol"));
    assert_eq!(m[1].text.as_deref(), Some("@sellcast_fake love it & want <2>"), "entities decoded");
    assert_eq!((m[1].thread_root_id.as_deref(), m[1].parent_id.as_deref()), (Some(post.as_str()), Some(post.as_str())));
    assert_eq!(m[1].shape, "reply");
    // A reply in someone else's thread that names the account is a mention of it.
    assert_eq!((m[3].thread_root_id.as_deref(), m[3].reply_to_id.as_deref()), (None, Some(carols.as_str())));
    assert!((Utc::now() - m[0].sent_at).num_seconds() < 60);
    assert_eq!(first.cursor.as_deref(), Some(elsewhere.as_str()), "meta.newest_id");
    assert_eq!(first.not_before, None);
    let query = &state.mention_queries()[0];
    assert!(query.contains("expansions=author_id") && !query.contains("since_id"), "{query}");

    let cursor = first.cursor.unwrap();
    let nothing = x.poll_inbox(&creds, Some(&cursor)).await.unwrap();
    assert!(nothing.items.is_empty() && nothing.cursor.is_none(), "{nothing:?}");
    let later = state.add_mention(CAROL, "one more");
    let second = x.poll_inbox(&creds, Some(&cursor)).await.unwrap();
    assert_eq!(ids(&second), [later.as_str()]);
    assert!(state.mention_queries().last().unwrap().contains(&format!("since_id={cursor}")));
    assert_eq!(second.cursor.as_deref(), Some(later.as_str()));
}

#[tokio::test]
async fn pages_back_to_the_cursor_and_pauses_when_the_window_is_spent() {
    let (_server, state, x, creds) = setup().await;
    assert!(x.poll_inbox(&creds, None).await.unwrap().cursor.is_none(), "nothing yet: no cursor");
    state.add_mention(BOB, "first");
    let cursor = x.poll_inbox(&creds, None).await.unwrap().cursor.unwrap();

    let sent: Vec<String> = (0..250).map(|i| state.add_mention(BOB, &format!("number {i}"))).collect();
    let before = state.mention_queries().len();
    let polled = x.poll_inbox(&creds, Some(&cursor)).await.unwrap();
    assert_eq!(ids(&polled), strs(&sent), "all 250, oldest first");
    let queries = state.mention_queries();
    assert_eq!(queries.len() - before, 3, "three pages of 100");
    assert!(queries.last().unwrap().contains("pagination_token=") && queries.last().unwrap().contains("since_id="));
    assert_eq!(polled.cursor.as_deref(), sent.last().map(String::as_str));
    let cursor = polled.cursor.unwrap();
    assert_eq!(x.poll_inbox(&creds, None).await.unwrap().items.len(), 100, "a first poll reads one page");

    // The window is spent on the last request of a poll: the items, and a pause.
    state.set_rate_limit_remaining(Some(1));
    let one = state.add_mention(CAROL, "hello");
    let polled = x.poll_inbox(&creds, Some(&cursor)).await.unwrap();
    assert_eq!(ids(&polled), [one.as_str()]);
    paused_for_at_most(&polled, 16);
    let cursor = polled.cursor.unwrap();
    let refused = x.poll_inbox(&creds, Some(&cursor)).await.unwrap();
    assert!(refused.items.is_empty() && refused.cursor.is_none(), "a 429 is a pause, not an error");
    paused_for_at_most(&refused, 16);

    // Spent in the middle of a listing that goes back newest first: nothing is delivered (it
    // would leave a gap), the whole listing comes after the reset.
    let more: Vec<String> = (0..150).map(|i| state.add_mention(CAROL, &format!("again {i}"))).collect();
    state.set_rate_limit_remaining(Some(1));
    let partial = x.poll_inbox(&creds, Some(&cursor)).await.unwrap();
    assert!(partial.items.is_empty() && partial.cursor.is_none(), "{:?}", partial.cursor);
    paused_for_at_most(&partial, 16);
    state.set_rate_limit_remaining(None);
    assert_eq!(ids(&x.poll_inbox(&creds, Some(&cursor)).await.unwrap()), strs(&more));
}

#[tokio::test]
async fn replies_are_threaded_under_the_post() {
    let (_server, state, x, creds) = setup().await;
    let mention = state.add_mention(BOB, "still in stock?");
    let req = ReplyRequest {
        parent_id: mention.clone(),
        text: "@bob yes, still in stock!".into(),
        direct: false,
        idempotency_key: "reply-1".into(),
    };
    let published = x.reply(&creds, &req).await.unwrap();
    let replies = state.replies(&mention);
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].id, published.platform_post_id);
    assert_eq!((replies[0].author_id.as_str(), replies[0].text.as_str()), (fake::USER_ID, "@bob yes, still in stock!"));
    assert_eq!(published.url, Some(format!("https://x.com/{}/status/{}", fake::USERNAME, published.platform_post_id)));
    // Our own reply is not one of our mentions.
    let polled = x.poll_inbox(&creds, None).await.unwrap();
    assert_eq!(ids(&polled), [mention.as_str()]);
    let bad = ReplyRequest { parent_id: "not-an-id".into(), ..req };
    assert!(x.reply(&creds, &bad).await.is_err());
}
