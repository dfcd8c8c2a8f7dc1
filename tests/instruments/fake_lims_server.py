"""A throw-away stand-in for the LIMS readings API, run as a subprocess by the agent tests.

    python fake_lims_server.py PORT STATE_FILE [--drop-first] [--reject-value V]
        [--request ID:COMMAND] [--token T]

Stores readings by idempotency key in STATE_FILE (JSON), so a restart keeps them.
--drop-first: store the first POST but close the connection without answering (a reply lost
on the network). --reject-value: answer 422 for readings with that value.
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

args = None
dropped = False


def load() -> dict:
    p = Path(args.state)
    return json.loads(p.read_text()) if p.exists() else {"readings": {}, "posts": 0}


def save(state: dict) -> None:
    tmp = Path(args.state + ".tmp")
    tmp.write_text(json.dumps(state))
    tmp.replace(args.state)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):  # keep the test output quiet
        pass

    def _json(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _auth(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {args.token}":
            self._json(401, {"error": "bad token"})
            return False
        return True

    def do_GET(self):
        if not self._auth():
            return
        if self.path.endswith("/capture-requests"):
            state = load()
            answered = {r.get("request_id") for r in state["readings"].values()}
            reqs = []
            for spec in args.request:
                rid, cmd = spec.split(":")
                if int(rid) not in answered:
                    reqs.append({"id": int(rid), "command": cmd})
            self._json(200, {"requests": reqs})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self):
        global dropped
        if not self._auth():
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = self.headers.get("Idempotency-Key")
        state = load()
        state["posts"] += 1
        if key != body.get("uid"):
            save(state)
            return self._json(422, {"error": "Idempotency-Key must equal uid"})
        if args.reject_value and body.get("value") == args.reject_value:
            save(state)
            return self._json(422, {"error": "仪器校准已过期"})
        if key in state["readings"]:
            save(state)
            same = state["readings"][key] == body
            return self._json(200 if same else 409, {"uid": key} if same else {"error": "diff"})
        state["readings"][key] = body
        save(state)
        if args.drop_first and not dropped:
            dropped = True
            self.close_connection = True
            self.connection.shutdown(2)  # stored, but the agent never hears back
            return
        self._json(201, {"uid": key})


def main() -> None:
    global args
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("state")
    p.add_argument("--drop-first", action="store_true")
    p.add_argument("--reject-value")
    p.add_argument("--request", action="append", default=[])
    p.add_argument("--token", default="secret")
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("ready", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
