//! Bluesky: `listNotifications` (mentions, replies, quotes; newest first, read back to the
//! stored `indexedAt`), replies as records at a key derived from the idempotency key. Against
//! the fake PDS: a lone PDS has no AppView, so notifications cannot be read from one.

use super::{ids, kinds, messages, paused_for_at_most};
use chrono::{DateTime, Utc};
use sellcast_domain::ConversationKind::{Comment, Mention};
use sellcast_fakes::bluesky::{self, BlueskyState, DID};
use sellcast_fakes::{FakeServer, Fault};
use sellcast_platforms::bluesky::{BlueskyAdapter, BlueskyConfig};
use sellcast_platforms::inbound::ReplyRequest;
use sellcast_platforms::{Credentials, HttpClient, Platform, PlatformAdapter, PlatformError, PublishRequest, Timeouts};
use serde_json::json;
use std::time::Duration;

const BOB: &str = "did:plc:sellcastfakebob00000000000";

struct Setup {
    server: FakeServer,
    fake: BlueskyState,
    adapter: BlueskyAdapter,
    alice: Credentials,
    bob: Credentials,
}

async fn setup() -> Setup {
    let (server, fake) = bluesky::start().await;
    let http = HttpClient::new(Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(5) }).unwrap();
    let adapter = BlueskyAdapter::new(http, BlueskyConfig { default_server: server.url() });
    fake.add_account(BOB, "bob.test", &["bob-password"]);
    fake.set_display_name(BOB, "Bob");
    let creds = |did: &str| Credentials {
        access_token: fake.issue_session(did).0,
        account_id: did.into(),
        server_url: Some(server.url()),
        ..Default::default()
    };
    let (alice, bob) = (creds(DID), creds(BOB));
    Setup { server, fake, adapter, alice, bob }
}

fn post(text: &str, key: &str) -> PublishRequest {
    PublishRequest {
        text: text.into(),
        media: vec![],
        first_comment: None,
        options: json!({}),
        idempotency_key: key.into(),
        first_attempt_at: Utc::now(),
    }
}

fn reply(parent: &str, text: &str, key: &str) -> ReplyRequest {
    ReplyRequest { parent_id: parent.into(), text: text.into(), direct: false, idempotency_key: key.into() }
}

/// A post by Bob mentioning Alice, written straight into the fake.
fn mention(fake: &BlueskyState, text: &str) -> String {
    let text = format!("@alice.test {text}");
    let facet = json!({ "index": { "byteStart": 0, "byteEnd": 11 }, "features": [{ "$type": "app.bsky.richtext.facet#mention", "did": DID }] });
    fake.add_post(BOB, json!({ "text": text, "facets": [facet] })).uri
}

#[tokio::test]
async fn first_poll_then_only_newer_with_reasons_and_authors() {
    let s = setup().await;
    let ours = s.adapter.publish(&s.alice, &post("The blue teapot is back", "alice-post")).await.unwrap();
    let ours = ours.platform_post_id;
    let text = "hey @alice.test is the blue one still available?";
    let mentioned = s.adapter.publish(&s.bob, &post(text, "bob-mention")).await.unwrap().platform_post_id;
    let comment = s.adapter.reply(&s.bob, &reply(&ours, "love it", "bob-reply")).await.unwrap().platform_post_id;
    let cid = s.fake.record(&ours).unwrap().cid;
    let embed = json!({ "$type": "app.bsky.embed.record", "record": { "uri": ours, "cid": cid } });
    let quote = s.fake.add_post(BOB, json!({ "text": "look at this", "embed": embed })).uri;
    s.fake.add_post(BOB, json!({ "text": "nothing to do with alice" }));
    // Alice's own reply notifies Bob, not her.
    s.adapter.reply(&s.alice, &reply(&mentioned, "yes it is!", "alice-answer")).await.unwrap();

    let first = s.adapter.poll_inbox(&s.alice, None).await.unwrap();
    assert_eq!(ids(&first), [mentioned.as_str(), comment.as_str(), quote.as_str()], "oldest first");
    assert_eq!(kinds(&first), [Mention, Comment, Mention]);
    assert!(first.items.iter().all(|i| i.platform == Platform::Bluesky && i.account_id == DID));
    let m = messages(&first);
    assert_eq!(m.iter().map(|m| m.shape.as_str()).collect::<Vec<_>>(), ["mention", "reply", "quote"]);
    assert_eq!(m[0].participant.id, BOB);
    assert_eq!(
        (m[0].participant.username.as_deref(), m[0].participant.name.as_deref()),
        (Some("bob.test"), Some("Bob"))
    );
    assert_eq!(m[0].text.as_deref(), Some(text));
    assert_eq!((m[1].thread_root_id.as_deref(), m[1].parent_id.as_deref()), (Some(ours.as_str()), Some(ours.as_str())));
    assert_eq!(m[2].reply_to_id.as_deref(), Some(ours.as_str()), "a quote points at the quoted post");
    let created = s.fake.record(&comment).unwrap().value["createdAt"].as_str().unwrap().to_string();
    assert_eq!(m[1].sent_at, DateTime::parse_from_rfc3339(&created).unwrap());
    assert_eq!(first.not_before, None);
    let cursor = first.cursor.clone().expect("the first poll gives a cursor");
    assert_eq!(DateTime::parse_from_rfc3339(&cursor).unwrap(), s.fake.record(&quote).unwrap().created_at);

    let nothing = s.adapter.poll_inbox(&s.alice, Some(&cursor)).await.unwrap();
    assert!(nothing.items.is_empty() && nothing.cursor.is_none(), "{nothing:?}");
    let later = mention(&s.fake, "one more question");
    let second = s.adapter.poll_inbox(&s.alice, Some(&cursor)).await.unwrap();
    assert_eq!(ids(&second), [later.as_str()]);
    assert!(second.cursor.unwrap() > cursor);
}

#[tokio::test]
async fn reads_pages_back_to_the_cursor_and_pauses_when_the_budget_is_spent() {
    let s = setup().await;
    let empty = s.adapter.poll_inbox(&s.alice, None).await.unwrap();
    assert!(empty.items.is_empty() && empty.cursor.is_none());
    mention(&s.fake, "first");
    let cursor = s.adapter.poll_inbox(&s.alice, None).await.unwrap().cursor.unwrap();

    let sent: Vec<String> = (0..120).map(|i| mention(&s.fake, &format!("number {i}"))).collect();
    let polled = s.adapter.poll_inbox(&s.alice, Some(&cursor)).await.unwrap();
    assert_eq!(ids(&polled), sent.iter().map(String::as_str).collect::<Vec<_>>(), "three pages, oldest first");
    let cursor = polled.cursor.unwrap();
    assert_eq!(s.adapter.poll_inbox(&s.alice, None).await.unwrap().items.len(), 50, "a first poll reads one page");

    s.fake.set_rate_limit_remaining(Some(1));
    let one = mention(&s.fake, "hello");
    let polled = s.adapter.poll_inbox(&s.alice, Some(&cursor)).await.unwrap();
    assert_eq!(ids(&polled), [one.as_str()]);
    paused_for_at_most(&polled, 6);
    let cursor = polled.cursor.unwrap();
    let refused = s.adapter.poll_inbox(&s.alice, Some(&cursor)).await.unwrap();
    assert!(refused.items.is_empty() && refused.cursor.is_none(), "a 429 is a pause, not an error");
    paused_for_at_most(&refused, 6);

    // Spent before the listing reached the cursor: nothing (it would leave a gap) until the reset.
    let more: Vec<String> = (0..60).map(|i| mention(&s.fake, &format!("again {i}"))).collect();
    s.fake.set_rate_limit_remaining(Some(1));
    let partial = s.adapter.poll_inbox(&s.alice, Some(&cursor)).await.unwrap();
    assert!(partial.items.is_empty() && partial.cursor.is_none());
    paused_for_at_most(&partial, 6);
    s.fake.set_rate_limit_remaining(None);
    let rest = s.adapter.poll_inbox(&s.alice, Some(&cursor)).await.unwrap();
    assert_eq!(ids(&rest), more.iter().map(String::as_str).collect::<Vec<_>>());
}

#[tokio::test]
async fn replies_are_threaded_with_facets_and_never_posted_twice() {
    let s = setup().await;
    let top = s.adapter.publish(&s.bob, &post("@alice.test still in stock?", "bob-top")).await.unwrap();
    let top = s.fake.record(&top.platform_post_id).unwrap();
    let req = reply(&top.uri, "thanks @bob.test, yes!", "reply-1");
    let answer = s.adapter.reply(&s.alice, &req).await.unwrap();
    let stored = s.fake.record(&answer.platform_post_id).unwrap();
    assert_eq!(stored.did, DID);
    let strong = json!({ "uri": top.uri, "cid": top.cid });
    assert_eq!(stored.value["reply"], json!({ "root": strong, "parent": strong }));
    assert_eq!(
        stored.value["facets"][0]["features"][0],
        json!({ "$type": "app.bsky.richtext.facet#mention", "did": BOB })
    );
    assert_eq!(answer.url, Some(format!("https://bsky.app/profile/{DID}/post/{}", stored.rkey)));

    // Retried (and once with the answer lost): the key already holds the reply, no second one.
    assert_eq!(s.adapter.reply(&s.alice, &req).await.unwrap(), answer);
    s.server.faults.push(Some("POST"), "createRecord", Fault::DropAfterHandling);
    let lost = reply(&top.uri, "and in red too", "reply-2");
    let err = s.adapter.reply(&s.alice, &lost).await.unwrap_err();
    assert!(matches!(err, PlatformError::Unknown { .. }), "{err:?}");
    let found = s.adapter.reply(&s.alice, &lost).await.unwrap();
    assert_eq!(s.fake.replies(&top.uri).len(), 2);
    assert_ne!(found, answer);

    // Deeper in the thread the root stays the top post; without an AppView the parent is read
    // from its repo.
    s.fake.set_lone_pds(true);
    let deeper = s.adapter.reply(&s.bob, &reply(&answer.platform_post_id, "great", "bob-deeper")).await.unwrap();
    let deeper = s.fake.record(&deeper.platform_post_id).unwrap();
    assert_eq!(deeper.value["reply"]["root"]["uri"], top.uri.as_str());
    assert_eq!(deeper.value["reply"]["parent"], json!({ "uri": answer.platform_post_id, "cid": stored.cid }));

    let gone = format!("at://{BOB}/app.bsky.feed.post/3l25zusnsfck2");
    let err = s.adapter.reply(&s.alice, &reply(&gone, "hello?", "reply-3")).await.unwrap_err();
    assert!(matches!(err, PlatformError::Permanent { status: Some(404), .. }), "{err:?}");
    assert!(s.adapter.reply(&s.alice, &reply("https://bsky.app/x", "hi", "reply-4")).await.is_err());
}
