"""Signed Messenger webhook deliveries for bench/inbox/webhooks.lua (stdlib only).

Writes COUNT lines, one delivery each: the X-Hub-Signature-256 value, a tab, then the raw body
(compact JSON, no tab or newline in it). Every delivery is one text message to the Page
PAGE_ID with its own mid (`m_<PREFIX>_<n>`), from one of SENDERS customers in turn, so each
acknowledged delivery should become exactly one row of `messages`.

    python3 bench/inbox/bodies.py SECRET PAGE_ID PREFIX COUNT [SENDERS] > bodies.tsv
"""

import hashlib
import hmac
import sys
import time

SECRET = sys.argv[1].encode()
PAGE_ID = sys.argv[2]
PREFIX = sys.argv[3]
COUNT = int(sys.argv[4])
SENDERS = int(sys.argv[5]) if len(sys.argv) > 5 else 8

TEXTS = [
    "Hi! Is the blue one still available?",
    "Do you ship to Lyon? How long does it take?",
    "Can I pay on delivery?",
    "What sizes do you have left in the linen shirt",
    "Thanks, I'll take two \u2764\ufe0f",
]


def main():
    now_ms = int(time.time() * 1000)
    out = sys.stdout.buffer
    key = hmac.new(SECRET, digestmod=hashlib.sha256)
    chunk = []
    for n in range(COUNT):
        psid = f"7{n % SENDERS:015d}"
        text = TEXTS[n % len(TEXTS)].encode("unicode_escape").decode("ascii")
        # Meta's own field order; timestamps a millisecond apart so the thread has an order.
        body = (
            f'{{"object":"page","entry":[{{"id":"{PAGE_ID}","time":{now_ms + n},"messaging":[{{'
            f'"sender":{{"id":"{psid}"}},"recipient":{{"id":"{PAGE_ID}"}},"timestamp":{now_ms + n},'
            f'"message":{{"mid":"m_{PREFIX}_{n}","text":"{text} #{n}"}}}}]}}]}}'
        ).encode()
        mac = key.copy()
        mac.update(body)
        chunk.append(b"sha256=" + mac.hexdigest().encode() + b"\t" + body + b"\n")
        if len(chunk) == 10000:
            out.write(b"".join(chunk))
            chunk.clear()
    out.write(b"".join(chunk))


if __name__ == "__main__":
    main()
