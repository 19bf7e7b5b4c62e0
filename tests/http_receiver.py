"""A local HTTP endpoint for tests: records every POST (path, headers, raw body) and
answers with the next status queued for its path (200 once the queue is empty)."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.statuses: dict[str, list[int]] = defaultdict(list)
        self.delay = 0.0  # seconds to wait before answering (a slow network)
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                hit = Hit(
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                if receiver.delay:
                    time.sleep(receiver.delay)
                queued = receiver.statuses[self.path]
                status = queued.pop(0) if queued else 200
                with receiver.arrived:
                    receiver.hits.append(hit)
                    receiver.arrived.notify_all()
                body = json.dumps(
                    {
                        "id": f"r{len(receiver.hits)}",
                        "url": f"https://social.example/p/{len(receiver.hits)}",
                    }
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def at(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]

    def wait_for(self, path: str, count: int, timeout: float = 30) -> list[Hit]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.at(path)) >= count, timeout=timeout)
            return self.at(path)
