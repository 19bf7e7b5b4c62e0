"""Every /api/v1 error is JSON ``{"error": "..."}`` (platform helper: imports no app).

The views answer the errors a caller causes (crisisroom/api.py). This middleware,
first in MIDDLEWARE, covers the rest: a 404 or 405 from URL routing, an unhandled
exception in any layer, and an outage. A database or broker (Redis) outage answers
503 with Retry-After, so a client knows to retry rather than give up; anything
else unhandled is a JSON 500.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    BrokerError,
    RedisConnectionError,
    RedisTimeoutError,
)
_DJANGO_HANDLES = (Http404, PermissionDenied, SuspiciousOperation, BadRequest)
_KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


def _remember_exception(
    sender: object, request: HttpRequest | None = None, **kwargs: object
) -> None:
    # Django turns an exception raised in any layer into a response right there and
    # sends this signal first, inside its except block: keep the exception so the
    # outermost middleware can tell an outage from a bug.
    if request is not None:
        request._api_exception = sys.exc_info()[1]  # type: ignore[attr-defined]


def outage_response() -> JsonResponse:
    response = JsonResponse(
        {"error": "The service is briefly unavailable (database or queue); retry shortly."},
        status=503,
    )
    response["Retry-After"] = str(settings.API_RETRY_AFTER_SECONDS)
    return response


def error_response(status: int, exception: BaseException | None = None) -> JsonResponse:
    if exception is not None and isinstance(exception, OUTAGE_ERRORS):
        return outage_response()
    if status >= 500:
        message = "Internal error; it has been logged."
    else:
        try:
            message = HTTPStatus(status).phrase + "."
        except ValueError:
            message = f"HTTP {status}."
    return JsonResponse({"error": message}, status=status)


class ApiErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        got_request_exception.connect(_remember_exception, dispatch_uid="api-errors")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        response = self.get_response(request)
        if response.status_code < 400 or response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return response
        replacement = error_response(response.status_code, getattr(request, "_api_exception", None))
        for header in _KEPT_HEADERS:
            if header in response and header not in replacement:
                replacement[header] = response[header]
        return replacement

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX) or isinstance(exception, _DJANGO_HANDLES):
            return None  # Django answers these with a 4xx, made JSON in __call__
        if isinstance(exception, OUTAGE_ERRORS):
            logger.warning("%s %s: outage: %s", request.method, request.path, exception)
            return outage_response()
        logger.error("%s %s: unhandled error", request.method, request.path, exc_info=exception)
        return error_response(500)
