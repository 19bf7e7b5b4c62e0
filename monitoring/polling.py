"""The poll service: one poll of one source, and which sources are due.

Locking: ``source_poll`` holds the source's row with
``SELECT … FOR UPDATE SKIP LOCKED`` for the whole poll (fetch, ingest, cursor
advance) in one transaction, so two polls of one source never overlap — the
second finds the row locked and skips. A worker killed mid-poll drops its
database connection: PostgreSQL rolls the transaction back and releases the
lock, nothing was stored and the cursor did not move, so the next poll (the
redelivered acks_late message or the next beat round) fetches the same items
again. Because the cursor only advances in the transaction that stored the
items, a crash can re-fetch but never skip; ingest's (source, external_id)
uniqueness absorbs what is fetched twice.

Back-off: after a failure next_poll_at = now + min(interval × 2^failures, cap),
and never earlier than the server's Retry-After. A permanent error (bad
credentials, gone, refused address) pauses the source with the message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from monitoring.connectors import POLLED_KINDS, SourceError, connector_for
from monitoring.ingest import mentions_ingest
from monitoring.models import Source

logger = logging.getLogger(__name__)


@dataclass
class PollOutcome:
    status: str  # "ok" | "not_modified" | "failed" | "busy" | "not_due" | "paused" | "gone"
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    error: str = ""


def backoff_seconds(*, interval: int, failures: int, retry_after: float | None = None) -> float:
    cap = float(getattr(settings, "SOURCES_MAX_BACKOFF_SECONDS", 6 * 3600))
    wait = min(float(interval) * (2 ** min(failures, 30)), max(cap, float(interval)))
    return max(wait, float(retry_after or 0))


def sources_due(*, now: datetime | None = None) -> list[int]:
    """Ids of unpaused polled sources whose next poll time has come."""
    now = now or timezone.now()
    return list(
        Source.objects.filter(kind__in=POLLED_KINDS, paused=False)
        .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
        .order_by("next_poll_at", "pk")
        .values_list("pk", flat=True)
    )


def _record_failure(source: Source, exc: SourceError, now: datetime) -> None:
    source.consecutive_failures += 1
    source.last_error = str(exc)[:2000]
    source.last_error_at = now
    if not exc.retry:
        source.paused = True
    source.next_poll_at = now + timedelta(
        seconds=backoff_seconds(
            interval=source.poll_interval_seconds,
            failures=source.consecutive_failures,
            retry_after=exc.retry_after,
        )
    )


def source_poll(*, source_id: int, force: bool = False) -> PollOutcome:
    """Poll one source now if it is due (or ``force``), holding its row for the whole poll."""
    with transaction.atomic():
        source = Source.objects.select_for_update(skip_locked=True).filter(pk=source_id).first()
        if source is None:
            gone = not Source.objects.filter(pk=source_id).exists()
            return PollOutcome("gone" if gone else "busy")
        if source.paused:
            return PollOutcome("paused")
        if not force and source.next_poll_at and source.next_poll_at > timezone.now():
            return PollOutcome("not_due")
        try:
            result = connector_for(source.kind).fetch(source)
            items: list[dict[str, Any]] = result.items
            if source.brand_id and source.brand and source.brand.active:
                items = [{**item, "brand": source.brand.slug} for item in items]
            # A savepoint: an ingest that fails leaves the failure bookkeeping below intact.
            with transaction.atomic():
                ingested = mentions_ingest(items=items, source=source) if items else None
        except SourceError as exc:
            now = timezone.now()
            _record_failure(source, exc, now)
            source.save()
            logger.warning("source %s poll failed: %s", source.pk, exc)
            return PollOutcome("failed", error=str(exc))
        except Exception as exc:  # a bug or an unexpected payload: back off, show it, go on
            logger.exception("source %s poll crashed", source.pk)
            now = timezone.now()
            _record_failure(source, SourceError(f"{exc.__class__.__name__}: {exc}"), now)
            source.save()
            return PollOutcome("failed", error=str(exc))
        now = timezone.now()
        if result.new_cursor is not None:
            source.cursor = result.new_cursor
        if result.etag is not None:
            source.etag = result.etag[:500]
        if result.last_modified is not None:
            source.last_modified = result.last_modified[:100]
        source.last_success_at = now
        source.consecutive_failures = 0
        source.next_poll_at = now + timedelta(
            seconds=max(float(source.poll_interval_seconds), float(result.retry_after or 0))
        )
        source.save()
        if ingested is None:
            return PollOutcome("not_modified" if result.not_modified else "ok")
        return PollOutcome(
            "ok",
            accepted=ingested.accepted,
            duplicates=ingested.duplicates,
            rejected=len(ingested.rejected),
        )


@transaction.atomic
def source_set_paused(*, source: Source, paused: bool) -> Source:
    """Pause or resume a source; resuming makes it due now (failures stay until a success)."""
    source = Source.objects.select_for_update().get(pk=source.pk)
    source.paused = paused
    if not paused:
        source.next_poll_at = timezone.now()
    source.save(update_fields=["paused", "next_poll_at"])
    return source


@transaction.atomic
def source_save(*, form: Any) -> Source:
    """Create or edit a polled source from a valid SourceForm; a change makes it due now."""
    source: Source = form.save(commit=False)
    if source.pk is None or form.has_changed():
        source.next_poll_at = timezone.now()
    if source.pk and {"url", "config", "kind"} & set(form.changed_data):
        # A different feed or query: the old cursor and validators no longer apply.
        source.cursor, source.etag, source.last_modified = {}, "", ""
    source.save()
    return source
