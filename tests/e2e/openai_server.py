#!/usr/bin/env python3
"""A scripted OpenAI-compatible chat server for end-to-end tests, on 127.0.0.1.

Usage: openai_server.py PORT_FILE REPLY_FILE
Answers every POST .../chat/completions with the content of REPLY_FILE as one non-streamed
JSON body (servers that ignore `stream` are accepted by sluice). Writes its port to PORT_FILE,
and each request's body to PORT_FILE.requests, one line each (so a test can count calls).
Stops by itself after 120 seconds so a failed test never leaves it behind.
OPENAI_SERVER_DELAY_S (optional): seconds to wait before answering, like a real model.
"""
import json
import os
import sys
import time
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        request = self.rfile.read(length)
        with open(sys.argv[1] + ".requests", "ab") as f:
            f.write(request.replace(b"\n", b" ") + b"\n")
        time.sleep(float(os.environ.get("OPENAI_SERVER_DELAY_S", "0")))
        with open(sys.argv[2], encoding="utf-8") as f:
            reply = f.read()
        body = json.dumps({
            "id": "cmpl-test", "object": "chat.completion", "model": "gpt-4o-mini",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": reply}}],
            "usage": {"prompt_tokens": 20, "completion_tokens": 20, "total_tokens": 40},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
threading.Timer(120, server.shutdown).start()
server.serve_forever()
