"""Work that runs after a commit fails soft (platform helper: imports no app).

Once the database has committed, the caller is told the truth about what was
stored, whatever fails after: queueing a task (broker down), a cache marker (Redis
down), a push to the war room (channel layer down). Each such step runs through
``run_soft``: a transient error is logged and swallowed, and a periodic sweep
recovers the work (alerts: crisisroom.alert_delivery.alerts_sweep; detection:
the periodic detect-all-brands task; the war room: the resync on reconnect).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, transaction
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What an outage of Redis (broker, cache, channel layer), the database or the
# network raises. A programming error is not among them and still surfaces.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    RedisError,
    BrokerError,
    DatabaseError,
    OSError,  # ConnectionError, TimeoutError, socket errors
)


def run_soft(func: Callable[..., Any], *args: Any, what: str, **kwargs: Any) -> bool:
    """Run ``func``; on a transient error log it and return False."""
    try:
        func(*args, **kwargs)
    except TRANSIENT_ERRORS as exc:
        logger.warning(
            "after commit: could not %s (%s: %s); a sweep will recover it",
            what,
            type(exc).__name__,
            exc,
        )
        return False
    return True


def on_commit_soft(func: Callable[[], Any], *, what: str) -> None:
    """``transaction.on_commit`` for work that may fail without undoing the answer."""
    transaction.on_commit(lambda: run_soft(func, what=what))
