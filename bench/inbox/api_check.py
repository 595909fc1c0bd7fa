"""The API's view after a run of bench/inbox/run.sh (stdlib only): the org's conversations
with their message counts, and one conversation's thread paged through whole. Prints one JSON
line; exits 1 when the API shows a different number of messages than the database holds.

    python3 bench/inbox/api_check.py BASE_URL TOKEN ORG_ID STORED_MESSAGES
"""

import json
import sys
import urllib.parse
import urllib.request

BASE, TOKEN, ORG, STORED = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], int(sys.argv[4])


def get(path, **query):
    query = {k: v for k, v in query.items() if v is not None}
    url = f"{BASE}{path}" + ("?" + urllib.parse.urlencode(query) if query else "")
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=60) as res:
        return json.loads(res.read())


def pages(path):
    cursor = None
    while True:
        page = get(path, limit=200, cursor=cursor)
        yield from page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return


def main():
    conversations = list(pages(f"/api/v1/orgs/{ORG}/conversations"))
    listed = sum(c["message_count"] for c in conversations)
    biggest = max(conversations, key=lambda c: c["message_count"]) if conversations else None
    thread = list(pages(f"/api/v1/orgs/{ORG}/conversations/{biggest['id']}/messages")) if biggest else []
    ids = {m["platform_message_id"] for m in thread}
    result = {
        "conversations": len(conversations),
        "messages_listed": listed,
        "stored": STORED,
        "thread_message_count": biggest["message_count"] if biggest else 0,
        "thread_paged": len(thread),
        "thread_distinct": len(ids),
        "ok": bool(conversations) and listed == STORED and len(thread) == len(ids) == biggest["message_count"],
    }
    print(json.dumps(result))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
