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
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from foundation import observability
from monitoring.choices import POLLED_KINDS
from monitoring.connectors import FetchResult, SourceError, connector_for
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
    observability.count(observability.POLL_ERRORS, source=source.key, kind=source.kind)
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


def _skip(source: Source, force: bool) -> PollOutcome | None:
    if source.paused:
        return PollOutcome("paused")
    if not force and source.next_poll_at and source.next_poll_at > timezone.now():
        return PollOutcome("not_due")
    return None


def _fetch(source: Source) -> FetchResult | Exception:
    try:
        return connector_for(source.kind).fetch(source)
    except SourceError as exc:
        return exc
    except Exception as exc:  # a bug or an unexpected payload: back off, show it, go on
        logger.exception("source %s fetch crashed", source.pk)
        return exc


def _store(source: Source, fetched: FetchResult | Exception) -> PollOutcome:
    """Ingest what was fetched and advance cursor and schedule, or record the failure.

    Runs inside the caller's transaction, so the cursor moves only with the items.
    """
    ingested = None
    if isinstance(fetched, FetchResult) and fetched.items:
        # Items served again (feeds repeat themselves) are dropped by ingest as exact
        # duplicates before they are scored, and counted as duplicates.
        items: list[dict[str, Any]] = list(fetched.items)
        if source.brand_id and source.brand and source.brand.active:
            items = [{**item, "brand": source.brand.slug} for item in items]
        try:
            # A savepoint: an ingest that fails leaves the failure bookkeeping below intact.
            with transaction.atomic():
                ingested = mentions_ingest(items=items, source=source)
        except Exception as exc:
            logger.exception("source %s ingest failed", source.pk)
            fetched = exc
    now = timezone.now()
    if not isinstance(fetched, FetchResult):
        error = (
            fetched
            if isinstance(fetched, SourceError)
            else SourceError(f"{fetched.__class__.__name__}: {fetched}")
        )
        _record_failure(source, error, now)
        source.save()
        logger.warning("source %s poll failed: %s", source.pk, error)
        return PollOutcome("failed", error=str(error))
    if fetched.new_cursor is not None:
        source.cursor = fetched.new_cursor
    if fetched.etag is not None:
        source.etag = fetched.etag[:500]
    if fetched.last_modified is not None:
        source.last_modified = fetched.last_modified[:100]
    source.last_success_at = now
    source.consecutive_failures = 0
    interval = 0.0 if fetched.more else float(source.poll_interval_seconds)
    source.next_poll_at = now + timedelta(seconds=max(interval, float(fetched.retry_after or 0)))
    source.save()
    if ingested is None:
        status = "not_modified" if fetched.not_modified else "ok"
        return PollOutcome(status)
    return PollOutcome(
        "ok",
        accepted=ingested.accepted,
        duplicates=ingested.duplicates,
        rejected=len(ingested.rejected),
    )


def source_poll(*, source_id: int, force: bool = False) -> PollOutcome:
    """Poll one source now if it is due (or ``force``), holding its row for the whole poll."""
    if not connection.features.has_select_for_update_skip_locked:
        return _source_poll_unlocked(source_id=source_id, force=force)
    with transaction.atomic():
        source = Source.objects.select_for_update(skip_locked=True).filter(pk=source_id).first()
        if source is None:
            gone = not Source.objects.filter(pk=source_id).exists()
            return PollOutcome("gone" if gone else "busy")
        skipped = _skip(source, force)
        if skipped:
            return skipped
        return _store(source, _fetch(source))


def _source_poll_unlocked(*, source_id: int, force: bool) -> PollOutcome:
    """SQLite (embedded mode) has no row locks, and a write transaction held open across
    the fetch would block every other writer; there the one scheduler thread is the only
    poller, so fetch first and store in a short transaction."""
    source = Source.objects.filter(pk=source_id).first()
    if source is None:
        return PollOutcome("gone")
    skipped = _skip(source, force)
    if skipped:
        return skipped
    fetched = _fetch(source)
    with transaction.atomic():
        return _store(source, fetched)


class SourceBusy(Exception):
    """A poll of this source is running; try again when it has finished."""


@transaction.atomic
def source_set_paused(*, source: Source, paused: bool) -> Source:
    """Pause or resume a source; resuming makes it due now (failures stay until a success).

    Raises SourceBusy rather than waiting for a running poll to release the row.
    """
    try:
        source = Source.objects.select_for_update(nowait=True).get(pk=source.pk)
    except DatabaseError as exc:
        raise SourceBusy(str(exc)) from exc
    source.paused = paused
    if not paused:
        source.next_poll_at = timezone.now()
    source.save(update_fields=["paused", "next_poll_at"])
    return source


@transaction.atomic
def source_save(*, form: Any) -> Source:
    """Create or edit a polled source from a valid SourceForm; a change makes it due now."""
    source: Source = form.save(commit=False)
    if not source.platform:
        source.platform = connector_for(source.kind).platform or source.kind
    if source.pk is None or form.has_changed():
        source.next_poll_at = timezone.now()
    if source.pk and {"url", "config", "kind"} & set(form.changed_data):
        # A different feed or query: the old cursor and validators no longer apply.
        source.cursor, source.etag, source.last_modified = {}, "", ""
    source.save()
    return source
