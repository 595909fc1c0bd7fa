"""Seed a realistic organization into a running Sellcast through its API (stdlib only), and
print what the load runs need as JSON: tokens, ids and a web session cookie.

1,000 posts with 3 variants each over 20 sandbox channels, 5 clients, 12 images; a third of the
posts scheduled across the coming month (what the calendar and dashboard show), the rest drafts.

    python3 bench/api/seed.py http://127.0.0.1:18080 > seeded.json
"""

import datetime as dt
import http.cookiejar
import json
import random
import re
import struct
import sys
import urllib.parse
import urllib.request
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor

BASE = sys.argv[1].rstrip("/")
POSTS = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
EMAIL = "bench@sellcast.local"
PASSWORD = "Bench-Pass-2026"


def call(method, path, token=None, body=None, content_type="application/json"):
    data = None
    headers = {}
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = content_type
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            raw = res.read()
            return json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{method} {path}: {e.code} {e.read().decode(errors='replace')}")


def png(width, height, seed):
    """A small valid PNG with a gradient (no image library needed)."""
    rows = b"".join(
        b"\x00"
        + bytes(
            v
            for x in range(width)
            for v in ((x * 255 // width + seed) % 256, (y * 255 // height) % 256, seed % 256)
        )
        for y in range(height)
    )

    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def upload(token, org, i):
    boundary = uuid.uuid4().hex
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"alt_text\"\r\n\r\nBench image {i}\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"img{i}.png\"\r\n"
        "Content-Type: image/png\r\n\r\n"
    ).encode() + png(64, 48, i * 17) + f"\r\n--{boundary}--\r\n".encode()
    return call("POST", f"/api/v1/orgs/{org}/media", token, body, f"multipart/form-data; boundary={boundary}")["id"]


def web_cookie():
    """Sign in through the web form (CSRF token and nonce cookie included); the session cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(BASE + "/signin", timeout=30).read().decode()
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page)
    if not csrf:
        raise SystemExit("no CSRF field on /signin")
    form = urllib.parse.urlencode({"_csrf": csrf.group(1), "email": EMAIL, "password": PASSWORD}).encode()
    opener.open(urllib.request.Request(BASE + "/signin", data=form, method="POST"), timeout=30).read()
    for c in jar:
        if c.name == "sellcast_session":
            return f"{c.name}={c.value}"
    raise SystemExit("signing in through the web form set no session cookie")


def main():
    reg = call(
        "POST",
        "/api/v1/auth/register",
        body={"email": EMAIL, "password": PASSWORD, "name": "Bench", "organization_name": "Bench Shop"},
    )
    token, org = reg["access_token"], reg["organization"]["id"]
    clients = [call("POST", f"/api/v1/orgs/{org}/clients", token, {"name": f"Client {i}"})["id"] for i in range(5)]
    channels = []
    for i in range(20):
        made = call(
            "POST",
            f"/api/v1/orgs/{org}/channels/connect",
            token,
            {"platform": "sandbox", "name": f"Shop {i}", "client_id": clients[i % 5]},
        )
        channels += [c["id"] for c in made["channels"]]
    media = [upload(token, org, i) for i in range(12)]
    rng = random.Random(7)
    now = dt.datetime.now(dt.timezone.utc)

    def make(i):
        targets = rng.sample(channels, 3)
        body = {
            "text": f"Post {i}: spring collection, new colours in store. #sale #spring {'more words ' * (i % 7)}",
            "tags": ["sale", "spring", f"week{i % 5}"],
            "client_id": clients[i % 5],
            "media_ids": rng.sample(media, i % 3),
            "variants": [{"channel_id": c, "options": {}} for c in targets],
        }
        if i % 3 == 0:
            at = now + dt.timedelta(hours=2 + (i * 613) % (24 * 27))
            body["scheduled_at"] = at.isoformat()
        return call("POST", f"/api/v1/orgs/{org}/posts", token, body)["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        posts = list(pool.map(make, range(POSTS)))
    month_from = now.date().replace(day=1)
    month_to = (month_from + dt.timedelta(days=32)).replace(day=1)
    print(
        json.dumps(
            {
                "token": token,
                "org": org,
                "post": posts[len(posts) // 2],
                "posts": len(posts),
                "channels": len(channels),
                "media": len(media),
                "month_from": month_from.isoformat(),
                "month_to": month_to.isoformat(),
                "cookie": web_cookie(),
            }
        )
    )


main()
