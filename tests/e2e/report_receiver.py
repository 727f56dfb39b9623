#!/usr/bin/env python3
"""A local receiver for notification and OTLP end-to-end tests, on 127.0.0.1.

Usage: report_receiver.py PORT_FILE LOG_FILE WEBHOOK_SECRET
Paths: /ok (204, checks the Standard Webhooks signature), /slow (answers after 10 s), /fail (500),
/gone (410), /slack (200 "ok"), /v1/traces (OTLP/HTTP JSON: 200 "{}"). Appends one JSON line per
request to LOG_FILE: {"path", "headers", "body", "signature_ok", "t" (Unix seconds it arrived)}. Stops by itself after 120 s.
"""
import base64
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()


def signature_ok(headers, body, secret):
    key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
    msg_id = headers.get("webhook-id", "")
    ts = headers.get("webhook-timestamp", "")
    if not msg_id or not ts or abs(time.time() - int(ts)) > 300:
        return False
    want = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
    return any(sig == "v1," + want for sig in headers.get("webhook-signature", "").split(" "))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        path = self.path.split("?")[0]
        entry = {"t": time.time(), "path": path, "headers": {k.lower(): v for k, v in self.headers.items()},
                 "body": body.decode("utf-8", "replace"),
                 "signature_ok": signature_ok(self.headers, body, sys.argv[3])}
        with LOCK, open(sys.argv[2], "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
        status, reply = 200, b"ok"
        if path == "/ok":
            status, reply = 204, b""
        elif path == "/slow":
            time.sleep(10)
        elif path == "/fail":
            status = 500
        elif path == "/gone":
            status = 410
        elif path == "/v1/traces":
            reply = b"{}"
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
        except OSError:
            pass  # the client gave up (the slow path): nothing to answer

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os  # noqa: E402
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
threading.Timer(120, server.shutdown).start()
server.serve_forever()
