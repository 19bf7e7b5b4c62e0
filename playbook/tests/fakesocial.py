"""A local server speaking the real formats of Mastodon's statuses API, Bluesky's
XRPC session and record calls, and a plain webhook. 127.0.0.1 only."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeSocial:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    fail_with: int | None = None
    token: str = "mastodon-token"


def serve() -> tuple[FakeSocial, ThreadingHTTPServer]:
    state = FakeSocial(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:  # noqa: N802
            path, _, query = self.path.partition("?")
            params = {k: v[0] for k, v in parse_qs(query).items()}
            state.requests.append(Recorded(path, dict(self.headers), params))
            if state.fail_with:
                self._send(state.fail_with, {"error": "nope"})
            elif path == "/api/v2/search":
                # Mastodon resolves a remote post's URL to the status id on this server.
                found = params.get("q", "").startswith("https://remote.example/")
                statuses = [{"id": "777", "url": params["q"], "content": "<p>x</p>"}]
                self._send(
                    200, {"accounts": [], "hashtags": [], "statuses": statuses if found else []}
                )
            elif path == "/xrpc/app.bsky.feed.getPosts":
                uri = params.get("uris", "")
                if uri.endswith("/gone"):
                    self._send(200, {"posts": []})
                    return
                record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": "bad coffee"}
                if uri.endswith("/child"):
                    record["reply"] = {
                        "root": {
                            "uri": "at://did:plc:other/app.bsky.feed.post/root",
                            "cid": "cidroot",
                        },
                        "parent": {"uri": "at://did:plc:other/app.bsky.feed.post/p", "cid": "cidp"},
                    }
                self._send(
                    200,
                    {
                        "posts": [
                            {
                                "uri": uri,
                                "cid": "cid-" + uri.rsplit("/", 1)[-1],
                                "author": {"did": "did:plc:other", "handle": "someone.bsky.social"},
                                "record": record,
                                "indexedAt": "2026-11-24T10:00:00.000Z",
                            }
                        ]
                    },
                )
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = raw.decode(errors="replace")
            state.requests.append(Recorded(self.path, dict(self.headers), body))
            if state.fail_with:
                self._send(state.fail_with, {"error": "nope"})
                return
            if self.path == "/api/v1/statuses":
                if self.headers.get("Authorization") != f"Bearer {state.token}":
                    self._send(401, {"error": "The access token is invalid"})
                    return
                n = len(state.requests)
                self._send(
                    200,
                    {
                        "id": f"10{n}",
                        "uri": f"{state.url}/users/acme/statuses/10{n}",
                        "url": f"{state.url}/@acme/10{n}",
                        "content": f"<p>{body.get('status', '')}</p>",
                        "visibility": body.get("visibility", "public"),
                        "in_reply_to_id": body.get("in_reply_to_id"),
                        "created_at": "2026-11-24T10:00:00.000Z",
                    },
                )
            elif self.path == "/xrpc/com.atproto.server.createSession":
                if body.get("password") != "app-password":
                    self._send(401, {"error": "AuthenticationRequired", "message": "Invalid"})
                    return
                self._send(
                    200,
                    {
                        "did": "did:plc:acme123",
                        "handle": body["identifier"],
                        "accessJwt": "jwt-access",
                        "refreshJwt": "jwt-refresh",
                    },
                )
            elif self.path == "/xrpc/com.atproto.repo.createRecord":
                self._send(
                    200,
                    {
                        "uri": "at://did:plc:acme123/app.bsky.feed.post/3kabc",
                        "cid": "bafyreib",
                    },
                )
            elif self.path == "/hook":
                self._send(200, {"id": "hook-1", "url": f"{state.url}/posts/hook-1"})
            else:
                self._send(404, {"error": "not found"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state, server
