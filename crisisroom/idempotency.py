"""``Idempotency-Key`` for API writes that create (POST /api/v1/incidents,
statements and their transitions).

The first request with a key runs the view inside one transaction that also
inserts the key's row; its answer (any status below 500) is stored with the row.
A later request from the same API token with the same key, within
IDEMPOTENCY_KEY_HOURS, gets that stored answer back (with
``Idempotent-Replayed: true``) and changes nothing. Two requests racing with one
key are serialised by the row's unique index: the second waits for the first to
commit, then replays its answer. The same key sent for another request (method,
path or body differ) is refused with 422. A 5xx is not stored: retrying it may
succeed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from crisisroom.models import ApiToken, IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.path.encode() + b"\n")
    digest.update(request.body)
    return digest.hexdigest()


def _token(request: HttpRequest) -> ApiToken | None:
    _, _, raw = request.headers.get("Authorization", "").partition(" ")
    return ApiToken.objects.filter(digest=ApiToken.hash(raw.strip())).first()


def _replay(row: IdempotencyKey, fingerprint: str) -> HttpResponse:
    if row.fingerprint != fingerprint:
        return JsonResponse(
            {
                "error": f"This {HEADER} was already used for a different request; "
                "send a new key for a new request."
            },
            status=422,
        )
    response = HttpResponse(bytes(row.body), status=row.status_code, content_type=row.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate an API view (inside ``api_view``, so the token is already checked)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view(request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return JsonResponse(
                {"error": f"{HEADER} is at most {MAX_KEY_LENGTH} characters."}, status=400
            )
        token = _token(request)
        if token is None:  # api_view let it in, so it was revoked just now
            return JsonResponse({"error": "That API token is not valid."}, status=401)
        fingerprint = _fingerprint(request)
        expired_before = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
        IdempotencyKey.objects.filter(token=token, key=key, created_at__lt=expired_before).delete()
        existing = IdempotencyKey.objects.filter(token=token, key=key).first()
        if existing is not None:
            return _replay(existing, fingerprint)
        try:
            with transaction.atomic():
                # Taken first: a second request with this key waits here until this
                # transaction ends, then finds the stored answer.
                row = IdempotencyKey.objects.create(
                    token=token, key=key, fingerprint=fingerprint, status_code=0, body=b""
                )
                response = view(request, *args, **kwargs)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                    return response
                row.status_code = response.status_code
                row.body = response.content
                row.content_type = response.get("Content-Type", "application/json")
                row.save(update_fields=["status_code", "body", "content_type"])
                return response
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(token=token, key=key).first()
            if existing is None or existing.status_code == 0:
                raise
            return _replay(existing, fingerprint)

    return wrapper


def idempotency_keys_purge() -> int:
    before = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=before).delete()
    return deleted
