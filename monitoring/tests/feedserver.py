"""A local HTTP server (127.0.0.1 only) that serves payloads of each network's real
format, so connector tests exercise the real client: status codes, headers,
redirects, slow and oversized responses."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Wait on this event before answering (a slow server, or one a test kills a worker against).
    hold: threading.Event | None = None
    hold_timeout: float = 60.0


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Reply | list[Reply] | Callable[[Seen], Reply]] = {}
        self.requests: list[Seen] = []
        self.arrived = threading.Condition()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                with server.arrived:
                    server.requests.append(seen)
                    server.arrived.notify_all()
                route = server.routes.get(urlsplit(self.path).path)
                if route is None:
                    reply = Reply(404, b"not found")
                elif isinstance(route, list):
                    reply = route.pop(0) if len(route) > 1 else route[0]
                elif callable(route):
                    reply = route(seen)
                else:
                    reply = route
                if reply.hold is not None:
                    reply.hold.wait(reply.hold_timeout)
                body = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_HEAD = _serve  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def wait_for_requests(self, count: int, timeout: float = 30) -> list[Seen]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout=timeout)
            return list(self.requests)

    def start(self) -> FeedServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
