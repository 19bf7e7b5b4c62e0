from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitoring.tests.feedserver import FeedServer


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def allow_private(settings):  # type: ignore[no-untyped-def]
    """The tests' feed server is on 127.0.0.1, which sources may reach only when allowed."""
    settings.SOURCES_ALLOW_PRIVATE_ADDRESSES = True
    settings.SOURCES_HTTP_TIMEOUT_SECONDS = 2
    return settings


@pytest.fixture(autouse=True)
def _own_cache_prefix(settings):  # type: ignore[no-untyped-def]
    """Each test its own cache keys: row ids repeat across tests, and markers such as
    "this source's poll is queued" must not leak from one test into the next."""
    import uuid

    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"}
        for name, config in settings.CACHES.items()
    }
