"""Outgoing webhooks: organisation-wide events (``outbound.paused``,
``outbound.resumed``) told to other tools, signed and delivered durably.

    pending ──claim──▶ sending ──▶ sent
       ▲                  │
       └── failed ◀───────┘   (next_attempt_at = now + back-off; none = given up)

``outgoing_event_queue`` writes one OutgoingDelivery row per active endpoint inside
the caller's transaction (so an event exists exactly when the change that caused it
committed), and after commit a task tries each at once. ``outgoing_sweep`` runs
from beat and from the embedded scheduler, as the alert sweep does: it claims due
rows with ``select_for_update(skip_locked=True)`` and retries failures with
back-off, so nothing is lost to a broker or worker outage. Delivery is at least
once: a receiver dedupes on the body's ``id``.

Each POST carries the JSON body

    {"id": "<event id>", "type": "outbound.paused", "created_at": "<ISO 8601>",
     "timestamp": <unix seconds of this try>, "data": {...}}

and the headers ``X-CrisisRoom-Event``, ``X-CrisisRoom-Timestamp`` (the body's
timestamp) and ``X-CrisisRoom-Signature: sha256=<hex HMAC-SHA256 of the raw body
with the endpoint's secret>``. The timestamp is inside the signed body, so a
receiver can refuse old replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crisisroom import events
from crisisroom.choices import DeliveryStatus
from crisisroom.models import OutgoingDelivery, OutgoingWebhook
from crisisroom.services.alert_delivery import retry_delay
from foundation.claims import row_claim, row_failed, row_sent
from foundation.http import SourceError, request, short_reason
from foundation.signals import send_on_commit

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-CrisisRoom-Signature"
TIMESTAMP_HEADER = "X-CrisisRoom-Timestamp"
EVENT_HEADER = "X-CrisisRoom-Event"
RETRYABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


def signature(secret: str, body: bytes) -> str:
    """The header value: ``sha256=`` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    """What a receiver checks (constant-time compare)."""
    return hmac.compare_digest(signature(secret, body), header or "")


def outgoing_event_queue(*, event: str, data: dict[str, Any]) -> list[OutgoingDelivery]:
    """Record ``event`` for every active endpoint; each is sent after commit."""
    event_id = uuid.uuid4().hex
    created = []
    with transaction.atomic():
        for webhook in OutgoingWebhook.objects.filter(active=True):
            delivery = OutgoingDelivery.objects.create(
                webhook=webhook, event=event, event_id=event_id, data=data
            )
            send_on_commit(events.outgoing_queued, sender=OutgoingDelivery, delivery_id=delivery.pk)
            created.append(delivery)
    return created


def event_body(delivery: OutgoingDelivery, *, now: datetime | None = None) -> bytes:
    now = now or timezone.now()
    return json.dumps(
        {
            "id": delivery.event_id,
            "type": delivery.event,
            "created_at": delivery.created_at.isoformat(),
            "timestamp": int(now.timestamp()),
            "data": delivery.data,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def outgoing_claim(
    *, delivery_id: int | None = None, now: datetime | None = None, skip: set[int] | None = None
) -> OutgoingDelivery | None:
    """Take one delivery to send (the given one, or the oldest due one), as "sending"."""
    pk = row_claim(
        OutgoingDelivery,
        retryable=RETRYABLE,
        sending=DeliveryStatus.SENDING,
        now=now or timezone.now(),
        pk=delivery_id,
        skip=skip or (),
    )
    if pk is None:
        return None
    return OutgoingDelivery.objects.select_related("webhook").get(pk=pk)


def outgoing_deliver(*, delivery: OutgoingDelivery, now: datetime | None = None) -> bool:
    """POST a claimed delivery and record the result. True when the receiver took it."""
    webhook = delivery.webhook
    body = event_body(delivery)
    headers = {
        "Content-Type": "application/json",
        EVENT_HEADER: delivery.event,
        TIMESTAMP_HEADER: str(json.loads(body)["timestamp"]),
        SIGNATURE_HEADER: signature(webhook.secret, body),
    }
    retry = True
    try:
        if not webhook.active:
            raise SourceError("the endpoint was switched off", retry=False)
        response = request(
            "POST",
            webhook.url,
            body=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        )
        if response.status >= 300:
            retry = response.status in (408, 429) or response.status >= 500
            raise SourceError(f"HTTP {response.status} from the endpoint", retry=retry)
    except SourceError as exc:
        retry = exc.retry
        _record_failure(delivery, exc, retry=retry, now=now)
        return False
    except Exception as exc:  # a bug must not leave the row "sending"
        logger.exception("outgoing delivery %s failed", delivery.pk)
        _record_failure(delivery, exc, retry=True, now=now)
        return False
    row_sent(OutgoingDelivery, delivery, sending=DeliveryStatus.SENDING, sent=DeliveryStatus.SENT)
    return True


def _record_failure(
    delivery: OutgoingDelivery, exc: BaseException, *, retry: bool, now: datetime | None
) -> None:
    logger.warning(
        "outgoing delivery %s (attempt %s) failed: %s", delivery.pk, delivery.attempts, exc
    )
    row_failed(
        OutgoingDelivery,
        delivery,
        error=short_reason(exc, limit=300),
        retry=retry,
        now=now or timezone.now(),
        retry_for=timedelta(seconds=settings.ALERT_RETRY_FOR_SECONDS),
        delay=retry_delay(delivery.attempts),
        sending=DeliveryStatus.SENDING,
        failed=DeliveryStatus.FAILED,
    )


def outgoing_send(*, delivery_id: int) -> bool:
    """The first try right after commit; a sent or given-up delivery is left alone."""
    delivery = outgoing_claim(delivery_id=delivery_id)
    return outgoing_deliver(delivery=delivery) if delivery is not None else False


def outgoing_sweep(*, now: datetime | None = None) -> int:
    """Periodic: a "sending" row whose worker died is tried again (at least once),
    then every due delivery is sent within the sweep's time budget."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.ALERT_SENDING_STALE_SECONDS)
    OutgoingDelivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=stale_before
    ).update(status=DeliveryStatus.FAILED, next_attempt_at=now)
    deadline = time.monotonic() + settings.ALERT_SWEEP_BUDGET_SECONDS
    sent = 0
    tried: set[int] = set()
    while time.monotonic() < deadline:
        delivery = outgoing_claim(now=now, skip=tried)
        if delivery is None:
            break
        tried.add(delivery.pk)
        sent += outgoing_deliver(delivery=delivery, now=now)
    return sent
