#!/usr/bin/env python3
"""A local OpenAI-compatible streaming server for the LLM end-to-end tests (127.0.0.1 only).

  llm_server.py PORT_FILE MODE [ARG]

Writes the port it listens on to PORT_FILE, then serves POST /v1/chat/completions:
  huge MB      a reply of MB megabytes of text in 16 KiB SSE chunks, then a proper end
               without usage (so sluice counts the output itself)
  endless      text chunks forever (until the client goes away)
  echo         the reply is the request body's messages as JSON; billed as text tokens
               (one per whitespace-separated word) plus ARG tokens of framing
  script FILE  the reply described by the JSON file FILE, read again for every request (so a
               test can change it between runs): {"text", "finish" (OpenAI finish_reason,
               default "stop"), "stop_reason" (Anthropic, default "end_turn"), "stream" (default
               true), "model" (default: the requested one), "usage" (OpenAI usage object),
               "anthropic_usage" (Anthropic usage object; either one null: no usage at all, as
               servers that report none), "repaired_text" (the reply to a
               request that quotes a guard's rejection)}. Also serves POST /v1/messages in
               Anthropic's format. With "rate_limit": N, at most N requests are accepted in any
               second and the others get HTTP 429 (with "retry_after": S, a Retry-After: S
               header); accepted ones are appended to PORT_FILE.ok. With "delay_ms": N every
               reply waits N ms first (so concurrent calls overlap). With "texts": [...], the
               Nth scripted request (counted from the server's start) gets texts[N % len]
               instead of "text" (verdict samples that disagree).
Each request's body is appended to PORT_FILE.requests, one JSON document per line.
"""
import http.server
import json
import socketserver
import sys
import threading
import time

LOCK = threading.Lock()
ACCEPTED = []
SCRIPTED = [0]  # scripted requests answered so far


def chunk(text, finish=None):
    choice = {"index": 0, "delta": {"content": text} if finish is None else {}, "finish_reason": finish}
    return ("data: " + json.dumps({"object": "chat.completion.chunk", "model": "gpt-4o-mini",
                                   "choices": [choice]}) + "\n\n").encode()


def usage(tokens_in, tokens_out):
    return ("data: " + json.dumps({"object": "chat.completion.chunk", "model": "gpt-4o-mini", "choices": [],
                                   "usage": {"prompt_tokens": tokens_in, "completion_tokens": tokens_out}})
            + "\n\n").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def scripted(self, req):
        with open(ARG) as f:
            s = json.load(f)
        model = s.get("model") or req["model"]
        text, stream = s.get("text", ""), s.get("stream", True)
        if s.get("texts"):
            with LOCK:
                text = s["texts"][SCRIPTED[0] % len(s["texts"])]
                SCRIPTED[0] += 1
        if s.get("repaired_text") and "It was rejected" in json.dumps(req):
            text = s["repaired_text"]  # the answer to a repair request
        anthropic = self.path.endswith("/messages")
        if anthropic:
            u = s.get("anthropic_usage", {"input_tokens": 20, "output_tokens": 10})
            stop = s.get("stop_reason", "end_turn")
            if not stream:
                msg = {"type": "message", "model": model, "stop_reason": stop, "content": [{"type": "text", "text": text}]}
                if u is not None:
                    msg["usage"] = u
                return "application/json", json.dumps(msg)
            ev = lambda name, j: "event: %s\ndata: %s\n\n" % (name, json.dumps(j))
            start = {"model": model, "content": []}
            delta = {"type": "message_delta", "delta": {"stop_reason": stop}}
            if u is not None:
                start["usage"] = dict(u, output_tokens=1)
                delta["usage"] = {"output_tokens": u.get("output_tokens", 0)}
            return "text/event-stream", (
                ev("message_start", {"type": "message_start", "message": start})
                + ev("content_block_delta", {"type": "content_block_delta", "index": 0,
                                             "delta": {"type": "text_delta", "text": text}})
                + ev("message_delta", delta)
                + ev("message_stop", {"type": "message_stop"}))
        u = s.get("usage", {"prompt_tokens": 20, "completion_tokens": 10})
        finish = s.get("finish", "stop")
        if not stream:
            body = {"object": "chat.completion", "model": model, "choices": [
                {"index": 0, "finish_reason": finish, "message": {"role": "assistant", "content": text}}]}
            if u is not None:
                body["usage"] = u
            return "application/json", json.dumps(body)
        d = lambda j: "data: " + json.dumps(j) + "\n\n"
        return "text/event-stream", (
            d({"model": model, "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]})
            + d({"model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
            + (d({"model": model, "choices": [], "usage": u}) if u is not None else "") + "data: [DONE]\n\n")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(PORT_FILE + ".requests", "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        req = json.loads(body)
        if MODE == "script":
            with open(ARG) as f:
                limit = json.load(f)
            if "rate_limit" in limit:
                with LOCK:
                    now = time.monotonic()
                    while ACCEPTED and now - ACCEPTED[0] >= 1.0:
                        ACCEPTED.pop(0)
                    ok = len(ACCEPTED) < limit["rate_limit"] and "retry_after" not in limit
                    if ok:
                        ACCEPTED.append(now)
                if not ok:
                    out = b'{"error": {"message": "rate limited"}}'
                    self.send_response(429)
                    if "retry_after" in limit:
                        self.send_header("Retry-After", str(limit["retry_after"]))
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                    return
                with open(PORT_FILE + ".ok", "a") as f:
                    f.write("ok\n")
            if "delay_ms" in limit:
                time.sleep(limit["delay_ms"] / 1000.0)
            ctype, out = self.scripted(req)
            out = out.encode()
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        piece = chunk("word " * 3270)  # ~16 KiB of text per event
        try:
            if MODE == "huge":
                for _ in range(int(float(ARG) * 1024 * 1024) // len(piece) + 1):
                    self.wfile.write(piece)
                self.wfile.write(chunk("", "stop") + b"data: [DONE]\n\n")
            elif MODE == "endless":
                while True:
                    self.wfile.write(piece)
            elif MODE == "echo":
                text = json.dumps(req["messages"])
                tokens_in = sum(len(m["content"].split()) for m in req["messages"]) + int(ARG)
                self.wfile.write(chunk(text) + chunk("", "stop") + usage(tokens_in, 1) + b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


if __name__ == "__main__":
    PORT_FILE, MODE = sys.argv[1], sys.argv[2]
    ARG = sys.argv[3] if len(sys.argv) > 3 else "0"
    srv = Server(("127.0.0.1", 0), Handler)
    with open(PORT_FILE + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(PORT_FILE + ".tmp", PORT_FILE)
    srv.serve_forever()
