"""Each pytest-xdist worker gets a Redis database of its own.

pytest-django already gives each worker its own test database (``test_<name>_gw0``…);
Redis has nothing like it, and two workers on one Redis database share the cache (login
throttles keyed by 127.0.0.1, heartbeats), the channel layer's groups (both test
databases have an incident 1) and the metrics. Loaded with ``-p`` (pyproject's
``addopts``), so it runs before pytest-django reads the settings, which read
``REDIS_URL`` once at import. Without xdist it changes nothing.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

REDIS_DATABASES = 16  # redis-server's default `databases`


def worker_redis_url(url: str, worker: str) -> str:
    """``redis://host:port/N`` for worker ``gwK``: database N + 1 + K (mod 16), so the
    workers never share one with each other or with a run without xdist on N."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    number = (base + 1 + int(worker.removeprefix("gw"))) % REDIS_DATABASES
    return urlunsplit(parts._replace(path=f"/{number}"))


_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker and os.environ.get("REDIS_URL") and "XDIST_SHARED_REDIS_URL" not in os.environ:
    os.environ["XDIST_SHARED_REDIS_URL"] = os.environ["REDIS_URL"]
    os.environ["REDIS_URL"] = worker_redis_url(os.environ["REDIS_URL"], _worker)
