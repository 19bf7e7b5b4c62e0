"""Announcing events to the floors above: a lower floor sends a Django signal, a
higher one connects its receiver in ``AppConfig.ready``. Calls go downward only."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, transaction
from django.dispatch import Signal
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What an outage of Redis (broker, cache, channel layer), the database or the
# network raises in a receiver: logged as a warning, the work left to a sweep.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    RedisError,
    BrokerError,
    DatabaseError,
    OSError,  # ConnectionError, TimeoutError, socket errors
)


def send_on_commit(signal: Signal, *, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` once the current transaction commits (at once outside one);
    nothing is announced for a transaction that rolls back.

    What was committed stays committed and the caller is told so (the API answers
    with the true counts): every receiver runs even when another fails. A receiver
    failing on an outage is logged as a warning and its work is recovered by a sweep
    (alerts: the alert sweep; detection: the periodic detect-all-brands run; the
    war room: the sockets' resync); any other error is logged with its traceback."""
    transaction.on_commit(lambda: _send_soft(signal, sender=sender, **kwargs))


def _send_soft(signal: Signal, *, sender: Any, **kwargs: Any) -> None:
    for receiver, result in signal.send_robust(sender=sender, **kwargs):
        if not isinstance(result, Exception):
            continue
        name = getattr(receiver, "__qualname__", repr(receiver))
        if isinstance(result, TRANSIENT_ERRORS):
            logger.warning(
                "after commit: %s failed (%s: %s); a sweep will recover it",
                name,
                type(result).__name__,
                result,
            )
        else:
            logger.error("after commit: %s failed", name, exc_info=result)
