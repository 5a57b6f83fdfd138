#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# Serves browser.html to headless Chromium and waits for the verdict it POSTs back; checks
# that the data channel message crossed turnpike on a relay-relay candidate pair.
#
# usage: browser.py CHROMIUM TURN_PORT SECRET HTTP_PORT WORKDIR
import base64
import hashlib
import hmac
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse

chromium, turn_port, secret, http_port, work = sys.argv[1:6]
page = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "browser.html"), "rb").read()
result = {}
done = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(page)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.end_headers()
        if not done.is_set():
            result.update(json.loads(body))
            done.set()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", int(http_port)), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()

# Time-limited credentials as a web service would hand them out (coturn's format).
user = "%d:browser" % (time.time() + 3600)
cred = base64.b64encode(hmac.new(secret.encode(), user.encode(), hashlib.sha1).digest()).decode()
query = urllib.parse.urlencode({"turn": "turn:127.0.0.1:%s?transport=udp" % turn_port,
                                "user": user, "cred": cred})
browser = subprocess.Popen(
    [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
     "--disable-background-networking", "--disable-component-update", "--disable-sync",
     "--user-data-dir=" + os.path.join(work, "chromium"),
     "http://127.0.0.1:%s/?%s" % (http_port, query)],
    stdout=open(os.path.join(work, "chromium.log"), "w"), stderr=subprocess.STDOUT)
try:
    finished = done.wait(20)
finally:
    browser.kill()
    browser.wait()
    server.shutdown()

print("browser reported:", json.dumps(result))
if not finished:
    with open(os.path.join(work, "chromium.log"), errors="replace") as f:
        sys.stderr.write("--- chromium.log, last 30 lines\n" + "".join(f.readlines()[-30:]))
    sys.exit("FAIL: waited 20 s for the page's verdict (a POST to /): none came")
if not result.get("ok"):
    sys.exit("FAIL: %s" % result.get("error", "message did not arrive"))
local, remote = result.get("local") or {}, result.get("remote") or {}
if local.get("type") != "relay" or remote.get("type") != "relay":
    sys.exit("FAIL: the selected pair is not relay-relay: %s / %s" % (local, remote))
print("ok: the data channel message crossed turnpike between two relay candidates")
