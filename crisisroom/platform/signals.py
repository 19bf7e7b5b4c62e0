"""Announcing events to the floors above: a lower floor sends a Django signal, a
higher one connects its receiver in ``AppConfig.ready``. Calls go downward only."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal


def send_on_commit(signal: Signal, *, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` once the current transaction commits (at once outside one);
    nothing is announced for a transaction that rolls back."""
    transaction.on_commit(lambda: signal.send(sender=sender, **kwargs))
