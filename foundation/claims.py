"""Taking one delivery row to send: the claim every durable sender shares (alerts,
outgoing webhook events, situation reports). Imports no app: it works on any model
with ``status``, ``attempts`` and ``next_attempt_at`` fields."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.utils import timezone


def row_claim(
    model: type[models.Model],
    *,
    retryable: Iterable[str],
    sending: str,
    now: datetime,
    pk: int | None = None,
    skip: Iterable[int] = (),
    changes: Callable[[Any], dict[str, Any]] | None = None,
) -> Any | None:
    """Move one row from a retryable status to ``sending`` and count the attempt: the
    row ``pk`` (if it is retryable and not given up), else the oldest due one (its
    next_attempt_at passed), not in ``skip``. ``changes(row)`` adds fields to write in
    the same step (a Message-ID). Returns the row's pk, or None when nothing was taken.

    The row is locked (``skip_locked``: two workers take different rows) and written
    compare-and-set, so SQLite, which has no row locks, cannot hand it out twice."""
    with transaction.atomic():
        rows = model.objects.select_for_update(skip_locked=True).filter(  # type: ignore[attr-defined]
            status__in=list(retryable), next_attempt_at__isnull=False
        )
        if pk is not None:
            rows = rows.filter(pk=pk)
        else:
            rows = (
                rows.filter(next_attempt_at__lte=now)
                .exclude(pk__in=list(skip))
                .order_by("next_attempt_at", "pk")
            )
        row = rows.first()
        if row is None:
            return None
        update = {"status": sending, "claimed_at": now, "attempts": row.attempts + 1}
        update.update(changes(row) if changes else {})
        taken = model.objects.filter(  # type: ignore[attr-defined]
            pk=row.pk, status=row.status, attempts=row.attempts
        ).update(**update)
        return row.pk if taken else None


def row_sent(model: type[models.Model], row: Any, *, sending: str, sent: str) -> None:
    """Record a claimed row as sent (unless something settled it meanwhile)."""
    model.objects.filter(pk=row.pk, status=sending).update(  # type: ignore[attr-defined]
        status=sent, sent_at=timezone.now(), error="", next_attempt_at=None
    )


def row_failed(
    model: type[models.Model],
    row: Any,
    *,
    error: str,
    retry: bool,
    now: datetime,
    retry_for: timedelta,
    delay: timedelta,
    sending: str,
    failed: str,
) -> bool:
    """Record a claimed row's failed try: tried again after ``delay``, or given up when
    a retry cannot help or the row is older than ``retry_for``. True when given up."""
    give_up = not retry or now - row.created_at >= retry_for
    model.objects.filter(pk=row.pk, status=sending).update(  # type: ignore[attr-defined]
        status=failed, error=error, next_attempt_at=None if give_up else now + delay
    )
    return give_up
