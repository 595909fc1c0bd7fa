"""Take the README's screenshots of a demo-seeded Sellcast through chromedriver (WebDriver REST).

    sellcast seed --demo            # prints the demo password
    sellcast serve &
    python3 docs/screenshots/take.py http://127.0.0.1:8080 <demo password> docs/screenshots
"""
import base64, json, subprocess, sys, time, urllib.request

BASE, PASSWORD, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
DRIVER = "http://127.0.0.1:9515"

def call(method, path, body=None):
    req = urllib.request.Request(DRIVER + path, method=method, data=json.dumps(body or {}).encode() if method == "POST" else None,
                                 headers={"content-type": "application/json"})
    return json.load(urllib.request.urlopen(req))["value"]

def session(width, height, dark):
    caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
        "binary": "/usr/bin/chromium",
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={width},{height}", "--hide-scrollbars"]}}}}
    sid = call("POST", "/session", caps)["sessionId"]
    if width < 500:
        call("POST", f"/session/{sid}/goog/cdp/execute", {"cmd": "Emulation.setDeviceMetricsOverride",
             "params": {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True}})
    if dark:
        call("POST", f"/session/{sid}/goog/cdp/execute", {"cmd": "Emulation.setEmulatedMedia",
             "params": {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}})
    return sid

def sign_in(sid):
    call("POST", f"/session/{sid}/url", {"url": BASE + "/signin"})
    for name, value in [("email", "demo@sellcast.local"), ("password", PASSWORD)]:
        el = call("POST", f"/session/{sid}/element", {"using": "css selector", "value": f"input[name={name}]"})
        call("POST", f"/session/{sid}/element/{list(el.values())[0]}/value", {"text": value})
    btn = call("POST", f"/session/{sid}/element", {"using": "css selector", "value": "form button[type=submit]"})
    call("POST", f"/session/{sid}/element/{list(btn.values())[0]}/click")
    time.sleep(1)
    return call("GET", f"/session/{sid}/url")

def shot(sid, path, name):
    call("POST", f"/session/{sid}/url", {"url": BASE + path})
    time.sleep(1)
    png = call("GET", f"/session/{sid}/screenshot")
    open(f"{OUT}/{name}.png", "wb").write(base64.b64decode(png))

drv = subprocess.Popen(["chromedriver", "--port=9515"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1)
try:
    sid = session(1440, 900, False)
    home = sign_in(sid)
    org = home.rstrip("/").split("/o/")[-1].split("/")[0]
    shot(sid, f"/o/{org}/calendar", "calendar")
    shot(sid, f"/o/{org}/compose", "compose")
    # The inbox with its newest conversation open (the list links carry ?c=<id>).
    call("POST", f"/session/{sid}/url", {"url": BASE + f"/o/{org}/inbox"})
    time.sleep(1)
    link = call("POST", f"/session/{sid}/element", {"using": "css selector", "value": "a[href*='c=']"})
    href = call("GET", f"/session/{sid}/element/{list(link.values())[0]}/attribute/href")
    shot(sid, href.replace(BASE, ""), "inbox")
    call("DELETE", f"/session/{sid}")
    sid = session(1440, 900, True)
    sign_in(sid)
    shot(sid, f"/o/{org}", "dashboard-dark")
    call("DELETE", f"/session/{sid}")
    sid = session(390, 844, False)
    sign_in(sid)
    shot(sid, f"/o/{org}/posts", "posts-phone")
    call("DELETE", f"/session/{sid}")
finally:
    drv.terminate()
